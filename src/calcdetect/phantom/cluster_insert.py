"""Place a lesion in a breast, with its physical contrast, and measure how visible it is.

:func:`insert_cluster` draws lesions (:func:`.lesions.draw_cluster`) and sites
until the cluster's visibility class (:mod:`.visibility`) is the one asked for
(a bounded number of draws, all from the seeds given: deterministic).  Each
calcification attenuates as its material over the tissue it displaces
(:mod:`.materials`, for the preset's beam and this breast's thickness) along
its path length; its d′ is measured against the quantum, electronic and
anatomical noise of the calcification-free background around the site
(:func:`.visibility.observer_d_prime`).
Nothing is drawn into the image here: :mod:`.generate` adds the patches.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import scipy.fft

from calcdetect.phantom.acquisition import Exposure, ideal_observer_snr
from calcdetect.phantom.anatomy import Anatomy
from calcdetect.phantom.lesions import ClusterSpec, draw_cluster, path_length_patch
from calcdetect.phantom.materials import contrast_mu_per_mm
from calcdetect.phantom.presets import VendorPreset
from calcdetect.phantom.visibility import (
    COARSE_CHECK_MM,
    VISIBILITY_CLASSES,
    background_spectrum,
    classify_cluster,
    BOX_HALF_MM,
    observer_d_prime,
    observer_d_prime_coarse,
    third_strongest,
)

__all__ = ["PlacedCalcification", "InsertedCluster", "insert_cluster", "MAX_DRAWS"]

log = logging.getLogger(__name__)

#: lesions drawn at most before giving up on the class asked for
MAX_DRAWS = 40
#: sites tried per lesion (visibility depends on the background as well)
_SITES_PER_LESION = 2


@dataclass(frozen=True, eq=False)
class PlacedCalcification:
    """One calcification as placed: its path-length patch and how visible it is."""

    shape: str
    diameter_mm: float
    patch: np.ndarray  # path length (mm) on the detector grid
    r0: int  # patch corner (canonical orientation)
    c0: int
    mu_per_mm: float  # attenuation added per mm of path (material minus displaced tissue)
    d_prime: float  # NPW, quantum + electronic + anatomical noise
    d_prime_quantum: float  # ideal (prewhitening) observer, quantum + electronic only, flat background
    #: ``d_prime`` in the image area-averaged to ``COARSE_CHECK_MM`` pixels (itself when already as coarse)
    d_prime_coarse: float


@dataclass(frozen=True, eq=False)
class InsertedCluster:
    """The accepted lesion, where it is, and its class."""

    spec: ClusterSpec
    centre_rc: tuple[float, float]
    box: tuple[int, int, int, int]  # row0, col0, row1, col1 inclusive (square)
    calcifications: tuple[PlacedCalcification, ...]
    visibility: str
    visibility_requested: str | None
    n_draws: int
    glandular_fraction: float

    @property
    def third_d_prime(self) -> float:
        return third_strongest([c.d_prime for c in self.calcifications])

    @property
    def visibility_coarse(self) -> str:
        """The class the cluster would have in the image area-averaged to ``COARSE_CHECK_MM`` pixels."""
        return classify_cluster([c.d_prime_coarse for c in self.calcifications])


def _site(rng, anat: Anatomy, spec: ClusterSpec, spacing_mm: float) -> tuple[float, float]:
    fr, fc = anat.grid_factor
    grid_mm = spacing_mm * fc
    edge = anat.edge_distance_low_mm
    hl, wl = edge.shape
    rr, cc = np.mgrid[0:hl, 0:wl]
    nr, nc = anat.nipple_rc[0] / fr, anat.nipple_rc[1] / fc
    valid = (anat.mask_low & ~anat.pectoral_low & (edge > 10.0) & (cc * grid_mm > 8.0)
             & (np.hypot(rr - nr, cc - nc) * grid_mm > 10.0))
    if not valid.any():
        valid = anat.mask_low & (edge > edge.max() * 0.5)
    depth_col = nc * (1.0 - spec.depth_fraction)
    band = valid & (np.abs(cc - depth_col) * grid_mm < 6.0)
    if band.sum() > 20:
        valid = band
    idx = np.flatnonzero(valid)
    w = 0.15 + anat.glandular_low.ravel()[idx]
    k = int(rng.choice(idx, p=w / w.sum()))
    rl, cl = divmod(k, wl)
    return (rl + rng.random()) * fr - 0.5, (cl + rng.random()) * fc - 0.5


def spec_extent_mm(spec: ClusterSpec) -> float:
    """Largest distance (mm) of a member's edge from the cluster centre."""
    return max((math.hypot(c.dy_mm, c.dx_mm) + c.diameter_mm / 2 for c in spec.calcs), default=0.0)


