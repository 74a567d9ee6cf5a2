"""The fast candidate search finds exactly what a plain full-image search finds.

The detector computes its responses only on the region around the breast and
tests a pixel against its neighbours only where a bound per coarse block says
it can reach the threshold; both are shortcuts that must not change a single
candidate.  The oracle here is the plain version: every level on the whole
image, SNR at every pixel (``NoiseModel.at`` everywhere), peaks by a 3 x 3
dilation.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from calcdetect.config import mm_to_px
from calcdetect.detector.candidates import _above_bound, _suppress, _tile_bound, find_candidates, search_box
from calcdetect.detector.enhance import NoiseModel
from calcdetect.detector.features import reach_px
from calcdetect.detector.mask import breast_mask
from calcdetect.detector.noise_model import fit_noise_curve
from calcdetect.detector.pipeline import _work_region
from calcdetect.detector.responses import blur_reach_px, scale_space


@pytest.mark.parametrize(("tile_px", "factor", "full", "usual"), [
    ((40, 55), (7, 5), (300, 260), True),     # blocks much smaller than tiles (the usual case)
    ((6, 8), (9, 9), (100, 90), False),       # blocks larger than tiles (a coarse mask, tiny tiles)
    ((23, 23), (23, 23), (120, 140), False),  # every block crosses a line of tile centres
])
def test_tile_bound_is_the_lowest_threshold_in_each_block(tile_px, factor, full, usual):
    rng = np.random.default_rng(sum(tile_px) + sum(factor))
    ty, tx = -(-full[0] // tile_px[0]), -(-full[1] // tile_px[1])
    tiles = NoiseModel(rng.normal(0, 0.3, (ty, tx)), rng.uniform(0.5, 3.0, (ty, tx)), tile_px, full, ty * tx)
    shape_small = (full[0] // factor[0], full[1] // factor[1])
    bound = _tile_bound(tiles, 4.0, factor, shape_small)

    rr, cc = np.mgrid[0: shape_small[0] * factor[0], 0: shape_small[1] * factor[1]]
    centre, sigma = tiles.at(rr.ravel(), cc.ravel())
    exact = (centre + 4.0 * sigma).reshape(rr.shape)
    block_min = exact.reshape(shape_small[0], factor[0], shape_small[1], factor[1]).min(axis=(1, 3))
    assert np.all(bound <= block_min + 1e-9)
    if usual:  # and not a loose one: most blocks get their exact minimum
        assert np.mean(np.isclose(bound, block_min, rtol=0, atol=1e-9)) > 0.5


def test_above_bound_is_a_plain_comparison_with_the_enlarged_bound():
    """The block-wise comparison finds the pixels, in the order, of ``np.nonzero`` on the whole
    values against the bound enlarged to pixels (as ``cv2.resize`` with ``INTER_NEAREST`` did)."""
    rng = np.random.default_rng(11)
    for trial in range(200):
        factor = (int(rng.integers(1, 10)), int(rng.integers(1, 10)))
        offset = (int(rng.integers(0, 2 * factor[0])), int(rng.integers(0, 2 * factor[1])))
        h, w = int(rng.integers(1, 60)), int(rng.integers(1, 60))
        values = rng.normal(size=(h + 3, w + 5)).astype(np.float32)[1: h + 1, 2: w + 2]  # a strided view
        values[rng.random(values.shape) < 0.05] = np.nan
        shape = ((h - 1 + offset[0]) // factor[0] + 1, (w - 1 + offset[1]) // factor[1] + 1)
        bound = rng.normal(1.0, 0.8, shape).astype(np.float32)
        big = cv2.resize(bound, (shape[1] * factor[1], shape[0] * factor[0]), interpolation=cv2.INTER_NEAREST)
        big = big[offset[0]: offset[0] + h, offset[1]: offset[1] + w]
        rows, cols = _above_bound(values, bound, offset, factor)
        want_r, want_c = np.nonzero(values > big)
        assert np.array_equal(rows, want_r) and np.array_equal(cols, want_c), (trial, factor, offset)


def _plain_search(space, sigma_small, mask, spacing, config):
    """Every level's SNR at every pixel; peaks by dilation; the same suppression."""
    H, W = mask.full_shape
    rr, cc = np.mgrid[0:H, 0:W]
    sigma_full = mask.lookup(sigma_small, rr, cc)
    in_search = mask.lookup(mask.search, rr, cc)
    border = [int(np.ceil(mm_to_px(config.tophat_size_mm / 2, s))) for s in spacing]
    inside = np.zeros((H, W), bool)
    inside[border[0]: H - border[0], border[1]: W - border[1]] = True
    rows, cols, snrs = [], [], []
    t = config.snr_threshold
    responses = [(level, gain, texture, t) for level, gain, texture in zip(space.levels, space.gain, space.texture)]
    if space.spot is not None:
        responses.append((space.spot.response, space.spot.gain, space.spot.texture, t))
    if space.line is not None:  # the line response with its own threshold
        responses.append((space.line.response, space.line.gain, space.line.texture, config.line_source_snr))
    for level, gain, texture, threshold in responses:
        assert space.origin == (0, 0)
        centre, sigma = texture.at(rr.ravel(), cc.ravel())
        snr = (level / (gain * sigma_full) - centre.reshape(H, W)) / sigma.reshape(H, W)
        peak = level >= cv2.dilate(level, np.ones((3, 3), np.uint8))
        r, c = np.nonzero(peak & (snr >= threshold) & in_search & inside)
        rows.append(r), cols.append(c), snrs.append(snr[r, c])
    r, c, s = np.concatenate(rows), np.concatenate(cols), np.concatenate(snrs)
    r, c = _suppress(r, c, s, spacing, config.min_separation_mm)
    return r[: config.max_candidates], c[: config.max_candidates]


