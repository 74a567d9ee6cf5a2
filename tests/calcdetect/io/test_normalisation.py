"""Stored values to denser = brighter: each rule on a small image with a known answer."""

from __future__ import annotations

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from calcdetect.dicom.normalise import normalise_pixels, percentile_window
from calcdetect.io import display_window, read_mammogram
from calcdetect.results import Mammogram

MG_FOR_PROCESSING = "1.2.840.10008.5.1.4.1.1.1.2.1"


def _steps(m: Mammogram) -> tuple[str, ...]:
    """Transforms after the unused-bit masking every 12/14-bit-in-16 image gets."""
    assert m.transforms[:1] == ("mask_unused_bits",)
    return m.transforms[1:]


def test_monochrome2_is_kept(make_dataset, ramp, write_dicom):
    pixels = ramp()
    m = read_mammogram(write_dicom(make_dataset(pixels)))
    np.testing.assert_array_equal(m.pixels, pixels)
    assert _steps(m) == ()
    assert m.photometric_interpretation == "MONOCHROME2"


def test_monochrome1_ramp_comes_back_reversed(make_dataset, write_dicom):
    ramp = np.tile(np.arange(48, dtype=np.uint16) * 80, (64, 1))  # 0..3760, rising to the right
    m = read_mammogram(write_dicom(make_dataset(ramp, photometric="MONOCHROME1")))

    np.testing.assert_array_equal(m.pixels, 4095 - ramp)  # inverted over the 12-bit range
    assert np.all(np.diff(m.pixels, axis=1) < 0)
    assert _steps(m) == ("invert",)


@pytest.mark.parametrize(
    ("photometric", "shape", "inverted"),
    [
        ("MONOCHROME2", "IDENTITY", False),
        ("MONOCHROME2", "INVERSE", True),
        ("MONOCHROME1", "INVERSE", True),  # the MG IOD pairs these: one inversion
        ("MONOCHROME1", "IDENTITY", True),
    ],
)
def test_presentation_lut_shape(make_dataset, ramp, write_dicom, photometric, shape, inverted):
    pixels = ramp()
    ds = make_dataset(pixels, photometric=photometric, PresentationLUTShape=shape)
    m = read_mammogram(write_dicom(ds))
    np.testing.assert_array_equal(m.pixels, 4095 - pixels if inverted else pixels)


def test_rescale_slope_and_intercept(make_dataset, ramp, write_dicom):
    pixels = ramp(bits_stored=12)
    ds = make_dataset(pixels, RescaleSlope=0.5, RescaleIntercept=-100)
    m = read_mammogram(write_dicom(ds))
    np.testing.assert_allclose(m.pixels, pixels * 0.5 - 100, rtol=0, atol=1e-3)
    assert _steps(m) == ("rescale",)


def test_rescale_then_monochrome1_inverts_over_rescaled_range(make_dataset, write_dicom):
    pixels = np.full((64, 48), 1000, dtype=np.uint16)
    pixels[:, :24] = 3000
    ds = make_dataset(pixels, photometric="MONOCHROME1", RescaleSlope=2, RescaleIntercept=10)
    m = read_mammogram(write_dicom(ds))
    # rescaled range [10, 8200]; value v -> 8210 - v
    assert m.pixels[0, 0] == 8210 - 6010 and m.pixels[0, -1] == 8210 - 2010
    assert _steps(m) == ("rescale", "invert")


def test_unused_high_bits_are_masked(make_dataset, ramp, write_dicom):
    pixels = ramp(bits_stored=12)
    ds = make_dataset(pixels)
    garbage = pixels.astype(np.uint16) | np.uint16(0xA000)  # overlay bits above bit 11
    ds.PixelData = garbage.astype("<u2").tobytes()
    m = read_mammogram(write_dicom(ds))
    np.testing.assert_array_equal(m.pixels, pixels)
    assert m.transforms[0] == "mask_unused_bits"


def test_signed_pixels_with_unused_bits_are_sign_extended(make_dataset, write_dicom):
    values = np.array([-2048, -1, 0, 2047], dtype=np.int16)
    pixels = np.resize(values, (64, 48))
    ds = make_dataset(pixels, bits_stored=12, signed=True)
    raw = (pixels.astype(np.int32) & 0x0FFF).astype("<u2")  # 12-bit two's complement, high bits 0
    ds.PixelData = raw.tobytes()
    m = read_mammogram(write_dicom(ds))
    np.testing.assert_array_equal(m.pixels, pixels)


def test_modality_lut_sequence_replaces_rescale(make_dataset, write_dicom):
    pixels = np.resize(np.arange(4, dtype=np.uint16), (64, 48))
    item = Dataset()
    item.LUTDescriptor = [4, 0, 16]
    item.ModalityLUTType = "US"
    item.LUTData = np.array([100, 200, 400, 800], dtype="<u2").tobytes()
    ds = make_dataset(pixels, ModalityLUTSequence=Sequence([item]))
    m = read_mammogram(write_dicom(ds))
    np.testing.assert_array_equal(m.pixels, np.resize([100, 200, 400, 800], (64, 48)))
    assert _steps(m) == ("modality_lut",)


