"""The paper's statistics: 2 x 2 tables, odds ratios, stratified and adjusted estimates.

Table orientation everywhere: ``table = [[a, b], [c, d]]`` exactly as the
paper prints it: rows are the variable's two levels in printed order, columns
the outcome levels in printed order, and the odds ratio is ``ad / bc`` (the
odds of the second outcome level in the second row against the first row).
Table 3 microcalcification, ``[[34, 8], [22, 17]]``, gives OR 3.284,
95 % CI 1.212–8.899.

The p-value "SPSS's crosstabs would lead a user to report" (``rule="spss"``):
SPSS 20 prints, for a 2 x 2 table, Pearson χ², the continuity correction
(Yates), the likelihood ratio and Fisher's exact test, with the footnote
"n cells (x%) have expected count less than 5". The rule that reproduces every
2 x 2 p-value printed in Tables 2 and 3 of the paper is:

* Fisher's exact test (two-sided) when any expected count is below 5;
* otherwise the Yates continuity-corrected χ².

(This is Cochran's rule, which for a 2 x 2 table means "any expected count
< 5".) R x C tables are in :mod:`cohort.stats_rxc`. See
``docs/cohort-statistics.md`` for the table-by-table evidence.

SciPy gives the χ² and Fisher tests, statsmodels the odds-ratio confidence
interval, the Mantel–Haenszel estimate, the Breslow–Day test and the logistic
regression; nothing here is hand-written except the choice of test.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _sps
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2

from cohort.stats_rxc import (
    ExactTestTooLargeError,
    RxCResult,
    analyze_rxc,
    as_count_table,
    cochran_rule_fails,
    expected_counts,
    fisher_freeman_halton,
)

__all__ = [
    "OddsRatio",
    "TwoByTwoResult",
    "RxCResult",
    "MantelHaenszelResult",
    "ExactTestTooLargeError",
    "odds_ratio",
    "analyze_2x2",
    "analyze_rxc",
    "fisher_freeman_halton",
    "mantel_haenszel",
    "logistic_odds_ratios",
    "binary_codes",
]

logger = logging.getLogger(__name__)

_RULES_2X2 = ("spss", "pearson", "yates", "fisher")
_CORRECTIONS = (None, "haldane")


@dataclass(frozen=True)
class OddsRatio:
    """An odds ratio with its confidence interval.

    Attributes
    ----------
    estimate, ci_low, ci_high : float or None
        ``None`` where the estimate does not exist (a zero cell without a
        correction; printed "N/A" as in the paper).
    method : str
        How the interval was computed: ``"woolf"`` (log / normal, 2 x 2),
        ``"robins-breslow-greenland"`` (Mantel–Haenszel), ``"wald-logit"``
        (logistic regression).
    correction : str or None
        ``"haldane"`` when 0.5 was added to every cell, else ``None``.
    p_value : float or None
        A p-value attached to this estimate where it has its own (the Wald test
        of a logistic coefficient); ``None`` for 2 x 2 tables, whose p-value is
        on :class:`TwoByTwoResult`.
    test : str or None
        The test that gave ``p_value``.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    method: str
    correction: str | None = None
    p_value: float | None = None
    test: str | None = None


@dataclass(frozen=True)
class TwoByTwoResult:
    """Everything SPSS's crosstabs prints for a 2 x 2 table, plus the one to report.

    Attributes
    ----------
    table : ((int, int), (int, int))
        ``[[a, b], [c, d]]`` as printed.
    odds_ratio : OddsRatio
        ``ad / bc`` with its Woolf (log) confidence interval.
    pearson_chi2, pearson_p : float
        Pearson χ² (1 df) without correction.
    yates_chi2, yates_p : float
        χ² with Yates' continuity correction (|O − E| − 0.5, never below 0).
    likelihood_ratio_p : float
        Likelihood-ratio (G²) p-value.
    fisher_p : float
        Fisher's exact test, two-sided.
    min_expected : float
        Smallest expected count.
    reported_p, reported_test : float, str
        The p-value chosen by the rule, and ``"pearson"``, ``"yates"`` or ``"fisher"``.
    """

    table: tuple[tuple[int, int], tuple[int, int]]
    odds_ratio: OddsRatio
    pearson_chi2: float
    pearson_p: float
    yates_chi2: float
    yates_p: float
    likelihood_ratio_p: float
    fisher_p: float
    min_expected: float
    reported_p: float
    reported_test: str


