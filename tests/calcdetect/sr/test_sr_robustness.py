"""Bad header values and bugs in the SR code never stop a scan or lose its CSVs."""

from __future__ import annotations

import csv

import pydicom
import pytest
from pydicom.uid import generate_uid

from calcdetect.batch import scan_folder
from calcdetect.sr import read_cad_sr

from .conftest import dciodvfy, study_image, write


def test_malformed_dates_are_left_out_not_copied(tmp_path):
    path = study_image(tmp_path / "in", "IM1", study_uid=generate_uid(), patient_id="PAT-X", cluster=False)
    ds = pydicom.dcmread(path)
    ds.StudyDate, ds.ContentTime, ds.PatientBirthDate = "2024-03-01", "10:15", "unknown"
    write(ds, path)
    out = tmp_path / "out"
    summary = scan_folder(tmp_path / "in", out, overlays=False)
    assert summary.n_srs == 1
    sr_path = next((out / "sr").rglob("*.dcm"))
    assert dciodvfy(sr_path)[0] == []
    sr = pydicom.dcmread(sr_path)
    assert sr.StudyDate == "" and sr.PatientBirthDate == ""
    assert "Study Date" not in read_cad_sr(sr_path).images[str(ds.SOPInstanceUID)]


def test_a_failure_building_one_sr_becomes_an_errors_row(tmp_path, monkeypatch):
    import calcdetect.sr.studies as studies

    study_image(tmp_path / "in", "A/IM1", study_uid=generate_uid(), patient_id="PAT-A", cluster=False)
    study_image(tmp_path / "in", "B/IM1", study_uid=generate_uid(), patient_id="PAT-B", cluster=False, seed=3)
    real = studies.build_content

    def broken(findings):
        if any(i.laterality == "R" for i in findings.images):
            raise RuntimeError("simulated bug")
        return real(findings)

    path = tmp_path / "in" / "B" / "IM1"
    ds = pydicom.dcmread(path)
    ds.ImageLaterality = "R"
    write(ds, path)
    monkeypatch.setattr(studies, "build_content", broken)
    out = tmp_path / "out"
    summary = scan_folder(tmp_path / "in", out, overlays=False)
    assert summary.n_srs == 1 and summary.n_images == 2
    with open(out / "errors.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["path"], r["error"]) for r in rows] == [("B/IM1", "sr_not_written")]
    assert "simulated bug" in rows[0]["message"] and "report" in rows[0]["message"]
