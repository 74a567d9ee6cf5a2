"""One Mammography CAD SR per study of a scan: ``write_study_srs``.

The one call a batch makes at its end (``calcdetect scan``; ``calcdetect
serve`` reuses it)::

    outcome = write_study_srs(out_dir, tables, dicom_dir=..., config=..., pseudonymize_key=None)
    outcome.paths        # {StudyInstanceUID: OUT/sr/<patient_key>/<study uid>.dcm}
    outcome.errors       # errors.csv rows for studies that got no SR (code sr_not_written)

or in two steps, so that the error rows can join ``errors.csv`` before it is
written: :func:`plan_study_reports` (reads the image headers again, decides
everything, writes nothing) then :func:`write_study_reports`.

``tables`` is the :class:`calcdetect.batch.outputs.ScanTables` of the run
(image rows carry ``study_instance_uid``, ``series_instance_uid`` and
``sop_class_uid`` from the worker records).  Studies are the distinct Study
Instance UIDs of the analysed images; an image of ``errors.csv`` whose header
can still be read joins its study as a failed image (it is listed in the
Image Library and under Failed Detections), so a study whose images all
failed still gets an SR that says "no algorithms succeeded".

Patient and study attributes are copied from the header of the study's first
readable image (read again here, pixel data deferred: names never pass
through the work records, the CSVs or the logs).  With a pseudonymisation key
the SR's Patient ID is the pseudonymised ``patient_key``, and the name, birth
date, sex, study date/time, Study ID, accession number and referring
physician are left empty: such an SR no longer files with the original study.

A study is not reported (one ``errors.csv`` row, code ``sr_not_written``) when
its images carry different Patient IDs, when they have no Study Instance UID,
or when no header of the study can be read again.  Its images stay in
``images.csv`` as analysed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydicom.dataset import Dataset
from pydicom.uid import generate_uid

from calcdetect import __version__
from calcdetect.config import THRESHOLD_FIELD, DetectorConfig
from calcdetect.detector.fp_model import threshold_for
from calcdetect.errors import StudyReportError
from calcdetect.keys import patient_key as make_patient_key
from calcdetect.vocabulary import Laterality

from .content import build_content
from .coords import certainty_percent
from .document import build_document, write_document
from .model import Algorithm, SrCalcification, SrCluster, SrImage, StudyFindings, StudyHeader

__all__ = ["StudyReport", "SrPlan", "SrOutcome", "plan_study_reports", "write_study_reports",
           "write_study_srs", "SR_FOLDER"]

logger = logging.getLogger(__name__)

SR_FOLDER = "sr"
#: errors.csv codes of files that are images of a study which the scan could not analyse
_FAILED_IMAGE_CODES = frozenset({
    "truncated", "invalid_header", "multiframe", "no_pixel_data", "pixel_data_short", "too_large",
    "decode_failed", "no_spacing", "timeout", "internal_error",
})


@dataclass(frozen=True)
class StudyReport:
    """Everything needed to write one study's SR, and where it goes (relative to OUT)."""

    rel_path: str
    patient_key: str
    findings: StudyFindings
    header: StudyHeader = field(repr=False)
    image_series: Mapping[str, str] = field(default_factory=dict)
    series_instance_uid: str = ""
    sop_instance_uid: str = ""
    #: the SR content tree, built while planning (so problems show before errors.csv is written)
    content: Dataset | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class SrPlan:
    """The reports to write and the errors.csv rows of studies left out."""

    reports: tuple[StudyReport, ...] = ()
    errors: tuple[dict, ...] = ()

    def path_of_image(self) -> dict[str, str]:
        """SR path (relative to OUT) by SOP Instance UID of every image in a report."""
        return {image.sop_instance_uid: report.rel_path
                for report in self.reports for image in report.findings.images}


@dataclass(frozen=True)
class SrOutcome:
    """What :func:`write_study_srs` wrote: SR paths by Study Instance UID, and error rows."""

    paths: dict[str, Path]
    errors: tuple[dict, ...]
    plan: SrPlan


def _safe_stem(uid: str) -> str:
    from calcdetect.batch.worker import safe_file_stem  # the same rule as the overlays

    return safe_file_stem(uid, fallback=hashlib.sha256(uid.encode()).hexdigest()[:12])


def _read_header(path: Path) -> Dataset | None:
    """The header of an input file again (pixel data deferred), or None if it cannot be read."""
    from calcdetect.dicom.sniff import read_header

    try:
        ds, _ = read_header(os.fspath(path))
    except Exception as exc:  # noqa: BLE001 - any unreadable header only costs its attributes
        logger.debug("cannot read the header of %s again: %s", path, type(exc).__name__)
        return None
    return ds