@dataclass(frozen=True)
class MantelHaenszelResult:
    """Mantel–Haenszel pooled odds ratio over strata with the Breslow–Day test.

    Attributes
    ----------
    odds_ratio : OddsRatio
        Pooled OR with the Robins–Breslow–Greenland 95 % interval.
    p_value : float
        Mantel–Haenszel χ² test of OR = 1 *with* continuity correction (the
        default of R's ``mantelhaen.test`` and the "Mantel-Haenszel" row of
        SPSS's "Tests of Conditional Independence").
    breslow_day_chi2, breslow_day_p : float
        Breslow–Day test of homogeneous odds ratios across strata (without
        Tarone's adjustment), df = n_strata − 1.
    n_strata : int
        Strata used.
    chi2, chi2_uncorrected, p_value_uncorrected : float
        The corrected statistic, and the test without continuity correction
        (Cochran's test as SPSS labels it).
    """

    odds_ratio: OddsRatio
    p_value: float
    breslow_day_chi2: float
    breslow_day_p: float
    n_strata: int
    chi2: float = math.nan
    chi2_uncorrected: float = math.nan
    p_value_uncorrected: float = math.nan


def odds_ratio(
    table: Sequence[Sequence[int]] | np.ndarray, *, alpha: float = 0.05, correction: str | None = None
) -> OddsRatio:
    """Sample odds ratio ``ad / bc`` with the Woolf (log) confidence interval.

    Parameters
    ----------
    table : array_like of int, shape (2, 2)
        ``[[a, b], [c, d]]``.
    alpha : float
        1 − confidence level.
    correction : {None, "haldane"}
        With ``"haldane"``, 0.5 is added to every cell *when a cell is zero*
        (Haldane–Anscombe); without it a zero cell gives ``estimate=None``
        (printed "N/A"). Never applied unless asked for.

    Returns
    -------
    OddsRatio

    Examples
    --------
    >>> o = odds_ratio([[34, 8], [22, 17]])
    >>> round(o.estimate, 3), round(o.ci_low, 3), round(o.ci_high, 3)
    (3.284, 1.212, 8.899)
    """
    if correction not in _CORRECTIONS:
        raise ValueError(f"correction must be None or 'haldane', got {correction!r}")
    counts = np.asarray(table, dtype=float)
    if counts.shape != (2, 2):
        raise ValueError(f"an odds ratio needs a 2 x 2 table, got shape {counts.shape}")
    applied = None
    if np.any(counts == 0):
        if correction is None:
            return OddsRatio(None, None, None, method="woolf", correction=None)
        counts = counts + 0.5
        applied = correction
    # shift_zeros=False: statsmodels must not add 0.5 behind our back.
    t = Table2x2(counts, shift_zeros=False)
    low, high = t.oddsratio_confint(alpha=alpha, method="normal")
    return OddsRatio(float(t.oddsratio), float(low), float(high), method="woolf", correction=applied)


