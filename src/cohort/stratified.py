"""Stratified and adjusted odds ratios: Mantel–Haenszel with Breslow–Day, and logistic regression.

Stage is associated with both microcalcification and metastasis in the paper,
so the first question a reviewer asks is whether the microcalcification →
metastasis association survives adjustment for stage: :func:`mantel_haenszel`
pools the stratum tables, :func:`logistic_odds_ratios` adjusts in a model.
statsmodels does the work; two small pieces are hand-written where its results
differ from R (see the functions).
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
from statsmodels.stats.contingency_tables import StratifiedTable

from cohort.odds import OddsRatio
from cohort.vocabulary import StatTest

__all__ = ["MantelHaenszelResult", "mantel_haenszel", "logistic_odds_ratios", "binary_codes"]

logger = logging.getLogger(__name__)


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
    nan_result = {e: OddsRatio(None, None, None, method="wald-logit", test=StatTest.WALD) for e in exposures}
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
            test=StatTest.WALD,
        )
    return out