def _prepared(scene, spacing, line_snr=0.0):
    from calcdetect.config import DetectorConfig

    cfg = DetectorConfig(line_source_snr=line_snr)
    s = scene(size_mm=(30.0, 36.0), background_cols_mm=8.0, seed=11,
              discs=[(12.0, 20.0, 0.3, 60.0), (13.0, 21.5, 0.25, 50.0), (11.0, 22.0, 0.35, 40.0),
                     (22.0, 28.0, 0.5, 30.0)], lines=[(20.0, 12.0, 20.4, 13.5, 0.04, 30.0)])
    image = s.render(spacing)
    sp = (spacing, spacing)
    mask = breast_mask(image, spacing_mm=sp, config=cfg)
    noise = fit_noise_curve(image, mask.block_mean, mask.search, factor=mask.factor)
    sigma_small = noise.sigma(mask.block_mean)

    def sigma_at(r, c):
        return mask.lookup(sigma_small, r, c)

    def in_search(r, c):
        return mask.lookup(mask.search, r, c)

    return cfg, image, sp, mask, sigma_small, sigma_at, in_search


_SEARCHES = [(0.07, 0.0), (0.07, 5.0), (0.2, 0.0), (0.2, 5.0)]  # (spacing, line_source_snr)


@pytest.mark.parametrize(("spacing", "line_snr"), _SEARCHES)
def test_candidates_are_those_of_a_plain_full_image_search(scene, spacing, line_snr):
    cfg, image, sp, mask, sigma_small, sigma_at, in_search = _prepared(scene, spacing, line_snr)
    space = scale_space(image, spacing_mm=sp, config=cfg, valid=in_search, sigma_at=sigma_at)
    assert (space.spot is not None) == (spacing >= cfg.spot_min_spacing_mm)  # the 0.2 mm case searches it too
    assert (space.line is not None) == (line_snr > 0 and spacing < cfg.spot_min_spacing_mm)
    found = find_candidates(space, sigma_small, mask, spacing_mm=sp, config=cfg)
    rows, cols = _plain_search(space, sigma_small, mask, sp, cfg)
    assert len(found) >= 4  # the four discs at least: the comparison is not between two empty sets
    np.testing.assert_array_equal(found.row_px, rows)
    np.testing.assert_array_equal(found.col_px, cols)


