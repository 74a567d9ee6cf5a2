"""calcdetect scan writes one Mammography CAD SR per study: valid (dciodvfy, dcmtk), and it says what the CSVs say.

Each SR is read back with pydicom (calcdetect.sr.reader walks the tree itself)
and compared with clusters.csv / calcifications.csv / images.csv, which the
scan wrote independently of the SR code.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

from calcdetect.batch import scan_folder
from calcdetect.config import DetectorConfig
from calcdetect.keys import patient_key
from calcdetect.sr import read_cad_sr
from calcdetect.sr.coords import score_from_certainty

from .conftest import SECRET_NAME, dciodvfy

pytestmark = pytest.mark.slow
MAMMO_CAD_SR = "1.2.840.10008.5.1.4.1.1.88.50"


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def scanned(sr_folder, tmp_path_factory):
    folder, uids = sr_folder
    out = tmp_path_factory.mktemp("sr_out")
    summary = scan_folder(folder, out, workers=1)
    return folder, uids, out, summary


def _sr_of(out: Path, key: str) -> Path:
    found = sorted((out / "sr" / key).glob("*.dcm"))
    assert len(found) == 1, (key, found)
    return found[0]


def test_one_sr_per_study_and_mixed_patients_reported(scanned):
    _, uids, out, summary = scanned
    srs = sorted((out / "sr").rglob("*.dcm"))
    assert summary.n_srs == 4 and len(srs) == 4
    assert {p.parent.name for p in srs} == {"PAT-A", "PAT-B", "PAT-C", "PAT-E"}
    errors = {r["path"]: r for r in _rows(out / "errors.csv")}
    assert errors["D/CC"]["error"] == "sr_not_written" and "2 different Patient IDs" in errors["D/CC"]["message"]
    assert "PAT-D" not in errors["D/CC"]["message"]  # never the ids themselves
    assert errors["C/MLO"]["error"] == "pixel_data_short"
    images = {r["path"] for r in _rows(out / "images.csv")}
    assert {"D/CC", "D/MLO"} <= images  # analysed as usual, only not merged into one SR
    assert {pydicom.dcmread(p).StudyInstanceUID for p in srs} == {uids[k] for k in "ABCE"}


def test_every_sr_passes_dciodvfy_without_errors_or_warnings(scanned):
    _, _, out, _ = scanned
    for path in sorted((out / "sr").rglob("*.dcm")):
        errors, warnings = dciodvfy(path)
        assert errors == [], (path, errors)
        assert warnings == [], (path, warnings)  # none today; docs/outputs.md lists any that may appear


def test_clusters_and_members_read_back_equal_the_csvs(scanned):
    _, _, out, _ = scanned
    images = {r["sop_instance_uid"]: r for r in _rows(out / "images.csv")}
    clusters = _rows(out / "clusters.csv")
    calcs = _rows(out / "calcifications.csv")
    n_checked = 0
    for path in sorted((out / "sr").rglob("*.dcm")):
        report = read_cad_sr(path)
        mine = sorted((k for k in clusters if k["sop_instance_uid"] in report.images),
                      key=lambda k: (k["sop_instance_uid"], int(k["cluster_id"])))
        got = sorted(report.clusters, key=lambda c: (c.sop_instance_uid, c.bbox_px))
        mine.sort(key=lambda k: (k["sop_instance_uid"], (int(k["row_min"]), int(k["col_min"]),
                                                          int(k["row_max"]), int(k["col_max"]))))
        assert len(got) == len(mine)
        for read, row in zip(got, mine):
            assert read.sop_instance_uid == row["sop_instance_uid"]
            threshold = float(images[row["sop_instance_uid"]]["threshold"])  # the image's model's
            assert threshold in (DetectorConfig.default().image_threshold, DetectorConfig.default().image_threshold_coarse)
            assert read.bbox_px == (int(row["row_min"]), int(row["col_min"]), int(row["row_max"]), int(row["col_max"]))
            assert read.row_px == pytest.approx(float(row["row"]), abs=0.01)
            assert read.col_px == pytest.approx(float(row["col"]), abs=0.01)
            assert read.n_calcifications == int(row["n_calcifications"])
            assert score_from_certainty(read.certainty_percent, threshold=threshold) == pytest.approx(
                float(row["score"]), rel=1e-3)
            assert read.rendering_intent == ("111150" if float(row["score"]) >= threshold else "111151")
            members = sorted((c for c in calcs if c["sop_instance_uid"] == row["sop_instance_uid"]
                              and c["cluster_id"] == row["cluster_id"]), key=lambda c: (float(c["row"]), float(c["col"])))
            read_members = sorted(read.members, key=lambda m: (m.row_px, m.col_px))
            assert len(read_members) == len(members) == int(row["n_calcifications"])
            for m, c in zip(read_members, members):
                assert m.sop_instance_uid == row["sop_instance_uid"]
                assert (m.row_px, m.col_px) == pytest.approx((float(c["row"]), float(c["col"])), abs=0.01)
                assert m.diameter_mm == pytest.approx(float(c["diameter_mm"]), abs=1e-4)
            n_checked += 1
        # the image library describes each image as images.csv does
        for uid, described in report.images.items():
            if uid in images:
                row = images[uid]
                assert described["Horizontal Pixel Spacing"] == pytest.approx(float(row["spacing_col_mm"]))
                assert described["Vertical Pixel Spacing"] == pytest.approx(float(row["spacing_mm"]))
                assert described["Image Laterality"] == {"L": "80248007", "R": "73056007"}[row["laterality"]]
                assert described["Image View"] == {"CC": "399162004", "MLO": "399368009"}[row["view"]]
    assert n_checked == 3  # A/CC, B/CC (MONOCHROME1), C/CC


def test_summaries_say_what_succeeded_and_what_was_found(scanned):
    folder, _, out, _ = scanned
    by_key = {key: read_cad_sr(_sr_of(out, key)) for key in ("PAT-A", "PAT-B", "PAT-C", "PAT-E")}
    assert by_key["PAT-A"].findings_summary == "111242"  # all succeeded; with findings
    assert len(by_key["PAT-A"].images) == 2
    assert by_key["PAT-B"].findings_summary == "111242"  # the single MONOCHROME1 image
    assert by_key["PAT-E"].findings_summary == "111241"  # all succeeded; without findings: said, not omitted
    assert by_key["PAT-E"].clusters == ()
    c = by_key["PAT-C"]
    assert c.findings_summary == "111244" and c.detections_summary == "111223"  # partially succeeded
    failed_uid = pydicom.dcmread(folder / "C" / "MLO", stop_before_pixels=True).SOPInstanceUID
    assert c.failed_images == (failed_uid,) and failed_uid in c.images
    for report in by_key.values():
        assert report.sop_class_uid == MAMMO_CAD_SR and report.analyses_summary == "111225"
    for key in ("PAT-A", "PAT-B", "PAT-E"):
        assert by_key[key].detections_summary == "111222" and by_key[key].failed_images == ()


def test_sr_copies_patient_and_study_and_is_a_new_series(scanned):
    folder, uids, out, _ = scanned
    image = pydicom.dcmread(folder / "A" / "CC", stop_before_pixels=True)
    sr = pydicom.dcmread(_sr_of(out, "PAT-A"))
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID",
                    "StudyDate", "StudyTime", "AccessionNumber", "StudyID"):
        assert str(sr.get(keyword)) == str(image.get(keyword)), keyword
    assert sr.SeriesInstanceUID != image.SeriesInstanceUID and sr.Modality == "SR"
    assert sr.Manufacturer == "calcdetect" and sr.SoftwareVersions
    evidence = sr.CurrentRequestedProcedureEvidenceSequence[0]
    referenced = {r.ReferencedSOPInstanceUID for s in evidence.ReferencedSeriesSequence for r in s.ReferencedSOPSequence}
    assert evidence.StudyInstanceUID == uids["A"] and image.SOPInstanceUID in referenced


def test_dcmtk_renders_every_sr(scanned, tmp_path):
    if shutil.which("dsr2html") is None:
        pytest.skip("dcmtk's dsr2html is not installed (apt-get install dcmtk; .ci/run does it)")
    _, _, out, _ = scanned
    for path in sorted((out / "sr").rglob("*.dcm")):
        run = subprocess.run(["dsr2html", str(path)], capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert "Mammography CAD" in run.stdout and "Image Library" in run.stdout
        dump = subprocess.run(["dsrdump", str(path)], capture_output=True, text=True, timeout=60)
        # dcmtk checks the IOD's relationship constraints and by-reference targets while reading
        assert dump.returncode == 0 and "E:" not in dump.stderr, dump.stderr


def test_index_links_each_image_to_its_study_sr(scanned):
    _, _, out, _ = scanned
    index = (out / "overlays" / "index.html").read_text("utf-8")
    for key in ("PAT-A", "PAT-B", "PAT-C", "PAT-E"):
        rel = _sr_of(out, key).relative_to(out).as_posix()
        assert f'href="../{rel}"' in index
    assert "sr/PAT-D" not in index


def test_pseudonymised_sr_carries_the_key_and_nothing_identifying(sr_folder, tmp_path):
    folder, _ = sr_folder
    sub = tmp_path / "in"
    shutil.copytree(folder / "A", sub / "A")
    out = tmp_path / "out"
    scan_folder(sub, out, pseudonymize_key="s3cret", overlays=False)
    key = patient_key("PAT-A", pseudonymize_key="s3cret")
    path = _sr_of(out, key)
    sr = pydicom.dcmread(path)
    assert sr.PatientID == key
    for keyword in ("PatientName", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "AccessionNumber",
                    "StudyID", "ReferringPhysicianName"):
        assert str(sr.get(keyword, "")) == "", keyword
    data = path.read_bytes()
    assert SECRET_NAME.encode() not in data and b"PAT-A" not in data and b"19600101" not in data
    assert b"20240301" not in data  # no study or content dates in the image library either
    assert dciodvfy(path)[0] == []


def test_no_sr_option_writes_none(sr_folder, tmp_path):
    folder, _ = sr_folder
    sub = tmp_path / "in"
    shutil.copytree(folder / "E", sub / "E")
    out = tmp_path / "out"
    summary = scan_folder(sub, out, sr=False, overlays=False)
    assert not (out / "sr").exists() and summary.n_srs == 0
