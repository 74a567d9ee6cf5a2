"""Artefacts no imaging chain produces are rejected; calcifications are not (issue 18).

Scenes (``film_scene`` in tests/calcdetect/conftest.py) blur what went through the chain by a
known Gaussian PSF and add dust, scratches and scanner rows sharp afterwards, as on a film scan.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from calcdetect import detect
from calcdetect.config import DetectorConfig
from calcdetect.detector.lines import find_scanner_lines
from calcdetect.detector.point_spread import PointSpread
from calcdetect.detector.rejection import REJECTION_REASONS, in_a_row, reject_artefacts, speck_z

from .conftest import textured_tissue

#: five members within 1 cm² (offsets in mm)
CLUSTER = [(0.0, 0.0), (1.5, 1.0), (-1.0, 2.0), (2.0, -1.5), (-1.8, -1.2)]


def _near(calcs, y_mm, x_mm, spacing, radius_mm=0.5):
    return [c for c in calcs if np.hypot(c.row_px * spacing - y_mm, c.col_px * spacing - x_mm) <= radius_mm]


def _clusters_near(result, y_mm, x_mm, spacing, radius_mm=4.0):
    return [k for k in result.clusters if np.hypot(k.row_px * spacing - y_mm, k.col_px * spacing - x_mm) <= radius_mm]


# (pixel size, chain PSF sigma, calcification contrast): at 0.2 mm the chain must blur by at least
# ~0.6 pixel for a point to look different from a one-pixel speck, hence the blurrier chain there
@pytest.mark.parametrize("spacing, psf_mm, contrast", [(0.07, 0.07, 400.0), (0.2, 0.16, 1500.0)])
def test_dust_is_rejected_and_a_calcification_of_the_same_peak_is_kept(film_scene, spacing, psf_mm, contrast):
    # at 0.2 mm a larger field, so that the noise spectrum gets enough tiles (24) for an estimate
    scene = film_scene(spacing_mm=spacing, psf_mm=psf_mm, size_mm=(40.0, 36.0) if spacing < 0.1 else (60.0, 54.0))
    scene.calcs = [(12 + dy, 14 + dx, 0.12, contrast) for dy, dx in CLUSTER]
    peak = float(scene.signal().max())  # the calcifications' peak after the chain's blur
    scene.dust = [(28 + dy, 26 + dx, peak) for dy, dx in CLUSTER]
    result = detect(scene.render(), spacing_mm=(spacing, spacing))

    assert result.flag and _clusters_near(result, 12, 14, spacing), "the true cluster is found"
    for dy, dx in CLUSTER:  # no true calcification was rejected
        assert not _near(result.rejected_calcifications, 12 + dy, 14 + dx, spacing)
    assert not _clusters_near(result, 28, 26, spacing), "dust makes no cluster"
    dust = [c for c in result.rejected_calcifications if c.rejected == "dust"]
    assert dust and all(any(_near([c], 28 + dy, 26 + dx, spacing) for dy, dx in CLUSTER) for c in dust)
    assert all(c.cluster_id == -1 for c in result.rejected_calcifications)
    assert result.rejected["dust"] == len(dust)


def test_at_02mm_a_sharp_chain_cannot_tell_a_speck_and_nothing_is_rejected_as_dust(film_scene):
    """With a PSF of a third of a pixel a calcification is itself one pixel: the test must not run."""
    scene = film_scene(spacing_mm=0.2, psf_mm=0.07, size_mm=(60.0, 54.0))
    scene.calcs = [(12 + dy, 14 + dx, 0.12, 800.0) for dy, dx in CLUSTER]
    result = detect(scene.render(), spacing_mm=(0.2, 0.2))
    assert result.point_spread["n_tiles"] >= 24
    assert result.point_spread["sigma_px"] * DetectorConfig().psf_margin < 0.5
    assert "dust" not in result.rejected
    assert result.flag and len(_clusters_near(result, 12, 14, 0.2)[0:1]) == 1


@pytest.mark.parametrize("psf_px", [0.8, 1.0, 1.5])
def test_speck_statistic_separates_a_point_through_the_psf_from_a_speck(psf_px):
    """Against white noise blurred by the PSF (the statistic's own null), 200 points at random
    sub-pixel positions blurred by the same PSF stay below the threshold and 200 one-pixel specks
    of the same peak exceed it."""
    rng = np.random.default_rng(int(psf_px * 10))
    size, n = 600, 200
    noise = cv2.GaussianBlur(rng.normal(size=(size, size)).astype(np.float32), (0, 0), psf_px)
    noise /= noise.std()
    centres = np.stack(np.meshgrid(np.arange(30, size - 30, 40), np.arange(30, size - 30, 40)), -1).reshape(-1, 2)
    centres = centres[:n]
    fine = np.zeros((size * 8, size * 8), np.float32)  # points on an 8x finer grid, random sub-pixel offsets
    offsets = rng.uniform(-0.5, 0.5, (len(centres), 2))
    for (r, c), (dr, dc) in zip(centres, offsets):
        fine[int((r + dr) * 8 + 4), int((c + dc) * 8 + 4)] = 64.0
    points = cv2.resize(cv2.GaussianBlur(fine, (0, 0), psf_px * 8), (size, size), interpolation=cv2.INTER_AREA)
    peaks = np.array([points[r - 1: r + 2, c - 1: c + 2].max() for r, c in centres])
    amplitude = 30.0 / peaks.mean()  # points of about 30 noise sigma
    real = noise + amplitude * points
    specks = noise.copy()
    specks[centres[:, 0], centres[:, 1]] += amplitude * peaks
    null_r, null_c = rng.integers(10, size - 10, (2, 2000))
    kwargs = dict(sigma=np.ones(len(centres)), psf_sigma_px=0.8 * psf_px, spacing_mm=(0.05, 0.05),
                  null_rows_px=null_r, null_cols_px=null_c, null_sigma=np.ones(null_r.size))
    z_real = speck_z(real, centres[:, 0], centres[:, 1], **kwargs)
    z_speck = speck_z(specks, centres[:, 0], centres[:, 1], **kwargs)
    assert (z_real < DetectorConfig().dust_z).all(), np.sort(z_real)[-5:]
    assert (z_speck >= DetectorConfig().dust_z).all(), np.sort(z_speck)[:5]


@pytest.mark.parametrize("spacing", [0.07, 0.2])
def test_a_scanner_row_is_found_and_its_candidates_rejected(film_scene, spacing):
    scene = film_scene(spacing_mm=spacing, psf_mm=0.07, size_mm=(40.0, 60.0), seed=5)
    row = scene.shape[0] * 3 // 4
    scene.scanner_rows = [(row, 16.0)]  # 4 noise sigma
    scene.dust = [(row * spacing, x, 60.0) for x in (10.0, 22.0, 34.0, 46.0)]  # bright bits along the line
    image = scene.render()
    lines = find_scanner_lines(image, spacing_mm=(spacing, spacing), z=DetectorConfig().line_z,
                               min_length_mm=DetectorConfig().scanner_line_min_mm)
    assert [(ln.axis, ln.index) for ln in lines] == [(0, row)]
    result = detect(image, spacing_mm=(spacing, spacing))
    on_row = [c for c in (*result.calcifications, *result.rejected_calcifications) if abs(c.row_px - row) <= 1]
    assert on_row and all(c.rejected == "scanner_line" for c in on_row)


def test_an_edge_is_not_a_scanner_line():
    """A horizontal step (the breast's edge, a film label) differs from one side only."""
    rng = np.random.default_rng(2)
    image = rng.normal(1000.0, 4.0, (400, 600)).astype(np.float32)
    image[200:] += 80.0
    assert find_scanner_lines(image, spacing_mm=(0.1, 0.1), z=6.0, min_length_mm=30.0) == []


@pytest.mark.parametrize("spacing", [0.07, 0.2])
def test_a_long_scratch_is_rejected_and_does_not_swallow_the_cluster(film_scene, spacing):
    scene = film_scene(spacing_mm=spacing, psf_mm=0.07, size_mm=(40.0, 60.0), seed=5)
    scene.calcs = [(12 + dy, 14 + dx, 0.15, 800.0) for dy, dx in CLUSTER]
    scene.scratches = [(4.0, 12.0, 30.0, 33.0, 25.0)]  # 33 mm long, one pixel wide, through the breast
    result = detect(scene.render(), spacing_mm=(spacing, spacing))
    y0, x0, y1, x1 = 4.0, 12.0, 30.0, 33.0
    length = np.hypot(y1 - y0, x1 - x0)

    def on_scratch(c):
        y, x = c.row_px * spacing, c.col_px * spacing
        t = ((y - y0) * (y1 - y0) + (x - x0) * (x1 - x0)) / length**2
        dist = abs((y - y0) * (x1 - x0) - (x - x0) * (y1 - y0)) / length
        return 0.0 <= t <= 1.0 and dist <= 1.5 * spacing

    on = [c for c in (*result.calcifications, *result.rejected_calcifications) if on_scratch(c)]
    assert len(on) >= 5 and all(c.rejected == "scratch" for c in on)
    clusters = _clusters_near(result, 12, 14, spacing)
    assert result.flag and clusters and clusters[0].n_calcifications == len(CLUSTER)
    for dy, dx in CLUSTER:
        assert not _near(result.rejected_calcifications, 12 + dy, 14 + dx, spacing)


#: the rejection stage is tested on the candidates the classifier lets through; the full-size model
#: of 2026-12-01 (with the spot filter's statistics) already scores these synthetic vessel dashes at
#: 0.001-0.004, just below the shipped ``accept_probability`` (0.005), and calcifications at 0.7-0.9,
#: so the rail tests accept from here
_ACCEPT_RAILS = 0.0005


@pytest.mark.parametrize("spacing, contrast", [(0.07, 800.0), (0.2, 1500.0)])
def test_a_tram_track_does_not_make_the_image_positive_but_a_cluster_still_does(film_scene, spacing, contrast):
    """Two parallel rows of short bright dashes (calcified vessel walls, 1 mm apart, 28 mm long):
    without the rejection stage they are a cluster (checked here, so the test cannot pass by
    default; at 0.2 mm the film-trained classifier already scores it below the flag); with it they
    are ``vascular``, in no cluster, and only a true cluster flags the image.  The operating point
    is fixed here (0.556 for both models, the one the test was written with): the shipped ones
    may move, and at 0.2 mm the coarse model's (1.42) is above what this small cluster scores."""
    rails = [(34.0, 6.0, 22.0, 32.0, 400.0), (35.0, 6.46, 23.0, 32.46, 400.0)]
    operating = DetectorConfig(image_threshold=0.556, image_threshold_coarse=0.556, accept_probability=_ACCEPT_RAILS)
    scene = film_scene(spacing_mm=spacing, psf_mm=0.07, size_mm=(40.0, 40.0), seed=11, rail_dash_mm=(0.3, 0.5))
    scene.rails = rails
    image = scene.render()
    off = dataclasses.replace(operating, dust_z=0.0, line_z=0.0, vascular_min_length_mm=0.0)
    without = detect(image, spacing_mm=(spacing, spacing), config=off)
    assert max((k.n_calcifications for k in without.clusters), default=0) > 10, "the scene is a real test"
    alone = detect(image, spacing_mm=(spacing, spacing), config=operating)
    assert not alone.flag and all(k.n_calcifications <= 10 for k in alone.clusters), \
        [(k.n_calcifications, k.score) for k in alone.clusters]
    assert alone.rejected.get("vascular", 0) > 10
    scene.calcs = [(10 + dy, 14 + dx, 0.15, contrast) for dy, dx in CLUSTER]
    both = detect(scene.render(), spacing_mm=(spacing, spacing), config=operating)
    assert both.flag and _clusters_near(both, 10, 14, spacing)
    flagging = [k for k in both.clusters if k.score >= operating.image_threshold]
    assert flagging and all(np.hypot(k.row_px * spacing - 10, k.col_px * spacing - 14) <= 4.0 for k in flagging)


def test_rejection_off_keeps_the_old_behaviour(film_scene):
    scene = film_scene(spacing_mm=0.07, psf_mm=0.07)
    peak = 100.0
    scene.dust = [(28 + dy, 26 + dx, peak) for dy, dx in CLUSTER]
    off = DetectorConfig(dust_z=0.0, line_z=0.0, vascular_min_length_mm=0.0)
    result = detect(scene.render(), spacing_mm=(0.07, 0.07), config=off)
    assert result.rejected_calcifications == () and set(result.rejected) == {"classifier"}


def test_five_in_a_row_over_the_length_are_vascular_a_compact_cluster_is_not():
    spacing = (0.1, 0.1)
    row = np.array([[50 + 15 * k, 100 + 3 * k] for k in range(8)], float)  # 8 dots over 10.7 mm
    cluster = np.array([[300 + dy * 10, 300 + dx * 10] for dy, dx in CLUSTER], float)
    pts = np.r_[row, cluster]
    flags = in_a_row(pts[:, 0], pts[:, 1], spacing_mm=spacing, min_length_mm=10.0)
    assert flags[: len(row)].all() and not flags[len(row):].any()


def test_reasons_are_the_documented_ones():
    assert REJECTION_REASONS == ("scanner_line", "vascular", "scratch", "dust")


def test_calcifications_in_a_line_are_kept_unless_the_row_rule_is_asked_for(scene):
    """Calcifications along a duct (a linear or segmental distribution, suspicious in itself)
    are not set aside as vascular by default; with ``vascular_row_count`` they are."""
    dots = [(10.0 + 1.5 * k, 12.0 + 0.3 * k, 0.35, 60.0) for k in range(8)]  # 8 over 10.7 mm, no vessel wall
    image = scene(size_mm=(30.0, 30.0), background_cols_mm=4.0, seed=3, discs=dots).render(0.1)
    default = detect(image, spacing_mm=(0.1, 0.1))
    assert default.rejected.get("vascular", 0) == 0
    assert default.clusters and default.clusters[0].n_calcifications >= 5
    asked = detect(image, spacing_mm=(0.1, 0.1), config=DetectorConfig(vascular_row_count=5))
    assert asked.rejected.get("vascular", 0) >= 5


#: a scratch's path, (row, col) at 0.1 mm: 30 mm down and slightly across (not a scanner column)
_SCRATCH = ((40, 260), (340, 320))


def _on_scratch(t: float) -> tuple[int, int]:
    (r0, c0), (r1, c1) = _SCRATCH
    return int(round(r0 + t * (r1 - r0))), int(round(c0 + t * (c1 - c0)))


def _scratch_end_scene(seed: int = 2, length: float = 1.0) -> tuple[np.ndarray, float]:
    """Textured noise (sigma 4) with a one-pixel bright line along ``_SCRATCH`` from its start to
    ``length`` of it, ending inside the breast."""
    image = textured_tissue(seed)
    line = np.zeros_like(image)
    (r0, c0), end = _SCRATCH[0], _on_scratch(length)
    cv2.line(line, (c0, r0), (end[1], end[0]), 60.0, 1, cv2.LINE_8)
    return (image + line).astype(np.float32), 4.0


def _reasons_on(image: np.ndarray, sigma: float, rows: np.ndarray, cols: np.ndarray) -> list[str]:
    """``reject_artefacts`` on a scene whose search region is everywhere, noise ``sigma`` everywhere and
    blur known (0.7 pixel), the speck test off."""
    everywhere = lambda r, c: np.ones(np.shape(r), bool)  # noqa: E731
    constant = lambda r, c: np.full(np.shape(r), sigma)  # noqa: E731
    psf = PointSpread(sigma_px=0.7, white_fraction=0.2, n_tiles=100, fit_error=0.05)
    result = reject_artefacts(image, rows, cols, sigma=constant(rows, cols), spacing_mm=(0.1, 0.1),
                              point_spread=psf, valid=everywhere, sigma_at=constant, config=DetectorConfig(dust_z=0.0))
    return list(result.reason)


def test_candidates_at_the_end_of_a_scratch_are_rejected_a_cluster_beyond_it_is_not():
    """The two-way test cannot see a line that ends at the candidate, and when no candidate further
    up the line saw it both ways, nothing shared the reason (a film scratch's last millimetres made
    a flagged cluster of six).  One ray the whole test length sees it; a cluster 3 mm beyond the
    end, on the line's extension, is not on it."""
    image, sigma = _scratch_end_scene()
    on_end = [_on_scratch(t) for t in (0.94, 0.97, 1.0)]  # its last 2 mm
    r, c = _on_scratch(1.1)  # 3 mm beyond the end
    beyond = [(r + dy, c + dx) for dy, dx in [(0, 0), (5, 8), (-4, -7), (9, -3), (3, 12)]]
    rows = np.array([r for r, _ in on_end + beyond])
    cols = np.array([c for _, c in on_end + beyond])
    reasons = _reasons_on(image, sigma, rows, cols)
    assert reasons[: len(on_end)] == ["scratch"] * len(on_end)
    assert reasons[len(on_end):] == [""] * len(beyond)


def test_a_short_line_from_a_candidate_is_not_a_scratch():
    """A continuous line of 6 mm (a calcified duct's cast) from the candidates: shorter than one
    ray of the test, kept."""
    image, sigma = _scratch_end_scene(length=0.2)  # 6 mm
    rows, cols = np.array([_on_scratch(t) for t in (0.12, 0.16, 0.2)]).T
    assert _reasons_on(image, sigma, rows, cols) == [""] * 3


def _arc_scene(seed: int = 4) -> tuple[np.ndarray, float, tuple[float, float], float]:
    """Textured noise (sigma 4) at 0.1 mm with a one-pixel bright line bending along a circle of
    radius 30 mm for 60 degrees (a hair, a curved scratch): centre, radius in pixels."""
    image = textured_tissue(seed)
    centre, radius = (560.0, 300.0), 300.0
    line = np.zeros_like(image)
    angles = np.radians(np.arange(60, 120.01, 0.1))
    pts = np.c_[centre[1] + radius * np.cos(angles), centre[0] - radius * np.sin(angles)]  # (x, y)
    cv2.polylines(line, [np.round(pts).astype(np.int32)], False, 60.0, 1, cv2.LINE_8)
    return (image + line).astype(np.float32), 4.0, centre, radius


def test_a_bending_line_is_followed_and_rejected_a_straight_ray_would_lose_it():
    """Seven millimetres from a point on a 30 mm circle the line is 0.8 mm (eight pixels) off a
    straight ray, which therefore sees texture; the followed ray, re-aimed every 2.5 mm, stays on it."""
    from calcdetect.detector.lines import ridges_through

    image, sigma, centre, radius = _arc_scene()
    angles = np.radians([85.0, 90.0, 95.0])  # the middle of the arc: the line runs 13-18 mm both ways
    rows = np.rint(centre[0] - radius * np.sin(angles)).astype(int)
    cols = np.rint(centre[1] + radius * np.cos(angles)).astype(int)
    assert _reasons_on(image, sigma, rows, cols) == ["scratch"] * 3
    rng = np.random.default_rng(0)
    null_r, null_c = rng.integers(20, 480, 400), rng.integers(20, 580, 400)
    common = dict(sigma=np.full(3, sigma), spacing_mm=(0.1, 0.1), start_mm=0.5, reach_mm=7.0, offset_px=3.0,
                  gate_z=6.0, null_rows_px=null_r, null_cols_px=null_c, null_sigma=np.full(400, sigma))
    straight = ridges_through(image, rows, cols, **common)
    followed = ridges_through(image, rows, cols, follow=True, **common)
    assert (straight.continuous_z < 6.0).all(), "the scene is a real test: a straight ray loses the line"
    assert (followed.continuous_z >= 6.0).all() and followed.thin.all()


def test_bending_dashed_rails_at_02mm_are_vascular_a_compact_cluster_beside_them_is_not(film_scene):
    """A calcified vessel as film at 0.2 mm shows it: two rows of dashes 1 mm apart, bending by
    ~7 degrees every few millimetres (the straight rails of the tram-track test above, but not
    straight): its candidates are vascular; a compact cluster 8 mm away keeps all its members."""
    spacing = 0.2
    scene = film_scene(spacing_mm=spacing, psf_mm=0.07, size_mm=(40.0, 50.0), seed=13, rail_dash_mm=(0.6, 0.4))
    # a polyline of four 7 mm pieces turning by 7 degrees alternately, two rails 1 mm apart
    y, x, heading = 30.0, 8.0, np.radians(-4.0)
    pieces = []
    for turn in (0.0, 7.0, -7.0, 7.0):
        heading += np.radians(turn)
        y1, x1 = y + 7.0 * np.sin(heading), x + 7.0 * np.cos(heading)
        pieces.append((y, x, y1, x1))
        y, x = y1, x1
    scene.rails = [(y0 + dy, x0, y1 + dy, x1, 400.0) for y0, x0, y1, x1 in pieces for dy in (0.0, 1.0)]
    scene.calcs = [(14 + dy, 22 + dx, 0.15, 1500.0) for dy, dx in CLUSTER]
    image = scene.render()
    # the coarse-pixel model (with the spot filter) already scores these dashes below acceptance, so
    # the rejection stage is tested with the full-size model and no spot filter, accepting from
    # _ACCEPT_RAILS (it scores the dashes 0.0008-0.0013, the cluster's members 0.70-0.91)
    stage = DetectorConfig(spot_min_spacing_mm=0.25, accept_probability=_ACCEPT_RAILS)
    off = dataclasses.replace(stage, dust_z=0.0, line_z=0.0, vascular_min_length_mm=0.0)
    without = detect(image, spacing_mm=(spacing, spacing), config=off)
    on_rails = [c for c in without.calcifications if c.row_px * spacing > 24.0]
    assert len(on_rails) > 10, "the scene is a real test: the rails make many candidates"
    for config in (stage, DetectorConfig()):  # the stage alone, and the shipped settings
        result = detect(image, spacing_mm=(spacing, spacing), config=config)
        kept_on_rails = [c for c in result.calcifications if c.row_px * spacing > 24.0]
        assert len(kept_on_rails) <= 0.2 * len(on_rails), (len(kept_on_rails), len(on_rails), result.rejected)
        clusters = _clusters_near(result, 14, 22, spacing)
        assert clusters and clusters[0].n_calcifications == len(CLUSTER)
        assert not any(_near(result.rejected_calcifications, 14 + dy, 22 + dx, spacing) for dy, dx in CLUSTER)


def _transfer(shape: str, n: int) -> np.ndarray:
    """The 2-D transfer function (MTF) of a PSF shape on an n x n pixel grid (frequencies in cycles/pixel)."""
    fy, fx = np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :]
    rho2 = fx * fx + fy * fy
    aperture = np.sinc(fx) * np.sinc(fy)  # a pixel integrates over its area (a scanner's aperture)
    gauss = lambda s: np.exp(-2 * np.pi**2 * s * s * rho2)  # noqa: E731
    return {
        "gaussian x aperture": gauss(0.6) * aperture,
        # a screen's long-tailed PSF: a Lorentzian MTF, as screen-film MTFs are often fitted
        "lorentzian x aperture": aperture / (1.0 + rho2 / 0.1**2),
        "sharp core + wide halo": 0.5 * gauss(0.5) + 0.5 * gauss(2.0),
    }[shape]


# The speck test assumes a Gaussian PSF of psf_margin x the sigma estimated from the noise.  A real
# chain's PSF is not Gaussian; for a point at a pixel centre (the sharpest a point can look) through
# these PSFs, with 40 % of the noise white (grain, electronic), the point's neighbours/peak ratio
# equals a Gaussian's of 0.81-1.12 x the estimate (2026-12-01, thirteenth session; the lowest: the
# Lorentzian with a white floor, whose tail the fit reads as wider).  psf_margin 0.8 is below all of
# them; 0.95 rejected the Lorentzian chain's points as dust here (0.9 passed by the noise's grace).
@pytest.mark.parametrize("shape", ["gaussian x aperture", "lorentzian x aperture", "sharp core + wide halo"])
def test_a_point_through_a_non_gaussian_psf_is_not_dust_at_the_shipped_margin(shape):
    from calcdetect.detector.point_spread import estimate_point_spread

    rng = np.random.default_rng(20261201)
    n, white_fraction = 768, 0.4
    transfer = _transfer(shape, n)
    blurred = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(n, n))) * transfer))
    noise = np.sqrt(1 - white_fraction) * blurred / blurred.std() + np.sqrt(white_fraction) * rng.normal(size=(n, n))
    # one point per 96 x 96 pixels: most of the 32-pixel tiles the PSF is estimated on hold none
    centres = np.stack(np.meshgrid(np.arange(30, n - 30, 96), np.arange(30, n - 30, 96)), -1).reshape(-1, 2)
    deltas = np.zeros((n, n))
    deltas[centres[:, 0], centres[:, 1]] = 1.0
    points = np.real(np.fft.ifft2(np.fft.fft2(deltas) * transfer))
    image = (noise + 30.0 * points / points[centres[0, 0], centres[0, 1]]).astype(np.float32)  # peaks of ~30 sigma

    everywhere = lambda r, c: np.ones(np.shape(r), bool)  # noqa: E731
    psf = estimate_point_spread(image, valid=everywhere, sigma_of=lambda i: np.ones_like(np.asarray(i, float)))
    assert psf.measured and psf.sigma_px > 0.5
    null_r, null_c = rng.integers(10, n - 10, (2, 2000))
    z = speck_z(image, centres[:, 0], centres[:, 1], sigma=np.ones(len(centres)),
                psf_sigma_px=DetectorConfig().psf_margin * psf.sigma_px, spacing_mm=(0.05, 0.05),
                null_rows_px=null_r, null_cols_px=null_c, null_sigma=np.ones(null_r.size))
    assert (z < DetectorConfig().dust_z).all(), (psf.sigma_px, np.sort(z)[-5:])