def _square_box(r: float, c: float, half_px: int, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    size = min(scipy.fft.next_fast_len(2 * half_px + 1), shape[0], shape[1])
    r0 = int(np.clip(int(r) - size // 2, 0, shape[0] - size))
    c0 = int(np.clip(int(c) - size // 2, 0, shape[1] - size))
    return r0, c0, r0 + size - 1, c0 + size - 1


def _trial(spec: ClusterSpec, site_rng, anat: Anatomy, atten: np.ndarray, exposure: Exposure,
           preset: VendorPreset) -> tuple:
    sp = preset.spacing_mm
    rows, cols = atten.shape
    cr, cc = _site(site_rng, anat, spec, sp)
    rot = site_rng.uniform(0, 2 * math.pi)
    cos_r, sin_r = math.cos(rot), math.sin(rot)
    half_px = int(max(BOX_HALF_MM, spec_extent_mm(spec) + 1.0) / sp)
    box = _square_box(cr, cc, half_px, (rows, cols))
    bs = (slice(box[0], box[2] + 1), slice(box[1], box[3] + 1))
    n_bg = exposure.blur(exposure.mean_quanta(atten[bs], *bs))
    fr, fc = anat.grid_factor
    gl = anat.glandular_low
    g = float(gl[int(np.clip(cr / fr, 0, gl.shape[0] - 1)), int(np.clip(cc / fc, 0, gl.shape[1] - 1))])
    mu = contrast_mu_per_mm(preset.beam, spec.material, thickness_mm=anat.thickness_mm, glandular_fraction=g)
    n_site = float(n_bg[int(np.clip(cr - box[0], 0, n_bg.shape[0] - 1)), int(np.clip(cc - box[1], 0, n_bg.shape[1] - 1))])
    spectrum = background_spectrum(n_bg, n_mean=n_site, blur_sigma_px=exposure.blur_sigma_px,
                                   electronic_noise=exposure.white_sigma(n_site))
    placed = []
    for cs in spec.calcs:
        dy = cs.dy_mm * cos_r + cs.dx_mm * sin_r
        dx = -cs.dy_mm * sin_r + cs.dx_mm * cos_r
        r, c = cr + dy / sp, cc + dx / sp
        patch, half = path_length_patch(cs.shape, diameter_mm=cs.diameter_mm, spacing_mm=sp,
                                        frac_rc=(r % 1.0, c % 1.0), angle_rad=cs.angle_rad - rot, seed=cs.shape_seed)
        r0, c0 = int(r) - half, int(c) - half
        n = patch.shape[0]
        if r0 < 0 or c0 < 0 or r0 + n > rows or c0 + n > cols:
            continue  # off the detector (cannot happen for sites 10 mm inside the breast)
        ps = (slice(r0, r0 + n), slice(c0, c0 + n))
        a = atten[ps]
        delta = exposure.mean_quanta(a + np.float32(mu) * patch, *ps) - exposure.mean_quanta(a, *ps)
        d, _ = observer_d_prime(delta, spectrum)
        dq = ideal_observer_snr(delta, n_site, exposure)
        d_coarse = observer_d_prime_coarse(delta, spectrum, COARSE_CHECK_MM / sp) if sp < COARSE_CHECK_MM else d
        placed.append(PlacedCalcification(cs.shape, cs.diameter_mm, patch, r0, c0, mu, d, dq, d_coarse))
    return (cr, cc), box, tuple(placed), g


def insert_cluster(*, lesion_rng: np.random.Generator, site_rng: np.random.Generator, anat: Anatomy,
                   atten: np.ndarray, exposure: Exposure, preset: VendorPreset, visibility: str | None,
                   max_draws: int = MAX_DRAWS) -> InsertedCluster:
    """Draw lesion and site until the cluster's class is ``visibility`` (any class when None).

    After ``max_draws`` lesions without the class asked for, the last one is
    kept (its true class is what the truth records, with the class asked for
    beside it) and a warning is logged.
    """
    if visibility is not None and visibility not in VISIBILITY_CLASSES:
        raise ValueError(f"visibility must be one of {VISIBILITY_CLASSES} or None, got {visibility!r}")
    last = None
    for k in range(1, max_draws + 1):
        spec = draw_cluster(lesion_rng)
        for _ in range(_SITES_PER_LESION if visibility is not None else 1):
            centre, box, placed, g = _trial(spec, site_rng, anat, atten, exposure, preset)
            cls = classify_cluster([p.d_prime for p in placed])
            last = InsertedCluster(spec, centre, box, placed, cls, visibility, k, g)
            if visibility is None or cls == visibility:
                return last
    log.warning("no %s cluster in %d lesion draws; keeping a %s one", visibility, max_draws, last.visibility)
    return last