def analyze_2x2(
    table: Sequence[Sequence[int]] | np.ndarray,
    *,
    alpha: float = 0.05,
    correction: str | None = None,
    rule: str = "spss",
) -> TwoByTwoResult:
    """All the tests SPSS prints for a 2 x 2 table, and the p-value to report.

    Parameters
    ----------
    table : array_like of int, shape (2, 2)
        ``[[a, b], [c, d]]``: rows = the variable's levels, columns = outcome
        levels, both in printed order.
    alpha : float
        1 − confidence level of the odds-ratio interval.
    correction : {None, "haldane"}
        Zero-cell correction of the odds ratio only (see :func:`odds_ratio`).
    rule : {"spss", "pearson", "yates", "fisher"}
        ``"spss"``: Fisher's exact test when any expected count is < 5,
        otherwise the Yates-corrected χ² — the rule that reproduces the
        paper's p-values. The others always report that test.

    Returns
    -------
    TwoByTwoResult

    Raises
    ------
    ValueError
        If the table is not 2 x 2 counts, or a row or column total is zero.

    Examples
    --------
    >>> r = analyze_2x2([[34, 8], [22, 17]])
    >>> r.reported_test, round(r.reported_p, 3)
    ('yates', 0.032)
    """
    if rule not in _RULES_2X2:
        raise ValueError(f"rule must be one of {_RULES_2X2}, got {rule!r}")
    counts = as_count_table(table)
    if counts.shape != (2, 2):
        raise ValueError(f"analyze_2x2 needs a 2 x 2 table, got shape {counts.shape}; use analyze_rxc")
    pearson = _sps.chi2_contingency(counts, correction=False)
    # scipy's correction is Yates' |O - E| - 0.5 clipped at 0, as in R and SPSS.
    yates = _sps.chi2_contingency(counts, correction=True)
    lr = _sps.chi2_contingency(counts, correction=False, lambda_="log-likelihood")
    fisher_p = float(_sps.fisher_exact(counts, alternative="two-sided").pvalue)
    if rule == "spss":
        test = "fisher" if cochran_rule_fails(counts) else "yates"
    else:
        test = rule
    reported = {"pearson": float(pearson.pvalue), "yates": float(yates.pvalue), "fisher": fisher_p}[test]
    return TwoByTwoResult(
        table=((int(counts[0, 0]), int(counts[0, 1])), (int(counts[1, 0]), int(counts[1, 1]))),
        odds_ratio=odds_ratio(counts, alpha=alpha, correction=correction),
        pearson_chi2=float(pearson.statistic),
        pearson_p=float(pearson.pvalue),
        yates_chi2=float(yates.statistic),
        yates_p=float(yates.pvalue),
        likelihood_ratio_p=float(lr.pvalue),
        fisher_p=fisher_p,
        min_expected=float(expected_counts(counts).min()),
        reported_p=reported,
        reported_test=test,
    )


def mantel_haenszel(tables: Sequence[Sequence[Sequence[int]]] | np.ndarray) -> MantelHaenszelResult:
    """Mantel–Haenszel odds ratio across strata with the Breslow–Day homogeneity test.

    Parameters
    ----------
    tables : array_like of int, shape (K, 2, 2)
        One 2 x 2 table per stratum, each oriented as in :func:`analyze_2x2`.

    Returns
    -------
    MantelHaenszelResult

    Raises
    ------
    ValueError
        Fewer than 2 strata, or a stratum with fewer than 2 subjects (as R's
        ``mantelhaen.test``), or no stratum where the test is defined.

    Examples
    --------
    >>> r = mantel_haenszel([[[10, 5], [4, 12]], [[8, 6], [5, 9]]])
    >>> round(r.odds_ratio.estimate, 3)
    3.753
    """
    arr = np.asarray(tables, dtype=float)
    if arr.ndim != 3 or arr.shape[1:] != (2, 2):
        raise ValueError(f"tables must have shape (K, 2, 2), got {arr.shape}")
    if arr.shape[0] < 2:
        raise ValueError(f"Mantel–Haenszel needs at least 2 strata, got {arr.shape[0]}")
    if np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError("stratum counts must be non-negative integers")
    totals = arr.sum(axis=(1, 2))
    if np.any(totals < 2):
        raise ValueError(f"every stratum needs at least 2 subjects, got stratum totals {totals.astype(int).tolist()}")
    st = StratifiedTable(np.moveaxis(arr, 0, -1))  # statsmodels wants (2, 2, K)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        est = float(st.oddsratio_pooled)
        low, high = st.oddsratio_pooled_confint(alpha=0.05)
        plain = st.test_null_odds(correction=False)
    bd_chi2 = _breslow_day_chi2(arr, est)
    bd_p = float(_sps.chi2.sf(bd_chi2, arr.shape[0] - 1)) if math.isfinite(bd_chi2) else math.nan
    chi2_corrected = _mh_chi2_corrected(arr)
    if not math.isfinite(est) or est <= 0:
        oratio = OddsRatio(None, None, None, method="robins-breslow-greenland")
    else:
        oratio = OddsRatio(est, float(low), float(high), method="robins-breslow-greenland")
    return MantelHaenszelResult(
        odds_ratio=oratio,
        p_value=float(_sps.chi2.sf(chi2_corrected, 1)),
        breslow_day_chi2=bd_chi2,
        breslow_day_p=bd_p,
        n_strata=int(arr.shape[0]),
        chi2=chi2_corrected,
        chi2_uncorrected=float(plain.statistic),
        p_value_uncorrected=float(plain.pvalue),
    )