_DA = re.compile(r"\d{8}")
_TM = re.compile(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?")


def _date(ds: Dataset | None, keyword: str) -> str:
    """A DA value of the header, or "" when it is missing or malformed (never copied as is)."""
    value = _text(ds, keyword)
    return value if _DA.fullmatch(value) else ""


def _time(ds: Dataset | None, keyword: str) -> str:
    """A TM value of the header, or "" when it is missing or malformed."""
    value = _text(ds, keyword)
    return value if _TM.fullmatch(value) else ""


def _text(ds: Dataset | None, keyword: str) -> str:
    if ds is None:
        return ""
    try:
        value = ds.get(keyword, "")
    except Exception:  # noqa: BLE001 - a damaged value is as good as a missing one here
        return ""
    if value is None:
        return ""
    if type(value).__name__ == "MultiValue" or isinstance(value, (list, tuple)):
        return "\\".join(str(v) for v in value)
    return str(value).strip()


def algorithm_of(config: DetectorConfig) -> Algorithm:
    """TID 4019 identification: calcdetect, its version, the configuration digest and the certainty rule."""
    digest = hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True, default=str).encode()).hexdigest()
    return Algorithm(
        name="calcdetect microcalcification cluster detector",
        version=__version__,
        parameters=(
            f"detector configuration sha256 {digest[:16]}",
            "Certainty of Finding = 100 * score / (score + t), score = cluster score of clusters.csv, "
            f"t = the image's threshold of images.csv ({config.image_threshold:g} for pixels finer than "
            f"{config.spot_min_spacing_mm:g} mm, {config.image_threshold_coarse:g} coarser; on scanned film "
            f"{config.image_threshold_film:g} and {config.image_threshold_film_coarse:g})",
        ),
    )


def _header(ds: Dataset, *, study_uid: str, key: str, pseudonymized: bool) -> StudyHeader:
    if pseudonymized:
        return StudyHeader(study_instance_uid=study_uid, patient_id=key)
    return StudyHeader(
        study_instance_uid=study_uid,
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName"),
        patient_birth_date=_date(ds, "PatientBirthDate"),
        patient_sex=_text(ds, "PatientSex") if _text(ds, "PatientSex") in ("M", "F", "O") else "",
        study_date=_date(ds, "StudyDate"),
        study_time=_time(ds, "StudyTime"),
        study_id=_text(ds, "StudyID"),
        accession_number=_text(ds, "AccessionNumber"),
        referring_physician_name=_text(ds, "ReferringPhysicianName"),
        study_description=_text(ds, "StudyDescription"),
    )


def _orientation(ds: Dataset | None) -> tuple[str, str] | None:
    parts = _text(ds, "PatientOrientation").split("\\")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


def _analysed_image(row: Mapping, ds: Dataset | None) -> SrImage:
    return SrImage(
        sop_instance_uid=str(row["sop_instance_uid"]),
        sop_class_uid=str(row.get("sop_class_uid") or _text(ds, "SOPClassUID")),
        laterality=str(row.get("laterality", "")),
        view=str(row.get("view", "")),
        rows=int(row["rows"]), cols=int(row["cols"]),
        spacing_row_mm=float(row["spacing_mm"]), spacing_col_mm=float(row["spacing_col_mm"]),
        study_date=_date(ds, "StudyDate"), study_time=_time(ds, "StudyTime"),
        content_date=_date(ds, "ContentDate"), content_time=_time(ds, "ContentTime"),
        patient_orientation=_orientation(ds),
    )


def _failed_image(ds: Dataset, code: str) -> SrImage:
    laterality = (_text(ds, "ImageLaterality") or _text(ds, "Laterality")).upper()[:1]
    return SrImage(
        sop_instance_uid=_text(ds, "SOPInstanceUID"), sop_class_uid=_text(ds, "SOPClassUID"),
        laterality=laterality if laterality in tuple(Laterality) else Laterality.UNKNOWN,
        view=_text(ds, "ViewPosition").upper(), analysed=False,
        study_date=_date(ds, "StudyDate"), study_time=_time(ds, "StudyTime"),
        content_date=_date(ds, "ContentDate"), content_time=_time(ds, "ContentTime"),
        patient_orientation=_orientation(ds), error=code,
    )


