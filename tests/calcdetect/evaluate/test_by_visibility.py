"""Figures by visibility class, on the hand-worked tiny set (conftest.py) with classes added.

Image A's cluster is made *visible*, image D's *occult*, and a detection (score
0.8) is added on D's cluster.  Worked by hand:

* visible cluster FROC (n_images 4): detections by score 0.9 (A, hits the
  visible cluster: TP), 0.8 (D, hits the occult cluster: neither), 0.7 (B,
  vascular track: FP), 0.6 (A, speck: FP) -> FP/image 0, 0, 0, 0.25, 0.5 and
  sensitivity 0, 1, 1, 1, 1;
* visible image ROC: A (0.9) positive against B (0.7) and C (0.0); D (only an
  occult cluster) left out -> AUC 1.0 (all images: A, D positive, B, C
  negative -> 0.75);
* patients: P1 (A visible) positive, P2 negative, P3 (occult only) left out;
  flags P1 positive, P2 negative -> sensitivity 1, specificity 1;
* preset p1 (images A, C): 0.9 TP, 0.6 FP -> sensitivity 1.0 at 0.2 FP/image.
"""

import copy
import math

import pandas as pd
import pytest

from calcdetect.evaluation.scoring import evaluate
from calcdetect.evaluation.truth import Detections, truth_from_dicts


def _with_a_hit_on_d(tiny_detections) -> Detections:
    """The tiny run with a detection (score 0.8) added on image D's cluster."""
    images, calcs, clusters, patients = tiny_detections
    extra = pd.DataFrame({"sop_instance_uid": ["1.2.3.4"], "cluster_id": [0], "n_calcifications": [3], "row": [200],
                          "col": [200], "row_min": [198], "col_min": [198], "row_max": [202], "col_max": [202],
                          "area_mm2": [0.1], "score": [0.8]})  # fmt: skip
    return Detections(images, calcs, pd.concat([clusters, extra], ignore_index=True), patients)


@pytest.fixture
def classed(tiny_truth, tiny_detections):
    truth = copy.deepcopy(tiny_truth)
    for doc in truth:
        doc["format"] = "calcdetect-phantom-truth/1.1"
    truth[0]["clusters"][0]["visibility"] = "visible"
    truth[3]["clusters"][0]["visibility"] = "occult"
    return evaluate(_with_a_hit_on_d(tiny_detections), truth_from_dicts(truth))


def test_visible_froc_ignores_hits_on_occult_clusters(classed):
    froc = classed.visibility_figures["visible"].cluster_froc
    assert froc.fp_per_image.tolist() == [0, 0, 0, 0.25, 0.5]
    assert froc.sensitivity.tolist() == [0, 1, 1, 1, 1]
    assert froc.n_truth == 1
    assert math.isnan(classed.visibility_figures["subtle"].cluster_froc.sensitivity_at(0.1))


def test_images_and_patients_with_only_occult_clusters_are_left_out(classed):
    vis = classed.visibility_figures["visible"]
    assert (vis.image_roc.n_positive, vis.image_roc.n_negative) == (1, 2)
    assert vis.image_roc.auc == 1.0
    assert classed.image_roc.auc == pytest.approx(0.75)  # the all-cluster line keeps D as a positive
    op = vis.patient_operating_point
    assert (op.n_tp, op.n_fp, op.n_tn, op.n_fn) == (1, 0, 1, 0)


def test_targets_and_summary(classed):
    t = classed.targets_issue12()
    assert t["visible_cluster_sensitivity_at_0.1_fp_per_image"]["value"] == 1.0
    assert t["visible_image_auc"]["met"] is True
    assert t["min_preset_visible_cluster_sensitivity_at_0.2_fp_per_image"]["value"] == 1.0
    assert t["visible_cluster_sensitivity_at_0.2_fp_per_image_at_0.2_mm"]["met"] is None  # 0.1 mm images
    assert t["patient_specificity"]["value"] == 1.0
    s = classed.summary()
    assert s["visibility"]["counts"] == {"visible": 1, "subtle": 0, "occult": 1, "unknown": 0}
    assert s["visibility"]["visible"]["by_preset_sensitivity_at_fp_per_image"]["p1"]["0.2"] == 1.0


def test_old_truth_files_have_unknown_class(tiny_truth, tiny_detections):
    result = evaluate(Detections(*tiny_detections), truth_from_dicts(tiny_truth))
    s = result.summary()["visibility"]
    assert s["counts"]["unknown"] == 2 and "older than visibility classes" in s["note"]
    assert math.isnan(result.visibility_figures["visible"].cluster_froc.sensitivity_at(0.1))


def _at_coarse_pixels(tiny_truth, tiny_detections, spacing_mm):
    """The classed set with each cluster's class at 0.2 mm given beside it: A's cluster subtle
    there, D's visible (the bookkeeping is what is tested, not the physics)."""
    truth = copy.deepcopy(tiny_truth)
    for doc in truth:
        doc["format"] = "calcdetect-phantom-truth/1.2"
        doc["spacing_mm"] = [spacing_mm, spacing_mm]
    truth[0]["clusters"][0].update(visibility="visible", **{"visibility_0.2mm": "subtle"})
    truth[3]["clusters"][0].update(visibility="occult", **{"visibility_0.2mm": "visible"})
    return evaluate(_with_a_hit_on_d(tiny_detections), truth_from_dicts(truth))


def test_coarse_images_are_also_read_by_the_class_at_0_2_mm(tiny_truth, tiny_detections):
    result = _at_coarse_pixels(tiny_truth, tiny_detections, 0.2)
    # the primary figures keep the native class: A's cluster visible, found by the 0.9 detection
    native = result.visibility_figures["visible"].cluster_froc
    assert native.sensitivity.max() == 1.0 and result.visibility_figures["visible"].n_clusters == 1
    # beside them, by the class at 0.2 mm: D's cluster is the visible one, found only at 0.8
    coarse = result.coarse_visibility_figures["visible"].cluster_froc
    assert result.coarse_visibility_figures["visible"].n_clusters == 1
    above = coarse.thresholds > 0.8
    assert above.any() and (coarse.sensitivity[above] == 0.0).all()
    assert coarse.sensitivity[list(coarse.thresholds).index(0.8)] == 1.0
    summary = result.summary()["visibility_at_0.2mm"]
    assert summary["counts"]["visible"] == 1 and summary["counts"]["subtle"] == 1 and "area-averaged" in summary["note"]


def test_images_at_their_own_fine_pixels_have_no_class_at_0_2_mm_figures(tiny_truth, tiny_detections):
    result = _at_coarse_pixels(tiny_truth, tiny_detections, 0.1)
    assert result.coarse_visibility_figures == {} and "visibility_at_0.2mm" not in result.summary()
