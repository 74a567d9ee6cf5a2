"""cohort.bias: behaviour on small tables with hand-derived answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cohort.bias.counts import Accuracy, BetaPrior, Counts, parse_counts
from cohort.bias.probabilistic import Priors, probabilistic_bias
from cohort.bias.simple import correct, or_grid, tipping_points
from cohort.bias.sources import read_accuracy
from cohort.odds import odds_ratio

PAPER = Counts(34, 8, 22, 17)


def test_parse_counts_order_is_mc_neg_met_neg_first():
    c = parse_counts("34,8,22,17")
    assert c.table() == [[34, 8], [22, 17]]
    assert (c.n_cases, c.n_controls, c.n) == (25, 56, 81)


@pytest.mark.parametrize("text, match", [("34,8,22", "four"), ("34,8,x,17", "whole numbers"),
                                          ("34,-8,22,17", "negative"), ("0,0,0,0", "all zero")])
def test_parse_counts_rejects_bad_input(text, match):
    with pytest.raises(ValueError, match=match):
        parse_counts(text)


def test_accuracy_must_be_probabilities():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Accuracy.nondifferential(1.2, 0.9)


def test_perfect_reading_gives_observed_or_and_woolf_interval():
    r = correct(PAPER, Accuracy(1, 1, 1, 1))
    w = odds_ratio([[34, 8], [22, 17]])  # statsmodels' Table2x2, an independent implementation
    assert r.corrected.cells == (34, 8, 22, 17)
    assert (r.odds_ratio, r.ci_low, r.ci_high) == pytest.approx((w.estimate, w.ci_low, w.ci_high), rel=1e-12)


def test_hand_derived_correction():
    # SE 0.8, SP 0.9 among both: met+ MC+ = (17 - 0.1 * 25) / 0.7 = 20.714..., met- MC+ = (22 - 5.6) / 0.7
    r = correct(PAPER, Accuracy.nondifferential(0.8, 0.9))
    d, c = 14.5 / 0.7, 16.4 / 0.7
    assert r.corrected.cells == pytest.approx((56 - c, 25 - d, c, d))
    assert r.odds_ratio == pytest.approx((56 - c) * d / ((25 - d) * c))


def test_impossible_correction_is_reported_not_clipped():
    r = correct(PAPER, Accuracy.nondifferential(0.6, 0.5))
    assert not r.possible and math.isnan(r.odds_ratio)
    assert r.corrected.mc_neg_met_pos == pytest.approx(-20.0)  # kept negative
    assert "MC− met+ -20.00" in r.reason and "MC+ met− -60.00" in r.reason


def test_uninformative_reading_has_no_correction():
    r = correct(PAPER, Accuracy.nondifferential(0.4, 0.6))
    assert not r.possible and r.corrected is None and "SE + SP <= 1" in r.reason


def test_nondifferential_correction_never_moves_the_or_toward_one():
    grid = or_grid(PAPER, np.linspace(0.5, 1, 26), np.linspace(0.5, 1, 26))
    finite = grid[np.isfinite(grid)]
    assert finite.size > 100 and np.all(finite >= PAPER.odds_ratio() - 1e-9)
    assert np.isnan(grid).any()  # the low-SP corner is impossible


def test_tipping_points_bring_the_corrected_or_to_one():
    tips = {t.parameter: t for t in tipping_points(PAPER)}
    assert tips["se_both"].value is None and tips["sp_both"].value is None
    # hand-derived: SE among met- = C(B + D) / (D (A + C)) = 22 * 25 / (17 * 56)
    assert tips["se_met_neg"].value == pytest.approx(22 * 25 / (17 * 56), rel=1e-9)
    r = correct(PAPER, Accuracy(1, tips["sp_met_pos"].value, 1, 1))
    assert r.odds_ratio == pytest.approx(1.0, rel=1e-9)


def test_probabilistic_is_seeded_and_counts_impossible_draws():
    priors = Priors(BetaPrior(4, 2), BetaPrior(4, 2))
    a = probabilistic_bias(PAPER, priors, n_draws=2000, seed=3)
    b = probabilistic_bias(PAPER, priors, n_draws=2000, seed=3)
    assert a.systematic == b.systematic and a.total == b.total
    # recount the impossible draws one by one with the scalar correction
    impossible = sum(
        not (r.possible and min(r.corrected.cells) > 0)
        for r in (correct(PAPER, Accuracy(s1, p1, s0, p0)) if s1 + p1 > 1 and s0 + p0 > 1 else None
                  for s1, p1, s0, p0 in zip(a.se_cases, a.sp_cases, a.se_controls, a.sp_controls))
        if r is not None
    ) + int(np.sum((a.se_cases + a.sp_cases <= 1) | (a.se_controls + a.sp_controls <= 1)))
    assert a.systematic.n_impossible == impossible > 100
    assert a.total.n_impossible >= a.systematic.n_impossible


def test_probabilistic_with_near_constant_priors_approaches_simple_correction():
    priors = Priors(BetaPrior(9e6, 1e6), BetaPrior(9.5e6, 0.5e6))  # SE ~ 0.9, SP ~ 0.95, tiny spread
    p = probabilistic_bias(PAPER, priors, n_draws=10_000, seed=1)
    s = correct(PAPER, Accuracy.nondifferential(0.9, 0.95))
    assert p.systematic.median == pytest.approx(s.odds_ratio, rel=1e-3)
    assert p.systematic.n_impossible == 0


def test_differential_priors_draw_independently():
    priors = Priors(BetaPrior(30, 3), BetaPrior(40, 3), BetaPrior(20, 6), BetaPrior(45, 2))
    p = probabilistic_bias(PAPER, priors, n_draws=10_000, seed=1)
    assert priors.differential and not np.allclose(p.se_cases, p.se_controls)
    assert abs(np.corrcoef(p.se_cases, p.se_controls)[0, 1]) < 0.05


def test_read_accuracy_from_evaluate_metrics(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"patient": {"auc": 0.7, "n_tp": 16, "n_fn": 23, "n_tn": 40, "n_fp": 2}}))
    m = read_accuracy(path)
    assert (m.accuracy.se_cases, m.accuracy.sp_cases) == pytest.approx((16 / 39, 40 / 42))
    assert m.priors.se_cases == BetaPrior(17, 24) and m.priors.sp_cases == BetaPrior(41, 3)
    assert "calcdetect evaluate" in m.accuracy.source


def test_read_accuracy_from_review_summary_csv(tmp_path):
    path = tmp_path / "summary.csv"
    path.write_text("source,tp,fn,tn,fp\nreader review (alice),30,9,38,4\n")
    m = read_accuracy(path)
    assert m.accuracy.counts == (30, 9, 38, 4) and m.accuracy.source == "reader review (alice)"


def test_read_accuracy_se_sp_without_counts_gives_no_priors(tmp_path):
    path = tmp_path / "acc.json"
    path.write_text(json.dumps({"se": 0.8, "sp": 0.95}))
    m = read_accuracy(path)
    assert m.priors is None and (m.accuracy.se_cases, m.accuracy.sp_cases) == (0.8, 0.95)


@pytest.mark.parametrize("content, match", [("{}", "no sensitivity"), ("[1, 2]", "JSON object"), ("{", "not valid JSON")])
def test_read_accuracy_bad_files_say_what_is_needed(tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        read_accuracy(path)


def test_a_cell_that_is_zero_up_to_rounding_is_zero_not_impossible():
    # met+: 1 MC− and 2 MC+ read; SE 2/3 among met+, SP 1: true MC+ = 2 / (2/3) = 3, MC− = 0 (computed as -8.9e-16)
    r = correct(Counts(3, 1, 0, 2), Accuracy.nondifferential(2 / 3, 1.0))
    assert r.possible and r.corrected.mc_neg_met_pos == 0.0 and "zero" in r.reason
