"""calcdetect scan end to end on small real DICOM folders: contract, bad input, CLI exit codes."""

from __future__ import annotations

import csv
import json
from collections import Counter
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from calcdetect.batch import ScanError, scan_folder
from calcdetect.batch.outputs import (
    CALCIFICATION_COLUMNS,
    CLUSTER_COLUMNS,
    ERROR_COLUMNS,
    IMAGE_COLUMNS,
    PATIENT_COLUMNS,
)
from calcdetect.cli import EXIT_FATAL, EXIT_OK, EXIT_SOME_SKIPPED, main
from calcdetect.errors import ERROR_CODES
from calcdetect.keys import patient_key

SECRET_NAME = "SECRETNAME"


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def all_output_bytes(out: Path, *, srs: bool = True):
    """Every output file's bytes; ``srs=False`` leaves out the CAD SRs, which copy the
    patient's name and id on purpose (so that they file with the study in a PACS)."""
    for path in out.rglob("*"):
        if path.is_file() and (srs or not path.is_relative_to(out / "sr")):
            yield path, path.read_bytes()


def test_good_folder_follows_the_output_contract(good_folder, tmp_path):
    out = tmp_path / "out"
    summary = scan_folder(good_folder, out, workers=1)

    header, images = read_csv(out / "images.csv")
    assert tuple(header) == IMAGE_COLUMNS
    assert {r["image_family"] for r in images} == {"digital"}  # no header here says film
    assert [r["path"] for r in images] == sorted(f"study{p}/IM{v:04d}" for p in range(3) for v in range(2))
    # the breast the detector found is the drawn one (conftest.mammogram_pixels: a half disc of
    # radius 11.4 mm), give or take the ~1 mm the coarse mask reaches beyond its skin line
    half_disc_mm2 = np.pi * (0.95 * 120 * 0.1) ** 2 / 2
    assert all(0.8 < float(r["breast_area_mm2"]) / half_disc_mm2 < 1.3 for r in images)
    assert summary.n_inputs == summary.n_images == 6 and summary.all_analysed
    for name, columns in [("calcifications", CALCIFICATION_COLUMNS), ("clusters", CLUSTER_COLUMNS),
                          ("patients", PATIENT_COLUMNS), ("errors", ERROR_COLUMNS)]:
        assert tuple(read_csv(out / f"{name}.csv")[0]) == columns
    assert read_csv(out / "errors.csv")[1] == []

    # patients.csv aggregates images.csv
    _, patients = read_csv(out / "patients.csv")
    assert [p["patient_key"] for p in patients] == ["PAT-000", "PAT-001", "PAT-002"]
    for p in patients:
        mine = [r for r in images if r["patient_key"] == p["patient_key"]]
        assert int(p["n_images"]) == len(mine) == 2
        assert int(p["n_positive_images"]) == sum(r["flag"] == "positive" for r in mine)
        assert p["flag"] == ("positive" if int(p["n_positive_images"]) else "negative")
        assert float(p["max_score"]) == max(float(r["score"]) for r in mine)

    # clusters and calcifications refer to images, x_mm/y_mm follow the spacing
    uids = {r["sop_instance_uid"] for r in images}
    _, clusters = read_csv(out / "clusters.csv")
    _, calcs = read_csv(out / "calcifications.csv")
    assert {c["sop_instance_uid"] for c in clusters + calcs} <= uids
    for c in calcs:
        assert float(c["x_mm"]) == pytest.approx(float(c["col"]) * 0.1, abs=2e-3)
        assert float(c["y_mm"]) == pytest.approx(float(c["row"]) * 0.1, abs=2e-3)
    for r in images:
        n = sum(c["sop_instance_uid"] == r["sop_instance_uid"] for c in clusters)
        assert int(r["n_clusters"]) == n

    # overlays exist where images.csv says, are real PNGs, and the index links them
    index = (out / "overlays" / "index.html").read_text("utf-8")
    for r in images:
        png = out / r["overlay"]
        assert r["overlay"] == f"overlays/{r['patient_key']}/{r['sop_instance_uid']}.png"
        assert cv2.imread(str(png)) is not None
        assert cv2.imread(str(png.with_suffix("")) + ".thumb.jpg") is not None
        assert r["overlay"].removeprefix("overlays/") in index

    run = json.loads((out / "run.json").read_text())
    assert run["n_inputs"] == 6 and run["counts"]["images"] == 6 and run["counts"]["errors"] == 0
    assert run["config"]["image_threshold"] > 0 and run["version"]
    assert run["started"].endswith("+00:00") and run["finished"] >= run["started"]
    for path, data in all_output_bytes(out, srs=False):
        assert SECRET_NAME.encode() not in data, path
    srs = sorted((out / "sr").rglob("*.dcm"))
    # one SR per study (each test image has its own Study Instance UID); the name is copied on purpose
    assert len(srs) == 6 and all(SECRET_NAME.encode() in p.read_bytes() for p in srs)


