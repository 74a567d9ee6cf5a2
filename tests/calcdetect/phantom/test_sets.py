import csv
import json

import pydicom
import pytest

from calcdetect.cli import EXIT_FATAL, EXIT_OK, EXIT_SOME_SKIPPED, main
from calcdetect.phantom import read_cohort_records, write_cohort_phantoms, write_phantom_set


def _truths(folder):
    return {p.name[: -len(".truth.json")]: json.loads(p.read_text()) for p in folder.glob("*.truth.json")}


def _write_records(path, rows, header=("patient_id", "microcalcification", "laterality")):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_cohort_makes_cc_and_mlo_per_record_with_clusters_only_where_positive(tmp_path):
    rec = _write_records(tmp_path / "records.csv", [
        ("YUL-001", "positive", "L"), ("YUL-002", "negative", "R"), ("YUL-003", "yes", ""),
        ("YUL-004", "0", "right")])
    out = tmp_path / "out"
    paths = write_cohort_phantoms(out, rec, seed=5, preset="small")
    assert len(paths) == 8
    truths = _truths(out)
    by_patient = {}
    for t in truths.values():
        by_patient.setdefault(t["patient_id"], []).append(t)
    assert set(by_patient) == {"YUL-001", "YUL-002", "YUL-003", "YUL-004"}
    positive = {"YUL-001": True, "YUL-002": False, "YUL-003": True, "YUL-004": False}
    for pid, ts in by_patient.items():
        assert sorted(t["view"] for t in ts) == ["CC", "MLO"]
        assert len({t["laterality"] for t in ts}) == 1
        assert len({t["study_instance_uid"] for t in ts}) == 1
        assert all(t["has_cluster"] is positive[pid] for t in ts)
        assert all(bool(t["clusters"]) is positive[pid] for t in ts)
        # a radiologist reported it: every positive record's cluster is visible in both views
        assert all(k["visibility"] == "visible" for t in ts for k in t["clusters"])
        assert all(t["distractors"] for t in ts)
    assert {t["laterality"] for t in by_patient["YUL-002"]} == {"R"}
    assert {t["laterality"] for t in by_patient["YUL-004"]} == {"R"}
    ds = pydicom.dcmread(out / "YUL-001_LCC.dcm", stop_before_pixels=True)
    assert ds.PatientID == "YUL-001"
    assert ds.StudyInstanceUID == pydicom.dcmread(out / "YUL-001_LMLO.dcm", stop_before_pixels=True).StudyInstanceUID
    assert (out / "manifest.csv").read_text().count("\n") == 9


def test_bad_records_are_skipped_and_reported(tmp_path, caplog):
    rec = _write_records(tmp_path / "records.csv", [
        ("A1", "positive", "L"), ("", "negative", "L"), ("A3", "perhaps", "L"), ("A4", "negative", "X"),
        ("A1", "negative", "L"), ("A6", "no", "L")])
    good, bad = read_cohort_records(rec)
    assert [g.patient_id for g in good] == ["A1", "A6"]
    reasons = {b.row_number: b.reason for b in bad}
    assert set(reasons) == {2, 3, 4, 5}
    assert "missing patient_id" in reasons[2] and "microcalcification" in reasons[3]
    assert "laterality" in reasons[4] and "duplicate" in reasons[5]
    paths = write_cohort_phantoms(tmp_path / "out", rec, seed=1, preset="small")
    assert len(paths) == 4
    skipped = list(csv.DictReader(open(tmp_path / "out" / "cohort_skipped.csv")))
    assert [s["row_number"] for s in skipped] == ["2", "3", "4", "5"]
    assert "skipped" in caplog.text


def test_records_without_the_required_column_are_refused(tmp_path):
    rec = _write_records(tmp_path / "r.csv", [("A1", "L")], header=("patient_id", "laterality"))
    with pytest.raises(ValueError, match="microcalcification"):
        read_cohort_records(rec)


def test_set_has_the_requested_number_of_positives_and_is_reproducible(tmp_path):
    a = write_phantom_set(tmp_path / "a", n=6, seed=3, preset="small", positive_fraction=0.5)
    b = write_phantom_set(tmp_path / "b", n=6, seed=3, preset="small", positive_fraction=0.5)
    assert [p.name for p in a] == [f"phantom_{i:04d}.dcm" for i in range(6)]
    assert [p.name for p in b] == [p.name for p in a]
    ta, tb = _truths(tmp_path / "a"), _truths(tmp_path / "b")
    assert ta == tb
    assert sum(t["has_cluster"] for t in ta.values()) == 3
    assert (tmp_path / "a" / "phantom_0000.dcm").read_bytes() == (tmp_path / "b" / "phantom_0000.dcm").read_bytes()


def test_cli_makes_a_set_in_process(tmp_path, capsys):
    assert main(["phantoms", str(tmp_path / "o"), "--n", "2", "--seed", "4", "--preset", "small-mix"]) == EXIT_OK
    assert len(list((tmp_path / "o").glob("*.dcm"))) == 2
    assert "wrote 2 phantom image(s)" in capsys.readouterr().out


