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

SciPy gives the χ² and Fisher tests and statsmodels the odds-ratio interval
(:mod:`cohort.odds`); stratified and adjusted estimates are in
:mod:`cohort.stratified`. This module is the public entry point and
re-exports all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps

from cohort.odds import OddsRatio, odds_ratio
from cohort.stats_rxc import (
    ExactTestTooLargeError,
    RxCResult,
    analyze_rxc,
    as_count_table,
    cochran_rule_fails,
    expected_counts,
    fisher_freeman_halton,
)
from cohort.stratified import MantelHaenszelResult, binary_codes, logistic_odds_ratios, mantel_haenszel
from cohort.vocabulary import StatTest

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

_RULES_2X2 = ("spss", StatTest.PEARSON, StatTest.YATES, StatTest.FISHER)


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
        The p-value chosen by the rule, and its test: ``StatTest.PEARSON``,
        ``YATES`` or ``FISHER`` (written ``"pearson"``, ``"yates"``, ``"fisher"``).
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
    reported_test: StatTest


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
    >>> str(r.reported_test), round(r.reported_p, 3)
    ('yates', 0.032)
    """
    if rule not in _RULES_2X2:
        raise ValueError(f"rule must be one of {tuple(map(str, _RULES_2X2))}, got {rule!r}")
    counts = as_count_table(table)
    if counts.shape != (2, 2):
        raise ValueError(f"analyze_2x2 needs a 2 x 2 table, got shape {counts.shape}; use analyze_rxc")
    pearson = _sps.chi2_contingency(counts, correction=False)
    # scipy's correction is Yates' |O - E| - 0.5 clipped at 0, as in R and SPSS.
    yates = _sps.chi2_contingency(counts, correction=True)
    lr = _sps.chi2_contingency(counts, correction=False, lambda_="log-likelihood")
    fisher_p = float(_sps.fisher_exact(counts, alternative="two-sided").pvalue)
    if rule == "spss":
        test = StatTest.FISHER if cochran_rule_fails(counts) else StatTest.YATES
    else:
        test = StatTest(rule)
    reported = {StatTest.PEARSON: float(pearson.pvalue), StatTest.YATES: float(yates.pvalue), StatTest.FISHER: fisher_p}[test]
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
