"""cohort.stats against values computed by R (tests/cohort/golden/make_golden.R), stored as data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cohort.stats import (
    analyze_2x2,
    analyze_rxc,
    fisher_freeman_halton,
    logistic_odds_ratios,
    mantel_haenszel,
    odds_ratio,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
G2 = pd.read_csv(GOLDEN / "golden_2x2.csv")
GRXC = pd.read_csv(GOLDEN / "golden_rxc.csv")
GMH = pd.read_csv(GOLDEN / "golden_mh.csv")

RTOL = 1e-9
ATOL = 1e-12


def _table(row) -> list[list[int]]:
    return [[int(row.a), int(row.b)], [int(row.c), int(row.d)]]


def _parse_rxc(text: str) -> list[list[int]]:
    return [[int(v) for v in part.split()] for part in text.split("|")]


def _parse_strata(text: str) -> list[list[list[int]]]:
    out = []
    for part in text.split(";"):
        a, b, c, d = (int(v) for v in part.split())
        out.append([[a, b], [c, d]])
    return out


def test_golden_files_cover_the_paper():
    assert len(G2) >= 13 and len(GRXC) >= 2 and len(GMH) >= 3
    assert {"t3_microcalcification", "t2_stage", "t3_stage"} <= set(G2.name)


@pytest.mark.parametrize("row", list(G2.itertuples(index=False)), ids=list(G2.name))
def test_2x2_tests_match_r(row):
    r = analyze_2x2(_table(row))
    assert_allclose(r.pearson_chi2, row.pearson_chi2, rtol=RTOL, atol=ATOL)
    assert_allclose(r.pearson_p, row.pearson_p, rtol=RTOL, atol=ATOL)
    assert_allclose(r.yates_chi2, row.yates_chi2, rtol=RTOL, atol=1e-12)
    assert_allclose(r.yates_p, row.yates_p, rtol=RTOL, atol=ATOL)
    assert_allclose(r.likelihood_ratio_p, row.lr_p, rtol=RTOL, atol=ATOL)
    # R's fisher.test and SciPy use different summation orders; 1e-9 relative is ample
    assert_allclose(r.fisher_p, row.fisher_p, rtol=1e-8, atol=ATOL)
    assert_allclose(r.min_expected, row.min_expected, rtol=RTOL)


@pytest.mark.parametrize("row", list(G2.itertuples(index=False)), ids=list(G2.name))
def test_woolf_odds_ratio_matches_r(row):
    o = odds_ratio(_table(row))
    if math.isnan(row.odds_ratio):  # a zero cell: N/A without an explicit correction
        assert (o.estimate, o.ci_low, o.ci_high, o.correction) == (None, None, None, None)
        h = odds_ratio(_table(row), correction="haldane")
        assert h.correction == "haldane"
        assert_allclose([h.estimate, h.ci_low, h.ci_high], [row.haldane_or, row.haldane_low, row.haldane_high], rtol=1e-9)
    else:
        assert o.method == "woolf" and o.correction is None
        assert_allclose([o.estimate, o.ci_low, o.ci_high], [row.odds_ratio, row.woolf_low, row.woolf_high], rtol=1e-9)


@pytest.mark.parametrize("row", list(GRXC.itertuples(index=False)), ids=list(GRXC.name))
def test_rxc_tests_match_r(row):
    table = _parse_rxc(row.table)
    r = analyze_rxc(table)
    assert r.pearson_df == row.pearson_df
    assert_allclose(r.pearson_chi2, row.pearson_chi2, rtol=RTOL)
    assert_allclose(r.pearson_p, row.pearson_p, rtol=RTOL)
    assert_allclose(r.likelihood_ratio_chi2, row.lr_chi2, rtol=RTOL)
    assert_allclose(r.likelihood_ratio_p, row.lr_p, rtol=RTOL)
    # exact enumeration vs R's network algorithm: both exact, agree to rounding
    assert_allclose(r.fisher_freeman_halton_p, row.fisher_p, rtol=1e-7)
    assert_allclose(r.min_expected, row.min_expected, rtol=RTOL)


@pytest.mark.parametrize("row", list(GRXC.itertuples(index=False)), ids=list(GRXC.name))
def test_ffh_transposed_table_gives_same_p(row):
    table = np.array(_parse_rxc(row.table))
    assert_allclose(fisher_freeman_halton(table.T), row.fisher_p, rtol=1e-7)


@pytest.mark.parametrize("row", list(GMH.itertuples(index=False)), ids=list(GMH.name))
def test_mantel_haenszel_and_breslow_day_match_r(row):
    strata = _parse_strata(row.strata)
    r = mantel_haenszel(strata)
    assert r.n_strata == len(strata)
    assert r.odds_ratio.method == "robins-breslow-greenland"
    assert_allclose([r.odds_ratio.estimate, r.odds_ratio.ci_low, r.odds_ratio.ci_high], [row.mh_or, row.ci_low, row.ci_high], rtol=1e-9)
    assert_allclose(r.chi2, row.mh_chi2, rtol=1e-9, atol=1e-12)
    assert_allclose(r.p_value, row.mh_p, rtol=1e-9)
    assert_allclose(r.chi2_uncorrected, row.mh_chi2_uncorrected, rtol=1e-9, atol=1e-12)
    assert_allclose(r.p_value_uncorrected, row.mh_p_uncorrected, rtol=1e-9)
    assert_allclose(r.breslow_day_chi2, row.bd_chi2, rtol=1e-8)
    assert_allclose(r.breslow_day_p, row.bd_p, rtol=1e-7)


GLOGIT = pd.read_csv(GOLDEN / "golden_logit.csv")


def _patients_from_strata(strata) -> pd.DataFrame:
    rows = []
    for stage, t in enumerate(strata):
        for mc in (0, 1):
            for met in (0, 1):
                rows += [{"mc": mc, "met": met, "stage": stage}] * t[mc][met]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("model", sorted(set(GLOGIT.model)))
def test_logistic_odds_ratios_match_r_glm(model):
    strata = _parse_strata(GMH.set_index("name").loc["mc_met_by_stage", "strata"])
    df = _patients_from_strata(strata)
    expected = GLOGIT[GLOGIT.model == model]
    exposures = list(expected.term)
    got = logistic_odds_ratios(df, outcome="met", exposures=exposures)
    assert list(got) == exposures
    for row in expected.itertuples(index=False):
        o = got[row.term]
        assert o.method == "wald-logit" and o.test == "wald"
        # both fits iterate to convergence (glm epsilon 1e-14 in make_golden.R)
        assert_allclose([o.estimate, o.ci_low, o.ci_high, o.p_value], [row.odds_ratio, row.ci_low, row.ci_high, row.wald_p], rtol=1e-6)
