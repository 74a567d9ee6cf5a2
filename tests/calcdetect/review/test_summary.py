"""Agreement: detector vs each reader and reader vs reader, with hand-derived numbers."""

from __future__ import annotations

import csv
import math

import pytest

from calcdetect.cli import main
from calcdetect.review.decisions import DecisionStore
from calcdetect.review.study import load_study
from calcdetect.review.summary import agreement


def test_agreement_of_a_two_by_two_table():
    # reference positive 25 (other: 20 positive), reference negative 25 (other: 10 positive)
    # p_o = 35/50 = 0.7; p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = 0.2 / 0.5 = 0.4
    a = agreement(["positive"] * 25 + ["negative"] * 25,
                  ["positive"] * 20 + ["negative"] * 5 + ["positive"] * 10 + ["negative"] * 15)
    assert (a.n_patients, a.both_positive, a.reference_only, a.other_only, a.both_negative) == (50, 20, 5, 10, 15)
    assert a.sensitivity == pytest.approx(0.8) and a.specificity == pytest.approx(0.6)
    assert a.kappa == pytest.approx(0.4)


def test_agreement_when_undefined():
    a = agreement(["negative"] * 4, ["negative"] * 4)  # no positive anywhere: kappa and sensitivity undefined
    assert math.isnan(a.kappa) and math.isnan(a.sensitivity) and a.specificity == 1.0
    with pytest.raises(ValueError, match="'positive' or 'negative'"):
        agreement(["positive"], ["maybe"])
    with pytest.raises(ValueError, match="aligned"):
        agreement(["positive"], [])


def test_summary_of_two_readers(scan_out, capsys):
    study = load_study(scan_out)
    flagged = [p for p in study.patients if p.flag == "positive"]
    assert len(flagged) >= 2
    pos2 = flagged[1].patient_key

    def clusters_of(patient) -> list[tuple[str, int]]:  # a flagged patient may have more than one
        return [(im.sop_instance_uid, c.cluster_id) for im in patient.images for c in im.clusters]

    neg = [p for p in study.patients if p.flag == "negative"]
    missed = next(p for p in neg if p.images[0].rows == 2000)
    others = [p.patient_key for p in neg if p is not missed]

    alice = DecisionStore(study, "alice")
    for uid, cid in clusters_of(flagged[0]):
        alice.decide(uid, cid, "confirmed")                              # P, detector P
    for uid, cid in clusters_of(flagged[1]):
        alice.decide(uid, cid, "rejected")                               # N, detector P
    alice.add(missed.images[0].sop_instance_uid, 1500.0, 420.0)          # P, detector N
    alice.mark_reviewed(others[0])                                       # N, detector N
    alice.mark_reviewed(others[1])                                       # N, detector N
    alice.close()
    bob = DecisionStore(study, "bob")
    for uid, cid in clusters_of(flagged[0]):
        bob.decide(uid, cid, "rejected")                                 # N, detector P
    bob.mark_reviewed(pos2)                                              # P (detector's, clusters undecided)
    bob.set_call(others[0], "positive")                                  # P, detector N
    bob.mark_reviewed(others[2])                                         # N, detector N
    bob.close()

    assert main(["review", str(scan_out), "--summary"]) == 0
    printed = capsys.readouterr().out
    with open(scan_out / "review" / "summary.csv", newline="") as fh:
        rows = {(r["reference"], r["other"]): r for r in csv.DictReader(fh)}
    a = rows[("alice", "detector")]
    # alice as reference, 5 reviewed: TP 1, FN 1, FP 1, TN 2; p_o 3/5, p_e 0.4^2 + 0.6^2 = 0.52
    assert (a["n_patients"], a["both_positive"], a["reference_only"], a["other_only"], a["both_negative"]) == (
        "5", "1", "1", "1", "2")
    assert float(a["sensitivity"]) == pytest.approx(0.5) and float(a["specificity"]) == pytest.approx(2 / 3, abs=1e-4)
    assert float(a["kappa"]) == pytest.approx((0.6 - 0.52) / 0.48, abs=1e-4)
    by_key = {p.patient_key: p for p in study.patients}

    def n_clusters(key: str) -> int:  # clusters below the flag on a reviewed patient stay undecided
        return sum(len(im.clusters) for im in by_key[key].images)

    alice_undecided = n_clusters(missed.patient_key) + n_clusters(others[0]) + n_clusters(others[1])
    n1, n2 = len(clusters_of(flagged[0])), len(clusters_of(flagged[1]))
    assert (a["confirmed"], a["rejected"], a["added"], a["undecided"]) == (str(n1), str(n2), "1", str(alice_undecided))
    b = rows[("bob", "detector")]
    # bob: TP 1, FN 1, FP 1, TN 1: p_o = p_e = 0.5, kappa 0
    assert (b["n_patients"], b["both_positive"], b["both_negative"]) == ("4", "1", "1")
    assert float(b["kappa"]) == pytest.approx(0.0, abs=1e-9)
    bob_undecided = n2 + n_clusters(others[0]) + n_clusters(others[2])  # pos2's clusters, left undecided
    assert (b["confirmed"], b["rejected"], b["added"], b["undecided"]) == ("0", str(n1), "0", str(bob_undecided))
    ab = rows[("alice", "bob")]
    # reviewed by both: pos1 (P/N), pos2 (N/P), others[0] (N/P); p_o 0, p_e 1/3 * 2/3 + 2/3 * 1/3 = 4/9
    assert (ab["comparison"], ab["n_patients"], ab["both_positive"], ab["both_negative"]) == (
        "reader vs reader", "3", "0", "0")
    assert float(ab["kappa"]) == pytest.approx(-0.8, abs=1e-4)
    assert "detector vs alice (5 patient(s) reviewed of 8)" in printed and "alice vs bob" in printed
    assert "kappa -0.800" in printed


def test_summary_before_any_review_says_what_to_do(scan_out, capsys):
    assert main(["review", str(scan_out), "--summary"]) == 2
    assert "run 'calcdetect review" in capsys.readouterr().err


@pytest.mark.parametrize("reader", ["../evil", "a/b"])
def test_the_command_refuses_a_reader_name_with_path_characters(scan_out, capsys, reader):
    assert main(["review", str(scan_out), "--reader", reader, "--port", "0"]) == 2
    assert "a reader name is" in capsys.readouterr().err
    assert not (scan_out / "review").exists() or not any((scan_out / "review").iterdir())


def test_the_command_refuses_a_folder_that_is_not_a_scan(tmp_path, capsys):
    assert main(["review", str(tmp_path), "--reader", "alice", "--port", "0"]) == 2
    assert "patients.csv is missing" in capsys.readouterr().err
