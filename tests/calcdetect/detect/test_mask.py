"""Breast mask and pectoral muscle on drawn images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage
from skimage.draw import ellipse, polygon, polygon2mask
from skimage.filters import threshold_otsu

from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import detect
from calcdetect.detector.enhance import shrink
from calcdetect.detector.mask import (_VALLEY_TO_PEAK, BreastMask, _a_second_look_finds_background, _fill_holes,
                                      _valley_to_peak, breast_mask, search_outline_rc)

CFG = DetectorConfig(image_threshold=5.0)


def _breast(shape=(600, 480), *, pectoral: bool, seed=0):
    rng = np.random.default_rng(seed)
    img = np.full(shape, 40.0, np.float32)
    rr, cc = ellipse(shape[0] / 2, 0, shape[0] * 0.45, shape[1] * 0.8, shape=shape)
    img[rr, cc] = 1000.0
    if pectoral:  # bright triangle in the top chest-wall corner
        pr, pc = polygon([0, 0, shape[0] * 0.45], [0, shape[1] * 0.5, 0], shape=shape)
        img[pr, pc] += 300.0
    # burned-in label in the far corner
    img[20:40, 400:460] = 4000.0
    return img + rng.normal(0, 3.0, shape).astype(np.float32)


def test_mask_is_the_breast_without_the_label():
    img = _breast(pectoral=False)
    m = breast_mask(img, spacing_mm=(0.1, 0.1), view="CC", config=CFG)
    true_area = np.pi * (600 * 0.45 * 0.1) * (480 * 0.8 * 0.1) / 2
    assert abs(m.area_mm2 - true_area) / true_area < 0.05
    assert not m.lookup(m.breast, np.array([30]), np.array([430]))[0]  # the label is not breast
    assert not m.pectoral.any()  # CC: no pectoral search
    # the search region keeps off the skin line
    assert m.search.sum() < m.breast.sum()


def test_pectoral_found_on_mlo_and_its_edge_gives_no_candidates():
    img = _breast(pectoral=True)
    m = breast_mask(img, spacing_mm=(0.1, 0.1), view="MLO", config=CFG)
    assert m.pectoral.any()
    # a point deep in the muscle and one on its edge are excluded from the search
    assert not m.lookup(m.search, np.array([40, 130]), np.array([40, 120]))[:].any()
    # far from it, still searched
    assert m.lookup(m.search, np.array([450]), np.array([100]))[0]
    result = detect(img, spacing_mm=(0.1, 0.1), view="MLO", config=CFG)
    # nothing at the muscle or its edge (the triangle r / 270 + c / 240 < 1): a noise peak of the
    # flat breast far from it may pass the classifier (the model of 2026-12-01 lets one through at
    # 0.008), but no cluster forms
    assert all(c.row_px / 270 + c.col_px / 240 > 1.5 for c in result.calcifications)
    assert not result.clusters and not result.flag


def _breast_on_a_grey_ramp(seed: int, shape=(600, 480)) -> tuple[np.ndarray, np.ndarray]:
    """Fatty (1300) and dense (2800) tissue with smooth boundaries, beside a background that a
    vendor's multi-frequency processing lifted into a ramp (100-1000 across the image)."""
    rng = np.random.default_rng(seed)
    rows, cols = shape
    field = ndimage.gaussian_filter(rng.normal(size=shape), 15)
    dense = 1.0 / (1.0 + np.exp(-3.0 * field / field.std()))
    breast = np.zeros(shape, bool)
    breast[ellipse(rows / 2, 0, rows * 0.45, cols * 0.8, shape=shape)] = True
    ramp = np.broadcast_to(100.0 + 900.0 * np.linspace(0.0, 1.0, cols), shape)
    img = np.where(breast, 1300.0 + 1500.0 * dense, ramp) + rng.normal(0, 3.0, shape)
    return img.astype(np.float32), breast


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_breast_beside_a_grey_ramp_is_the_breast_not_the_whole_image(seed):
    """The ramp and the tissue's two densities widen both of Otsu's classes (their means are 3-4
    spreads apart, where the mask used to take the whole image), but the histogram's valley
    between them is deep; a crop of the tissue alone has no background and is searched whole."""
    img, breast = _breast_on_a_grey_ramp(seed)
    m = breast_mask(img, spacing_mm=(0.1, 0.1), view="CC", config=CFG)
    assert abs(m.breast.mean() - breast.mean()) < 0.01
    rr, cc = np.nonzero(breast[::7, ::7])
    assert m.lookup(m.breast, rr * 7, cc * 7).mean() > 0.98
    crop = breast_mask(img[200:400, 0:150], spacing_mm=(0.1, 0.1), view="CC", config=CFG)
    assert crop.breast.all()