def test_cli_cohort_reports_skipped_records(tmp_path, capsys):
    rec = _write_records(tmp_path / "r.csv", [("B1", "positive", "L"), ("B2", "maybe", "L")])
    code = main(["phantoms", str(tmp_path / "o"), "--cohort", str(rec), "--preset", "small"])
    assert code == EXIT_SOME_SKIPPED
    out = capsys.readouterr().out
    assert "skipped 1 record(s)" in out and "maybe" in out
    assert len(list((tmp_path / "o").glob("*.dcm"))) == 2


def test_cli_refuses_an_unknown_preset_and_a_missing_file(tmp_path):
    assert main(["phantoms", str(tmp_path / "o"), "--preset", "acme"]) == EXIT_FATAL
    assert main(["phantoms", str(tmp_path / "o"), "--cohort", str(tmp_path / "missing.csv")]) == EXIT_FATAL


def test_reuse_keeps_existing_images_and_regenerates_changed_ones(tmp_path):
    out = tmp_path / "o"
    write_phantom_set(out, n=2, seed=8, preset="small")
    first = (out / "phantom_0000.dcm").stat().st_mtime_ns
    write_phantom_set(out, n=2, seed=8, preset="small", reuse_existing=True)
    assert (out / "phantom_0000.dcm").stat().st_mtime_ns == first
    write_phantom_set(out, n=2, seed=9, preset="small", reuse_existing=True)  # other seed: rewritten
    assert json.loads((out / "phantom_0000.truth.json").read_text())["seed"] != 0
    assert (out / "phantom_0000.dcm").stat().st_mtime_ns != first


def test_workers_give_the_same_files(tmp_path):
    write_phantom_set(tmp_path / "a", n=2, seed=6, preset="small", workers=1)
    write_phantom_set(tmp_path / "b", n=2, seed=6, preset="small", workers=2)
    for i in range(2):
        assert (tmp_path / "a" / f"phantom_{i:04d}.dcm").read_bytes() == (tmp_path / "b" / f"phantom_{i:04d}.dcm").read_bytes()


def test_set_draws_the_class_mix_and_says_it(tmp_path, capsys):
    out = tmp_path / "o"
    mix = {"visible": 0.5, "subtle": 0.25, "occult": 0.25}
    write_phantom_set(out, n=12, seed=17, preset="small-mix", positive_fraction=1.0, visibility_mix=mix)
    summary = json.loads((out / "set_summary.json").read_text())
    truths = _truths(out)
    got = [k["visibility"] for t in truths.values() for k in t["clusters"]]
    assert summary["visibility_mix_requested"] == mix
    assert summary["visibility_counts"] == {c: got.count(c) for c in ("visible", "subtle", "occult")}
    assert summary["n_with_cluster"] == 12 and summary["n_not_as_requested"] == 0
    assert len(set(got)) >= 2  # 12 draws from a 50/25/25 mix: one class alone has probability < 0.003
    # beside them, the same clusters classed at 0.2 mm pixels (the "small" presets are 0.1 mm)
    coarse = [k["visibility_0.2mm"] for t in truths.values() for k in t["clusters"]]
    assert summary["visibility_counts_at_0.2mm"] == {c: coarse.count(c) for c in ("visible", "subtle", "occult")}
    rank = {"occult": 0, "subtle": 1, "visible": 2}
    assert all(rank[a] <= rank[b] for a, b in zip(coarse, got)), "area-averaging never makes a cluster more visible"
    rows = list(csv.DictReader(open(out / "manifest.csv")))
    assert sorted(r["visibility"] for r in rows) == sorted(got)
    assert all(r["visibility"] == r["visibility_requested"] for r in rows)


def test_cli_says_the_class_mix(tmp_path, capsys):
    assert main(["phantoms", str(tmp_path / "o"), "--n", "4", "--seed", "2", "--preset", "small",
                 "--positive-fraction", "1"]) == EXIT_OK
    text = capsys.readouterr().out
    assert "clusters: 4 (visible" in text and "mix asked for: visible 70%, subtle 20%, occult 10%" in text
    assert "the same clusters in the images area-averaged to 0.2 mm: visible" in text


def test_a_bad_class_mix_is_refused(tmp_path):
    with pytest.raises(ValueError, match="visibility_mix"):
        write_phantom_set(tmp_path / "o", n=1, seed=1, preset="small", visibility_mix={"obvious": 1.0})


def test_cli_takes_a_class_mix_and_refuses_a_bad_one(tmp_path, capsys):
    assert main(["phantoms", str(tmp_path / "o"), "--n", "2", "--seed", "3", "--preset", "small",
                 "--positive-fraction", "1", "--visibility-mix", "occult=1"]) == EXIT_OK
    assert "clusters: 2 (visible 0, subtle 0, occult 2" in capsys.readouterr().out
    assert main(["phantoms", str(tmp_path / "p"), "--n", "1", "--visibility-mix", "visible:1"]) == EXIT_FATAL
    assert "CLASS=WEIGHT" in capsys.readouterr().out