def _clusters(rows: Sequence[Mapping], calcifications: Sequence[Mapping], thresholds: Mapping[str, float]
              ) -> list[SrCluster]:
    """The SR clusters of cluster rows, each with its calcifications and its image's threshold."""
    members: dict[tuple[str, int], list[SrCalcification]] = {}
    for c in calcifications:
        if int(c["cluster_id"]) >= 0:
            members.setdefault((str(c["sop_instance_uid"]), int(c["cluster_id"])), []).append(SrCalcification(
                int(c["calcification_id"]), float(c["row"]), float(c["col"]), float(c["diameter_mm"])))
    return [
        SrCluster(
            sop_instance_uid=str(k["sop_instance_uid"]), cluster_id=int(k["cluster_id"]),
            n_calcifications=int(k["n_calcifications"]), row_px=float(k["row"]), col_px=float(k["col"]),
            row_min_px=int(k["row_min"]), col_min_px=int(k["col_min"]),
            row_max_px=int(k["row_max"]), col_max_px=int(k["col_max"]), score=float(k["score"]),
            score_threshold=thresholds[str(k["sop_instance_uid"])],
            members=tuple(members.get((str(k["sop_instance_uid"]), int(k["cluster_id"])), ())),
        )
        for k in rows
    ]


def _image_threshold(row: Mapping, config: DetectorConfig) -> float:
    """The threshold that flagged this images.csv row (the model's, from its pixel spacing and
    image family where the row does not say)."""
    if row.get("threshold") not in (None, ""):
        return float(row["threshold"])
    return threshold_for((float(row["spacing_mm"]), float(row["spacing_col_mm"])), config,
                         film=row.get("image_family") == "film")


def _error(path: str, study_uid: str, why: str) -> dict:
    return {"path": path, "error": StudyReportError.code,
            "message": f"no CAD SR written for study {study_uid or '(no Study Instance UID)'}: {why}; "
                       "its images are analysed as usual (images.csv)"}


@dataclass
class _Study:
    uid: str
    rows: list[dict] = field(default_factory=list)
    failed: list[tuple[dict, Dataset]] = field(default_factory=list)


def _group(tables, dicom_dir: Path, pseudonymize_key: str | None) -> tuple[dict[str, _Study], list[dict]]:
    studies: dict[str, _Study] = {}
    errors: list[dict] = []
    for row in tables.images:
        uid = str(row.get("study_instance_uid") or "")
        if not uid:
            errors.append(_error(row["path"], "", "the image has no Study Instance UID"))
            continue
        studies.setdefault(uid, _Study(uid)).rows.append(row)
    for row in tables.errors:
        if row["error"] not in _FAILED_IMAGE_CODES:
            continue
        ds = _read_header(dicom_dir / row["path"])
        uid = _text(ds, "StudyInstanceUID")
        if ds is None or not uid or not _text(ds, "SOPInstanceUID") or not _text(ds, "SOPClassUID"):
            continue  # not attributable to a study: errors.csv says enough
        key = make_patient_key(_text(ds, "PatientID"), pseudonymize_key=pseudonymize_key)
        studies.setdefault(uid, _Study(uid)).failed.append(({"path": row["path"], "patient_key": key,
                                                             "error": row["error"]}, ds))
    return studies, errors


def _plan_one(study: _Study, tables, dicom_dir: Path, *, algorithm: Algorithm, config: DetectorConfig,
              pseudonymized: bool) -> StudyReport | dict:
    paths = [r["path"] for r in study.rows] + [f["path"] for f, _ in study.failed]
    first_path = sorted(paths)[0]
    keys = {r["patient_key"] for r in study.rows} | {f["patient_key"] for f, _ in study.failed}
    if len(keys) > 1:
        return _error(first_path, study.uid, f"its images carry {len(keys)} different Patient IDs "
                      "(one Study Instance UID for several patients); fix the archive, then scan again")
    headers = {r["sop_instance_uid"]: _read_header(dicom_dir / r["path"]) for r in study.rows}
    readable = [ds for ds in headers.values() if ds is not None] + [ds for _, ds in study.failed]
    if not readable:
        return _error(first_path, study.uid, "none of its image headers can be read again "
                      "(files moved or deleted since they were analysed?); scan again")
    images = [_analysed_image(r, headers[r["sop_instance_uid"]]) for r in study.rows]
    seen = {i.sop_instance_uid for i in images}
    for info, ds in study.failed:
        image = _failed_image(ds, info["error"])
        if image.sop_instance_uid not in seen:
            seen.add(image.sop_instance_uid)
            images.append(image)
    analysed = {r["sop_instance_uid"] for r in study.rows}
    thresholds = {r["sop_instance_uid"]: _image_threshold(r, config) for r in study.rows}
    clusters = _clusters([k for k in tables.clusters if k["sop_instance_uid"] in analysed],
                         [c for c in tables.calcifications if c["sop_instance_uid"] in analysed], thresholds)
    key = keys.pop()
    findings = StudyFindings(study_instance_uid=study.uid, images=tuple(images), clusters=tuple(clusters),
                             algorithm=algorithm, include_dates=not pseudonymized)
    header = _header(readable[0], study_uid=study.uid, key=key, pseudonymized=pseudonymized)
    series = {r["sop_instance_uid"]: str(r.get("series_instance_uid") or "") for r in study.rows}
    series.update({_text(ds, "SOPInstanceUID"): _text(ds, "SeriesInstanceUID") for _, ds in study.failed})
    # deterministic UIDs: the same study, results and settings give the same SR identity on a re-run
    identity = repr((findings, header.patient_id))
    return StudyReport(
        rel_path=f"{SR_FOLDER}/{key}/{_safe_stem(study.uid)}.dcm", patient_key=key, findings=findings,
        header=header, image_series=series,
        series_instance_uid=generate_uid(entropy_srcs=["calcdetect CAD SR series", study.uid, algorithm.version]),
        sop_instance_uid=generate_uid(entropy_srcs=["calcdetect CAD SR instance", identity]),
    )


