"""Stage-adjusted estimates of microcalcification -> bone metastasis (``adjusted.csv``).

Stage is associated with both microcalcification and metastasis in the paper
(Tables 2 and 3), so the crude odds ratio may be confounded. This module puts
side by side: the crude 2 x 2 odds ratio, the Mantel–Haenszel odds ratio
stratified by stage (with the Breslow–Day homogeneity test), and a logistic
regression of metastasis on microcalcification and stage — all computed by
:mod:`cohort.stats`.
"""

from __future__ import annotations

import logging

import pandas as pd

from cohort.stats import analyze_2x2, logistic_odds_ratios, mantel_haenszel
from cohort.vocabulary import StatTest

__all__ = ["adjusted_estimates", "ADJUSTED_COLUMNS"]

logger = logging.getLogger(__name__)

ADJUSTED_COLUMNS = (
    "analysis", "exposure", "outcome", "adjusted_for", "odds_ratio", "ci_low", "ci_high", "p_value",
    "method", "test", "breslow_day_p", "n", "note",
)

_GROUPS = ("negative", "positive")


def _two_by_two(df: pd.DataFrame, exposure: str, outcome: str) -> list[list[int]]:
    """Rows exposure negative/positive, columns outcome negative/positive (the paper's Table 3 layout)."""
    return [[int(((df[exposure] == e) & (df[outcome] == o)).sum()) for o in _GROUPS] for e in _GROUPS]


def adjusted_estimates(
    df: pd.DataFrame, *, mc_column: str = "microcalcification", outcome: str = "bone_metastasis",
    stratum: str = "stage",
) -> pd.DataFrame:
    """Crude, Mantel–Haenszel (by ``stratum``) and logistic odds ratios of MC -> outcome.

    Parameters
    ----------
    df : DataFrame
        One row per patient; ``mc_column`` and ``outcome`` hold ``negative``/``positive``.
    mc_column, outcome, stratum : str
        Column names.

    Returns
    -------
    DataFrame
        Columns :data:`ADJUSTED_COLUMNS`; an estimate that cannot be computed has
        empty numbers and the reason in ``note`` (never silently dropped).
    """
    data = df.dropna(subset=[mc_column, outcome, stratum])
    rows: list[dict] = []
    base = {"exposure": mc_column, "outcome": outcome, "n": len(data)}
    try:
        crude = analyze_2x2(_two_by_two(data, mc_column, outcome))
        o = crude.odds_ratio
        rows.append({**base, "analysis": "crude", "adjusted_for": "", "odds_ratio": o.estimate, "ci_low": o.ci_low,
                     "ci_high": o.ci_high, "p_value": crude.reported_p, "method": o.method,
                     "test": crude.reported_test, "note": ""})
    except ValueError as exc:
        rows.append({**base, "analysis": "crude", "adjusted_for": "", "method": "woolf", "note": str(exc)})
    levels = sorted(data[stratum].unique())
    strata = [_two_by_two(data[data[stratum] == lv], mc_column, outcome) for lv in levels]
    try:
        mh = mantel_haenszel(strata)
        o = mh.odds_ratio
        rows.append({**base, "analysis": "mantel-haenszel", "adjusted_for": stratum, "odds_ratio": o.estimate,
                     "ci_low": o.ci_low, "ci_high": o.ci_high, "p_value": mh.p_value, "method": o.method,
                     "test": StatTest.MANTEL_HAENSZEL, "breslow_day_p": mh.breslow_day_p,
                     "note": "strata: " + "; ".join(f"{lv} {s}" for lv, s in zip(levels, strata))})
    except ValueError as exc:
        rows.append({**base, "analysis": "mantel-haenszel", "adjusted_for": stratum,
                     "method": "robins-breslow-greenland", "note": str(exc)})
    try:
        fit = logistic_odds_ratios(data, outcome=outcome, exposures=[mc_column, stratum])
        for exposure, o in fit.items():
            rows.append({**base, "exposure": exposure, "analysis": "logistic",
                         "adjusted_for": stratum if exposure == mc_column else mc_column,
                         "odds_ratio": o.estimate, "ci_low": o.ci_low, "ci_high": o.ci_high, "p_value": o.p_value,
                         "method": o.method, "test": o.test or "",
                         "note": "" if o.estimate is not None else "model could not be fitted (see log)"})
    except ValueError as exc:
        rows.append({**base, "analysis": "logistic", "adjusted_for": stratum, "method": "wald-logit", "note": str(exc)})
    return pd.DataFrame(rows, columns=list(ADJUSTED_COLUMNS))
