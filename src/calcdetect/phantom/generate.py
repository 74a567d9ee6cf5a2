"""Make one synthetic mammogram with its ground truth (pure: no file I/O).

:func:`make_phantom` chains :mod:`.anatomy` (breast and attenuation),
:mod:`.lesions` (the cluster), :mod:`.distractors` and :mod:`.acquisition`
(exposure, noise, blur, response; for film presets :mod:`.film` and
:mod:`.film_distractors`), all driven by one
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
from calcdetect.phantom.acquisition import Exposure, Response, detect, fit_response, plan_exposure
from calcdetect.phantom.anatomy import Anatomy, make_anatomy
from calcdetect.phantom.cluster_insert import InsertedCluster, insert_cluster
from calcdetect.phantom.distractors import MuForSnr, add_patch, add_physical_distractors, add_stored_distractors
from calcdetect.phantom.film_distractors import add_film_distractors
from calcdetect.phantom.fine_texture import TEXTURE_BETA
from calcdetect.phantom.visibility import REALISTIC_MIX, VISIBILITY_CLASSES
from calcdetect.phantom.presentation import check_processing, process_presentation
from calcdetect.phantom.presets import FOR_PROCESSING, VendorPreset, resolve_preset
from calcdetect.phantom.uids import phantom_uid

__all__ = ["Phantom", "make_phantom", "TRUTH_FORMAT", "DENSITIES", "VIEWS", "LATERALITIES"]

DENSITIES = ("a", "b", "c", "d")
VIEWS = ("CC", "MLO")
LATERALITIES = ("L", "R")
_DENSITY_P = (0.1, 0.4, 0.4, 0.1)  # screening population mix
_MU_MAX_PER_MM = 3.0
#: the fine texture's own random stream (with the image seed): the image's other draws do not move
_FINE_TEXTURE_STREAM = 0xF1E

#: film presets: vascular tracks from a few short dashes in pairs to nearly continuous rails
_FILM_VASCULAR_ON = (0.3, 0.8)


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


def _check_arguments(view: str, laterality: str, density: str | None, visibility: str | None) -> None:
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    if laterality not in LATERALITIES:
        raise ValueError(f"laterality must be one of {LATERALITIES}, got {laterality!r}")
    if density is not None and density not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES} or None, got {density!r}")
    if visibility is not None and visibility not in VISIBILITY_CLASSES + ("any",):
        raise ValueError(f"visibility must be one of {VISIBILITY_CLASSES + ('any',)} or None, got {visibility!r}")


def _distractor_mu(atten: np.ndarray, exposure: Exposure) -> MuForSnr:
    """Distractors only: the attenuation giving a peak SNR (calcifications get theirs from physics)."""
    rows, cols = atten.shape

    def mu_for(patch: np.ndarray, r: float, c: float, snr: float) -> float:
        ri, ci = int(np.clip(r, 0, rows - 1)), int(np.clip(c, 0, cols - 1))
        n = float(exposure.mean_quanta(atten[ri:ri + 1, ci:ci + 1], slice(ri, ri + 1), slice(ci, ci + 1))[0, 0])
        primary = float(np.exp(-atten[ri, ci]))
        primary_fraction = primary / (primary + float(exposure.scatter[ri, ci]))
        sig_ln = float(exposure.quanta_sigma(n)) / n
        peak = float(exposure.blur(np.pad(patch, 3)).max())
        # small-contrast approximation: d ln(N) = -mu * path * primary / (primary + scatter)
        return float(np.clip(snr * sig_ln / max(peak * primary_fraction, 1e-6), 0.02, _MU_MAX_PER_MM))

    return mu_for


@dataclass(frozen=True, eq=False)
class _PlacedLesion:
    """The inserted cluster and the attenuation of its box without and with it."""

    cluster: InsertedCluster
    before: np.ndarray
    after: np.ndarray

    @property
    def box_slices(self) -> tuple[slice, slice]:
        b = self.cluster.box
        return slice(b[0], b[2] + 1), slice(b[1], b[3] + 1)


def _place_lesion(rng: np.random.Generator, *, seed: int, lesion_seed: int | None, visibility: str | None,
                  anat: Anatomy, exposure: Exposure, preset: VendorPreset) -> _PlacedLesion:
    """Draw the cluster (redrawn until its visibility class is the one wanted) and add it to the attenuation."""
    wanted = visibility
    if wanted is None:
        wanted = str(rng.choice(list(REALISTIC_MIX), p=list(REALISTIC_MIX.values())))
    lesion_rng = np.random.default_rng(lesion_seed if lesion_seed is not None else (int(seed), 0x1E5))
    atten = anat.attenuation
    cluster = insert_cluster(lesion_rng=lesion_rng, site_rng=np.random.default_rng((int(seed), 0x5173)),
                             anat=anat, atten=atten, exposure=exposure, preset=preset,
                             visibility=None if wanted == "any" else wanted)
    b = cluster.box
    bs = (slice(b[0], b[2] + 1), slice(b[1], b[3] + 1))
    before = atten[bs].copy()
    for pc in cluster.calcifications:
        add_patch(atten, pc.patch, pc.r0, pc.c0, pc.mu_per_mm)
    return _PlacedLesion(cluster, before, atten[bs].copy())


def _calcification_truth(lesion: _PlacedLesion, exposure: Exposure, response) -> list[dict]:
    """Position, contrast and SNR of each member, measured on noise-free renderings (canonical orientation)."""
    cluster, box = lesion.cluster, lesion.cluster.box
    bs = lesion.box_slices
    n_b = exposure.blur(exposure.mean_quanta(lesion.before, *bs))
    n_a = exposure.blur(exposure.mean_quanta(lesion.after, *bs))
    diff = response.display(n_a, *bs) - response.display(n_b, *bs)
    out = []
    for k, pc in enumerate(cluster.calcifications):
        pr, pcol = np.nonzero(pc.patch > 0)
        wts = pc.patch[pr, pcol]
        r = float((pr * wts).sum() / wts.sum()) + pc.r0
        c = float((pcol * wts).sum() / wts.sum()) + pc.c0
        foot = np.zeros(diff.shape, bool)
        foot[np.clip(pr + pc.r0 - box[0], 0, diff.shape[0] - 1), np.clip(pcol + pc.c0 - box[1], 0, diff.shape[1] - 1)] = True
        foot = cv2.dilate(foot.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        contrast = float(diff[foot].max())
        ri, ci = int(round(r)), int(round(c))
        sigma = response.noise_sigma(float(n_b[ri - box[0], ci - box[1]]), exposure,
                                     slice(ri, ri + 1), slice(ci, ci + 1))
        out.append({
            "id": k, "row": r, "col": c, "diameter_mm": round(pc.diameter_mm, 3),
            "contrast": contrast, "snr": contrast / sigma, "d_prime": round(pc.d_prime, 3),
            "d_prime_quantum": round(pc.d_prime_quantum, 3), "d_prime_0.2mm": round(pc.d_prime_coarse, 3),
            "shape": pc.shape, "cluster_id": 0,
            "material": cluster.spec.material, "mu_per_mm": round(pc.mu_per_mm, 4),
        })
    return out


def _store(n_det: np.ndarray, response, exposure: Exposure, *, anat: Anatomy, preset: VendorPreset, label: str,
           flip: bool, rng: np.random.Generator, processing: str = "none") -> tuple[np.ndarray, list[dict]]:
    """Stored pixels in the final orientation, with what is drawn into them (their truth records).

    A digital preset: the response, the vendor's ``processing`` (FOR PRESENTATION only,
    :mod:`.presentation`), then burned-in label and detector defects.
    A film preset: density with grain and scanner noise, then the film's
    labels, dust, scratches and scanner lines, then the scanner's encoding.
    """
    if exposure.film is None:
        stored = response.stored(n_det)
        if _processed(preset, processing):
            stored = process_presentation(stored, spacing_mm=preset.spacing_mm, max_value=preset.max_value,
                                          recipe=processing)
        if flip:
            stored = np.ascontiguousarray(stored[:, ::-1])
        return stored, add_stored_distractors(stored, bright=response.bright_stored(), label=label,
                                              chest_wall_right=flip, spacing_mm=preset.spacing_mm, rng=rng)
    od = exposure.film.expose(n_det, rng)
    mask = anat.mask
    if flip:
        od, mask = np.ascontiguousarray(od[:, ::-1]), mask[:, ::-1]
    records = add_film_distractors(od, mask=mask, pitch_mm=preset.spacing_mm, d_min=exposure.film.spec.d_min,
                                   blur_px=exposure.blur_sigma_px, view_label=label, chest_wall_right=flip, rng=rng)
    return response.stored_from_od(od), records


def _processed(preset: VendorPreset, processing: str) -> bool:
    """Whether a vendor's presentation processing applies: digital FOR PRESENTATION images only (a
    FOR PROCESSING image is the raw one; film is developed and scanned, not processed)."""
    return processing != "none" and preset.film is None and preset.presentation_intent != FOR_PROCESSING


def _orient_truth(calcs: list[dict], distractors: list[dict], *, cols: int, spacing_mm: float, flip: bool) -> None:
    """Mirror the canonical-orientation truth for a right breast; round and add mm positions (in place)."""
    for cal in calcs:
        cal["col"] = _flip_rc(cal["col"], cols, flip)
        cal["row"], cal["col"] = round(cal["row"], 2), round(cal["col"], 2)
        cal["x_mm"], cal["y_mm"] = round(cal["col"] * spacing_mm, 3), round(cal["row"] * spacing_mm, 3)
        cal["contrast"], cal["snr"] = round(cal["contrast"], 5), round(cal["snr"], 3)
    for d in distractors:
        d["bbox"] = _flip_bbox(d["bbox"], cols, flip)
        d["row"], d["col"] = (d["bbox"][0] + d["bbox"][2]) / 2, (d["bbox"][1] + d["bbox"][3]) / 2


def _cluster_truth(calcs: list[dict], lesion: _PlacedLesion | None, spacing_mm: float) -> list[dict]:
    if not calcs:
        return []
    cluster = lesion.cluster
    pts = np.array([[c["row"], c["col"]] for c in calcs], np.float32)
    hull = cv2.convexHull(pts[:, ::-1].copy())[:, 0, ::-1]
    area_mm2 = float(cv2.contourArea(hull[:, ::-1].copy())) * spacing_mm * spacing_mm
    return [{
        "cluster_id": 0, "row": round(float(pts[:, 0].mean()), 2), "col": round(float(pts[:, 1].mean()), 2),
        "n_calcifications": len(calcs), "member_ids": [c["id"] for c in calcs],
        "morphology": cluster.spec.morphology,
        "hull_rc": [[round(float(a), 2), round(float(b), 2)] for a, b in hull],
        "area_mm2": round(area_mm2, 2), "visibility": cluster.visibility,
        "visibility_0.2mm": cluster.visibility_coarse,
        "third_d_prime": round(cluster.third_d_prime, 3) if math.isfinite(cluster.third_d_prime) else None,
        "visibility_requested": cluster.visibility_requested, "lesion_draws": cluster.n_draws,
        "material": cluster.spec.material, "size_scale": round(cluster.spec.size_scale, 3),
        "glandular_fraction": round(cluster.glandular_fraction, 3),
    }]


def _display_window(stored: np.ndarray, response, mask: np.ndarray, preset: VendorPreset,
                    flip: bool) -> tuple[float, float]:
    """Window centre and width (stored units) covering the breast's 1st to 99.5th percentile."""
    read = response.read(stored[::4, ::4])
    in_breast = read[(mask[::4, ::-4] if flip else mask[::4, ::4])]
    lo, hi = np.percentile(in_breast if in_breast.size else read, [1, 99.5])
    if preset.presentation_intent == FOR_PROCESSING:
        top = float(np.log1p(preset.max_value))
        s_lo, s_hi = sorted((float(np.expm1(top - hi)), float(np.expm1(top - lo))))
        return (s_lo + s_hi) / 2, max(s_hi - s_lo, 1.0)
    if preset.photometric == "MONOCHROME1":
        return preset.max_value - (lo + hi) / 2, max(hi - lo, 1.0)
    return (lo + hi) / 2, max(hi - lo, 1.0)


