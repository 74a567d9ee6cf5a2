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

__all__ = ["TruthSet", "Detections", "truth_from_dicts", "resample_truth", "TRUTH_FORMAT"]

#: value of the ``format`` field this module understands (prefix match on the major version)
TRUTH_FORMAT = "calcdetect-phantom-truth/1"
#: a cluster is as visible as its third-brightest calcification (three make a cluster)
VISIBILITY_RANK = 3

_IMAGE_KEYS = ("sop_instance_uid", "rows", "cols", "spacing_mm", "has_cluster", "breast_area_mm2")
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
        sop_instance_uid, id, row, col, diameter_mm, contrast, snr, shape, cluster_id.
    clusters : DataFrame
        sop_instance_uid, cluster_id, row, col, n_calcifications, morphology,
        third_snr (SNR of its third-brightest calcification: how visible the
        cluster is, since three calcifications make a cluster), third_d_prime
        (the same for the ideal-observer d'; NaN for truth files without it),
        hull_rc (object: ndarray (k, 2) of pixel vertices).
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


def _bad(doc_name: str, what: str) -> ValueError:
    return ValueError(f"truth {doc_name}: {what} (format: docs/phantom-truth.md)")


def truth_from_dicts(truths: Iterable[Mapping], *, names: Iterable[str] | None = None) -> TruthSet:
    """Tables of ground truth from parsed truth JSON documents.

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
        fmt = str(doc.get("format", ""))
        if fmt != TRUTH_FORMAT and not fmt.startswith(TRUTH_FORMAT + "."):
            raise _bad(name, f"format {fmt!r} is not {TRUTH_FORMAT!r}")
        missing = [k for k in _IMAGE_KEYS if k not in doc]
        if missing:
            raise _bad(name, f"missing key(s) {missing}")
        uid = str(doc["sop_instance_uid"])
        if uid in seen:
            raise _bad(name, f"sop_instance_uid {uid!r} appears in two truth files")
        seen.add(uid)
        spacing = doc["spacing_mm"]
        if len(spacing) != 2 or not all(float(s) > 0 for s in spacing):
            raise _bad(name, f"spacing_mm must be two positive numbers, got {spacing!r}")
        doc_calcs = list(doc.get("calcifications", []))
        doc_clusters = list(doc.get("clusters", []))
        doc_distractors = list(doc.get("distractors", []))
        images.append(
            {
                "sop_instance_uid": uid,
                "patient_id": str(doc.get("patient_id", "")),
                "view": str(doc.get("view", "")),
                "laterality": str(doc.get("laterality", "")),
                "preset": str(doc.get("preset", "")),
                "density": str(doc.get("density", "")),
                "rows": int(doc["rows"]),
                "cols": int(doc["cols"]),
                "spacing_row_mm": float(spacing[0]),
                "spacing_col_mm": float(spacing[1]),
                "breast_area_mm2": float(doc["breast_area_mm2"]),
                "has_cluster": bool(doc["has_cluster"]),
                "n_clusters": len(doc_clusters),
                "n_calcifications": len(doc_calcs),
                "distractor_kinds": ";".join(sorted({str(d.get("kind", "")) for d in doc_distractors})),
            }
        )
        if bool(doc["has_cluster"]) != bool(doc_clusters):
            raise _bad(name, f"has_cluster={doc['has_cluster']} but {len(doc_clusters)} cluster(s) listed")
        for c in doc_calcs:
            calcs.append(
                {
                    "sop_instance_uid": uid,
                    "id": int(c["id"]),
                    "row": float(c["row"]),
                    "col": float(c["col"]),
                    "diameter_mm": float(c["diameter_mm"]),
                    "contrast": float(c.get("contrast", np.nan)),
                    "snr": float(c.get("snr", np.nan)),
                    "shape": str(c.get("shape", "")),
                    "cluster_id": int(c.get("cluster_id", -1)),
                }
            )
        for k in doc_clusters:
            members = [c for c in doc_calcs if int(c.get("cluster_id", -1)) == int(k["cluster_id"])]
            member_snr = sorted((float(c.get("snr", np.nan)) for c in members), reverse=True)
            member_dp = sorted((float(c.get("d_prime", np.nan)) for c in members), reverse=True)
            hull = np.asarray(k.get("hull_rc") or [], dtype=float).reshape(-1, 2)
            if hull.shape[0] == 0:  # no hull given: the member centres stand in for it
                hull = np.array([[float(c["row"]), float(c["col"])] for c in members]).reshape(-1, 2)
            if hull.shape[0] == 0:
                hull = np.array([[float(k["row"]), float(k["col"])]])
            clusters.append(
                {
                    "sop_instance_uid": uid,
                    "cluster_id": int(k["cluster_id"]),
                    "row": float(k["row"]),
                    "col": float(k["col"]),
                    "n_calcifications": int(k.get("n_calcifications", len(k.get("member_ids", [])))),
                    "morphology": str(k.get("morphology", "")),
                    "third_snr": member_snr[VISIBILITY_RANK - 1] if len(member_snr) >= VISIBILITY_RANK else np.nan,
                    "third_d_prime": member_dp[VISIBILITY_RANK - 1] if len(member_dp) >= VISIBILITY_RANK else np.nan,
                    "hull_rc": hull,
                }
            )
        for d in doc_distractors:
            bbox = d.get("bbox")
            if bbox is None or len(bbox) != 4:
                raise _bad(name, f"distractor {d.get('kind')!r} needs a 4-number bbox, got {bbox!r}")
            distractors.append(
                {
                    "sop_instance_uid": uid,
                    "kind": str(d.get("kind", "")),
                    "row": float(d.get("row", (bbox[0] + bbox[2]) / 2)),
                    "col": float(d.get("col", (bbox[1] + bbox[3]) / 2)),
                    "row_min": float(bbox[0]),
                    "col_min": float(bbox[1]),
                    "row_max": float(bbox[2]),
                    "col_max": float(bbox[3]),
                }
            )

    def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=columns)

    return TruthSet(
        images=frame(images, list(images[0]) if images else ["sop_instance_uid", "has_cluster"]),
        calcifications=frame(
            calcs, ["sop_instance_uid", "id", "row", "col", "diameter_mm", "contrast", "snr", "shape", "cluster_id"]
        ),
        clusters=frame(
            clusters,
            ["sop_instance_uid", "cluster_id", "row", "col", "n_calcifications", "morphology", "third_snr",
             "third_d_prime", "hull_rc"],
        ),
        distractors=frame(
            distractors, ["sop_instance_uid", "kind", "row", "col", "row_min", "col_min", "row_max", "col_max"]
        ),
    )


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