def _mh_chi2_corrected(arr: np.ndarray) -> float:
    """Continuity-corrected Mantel–Haenszel χ², with the correction clipped as R does.

    Hand-written because statsmodels' ``test_null_odds(correction=True)``
    computes ``(|Σa − ΣE| − 0.5)²`` without clipping, so a perfectly balanced
    set of strata (Σa = ΣE) gets χ² > 0; R's ``mantelhaen.test`` uses
    ``min(0.5, |Σa − ΣE|)`` and returns 0.
    """
    a = arr[:, 0, 0]
    n1 = arr[:, 0, :].sum(axis=1)
    n2 = arr[:, 1, :].sum(axis=1)
    m1 = arr[:, :, 0].sum(axis=1)
    m2 = arr[:, :, 1].sum(axis=1)
    n = n1 + n2
    expected = n1 * m1 / n
    var = n1 * n2 * m1 * m2 / (n**2 * (n - 1))
    delta = abs(float(a.sum() - expected.sum()))
    total_var = float(var.sum())
    if total_var <= 0:
        return math.nan
    return (delta - min(0.5, delta)) ** 2 / total_var


def _breslow_day_chi2(arr: np.ndarray, or_mh: float) -> float:
    """Breslow–Day statistic (no Tarone adjustment) for strata ``arr`` of shape (K, 2, 2).

    Hand-written because statsmodels' ``test_equal_odds`` divides by
    ``1 - OR_MH`` when solving for the expected cell, so it returns NaN when
    the pooled odds ratio is exactly 1 (here the quadratic degenerates to a
    linear equation), and its p-value ``1 - cdf`` underflows for strong
    heterogeneity. For each stratum, E is the root within the admissible range
    of ``E (n - n1 - m1 + E) = OR_MH (n1 - E)(m1 - E)``; BD = Σ (a − E)² / Var,
    Var = 1 / (1/E + 1/(n1 − E) + 1/(m1 − E) + 1/(n − n1 − m1 + E)).
    """
    if not math.isfinite(or_mh) or or_mh <= 0:
        return math.nan
    stat = 0.0
    for t in arr:
        n1 = t[0].sum()
        m1 = t[:, 0].sum()
        n = t.sum()
        lo, hi = max(0.0, m1 - (n - n1)), min(n1, m1)
        qa = 1.0 - or_mh
        qb = (n - n1 - m1) + or_mh * (n1 + m1)
        qc = -or_mh * n1 * m1
        if abs(qa) < 1e-12:
            e = -qc / qb
        else:
            roots = np.roots([qa, qb, qc]).real
            inside = roots[(roots >= lo - 1e-9) & (roots <= hi + 1e-9)]
            if inside.size == 0:
                return math.nan
            e = float(inside[0])
        terms = np.array([e, n1 - e, m1 - e, n - n1 - m1 + e])
        if np.any(terms <= 0):  # a stratum with a fixed margin carries no information
            continue
        var = 1.0 / float(np.sum(1.0 / terms))
        stat += (t[0, 0] - e) ** 2 / var
    return float(stat)


_POSITIVE = {"positive", "pos", "yes", "y", "true", "1", "present", "+"}
_NEGATIVE = {"negative", "neg", "no", "n", "false", "0", "absent", "-"}


