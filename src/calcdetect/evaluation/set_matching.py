"""Match the detections of every image of a set to its truth, and the FROC curves that follow.

:func:`score_calcifications` and :func:`score_clusters` run one matcher of
:mod:`calcdetect.evaluation.match` per image (:func:`_match_by_image`), mark
which truths were found, label each detection ``tp`` / ``duplicate`` / ``fp``
and the distractor it landed on, and sweep the FROC curve of the set.
:mod:`calcdetect.evaluation.scoring` puts the pieces together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calcdetect.evaluation.froc import FrocCurve, froc_curve
from calcdetect.evaluation.match import match_calcifications, match_clusters

__all__ = ["ImageSet", "group_by_image", "members_distractor_kind", "score_calcifications", "score_clusters"]


def group_by_image(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of ``df`` by ``sop_instance_uid`` (empty for an empty or missing table)."""
    if df is None or df.empty:
        return {}
    return {str(k): g for k, g in df.groupby("sop_instance_uid", sort=False)}


@dataclass(frozen=True, eq=False)
class ImageSet:
    """What the matching of every image needs: the truth's images, their spacing and distractors (by image)."""

    uids: pd.Series
    n_images: int
    area_cm2: float
    spacing: dict[str, tuple[float, float]]
    distractors: dict[str, pd.DataFrame]

    @classmethod
    def of(cls, images: pd.DataFrame, distractors: pd.DataFrame) -> ImageSet:
        """From the truth's image table (uid, spacing, breast area) and its distractor table."""
        uids = images["sop_instance_uid"]
        spacing = zip(images["spacing_row_mm"], images["spacing_col_mm"], strict=True)
        return cls(uids=uids, n_images=len(images), area_cm2=float(images["breast_area_mm2"].sum()) / 100.0,
                   spacing=dict(zip(uids, spacing, strict=True)), distractors=group_by_image(distractors))


def _distractor_kinds(
    points_rc: np.ndarray,
    boxes_px: np.ndarray | None,
    dist: pd.DataFrame,
    spacing: tuple[float, float],
    margin_mm: float,
) -> np.ndarray:
    """Kind of the nearest distractor box each detection lands on ('' for none).

    A detection lands on a box when its centre is within ``margin_mm`` of the
    box (covering its pixels, ±0.5 px) or, for clusters, when its own box
    overlaps it.  Among boxes equally near (a centre inside several), the
    smallest: a dust speck inside a vessel's bounding box is the speck (taking
    the first box listed, often a vessel's, had labelled 293 of the 626
    detections on dust of a film development set otherwise).  Vectorised: the
    reference detector yields ~10^5 points.
    """
    pts = np.asarray(points_rc, dtype=float).reshape(-1, 2)
    out = np.full(len(pts), "", dtype=object)
    if len(pts) == 0 or dist is None or dist.empty:
        return out
    r0 = dist["row_min"].to_numpy(float)[None, :] - 0.5
    c0 = dist["col_min"].to_numpy(float)[None, :] - 0.5
    r1 = dist["row_max"].to_numpy(float)[None, :] + 0.5
    c1 = dist["col_max"].to_numpy(float)[None, :] + 0.5
    pr, pc = pts[:, :1], pts[:, 1:]
    dr = np.maximum(np.maximum(r0 - pr, pr - r1), 0.0) * spacing[0]
    dc = np.maximum(np.maximum(c0 - pc, pc - c1), 0.0) * spacing[1]
    d_mm = np.hypot(dr, dc)
    hit = d_mm <= margin_mm + 1e-9
    if boxes_px is not None:
        b = np.asarray(boxes_px, dtype=float).reshape(-1, 4)
        hit |= (
            (b[:, :1] - 0.5 <= r1) & (b[:, 2:3] + 0.5 >= r0) & (b[:, 1:2] - 0.5 <= c1) & (b[:, 3:4] + 0.5 >= c0)
        )
    d_mm = np.where(hit, d_mm, np.inf)
    area = (r1 - r0) * (c1 - c0)
    nearest_d = d_mm.min(axis=1, keepdims=True)
    nearest = np.argmin(np.where(hit & (d_mm == nearest_d), area, np.inf), axis=1)
    any_hit = hit.any(axis=1)
    out[any_hit] = dist["kind"].to_numpy(object)[nearest[any_hit]]
    return out