def test_messy_folder_every_file_once_with_a_reason(messy_folder, tmp_path):
    folder, expected = messy_folder
    out = tmp_path / "out"
    summary = scan_folder(folder, out, workers=1)

    _, images = read_csv(out / "images.csv")
    _, errors = read_csv(out / "errors.csv")
    image_paths = [r["path"] for r in images]
    error_paths = [r["path"] for r in errors]
    assert sorted(image_paths + error_paths) == sorted(expected), "each input exactly once"
    assert not set(image_paths) & set(error_paths)
    assert error_paths == sorted(error_paths)
    got = {r["path"]: r["error"] for r in errors} | {p: None for p in image_paths}
    assert got == expected
    for r in errors:
        assert r["error"] in ERROR_CODES
        assert len(r["message"]) > 30 and "\n" not in r["message"], r
        assert str(folder) not in r["message"]  # no absolute input paths in messages
    assert summary.errors_by_code == dict(Counter(code for code in expected.values() if code))

    # hostile and unicode PatientIDs: analysed, with a safe key, and nothing escapes OUT
    keys = {r["path"]: r["patient_key"] for r in images}
    assert keys["evil/IM0001"] == patient_key("../../etc/passwd")
    assert keys["unicode/IM0001"] == patient_key("Ünïcødé 患者/01")
    for path, data in all_output_bytes(out, srs=False):
        assert path.resolve().is_relative_to(out.resolve())
        assert SECRET_NAME.encode() not in data, path
        assert b"../../etc" not in data or path.name == "errors.csv", path
    for path in (out / "sr").rglob("*"):  # the SRs copy the raw PatientID into the file, never into a path
        assert path.resolve().is_relative_to((out / "sr").resolve()) and ".." not in path.name
    assert not (tmp_path / "etc").exists()


def test_pseudonymised_keys_are_used_everywhere(good_folder, tmp_path):
    out = tmp_path / "out"
    scan_folder(good_folder, out, pseudonymize_key="s3cret", overlays=True)
    _, images = read_csv(out / "images.csv")
    _, patients = read_csv(out / "patients.csv")
    expected = {patient_key(f"PAT-{p:03d}", pseudonymize_key="s3cret") for p in range(3)}
    assert {r["patient_key"] for r in images} == {p["patient_key"] for p in patients} == expected
    assert {p.name for p in (out / "overlays").iterdir() if p.is_dir()} == expected
    for path, data in all_output_bytes(out):
        assert b"PAT-00" not in data and b"s3cret" not in data, path


def test_no_overlays_option(good_folder, tmp_path):
    out = tmp_path / "out"
    scan_folder(good_folder, out, overlays=False)
    _, images = read_csv(out / "images.csv")
    assert all(r["overlay"] == "" for r in images)
    assert not (out / "overlays").exists()


