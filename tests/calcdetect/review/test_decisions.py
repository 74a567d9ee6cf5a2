"""The reader's decisions: the call rule, the files, resuming, reader names, one server per reader."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from calcdetect.review.decisions import DECISION_COLUMNS, DecisionStore, ReaderBusyError, reviewed_call, validate_reader
from calcdetect.review.study import ClusterInfo, ImageInfo, PatientInfo, Study, load_study


def _image(uid: str, key: str, flag: str, n_clusters: int) -> ImageInfo:
    clusters = tuple(ClusterInfo(i, 100.0 + i, 50.0 + i, (90, 40, 110, 60), 4, 6.0) for i in range(n_clusters))
    return ImageInfo(uid, key, "L", "CC", 600, 480, 6.0 if flag == "positive" else 0.0, flag, "", None, None, clusters)


def _patient(key: str, flag: str, images: list[ImageInfo]) -> PatientInfo:
    row = {"patient_key": key, "n_images": str(len(images)), "n_positive_images": "0", "n_clusters": "0",
           "max_score": "6.0" if flag == "positive" else "0", "flag": flag}
    return PatientInfo(key, flag, float(row["max_score"]), row, tuple(images))


def _study(tmp_path: Path) -> Study:
    pos = _patient("P1", "positive", [_image("1.1", "P1", "positive", 2), _image("1.2", "P1", "negative", 1)])
    neg = _patient("N1", "negative", [_image("2.1", "N1", "negative", 0)])
    return Study(out_dir=tmp_path, patients=(pos, neg),
                 patient_columns=("patient_key", "n_images", "n_positive_images", "n_clusters", "max_score", "flag"))


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_call_follows_the_clusters_unless_overridden(tmp_path):
    study = _study(tmp_path)
    store = DecisionStore(study, "alice")
    pos, neg = study.patients
    assert reviewed_call(pos, [], None) == ("positive", "detector")
    store.decide("1.1", 0, "rejected")
    # cluster 1 of the flagged image is not rejected yet: the flag stands
    assert store.patient_state("P1")["flag"] == "positive"
    state = store.decide("1.1", 1, "rejected")
    # both clusters of the flagged image rejected; the negative image's cluster does not flag
    assert (state["flag"], state["call_source"]) == ("negative", "clusters")
    state = store.decide("1.2", 0, "confirmed")
    assert (state["flag"], state["call_source"]) == ("positive", "clusters")
    state = store.set_call("P1", "negative")
    assert (state["flag"], state["call_source"], state["override"]) == ("negative", "reader", "negative")
    state = store.set_call("P1", None)
    assert (state["flag"], state["call_source"]) == ("positive", "clusters")
    state = store.add("2.1", 300.25, 100.0)
    assert (state["flag"], state["call_source"]) == ("positive", "clusters")
    state = store.remove_added("2.1", 300.25, 100.0)
    assert state["decisions"] == [] and state["flag"] == "negative"
    store.close()


def test_files_hold_what_was_decided_and_a_new_store_resumes(tmp_path):
    study = _study(tmp_path)
    store = DecisionStore(study, "alice")
    store.decide("1.1", 0, "confirmed")
    store.decide("1.1", 1, "confirmed")
    store.decide("1.1", 1, "rejected")  # changed mind: one row, the latest
    store.add("2.1", 12.34, 56.78)
    store.set_call("N1", "negative")
    store.mark_reviewed("P1")
    store.close()

    folder = tmp_path / "review" / "alice"
    rows = _rows(folder / "decisions.csv")
    assert list(rows[0]) == list(DECISION_COLUMNS)
    assert [(r["patient_key"], r["sop_instance_uid"], r["cluster_id"], r["decision"], r["row_px"], r["col_px"])
            for r in rows] == [("P1", "1.1", "0", "confirmed", "100.0", "50.0"),
                               ("P1", "1.1", "1", "rejected", "101.0", "51.0"),
                               ("N1", "2.1", "", "added", "12.3", "56.8")]
    assert all(r["reader"] == "alice" and r["decided_at"].endswith("+00:00") for r in rows)
    patients = {r["patient_key"]: r for r in _rows(folder / "patients.csv")}
    assert list(next(iter(patients.values()))) == ["patient_key", "n_images", "n_positive_images", "n_clusters",
                                                   "max_score", "flag", "detector_flag", "call_source", "reader",
                                                   "reviewed_at"]
    assert (patients["N1"]["flag"], patients["N1"]["detector_flag"], patients["N1"]["call_source"]) == (
        "negative", "negative", "reader")  # overridden negative although a cluster was added
    assert patients["P1"]["flag"] == "positive" and patients["P1"]["reviewed_at"]

    again = DecisionStore(study, "alice")
    assert again.patient_state("N1")["override"] == "negative"
    assert len(again.decisions()) == 3
    again.close()
    assert _rows(folder / "decisions.csv") == rows  # reopening changes nothing


def test_two_readers_keep_separate_files(tmp_path):
    study = _study(tmp_path)
    a, b = DecisionStore(study, "alice"), DecisionStore(study, "bob")
    a.decide("1.1", 0, "confirmed")
    b.decide("1.1", 0, "rejected")
    assert _rows(tmp_path / "review" / "alice" / "decisions.csv")[0]["decision"] == "confirmed"
    assert _rows(tmp_path / "review" / "bob" / "decisions.csv")[0]["decision"] == "rejected"
    a.close(), b.close()


def test_one_server_per_reader(tmp_path):
    study = _study(tmp_path)
    store = DecisionStore(study, "alice")
    with pytest.raises(ReaderBusyError, match="another 'calcdetect review' is serving reader 'alice'"):
        DecisionStore(study, "alice")
    store.close()
    DecisionStore(study, "alice").close()  # free again


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "", "a b", "a\\b", "é", "x" * 65, "/abs"])
def test_reader_names_with_path_characters_are_refused(name):
    with pytest.raises(ValueError, match="a reader name is 1-64 letters"):
        validate_reader(name)


@pytest.mark.parametrize("name", ["alice", "Dr.Smith", "reader_2", "r-1"])
def test_plain_reader_names_are_accepted(name):
    assert validate_reader(name) == name


@pytest.mark.parametrize(("call", "body"), [
    ("decide", ("1.1", 9, "confirmed")), ("decide", ("1.1", 0, "maybe")), ("decide", ("9.9", 0, "confirmed")),
    ("add", ("1.1", 600.0, 10.0)), ("add", ("1.1", 10.0, -1.0)), ("remove_added", ("1.1", 1.0, 1.0)),
    ("set_call", ("P1", "unsure")), ("set_call", ("nobody", "positive")),
])
def test_bad_decisions_are_refused_and_nothing_is_written(tmp_path, call, body):
    store = DecisionStore(_study(tmp_path), "alice")
    before = (tmp_path / "review" / "alice" / "decisions.csv").read_bytes()
    with pytest.raises(ValueError):
        getattr(store, call)(*body)
    assert (tmp_path / "review" / "alice" / "decisions.csv").read_bytes() == before
    store.close()


def test_a_damaged_decisions_file_is_reported_with_its_line(tmp_path):
    study = _study(tmp_path)
    folder = tmp_path / "review" / "alice"
    folder.mkdir(parents=True)
    (folder / "decisions.csv").write_text(",".join(DECISION_COLUMNS) + "\nP1,1.1,0,perhaps,1,1,alice,t\n")
    with pytest.raises(ValueError, match="decisions.csv: line 2: decision must be one of"):
        DecisionStore(study, "alice")
    (folder / "decisions.csv").write_text(",".join(DECISION_COLUMNS) + "\n")  # fixed: the failed store let go
    DecisionStore(study, "alice").close()


def test_load_study_orders_positives_first_and_knows_each_overlay(scan_out):
    study = load_study(scan_out)
    flags = [p.flag for p in study.patients]
    assert flags == sorted(flags, key=lambda f: f != "positive") and "negative" in flags
    two = [p for p in study.patients if len(p.images) == 2]
    assert len(two) == 1 and [im.flag for im in two[0].images] == ["positive", "negative"]
    big = [im for p in study.patients for im in p.images if im.rows == 2000]
    assert big and big[0].geometry.height_px == 1000 and big[0].overlay_size_px[1] >= 84 + 1000
