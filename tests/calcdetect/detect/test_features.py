"""Candidate features do not depend on the grey scale: what lets one model serve every vendor."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.config import DetectorConfig
from calcdetect.detector.features import FEATURE_NAMES, MAY_BE_MISSING, MIN_BACKGROUND_SAMPLES, background_scales
from calcdetect.detector.pipeline import analyse_candidates, detect, treated_as_film
from calcdetect.phantom.presentation import enhance


def _image(scene):
    s = scene(discs=[(20.0, 20.0, 0.3, 60.0), (22.0, 23.0, 0.25, 50.0), (18.0, 24.0, 0.4, 70.0)],
              lines=[(5.0, 5.0, 35.0, 12.0, 0.6, 25.0)], background_cols_mm=3.0, seed=4)
    return s.render(0.1)


@pytest.mark.parametrize("gain, offset", [(3.0, 0.0), (0.05, 500.0), (12.0, -3000.0)])
def test_an_affine_grey_scale_leaves_candidates_and_features_unchanged(scene, config, gain, offset):
    image = _image(scene)
    a = analyse_candidates(image, spacing_mm=(0.1, 0.1), config=config)
    b = analyse_candidates(gain * image.astype(np.float64) + offset, spacing_mm=(0.1, 0.1), config=config)
    assert len(a.peaks) > 3
    # the same candidates (float rounding may only reorder ties or move one across the threshold)
    key_a = {(r, c): i for i, (r, c) in enumerate(zip(a.peaks.row_px.tolist(), a.peaks.col_px.tolist()))}
    key_b = {(r, c): i for i, (r, c) in enumerate(zip(b.peaks.row_px.tolist(), b.peaks.col_px.tolist()))}
    common = sorted(set(key_a) & set(key_b))
    assert len(common) >= 0.98 * max(len(key_a), len(key_b))
    ia, ib = [key_a[k] for k in common], [key_b[k] for k in common]
    fa, fb = a.features.matrix[ia].copy(), b.features.matrix[ib].copy()
    # the vessel-scale anisotropy is a ratio of the two curvatures; where the larger is a few
    # hundredths of the noise (a noise peak off any vessel) it is not measured, and the float32
    # rounding of the transformed image moves it (by 0.06 at one such peak)
    unmeasured = np.abs(fa[:, FEATURE_NAMES.index("vessel_ridge")]) < 0.1
    fb[unmeasured, FEATURE_NAMES.index("vessel_anisotropy")] = fa[unmeasured, FEATURE_NAMES.index("vessel_anisotropy")]
    assert np.count_nonzero(unmeasured) < 0.2 * len(common)
    relative = [FEATURE_NAMES.index(name) for name in ("tophat_rel", "mid_ratio_rel", "vessel_ridge_rel")]
    absolute = [j for j in range(len(FEATURE_NAMES)) if j not in relative]
    np.testing.assert_allclose(fb[:, absolute], fa[:, absolute], rtol=1e-2, atol=3e-2)  # float32: a noise bin may move
    # over the background's median: on this flat scene |vessel_ridge| there is a few hundredths, so the
    # rounding above moves the ratio by up to about 4 %
    assert np.isfinite(fa[:, relative]).all()
    np.testing.assert_allclose(fb[:, relative], fa[:, relative], rtol=5e-2, atol=3e-2)
    assert a.features.matrix.shape[1] == len(FEATURE_NAMES)


def test_the_inserted_calcifications_are_candidates_with_a_high_snr(scene, config):
    image = _image(scene)
    a = analyse_candidates(image, spacing_mm=(0.1, 0.1), config=config)
    for y, x in [(20.0, 20.0), (22.0, 23.0), (18.0, 24.0)]:
        d = np.hypot(a.peaks.row_px * 0.1 - y, a.peaks.col_px * 0.1 - x)
        assert d.min() <= 0.2, (y, x)
        assert a.peaks.snr[d.argmin()] > 8.0


def test_a_feature_that_is_not_finite_is_said_and_bounded(caplog):
    from calcdetect.detector.features import _finite_float32

    raw = np.array([[1.0, np.inf] + [0.5] * (len(FEATURE_NAMES) - 2),
                    [2.0, 1e300] + [0.5] * (len(FEATURE_NAMES) - 2),
                    [np.nan, 3.0] + [0.5] * (len(FEATURE_NAMES) - 2)])
    with caplog.at_level("WARNING"):
        out = _finite_float32(raw)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert out[0, 1] == np.finfo(np.float32).max and out[1, 1] == np.finfo(np.float32).max
    assert "3 candidate feature values were not finite" in caplog.text
    assert FEATURE_NAMES[0] in caplog.text and FEATURE_NAMES[1] in caplog.text


def test_finite_features_pass_without_a_warning(caplog):
    from calcdetect.detector.features import _finite_float32

    raw = np.random.default_rng(0).normal(size=(5, len(FEATURE_NAMES)))
    with caplog.at_level("WARNING"):
        out = _finite_float32(raw)
    np.testing.assert_array_equal(out, raw.astype(np.float32))
    assert caplog.text == ""


@pytest.mark.parametrize("family", ["auto", "film", "digital"])
@pytest.mark.parametrize("header_says_film", [False, True])
def test_the_film_feature_is_what_the_header_or_the_configuration_says(scene, config, family, header_says_film):
    cfg = DetectorConfig.from_dict({**config.to_dict(), "image_family": family})
    film = family == "film" or (family == "auto" and header_says_film)
    assert treated_as_film(header_says_film, cfg) is film
    image = _image(scene)
    a = analyse_candidates(image, spacing_mm=(0.1, 0.1), config=cfg, digitised_film=header_says_film)
    column = a.features.column("digitised_film")
    assert len(column) > 3 and (column == float(film)).all()
    assert detect(image, spacing_mm=(0.1, 0.1), config=cfg, digitised_film=header_says_film).digitised_film is film


def _angle_gap_deg(a: float, b: float) -> float:
    """Distance between two axis directions (modulo 180 degrees)."""
    return abs((a - b + 90.0) % 180.0 - 90.0)


@pytest.mark.parametrize("angle_deg", [0.0, 30.0, 90.0, -60.0])
def test_an_elongated_calcification_is_measured_along_its_long_axis(scene, config, angle_deg):
    """``orientation_deg`` is the long axis from x (columns) towards y (rows, down), as the docs say."""
    y, x, half = 20.0, 20.0, 0.45
    dy, dx = half * np.sin(np.radians(angle_deg)), half * np.cos(np.radians(angle_deg))
    image = scene(lines=[(y - dy, x - dx, y + dy, x + dx, 0.15, 120.0)], background_cols_mm=3.0, seed=7).render(0.05)
    a = analyse_candidates(image, spacing_mm=(0.05, 0.05), config=config)
    i = int(np.argmin(np.hypot(a.peaks.row_px * 0.05 - y, a.peaks.col_px * 0.05 - x)))
    assert np.hypot(a.peaks.row_px[i] * 0.05 - y, a.peaks.col_px[i] * 0.05 - x) < 0.3
    assert a.features.elongation[i] > 1.5
    assert _angle_gap_deg(float(a.features.orientation_deg[i]), angle_deg) < 15.0
    # and the detector's calcification carries it
    result = detect(image, spacing_mm=(0.05, 0.05), config=config.replace(accept_probability=0.0))
    (calc,) = [c for c in result.calcifications if (c.row_px, c.col_px) == (a.peaks.row_px[i], a.peaks.col_px[i])]
    assert calc.orientation_deg == pytest.approx(float(a.features.orientation_deg[i]))


RELATIVE = {"tophat_rel": "tophat_snr", "mid_ratio_rel": "mid_ratio", "vessel_ridge_rel": "vessel_ridge"}


def test_each_relative_feature_is_its_measurement_over_one_scale_read_from_the_image(scene, config):
    """One reference per image and feature: the ratio of a measurement to its relative form is the same
    for every candidate of an image, and a processing that lifts the fine band changes it."""
    image = _image(scene)
    processed = enhance(image, spacing_mm=0.1, recipe="usm")
    scales = []
    for pixels in (image, processed):
        a = analyse_candidates(pixels, spacing_mm=(0.1, 0.1), config=config)
        per_image = {}
        for rel, absolute in RELATIVE.items():
            measured, relative = a.features.column(absolute).astype(np.float64), a.features.column(rel)
            keep = np.abs(measured) > 1e-3  # a ratio of float32 roundings where the measurement is 0
            ratio = measured[keep] / relative[keep]
            assert keep.sum() > 3 and np.all(ratio > 0)
            np.testing.assert_allclose(ratio, np.median(ratio), rtol=1e-3)
            per_image[rel] = float(np.median(ratio))
        scales.append(per_image)
    assert all(abs(scales[1][rel] / scales[0][rel] - 1.0) > 0.02 for rel in RELATIVE)


def test_relative_features_are_missing_where_too_few_random_positions_fall_in_the_breast(scene, config, monkeypatch):
    import calcdetect.detector.pipeline as pipeline

    image = _image(scene)
    full = analyse_candidates(image, spacing_mm=(0.1, 0.1), config=config)
    draw = pipeline.random_search_positions
    monkeypatch.setattr(pipeline, "random_search_positions",
                        lambda shape, valid, n: draw(shape, valid, MIN_BACKGROUND_SAMPLES - 1))
    few = analyse_candidates(image, spacing_mm=(0.1, 0.1), config=config)
    relative = [FEATURE_NAMES.index(name) for name in RELATIVE]
    assert np.isfinite(full.features.matrix[:, relative]).all()
    assert np.isnan(few.features.matrix[:, relative]).all()
    others = [j for j in range(len(FEATURE_NAMES)) if j not in relative]
    np.testing.assert_array_equal(few.features.matrix[:, others], full.features.matrix[:, others])
    assert {"tophat_rel", "mid_ratio_rel", "vessel_ridge_rel"} <= MAY_BE_MISSING


def test_background_scales_are_unusable_without_enough_positions_or_with_a_zero_scale():
    ones = np.ones(MIN_BACKGROUND_SAMPLES)
    assert background_scales(ones, ones, ones, ones).usable
    assert not background_scales(ones[1:], ones[1:], ones[1:], ones[1:]).usable
    assert not background_scales(ones, ones, ones, 0 * ones).usable  # no curvature anywhere: no scale
    assert not background_scales(*(np.zeros(0),) * 4).usable
