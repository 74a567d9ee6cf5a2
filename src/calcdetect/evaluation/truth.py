"""Phantom ground truth and scan outputs as tables, ready for :mod:`calcdetect.evaluation.scoring`.

:func:`truth_from_dicts` turns parsed ``*.truth.json`` documents (format in
``docs/phantom-truth.md``) into a :class:`TruthSet` of DataFrames;
:class:`Detections` holds the tables of a ``calcdetect scan`` output folder
(``docs/outputs.md``).  Reading the files is the command's job; here
everything is in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import copy
import math

import numpy as np
import pandas as pd

from calcdetect.evaluation.truth_record import TRUTH_FORMAT_MAJOR, PhantomTruth, TruthCalcification, TruthCluster

__all__ = ["TruthSet", "Detections", "truth_from_dicts", "resample_truth", "TRUTH_FORMAT"]

#: value of the ``format`` field this module understands (prefix match on the major version)
TRUTH_FORMAT = TRUTH_FORMAT_MAJOR
#: a cluster is as visible as its third-brightest calcification (three make a cluster)
VISIBILITY_RANK = 3

_CALC_COLUMNS = ("sop_instance_uid", "id", "row", "col", "diameter_mm", "contrast", "snr", "shape", "cluster_id",
                 "d_prime", "d_prime_quantum", "material")
_CLUSTER_COLUMNS = ("sop_instance_uid", "cluster_id", "row", "col", "n_calcifications", "morphology", "visibility",
                    "visibility_0.2mm", "third_snr", "third_d_prime", "third_d_prime_quantum", "hull_rc")
_DISTRACTOR_COLUMNS = ("sop_instance_uid", "kind", "row", "col", "row_min", "col_min", "row_max", "col_max")
_REQUIRED_COLUMNS = {
    "images": ("sop_instance_uid", "score", "flag"),
    "calcifications": ("sop_instance_uid", "row", "col"),
    "clusters": ("sop_instance_uid", "cluster_id", "row", "col", "row_min", "col_min", "row_max", "col_max", "score"),
    "patients": ("patient_key", "flag"),
}


@dataclass(frozen=True, eq=False)
class TruthSet:
    """Ground truth of a phantom set, one DataFrame per kind of object.

    Attributes
    ----------
    images : DataFrame
        One row per phantom: sop_instance_uid, patient_id, view, laterality,
        preset, density, rows, cols, spacing_row_mm, spacing_col_mm,
        breast_area_mm2, has_cluster, n_clusters, n_calcifications,
        distractor_kinds (sorted, ``;``-joined).
    calcifications : DataFrame
        sop_instance_uid, id, row, col, diameter_mm, contrast, snr, shape,
        cluster_id, d_prime (total noise; NaN in format-/1 files),
        d_prime_quantum, material.
    clusters : DataFrame
        sop_instance_uid, cluster_id, row, col, n_calcifications, morphology,
        visibility (visible / subtle / occult, or unknown for format-/1 files),
        third_snr (SNR of its third-brightest calcification: how visible the
        cluster is, since three calcifications make a cluster), third_d_prime
        (the same for d' against the total noise), third_d_prime_quantum
        (quantum-only ideal observer), hull_rc (object: ndarray (k, 2) of
        pixel vertices).
    distractors : DataFrame
        sop_instance_uid, kind, row, col, row_min, col_min, row_max, col_max.
    """

    images: pd.DataFrame
    calcifications: pd.DataFrame
    clusters: pd.DataFrame
    distractors: pd.DataFrame


@dataclass(frozen=True, eq=False)
class Detections:
    """Tables of one ``calcdetect scan`` output folder (columns of ``docs/outputs.md``).

    ``patients`` may be None; the patient flag is then "any image positive".
    """

    images: pd.DataFrame
    calcifications: pd.DataFrame
    clusters: pd.DataFrame
    patients: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        for name, cols in _REQUIRED_COLUMNS.items():
            table = getattr(self, name)
            if table is None:
                continue
            missing = [c for c in cols if c not in table.columns]
            if missing:
                raise ValueError(f"{name} table lacks column(s) {missing}; see docs/outputs.md")


def _third(values: list[float]) -> float:
    v = sorted((x for x in values if x is not None and not math.isnan(x)), reverse=True)
    return v[VISIBILITY_RANK - 1] if len(v) >= VISIBILITY_RANK else np.nan


def _opt(v: float | None) -> float:
    return np.nan if v is None else float(v)


def truth_from_dicts(truths: Iterable[Mapping], *, names: Iterable[str] | None = None) -> TruthSet:
    """Tables of ground truth from parsed truth JSON documents.

    Each document is parsed into a :class:`~calcdetect.evaluation.truth_record.PhantomTruth`
    (which checks it); files of format ``/1`` get visibility ``"unknown"``.

    Parameters
    ----------
    truths : iterable of mapping
        Parsed ``*.truth.json`` documents.
    names : iterable of str, optional
        A name per document (e.g. its file name) for error messages.

    Returns
    -------
    TruthSet

    Raises
    ------
    ValueError
        A document of another format, missing required keys, or two documents
        with the same ``sop_instance_uid``.
    """
    truths = list(truths)
    names = list(names) if names is not None else [f"#{i}" for i in range(len(truths))]
    images, calcs, clusters, distractors = [], [], [], []
    seen: set[str] = set()
    for doc, name in zip(truths, names, strict=True):
        t = doc if isinstance(doc, PhantomTruth) else PhantomTruth.from_dict(doc, name=name)
        uid = t.sop_instance_uid
        if uid in seen:
            raise ValueError(f"truth {name}: sop_instance_uid {uid!r} appears in two truth files "
                             "(format: docs/phantom-truth.md)")
        seen.add(uid)
        images.append(_image_row(t))
        calcs.extend(_calcification_row(uid, c) for c in t.calcifications)
        clusters.extend(_cluster_row(t, k) for k in t.clusters)
        distractors.extend(_distractor_row(uid, d) for d in t.distractors)
    return TruthSet(
        images=pd.DataFrame(images, columns=list(images[0]) if images else ["sop_instance_uid", "has_cluster"]),
        calcifications=pd.DataFrame(calcs, columns=list(_CALC_COLUMNS)),
        clusters=pd.DataFrame(clusters, columns=list(_CLUSTER_COLUMNS)),
        distractors=pd.DataFrame(distractors, columns=list(_DISTRACTOR_COLUMNS)),
    )


def _image_row(t: PhantomTruth) -> dict:
    """One row of :attr:`TruthSet.images`."""
    return {
        "sop_instance_uid": t.sop_instance_uid,
        "patient_id": str(t.get("patient_id", "")),
        "view": str(t.get("view", "")),
        "laterality": str(t.get("laterality", "")),
        "preset": str(t.get("preset", "")),
        "density": str(t.get("density", "")),
        "rows": t.rows,
        "cols": t.cols,
        "spacing_row_mm": t.spacing_mm[0],
        "spacing_col_mm": t.spacing_mm[1],
        "breast_area_mm2": t.breast_area_mm2,
        "has_cluster": t.has_cluster,
        "n_clusters": len(t.clusters),
        "n_calcifications": len(t.calcifications),
        "distractor_kinds": ";".join(sorted({str(d.get("kind", "")) for d in t.distractors})),
    }


def _calcification_row(uid: str, c: TruthCalcification) -> dict:
    """One row of :attr:`TruthSet.calcifications`."""
    return {
        "sop_instance_uid": uid, "id": c.id, "row": c.row, "col": c.col, "diameter_mm": c.diameter_mm,
        "contrast": c.contrast, "snr": c.snr, "shape": c.shape, "cluster_id": c.cluster_id,
        "d_prime": _opt(c.d_prime), "d_prime_quantum": _opt(c.d_prime_quantum),
        "material": c.material or "",
    }  # fmt: skip


def _cluster_row(t: PhantomTruth, k: TruthCluster) -> dict:
    """One row of :attr:`TruthSet.clusters`: its outline and how visible its third-brightest member is."""
    members = t.members(k)
    hull = np.asarray(k.hull_rc, dtype=float).reshape(-1, 2)
    if hull.shape[0] == 0:  # no hull given: the member centres stand in for it
        hull = np.array([[c.row, c.col] for c in members]).reshape(-1, 2)
    if hull.shape[0] == 0:
        hull = np.array([[k.row, k.col]])
    return {
        "sop_instance_uid": t.sop_instance_uid,
        "cluster_id": k.cluster_id,
        "row": k.row,
        "col": k.col,
        "n_calcifications": k.n_calcifications,
        "morphology": k.morphology,
        "visibility": k.visibility,
        # the class in the image area-averaged to 0.2 mm pixels (empty in files that predate it)
        "visibility_0.2mm": str(k.extra.get("visibility_0.2mm") or ""),
        "third_snr": _third([c.snr for c in members]),
        "third_d_prime": _third([_opt(c.d_prime) for c in members]),
        "third_d_prime_quantum": _third([_opt(c.d_prime_quantum) for c in members]),
        "hull_rc": hull,
    }


def _distractor_row(uid: str, d: Mapping) -> dict:
    """One row of :attr:`TruthSet.distractors`; the centre defaults to the box's."""
    bbox = d["bbox"]
    return {
        "sop_instance_uid": uid,
        "kind": str(d.get("kind", "")),
        "row": float(d.get("row", (bbox[0] + bbox[2]) / 2)),
        "col": float(d.get("col", (bbox[1] + bbox[3]) / 2)),
        "row_min": float(bbox[0]),
        "col_min": float(bbox[1]),
        "row_max": float(bbox[2]),
        "col_max": float(bbox[3]),
    }


def resample_truth(doc: Mapping, factor_rc: tuple[float, float], new_shape: tuple[int, int]) -> dict:
    """Truth of an image resampled to coarser pixels (new pixel = ``factor`` old pixels).

    Pixel centres map as ``new = (old + 0.5) / factor - 0.5``; spacing grows by
    the factor; physical quantities (diameters, mm positions, breast area)
    are unchanged; distractor boxes are widened to whole new pixels.

    Examples
    --------
    >>> doc = {"rows": 4, "cols": 4, "spacing_mm": [0.1, 0.1],
    ...        "calcifications": [{"row": 1.5, "col": 3.5}], "clusters": [], "distractors": []}
    >>> out = resample_truth(doc, (2.0, 2.0), (2, 2))
    >>> out["spacing_mm"], out["calcifications"][0]["row"], out["calcifications"][0]["col"]
    ([0.2, 0.2], 0.5, 1.5)
    """
    fr, fc = (float(f) for f in factor_rc)
    if not (fr > 0 and fc > 0):
        raise ValueError(f"resampling factors must be positive, got {factor_rc!r}")
    out = copy.deepcopy(dict(doc))

    def r(v: float) -> float:
        return (float(v) + 0.5) / fr - 0.5

    def c(v: float) -> float:
        return (float(v) + 0.5) / fc - 0.5

    out["rows"], out["cols"] = int(new_shape[0]), int(new_shape[1])
    out["spacing_mm"] = [float(doc["spacing_mm"][0]) * fr, float(doc["spacing_mm"][1]) * fc]
    for k in out.get("calcifications", []):
        k["row"], k["col"] = r(k["row"]), c(k["col"])
    for k in out.get("clusters", []):
        k["row"], k["col"] = r(k["row"]), c(k["col"])
        k["hull_rc"] = [[r(a), c(b)] for a, b in k.get("hull_rc", [])]
    for d in out.get("distractors", []):
        b = d["bbox"]
        d["bbox"] = [math.floor(r(b[0])), math.floor(c(b[1])), math.ceil(r(b[2])), math.ceil(c(b[3]))]
        if "row" in d:
            d["row"], d["col"] = r(d["row"]), c(d["col"])
    return out