def _match_by_image(
    uids, det_by: dict, tru_by: dict, truth_table: pd.DataFrame, dist_by: dict, spacing: dict, *,
    score_column: str, box_columns: list[str] | None, tolerance_mm: float, match, truth_id: str,
):
    """One pass over the images that have detections: match them to their truths.

    Marks ``truth_table`` rows that were hit (``matched``, ``matched_score``) and
    yields, per image, ``(frame, match, truths, detections)`` where ``frame``
    has one row per detection: sop_instance_uid, row, col, score,
    ``truth_<truth_id>`` (-1 when none), status (tp / duplicate / fp) and
    distractor_kind.  ``match(centres, boxes, scores, truths, spacing)``
    matches one image (:func:`match_calcifications` or :func:`match_clusters`).
    """
    truth_table["matched"] = False
    truth_table["matched_score"] = np.nan
    empty = truth_table.iloc[:0]
    for u in uids:
        det = det_by.get(u)
        if det is None or det.empty:
            continue
        tru = tru_by.get(u, empty)
        sp = spacing[u]
        scores = det[score_column].to_numpy(float)
        centres = det[["row", "col"]].to_numpy(float)
        boxes = det[box_columns].to_numpy(float) if box_columns else None
        m = match(centres, boxes, scores, tru, sp)
        hit_idx = tru.index.to_numpy()[m.truth_index[m.is_tp]]
        truth_table.loc[hit_idx, "matched"] = True
        truth_table.loc[hit_idx, "matched_score"] = scores[m.is_tp]
        kinds = _distractor_kinds(centres, boxes, dist_by.get(u), sp, tolerance_mm)
        kinds[m.is_tp] = ""
        taken = np.where(m.is_tp, tru[truth_id].to_numpy()[np.maximum(m.truth_index, 0)], -1) if len(tru) else -1
        frame = pd.DataFrame(
            {
                "sop_instance_uid": u,
                "row": centres[:, 0],
                "col": centres[:, 1],
                "score": scores,
                f"truth_{truth_id}": taken,
                "status": np.where(m.is_tp, "tp", np.where(m.duplicate, "duplicate", "fp")),
                "distractor_kind": kinds,
            }
        )
        yield frame, m, tru, det


def score_calcifications(
    d_calcs: pd.DataFrame, t_calcs: pd.DataFrame, images: ImageSet, *,
    score_column: str, min_diameter_mm: float, min_radius_mm: float,
) -> tuple[pd.DataFrame, pd.DataFrame, FrocCurve, FrocCurve]:
    """Match calcifications image by image: (truth with ``matched``, matches, FROC, FROC of the large ones)."""
    t_calc = t_calcs.copy()

    def match_image_calcs(centres, boxes, scores, tc, sp):
        return match_calcifications(
            centres, scores, tc[["row", "col"]].to_numpy(float), tc["diameter_mm"].to_numpy(float),
            spacing_mm=sp, min_radius_mm=min_radius_mm,
        )  # fmt: skip

    c_rows = []
    for frame, m, tc, det in _match_by_image(
        images.uids, group_by_image(d_calcs), group_by_image(t_calcs), t_calc, images.distractors, images.spacing,
        score_column=score_column, box_columns=None, tolerance_mm=min_radius_mm, match=match_image_calcs,
        truth_id="id",
    ):  # fmt: skip
        diam = np.full(len(frame), np.nan)
        diam[m.is_tp] = tc["diameter_mm"].to_numpy(float)[m.truth_index[m.is_tp]]
        frame["truth_diameter_mm"] = diam
        frame["cluster_id"] = det["cluster_id"].to_numpy() if "cluster_id" in det else -1
        c_rows.append(frame)
    cm_cols = ["sop_instance_uid", "row", "col", "score", "truth_id", "truth_diameter_mm", "status", "distractor_kind",
               "cluster_id"]
    c_match = pd.concat(c_rows, ignore_index=True)[cm_cols] if c_rows else pd.DataFrame(columns=cm_cols)
    c_tp = (c_match["status"] == "tp").to_numpy(bool)
    calc_froc = froc_curve(
        c_match["score"].to_numpy(float), c_tp, n_truth=len(t_calc), n_images=images.n_images,
        breast_area_cm2=images.area_cm2,
    )  # fmt: skip
    big = c_match["truth_diameter_mm"].to_numpy(float) >= min_diameter_mm - 1e-9
    calc_froc_big = froc_curve(
        c_match["score"].to_numpy(float),
        c_tp & big,
        is_fp=~c_tp,
        n_truth=int((t_calc["diameter_mm"] >= min_diameter_mm - 1e-9).sum()),
        n_images=images.n_images,
        breast_area_cm2=images.area_cm2,
    )
    return t_calc, c_match, calc_froc, calc_froc_big