def test_cli_exit_codes(good_folder, messy_folder, tmp_path, capsys):
    assert main(["scan", str(good_folder), "-o", str(tmp_path / "a"), "--no-overlays"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "images read:        6" in printed and str(tmp_path / "a") in printed

    folder, expected = messy_folder
    assert main(["scan", str(folder), "-o", str(tmp_path / "b"), "--no-overlays"]) == EXIT_SOME_SKIPPED
    printed = capsys.readouterr().out
    assert f"not analysed:       {sum(v is not None for v in expected.values())}" in printed
    assert "duplicate 1" in printed and "errors.csv" in printed

    assert main(["scan", str(tmp_path / "missing"), "-o", str(tmp_path / "c")]) == EXIT_FATAL
    assert "does not exist" in capsys.readouterr().err
    assert main(["scan", str(good_folder), "-o", str(tmp_path / "d"), "--workers", "0"]) == EXIT_FATAL
    assert main(["scan", str(good_folder), "-o", str(good_folder)]) == EXIT_FATAL
    assert main(["scan", str(good_folder)]) == EXIT_FATAL  # -o is required (argparse)
    bad_config = tmp_path / "bad.json"
    bad_config.write_text('{"no_such_key": 1}')
    assert main(["scan", str(good_folder), "-o", str(tmp_path / "e"), "--config", str(bad_config)]) == EXIT_FATAL
    assert "no_such_key" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_is_fatal(good_folder, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ScanError, match="not writable|cannot"):
            scan_folder(good_folder, locked / "out")
    finally:
        locked.chmod(0o700)


def test_output_under_a_file_is_fatal(good_folder, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["scan", str(good_folder), "-o", str(blocker / "out")]) == EXIT_FATAL


def test_config_file_is_used_and_recorded(good_folder, tmp_path):
    config = tmp_path / "detector.json"
    config.write_text(json.dumps({"image_threshold": 1.0, "image_threshold_coarse": 1.0}))
    out = tmp_path / "out"
    assert main(["scan", str(good_folder), "-o", str(out), "--config", str(config), "--no-overlays"]) == EXIT_OK
    _, images = read_csv(out / "images.csv")
    assert all(r["flag"] == "negative" for r in images)  # the cluster model's probabilities stay below 1
    assert json.loads((out / "run.json").read_text())["config"]["image_threshold"] == 1.0


def test_default_spacing_rescues_files_without_spacing(messy_folder, tmp_path):
    folder, _ = messy_folder
    out = tmp_path / "out"
    scan_folder(folder, out, overlays=False, default_spacing_mm=0.1)
    _, images = read_csv(out / "images.csv")
    assert "nospacing.dcm" in {r["path"] for r in images}


@pytest.mark.parametrize("uid", ["../../evil uid", "..", "", "1.2.840.99/../x"])
def test_odd_sop_instance_uids_give_overlay_names_inside_out(uid, dicom_writers, tmp_path):
    import warnings

    folder = tmp_path / "in"
    ds = dicom_writers.mammogram_dataset(patient_id="U-1")
    ds.SOPInstanceUID = uid
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the invalid UID it is asked to write
        dicom_writers.write(ds, folder / "IM1")
    out = tmp_path / "out"
    scan_folder(folder, out)
    _, images = read_csv(out / "images.csv")
    (row,) = images
    overlay = out / row["overlay"]
    assert overlay.is_file() and overlay.parent == out / "overlays" / "U-1"
    assert overlay.name not in {".png", "..png"} and "/" not in overlay.name[:-4]


def test_progress_bar_on_request(good_folder, tmp_path, capsys):
    scan_folder(good_folder, tmp_path / "out", overlays=False, progress=True)
    err = capsys.readouterr().err
    assert "scan" in err and "6/6" in err
    scan_folder(good_folder, tmp_path / "out2", overlays=False)  # stderr is not a terminal here: quiet
    assert capsys.readouterr().err == ""


def test_a_new_run_replaces_the_previous_outputs(good_folder, tmp_path):
    out = tmp_path / "out"
    scan_folder(good_folder, out)
    _, before = read_csv(out / "images.csv")
    (good_folder / before[0]["path"]).unlink()
    (out / "notes-of-the-user.txt").write_text("keep me")
    scan_folder(good_folder, out)
    _, after = read_csv(out / "images.csv")
    assert [r["path"] for r in after] == [r["path"] for r in before[1:]]
    assert not (out / before[0]["overlay"]).exists()  # no stale overlay of the removed file
    assert (out / "notes-of-the-user.txt").read_text() == "keep me"


def test_images_csv_says_which_images_were_treated_as_scanned_film_and_flags_them_at_the_film_threshold(dicom_writers, tmp_path):
    from calcdetect.config import DetectorConfig

    folder = tmp_path / "in"
    film = dicom_writers.mammogram_dataset(patient_id="F-1", seed=1)
    film.ConversionType = "DF"  # a Secondary Capture's "Digitized Film"
    dicom_writers.write(film, folder / "film.dcm")
    dicom_writers.write(dicom_writers.mammogram_dataset(patient_id="D-1", seed=2), folder / "digital.dcm")
    config = DetectorConfig(image_threshold=0.3, image_threshold_film=0.6)
    scan_folder(folder, tmp_path / "auto", overlays=False, config=config)
    _, images = read_csv(tmp_path / "auto" / "images.csv")
    assert {r["path"]: r["image_family"] for r in images} == {"film.dcm": "film", "digital.dcm": "digital"}
    # ... and each is flagged at its family's threshold (both at pixels the full-size model scores)
    assert all(float(r["spacing_mm"]) < config.spot_min_spacing_mm for r in images)
    assert {r["path"]: float(r["threshold"]) for r in images} == {"film.dcm": 0.6, "digital.dcm": 0.3}
    # the user says so for every image, whatever the headers
    scan_folder(folder, tmp_path / "forced", overlays=False, config=config.replace(image_family="film"))
    _, images = read_csv(tmp_path / "forced" / "images.csv")
    assert {r["image_family"] for r in images} == {"film"}
    assert {float(r["threshold"]) for r in images} == {0.6}
