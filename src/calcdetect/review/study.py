"""What there is to review: the patients, images and clusters of one scan output folder.

Reads ``patients.csv``, ``images.csv`` and ``clusters.csv`` of ``calcdetect scan``
(``docs/outputs.md``) and, for each overlay PNG, where its whole-image view lies
(:func:`calcdetect.batch.overlay.overview_geometry`), checked against the PNG's own
size so that a click on the view maps to exact image pixels.  Patients come
positives first, then by best score, as in ``overlays/index.html``.
"""

from __future__ import annotations

import csv
import logging
import struct
from dataclasses import dataclass, field
from pathlib import Path

from calcdetect.batch.overlay import OverviewGeometry, overview_geometry
from calcdetect.vocabulary import Flag

__all__ = ["ClusterInfo", "ImageInfo", "PatientInfo", "Study", "load_study", "png_size"]

log = logging.getLogger(__name__)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ClusterInfo:
    """One cluster of ``clusters.csv`` (pixel positions in the image as read)."""

    cluster_id: int
    row_px: float
    col_px: float
    bbox_px: tuple[int, int, int, int]  # row_min, col_min, row_max, col_max
    n_calcifications: int
    score: float


@dataclass(frozen=True)
class ImageInfo:
    """One row of ``images.csv`` with its clusters and overlay geometry.

    ``geometry`` is None when the image has no overlay, or when the PNG's size
    does not fit the layout this version draws (an overlay from another
    version): then its clusters can be decided but no cluster can be added by
    clicking.
    """

    sop_instance_uid: str
    patient_key: str
    laterality: str
    view: str
    rows: int
    cols: int
    score: float
    flag: str
    overlay: str  # relative to OUT, e.g. overlays/KEY/UID.png; "" when none
    overlay_size_px: tuple[int, int] | None  # (width, height) of the PNG
    geometry: OverviewGeometry | None
    clusters: tuple[ClusterInfo, ...] = ()


@dataclass(frozen=True)
class PatientInfo:
    """One row of ``patients.csv`` (kept whole in ``row``) and the patient's images."""

    patient_key: str
    flag: str
    max_score: float
    row: dict[str, str]
    images: tuple[ImageInfo, ...] = ()

    def image(self, sop_instance_uid: str) -> ImageInfo | None:
        """The image with this UID, or None."""
        return next((im for im in self.images if im.sop_instance_uid == sop_instance_uid), None)


@dataclass(frozen=True)
class Study:
    """A scan output folder ready for review."""

    out_dir: Path
    patients: tuple[PatientInfo, ...]
    patient_columns: tuple[str, ...]
    _by_key: dict[str, PatientInfo] = field(default_factory=dict, repr=False, compare=False)
    _by_uid: dict[str, ImageInfo] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_key.update({p.patient_key: p for p in self.patients})
        self._by_uid.update({im.sop_instance_uid: im for p in self.patients for im in p.images})

    def patient(self, patient_key: str) -> PatientInfo | None:
        """The patient with this key, or None."""
        return self._by_key.get(patient_key)

    def image(self, sop_instance_uid: str) -> ImageInfo | None:
        """The image with this SOP Instance UID, or None."""
        return self._by_uid.get(sop_instance_uid)


def png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None when the file is missing or not a PNG.

    Reading the 24-byte header is enough; decoding a 2 MB overlay to learn its size is not.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(24)
    except OSError:
        return None
    if len(head) < 24 or head[:8] != _PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def _read_csv(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path.name} is missing in {str(path.parent)!r}: is it the output folder of "
                                "'calcdetect scan'?") from None


def _float(value: str, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _geometry(out_dir: Path, overlay: str, rows: int, cols: int):
    if not overlay:
        return None, None
    size = png_size(out_dir / overlay)
    if size is None:
        log.warning("overlay %s is missing or not a PNG: its image is shown without it", overlay)
        return None, None
    geometry = overview_geometry(rows, cols)
    width, height = size
    if width < geometry.left_px + geometry.width_px or height < geometry.top_px + geometry.height_px:
        log.warning("overlay %s (%d x %d) does not have the layout of this version for a %d x %d image: "
                    "adding clusters by clicking is off for it (re-run the scan to fix)", overlay, width, height,
                    rows, cols)
        return size, None
    return size, geometry


def _clusters(rows: list[dict[str, str]]) -> dict[str, list[ClusterInfo]]:
    by_uid: dict[str, list[ClusterInfo]] = {}
    for r in rows:
        by_uid.setdefault(r["sop_instance_uid"], []).append(ClusterInfo(
            cluster_id=int(r["cluster_id"]), row_px=_float(r["row"]), col_px=_float(r["col"]),
            bbox_px=(int(r["row_min"]), int(r["col_min"]), int(r["row_max"]), int(r["col_max"])),
            n_calcifications=int(r["n_calcifications"]), score=_float(r["score"])))
    for found in by_uid.values():
        found.sort(key=lambda k: k.cluster_id)
    return by_uid


def load_study(out_dir: str | Path) -> Study:
    """Read a scan output folder for review.

    Parameters
    ----------
    out_dir : path-like
        The ``-o`` folder of ``calcdetect scan``.

    Returns
    -------
    Study
        Patients positives first (then by max score, then key); each patient's
        images positives first, then by score.

    Raises
    ------
    FileNotFoundError
        A table of the scan is missing.
    ValueError
        The tables lack the columns this needs.
    """
    out = Path(out_dir)
    patient_rows = _read_csv(out / "patients.csv")
    image_rows = _read_csv(out / "images.csv")
    clusters = _clusters(_read_csv(out / "clusters.csv"))
    for name, rows, needed in (("patients.csv", patient_rows, ("patient_key", "flag", "max_score")),
                               ("images.csv", image_rows, ("sop_instance_uid", "patient_key", "rows", "cols",
                                                           "flag", "overlay"))):
        if rows and (missing := [c for c in needed if c not in rows[0]]):
            raise ValueError(f"{name} lacks columns {missing}: not an output of 'calcdetect scan'")
    images_by_patient: dict[str, list[ImageInfo]] = {}
    for r in image_rows:
        rows_px, cols_px = int(r["rows"]), int(r["cols"])
        size, geometry = _geometry(out, r["overlay"], rows_px, cols_px)
        image = ImageInfo(
            sop_instance_uid=r["sop_instance_uid"], patient_key=r["patient_key"], laterality=r.get("laterality", ""),
            view=r.get("view", ""), rows=rows_px, cols=cols_px, score=_float(r.get("score", "")), flag=r["flag"],
            overlay=r["overlay"], overlay_size_px=size, geometry=geometry,
            clusters=tuple(clusters.get(r["sop_instance_uid"], ())))
        images_by_patient.setdefault(image.patient_key, []).append(image)
    patients = []
    for r in patient_rows:
        images = sorted(images_by_patient.get(r["patient_key"], []),
                        key=lambda im: (im.flag != Flag.POSITIVE, -im.score, im.laterality, im.view, im.sop_instance_uid))
        patients.append(PatientInfo(patient_key=r["patient_key"], flag=r["flag"], max_score=_float(r["max_score"]),
                                    row=dict(r), images=tuple(images)))
    patients.sort(key=lambda p: (p.flag != Flag.POSITIVE, -p.max_score, p.patient_key))
    columns = tuple(patient_rows[0].keys()) if patient_rows else ("patient_key", "n_images", "n_positive_images",
                                                                  "n_clusters", "max_score", "flag")
    return Study(out_dir=out, patients=tuple(patients), patient_columns=columns)
