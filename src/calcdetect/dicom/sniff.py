"""Recognise DICOM files and read their header once, pixel data deferred.

pydicom reads truncated files without complaint: a data element cut by the
end of the file is silently dropped.  :func:`read_header` therefore checks
where the last element ends against the file size, so that a truncated file is
reported as truncated rather than as "no pixel data".
"""

from __future__ import annotations

import logging
import os
import struct
import zlib

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.dataelem import RawDataElement
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from calcdetect.errors import (
    EmptyFileError,
    FileAccessError,
    InvalidHeaderError,
    NotDicomError,
    TruncatedFileError,
)

__all__ = ["is_dicom_file", "read_header", "PIXEL_DATA_TAG", "DEFER_SIZE_BYTES"]

logger = logging.getLogger(__name__)

PIXEL_DATA_TAG = 0x7FE00010
#: Elements longer than this are not read with the header but on first access
#: (in practice: the pixel data and large private blobs).
DEFER_SIZE_BYTES = 64 * 1024
_UNDEFINED_LENGTH = 0xFFFFFFFF
_PREAMBLE_BYTES = 128
# Valid two-letter value representations, to recognise explicit-VR files
# that have no preamble.
_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL"
    b" UN UR US UT UV".split()
)


def _looks_like_preambleless(head: bytes) -> bool:
    """Whether ``head`` starts with a plausible group 0x0002 or 0x0008 element.

    Old and some exported files have no 128-byte preamble and no ``DICM``
    magic; they then start directly with a data element, almost always one of
    the file meta group (0002) or the identifying group (0008).  Either the
    VR is a real two-letter VR (explicit VR) or the 4-byte length is small
    and even-ish (implicit VR).
    """
    if len(head) < 8:
        return False
    for fmt in ("<HH", ">HH"):
        group, element = struct.unpack(fmt, head[:4])
        if group not in (0x0002, 0x0008) or element > 0x1FFF:
            continue
        if head[4:6] in _VRS:
            return True
        (length,) = struct.unpack(fmt[0] + "I", head[4:8])
        if length < 1024:
            return True
    return False


def is_dicom_file(path: str | os.PathLike[str]) -> bool:
    """Cheap check, from the first 132 bytes only, that ``path`` is DICOM.

    True when the file has the ``DICM`` magic after a 128-byte preamble, or
    when it has no preamble but starts with a plausible data element of group
    0x0002 or 0x0008 (as files written by old software do).  Unreadable paths,
    directories and empty files give False.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    bool

    Examples
    --------
    >>> is_dicom_file("/etc/hostname")
    False
    """
    try:
        with open(path, "rb") as f:
            head = f.read(_PREAMBLE_BYTES + 4)
    except OSError:
        return False
    if head[_PREAMBLE_BYTES : _PREAMBLE_BYTES + 4] == b"DICM":
        return True
    return _looks_like_preambleless(head)


def _file_size(path: str) -> int:
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise FileAccessError(f"{path}: file not found; check the path.") from exc
    except OSError as exc:
        raise FileAccessError(
            f"{path}: cannot access the file ({exc.strerror}); check its permissions."
        ) from exc
    if not os.path.isfile(path):
        raise FileAccessError(f"{path}: not a regular file (a directory?); give a file.")
    return st.st_size


def _element_end(ds: Dataset, tag: int) -> int | None:
    """File offset just after the value of ``tag``, or None if unknown."""
    elem = ds.get_item(tag, keep_deferred=True)
    if not isinstance(elem, RawDataElement) or elem.length == _UNDEFINED_LENGTH:
        return None
    return int(elem.value_tell) + int(elem.length)


def _ensure_transfer_syntax(ds: Dataset) -> None:
    """Give files without file meta information the syntax they were read with."""
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    if ds.file_meta.get("TransferSyntaxUID"):
        return
    implicit, little = ds.original_encoding
    if implicit:
        uid = ImplicitVRLittleEndian
    else:
        uid = ExplicitVRLittleEndian if little else ExplicitVRBigEndian
    ds.file_meta.TransferSyntaxUID = uid
    logger.debug("no Transfer Syntax UID in the file; read as %s", uid.name)


def _is_deflated(ds: Dataset) -> bool:
    meta = getattr(ds, "file_meta", None)
    return meta is not None and meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian


def read_header(path: str) -> tuple[Dataset, int]:
    """Parse the DICOM header of ``path`` once, with the pixel data deferred.

    Returns
    -------
    ds : pydicom Dataset
        Elements over :data:`DEFER_SIZE_BYTES` (the pixel data of any
        uncompressed image) are read only when accessed.
    file_size : int

    Raises
    ------
    FileAccessError, EmptyFileError, NotDicomError, TruncatedFileError,
    InvalidHeaderError
    """
    size = _file_size(path)
    if size == 0:
        raise EmptyFileError(f"{path}: the file is empty (0 bytes); copy it again from the source.")
    if not is_dicom_file(path):
        raise NotDicomError(
            f"{path}: not a DICOM file (no 'DICM' marker at byte 128 and no DICOM "
            "element at the start); remove it from the input folder or convert it to DICOM."
        )
    try:
        # force=True only admits the preamble-less files is_dicom_file accepted.
        ds = pydicom.dcmread(path, force=True, defer_size=DEFER_SIZE_BYTES)
        deflated = _is_deflated(ds)
        if deflated:
            # pydicom's deferred read would seek in the compressed stream: read it whole.
            ds = pydicom.dcmread(path, force=True)
    except zlib.error as exc:
        raise TruncatedFileError(
            f"{path}: the deflated data set cannot be inflated ({exc}); the file is "
            "truncated or damaged: copy it again."
        ) from exc
    except (EOFError, struct.error) as exc:
        raise TruncatedFileError(
            f"{path}: the file ends in the middle of the DICOM header ({exc}); "
            "it was probably cut short while copying: copy it again."
        ) from exc
    except Exception as exc:  # pydicom raises many exception types on garbage
        raise InvalidHeaderError(
            f"{path}: the DICOM header cannot be parsed ({type(exc).__name__}: {exc}); "
            "the file is damaged or not a standard DICOM file."
        ) from exc
    if len(ds) == 0:
        raise TruncatedFileError(
            f"{path}: no readable DICOM data elements after the file meta information "
            f"({size:,} bytes in all); the file was probably cut short: copy it again."
        )
    # A complete file ends exactly where its last element ends.  pydicom drops
    # an element cut by the end of the file, so a gap means truncation; a
    # deferred element reaching past the end means the same.
    last_tag = max(ds.keys())
    end = None if deflated else _element_end(ds, last_tag)
    if end is not None and end > size:
        raise TruncatedFileError(
            f"{path}: the file is truncated: element {pydicom.tag.Tag(last_tag)} needs "
            f"{end} bytes but the file has {size}; copy it again from the source."
        )
    if end is not None and end < size and PIXEL_DATA_TAG not in ds:
        raise TruncatedFileError(
            f"{path}: the file stops being readable at byte {end} of {size} and has no "
            "pixel data: it is truncated or damaged; copy it again from the source."
        )
    _ensure_transfer_syntax(ds)
    return ds, size
