"""R x C contingency tables: Pearson, likelihood ratio and the exact Fisher–Freeman–Halton test.

SciPy's :func:`scipy.stats.fisher_exact` handles 2 x 2 tables only (and its
R x C permutation alternatives are Monte-Carlo), and statsmodels has no exact
R x C test, so the Fisher–Freeman–Halton p-value is computed here by complete
enumeration of every table with the observed margins. That is exact, and
fast for the tables of a clinical study (a 4 x 2 table of 81 patients has a
few thousand such tables). When a table has more than ``max_tables`` tables
with its margins, :class:`ExactTestTooLargeError` is raised; there is no
silent Monte-Carlo fallback.

The "SPSS" reporting rule (Cochran's rule, as SPSS's crosstabs footnote
"n cells (x%) have expected count less than 5" leads a user to apply): report
the exact test when more than 20 % of the cells have an expected count below 5
or any cell has an expected count below 1; otherwise report Pearson's χ².
For a 2 x 2 table this is "any expected count < 5".
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps
from scipy.special import gammaln, xlogy

__all__ = [
    "RxCResult",
    "ExactTestTooLargeError",
    "analyze_rxc",
    "fisher_freeman_halton",
    "expected_counts",
    "cochran_rule_fails",
    "as_count_table",
]

from cohort.errors import ExactTestTooLargeError  # noqa: E402 (re-exported)
from cohort.vocabulary import StatTest

logger = logging.getLogger(__name__)

#: relative tolerance used to decide that a table is "as or less probable"
#: than the observed one (the same 1e-7 that R's fisher.test uses).
_REL_TOL = 1e-7


@dataclass(frozen=True)
class RxCResult:
    """Tests of independence for an R x C table.

    Attributes
    ----------
    table : tuple of tuple of int
        The counts, rows = levels of the variable, columns = outcome levels.
    pearson_chi2, pearson_df, pearson_p : float, int, float
        Pearson's χ² without continuity correction.
    likelihood_ratio_chi2, likelihood_ratio_p : float
        The likelihood-ratio statistic G² and its χ² p-value (same df).
    fisher_freeman_halton_p : float
        Exact two-sided p-value (sum of the probabilities of all tables with the
        observed margins that are no more probable than the observed one).
    min_expected : float
        Smallest expected count under independence.
    reported_p, reported_test : float, str
        The p-value selected by ``rule`` and its test name
        (``StatTest.PEARSON`` or ``StatTest.FISHER_FREEMAN_HALTON``).
    """

    table: tuple[tuple[int, ...], ...]
    pearson_chi2: float
    pearson_df: int
    pearson_p: float
    likelihood_ratio_chi2: float
    likelihood_ratio_p: float
    fisher_freeman_halton_p: float
    min_expected: float
    reported_p: float
    reported_test: StatTest


def as_count_table(table: Sequence[Sequence[int]] | np.ndarray, *, min_shape: tuple[int, int] = (2, 2)) -> np.ndarray:
    """Validate a table of counts and return it as a 2-D ``int64`` array.

    Raises
    ------
    ValueError
        If the table is not 2-D, smaller than ``min_shape``, holds negative or
        non-integer counts, or has a row or column that sums to zero (then the
        variable or the outcome is constant and no test of association exists).
    """
    arr = np.asarray(table, dtype=float)
    if arr.ndim != 2 or arr.shape[0] < min_shape[0] or arr.shape[1] < min_shape[1]:
        raise ValueError(f"a contingency table must be 2-D with at least {min_shape} cells, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError(f"contingency table counts must be non-negative integers, got {arr.tolist()!r}")
    counts = arr.astype(np.int64)
    if np.any(counts.sum(axis=1) == 0) or np.any(counts.sum(axis=0) == 0):
        raise ValueError(
            f"a row or column of the table {counts.tolist()!r} sums to zero: the variable or the outcome "
            "is constant in these data, so no test of association can be computed"
        )
    return counts


def expected_counts(table: np.ndarray) -> np.ndarray:
    """Expected counts under independence (row total x column total / n)."""
    t = np.asarray(table, dtype=float)
    return np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()


def cochran_rule_fails(table: np.ndarray) -> bool:
    """True when > 20 % of the expected counts are < 5 or any is < 1 (use an exact test)."""
    e = expected_counts(table)
    return bool(np.mean(e < 5) > 0.2 or np.any(e < 1))


def _likelihood_ratio(table: np.ndarray) -> float:
    # G^2 = 2 sum O log(O/E), with 0 log 0 = 0 (xlogy) so zero cells are allowed.
    obs = np.asarray(table, dtype=float)
    return float(2.0 * np.sum(xlogy(obs, obs) - xlogy(obs, expected_counts(obs))))


def _log_prob_const(row: np.ndarray, col: np.ndarray) -> float:
    n = int(row.sum())
    return float(gammaln(row + 1).sum() + gammaln(col + 1).sum() - gammaln(n + 1))


def _ffh_two_columns(counts: np.ndarray, max_tables: int) -> float:
    """Exact enumeration for an R x 2 table: choose the first column x with 0 <= x_i <= r_i, sum x = c_1."""
    rows = counts.sum(axis=1)
    c1 = int(counts[:, 0].sum())
    const = _log_prob_const(rows, counts.sum(axis=0))
    # Distribution of the log of prod 1/(x_i! (r_i - x_i)!) over partial sums, built row by row:
    # a dict {partial sum s: array of log-weights of all partial tables reaching s} would grow;
    # instead keep the full list of (sum, logweight) pairs, pruned by feasibility.
    sums = np.array([0], dtype=np.int64)
    logw = np.array([0.0])
    remaining = int(rows.sum())
    for r in rows:
        r = int(r)
        remaining -= r
        x = np.arange(r + 1)
        lw_row = -(gammaln(x + 1) + gammaln(r - x + 1))
        new_sums = (sums[:, None] + x[None, :]).ravel()
        new_logw = (logw[:, None] + lw_row[None, :]).ravel()
        keep = (new_sums <= c1) & (new_sums + remaining >= c1)
        sums, logw = new_sums[keep], new_logw[keep]
        if sums.size > max_tables:
            raise ExactTestTooLargeError(
                f"the Fisher–Freeman–Halton test of {counts.tolist()!r} needs more than {max_tables} tables; "
                "raise max_tables or collapse sparse levels"
            )
    logp = logw + const
    x_obs = counts[:, 0]
    logp_obs = const - float(np.sum(gammaln(x_obs + 1) + gammaln(rows - x_obs + 1)))
    return _sum_as_or_less_probable(logp, logp_obs)


def _sum_as_or_less_probable(logp: np.ndarray, logp_obs: float) -> float:
    probs = np.exp(logp)
    p_obs = math.exp(logp_obs)
    p = float(probs[probs <= p_obs * (1.0 + _REL_TOL)].sum())
    return min(1.0, p)


def _ffh_general(counts: np.ndarray, max_tables: int) -> float:
    """Exact enumeration for a general R x C table, column by column (recursive)."""
    rows = counts.sum(axis=1).astype(np.int64)
    cols = counts.sum(axis=0).astype(np.int64)
    const = _log_prob_const(rows, cols)
    logp_obs = const - float(gammaln(counts + 1).sum())
    out: list[float] = []
    lgam = gammaln(np.arange(int(rows.sum()) + 1) + 1)

    def columns_with_sum(total: int, caps: list[int]):
        # all vectors 0 <= v_i <= caps_i with sum total
        if len(caps) == 1:
            if total <= caps[0]:
                yield (total,)
            return
        rest = sum(caps[1:])
        for v in range(max(0, total - rest), min(caps[0], total) + 1):
            for tail in columns_with_sum(total - v, caps[1:]):
                yield (v, *tail)

    def recurse(j: int, remaining_rows: list[int], acc: float) -> None:
        if j == len(cols) - 1:
            # the last column is forced by the remaining row totals
            out.append(acc - float(sum(lgam[r] for r in remaining_rows)))
            if len(out) > max_tables:
                raise ExactTestTooLargeError(
                    f"the Fisher–Freeman–Halton test of {counts.tolist()!r} needs more than {max_tables} "
                    "tables; raise max_tables or collapse sparse levels"
                )
            return
        for col in columns_with_sum(int(cols[j]), remaining_rows):
            recurse(j + 1, [r - v for r, v in zip(remaining_rows, col)], acc - float(sum(lgam[v] for v in col)))

    recurse(0, [int(r) for r in rows], 0.0)
    return _sum_as_or_less_probable(np.asarray(out) + const, logp_obs)


def fisher_freeman_halton(table: Sequence[Sequence[int]] | np.ndarray, *, max_tables: int = 5_000_000) -> float:
    """Exact two-sided Fisher–Freeman–Halton p-value of an R x C table.

    Every table with the observed row and column totals is enumerated; the
    p-value is the total probability (multivariate hypergeometric) of the
    tables no more probable than the observed one, within a relative
    tolerance of 1e-7 as in R's ``fisher.test``.

    Parameters
    ----------
    table : array_like of int
        Counts, at least 2 x 2.
    max_tables : int, optional
        Upper bound on the tables enumerated; beyond it
        :class:`ExactTestTooLargeError` is raised (never a silent approximation).

    Returns
    -------
    float
        The exact p-value.

    Examples
    --------
    >>> round(fisher_freeman_halton([[18, 5], [30, 17], [1, 3], [7, 0]]), 4)
    0.037
    """
    counts = as_count_table(table)
    if counts.shape[1] == 2:
        return _ffh_two_columns(counts, max_tables)
    if counts.shape[0] == 2:
        return _ffh_two_columns(counts.T.copy(), max_tables)
    return _ffh_general(counts, max_tables)


def analyze_rxc(table: Sequence[Sequence[int]] | np.ndarray, *, rule: str = "spss") -> RxCResult:
    """Pearson χ², likelihood ratio and Fisher–Freeman–Halton tests of an R x C table.

    Parameters
    ----------
    table : array_like of int
        Counts; rows = levels of the variable in printed order, columns =
        outcome levels in printed order.
    rule : {"spss", "pearson", "fisher-freeman-halton"}
        Which p-value to report. ``"spss"`` reports the exact test when
        Cochran's rule fails (> 20 % of expected counts < 5, or any < 1),
        otherwise Pearson's χ².

    Returns
    -------
    RxCResult

    Examples
    --------
    >>> r = analyze_rxc([[17, 6], [19, 28], [0, 4], [6, 1]])
    >>> str(r.reported_test), round(r.pearson_p, 4)
    ('fisher-freeman-halton', 0.0023)
    """
    if rule not in ("spss", StatTest.PEARSON, StatTest.FISHER_FREEMAN_HALTON):
        raise ValueError(f"rule must be 'spss', 'pearson' or 'fisher-freeman-halton', got {rule!r}")
    counts = as_count_table(table)
    chi = _sps.chi2_contingency(counts, correction=False)
    df = int(chi.dof)
    g2 = _likelihood_ratio(counts)
    ffh = fisher_freeman_halton(counts)
    if rule == StatTest.PEARSON or (rule == "spss" and not cochran_rule_fails(counts)):
        reported_p, test = float(chi.pvalue), StatTest.PEARSON
    else:
        reported_p, test = ffh, StatTest.FISHER_FREEMAN_HALTON
    return RxCResult(
        table=tuple(tuple(int(v) for v in row) for row in counts),
        pearson_chi2=float(chi.statistic),
        pearson_df=df,
        pearson_p=float(chi.pvalue),
        likelihood_ratio_chi2=g2,
        likelihood_ratio_p=float(_sps.chi2.sf(g2, df)),
        fisher_freeman_halton_p=ffh,
        min_expected=float(expected_counts(counts).min()),
        reported_p=reported_p,
        reported_test=test,
    )
