"""Reading a compressed frame's own header before decoding (calcdetect.dicom.codestream).

Real codestreams come from the encoders the suite uses (pydicom for JPEG-LS and
JPEG 2000, python-gdcm for the JPEG processes); the damaged ones are built by
hand from the marker layout of ITU-T T.81 (B.1.1.3 and B.2).
"""

from __future__ import annotations

import struct

import gdcm
import pydicom
import pytest
from pydicom import uid
from pydicom.encaps import generate_frames

from calcdetect.dicom.codestream import (
    codestream_size,
    jpeg_frame_header,
    jpeg_header_problem,
    jpeg_precision_problem,
)


def _frame(path) -> bytes:
    ds = pydicom.dcmread(path)
    return next(generate_frames(ds.PixelData, number_of_frames=1))


@pytest.fixture
def jpeg_lossless(make_dataset, ramp, write_dicom, tmp_path, gdcm_transcode) -> bytes:
    source = write_dicom(make_dataset(ramp(bits_stored=12)))  # 64 x 48, 12 bits
    gdcm_transcode(source, tmp_path / "jl.dcm", gdcm.TransferSyntax.JPEGLosslessProcess14_1)
    return _frame(tmp_path / "jl.dcm")


def test_real_jpeg_lossless_header_is_read_and_well_formed(jpeg_lossless):
    header = jpeg_frame_header(jpeg_lossless)

    assert (header.marker, header.rows, header.cols) == (0xC3, 64, 48)  # SOF3: lossless, Huffman
    assert 12 <= header.precision_bits <= 16  # GDCM may store 12-bit data as 16-bit samples
    assert jpeg_precision_problem(header) is None
    assert jpeg_header_problem(jpeg_lossless) is None
    assert codestream_size(jpeg_lossless, uid.JPEGLosslessSV1) == (64, 48)


def test_real_baseline_jpeg_ls_and_j2k_headers(make_dataset, ramp, write_dicom, tmp_path, gdcm_transcode):
    source = write_dicom(make_dataset(ramp(bits_stored=8), bits_stored=8))
    gdcm_transcode(source, tmp_path / "b.dcm", gdcm.TransferSyntax.JPEGBaselineProcess1)
    baseline = _frame(tmp_path / "b.dcm")
    assert jpeg_header_problem(baseline) is None
    assert jpeg_frame_header(baseline).precision_bits == 8
    for syntax in (uid.JPEGLSLossless, uid.JPEG2000Lossless):
        ds = make_dataset(ramp(bits_stored=12))
        ds.compress(syntax)
        frame = next(generate_frames(ds.PixelData, number_of_frames=1))
        assert codestream_size(frame, syntax) == (64, 48)
    assert jpeg_frame_header(frame) is None  # a J2K codestream is no JPEG


def _with_byte(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + bytes([value]) + data[offset + 1 :]


def test_impossible_precision_is_named(jpeg_lossless):
    sof = jpeg_lossless.index(b"\xff\xc3")
    damaged = _with_byte(jpeg_lossless, sof + 4, 45)  # P: the byte after the marker and its length

    problem = jpeg_precision_problem(jpeg_frame_header(damaged))

    assert problem == "the frame header declares a sample precision of 45 bits (a lossless JPEG allows 2-16)"


def test_lossy_precision_must_be_8_or_12():
    sof0 = b"\xff\xd8\xff\xc0" + struct.pack(">HBHHB", 11, 16, 8, 8, 1) + b"\x01\x11\x00"
    assert "allows 8 or 12" in jpeg_precision_problem(jpeg_frame_header(sof0))


def test_flipped_dht_marker_is_a_malformed_header(jpeg_lossless):
    dht = jpeg_lossless.index(b"\xff\xc4")
    damaged = _with_byte(jpeg_lossless, dht, 0xD1)

    assert jpeg_header_problem(damaged) == f"byte {dht} should start a marker segment but is 0xD1"


def test_missing_huffman_table_and_missing_scan_are_named(jpeg_lossless):
    dht = jpeg_lossless.index(b"\xff\xc4")
    (length,) = struct.unpack(">H", jpeg_lossless[dht + 2 : dht + 4])
    without_dht = jpeg_lossless[:dht] + jpeg_lossless[dht + 2 + length :]
    assert jpeg_header_problem(without_dht) == "no Huffman table (DHT) before the first scan"
    sos = jpeg_lossless.index(b"\xff\xda")
    assert jpeg_header_problem(jpeg_lossless[:sos]) == "no start of scan (SOS) marker in its header"


def test_inflated_segment_length_is_named(jpeg_lossless):
    sof = jpeg_lossless.index(b"\xff\xc3")
    damaged = jpeg_lossless[: sof + 2] + b"\xff\xf0" + jpeg_lossless[sof + 4 :]

    assert jpeg_header_problem(damaged[:200]) == (
        f"marker segment 0xC3 at byte {sof} has an impossible length of {0xFFF0}"
    )