def _film_truth(exposure: Exposure, preset: VendorPreset) -> dict:
    """The ``film`` block of a film phantom's truth: the curve, grain and scanner of this image."""
    chain = exposure.film
    s = chain.spec
    return {
        "characteristic_curve": {"model": "logistic in log10 exposure", "d_min": s.d_min, "d_max": s.d_max,
                                 "gamma": s.gamma, "od_target": round(chain.od_target, 3)},
        "grain_rms_50um": s.grain_rms_50um, "scanner_noise_t": s.scanner_noise_t,
        "screen_blur_sigma_mm": preset.blur_sigma_mm, "scan_pitch_mm": preset.spacing_mm,
        "scanner_encoding": s.encoding, "gl_at_od0": s.gl_at_od0, "gl_per_od": s.gl_per_od,
        "dicom_object": s.dicom_object, "spacing_attributes": list(s.spacing_attributes),
    }


def _uids(study_uid: str | None, patient_id: str, seed: int, view: str, laterality: str,
          preset_name: str) -> tuple[str, str, str]:
    """Study (derived from patient and seed unless given), series and SOP instance UIDs."""
    study_uid = study_uid or phantom_uid("study", patient_id, seed)
    series_uid = phantom_uid("series", study_uid, view, laterality, seed)
    return study_uid, series_uid, phantom_uid("sop", study_uid, view, laterality, seed, preset_name)


