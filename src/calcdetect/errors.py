"""Domain errors of calcdetect.

Every error that a single input file can cause is a subclass of
:class:`CalcdetectError` with a short, stable ``code``: ``errors.csv`` of a
batch scan uses the code, and the message says what is wrong and what the user
can do about it.
"""

from __future__ import annotations

__all__ = [
    "CalcdetectError",
    "NotDicomError",
    "EmptyFileError",
    "TruncatedFileError",
    "NotAMammogramError",
    "NonImageObjectError",
    "DicomdirError",
    "MultiFrameError",
    "MissingPixelDataError",
    "PixelDataLengthError",
    "ImageTooLargeError",
    "DecodeError",
    "MissingSpacingError",
    "InvalidHeaderError",
    "DuplicateImageError",
    "FileAccessError",
    "AnalysisTimeoutError",
    "InternalError",
    "StudyReportError",
    "ERROR_CODES",
    "ScanError",
    "PASS_THROUGH",
]


class CalcdetectError(Exception):
    """Base class: a problem with one input, reported and skipped, never fatal.

    Parameters
    ----------
    message : str
        What is wrong and what to do about it, in words a user understands.
    """

    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotDicomError(CalcdetectError):
    code = "not_dicom"


class EmptyFileError(CalcdetectError):
    code = "empty_file"


class TruncatedFileError(CalcdetectError):
    code = "truncated"


class NotAMammogramError(CalcdetectError):
    code = "not_mammogram"


class NonImageObjectError(CalcdetectError):
    code = "non_image"


class DicomdirError(CalcdetectError):
    code = "dicomdir"


class MultiFrameError(CalcdetectError):
    code = "multiframe"


class MissingPixelDataError(CalcdetectError):
    code = "no_pixel_data"


class PixelDataLengthError(CalcdetectError):
    code = "pixel_data_short"


class ImageTooLargeError(CalcdetectError):
    code = "too_large"


class DecodeError(CalcdetectError):
    code = "decode_failed"


class MissingSpacingError(CalcdetectError):
    code = "no_spacing"


class InvalidHeaderError(CalcdetectError):
    code = "invalid_header"


class DuplicateImageError(CalcdetectError):
    code = "duplicate"


class FileAccessError(CalcdetectError):
    """The path does not exist, is not a regular file, or cannot be read."""

    code = "unreadable"


class InternalError(CalcdetectError):
    """An unexpected failure inside calcdetect while handling one file (a bug: please report)."""

    code = "internal_error"


class AnalysisTimeoutError(CalcdetectError):
    """Reading and analysing the file took longer than the scan's per-file time limit."""

    code = "timeout"


#: code -> exception class, for documentation and errors.csv readers.
class StudyReportError(CalcdetectError):
    """No CAD SR could be written for a study (its images are analysed as usual).

    The ``errors.csv`` row names the study's first image; the message says why
    (images of different patients under one Study Instance UID, no Study
    Instance UID, headers that can no longer be read).
    """

    code = "sr_not_written"


ERROR_CODES: dict[str, type[CalcdetectError]] = {
    cls.code: cls
    for cls in (
        NotDicomError,
        EmptyFileError,
        TruncatedFileError,
        NotAMammogramError,
        NonImageObjectError,
        DicomdirError,
        MultiFrameError,
        MissingPixelDataError,
        PixelDataLengthError,
        ImageTooLargeError,
        DecodeError,
        MissingSpacingError,
        InvalidHeaderError,
        DuplicateImageError,
        FileAccessError,
        AnalysisTimeoutError,
        InternalError,
        StudyReportError,
    )
}


class ScanError(Exception):
    """A fatal problem with the scan as a whole (bad arguments, unwritable output, no scheduler).

    Not a :class:`CalcdetectError`: it stops the run (exit status 2) instead of
    skipping one file.
    """


#: What the code that reads and analyses one file must let through, whatever it catches:
#: the user or the interpreter stopping the program, never a problem of the file.  Everything
#: else, ``BaseException`` included (a Rust decoder's panic reaches Python as pyo3's
#: ``PanicException``, a ``BaseException``), is that file's failure (issue 17).
PASS_THROUGH: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit, GeneratorExit)