def test_a_deep_valley_is_a_background_only_where_the_lower_class_is_smooth():
    """Fatty and dense tissue far apart in density leave a valley in the histogram as deep as a
    background's, but the fatty class has structure: it is not taken for air."""
    for seed in (0, 2, 3):
        rng = np.random.default_rng(seed)
        field = ndimage.gaussian_filter(rng.normal(size=(300, 240)), 15)
        texture = ndimage.gaussian_filter(rng.normal(size=(300, 240)), 4)
        tissue = (1300.0 + 1500.0 / (1.0 + np.exp(-8.0 * field / field.std())) + 80.0 * texture / texture.std()
                  + rng.normal(0, 3.0, field.shape))
        ramp, _ = _breast_on_a_grey_ramp(seed)
        for img, background in ((tissue.astype(np.float32), False), (ramp, True)):
            small = cv2.GaussianBlur(shrink(img, spacing_mm=(0.1, 0.1), target_mm=0.5)[0], (0, 0), 1.0)
            values = small.ravel()
            t = float(threshold_otsu(values))
            assert _valley_to_peak(values, t) < _VALLEY_TO_PEAK  # both have a deep valley
            assert _a_second_look_finds_background(small, values, t) is background


def test_mask_of_a_right_breast_mirrors_the_left():
    img = _breast(pectoral=True)
    left = breast_mask(img, spacing_mm=(0.1, 0.1), view="MLO", config=CFG)
    right = breast_mask(np.ascontiguousarray(img[:, ::-1]), spacing_mm=(0.1, 0.1), view="MLO", config=CFG)
    assert right.pectoral.any()
    assert abs(int(left.pectoral.sum()) - int(right.pectoral.sum())) <= 0.05 * left.pectoral.sum()


def test_film_scanned_linear_in_transmittance_is_masked_whole():
    """A film scanned linear in transmittance (``T = 10^-D``): fatty tissue at density 2
    (T 0.01), dense patches at density 0.5-0.8 (T 0.16-0.32, 16-32 times brighter), the
    unexposed background at density 4 and a white label (T 0.6).  On the values as read Otsu
    cut between the dense patches (and the label) and the rest; the mask must be the breast."""
    rng = np.random.default_rng(7)
    shape = (600, 480)
    density = np.full(shape, 4.0)
    rr, cc = ellipse(shape[0] / 2, 0, shape[0] * 0.45, shape[1] * 0.8, shape=shape)
    density[rr, cc] = 2.0
    for _ in range(12):  # dense patches inside the breast
        r, c = rng.uniform(120, 480), rng.uniform(10, 200)
        pr, pc = ellipse(r, c, rng.uniform(15, 40), rng.uniform(15, 40), shape=shape)
        inside = density[pr, pc] < 3.0
        density[pr[inside], pc[inside]] = rng.uniform(0.5, 0.8)
    density[20:60, 380:470] = 0.2  # white tape with the patient's name
    stored = 65535.0 * 10.0 ** -density * rng.normal(1.0, 0.02, shape)  # grain: noise relative to T
    m = breast_mask(stored.astype(np.float32), spacing_mm=(0.1, 0.1), view="CC", config=CFG)
    true_area = np.pi * (600 * 0.45 * 0.1) * (480 * 0.8 * 0.1) / 2
    # on the log scale the mask reaches out to where the blurred step falls to the background's
    # noise, about three blur sigmas (1.5 mm) beyond this step of two decades with no thickness
    # fall-off (+11 % of this small breast's area); the search region, 2 mm in from the skin
    # line, stays inside the breast
    assert -0.05 < (m.area_mm2 - true_area) / true_area < 0.15
    assert _outside_fraction(m, density < 3.0) < 0.01
    assert not m.lookup(m.breast, np.array([40]), np.array([420]))[0]  # the label is not breast