def score_clusters(
    d_clusters: pd.DataFrame, t_clusters: pd.DataFrame, images: ImageSet, *, margin_mm: float,
) -> tuple[pd.DataFrame, pd.DataFrame, FrocCurve]:
    """Match clusters image by image: (truth with ``matched``, matches, cluster FROC)."""
    t_clu = t_clusters.copy()

    def match_image_clusters(centres, boxes, scores, tk, sp):
        return match_clusters(centres, boxes, scores, list(tk["hull_rc"]), spacing_mm=sp, margin_mm=margin_mm)

    k_rows = []
    for frame, _, _, dk in _match_by_image(
        images.uids, group_by_image(d_clusters), group_by_image(t_clusters), t_clu, images.distractors, images.spacing,
        score_column="score", box_columns=["row_min", "col_min", "row_max", "col_max"], tolerance_mm=margin_mm,
        match=match_image_clusters, truth_id="cluster_id",
    ):  # fmt: skip
        frame["cluster_id"] = dk["cluster_id"].to_numpy()
        k_rows.append(frame)
    km_cols = ["sop_instance_uid", "cluster_id", "row", "col", "score", "truth_cluster_id", "status", "distractor_kind"]
    k_match = pd.concat(k_rows, ignore_index=True)[km_cols] if k_rows else pd.DataFrame(columns=km_cols)
    cl_froc = froc_curve(
        k_match["score"].to_numpy(float),
        (k_match["status"] == "tp").to_numpy(bool),
        n_truth=len(t_clu),
        n_images=images.n_images,
        breast_area_cm2=images.area_cm2,
    )
    return t_clu, k_match, cl_froc


def members_distractor_kind(k_match: pd.DataFrame, c_match: pd.DataFrame) -> np.ndarray:
    """Per detected cluster (row of ``k_match``), the distractor kind most of its members lie on: a
    strict majority of them in ``c_match`` (by ``cluster_id``), else ''.

    A cluster's own ``distractor_kind`` is the box nearest its centre, and a clump of dust specks has
    its centre between them, often inside the box of the vessel they lie on; its members say dust.
    """
    out = np.full(len(k_match), "", dtype=object)
    if k_match.empty or c_match.empty or "cluster_id" not in c_match:
        return out
    members = c_match[c_match["cluster_id"] >= 0]

    def majority(kinds: pd.Series) -> str:
        counts = kinds[kinds != ""].value_counts()
        return str(counts.index[0]) if len(counts) and 2 * int(counts.iloc[0]) > len(kinds) else ""

    by_cluster = members.groupby(["sop_instance_uid", "cluster_id"])["distractor_kind"].agg(majority)
    keys = pd.MultiIndex.from_arrays([k_match["sop_instance_uid"], k_match["cluster_id"]])
    return by_cluster.reindex(keys).fillna("").to_numpy(object)
