"""The study uses the reviewed calls: ``cohort analyze --flags OUT/review/<reader>/patients.csv``."""

from __future__ import annotations

import csv
from pathlib import Path

from calcdetect.review.decisions import DecisionStore
from calcdetect.review.study import load_study
from cohort.cli import main as cohort_main

RECORDS = Path(__file__).resolve().parents[3] / "data" / "cohort" / "records.csv"


def _records_for(keys: list[str], path: Path) -> Path:
    """The first records of the bundled reconstruction, renamed to the scanned patients."""
    with open(RECORDS, newline="") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r, _ in zip(reader, keys)]
    for r, key in zip(rows, keys):
        r["patient_id"] = key
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_analyze_takes_a_reviewed_file_and_says_so(scan_out, tmp_path):
    study = load_study(scan_out)
    keys = sorted(p.patient_key for p in study.patients)
    records = _records_for(keys, tmp_path / "records.csv")
    flagged = [p for p in study.patients if p.flag == "positive"]
    missed = next(p for p in study.patients if p.flag != "positive")
    assert flagged, "the sample scan must flag at least one patient for this test"
    store = DecisionStore(study, "alice")
    for im in flagged[0].images:  # every cluster of one flagged patient rejected: P -> N
        for cluster in im.clusters:
            store.decide(im.sop_instance_uid, cluster.cluster_id, "rejected")
    image = missed.images[0]
    store.add(image.sop_instance_uid, 0.5 * image.rows, 0.5 * image.cols)                             # N -> P
    store.close()

    reviewed = scan_out / "review" / "alice" / "patients.csv"
    assert cohort_main(["analyze", "--records", str(records), "--flags", str(reviewed),
                        "-o", str(tmp_path / "reviewed")]) == 0
    assert cohort_main(["analyze", "--records", str(records), "--flags", str(scan_out / "patients.csv"),
                        "-o", str(tmp_path / "detector")]) == 0

    report = (tmp_path / "reviewed" / "report.md").read_text()
    assert "microcalcification variable: reviewed calls of reader alice" in report
    section = report[report.index("## Table 3"):]
    assert "Detector vs reader" in section
    # the reader as reference, 8 patients: both + the other flagged ones, detector only 1 (rejected),
    # reader only 1 (added), both - the rest (how many the detector flags is the detector's business)
    n = len(study.patients)
    both_pos, both_neg = len(flagged) - 1, n - len(flagged) - 1
    assert f"| {n} | {both_pos} | 1 | 1 | {both_neg} |" in section
    assert f"The reader reviewed 2 of the {n} analysed patients" in section
    plain = (tmp_path / "detector" / "report.md").read_text()
    assert "microcalcification variable: detector flags (patients.csv)" in plain
    assert "Detector vs reader" not in plain

    # Table 3's microcalcification counts are the reader's calls: one flip each way, so the same
    # totals as the detector's, made of different patients
    def mc_total(folder: str) -> dict[str, str]:
        with open(tmp_path / folder / "table3.csv", newline="") as fh:
            return {r["level"]: r["n_total"] for r in csv.DictReader(fh) if r["variable"] == "microcalcification"}
    expected = {"positive": str(len(flagged)), "negative": str(n - len(flagged))}
    assert mc_total("reviewed") == mc_total("detector") == expected
    with open(tmp_path / "reviewed" / "join.csv", newline="") as fh:
        assert {r["status"] for r in csv.DictReader(fh)} == {"matched"}