def test_film_clipped_at_the_floor_ends_where_the_grey_level_leaves_the_quantisation():
    """An 8-bit film at 0.2 mm whose tissue thins towards the skin line until the grey level is
    clipped at 0, as is the background (no noise of its own there).  The log scale's offset is
    then the quantisation's rms (1 / sqrt(12) of a level): the mask ends where the grey level
    rises out of it, 3 % beyond the breast (the coarse blur), not 8 % (the offset of 1e-6 of
    the range that a noiseless background would leave, which spreads the first one or two
    levels of the blurred edge over decades)."""
    rng = np.random.default_rng(3)
    shape = (300, 240)
    rr, cc = np.mgrid[0:shape[0], 0:shape[1]]
    rho = np.hypot((rr - shape[0] / 2) / (shape[0] * 0.45), cc / (shape[1] * 0.8))
    grey = np.where(rho < 1.0, 160.0 * np.clip((1.0 - rho) / 0.25, 0.0, 1.0) ** 0.7 + 20.0 * (rho < 0.75), 0.0)
    grey += rng.normal(0.0, 2.0, shape) * (rho < 1.0)
    grey[10:25, 180:230] = 250.0  # label
    stored = np.clip(np.rint(grey), 0, 255).astype(np.float32)
    m = breast_mask(stored, spacing_mm=(0.2, 0.2), view="CC", config=CFG)
    true_area = float((rho < 1.0).sum()) * 0.04
    assert -0.05 < (m.area_mm2 - true_area) / true_area < 0.06
    assert _outside_fraction(m, rho < 1.0) < 0.01


def _outside_fraction(m: BreastMask, breast: np.ndarray) -> float:
    """The fraction of the search region's full-size pixels that lie outside ``breast``."""
    rows, cols = np.indices(breast.shape).reshape(2, -1)
    searched = m.in_search(rows, cols)
    return float((searched & ~breast[rows, cols]).sum() / max(int(searched.sum()), 1))


def _thinning_film() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Film scanned linear in transmittance whose tissue thins towards the skin line: density
    rises from 2 (fatty) to 3.7 over the outer fifth of the breast, against a background at
    density 4 whose grain is 2 % of its value (0.13 stored units), with dense patches 50 times
    brighter than fatty tissue and a white label.  Returns the stored values, the normalised
    radius (< 1 in the breast) and the pixel rows and columns."""
    rng = np.random.default_rng(11)
    shape = (600, 480)
    rr, cc = np.mgrid[0:shape[0], 0:shape[1]]
    rho = np.hypot((rr - shape[0] / 2) / (shape[0] * 0.45), cc / (shape[1] * 0.8))
    density = np.where(rho < 1.0, 2.0 + 1.7 * np.clip((rho - 0.8) / 0.2, 0.0, 1.0), 4.0)
    for _ in range(12):  # dense patches well inside the breast
        pr, pc = ellipse(rng.uniform(150, 450), rng.uniform(10, 180), rng.uniform(15, 40), rng.uniform(15, 40),
                         shape=shape)
        inside = rho[pr, pc] < 0.7
        density[pr[inside], pc[inside]] = 0.3
    density[20:60, 380:470] = 0.2  # white tape
    stored = 65535.0 * 10.0 ** -density * rng.normal(1.0, 0.02, shape)
    return stored.astype(np.float32), rho, rr, cc


def test_film_periphery_a_few_noise_levels_above_the_background_is_breast():
    """The periphery of :func:`_thinning_film` is 0.2-1.5 decades below the fatty tissue but dozens
    of the background's noise levels above it: it is breast."""
    stored, rho, rr, cc = _thinning_film()
    m = breast_mask(stored, spacing_mm=(0.1, 0.1), view="CC", config=CFG)
    true_area = np.pi * (600 * 0.45 * 0.1) * (480 * 0.8 * 0.1) / 2
    assert -0.05 < (m.area_mm2 - true_area) / true_area < 0.10
    assert _outside_fraction(m, rho < 1.0) < 0.01
    # the periphery (normalised radius 0.9-0.95, density 2.9-3.3) is breast; the label is not
    periphery = (rho > 0.9) & (rho < 0.95)
    assert m.lookup(m.breast, rr[periphery], cc[periphery]).mean() > 0.99
    assert not m.lookup(m.breast, np.array([40]), np.array([420]))[0]


def test_the_log_offset_of_before_history_step_11_is_kept_for_the_coarse_models_recipe():
    """``mask_log_offset="range_1e-3"`` is the mask of before 2026-12-01, on which the shipped
    ``fp_model_coarse`` was trained: its offset, 250 times the background's noise of
    :func:`_thinning_film`, makes the background and the periphery one class, and the mask takes
    the whole image."""
    stored, _, _, _ = _thinning_film()
    old = breast_mask(stored, spacing_mm=(0.1, 0.1), view="CC", config=CFG.replace(mask_log_offset="range_1e-3"))
    assert old.area_mm2 > 0.95 * stored.size * 0.1 * 0.1
    with pytest.raises(ValueError, match="mask_log_offset must be one of background_noise, range_1e-3"):
        CFG.replace(mask_log_offset="1e-3")


