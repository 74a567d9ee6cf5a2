"""The shortcuts of :mod:`calcdetect.detector.lines` give exactly what the plain computation gives."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.detector import lines

from .conftest import textured_tissue


@pytest.mark.parametrize("n", [1, 2, 3, 14, 15])
def test_median_last_is_np_median_to_the_bit(n):
    x = np.round(np.random.default_rng(n).normal(0.0, 2.0, (40, 6, n))).astype(np.float32)  # ties
    x[0, 0, 0] = np.nan
    x[1, 1] = -0.0
    x[2, 2, ::2] = -0.0
    x[2, 2, 1::2] = 0.0
    expected, got = np.median(x, axis=-1), lines._median_last(x)
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.array_equal(np.signbit(got), np.signbit(expected))


def _null_rays(image, follow, t, n=60):
    rng = np.random.default_rng(5)
    # some near the edge: their rays leave the image (NaN in the profile)
    r0, c0 = rng.uniform(2, image.shape[0] - 3, n), rng.uniform(2, image.shape[1] - 3, n)
    theta = np.mod(np.arange(n) * 2.399963229728653, np.pi)[:, None]
    if follow:
        return lines._followed_rays(image, r0, c0, theta, (1.0, 1.0), t, (1.0, -1.0), 3.0, 15.0)
    return lines._straight_rays(r0, c0, theta, (1.0, 1.0), t, (1.0, -1.0))


def test_followed_rays_keep_the_profile_of_the_path_they_chose():
    image = textured_tissue(3)
    rays = _null_rays(image, True, np.arange(5.0, 70.0 + 1e-9))
    measured = lines._profile(image, rays.rr, rays.cc, rays.orientation, (1.0, 1.0), 0.0, 3.0)
    assert np.isnan(measured).any() and not np.isnan(measured).all()
    assert rays.profile_offset == 3.0 and np.array_equal(rays.profile, measured, equal_nan=True)


def test_the_profile_in_blocks_is_the_profile_at_once(monkeypatch):
    image = textured_tissue(3)
    rays = _null_rays(image, False, np.arange(5.0, 70.0 + 1e-9))

    def profile():
        return lines._profile(image, rays.rr, rays.cc, rays.orientation, (1.0, 1.0), 1.5, 3.0)

    monkeypatch.setattr(lines, "_BLOCK_POINTS", 10**9)
    at_once = profile()
    monkeypatch.setattr(lines, "_BLOCK_POINTS", 300)  # blocks of two positions
    assert np.array_equal(profile(), at_once, equal_nan=True)


def test_straight_null_rays_from_the_cache_change_nothing():
    image = textured_tissue(3)
    rng = np.random.default_rng(1)
    null_r, null_c = rng.integers(10, 290, 300), rng.integers(10, 250, 300)
    common = dict(sigma=np.full(4, 4.0), spacing_mm=(0.1, 0.1), start_mm=0.5, offset_px=3.0, gate_z=-10.0,
                  null_rows_px=null_r, null_cols_px=null_c, null_sigma=np.full(300, 4.0))
    rows, cols = np.array([150, 40, 200, 100]), np.array([130, 60, 30, 200])
    cache = {"reach_mm": 6.0}
    for reach, one_sided in ((3.0, False), (6.0, True)):
        plain = lines.ridges_through(image, rows, cols, reach_mm=reach, one_sided=one_sided, **common)
        cached = lines.ridges_through(image, rows, cols, reach_mm=reach, one_sided=one_sided, null_cache=cache,
                                      **common)
        for name in ("continuous_z", "line_z", "direction_rad", "thin", "rail_z", "path_rc", "end_rad"):
            a, b = getattr(cached, name), getattr(plain, name)
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), name
