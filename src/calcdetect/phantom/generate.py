"""Make one synthetic mammogram with its ground truth (pure: no file I/O).

:func:`make_phantom` chains :mod:`.anatomy` (breast and attenuation),
:mod:`.lesions` (the cluster), :mod:`.distractors` and :mod:`.acquisition`
(exposure, noise, blur, response), all driven by one
``np.random.default_rng(seed)`` so a seed gives the same pixels and truth on
every run.  Contrast and SNR in the truth are measured on noise-free renderings
with and without the cluster, in the read units of :class:`.acquisition.Response`
(denser = brighter, as :func:`calcdetect.io.read_mammogram` reads the file).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from calcdetect import __version__
from calcdetect.evaluation.truth_record import TRUTH_FORMAT, PhantomTruth
from calcdetect.phantom.acquisition import Response, detect, fit_response, plan_exposure
from calcdetect.phantom.anatomy import make_anatomy
from calcdetect.phantom.cluster_insert import insert_cluster
from calcdetect.phantom.distractors import add_patch, add_physical_distractors, add_stored_distractors
from calcdetect.phantom.visibility import REALISTIC_MIX, VISIBILITY_CLASSES
from calcdetect.phantom.presets import FOR_PROCESSING, VendorPreset, resolve_preset
from calcdetect.phantom.uids import phantom_uid

__all__ = ["Phantom", "make_phantom", "TRUTH_FORMAT", "DENSITIES", "VIEWS", "LATERALITIES"]

DENSITIES = ("a", "b", "c", "d")
VIEWS = ("CC", "MLO")
LATERALITIES = ("L", "R")
_DENSITY_P = (0.1, 0.4, 0.4, 0.1)  # screening population mix
_MU_MAX_PER_MM = 3.0


@dataclass(frozen=True, eq=False)
class Phantom:
    """A synthetic mammogram: stored pixels, ground truth and what the writer needs.

    Attributes
    ----------
    stored : ndarray of uint16, shape (rows, cols)
        Pixel values exactly as they go into the DICOM file.
    truth : dict
        The ground-truth JSON content (``docs/phantom-truth.md``); :attr:`record`
        is the same as a typed, frozen :class:`~calcdetect.evaluation.truth_record.PhantomTruth`.
    preset : VendorPreset
    """

    stored: np.ndarray
    truth: dict
    preset: VendorPreset
    seed: int
    view: str
    laterality: str
    patient_id: str
    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    window_center: float
    window_width: float
    thickness_mm: float

    @property
    def record(self) -> PhantomTruth:
        """The truth as a frozen record (parsed from :attr:`truth`, so it includes later additions)."""
        return PhantomTruth.from_dict(self.truth, name=f"phantom seed {self.seed}")

    def read_pixels(self) -> np.ndarray:
        """The pixels in read units (denser = brighter), float32."""
        return _read_units(self.stored, self.preset)


def _read_units(stored: np.ndarray, preset: VendorPreset) -> np.ndarray:
    return Response(preset=preset).read(stored)


def _flip_rc(col: float, cols: int, flip: bool) -> float:
    return cols - 1 - col if flip else col


def _flip_bbox(b, cols, flip):
    if not flip:
        return [int(v) for v in b]
    return [int(b[0]), int(cols - 1 - b[3]), int(b[2]), int(cols - 1 - b[1])]


def make_phantom(*, seed: int, preset: str = "demo", view: str = "CC", laterality: str = "L",
                 density: str | None = None, with_cluster: bool | None = None, patient_id: str = "PHANTOM",
                 study_uid: str | None = None, lesion_seed: int | None = None,
                 visibility: str | None = None) -> Phantom:
    """Generate one synthetic mammogram with its ground truth.

    Parameters
    ----------
    seed : int
        Everything (including a drawn preset of a mix) follows from it.
    preset : str
        A key of :data:`calcdetect.phantom.PRESETS`, or ``"mix"``, ``"demo-mix"``,
        ``"small-mix"``.
    view, laterality : str
        ``"CC"``/``"MLO"`` and ``"L"``/``"R"``.
    density : str, optional
        BI-RADS density ``"a"`` .. ``"d"``; drawn when None.
    with_cluster : bool, optional
        Whether the image holds a microcalcification cluster; drawn (p = 0.5) when None.
    patient_id, study_uid : str
        Header identifiers; the study UID is derived from seed and patient id when None.
    lesion_seed : int, optional
        Seed of the cluster itself (morphology, material, layout, sizes), so
        the CC and MLO views of one breast can show the same lesion.
    visibility : str, optional
        Class the cluster must have (``"visible"``, ``"subtle"``, ``"occult"``,
        see :mod:`.visibility`): lesions are redrawn until it does (bounded,
        deterministic).  None draws the class from
        :data:`~calcdetect.phantom.visibility.REALISTIC_MIX`; ``"any"`` keeps the
        first lesion drawn, whatever its class.

    Returns
    -------
    Phantom

    Examples
    --------
    >>> ph = make_phantom(seed=1, preset="small", with_cluster=True)
    >>> ph.stored.shape, ph.truth["has_cluster"]
    ((600, 480), True)
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    if laterality not in LATERALITIES:
        raise ValueError(f"laterality must be one of {LATERALITIES}, got {laterality!r}")
    if density is not None and density not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES} or None, got {density!r}")
    if visibility is not None and visibility not in VISIBILITY_CLASSES + ("any",):
        raise ValueError(f"visibility must be one of {VISIBILITY_CLASSES + ('any',)} or None, got {visibility!r}")
    rng = np.random.default_rng(seed)
    p = resolve_preset(preset, rng)
    if density is None:
        density = str(rng.choice(DENSITIES, p=_DENSITY_P))
    if with_cluster is None:
        with_cluster = bool(rng.random() < 0.5)
    rows, cols, sp = p.rows, p.cols, p.spacing_mm

    anat = make_anatomy(rng, rows=rows, cols=cols, spacing_mm=sp, view=view, density=density)
    atten = anat.attenuation
    np.maximum(atten, 0, out=atten)
    grid_factor = int(round(anat.grid_factor[1]))
    exposure = plan_exposure(anat.attenuation_low, anat.mask_low, anat.edge_distance_low_mm > 15.0,
                             shape=(rows, cols), preset=p, grid_mm=sp * anat.grid_factor[1], rng=rng)

    def mu_for(patch: np.ndarray, r: float, c: float, snr: float) -> float:
        """Distractors only: the attenuation giving a peak SNR (calcifications get theirs from physics)."""
        ri, ci = int(np.clip(r, 0, rows - 1)), int(np.clip(c, 0, cols - 1))
        n = float(exposure.mean_quanta(atten[ri:ri + 1, ci:ci + 1], slice(ri, ri + 1), slice(ci, ci + 1))[0, 0])
        primary = float(np.exp(-atten[ri, ci]))
        primary_fraction = primary / (primary + float(exposure.scatter[ri, ci]))
        sig_ln = float(exposure.quanta_sigma(n)) / n
        peak = float(exposure.blur(np.pad(patch, 3)).max())
        # small-contrast approximation: d ln(N) = -mu * path * primary / (primary + scatter)
        return float(np.clip(snr * sig_ln / max(peak * primary_fraction, 1e-6), 0.02, _MU_MAX_PER_MM))

    # --- the cluster: physical contrast, redrawn until its visibility class is the one wanted ---
    avoid: list[tuple[float, float]] = []
    box = None
    cluster = None
    if with_cluster:
        wanted = visibility
        if wanted is None:
            wanted = str(rng.choice(list(REALISTIC_MIX), p=list(REALISTIC_MIX.values())))
        lesion_rng = np.random.default_rng(lesion_seed if lesion_seed is not None else (int(seed), 0x1E5))
        cluster = insert_cluster(lesion_rng=lesion_rng, site_rng=np.random.default_rng((int(seed), 0x5173)),
                                 anat=anat, atten=atten, exposure=exposure, preset=p,
                                 visibility=None if wanted == "any" else wanted)
        avoid.append(cluster.centre_rc)
        box = cluster.box
        bs = (slice(box[0], box[2] + 1), slice(box[1], box[3] + 1))
        before = atten[bs].copy()
        for pc in cluster.calcifications:
            add_patch(atten, pc.patch, pc.r0, pc.c0, pc.mu_per_mm)
        after = atten[bs].copy()

    distractors = add_physical_distractors(atten, anatomy=anat, spacing_mm=sp, rng=rng, mu_for=mu_for,
                                           avoid_rc=avoid)
    n_mean = exposure.mean_quanta(atten)
    n_det = detect(n_mean, exposure, rng)
    del n_mean
    response = fit_response(n_det, anat.mask, preset=p, exposure=exposure, grid_factor=grid_factor, rng=rng)

    # --- truth of the calcifications, measured on noise-free renderings ---
    calcs_truth = []
    if with_cluster:
        n_b0 = exposure.mean_quanta(before, *bs)
        n_b = exposure.blur(n_b0)
        n_a = exposure.blur(exposure.mean_quanta(after, *bs))
        diff = response.display(n_a, *bs) - response.display(n_b, *bs)
        for k, pc in enumerate(cluster.calcifications):
            patch = pc.patch
            pr, pcol = np.nonzero(patch > 0)
            wts = patch[pr, pcol]
            r = float((pr * wts).sum() / wts.sum()) + pc.r0
            c = float((pcol * wts).sum() / wts.sum()) + pc.c0
            foot = np.zeros(diff.shape, bool)
            rr = np.clip(pr + pc.r0 - box[0], 0, diff.shape[0] - 1)
            cc = np.clip(pcol + pc.c0 - box[1], 0, diff.shape[1] - 1)
            foot[rr, cc] = True
            foot = cv2.dilate(foot.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
            contrast = float(diff[foot].max())
            ri, ci = int(round(r)), int(round(c))
            sigma = response.noise_sigma(float(n_b[ri - box[0], ci - box[1]]), exposure,
                                         slice(ri, ri + 1), slice(ci, ci + 1))
            calcs_truth.append({
                "id": k, "row": r, "col": c, "diameter_mm": round(pc.diameter_mm, 3),
                "contrast": contrast, "snr": contrast / sigma, "d_prime": round(pc.d_prime, 3),
                "d_prime_quantum": round(pc.d_prime_quantum, 3), "shape": pc.shape, "cluster_id": 0,
                "material": cluster.spec.material, "mu_per_mm": round(pc.mu_per_mm, 4),
            })
    stored = response.stored(n_det)
    del n_det

    flip = laterality == "R"
    if flip:
        stored = np.ascontiguousarray(stored[:, ::-1])
    for cal in calcs_truth:
        cal["col"] = _flip_rc(cal["col"], cols, flip)
        cal["row"], cal["col"] = round(cal["row"], 2), round(cal["col"], 2)
        cal["x_mm"], cal["y_mm"] = round(cal["col"] * sp, 3), round(cal["row"] * sp, 3)
        cal["contrast"], cal["snr"] = round(cal["contrast"], 5), round(cal["snr"], 3)
    for d in distractors:
        d["bbox"] = _flip_bbox(d["bbox"], cols, flip)
        d["row"], d["col"] = (d["bbox"][0] + d["bbox"][2]) / 2, (d["bbox"][1] + d["bbox"][3]) / 2
    label = f"{laterality}{view}"
    distractors += add_stored_distractors(stored, bright=response.bright_stored(), label=label,
                                          chest_wall_right=flip, spacing_mm=sp, rng=rng)

    clusters_truth = []
    if calcs_truth:
        pts = np.array([[c["row"], c["col"]] for c in calcs_truth], np.float32)
        hull = cv2.convexHull(pts[:, ::-1].copy())[:, 0, ::-1]
        area_mm2 = float(cv2.contourArea(hull[:, ::-1].copy())) * sp * sp
        clusters_truth.append({
            "cluster_id": 0, "row": round(float(pts[:, 0].mean()), 2), "col": round(float(pts[:, 1].mean()), 2),
            "n_calcifications": len(calcs_truth), "member_ids": [c["id"] for c in calcs_truth],
            "morphology": cluster.spec.morphology,
            "hull_rc": [[round(float(a), 2), round(float(b), 2)] for a, b in hull],
            "area_mm2": round(area_mm2, 2), "visibility": cluster.visibility,
            "third_d_prime": round(cluster.third_d_prime, 3) if math.isfinite(cluster.third_d_prime) else None,
            "visibility_requested": cluster.visibility_requested, "lesion_draws": cluster.n_draws,
            "material": cluster.spec.material, "size_scale": round(cluster.spec.size_scale, 3),
            "glandular_fraction": round(cluster.glandular_fraction, 3),
        })

    study_uid = study_uid or phantom_uid("study", patient_id, seed)
    series_uid = phantom_uid("series", study_uid, view, laterality, seed)
    sop_uid = phantom_uid("sop", study_uid, view, laterality, seed, p.name)
    read = response.read(stored[::4, ::4])
    in_breast = read[(anat.mask[::4, ::-4] if flip else anat.mask[::4, ::4])]
    lo, hi = np.percentile(in_breast if in_breast.size else read, [1, 99.5])
    if p.presentation_intent == FOR_PROCESSING:
        top = float(np.log1p(p.max_value))
        s_lo, s_hi = sorted((float(np.expm1(top - hi)), float(np.expm1(top - lo))))
        centre, width = (s_lo + s_hi) / 2, max(s_hi - s_lo, 1.0)
    elif p.photometric == "MONOCHROME1":
        centre, width = p.max_value - (lo + hi) / 2, max(hi - lo, 1.0)
    else:
        centre, width = (lo + hi) / 2, max(hi - lo, 1.0)

    truth = {
        "format": TRUTH_FORMAT,
        "seed": int(seed),
        "preset": p.name,
        "sop_instance_uid": sop_uid,
        "study_instance_uid": study_uid,
        "series_instance_uid": series_uid,
        "patient_id": patient_id,
        "view": view,
        "laterality": laterality,
        "rows": rows,
        "cols": cols,
        "spacing_mm": [sp, sp],
        "density": density,
        "photometric": p.photometric,
        "presentation_intent": p.presentation_intent,
        "bits_stored": p.bits_stored,
        "transfer_syntax_uid": str(p.transfer_syntax_uid),
        "manufacturer": p.manufacturer,
        "breast_area_mm2": round(float(anat.mask.sum()) * sp * sp, 1),
        "compressed_thickness_mm": round(anat.thickness_mm, 1),
        "has_cluster": bool(clusters_truth),
        "lesion_seed": lesion_seed,
        "beam": p.beam,
        "read_units": ("ln(max_value + 1) - ln(stored + 1)" if p.presentation_intent == FOR_PROCESSING
                       else ("max_value - stored" if p.photometric == "MONOCHROME1" else "stored")),
        "generator": f"calcdetect {__version__}",
        "calcifications": calcs_truth,
        "clusters": clusters_truth,
        "distractors": distractors,
    }
    return Phantom(stored=stored, truth=truth, preset=p, seed=int(seed), view=view, laterality=laterality,
                   patient_id=patient_id, study_instance_uid=study_uid, series_instance_uid=series_uid,
                   sop_instance_uid=sop_uid, window_center=float(centre), window_width=float(width),
                   thickness_mm=anat.thickness_mm)
