"""A study with 30 clusters (more than the phantoms make): the SR layer on hand-made scan tables."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid

from calcdetect.batch.outputs import ScanTables
from calcdetect.config import DetectorConfig
from calcdetect.sr import plan_study_reports, read_cad_sr, write_study_srs

from .conftest import dciodvfy, study_image


def _tables(image_path: str, ds, *, n_clusters: int, score_of=lambda k: 2.0 + k, **image_fields) -> ScanTables:
    uid = str(ds.SOPInstanceUID)
    image = {"path": image_path, "sop_instance_uid": uid, "study_instance_uid": str(ds.StudyInstanceUID),
             "series_instance_uid": str(ds.SeriesInstanceUID), "sop_class_uid": str(ds.SOPClassUID),
             "patient_key": "PAT-30", "laterality": "L", "view": "CC", "rows": 240, "cols": 160,
             "spacing_mm": 0.1, "spacing_col_mm": 0.1, "n_clusters": n_clusters, "score": 9.0, "flag": "positive",
             **image_fields}
    clusters, calcs = [], []
    for k in range(n_clusters):
        r0, c0 = 5 + 7 * (k // 6), 5 + 25 * (k % 6)
        members = [(r0 + 1, c0 + 1, 0.21), (r0 + 2, c0 + 4, 0.33), (r0 + 4, c0 + 2, 0.5)]
        clusters.append({"sop_instance_uid": uid, "cluster_id": k, "n_calcifications": 3,
                         "row": r0 + 7 / 3, "col": c0 + 7 / 3, "row_min": r0 + 1, "col_min": c0 + 1,
                         "row_max": r0 + 4, "col_max": c0 + 4, "area_mm2": 0.04, "score": score_of(k)})
        calcs += [{"sop_instance_uid": uid, "calcification_id": 3 * k + j, "row": float(r), "col": float(c),
                   "diameter_mm": d, "cluster_id": k} for j, (r, c, d) in enumerate(members)]
    calcs.append({"sop_instance_uid": uid, "calcification_id": 999, "row": 200.0, "col": 100.0,
                  "diameter_mm": 0.3, "cluster_id": -1})  # isolated: in no cluster, not in the SR
    return ScanTables(images=[image], calcifications=calcs, clusters=clusters)


def test_thirty_clusters_all_in_the_sr_and_valid(tmp_path):
    study_image(tmp_path / "in", "IM1", study_uid=generate_uid(), patient_id="PAT-30")
    ds = pydicom.dcmread(tmp_path / "in" / "IM1", stop_before_pixels=True)
    tables = _tables("IM1", ds, n_clusters=30)
    config = DetectorConfig.default()
    outcome = write_study_srs(tmp_path / "out", tables, dicom_dir=tmp_path / "in", config=config)
    assert outcome.errors == () and len(outcome.paths) == 1
    path = outcome.paths[str(ds.StudyInstanceUID)]
    assert path == tmp_path / "out" / "sr" / "PAT-30" / f"{ds.StudyInstanceUID}.dcm"
    assert dciodvfy(path)[0] == []
    report = read_cad_sr(path)
    assert len(report.clusters) == 30
    for read, row in zip(sorted(report.clusters, key=lambda c: (c.bbox_px[0], c.bbox_px[1])),
                         sorted(tables.clusters, key=lambda k: (k["row_min"], k["col_min"]))):
        assert read.bbox_px == (row["row_min"], row["col_min"], row["row_max"], row["col_max"])
        assert len(read.members) == 3
        # intent follows the operating point: score >= image threshold -> presentation required
        assert read.rendering_intent == ("111150" if row["score"] >= config.image_threshold else "111151")
    assert sum(len(c.members) for c in report.clusters) == 90  # the isolated calcification is not reported


@pytest.mark.parametrize("image_fields, model_threshold", [
    ({"threshold": 0.5}, lambda cfg: 0.5),  # the threshold images.csv says flagged the image
    ({"spacing_mm": 0.2, "spacing_col_mm": 0.2}, lambda cfg: cfg.image_threshold_coarse),  # older rows: by spacing
    ({"spacing_mm": 0.2, "spacing_col_mm": 0.2, "image_family": "film"},  # ... and by what the image was taken for
     lambda cfg: cfg.image_threshold_film_coarse),
    ({}, lambda cfg: cfg.image_threshold),
])
def test_certainty_and_intent_follow_the_image_s_own_threshold(tmp_path, image_fields, model_threshold):
    study_image(tmp_path / "in", "IM1", study_uid=generate_uid(), patient_id="PAT-30")
    ds = pydicom.dcmread(tmp_path / "in" / "IM1", stop_before_pixels=True)
    config = DetectorConfig(image_threshold=0.8, image_threshold_coarse=1.6, image_threshold_film=1.0,
                            image_threshold_film_coarse=1.2)
    threshold = model_threshold(config)
    tables = _tables("IM1", ds, n_clusters=4, score_of=lambda k: 0.45 * (k + 1), **image_fields)
    outcome = write_study_srs(tmp_path / "out", tables, dicom_dir=tmp_path / "in", config=config)
    report = read_cad_sr(outcome.paths[str(ds.StudyInstanceUID)])
    for read, row in zip(sorted(report.clusters, key=lambda c: (c.bbox_px[0], c.bbox_px[1])),
                         sorted(tables.clusters, key=lambda k: (k["row_min"], k["col_min"]))):
        assert read.certainty_percent == pytest.approx(100 * row["score"] / (row["score"] + threshold), abs=1e-3)
        assert read.rendering_intent == ("111150" if row["score"] >= threshold else "111151")


def test_plan_is_deterministic_so_a_rerun_keeps_the_sr_identity(tmp_path):
    study_image(tmp_path / "in", "IM1", study_uid=generate_uid(), patient_id="PAT-30")
    ds = pydicom.dcmread(tmp_path / "in" / "IM1", stop_before_pixels=True)
    tables = _tables("IM1", ds, n_clusters=2)
    config = DetectorConfig.default()
    first = plan_study_reports(tables, dicom_dir=tmp_path / "in", config=config).reports[0]
    again = plan_study_reports(tables, dicom_dir=tmp_path / "in", config=config).reports[0]
    assert (first.sop_instance_uid, first.series_instance_uid) == (again.sop_instance_uid, again.series_instance_uid)
    tables.clusters[0]["score"] = 50.0  # other results: another SR instance (same series)
    changed = plan_study_reports(tables, dicom_dir=tmp_path / "in", config=config).reports[0]
    assert changed.sop_instance_uid != first.sop_instance_uid
    assert changed.series_instance_uid == first.series_instance_uid


def test_study_whose_headers_cannot_be_read_again_is_reported(tmp_path):
    study_image(tmp_path / "in", "IM1", study_uid=generate_uid(), patient_id="PAT-30")
    ds = pydicom.dcmread(tmp_path / "in" / "IM1", stop_before_pixels=True)
    tables = _tables("IM1", ds, n_clusters=1)
    (tmp_path / "in" / "IM1").unlink()
    plan = plan_study_reports(tables, dicom_dir=tmp_path / "in", config=DetectorConfig.default())
    assert plan.reports == ()
    assert [(e["path"], e["error"]) for e in plan.errors] == [("IM1", "sr_not_written")]
    assert "can be read again" in plan.errors[0]["message"]
