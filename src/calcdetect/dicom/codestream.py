"""What a compressed frame says about itself, read from its first bytes, before any decoder runs.

Pure functions on bytes.  :func:`codestream_size` reads the image size written
inside a JPEG, JPEG-LS or JPEG 2000 codestream (a 64 x 64 header can carry a
65535 x 65535 codestream: a decompression bomb); :func:`jpeg_frame_header`
the JPEG start-of-frame fields; :func:`jpeg_header_problem` checks that the
marker segments from SOI to the first SOS are well formed.  A few lines of
marker parsing each: no installed library exposes these fields cheaply for
every JPEG flavour without decoding, and the point is to look *before* a
decoder that may crash the process (docs/decoder-failures.md).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from pydicom.uid import UID, JPEG2000TransferSyntaxes

__all__ = ["JpegFrameHeader", "codestream_size", "jpeg_frame_header", "jpeg_header_problem",
           "jpeg_precision_problem"]

# Start-of-frame markers of the JPEG processes (not DHT C4, JPG C8, DAC CC),
# and JPEG-LS SOF55 (F7).
_JPEG_SOF = (frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}) | {0xF7}
_HUFFMAN_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7})
_LOSSLESS_SOF = frozenset({0xC3, 0xC7, 0xCB, 0xCF, 0xF7})  # process 14 and variants, JPEG-LS
_DHT, _SOS = 0xC4, 0xDA
_J2K_SIZ = b"\xff\x4f\xff\x51"  # SOC then SIZ


@dataclass(frozen=True)
class JpegFrameHeader:
    """The start-of-frame fields of a JPEG or JPEG-LS codestream."""

    marker: int
    precision_bits: int
    rows: int  # 0: set later by a DNL marker
    cols: int


def _segments(data: bytes):
    """(offset, marker, length) of the marker segments after SOI; stops at a byte that is no marker."""
    i = 2
    while i + 2 <= len(data):
        if data[i] != 0xFF:
            yield i, None, 0
            return
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            yield i, marker, 0
            i += 2
            continue
        if i + 4 > len(data):
            return
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        yield i, marker, length
        i += 2 + length


def jpeg_frame_header(data: bytes) -> JpegFrameHeader | None:
    """The start-of-frame fields of the JPEG or JPEG-LS codestream ``data``, or None if not found."""
    if data[:2] != b"\xff\xd8":
        return None
    for i, marker, _ in _segments(data):
        if marker is None:
            return None
        if marker in _JPEG_SOF:
            if i + 9 > len(data):
                return None
            rows, cols = struct.unpack(">HH", data[i + 5 : i + 9])
            return JpegFrameHeader(marker, data[i + 4], rows, cols)
    return None


def jpeg_precision_problem(header: JpegFrameHeader) -> str | None:
    """Why the sample precision is one no JPEG process allows, or None (2-16 lossless, 8 or 12 lossy)."""
    lossless = header.marker in _LOSSLESS_SOF
    if lossless and 2 <= header.precision_bits <= 16:
        return None
    if not lossless and header.precision_bits in (8, 12):
        return None
    allowed = "2-16" if lossless else "8 or 12"
    return (f"the frame header declares a sample precision of {header.precision_bits} bits "
            f"(a {'lossless' if lossless else 'lossy'} JPEG allows {allowed})")


def jpeg_header_problem(data: bytes) -> str | None:
    """What is malformed in the marker segments of a JPEG codestream before its first scan, or None.

    Checks: SOI first; every segment starts with a marker and has a length of
    at least 2 inside ``data``; no restart, EOI or SOI marker before the scan;
    one frame header; Huffman tables (DHT) before the scan of a Huffman-coded
    process; a start of scan (SOS).
    """
    if data[:2] != b"\xff\xd8":
        return "it does not start with an SOI marker"
    frames, tables = [], 0
    for i, marker, length in _segments(data):
        if marker is None:
            return f"byte {i} should start a marker segment but is 0x{data[i]:02X}"
        if marker == 0x01 or 0xD0 <= marker <= 0xD9:
            return f"marker 0x{marker:02X} at byte {i}, before the first scan"
        if length < 2 or i + 2 + length > len(data):
            return f"marker segment 0x{marker:02X} at byte {i} has an impossible length of {length}"
        if marker in _JPEG_SOF:
            frames.append(marker)
        tables += marker == _DHT
        if marker == _SOS:
            if len(frames) != 1:
                return f"{len(frames)} frame headers before the first scan"
            if frames[0] in _HUFFMAN_SOF and not tables:
                return "no Huffman table (DHT) before the first scan"
            return None
    return "no start of scan (SOS) marker in its header"


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
    header = jpeg_frame_header(frame)
    if header is None or not header.rows:
        return None
    return header.rows, header.cols