def binary_codes(values: pd.Series) -> tuple[pd.Series, list]:
    """Code a binary column as 0/1 and return it with its levels ``[reference, other]``.

    Numeric 0/1 and booleans are kept; positive/negative, yes/no, true/false
    words map negative → 0; a pandas ``Categorical`` with two categories uses
    its order (first = reference); any other two labels are sorted.

    Raises
    ------
    ValueError
        If the column does not hold exactly two distinct non-missing values.
    """
    s = values.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = [c for c in values.cat.categories if c in set(s)]
        if len(levels) != 2:
            raise ValueError(f"column {values.name!r} must have exactly 2 levels, got {levels!r}")
        return values.map({levels[0]: 0, levels[1]: 1}).astype(float), levels
    uniq = sorted(set(s.tolist()), key=str)
    if len(uniq) != 2:
        raise ValueError(f"column {values.name!r} must have exactly 2 distinct values, got {uniq!r}")
    lower = {str(u).strip().lower(): u for u in uniq}
    neg = [lower[k] for k in lower if k in _NEGATIVE]
    pos = [lower[k] for k in lower if k in _POSITIVE]
    if len(neg) == 1 and len(pos) == 1:
        levels = [neg[0], pos[0]]
    else:
        levels = uniq
    return values.map({levels[0]: 0, levels[1]: 1}).astype(float), levels


def logistic_odds_ratios(
    df: pd.DataFrame, *, outcome: str, exposures: list[str], alpha: float = 0.05
) -> dict[str, OddsRatio]:
    """Adjusted odds ratios from a logistic regression (statsmodels ``Logit``, Wald intervals).

    Parameters
    ----------
    df : DataFrame
        One row per patient; rows with a missing value in ``outcome`` or any
        exposure are left out (and logged).
    outcome : str
        Binary outcome column (coded as in :func:`binary_codes`).
    exposures : list of str
        Binary exposure columns, all in one model. The reference level is the
        negative / first level, so each OR matches the 2 x 2 orientation.

    Returns
    -------
    dict
        exposure name → :class:`OddsRatio` (method ``"wald-logit"``, with the
        Wald p-value). If the model cannot be fitted (perfect separation,
        singular design) every estimate is ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(1, 1)] * 17 + [(1, 0)] * 22 + [(0, 1)] * 8 + [(0, 0)] * 34
    >>> d = pd.DataFrame(rows, columns=["mc", "met"])
    >>> round(logistic_odds_ratios(d, outcome="met", exposures=["mc"])["mc"].estimate, 3)
    3.284
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    missing = [c for c in [outcome, *exposures] if c not in df.columns]
    if missing:
        raise ValueError(f"columns not in the data: {missing!r}")
    if not exposures:
        raise ValueError("give at least one exposure")
    data = df[[outcome, *exposures]]
    complete = data.dropna()
    if len(complete) < len(data):
        logger.info("logistic regression: %d of %d rows left out for missing values", len(data) - len(complete), len(data))
    y, _ = binary_codes(complete[outcome])
    x = pd.DataFrame({e: binary_codes(complete[e])[0] for e in exposures}, index=complete.index)
    x = sm.add_constant(x, has_constant="add")
    nan_result = {e: OddsRatio(None, None, None, method="wald-logit", test="wald") for e in exposures}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            fit = sm.Logit(y, x).fit(disp=0, method="newton", maxiter=100, tol=1e-12)
    except (PerfectSeparationError, PerfectSeparationWarning, np.linalg.LinAlgError) as exc:
        logger.warning("logistic regression of %s on %s cannot be fitted: %s", outcome, exposures, exc)
        return nan_result
    if not fit.mle_retvals.get("converged", True):
        logger.warning("logistic regression of %s on %s did not converge", outcome, exposures)
        return nan_result
    ci = fit.conf_int(alpha=alpha)
    out = {}
    for e in exposures:
        out[e] = OddsRatio(
            float(np.exp(fit.params[e])),
            float(np.exp(ci.loc[e, 0])),
            float(np.exp(ci.loc[e, 1])),
            method="wald-logit",
            p_value=float(fit.pvalues[e]),
            test="wald",
        )
    return out
