"""From work records to the final tables of ``calcdetect scan`` (docs/outputs.md).

:func:`assemble_tables` is pure: records in, sorted rows out.  It decides which
copy of a duplicated image is reported (the first by path) and lists the
others in ``errors.csv``; since it only sorts and never looks at completion
order, the tables are the same whatever the number of workers or whether the
run was resumed.  :func:`write_tables` writes each CSV atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from calcdetect.errors import DuplicateImageError

from calcdetect.atomic import atomic_write_text
from calcdetect.csvtext import csv_lines
from calcdetect.vocabulary import Flag

__all__ = [
    "calcification_rows",
    "patient_rows",
    "count_positive",
    "cluster_rows",
    "IMAGE_COLUMNS",
    "CALCIFICATION_COLUMNS",
    "CLUSTER_COLUMNS",
    "PATIENT_COLUMNS",
    "ERROR_COLUMNS",
    "ScanTables",
    "assemble_tables",
    "write_tables",
    "csv_text",
]

IMAGE_COLUMNS = (
    "path", "sop_instance_uid", "patient_key", "laterality", "view", "manufacturer",
    "presentation_intent", "image_family", "rows", "cols", "spacing_mm", "spacing_col_mm", "breast_area_mm2",
    "n_calcifications", "n_clusters", "score", "threshold", "flag", "overlay", "seconds",
)
CALCIFICATION_COLUMNS = (
    "sop_instance_uid", "calcification_id", "row", "col", "x_mm", "y_mm", "diameter_mm",
    "contrast", "snr", "probability", "cluster_id", "rejected",
)
CLUSTER_COLUMNS = (
    "sop_instance_uid", "cluster_id", "n_calcifications", "row", "col", "row_min", "col_min",
    "row_max", "col_max", "area_mm2", "score",
)
PATIENT_COLUMNS = ("patient_key", "n_images", "n_positive_images", "n_clusters", "max_score", "flag")
ERROR_COLUMNS = ("path", "error", "message")

# decimals kept in the CSVs, by column (others: 6 significant digits)
_DECIMALS = {
    "row": 2, "col": 2, "x_mm": 4, "y_mm": 4, "diameter_mm": 4, "area_mm2": 4,
    "spacing_mm": 6, "spacing_col_mm": 6, "breast_area_mm2": 1, "seconds": 3,
}


@dataclass(frozen=True)
class ScanTables:
    """The rows of every output table, sorted, plus where each overlay goes."""

    images: list[dict] = field(default_factory=list)
    calcifications: list[dict] = field(default_factory=list)
    clusters: list[dict] = field(default_factory=list)
    patients: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    #: (job_id, path of the overlay relative to OUT without suffix) per reported image
    overlays: list[tuple[str, str]] = field(default_factory=list)


def calcification_rows(calcifications, *, spacing_mm: tuple[float, float]) -> list[dict]:
    """One ``calcifications.csv`` row per :class:`~calcdetect.results.Calcification` (without the image's UID).

    Pass the accepted calcifications and then the rejected ones: the ``rejected`` column says which.
    """
    row_mm, col_mm = spacing_mm
    return [
        {"calcification_id": i, "row": float(c.row_px), "col": float(c.col_px),
         "x_mm": float(c.col_px) * col_mm, "y_mm": float(c.row_px) * row_mm,
         "diameter_mm": float(c.diameter_mm), "contrast": float(c.contrast), "snr": float(c.snr),
         "probability": float(c.probability), "cluster_id": int(c.cluster_id), "rejected": str(c.rejected)}
        for i, c in enumerate(calcifications)
    ]  # fmt: skip


def cluster_rows(clusters) -> list[dict]:
    """One ``clusters.csv`` row per :class:`~calcdetect.results.Cluster` (without the image's UID)."""
    return [
        {"cluster_id": int(k.cluster_id), "n_calcifications": int(k.n_calcifications),
         "row": float(k.row_px), "col": float(k.col_px), "row_min": int(k.bbox_px[0]),
         "col_min": int(k.bbox_px[1]), "row_max": int(k.bbox_px[2]), "col_max": int(k.bbox_px[3]),
         "area_mm2": float(k.area_mm2), "score": float(k.score)}
        for k in clusters
    ]  # fmt: skip


def assemble_tables(records: list[dict], *, overlays: bool) -> ScanTables:
    """Sort records into the output tables.

    Parameters
    ----------
    records : list of dict
        One work record per input file (any order).
    overlays : bool
        Whether overlay paths are filled in ``images.csv``.

    Returns
    -------
    ScanTables
        Images and errors sorted by path; calcifications and clusters by
        SOP Instance UID, then id; patients by key.  An image whose SOP
        Instance UID was already reported under an earlier path becomes a
        ``duplicate`` error row.
    """
    tables = ScanTables()
    first_path_of_uid: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r["path"]):
        if record["status"] != "ok":
            tables.errors.append({"path": record["path"], "error": record["error"], "message": record["message"]})
            continue
        image = record["image"]
        uid = image["sop_instance_uid"]
        if uid and uid in first_path_of_uid:
            tables.errors.append({
                "path": record["path"],
                "error": DuplicateImageError.code,
                "message": (
                    f"same SOP Instance UID as {first_path_of_uid[uid]}, which is reported instead; "
                    "nothing to do if this is a copy of that file, otherwise the archive holds two "
                    "different images under one UID: ask its administrator to fix it"
                ),
            })
            continue
        if uid:
            first_path_of_uid[uid] = record["path"]
        overlay = ""
        if overlays and record.get("overlay_name"):
            overlay = f"overlays/{record['overlay_name']}.png"
            tables.overlays.append((record["job_id"], f"overlays/{record['overlay_name']}"))
        tables.images.append({"path": record["path"], **image, "overlay": overlay, "seconds": record["seconds"]})
        tables.calcifications.extend({"sop_instance_uid": uid, **c} for c in record["calcifications"])
        tables.clusters.extend({"sop_instance_uid": uid, **k} for k in record["clusters"])

    tables.calcifications.sort(key=lambda r: (r["sop_instance_uid"], r["calcification_id"]))
    tables.clusters.sort(key=lambda r: (r["sop_instance_uid"], r["cluster_id"]))
    tables.patients.extend(patient_rows(tables.images))
    return tables


def count_positive(rows) -> int:
    """How many of these ``images.csv`` or ``patients.csv`` rows are flagged positive."""
    return sum(r["flag"] == Flag.POSITIVE for r in rows)


def patient_rows(images: list[dict]) -> list[dict]:
    """The per-patient roll-up of ``images.csv`` rows: a patient is positive when any image is."""
    by_key: dict[str, list[dict]] = {}
    for row in images:
        by_key.setdefault(row["patient_key"], []).append(row)
    out = []
    for key in sorted(by_key):
        rows = by_key[key]
        n_pos = count_positive(rows)
        out.append({
            "patient_key": key,
            "n_images": len(rows),
            "n_positive_images": n_pos,
            "n_clusters": sum(int(r["n_clusters"]) for r in rows),
            "max_score": max(float(r["score"]) for r in rows),
            "flag": Flag.of(n_pos > 0),
        })
    return out


def _cell(column: str, value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if column in _DECIMALS:
            return repr(round(value, _DECIMALS[column]))
        return format(value, ".6g")
    return "" if value is None else str(value)


def csv_text(rows: list[dict], columns: tuple[str, ...]) -> str:
    """The CSV text of ``rows`` (header first, fixed float precision, ``\\n`` line ends;
    :func:`calcdetect.csvtext.csv_lines`)."""
    return csv_lines([columns, *([_cell(c, row.get(c)) for c in columns] for row in rows)])


def write_tables(out_dir: str | os.PathLike, tables: ScanTables) -> dict[str, Path]:
    """Write the five CSVs of a scan into ``out_dir``, each atomically; return their paths."""
    out = Path(out_dir)
    files = {
        "images": (tables.images, IMAGE_COLUMNS),
        "calcifications": (tables.calcifications, CALCIFICATION_COLUMNS),
        "clusters": (tables.clusters, CLUSTER_COLUMNS),
        "patients": (tables.patients, PATIENT_COLUMNS),
        "errors": (tables.errors, ERROR_COLUMNS),
    }
    paths = {}
    for name, (rows, columns) in files.items():
        paths[name] = out / f"{name}.csv"
        atomic_write_text(paths[name], csv_text(rows, columns))
    return paths
