"""Every bad input gives its own domain error (code + message), never a raw exception."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydicom import uid
from pydicom.encaps import encapsulate, get_frame
from pydicom.fileset import FileSet

from calcdetect.errors import ERROR_CODES, CalcdetectError
from calcdetect.io import is_dicom_file, read_mammogram


def _raises(path, code: str, match: str = "", **kwargs) -> CalcdetectError:
    with pytest.raises(CalcdetectError, match=match) as info:
        read_mammogram(path, **kwargs)
    assert info.value.code == code, str(info.value)
    assert code in ERROR_CODES
    assert str(path) in info.value.message  # the message names the file
    return info.value


def test_missing_path_and_directory_are_unreadable(tmp_path):
    _raises(tmp_path / "nothing.dcm", "unreadable", "not found")
    _raises(tmp_path, "unreadable", "not a regular file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    _raises(path, "empty_file", "empty")


@pytest.mark.parametrize(
    "content",
    [b"PatientID,flag\n1,positive\n", b"\x89PNG\r\n\x1a\n" + bytes(200), bytes(100)],
    ids=["csv", "png", "zeros"],
)
def test_not_dicom(tmp_path, content):
    path = tmp_path / "file.dcm"
    path.write_bytes(content)
    assert not is_dicom_file(path)
    _raises(path, "not_dicom", "not a DICOM file")


def test_is_dicom_file(make_dataset, write_dicom, tmp_path):
    assert is_dicom_file(write_dicom(make_dataset()))
    assert not is_dicom_file(tmp_path)
    assert not is_dicom_file(tmp_path / "missing")
    # preamble-less, explicit VR: (0008,0005) CS
    path = tmp_path / "raw"
    path.write_bytes(struct.pack("<HH", 0x0008, 0x0005) + b"CS" + struct.pack("<H", 10) + b"ISO_IR 100")
    assert is_dicom_file(path)
    path.write_bytes(struct.pack("<HH", 0x0010, 0x0010) + b"PN" + bytes(10))  # group 0010 first
    assert not is_dicom_file(path)


def _cut(path: Path, n_bytes: int) -> Path:
    out = path.with_name(f"cut{n_bytes}-{path.name}")
    out.write_bytes(path.read_bytes()[:n_bytes])
    return out


@pytest.mark.parametrize("syntax", [uid.ExplicitVRLittleEndian, uid.JPEG2000Lossless, uid.RLELossless])
@pytest.mark.parametrize("keep", [0.3, 0.9, 0.999])
def test_truncated_files(make_dataset, ramp, write_dicom, syntax, keep):
    ds = make_dataset(ramp(rows=200, cols=150))
    if syntax != uid.ExplicitVRLittleEndian:
        ds.compress(syntax)
    path = write_dicom(ds)
    size = path.stat().st_size
    _raises(_cut(path, int(size * keep)), "truncated", "cut short|truncated")


def test_file_cut_inside_the_header_is_truncated(make_dataset, write_dicom):
    path = write_dicom(make_dataset())
    _raises(_cut(path, 300), "truncated")


def test_every_truncation_point_gives_a_domain_error(make_dataset, ramp, write_dicom):
    """No cut position may escape as a raw pydicom/numpy exception."""
    ds = make_dataset(ramp(rows=40, cols=30))
    ds.compress(uid.JPEGLSLossless)
    path = write_dicom(ds)
    data = path.read_bytes()
    for n_bytes in range(1, len(data), 37):
        cut = _cut(path, n_bytes)
        with pytest.raises(CalcdetectError):
            read_mammogram(cut)
        cut.unlink()


@pytest.mark.parametrize("syntax", [uid.JPEG2000Lossless, uid.JPEGLSLossless, uid.ExplicitVRLittleEndian])
def test_garbled_bytes_give_domain_errors_only(make_dataset, ramp, write_dicom, syntax):
    ds = make_dataset(ramp())
    if syntax != uid.ExplicitVRLittleEndian:
        ds.compress(syntax)
    path = write_dicom(ds)
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(7)
    for trial in range(40):
        garbled = bytearray(data)
        positions = rng.integers(132, len(data), 4)
        garbled[positions[0] : positions[0] + 4] = rng.integers(0, 256, 4).astype(np.uint8).tobytes()
        for p in positions[1:]:
            garbled[p] = int(rng.integers(0, 256))
        target = path.with_name(f"garbled{trial}.dcm")
        target.write_bytes(bytes(garbled))
        try:
            m = read_mammogram(target)
        except CalcdetectError:
            continue
        assert m.pixels.ndim == 2 and m.pixels.dtype == np.float32  # read despite damage


def test_dicomdir(make_dataset, ramp, tmp_path):
    fs = FileSet()
    fs.add(make_dataset(ramp(), PatientName="Test^Patient", StudyDate="20240101",
                        StudyTime="120000", StudyID="1", AccessionNumber="1", SeriesNumber=1,
                        InstanceNumber=1))
    fs.write(tmp_path / "media")
    _raises(tmp_path / "media" / "DICOMDIR", "dicomdir", "DICOMDIR")


@pytest.mark.parametrize(
    ("sop_class", "modality", "match"),
    [
        ("1.2.840.10008.5.1.4.1.1.88.22", "SR", "Enhanced SR"),
        ("1.2.840.10008.5.1.4.1.1.88.50", "SR", "Mammography CAD SR"),
        ("1.2.840.10008.5.1.4.1.1.11.1", "PR", "Presentation State"),
        ("1.2.840.10008.5.1.4.1.1.88.59", "KO", "Key Object"),
        ("1.2.840.10008.5.1.4.1.1.104.1", "DOC", "PDF"),
        ("1.2.826.0.1.3680043.99.1", "PR", "modality PR"),  # unknown private SOP class
    ],
)
def test_non_image_objects(make_dataset, write_dicom, sop_class, modality, match):
    ds = make_dataset(sop_class=sop_class, modality=modality)
    for keyword in ("PixelData", "Rows", "Columns", "BitsAllocated"):
        delattr(ds, keyword)
    _raises(write_dicom(ds), "non_image", match)


def test_multiframe(make_dataset, ramp, write_dicom):
    frames = np.stack([ramp(), ramp()])
    ds = make_dataset(ramp(), NumberOfFrames=2)
    ds.PixelData = frames.astype("<u2").tobytes()
    _raises(write_dicom(ds), "multiframe", "2 frames")


def test_tomosynthesis_is_refused_with_the_reason(make_dataset, write_dicom):
    ds = make_dataset(sop_class="1.2.840.10008.5.1.4.1.1.13.1.3", NumberOfFrames=1)
    _raises(write_dicom(ds), "multiframe", "tomosynthesis")


def test_missing_pixel_data(make_dataset, write_dicom):
    ds = make_dataset()
    del ds.PixelData
    _raises(write_dicom(ds), "no_pixel_data", "no Pixel Data")


def test_pixel_data_shorter_than_the_header_says(make_dataset, ramp, write_dicom):
    ds = make_dataset(ramp())
    ds.PixelData = ds.PixelData[: len(ds.PixelData) // 2]
    _raises(write_dicom(ds), "pixel_data_short", "holds 3,072 bytes")


def test_too_large_is_refused_before_decoding(make_dataset, write_dicom):
    # The header claims 20000 x 20000 but the file holds 64 x 48 pixels: had the
    # reader looked at the pixel data first, it would report pixel_data_short.
    ds = make_dataset(Rows=20000, Columns=20000)
    _raises(write_dicom(ds), "too_large", "400,000,000 pixels")
    small = make_dataset()
    _raises(write_dicom(small), "too_large", "3,072 pixels", max_pixels=1000)


def test_codestream_larger_than_the_header_is_refused_before_decoding(make_dataset, ramp, write_dicom):
    ds = make_dataset(ramp())
    ds.compress(uid.JPEG2000Lossless)
    ds.Rows, ds.Columns = 32, 24  # header now says 768 pixels; the codestream still 3072
    _raises(write_dicom(ds), "too_large", "codestream declares 64 x 48", max_pixels=1000)
    _raises(write_dicom(ds), "decode_failed", "header says 32 x 24")


def _garbage_codestream(ds, keep_bytes: int, seed: int) -> None:
    frame = get_frame(ds.PixelData, 0, number_of_frames=1)
    rng = np.random.default_rng(seed)
    new = frame[:keep_bytes] + rng.integers(0, 256, len(frame) - keep_bytes).astype(np.uint8).tobytes()
    ds.PixelData = encapsulate([new + b"\0" * (len(new) % 2)])


@pytest.mark.parametrize("seed", [1, 3])
def test_undecodable_jpeg2000_is_a_decode_error_not_a_crash(make_dataset, ramp, write_dicom, seed):
    """Run in a child process: python-gdcm 3.2.6 aborts the process on this data."""
    ds = make_dataset(ramp())
    ds.compress(uid.JPEG2000Lossless)
    _garbage_codestream(ds, 40, seed)
    path = write_dicom(ds)
    code = (
        "import sys\n"
        "from calcdetect.io import read_mammogram\n"
        "from calcdetect.errors import CalcdetectError\n"
        "try:\n    read_mammogram(sys.argv[1])\n"
        "except CalcdetectError as e:\n    print('CODE', e.code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "CODE decode_failed" in done.stdout


@pytest.mark.parametrize("syntax", [uid.JPEGLSLossless, uid.RLELossless])
def test_undecodable_compressed_data(make_dataset, ramp, write_dicom, syntax):
    ds = make_dataset(ramp())
    ds.compress(syntax)
    frame = get_frame(ds.PixelData, 0, number_of_frames=1)
    # JPEG-LS: a marker segment in place of the scan header; RLE: a header
    # whose segment offsets point outside the data.
    broken = frame[:30] + b"\xff\xd9" * 20 if syntax == uid.JPEGLSLossless else (
        struct.pack("<16I", 1, 10**6, *([0] * 14)) + frame[64:]
    )
    ds.PixelData = encapsulate([broken + b"\0" * (len(broken) % 2)])
    _raises(write_dicom(ds), "decode_failed", "cannot be decoded")


@pytest.mark.parametrize("syntax", [uid.JPEGLSLossless, uid.JPEGLosslessSV1])
def test_jpeg_codestream_without_end_marker_is_refused(make_dataset, ramp, write_dicom, tmp_path, syntax):
    """Lenient decoders fill a cut scan with zeros; the reader must not return that image."""
    ds = make_dataset(ramp())
    if syntax == uid.JPEGLSLossless:
        ds.compress(syntax)
    else:
        ds.PixelData = encapsulate([bytes.fromhex("ffd8ffc3000b0c00400030010111") + bytes(1000)])
        ds.file_meta.TransferSyntaxUID = syntax
    frame = get_frame(ds.PixelData, 0, number_of_frames=1)
    half = frame[: len(frame) // 2]
    ds.PixelData = encapsulate([half + b"\0" * (len(half) % 2)])
    _raises(write_dicom(ds), "decode_failed", "incomplete")


def test_colour_image_is_refused(make_dataset, write_dicom):
    ds = make_dataset(bits_stored=8)
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.PixelData = bytes(64 * 48 * 3)
    _raises(write_dicom(ds), "invalid_header", "greyscale")


def test_unreadable_header_value(make_dataset, write_dicom):
    ds = make_dataset()
    ds.add_new(0x00280010, "US", 64)  # Rows
    path = write_dicom(ds)
    data = bytearray(path.read_bytes())
    data[data.find(b"\x28\x00\x10\x00US") + 6 : data.find(b"\x28\x00\x10\x00US") + 8] = b"\x04\x00"
    # Rows now claims a 4-byte value inside a 2-byte US: the rest of the header shifts
    path.write_bytes(bytes(data))
    with pytest.raises(CalcdetectError):
        read_mammogram(path)


def test_error_codes_are_registered():
    for code in ("unreadable", "empty_file", "not_dicom", "truncated", "dicomdir", "non_image",
                 "not_mammogram", "multiframe", "no_pixel_data", "pixel_data_short", "too_large",
                 "decode_failed", "no_spacing", "invalid_header"):
        assert ERROR_CODES[code].code == code