def _truth_document(*, seed: int, preset: VendorPreset, uids: tuple[str, str, str], patient_id: str, view: str,
                    laterality: str, density: str, anat: Anatomy, exposure: Exposure, lesion_seed: int | None,
                    calcs: list[dict], clusters: list[dict], distractors: list[dict]) -> dict:
    p = preset
    study_uid, series_uid, sop_uid = uids
    sp = p.spacing_mm
    truth = {
        "format": TRUTH_FORMAT, "seed": int(seed), "preset": p.name, "sop_instance_uid": sop_uid,
        "study_instance_uid": study_uid, "series_instance_uid": series_uid, "patient_id": patient_id,
        "view": view, "laterality": laterality, "rows": p.rows, "cols": p.cols, "spacing_mm": [sp, sp],
        "density": density, "photometric": p.photometric, "presentation_intent": p.presentation_intent,
        "bits_stored": p.bits_stored, "transfer_syntax_uid": str(p.transfer_syntax_uid),
        "manufacturer": p.manufacturer, "breast_area_mm2": round(float(anat.mask.sum()) * sp * sp, 1),
        "compressed_thickness_mm": round(anat.thickness_mm, 1), "has_cluster": bool(clusters),
        "lesion_seed": lesion_seed, "beam": p.beam,
        "read_units": ("ln(max_value + 1) - ln(stored + 1)" if p.presentation_intent == FOR_PROCESSING
                       else ("max_value - stored" if p.photometric == "MONOCHROME1" else "stored")),
        "generator": f"calcdetect {__version__}",
    }
    if exposure.film is not None:
        truth["film"] = _film_truth(exposure, p)
    truth.update({"calcifications": calcs, "clusters": clusters, "distractors": distractors})
    return truth


