"""cohort.bias against values computed independently in base R (tests/cohort/golden/make_golden_bias.R).

R's episensr and EValue could not be installed here; make_golden_bias.R writes
their formulas out in base R (with a numerically differentiated delta method
and uniroot where the Python code is closed form / Brent) and uses r-cran-pwr
for the closed-form power. Probabilistic results and simulated power use R's
own random numbers, so they are compared within Monte Carlo error.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cohort.bias.counts import Accuracy, BetaPrior, Counts
from cohort.bias.evalue import evalue_or
from cohort.bias.power import closed_form_n, closed_form_power, cohort_model, simulate_power
from cohort.bias.probabilistic import Priors, probabilistic_bias
from cohort.bias.simple import correct, tipping_points

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
ROOT = Path(__file__).resolve().parents[3]
SIMPLE = pd.read_csv(GOLDEN / "golden_bias_simple.csv")
TIPPING = pd.read_csv(GOLDEN / "golden_bias_tipping.csv")
EVALUES = pd.read_csv(GOLDEN / "golden_evalues.csv")
PROB = pd.read_csv(GOLDEN / "golden_bias_probabilistic.csv")
POWER = pd.read_csv(GOLDEN / "golden_power.csv")


def _counts(row) -> Counts:
    return Counts(int(row.a), int(row.b), int(row.c), int(row.d))


@pytest.mark.parametrize("row", list(SIMPLE.itertuples(index=False)), ids=list(SIMPLE.name))
def test_simple_correction_matches_r(row):
    acc = Accuracy(row.se_met_pos, row.sp_met_pos, row.se_met_neg, row.sp_met_neg)
    r = correct(_counts(row), acc)
    assert r.possible == bool(row.possible)
    if not row.informative:
        assert r.corrected is None and "SE + SP <= 1" in r.reason
        return
    assert_allclose(r.corrected.cells, [row.corr_a, row.corr_b, row.corr_c, row.corr_d], rtol=1e-10, atol=1e-9)
    if not row.possible:  # reported as impossible, never clipped
        assert math.isnan(r.odds_ratio) and "negative corrected cell" in r.reason
        assert min(r.corrected.cells) < 0
        return
    assert_allclose(r.odds_ratio, row.odds_ratio, rtol=1e-10)
    # R differentiates numerically (central differences, h = 1e-6): about 1e-7 on the log scale,
    # 1e-5 where a corrected share is near 0 (fink_lash_diff, CI 2e-7 to 2e11)
    assert_allclose(np.log([r.ci_low, r.ci_high]), np.log([row.ci_low, row.ci_high]), atol=2e-5)


@pytest.mark.parametrize("table, criterion", sorted(set(zip(TIPPING.table, TIPPING.criterion))))
def test_tipping_points_match_r_uniroot(table, criterion):
    rows = TIPPING[(TIPPING.table == table) & (TIPPING.criterion == criterion)]
    first = rows.iloc[0]
    got = {t.parameter: t.value for t in tipping_points(_counts(first), criterion=criterion)}
    assert set(got) == set(rows.parameter)
    for row in rows.itertuples(index=False):
        if math.isnan(row.value):
            assert got[row.parameter] is None, row.parameter
        else:  # the CI criterion goes through R's numerical derivative
            assert_allclose(got[row.parameter], row.value, rtol=1e-9 if criterion == "estimate" else 1e-6)


@pytest.mark.parametrize("row", list(EVALUES.itertuples(index=False)), ids=list(EVALUES.name))
def test_evalues_match_r(row):
    lo = None if math.isnan(row.ci_low) else row.ci_low
    hi = None if math.isnan(row.ci_high) else row.ci_high
    e = evalue_or(row.odds_ratio, lo, hi, rare=bool(row.rare), true=row.true)
    assert e.conversion == ("none" if row.rare else "sqrt")
    assert_allclose([e.rr, e.evalue_estimate], [row.rr, row.evalue_estimate], rtol=1e-12)
    if math.isnan(row.evalue_ci):
        assert math.isnan(e.evalue_ci)
    else:
        assert_allclose(e.evalue_ci, row.evalue_ci, rtol=1e-12)


def _quantile_mc_se(values: np.ndarray, p: float) -> float:
    """Monte Carlo SE of the log p-quantile: density from the quantile function's slope."""
    v = np.log(values)
    dq = (np.quantile(v, min(p + 0.01, 0.999)) - np.quantile(v, max(p - 0.01, 0.001))) / 0.02
    return dq * math.sqrt(p * (1 - p) / v.size)


