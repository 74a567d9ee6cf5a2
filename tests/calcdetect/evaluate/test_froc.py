import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from calcdetect.evaluation.froc import froc_curve, operating_point, roc_auc, roc_curve


def test_auc_matches_hand_computed_value():
    # positives 0.35, 0.8 vs negatives 0.1, 0.4: pairs won 0.35>0.1, 0.8>0.1, 0.8>0.4 -> 3/4
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)


def test_auc_counts_ties_as_half_and_is_nan_without_a_class():
    assert roc_auc([0.5, 0.5], [0, 1]) == pytest.approx(0.5)
    assert roc_auc([0.2, 0.9, 0.9], [0, 1, 0]) == pytest.approx(0.75)  # (1 + 0.5) / 2
    assert math.isnan(roc_auc([0.1, 0.2], [1, 1]))


def test_roc_curve_area_equals_auc():
    rng = np.random.default_rng(0)
    labels = rng.random(200) < 0.4
    scores = rng.normal(size=200) + labels + np.round(rng.random(200), 1)  # with ties
    roc = roc_curve(scores, labels)
    trapezoid = float(np.sum(np.diff(roc.fpr) * (roc.tpr[1:] + roc.tpr[:-1]) / 2))
    assert roc.auc == pytest.approx(trapezoid)
    assert roc.fpr[0] == roc.tpr[0] == 0 and roc.fpr[-1] == roc.tpr[-1] == 1
    # independent check: AUC = P(pos > neg) + 0.5 P(tie), from ranks
    ranks = stats.rankdata(scores)
    n1, n0 = labels.sum(), (~labels).sum()
    assert roc.auc == pytest.approx((ranks[labels].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def test_froc_equals_hand_computed_curve():
    # 2 truths, 3 detections over 2 images: 0.9 TP, 0.8 FP, 0.3 TP
    c = froc_curve([0.3, 0.9, 0.8], [True, True, False], n_truth=2, n_images=2, breast_area_cm2=4.0)
    assert c.thresholds.tolist() == [math.inf, 0.9, 0.8, 0.3]
    assert c.sensitivity.tolist() == [0.0, 0.5, 0.5, 1.0]
    assert c.fp_per_image.tolist() == [0.0, 0.0, 0.5, 0.5]
    assert c.fp_per_cm2.tolist() == [0.0, 0.0, 0.25, 0.25]
    assert c.sensitivity_at(0.0) == 0.5
    assert c.sensitivity_at(0.49) == 0.5
    assert c.sensitivity_at(0.5) == 1.0
    assert c.threshold_at(0.0) == 0.9


def test_froc_keeps_tied_scores_together_and_ignores_dont_care():
    c = froc_curve(
        [0.5, 0.5, 0.4], [True, False, False], is_fp=[False, True, False], n_truth=1, n_images=1
    )
    assert c.sensitivity.tolist() == [0.0, 1.0, 1.0]
    assert c.fp_per_image.tolist() == [0.0, 1.0, 1.0]  # the ignored detection adds no FP


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_froc_is_monotone(seed):
    rng = np.random.default_rng(seed)
    tp = rng.random(300) < 0.3
    c = froc_curve(rng.random(300), tp, n_truth=int(tp.sum()) + 5, n_images=20)
    assert np.all(np.diff(c.fp_per_image) >= 0)
    assert np.all(np.diff(c.sensitivity) >= 0)
    assert np.all(np.diff(c.thresholds) < 0)
    assert c.sensitivity[-1] == pytest.approx(tp.sum() / (tp.sum() + 5))


def test_froc_rejects_inconsistent_input():
    with pytest.raises(ValueError, match="n_truth"):
        froc_curve([1.0, 2.0], [True, True], n_truth=1, n_images=1)
    with pytest.raises(ValueError, match="n_images"):
        froc_curve([1.0], [True], n_truth=1, n_images=0)


def test_operating_point_counts():
    op = operating_point([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert (op.n_tp, op.n_fp, op.n_tn, op.n_fn) == (2, 1, 1, 1)
    assert_allclose([op.sensitivity, op.specificity, op.accuracy], [2 / 3, 0.5, 0.6])
