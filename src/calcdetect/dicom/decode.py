"""Pixel data to an integer array, through pydicom's decoders.

pydicom (with pylibjpeg, its libjpeg/openjpeg/rle plugins, pyjpegls and
python-gdcm installed) decodes every transfer syntax mammograms use, masks the
unused high bits when Bits Stored < Bits Allocated and sign-extends signed
pixels.  What it does not do is check the image size written *inside* a JPEG
or JPEG 2000 codestream before allocating the output: a 64 x 64 header can
carry a 65535 x 65535 codestream.  :mod:`.codestream` reads that size (and
the JPEG sample precision) from the first bytes, so a decompression bomb or an
impossible precision is refused before any decoding.

Decoder choice: pydicom tries its plugins in registration order, GDCM first,
and falls back from one to the next.  That is unsafe on damaged files:
python-gdcm 3.2.6 *aborts the whole process* (an uncaught C++ exception) on
some corrupt JPEG 2000 codestreams, which would kill a batch worker, and
libjpeg (pylibjpeg) returns an all-zero image without any error for a JPEG-LS
stream whose scan data are missing.  :func:`decode_pixels` therefore picks
the plugins itself: OpenJPEG (pylibjpeg) alone for JPEG 2000, CharLS
(pyjpegls) alone for JPEG-LS, libjpeg then GDCM (which copes with some broken
vendor JPEG lossless streams, but crashes on malformed marker segments, so it
is tried only when they are well formed) for the other JPEG processes, after
checking that the codestream is complete (ends with EOI), and pylibjpeg-rle
then pydicom's own decoder (pure NumPy) for RLE.

A decoder that fails on a file -- an exception of any type, including the
``PanicException`` of a Rust decoder that panics (pylibjpeg-rle 2.2.0 indexes
out of bounds on some damaged RLE segments) -- is recorded with its name and
the next decoder of the chain is tried; only when all have failed is the file
``decode_failed``, with every decoder's message.  Decoder failures found by
fuzzing are listed in docs/decoder-failures.md.
"""

from __future__ import annotations

import logging

import numpy as np
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.pixels import get_decoder, pixel_array
from pydicom.uid import (
    JPEG2000TransferSyntaxes,
    JPEGLSTransferSyntaxes,
    JPEGTransferSyntaxes,
    UID,
    DeflatedExplicitVRLittleEndian,
)

from calcdetect.dicom.codestream import (
    codestream_size,
    jpeg_frame_header,
    jpeg_header_problem,
    jpeg_precision_problem,
)
from calcdetect.dicom.header import ImageHeader
from calcdetect.dicom.sniff import PIXEL_DATA_TAG
from calcdetect.errors import (
    PASS_THROUGH,
    DecodeError,
    ImageTooLargeError,
    PixelDataLengthError,
    TruncatedFileError,
)

__all__ = ["codestream_size", "decode_pixels"]

logger = logging.getLogger(__name__)

def _decoder_failure(plugin: str, exc: BaseException) -> str:
    """One decoder's failure in words: which decoder, the exception's type and message."""
    kind = type(exc).__name__
    if not isinstance(exc, Exception):
        kind = f"{type(exc).__module__}.{kind} (the decoder aborted)"
    text = " ".join(str(exc).split())[:200]
    return f"{plugin or 'pydicom'}: {kind}: {text}"


def _unsafe_for(plugin: str, tsyntax: UID, head: bytes) -> str | None:
    """Why ``plugin`` must not see this frame (it would crash the process), or None.

    python-gdcm 3.2.6 aborts the process (an uncaught C++ exception in
    gdcmJPEGBITSCodec) on a JPEG whose marker segments are malformed, e.g. a
    DHT marker byte flipped (docs/decoder-failures.md).  GDCM is only the
    fallback after libjpeg, for vendor quirks inside well-formed headers.
    """
    if plugin != "gdcm" or tsyntax not in JPEGTransferSyntaxes:
        return None
    problem = jpeg_header_problem(head)
    return f"gdcm: not tried, the JPEG header is malformed ({problem})" if problem else None


def _plugins(tsyntax: UID) -> list[str]:
    """Decoding plugins to try for ``tsyntax``, in order (see module docstring)."""
    available = set(get_decoder(tsyntax).available_plugins)
    if tsyntax in JPEG2000TransferSyntaxes:
        chain, fallback = ["pylibjpeg", "pillow"], False
    elif tsyntax in JPEGLSTransferSyntaxes:
        chain, fallback = ["pyjpegls", "pylibjpeg", "gdcm"], False
    elif tsyntax in JPEGTransferSyntaxes:
        chain, fallback = ["pylibjpeg", "gdcm", "pillow"], True
    else:
        chain, fallback = ["pylibjpeg", "pydicom"], True
    usable = [name for name in chain if name in available]
    return usable if fallback else usable[:1]


