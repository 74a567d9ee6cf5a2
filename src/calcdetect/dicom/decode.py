"""Pixel data to an integer array, through pydicom's decoders.

pydicom (with pylibjpeg, its libjpeg/openjpeg/rle plugins, pyjpegls and
python-gdcm installed) decodes every transfer syntax mammograms use, masks the
unused high bits when Bits Stored < Bits Allocated and sign-extends signed
pixels.  What it does not do is check the image size written *inside* a JPEG
or JPEG 2000 codestream before allocating the output: a 64 x 64 header can
carry a 65535 x 65535 codestream.  :func:`codestream_size` reads that size
from the first bytes (a few lines of marker parsing; no library exposes it
cheaply for all JPEG flavours), so a decompression bomb is refused before any
decoding.

Decoder choice: pydicom tries its plugins in registration order, GDCM first,
and falls back from one to the next.  That is unsafe on damaged files:
python-gdcm 3.2.6 *aborts the whole process* (an uncaught C++ exception) on
some corrupt JPEG 2000 codestreams, which would kill a batch worker, and
libjpeg (pylibjpeg) returns an all-zero image without any error for a JPEG-LS
stream whose scan data are missing.  :func:`decode_pixels` therefore picks
the plugins itself: OpenJPEG (pylibjpeg) alone for JPEG 2000, CharLS
(pyjpegls) alone for JPEG-LS, libjpeg then GDCM (which copes with some broken
vendor JPEG lossless streams) for the other JPEG processes, after checking
that the codestream is complete (ends with EOI), and pylibjpeg-rle then
pydicom's own decoder (pure NumPy) for RLE.

A decoder that fails on a file -- an exception of any type, including the
``PanicException`` of a Rust decoder that panics (pylibjpeg-rle 2.2.0 indexes
out of bounds on some damaged RLE segments) -- is recorded with its name and
the next decoder of the chain is tried; only when all have failed is the file
``decode_failed``, with every decoder's message.  Decoder failures found by
fuzzing are listed in docs/decoder-failures.md.
"""

from __future__ import annotations

import logging
import struct

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

# Start-of-frame markers of the JPEG processes (not DHT C4, JPG C8, DAC CC),
# and JPEG-LS SOF55 (F7).
_JPEG_SOF = (frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}) | {0xF7}
_J2K_SIZ = b"\xff\x4f\xff\x51"  # SOC then SIZ


def _decoder_failure(plugin: str, exc: BaseException) -> str:
    """One decoder's failure in words: which decoder, the exception's type and message."""
    kind = type(exc).__name__
    if not isinstance(exc, Exception):
        kind = f"{type(exc).__module__}.{kind} (the decoder aborted)"
    text = " ".join(str(exc).split())[:200]
    return f"{plugin or 'pydicom'}: {kind}: {text}"


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


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    header = _jpeg_frame_header(data)
    if header is None or not header[2]:
        return None  # 0 rows: set later by a DNL marker
    return header[2], header[3]


def _jpeg_frame_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(SOF marker, sample precision, rows, cols) of a JPEG or JPEG-LS codestream, or None."""
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _JPEG_SOF:
            if i + 9 > len(data):
                return None
            precision = data[i + 4]
            rows, cols = struct.unpack(">HH", data[i + 5 : i + 9])
            return marker, precision, rows, cols
        i += 2 + length
    return None


def _j2k_size(data: bytes) -> tuple[int, int] | None:
    start = data.find(_J2K_SIZ, 0, 65536)  # a JP2 wrapper puts boxes before it
    if start < 0 or start + 24 > len(data):
        return None
    x_siz, y_siz, x_off, y_off = struct.unpack(">IIII", data[start + 8 : start + 24])
    return y_siz - y_off, x_siz - x_off


def codestream_size(frame: bytes, transfer_syntax: UID) -> tuple[int, int] | None:
    """(rows, cols) declared inside a JPEG, JPEG-LS or JPEG 2000 codestream.

    None when the syntax has no such size (RLE) or it cannot be found.
    """
    if transfer_syntax in JPEG2000TransferSyntaxes:
        return _j2k_size(frame)
    return _jpeg_size(frame)


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


def _check_jpeg_precision(head: bytes, tsyntax: UID, *, path: str) -> None:
    """Refuse a sample precision that no JPEG process allows, before any decoder sees it.

    python-gdcm 3.2.6 *segfaults* on a JPEG lossless frame header declaring
    e.g. 45 bits ("Must downscale data from 45 bits to 16"), found by fuzzing
    (docs/decoder-failures.md); libjpeg refuses it cleanly, GDCM is the fallback.
    """
    header = _jpeg_frame_header(head)
    if header is None:
        return
    marker, precision = header[0], header[1]
    lossless = marker in (0xC3, 0xC7, 0xCB, 0xCF, 0xF7)  # processes 14 (and its variants), JPEG-LS
    allowed = range(2, 17) if lossless else (8, 12)
    if precision not in allowed:
        raise DecodeError(
            f"{path}: the {tsyntax.name} codestream declares a sample precision of {precision} bits "
            f"(a {'lossless' if lossless else 'lossy'} JPEG allows "
            f"{'2-16' if lossless else '8 or 12'}); the file is damaged: export it again."
        )


def _check_codestream(ds: Dataset, header: ImageHeader, *, path: str, max_pixels: int) -> None:
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
        _check_jpeg_precision(bytes(frame[:65536]), tsyntax, path=path)
    size = codestream_size(bytes(frame[:65536]), tsyntax)
    if size is None or size == (header.rows, header.cols):
        return
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
    if tsyntax.is_encapsulated:
        _check_codestream(ds, header, path=path, max_pixels=max_pixels)
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
