"""evaluate() on the hand-built set of conftest.py; every expected number is worked out there."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from calcdetect.evaluation.scoring import evaluate
from calcdetect.evaluation.truth import Detections, truth_from_dicts


@pytest.fixture
def result(tiny_truth, tiny_detections):
    images, calcs, clusters, patients = tiny_detections
    return evaluate(Detections(images, calcs, clusters, patients), truth_from_dicts(tiny_truth))


def test_counts_and_operating_threshold(result):
    assert (result.n_images, result.n_positive_images, result.n_patients, result.n_positive_patients) == (4, 2, 3, 2)
    assert result.n_missing_images == 0
    assert result.operating_threshold == 0.7  # lowest flagged score


def _two_operating_points(tiny_detections):
    """The tiny run as two models would flag it: image 1.2.3.1 at threshold 0.5, the others at 0.8."""
    images, calcs, clusters, patients = tiny_detections
    images = images.assign(threshold=[0.5, 0.8, 0.8, 0.8], flag=["positive", "negative", "negative", "negative"])
    return Detections(images, calcs, clusters, patients)


def test_each_image_is_read_at_its_own_threshold(tiny_truth, tiny_detections):
    result = evaluate(_two_operating_points(tiny_detections), truth_from_dicts(tiny_truth))
    assert result.operating_threshold == [0.5, 0.8]
    d = result.breakdowns["distractors"].set_index("kind")
    # the speck's cluster (0.6) is on the image read at 0.5, the vessel's (0.7) on one read at 0.8
    assert d.loc["single_speck", "n_clusters_on_distractor_at_operating_point"] == 1
    assert d.loc["vascular_track", "n_clusters_on_distractor_at_operating_point"] == 0
    # one threshold given for every image overrides the column
    forced = evaluate(_two_operating_points(tiny_detections), truth_from_dicts(tiny_truth), operating_threshold=0.7)
    assert forced.operating_threshold == 0.7
    d = forced.breakdowns["distractors"].set_index("kind")
    assert d.loc["single_speck", "n_clusters_on_distractor_at_operating_point"] == 0
    assert d.loc["vascular_track", "n_clusters_on_distractor_at_operating_point"] == 1


def test_calcification_froc(result):
    c = result.calcification_froc
    assert c.thresholds.tolist() == [math.inf, 9, 8, 7, 6, 5, 4]
    assert_allclose(c.sensitivity, np.array([0, 1, 1, 1, 1, 2, 2]) / 4)
    assert_allclose(c.fp_per_image, np.array([0, 0, 1, 2, 3, 3, 4]) / 4)
    big = result.calcification_froc_min_size  # the 0.15 mm hit counts neither way
    assert big.n_truth == 3
    assert_allclose(big.sensitivity, np.array([0, 1, 1, 1, 1, 1, 1]) / 3)
    assert_allclose(big.fp_per_cm2, np.array([0, 0, 1, 2, 3, 3, 4]) / 400)
    assert big.sensitivity_at_fp_per_cm2(1.0) == pytest.approx(1 / 3)
    status = result.calcification_matches.set_index("score")["status"].to_dict()
    assert status == {9.0: "tp", 8.0: "duplicate", 5.0: "tp", 7.0: "fp", 4.0: "fp", 6.0: "fp"}


def test_cluster_froc_and_distractor_hits(result):
    c = result.cluster_froc
    assert_allclose(c.sensitivity, [0, 0.5, 0.5, 0.5])
    assert_allclose(c.fp_per_image, [0, 0, 0.25, 0.5])
    assert c.sensitivity_at(0.1) == 0.5
    kinds = result.cluster_matches.set_index("score")["distractor_kind"].to_dict()
    assert kinds == {0.9: "", 0.6: "single_speck", 0.7: "vascular_track"}


def test_image_and_patient_level(result):
    assert result.image_roc.auc == pytest.approx(0.75)  # pos {0.9, 0.5} vs neg {0.7, 0.0}
    op = result.image_operating_point
    assert (op.n_tp, op.n_fp, op.n_tn, op.n_fn) == (1, 1, 1, 1)
    assert result.patient_roc.auc == pytest.approx(1.0)  # pos {0.9, 0.5} vs neg {0.0}
    assert result.patient_operating_point.accuracy == pytest.approx(2 / 3)
    assert result.patient_flag_source == "patients.csv"


def test_breakdowns(result):
    d = result.breakdowns["distractors"].set_index("kind")
    assert d.loc["vascular_track", "false_flag_rate"] == 1.0
    assert d.loc["vascular_track", "n_clusters_on_distractor_at_operating_point"] == 1
    assert math.isnan(d.loc["single_speck", "false_flag_rate"])  # only in an image with a cluster
    assert d.loc["single_speck", "n_clusters_on_distractor_at_operating_point"] == 0
    assert d.loc["single_speck", "n_calcifications_on_distractor"] == 1
    dens = result.breakdowns["clusters_by_density"].set_index("density")
    assert dens.loc["b", "sensitivity_at_operating_point"] == 1.0
    assert dens.loc["c", "sensitivity_at_operating_point"] == 0.0
    size = result.breakdowns["calcifications_by_size"].set_index("diameter_mm")
    assert size["n_truth"].sum() == 4
    assert size.loc["[0.2, 0.3)", "n_detected"] == 0  # 0.3 mm sits in [0.3, 0.4)
    assert size.loc["[0.3, 0.4)", "n_detected"] == 1 and size.loc["[0.3, 0.4)", "n_truth"] == 2
    # A's cluster is as visible as its third-brightest calcification (SNRs 6, 4, 2.5);
    # D's single calcification cannot make a cluster and has no such rank
    vis = result.breakdowns["clusters_by_visibility"].set_index("third_snr")
    assert vis["n_truth"].sum() == 1
    assert vis.loc["[2.0, 3.0)", "n_truth"] == 1
    assert vis.loc["[2.0, 3.0)", "sensitivity_at_operating_point"] == 1.0
    assert result.breakdowns["clusters_by_detectability"]["n_truth"].sum() == 0  # these truths have no d_prime
    assert result.targets()["image_auc"]["met"] is False


def test_missing_image_counts_as_unflagged(tiny_truth, tiny_detections):
    images, calcs, clusters, patients = tiny_detections
    images = images[images["sop_instance_uid"] != "1.2.3.1"]  # A failed to scan
    r = evaluate(Detections(images, calcs, clusters, None), truth_from_dicts(tiny_truth))
    assert r.n_missing_images == 1
    assert r.image_operating_point.n_fn == 2
    assert r.patient_flag_source == "any image flagged"


def test_bad_truth_is_refused(tiny_truth):
    bad = dict(tiny_truth[0], format="something-else/2")
    with pytest.raises(ValueError, match="format"):
        truth_from_dicts([bad])
    with pytest.raises(ValueError, match="two truth files"):
        truth_from_dicts([tiny_truth[0], tiny_truth[0]])


def test_resampled_truth_keeps_physical_positions(tiny_truth):
    from calcdetect.evaluation.truth import resample_truth

    doc = resample_truth(tiny_truth[0], (2.0, 2.0), (300, 300))
    assert doc["spacing_mm"] == [0.2, 0.2] and doc["rows"] == 300
    for old, new in zip(tiny_truth[0]["calcifications"], doc["calcifications"], strict=True):
        # the centre keeps its physical place: (row + 0.5) * spacing is unchanged
        assert (new["row"] + 0.5) * 0.2 == pytest.approx((old["row"] + 0.5) * 0.1)
        assert new["diameter_mm"] == old["diameter_mm"]
    assert doc["distractors"][0]["bbox"] == [149, 149, 151, 151]
    assert tiny_truth[0]["spacing_mm"] == [0.1, 0.1]  # the input is not modified


def test_a_detection_inside_several_distractor_boxes_lands_on_the_smallest():
    """A dust speck inside a vessel's bounding box is the speck, whichever box the truth lists first."""
    import pandas as pd

    from calcdetect.evaluation.set_matching import _distractor_kinds

    boxes = pd.DataFrame({"row_min": [0, 50], "col_min": [0, 60], "row_max": [400, 51], "col_max": [300, 61],
                          "kind": ["vessel", "dust"]})
    points = np.array([[50.5, 60.5], [200.0, 200.0], [52.0, 62.0], [500.0, 500.0]])
    kinds = _distractor_kinds(points, None, boxes, (0.1, 0.1), 0.2)
    # on the speck; on the vessel only; just beside the speck but inside the vessel (nearer); on neither
    assert kinds.tolist() == ["dust", "vessel", "vessel", ""]
    assert _distractor_kinds(points, None, boxes.iloc[::-1], (0.1, 0.1), 0.2).tolist() == kinds.tolist()