def make_phantom(*, seed: int, preset: str = "demo", view: str = "CC", laterality: str = "L",
                 density: str | None = None, with_cluster: bool | None = None, patient_id: str = "PHANTOM",
                 study_uid: str | None = None, lesion_seed: int | None = None,
                 visibility: str | None = None, presentation_processing: str = "none",
                 fine_texture: bool = False) -> Phantom:
    """Generate one synthetic mammogram with its ground truth.

    Parameters
    ----------
    seed : int
        Everything (including a drawn preset of a mix) follows from it.
    preset : str
        A key of :data:`calcdetect.phantom.PRESETS`, or a mix of
        :data:`calcdetect.phantom.MIX_FAMILIES` (``"mix"``, ``"film-mix"``, ...).
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
        :mod:`.visibility`): lesions are redrawn until it does (bounded,
        deterministic).  None draws it from :data:`.visibility.REALISTIC_MIX`;
        ``"any"`` keeps the first lesion drawn, whatever its class.
    presentation_processing : str
        A vendor's processing of a FOR PRESENTATION image (:data:`.presentation.PRESENTATION_PROCESSING`:
        ``"none"``, ``"usm"``, ``"multiscale"``); FOR PROCESSING and film images are left as they
        are.  Where applied, the truth records it under ``"presentation_processing"``.
    fine_texture : bool
        Continue the breast texture's ``1/f**3`` spectrum above the anatomy grid's Nyquist
        (:mod:`.fine_texture`; off by default: the shipped models were trained without it).  Its
        random stream is its own, so all else drawn from the seed is the image without it (but a
        lesion is drawn again where the texture moves it out of the ``visibility`` asked for); the
        truth records it under ``"fine_texture"``.

    Returns
    -------
    Phantom

    Examples
    --------
    >>> ph = make_phantom(seed=1, preset="small", with_cluster=True)
    >>> ph.stored.shape, ph.truth["has_cluster"]
    ((600, 480), True)
    """
    _check_arguments(view, laterality, density, visibility)
    check_processing(presentation_processing)
    rng = np.random.default_rng(seed)
    p = resolve_preset(preset, rng)
    if density is None:
        density = str(rng.choice(DENSITIES, p=_DENSITY_P))
    if with_cluster is None:
        with_cluster = bool(rng.random() < 0.5)
    sp = p.spacing_mm
    texture_rng = np.random.default_rng((int(seed), _FINE_TEXTURE_STREAM)) if fine_texture else None
    anat = make_anatomy(rng, rows=p.rows, cols=p.cols, spacing_mm=sp, view=view, density=density,
                        texture_rng=texture_rng)
    np.maximum(anat.attenuation, 0, out=anat.attenuation)
    exposure = plan_exposure(anat.attenuation_low, anat.mask_low, anat.edge_distance_low_mm > 15.0,
                             shape=(p.rows, p.cols), preset=p, grid_mm=sp * anat.grid_factor[1], rng=rng)
    lesion = _place_lesion(rng, seed=seed, lesion_seed=lesion_seed, visibility=visibility, anat=anat,
                           exposure=exposure, preset=p) if with_cluster else None
    distractors = add_physical_distractors(anat.attenuation, anatomy=anat, spacing_mm=sp, rng=rng,
                                           mu_for=_distractor_mu(anat.attenuation, exposure),
                                           avoid_rc=[lesion.cluster.centre_rc] if lesion else [],
                                           vascular_on_fraction=_FILM_VASCULAR_ON if p.film is not None else None)
    n_det = detect(exposure.mean_quanta(anat.attenuation), exposure, rng)
    response = fit_response(n_det, anat.mask, preset=p, exposure=exposure,
                            grid_factor=int(round(anat.grid_factor[1])), rng=rng)
    calcs = _calcification_truth(lesion, exposure, response) if lesion else []

    flip = laterality == "R"
    stored, drawn = _store(n_det, response, exposure, anat=anat, preset=p, label=f"{laterality}{view}",
                           flip=flip, rng=rng, processing=presentation_processing)
    del n_det
    _orient_truth(calcs, distractors, cols=p.cols, spacing_mm=sp, flip=flip)
    distractors += drawn
    clusters = _cluster_truth(calcs, lesion, sp)

    study_uid, series_uid, sop_uid = _uids(study_uid, patient_id, seed, view, laterality, p.name)
    centre, width = _display_window(stored, response, anat.mask, p, flip)
    truth = _truth_document(seed=seed, preset=p, uids=(study_uid, series_uid, sop_uid), patient_id=patient_id,
                            view=view, laterality=laterality, density=density, anat=anat, exposure=exposure,
                            lesion_seed=lesion_seed, calcs=calcs, clusters=clusters, distractors=distractors)
    if _processed(p, presentation_processing):
        truth["presentation_processing"] = presentation_processing
    if fine_texture:
        truth["fine_texture"] = {"beta": TEXTURE_BETA, "amplitude": anat.fine_texture_amplitude,
                                 "above_per_mm": 0.5 / (sp * anat.grid_factor[1])}
    return Phantom(stored=stored, truth=truth, preset=p, seed=int(seed), view=view, laterality=laterality,
                   patient_id=patient_id, study_instance_uid=study_uid, series_instance_uid=series_uid,
                   sop_instance_uid=sop_uid, window_center=float(centre), window_width=float(width),
                   thickness_mm=anat.thickness_mm)