def plan_study_reports(tables, *, dicom_dir: str | os.PathLike, config: DetectorConfig,
                       pseudonymize_key: str | None = None) -> SrPlan:
    """Decide every study's SR (contents, header, path) without writing anything.

    Parameters
    ----------
    tables : calcdetect.batch.outputs.ScanTables
        The scan's rows (images, calcifications, clusters, errors).
    dicom_dir : path-like
        The folder the rows' ``path`` values are relative to (headers are read again).
    config : DetectorConfig
        The detector configuration of the run (threshold, digest).
    pseudonymize_key : str, optional
        The scan's pseudonymisation secret: the SRs then carry the keyed
        ``patient_key`` as Patient ID and no identifying attribute.

    Returns
    -------
    SrPlan
        Reports sorted by path; error rows (code ``sr_not_written``) for the
        studies left out.
    """
    dicom_path = Path(dicom_dir)
    studies, errors = _group(tables, dicom_path, pseudonymize_key)
    algorithm = algorithm_of(config)
    for name in THRESHOLD_FIELD.values():
        certainty_percent(0.0, threshold=getattr(config, name))  # refuses a threshold the mapping cannot use
    reports = []
    for uid in sorted(studies):
        try:
            planned = _plan_one(studies[uid], tables, dicom_path, algorithm=algorithm, config=config,
                                pseudonymized=pseudonymize_key is not None)
            if not isinstance(planned, dict):  # any problem with the content shows here, not after errors.csv
                planned = dataclasses.replace(planned, content=build_content(planned.findings))
        except Exception as exc:  # noqa: BLE001 - one study's SR must never stop the batch or lose its CSVs
            logger.exception("no CAD SR for study %s", uid)
            study = studies[uid]
            first = sorted([r["path"] for r in study.rows] + [f["path"] for f, _ in study.failed])[0]
            planned = _error(first, uid, f"unexpected {type(exc).__name__} while building it ({exc}); this is a "
                             "bug in calcdetect, please report it")
        (errors if isinstance(planned, dict) else reports).append(planned)
    reports.sort(key=lambda r: r.rel_path)
    errors.sort(key=lambda e: e["path"])
    return SrPlan(reports=tuple(reports), errors=tuple(errors))


def write_study_reports(out_dir: str | os.PathLike, plan: SrPlan, *,
                        created: datetime | None = None) -> dict[str, Path]:
    """Write the planned SRs under ``out_dir`` (each atomically); return paths by Study Instance UID."""
    out = Path(out_dir)
    written = {}
    for report in plan.reports:
        ds = build_document(report.findings, report.header, series_instance_uid=report.series_instance_uid,
                            sop_instance_uid=report.sop_instance_uid, image_series=dict(report.image_series),
                            created=created, content=report.content)
        path = out / report.rel_path
        write_document(ds, path)
        written[report.findings.study_instance_uid] = path
    return written


def write_study_srs(out_dir: str | os.PathLike, tables, *, dicom_dir: str | os.PathLike,
                    config: DetectorConfig, pseudonymize_key: str | None = None) -> SrOutcome:
    """Plan and write one Mammography CAD SR per study of ``tables`` (see the module docstring).

    Returns
    -------
    SrOutcome
        ``paths`` by Study Instance UID, ``errors`` rows for studies left out
        (not added to any file: the caller adds them to ``errors.csv``).
    """
    plan = plan_study_reports(tables, dicom_dir=dicom_dir, config=config, pseudonymize_key=pseudonymize_key)
    return SrOutcome(paths=write_study_reports(out_dir, plan), errors=plan.errors, plan=plan)