@pytest.mark.parametrize(("spacing", "line_snr"), _SEARCHES)
def test_responses_on_the_work_region_equal_those_on_the_whole_image(scene, spacing, line_snr):
    cfg, image, sp, mask, sigma_small, sigma_at, in_search = _prepared(scene, spacing, line_snr)
    origin, work = _work_region(image, mask, sp, cfg)
    assert work.size < image.size  # the background strip is left out
    whole = scale_space(image, spacing_mm=sp, config=cfg, valid=in_search, sigma_at=sigma_at)
    part = scale_space(work, spacing_mm=sp, config=cfg, valid=in_search, sigma_at=sigma_at,
                       origin=origin, full_shape=image.shape)
    # the same up to float32 rounding, which OpenCV's vector and scalar paths do differently
    # at the image edge: a few 1e-4 of a noise sigma
    np.testing.assert_allclose(part.gain, whole.gain, rtol=1e-4)
    for a, b in zip(part.texture, whole.texture):
        np.testing.assert_allclose(a.centre, b.centre, rtol=0, atol=2e-3)
        np.testing.assert_allclose(a.sigma, b.sigma, rtol=2e-3)
    # wherever a candidate's features can read: the search box plus the features' reach
    r0, r1, c0, c1 = search_box(mask, spacing_mm=sp, config=cfg)
    reach = reach_px(sp, cfg)
    rows = slice(max(r0 - reach, 0), min(r1 + reach, image.shape[0]))
    cols = slice(max(c0 - reach, 0), min(c1 + reach, image.shape[1]))
    local = (slice(rows.start - origin[0], rows.stop - origin[0]), slice(cols.start - origin[1], cols.stop - origin[1]))
    scale = max(float(np.abs(lv).max()) for lv in whole.levels)
    for a, b in zip(part.levels + part.smoothed, whole.levels + whole.smoothed):
        np.testing.assert_allclose(a[local], b[rows, cols], rtol=0, atol=1e-5 * max(scale, float(np.abs(b).max())))
    assert blur_reach_px(cfg, sp) > 0
    assert (whole.spot is None) == (part.spot is None) == (spacing < cfg.spot_min_spacing_mm)
    if whole.spot is not None:  # the spot filter's spectrum and kernel are the same on the crop
        np.testing.assert_allclose(part.spot.gain, whole.spot.gain, rtol=1e-4)
        np.testing.assert_allclose(part.spot.texture.sigma, whole.spot.texture.sigma, rtol=2e-3)
        b = whole.spot.response[rows, cols]
        np.testing.assert_allclose(part.spot.response[local], b, rtol=0, atol=1e-5 * float(np.abs(b).max()))
    assert (whole.line is None) == (part.line is None)
    if whole.line is not None:  # the line response reaches no farther than the work region's margin
        np.testing.assert_allclose(part.line.gain, whole.line.gain, rtol=1e-4)
        np.testing.assert_allclose(part.line.texture.sigma, whole.line.texture.sigma, rtol=2e-3)
        # a second difference of read values: the edge's float32 rounding (as above) is a larger part of it
        b = whole.line.response[rows, cols]
        np.testing.assert_allclose(part.line.response[local], b, rtol=1e-3, atol=1e-4 * float(np.abs(b).max()))


def test_film_burnt_out_to_the_clipping_value_does_not_break_the_noise():
    """An 8-bit 0.2 mm film scan whose burnt-out periphery is clipped flat at 0 inside the
    search region (a phantom of a fresh development set that gave infinite SNRs): the flat
    pixels measure no noise, the rest must still set the levels' noise."""
    from calcdetect.detector.pipeline import analyse_candidates
    from calcdetect.phantom import make_phantom
    from calcdetect.detector import responses

    phantom = make_phantom(seed=8073898617075435731, preset="film-mias-like", view="MLO", laterality="L",
                           with_cluster=False)
    assert phantom.stored.max() <= 255  # an 8-bit scan
    pixels = np.asarray(phantom.read_pixels(), dtype=np.float32)  # as read_mammogram gives them: denser brighter
    spaces = []
    original = responses.scale_space

    def keep(*args, **kwargs):
        spaces.append(original(*args, **kwargs))
        return spaces[-1]

    import calcdetect.detector.pipeline as pipeline
    pipeline.scale_space = keep
    try:
        a = analyse_candidates(pixels, spacing_mm=(0.2, 0.2), view="MLO")
    finally:
        pipeline.scale_space = original
    from calcdetect.detector.features import FEATURE_NAMES

    spot, line = FEATURE_NAMES.index("spot_snr"), FEATURE_NAMES.index("line_snr")
    assert np.isfinite(np.delete(a.features.matrix, [spot, line], axis=1)).all()
    assert np.isfinite(a.features.matrix[:, spot]).all() or np.isnan(a.features.matrix[:, spot]).all()
    assert np.isnan(a.features.matrix[:, line]).all()  # no line response at 0.2 mm
    assert a.peaks.snr.max() < 1e3
    # each level's noise is a sizeable fraction of the fine noise, not the few flat-free samples' spread
    assert spaces[0].gain.min() > 0.05