def test_a_cluster_is_also_labelled_by_what_most_of_its_members_lie_on(result):
    """A clump of dust specks has its centre between them, maybe inside a vessel's box; its members say dust."""
    import pandas as pd

    from calcdetect.evaluation.set_matching import members_distractor_kind

    clusters = pd.DataFrame({"sop_instance_uid": ["a", "a", "a", "b"], "cluster_id": [0, 1, 2, 0]})
    members = pd.DataFrame({"sop_instance_uid": ["a"] * 7 + ["b"],
                            "cluster_id": [0, 0, 0, 1, 1, 1, 1, 0],
                            "distractor_kind": ["dust", "dust", "vessel", "dust", "dust", "vessel", "", "dust"]})
    # two of three on dust; two of four (no strict majority); no members known; one of one
    assert members_distractor_kind(clusters, members).tolist() == ["dust", "", "", "dust"]
    assert members_distractor_kind(clusters, members.drop(columns="cluster_id")).tolist() == [""] * 4
    # evaluate() writes it beside the centre's label: in the hand-built set each false cluster's one member
    # lies on the distractor its centre does, the true cluster's members on none
    by_score = result.cluster_matches.set_index("score")["members_distractor_kind"].to_dict()
    assert by_score == {0.9: "", 0.6: "single_speck", 0.7: "vascular_track"}
    assert result.calcification_matches["cluster_id"].tolist() == [0, 0, 0, 1, -1, 0]
