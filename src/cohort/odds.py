"""Odds ratios of 2 x 2 tables: the shared result type and the Woolf interval.

``table = [[a, b], [c, d]]`` as the paper prints it; OR = ad / bc. The
interval comes from statsmodels' ``Table2x2`` (log / normal method) with
``shift_zeros=False``: any zero-cell correction is opt-in and recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from statsmodels.stats.contingency_tables import Table2x2

from cohort.vocabulary import StatTest

__all__ = ["OddsRatio", "odds_ratio"]

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
    test : StatTest or None
        The test that gave ``p_value``.
    """

    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    method: str
    correction: str | None = None
    p_value: float | None = None
    test: StatTest | None = None


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