@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_for_processing_gets_log_and_dense_becomes_bright(make_dataset, write_dicom, photometric):
    exposure = np.tile(np.array([0, 10, 100, 1000, 16383], dtype=np.uint16), (64, 10))[:, :48]
    ds = make_dataset(
        exposure, bits_stored=14, photometric=photometric, sop_class=MG_FOR_PROCESSING
    )
    m = read_mammogram(write_dicom(ds))

    assert m.presentation_intent == "FOR PROCESSING"
    assert _steps(m) == ("log",)
    expected = np.log(16384.0) - np.log1p(exposure.astype(np.float64))
    np.testing.assert_allclose(m.pixels, expected, rtol=1e-5, atol=1e-5)
    # less exposure (more tissue) -> brighter; full exposure (air) -> 0
    assert m.pixels[0, 0] > m.pixels[0, 1] > m.pixels[0, 2] > m.pixels[0, 3] > m.pixels[0, 4] == 0


def test_for_processing_from_sop_class_when_intent_missing(make_dataset, ramp, write_dicom):
    ds = make_dataset(ramp(), sop_class=MG_FOR_PROCESSING, PresentationIntentType=None)
    m = read_mammogram(write_dicom(ds))
    assert m.presentation_intent == "FOR PROCESSING" and _steps(m) == ("log",)


def test_voi_window_kept_for_display_not_applied(make_dataset, ramp, write_dicom):
    pixels = ramp()
    ds = make_dataset(pixels, WindowCenter=2000, WindowWidth=1001)
    m = read_mammogram(write_dicom(ds))

    np.testing.assert_array_equal(m.pixels, pixels)  # not windowed
    assert m.voi_lut_function == "LINEAR"
    # LINEAR ramp from c - 0.5 - (w-1)/2 to c - 0.5 + (w-1)/2
    assert display_window(m) == pytest.approx((1499.5, 2499.5))


def test_voi_window_follows_the_inversion(make_dataset, ramp, write_dicom):
    ds = make_dataset(
        ramp(), photometric="MONOCHROME1", WindowCenter=1000, WindowWidth=400,
        VOILUTFunction="LINEAR_EXACT",
    )
    m = read_mammogram(write_dicom(ds))
    assert m.voi_window == pytest.approx((3095.0, 400.0))
    assert display_window(m) == pytest.approx((2895.0, 3295.0))


def test_sigmoid_voi_is_approximated_by_its_central_slope(make_dataset, ramp, write_dicom):
    ds = make_dataset(ramp(), WindowCenter=[2000, 1000], WindowWidth=[800, 100], VOILUTFunction="SIGMOID")
    m = read_mammogram(write_dicom(ds))
    assert m.voi_lut_function == "SIGMOID"
    assert display_window(m) == pytest.approx((1600.0, 2400.0))  # first window only


def test_voi_lut_sequence_gives_the_range_where_it_rises(make_dataset, ramp, write_dicom):
    item = Dataset()
    lut = np.concatenate([np.zeros(100), np.linspace(0, 255, 201), np.full(100, 255)])
    item.LUTDescriptor = [lut.size, 1000, 8]
    item.LUTData = lut.astype("<u2").tobytes()
    ds = make_dataset(ramp(), VOILUTSequence=Sequence([item]))
    m = read_mammogram(write_dicom(ds))
    assert m.voi_lut_function == "LUT"
    # entries 0..100 are 0 (the ramp starts at 0), 300.. are 255: inputs 1100..1300
    assert display_window(m) == pytest.approx((1100.0, 1300.0))


def test_no_voi_gives_percentiles_of_the_breast_not_the_background():
    pixels = np.zeros((200, 100), dtype=np.float32)  # flat background (air)
    rng = np.random.default_rng(0)
    pixels[:, 40:] = rng.uniform(1000, 2000, (200, 60))  # "breast"
    m = Mammogram(pixels=pixels, spacing_mm=(0.1, 0.1))

    low, high = display_window(m)

    assert 1000 <= low < 1020 and 1980 < high <= 2000


def test_percentile_window_of_a_constant_image_is_not_empty():
    low, high = percentile_window(np.full((10, 10), 7.0, dtype=np.float32))
    assert low == 7.0 and high > low


def test_normalise_pixels_pure_example():
    ramp = np.arange(4, dtype=np.uint16).reshape(1, 4)
    pixels, transforms, _ = normalise_pixels(
        ramp, bits_stored=2, signed=False, photometric="MONOCHROME1"
    )
    np.testing.assert_array_equal(pixels, [[3, 2, 1, 0]])
    assert pixels.dtype == np.float32 and transforms == ("invert",)
