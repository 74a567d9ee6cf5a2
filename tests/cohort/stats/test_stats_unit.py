"""Behaviour of cohort.stats beyond the golden values: rules, corrections, errors."""

from __future__ import annotations

import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats as sps

from cohort.stats import (
    ExactTestTooLargeError,
    analyze_2x2,
    analyze_rxc,
    binary_codes,
    fisher_freeman_halton,
    logistic_odds_ratios,
    mantel_haenszel,
    odds_ratio,
)


def test_result_is_frozen_and_names_the_test():
    r = analyze_2x2([[34, 8], [22, 17]])
    assert r.table == ((34, 8), (22, 17))
    with pytest.raises(AttributeError):
        r.reported_p = 0.5  # type: ignore[misc]


@pytest.mark.parametrize("rule", ["pearson", "yates", "fisher"])
def test_fixed_rules_report_that_test(rule):
    r = analyze_2x2([[34, 8], [22, 17]], rule=rule)
    assert r.reported_test == rule
    assert r.reported_p == {"pearson": r.pearson_p, "yates": r.yates_p, "fisher": r.fisher_p}[rule]


def test_spss_rule_switches_at_expected_count_five():
    # expected count of cell (2,2): 10 * 10 / 20 = 5.0 -> Yates; 9 * 10 / 20 = 4.5 -> Fisher
    assert analyze_2x2([[5, 5], [5, 5]]).reported_test == "yates"
    assert analyze_2x2([[6, 5], [4, 5]]).min_expected == pytest.approx(4.5)
    assert analyze_2x2([[6, 5], [4, 5]]).reported_test == "fisher"


def test_zero_cell_gives_na_unless_correction_is_asked():
    r = analyze_2x2([[2, 0], [54, 25]])
    assert r.odds_ratio.estimate is None and r.odds_ratio.correction is None
    h = analyze_2x2([[2, 0], [54, 25]], correction="haldane")
    assert h.odds_ratio.correction == "haldane"
    assert h.odds_ratio.estimate == pytest.approx((2.5 * 25.5) / (0.5 * 54.5))
    # without a zero the correction is not applied, and the result says so
    plain = odds_ratio([[34, 8], [22, 17]], correction="haldane")
    assert plain.correction is None and plain.estimate == pytest.approx(34 * 17 / (8 * 22))


def test_alpha_widens_interval():
    narrow = odds_ratio([[34, 8], [22, 17]], alpha=0.10)
    wide = odds_ratio([[34, 8], [22, 17]], alpha=0.01)
    assert wide.ci_low < narrow.ci_low < narrow.estimate < narrow.ci_high < wide.ci_high


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ([[1, 2, 3], [4, 5, 6]], "2 x 2"),
        ([[1, -2], [3, 4]], "non-negative integers"),
        ([[1.5, 2], [3, 4]], "non-negative integers"),
        ([[0, 0], [3, 4]], "sums to zero"),
        ([[1, 0], [3, 0]], "sums to zero"),
        ([1, 2, 3, 4], "2-D"),
    ],
)
def test_bad_tables_are_rejected_with_the_rule(table, match):
    with pytest.raises(ValueError, match=match):
        analyze_2x2(table)


def test_unknown_rule_and_correction_are_rejected():
    with pytest.raises(ValueError, match="rule"):
        analyze_2x2([[1, 2], [3, 4]], rule="spss20")
    with pytest.raises(ValueError, match="correction"):
        analyze_2x2([[1, 2], [3, 4]], correction="add-one")
    with pytest.raises(ValueError, match="rule"):
        analyze_rxc([[1, 2], [3, 4], [5, 6]], rule="yates")


@pytest.mark.parametrize("table", [[[3, 1], [1, 3]], [[34, 8], [22, 17]], [[0, 5], [6, 4]], [[1, 40], [9, 30]]])
def test_ffh_on_2x2_equals_fisher_exact(table):
    assert_allclose(fisher_freeman_halton(table), sps.fisher_exact(table).pvalue, rtol=1e-9)


def test_ffh_of_the_most_probable_table_is_one():
    # the least probable table's p-value is its own probability; the most probable one's is 1
    assert fisher_freeman_halton([[2, 2], [2, 2], [2, 2]]) == pytest.approx(1.0)


def test_ffh_refuses_instead_of_approximating():
    with pytest.raises(ExactTestTooLargeError, match="max_tables"):
        fisher_freeman_halton([[30, 20, 25], [20, 30, 25], [25, 25, 30]], max_tables=1000)


def test_rxc_rule_uses_pearson_when_expected_counts_are_large():
    r = analyze_rxc([[30, 20], [25, 25], [20, 30]])
    assert r.min_expected >= 5 and r.reported_test == "pearson" and r.reported_p == r.pearson_p
    forced = analyze_rxc([[30, 20], [25, 25], [20, 30]], rule="fisher-freeman-halton")
    assert forced.reported_p == forced.fisher_freeman_halton_p


def test_mantel_haenszel_single_stratum_is_rejected():
    with pytest.raises(ValueError, match="at least 2 strata"):
        mantel_haenszel([[[1, 2], [3, 4]]])
    with pytest.raises(ValueError, match="at least 2 subjects"):
        mantel_haenszel([[[1, 2], [3, 4]], [[1, 0], [0, 0]]])


def test_mantel_haenszel_of_identical_strata_is_their_common_or():
    t = [[10, 5], [4, 12]]
    r = mantel_haenszel([t, t, t])
    assert r.odds_ratio.estimate == pytest.approx(10 * 12 / (5 * 4))
    assert r.breslow_day_chi2 == pytest.approx(0.0, abs=1e-12) and r.n_strata == 3


def _patients(table):
    rows = []
    for x in (0, 1):
        for y in (0, 1):
            rows += [{"x": ["negative", "positive"][x], "y": ["no", "yes"][y]}] * table[x][y]
    return pd.DataFrame(rows)


def test_logistic_with_one_exposure_equals_woolf():
    # the saturated model's MLE is the sample OR and its Wald interval the Woolf one
    table = [[34, 8], [22, 17]]
    got = logistic_odds_ratios(_patients(table), outcome="y", exposures=["x"])["x"]
    woolf = odds_ratio(table)
    assert_allclose([got.estimate, got.ci_low, got.ci_high], [woolf.estimate, woolf.ci_low, woolf.ci_high], rtol=1e-8)


def test_logistic_perfect_separation_gives_none():
    got = logistic_odds_ratios(_patients([[10, 0], [0, 10]]), outcome="y", exposures=["x"])["x"]
    assert got.estimate is None and got.method == "wald-logit"


def test_logistic_missing_column_is_named():
    with pytest.raises(ValueError, match="stage"):
        logistic_odds_ratios(_patients([[3, 4], [5, 6]]), outcome="y", exposures=["x", "stage"])


def test_binary_codes_put_negative_first():
    codes, levels = binary_codes(pd.Series(["Positive", "Negative", "Positive"], name="mc"))
    assert levels == ["Negative", "Positive"] and codes.tolist() == [1.0, 0.0, 1.0]
    cat = pd.Series(pd.Categorical(["late", "early"], categories=["early", "late"]), name="stage")
    assert binary_codes(cat)[1] == ["early", "late"]
    with pytest.raises(ValueError, match="exactly 2"):
        binary_codes(pd.Series(["a", "b", "c"], name="v"))
