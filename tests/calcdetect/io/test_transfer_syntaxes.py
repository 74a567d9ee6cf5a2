"""Every transfer syntax the reader claims, on real files encoded in the test.

pydicom's own encoders make RLE, JPEG-LS and JPEG 2000; python-gdcm makes
JPEG baseline and JPEG lossless (pydicom cannot encode those); deflate and the
native syntaxes come from pydicom's writer.  Decoded pixels are compared with
the original array: exactly for lossless syntaxes, within the codec's bound
for lossy ones.
"""

from __future__ import annotations

import gdcm
import numpy as np
import pydicom
import pytest
from pydicom import uid

from calcdetect.io import read_mammogram


@pytest.mark.parametrize(
    ("syntax", "save_kwargs"),
    [
        (uid.ExplicitVRLittleEndian, {}),
        (uid.ImplicitVRLittleEndian, {}),
        (uid.DeflatedExplicitVRLittleEndian, {}),
    ],
    ids=["explicit-le", "implicit-le", "deflated"],
)
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_native_syntaxes_are_exact(make_dataset, ramp, write_dicom, syntax, save_kwargs, signed):
    pixels = ramp(bits_stored=14, signed=signed, rows=300, cols=250)  # > defer size
    ds = make_dataset(pixels, bits_stored=14, signed=signed, transfer_syntax=syntax)
    path = write_dicom(ds, **save_kwargs)
    assert pydicom.dcmread(path).file_meta.TransferSyntaxUID == syntax

    m = read_mammogram(path)

    assert m.transfer_syntax_uid == syntax
    assert m.pixels.dtype == np.float32
    np.testing.assert_array_equal(m.pixels, pixels)


def test_explicit_big_endian_is_exact(make_dataset, ramp, write_dicom):
    pixels = ramp(bits_stored=12)
    ds = make_dataset(pixels, transfer_syntax=uid.ExplicitVRBigEndian)
    ds.PixelData = pixels.astype(">u2").tobytes()
    path = write_dicom(ds, implicit_vr=False, little_endian=False)

    np.testing.assert_array_equal(read_mammogram(path).pixels, pixels)


def test_file_without_preamble_or_meta_is_read(make_dataset, ramp, tmp_path):
    pixels = ramp(bits_stored=12)
    ds = make_dataset(pixels)
    del ds.file_meta
    path = tmp_path / "nopreamble"
    pydicom.dcmwrite(path, ds, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert path.read_bytes()[:2] == b"\x08\x00"  # starts straight with group 0008

    m = read_mammogram(path)

    assert m.transfer_syntax_uid == uid.ImplicitVRLittleEndian
    np.testing.assert_array_equal(m.pixels, pixels)


LOSSLESS = [
    (uid.RLELossless, {}),
    (uid.JPEGLSLossless, {}),
    (uid.JPEG2000Lossless, {}),
]


@pytest.mark.parametrize(("syntax", "kwargs"), LOSSLESS, ids=["rle", "jpeg-ls", "j2k-lossless"])
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_pydicom_encoded_lossless_syntaxes_are_exact(
    make_dataset, ramp, write_dicom, syntax, kwargs, signed
):
    pixels = ramp(bits_stored=12, signed=signed)
    ds = make_dataset(pixels, bits_stored=12, signed=signed)
    ds.compress(syntax, **kwargs)
    path = write_dicom(ds)

    m = read_mammogram(path)

    assert m.transfer_syntax_uid == syntax
    np.testing.assert_array_equal(m.pixels, pixels)


def test_jpeg_ls_near_lossless_within_its_error_bound(make_dataset, ramp, write_dicom):
    pixels = ramp(bits_stored=12)
    ds = make_dataset(pixels)
    ds.compress(uid.JPEGLSNearLossless, jls_error=3)
    m = read_mammogram(write_dicom(ds))

    assert m.transfer_syntax_uid == uid.JPEGLSNearLossless
    assert np.abs(m.pixels - pixels).max() <= 3  # the codec's guaranteed bound


def test_jpeg2000_lossy_close_to_original(make_dataset, ramp, write_dicom):
    pixels = ramp(bits_stored=12)
    ds = make_dataset(pixels)
    ds.compress(uid.JPEG2000, j2k_psnr=[55])
    m = read_mammogram(write_dicom(ds))

    assert m.transfer_syntax_uid == uid.JPEG2000
    error = m.pixels - pixels
    rmse = float(np.sqrt(np.mean(error**2)))
    # 55 dB PSNR on a 12-bit peak of 4095 allows an RMSE of about 7.3.
    assert rmse < 4095 * 10 ** (-50 / 20)
    assert np.corrcoef(m.pixels.ravel(), pixels.ravel())[0, 1] > 0.999


@pytest.mark.parametrize(
    "gdcm_syntax",
    ["JPEGLosslessProcess14_1", "JPEGLosslessProcess14"],
    ids=["jpeg-lossless-sv1", "jpeg-lossless-p14"],
)
def test_jpeg_lossless_made_by_gdcm_is_exact(make_dataset, ramp, write_dicom, tmp_path, gdcm_syntax, gdcm_transcode):
    pixels = ramp(bits_stored=12)
    source = write_dicom(make_dataset(pixels))
    target = tmp_path / "jpeg-lossless.dcm"
    gdcm_transcode(source, target, getattr(gdcm.TransferSyntax, gdcm_syntax))
    expected_uid = {
        "JPEGLosslessProcess14_1": uid.JPEGLosslessSV1,
        "JPEGLosslessProcess14": uid.JPEGLossless,
    }[gdcm_syntax]

    m = read_mammogram(target)

    assert m.transfer_syntax_uid == expected_uid
    np.testing.assert_array_equal(m.pixels, pixels)


def test_jpeg_baseline_8bit_made_by_gdcm_close_to_original(make_dataset, ramp, write_dicom, tmp_path, gdcm_transcode):
    pixels = ramp(bits_stored=8)
    source = write_dicom(make_dataset(pixels, bits_stored=8))
    target = tmp_path / "jpeg-baseline.dcm"
    gdcm_transcode(source, target, gdcm.TransferSyntax.JPEGBaselineProcess1)

    m = read_mammogram(target)

    assert m.transfer_syntax_uid == uid.JPEGBaseline8Bit
    error = np.abs(m.pixels - pixels)
    assert error.mean() < 3 and error.max() <= 32
    assert np.corrcoef(m.pixels.ravel(), pixels.ravel())[0, 1] > 0.99


def test_monochrome1_compressed_is_inverted_after_decoding(make_dataset, ramp, write_dicom):
    pixels = ramp(bits_stored=12)
    ds = make_dataset(pixels, photometric="MONOCHROME1")
    ds.compress(uid.JPEG2000Lossless)
    m = read_mammogram(write_dicom(ds))

    np.testing.assert_array_equal(m.pixels, 4095 - pixels)
    assert m.transforms == ("invert",)  # J2K precision 12: no bit masking step