def _prior(a, b):
    return None if math.isnan(a) else BetaPrior(a, b)


@pytest.mark.parametrize("row", list(PROB.itertuples(index=False)), ids=list(PROB.name))
def test_probabilistic_matches_r_within_monte_carlo_error(row):
    priors = Priors(BetaPrior(row.se_alpha, row.se_beta), BetaPrior(row.sp_alpha, row.sp_beta),
                    _prior(row.se0_alpha, row.se0_beta), _prior(row.sp0_alpha, row.sp0_beta))
    n = 20_000
    r = probabilistic_bias(_counts(row), priors, n_draws=n, seed=7)
    for summ, draws, prefix in ((r.systematic, r.or_systematic, "sys"), (r.total, r.or_total, "tot")):
        ok = draws[np.isfinite(draws)]
        assert summ.n_draws == n and summ.n_impossible == n - ok.size
        share_r = getattr(row, f"{prefix}_share_impossible")
        share_py = summ.n_impossible / n
        se_share = math.sqrt(max(share_r * (1 - share_r), 1e-6) * (1 / n + 1 / row.n_draws))
        assert abs(share_py - share_r) <= 4 * se_share + 1e-4, (prefix, share_py, share_r)
        for p, name in ((0.5, "median"), (0.025, "low"), (0.975, "high")):
            se_py = _quantile_mc_se(ok, p)
            se_r = se_py * math.sqrt(ok.size / (row.n_draws * (1 - share_r)))
            tol = 4 * math.hypot(se_py, se_r)
            got = {"median": summ.median, "low": summ.low, "high": summ.high}[name]
            assert abs(math.log(got) - math.log(getattr(row, f"{prefix}_{name}"))) <= tol, (prefix, name, got, tol)


@pytest.fixture(scope="module")
def model():
    return cohort_model(pd.read_csv(ROOT / "data" / "cohort" / "records.csv"))


def test_power_model_inputs_match_r(model):
    first = POWER.iloc[0]
    assert_allclose([model.baseline_risk, model.share_mc_positive, model.mc_stage_correlation ** 2],
                    [first.baseline_risk, first.share_mc_positive, first.rho2], rtol=1e-12)
    assert_allclose(model.adjusted_odds_ratio, POWER.iloc[1].odds_ratio, rtol=1e-8)  # glm vs statsmodels Logit


@pytest.mark.parametrize("row", list(POWER.itertuples(index=False)), ids=[f"{r.analysis}-{r.n}" for r in POWER.itertuples()])
def test_closed_form_power_matches_pwr(model, row):
    r2 = 0.0 if row.analysis == "crude" else model.mc_stage_correlation ** 2
    kw = dict(share_exposed=model.share_mc_positive, baseline_risk=model.baseline_risk, r_squared=r2)
    assert_allclose(closed_form_power(row.odds_ratio, n=row.n, **kw), row.closed_form_power, rtol=1e-9)
    assert_allclose(closed_form_n(row.odds_ratio, **kw), row.closed_form_n80, rtol=1e-6)


@pytest.mark.parametrize("row", list(POWER.itertuples(index=False)), ids=[f"{r.analysis}-{r.n}" for r in POWER.itertuples()])
def test_simulated_power_matches_r_within_monte_carlo_error(model, row):
    sims = 4000
    power, se = simulate_power(model, n=int(row.n), analysis=row.analysis, n_simulations=sims, seed=11)
    se_r = math.sqrt(row.simulated_power * (1 - row.simulated_power) / row.n_simulations)
    assert abs(power - row.simulated_power) <= 4 * math.hypot(se, se_r), (power, row.simulated_power)