def _check_native_length(
    ds: Dataset, header: ImageHeader, *, path: str, file_size: int, offsets_valid: bool
) -> None:
    expected = header.rows * header.cols * header.bits_allocated // 8
    elem = ds.get_item(PIXEL_DATA_TAG, keep_deferred=True)
    if isinstance(elem, RawDataElement):
        length = int(elem.length)
        if offsets_valid and int(elem.value_tell) + length > file_size:
            raise TruncatedFileError(
                f"{path}: the file is truncated inside the pixel data "
                f"({int(elem.value_tell) + length - file_size:,} bytes missing); "
                "copy it again from the source."
            )
    else:
        length = len(ds.PixelData)
    if length < expected:
        raise PixelDataLengthError(
            f"{path}: Pixel Data holds {length:,} bytes but {header.rows} x {header.cols} "
            f"pixels of {header.bits_allocated} bits need {expected:,}; the file was "
            "written incompletely: export it again."
        )


def _check_codestream(ds: Dataset, header: ImageHeader, *, path: str, max_pixels: int) -> bytes:
    """Refuse what can be seen wrong in the compressed frame before decoding; return its first bytes."""
    tsyntax = UID(header.transfer_syntax_uid)
    try:
        frame = get_frame(ds.PixelData, 0, number_of_frames=1)
    except Exception as exc:  # malformed encapsulation: items, offsets
        raise DecodeError(
            f"{path}: the compressed pixel data ({tsyntax.name}) is malformed ({exc}); "
            "the file is damaged: export it again."
        ) from exc
    if tsyntax in JPEGTransferSyntaxes or tsyntax in JPEGLSTransferSyntaxes:
        if bytes(frame[-16:]).rstrip(b"\x00")[-2:] != b"\xff\xd9":
            raise DecodeError(
                f"{path}: the {tsyntax.name} codestream is incomplete (no end-of-image "
                "marker); the file was cut short or damaged: export it again."
            )
    head = bytes(frame[:65536])
    sof = jpeg_frame_header(head) if tsyntax not in JPEG2000TransferSyntaxes else None
    problem = jpeg_precision_problem(sof) if sof is not None else None
    if problem:  # python-gdcm 3.2.6 segfaults on 45 bits (docs/decoder-failures.md)
        raise DecodeError(f"{path}: the {tsyntax.name} codestream is damaged: {problem}; export it again.")
    size = codestream_size(head, tsyntax)
    if size is None or size == (header.rows, header.cols):
        return head
    if size[0] * size[1] > max_pixels:
        raise ImageTooLargeError(
            f"{path}: the {tsyntax.name} codestream declares {size[0]} x {size[1]} pixels, "
            f"over the limit of {max_pixels:,}; refused before decoding."
        )
    raise DecodeError(
        f"{path}: the {tsyntax.name} codestream is {size[0]} x {size[1]} pixels but the "
        f"header says {header.rows} x {header.cols}; the file is inconsistent: export it again."
    )


def decode_pixels(
    ds: Dataset, header: ImageHeader, *, path: str, file_size: int, max_pixels: int
) -> np.ndarray:
    """Decode the single frame of ``ds`` to stored values (integers, shape rows x cols).

    Raises
    ------
    TruncatedFileError, PixelDataLengthError, ImageTooLargeError, DecodeError
    """
    tsyntax = UID(header.transfer_syntax_uid)
    if not tsyntax.is_transfer_syntax:
        raise DecodeError(
            f"{path}: unknown Transfer Syntax UID {header.transfer_syntax_uid!r}; "
            "convert the file to a standard syntax (e.g. with dcmconv or gdcmconv)."
        )
    head = b""
    if tsyntax.is_encapsulated:
        head = _check_codestream(ds, header, path=path, max_pixels=max_pixels)
    else:
        _check_native_length(
            ds,
            header,
            path=path,
            file_size=file_size,
            offsets_valid=tsyntax != DeflatedExplicitVRLittleEndian,
        )
    try:
        plugins = _plugins(tsyntax) if tsyntax.is_encapsulated else [""]
    except NotImplementedError:
        plugins = []
    if not plugins:
        raise DecodeError(
            f"{path}: no installed decoder handles {tsyntax.name}; convert the file to "
            "an uncompressed or JPEG 2000 syntax (e.g. with gdcmconv --raw)."
        )
    failures = []
    for plugin in plugins:
        unsafe = _unsafe_for(plugin, tsyntax, head)
        if unsafe:
            failures.append(unsafe)
            continue
        try:
            arr = pixel_array(ds, decoding_plugin=plugin)
            break
        except PASS_THROUGH:
            raise
        except BaseException as exc:  # noqa: BLE001 - a decoder's panic (pyo3 PanicException) is this file's failure
            failures.append(_decoder_failure(plugin, exc))
    else:
        raise DecodeError(
            f"{path}: the {tsyntax.name} pixel data cannot be decoded "
            f"({'; '.join(failures)}); the file is damaged or uses an unsupported "
            "variant: export it again."
        )
    if failures:
        logger.info("%s: decoded after failures: %s", path, "; ".join(failures))
    if arr.shape != (header.rows, header.cols):
        raise DecodeError(
            f"{path}: decoded pixel array has shape {arr.shape}, expected "
            f"({header.rows}, {header.cols}); the file is inconsistent."
        )
    return arr