def _search_only(search: np.ndarray, *, full_shape: tuple[int, int], factor: tuple[int, int]) -> BreastMask:
    none = np.zeros_like(search)
    return BreastMask(none, search, none, full_shape, (0.5, 0.5), factor, np.zeros(search.shape, np.float32))


def _bbox(polygon_rc) -> tuple[float, float, float, float]:
    rc = np.asarray(polygon_rc)
    return rc[:, 0].min(), rc[:, 1].min(), rc[:, 0].max(), rc[:, 1].max()


def test_outline_of_a_rectangle_lies_on_its_edge():
    search = np.zeros((20, 16), bool)
    search[4:9, 3:12] = True  # coarse cells rows 4-8, cols 3-11
    m = _search_only(search, full_shape=(100, 80), factor=(5, 5))
    (outline,) = search_outline_rc(m)
    # full-image pixels rows 20-44, cols 15-59; their outer edges are half a pixel further out
    assert _bbox(outline) == (19.5, 14.5, 44.5, 59.5)
    assert len(outline) == 4  # the four corners


def test_outline_keeps_separate_pieces_apart_and_reaches_the_image_edge():
    search = np.zeros((20, 16), bool)
    search[2:6, 3:8] = True
    search[7:20, 10:16] = True  # one empty row between the pieces; the last cells reach the edge
    # 103 x 83 pixels in 20 x 16 cells of 5 x 5: the last cells hold the left-over pixels too
    m = _search_only(search, full_shape=(103, 83), factor=(5, 5))
    outlines = sorted(search_outline_rc(m), key=_bbox)
    assert [_bbox(p) for p in outlines] == [(9.5, 14.5, 29.5, 39.5), (34.5, 49.5, 102.5, 82.5)]
    assert search_outline_rc(_search_only(np.zeros((20, 16), bool), full_shape=(100, 80), factor=(5, 5))) == ()


def test_detect_outlines_the_search_region_inside_the_image():
    img = _breast(pectoral=True)
    result = detect(img, spacing_mm=(0.1, 0.1), view="MLO", config=CFG)
    m = breast_mask(img, spacing_mm=(0.1, 0.1), view="MLO", config=CFG)
    assert result.search_outline_rc, "the outline is filled"
    rc = np.concatenate([np.asarray(p) for p in result.search_outline_rc])
    assert rc.min() >= -0.5 and rc[:, 0].max() <= img.shape[0] - 0.5 and rc[:, 1].max() <= img.shape[1] - 0.5
    # the polygons cover the pixels the detector searches: only inner corners of the cells'
    # staircase are cut (half a cell inside, as a contour through the edge cells' centres runs,
    # would miss 2 % here)
    rr, cc = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    searched = m.in_search(rr, cc)
    drawn = np.zeros(img.shape, bool)
    for p in result.search_outline_rc:
        drawn |= polygon2mask(img.shape, np.asarray(p))  # pixel centres at whole (row, col), as here
    assert np.count_nonzero(drawn != searched) < 0.005 * np.count_nonzero(searched)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("density", [0.2, 0.5, 0.8])
def test_fill_holes_is_scipys_binary_fill_holes(seed, density):
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(1, 60, 2))
    binary = rng.random(shape) < density
    np.testing.assert_array_equal(_fill_holes(binary), ndimage.binary_fill_holes(binary))


@pytest.mark.parametrize("value", [False, True])
def test_fill_holes_of_a_uniform_grid(value):
    binary = np.full((7, 9), value)
    np.testing.assert_array_equal(_fill_holes(binary), binary)



def test_random_search_positions_lie_in_the_region_and_are_the_same_each_time():
    from calcdetect.detector.mask import random_search_positions

    def valid(r, c):
        return (r >= 100) & (r < 300) & (c < 150)

    rows, cols = random_search_positions((400, 500), valid, 500)
    assert rows.size == 500 and valid(rows, cols).all()
    again = random_search_positions((400, 500), valid, 500)
    np.testing.assert_array_equal(rows, again[0])
    np.testing.assert_array_equal(cols, again[1])
    # a tiny region: fewer than asked, never a position outside it or within 8 pixels of the border
    rows, cols = random_search_positions((400, 500), lambda r, c: (r < 12) | (c >= 490), 500)
    assert 0 < rows.size < 500
    assert rows.min() >= 8 and cols.max() < 500 - 8
