"""The 3-way tables (level x microcalcification x metastasis) that have three given 2-way margins.

A patient data set reproduces a variable's two published tables and the
microcalcification x metastasis table iff its 3-way table ``x[level, mc, met]``
has those three margins; :func:`feasible_tables` lists every such table and
:func:`closest_to_no_interaction` picks the one that adds the least structure.

For a variable with L levels, fixing ``k_l = x[l, mc-, met-]`` determines the
other three cells of level l from its two margins, and the levels must share
out each (mc, met) cell: so every feasible table is a vector ``k`` within
per-level bounds with ``sum(k) = n[mc-, met-]``. The tables are enumerated
exhaustively (a few to a few hundred per variable).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ThreeWayTable", "feasible_tables", "closest_to_no_interaction"]


@dataclass(frozen=True)
class ThreeWayTable:
    """Counts ``counts[level][mc][met]`` (index 0 = negative, 1 = positive) for one variable."""

    variable: str
    levels: tuple[str, ...]
    counts: tuple[tuple[tuple[int, int], tuple[int, int]], ...]

    def as_array(self) -> np.ndarray:
        """The counts as an ``(L, 2, 2)`` integer array."""
        return np.asarray(self.counts, dtype=np.int64)

    def strata_mc_by_metastasis(self) -> np.ndarray:
        """One 2 x 2 table per level, oriented as Table 3: rows MC -/+, columns metastasis -/+."""
        return self.as_array()


def feasible_tables(
    by_mc: Sequence[Sequence[int]],
    by_metastasis: Sequence[Sequence[int]],
    mc_by_metastasis: Sequence[Sequence[int]],
    *,
    variable: str = "variable",
    levels: Sequence[str] | None = None,
) -> list[ThreeWayTable]:
    """Every 3-way table with the given three 2-way margins.

    Parameters
    ----------
    by_mc : array_like, shape (L, 2)
        Level x microcalcification (negative, positive).
    by_metastasis : array_like, shape (L, 2)
        Level x metastasis (negative, positive).
    mc_by_metastasis : array_like, shape (2, 2)
        Microcalcification x metastasis.
    variable, levels : optional
        Names carried into the result.

    Returns
    -------
    list of ThreeWayTable
        In lexicographic order of ``x[:, mc-, met-]``; empty when the margins are infeasible.

    Examples
    --------
    >>> ts = feasible_tables([[17, 6], [25, 33]], [[21, 2], [35, 23]], [[34, 8], [22, 17]])
    >>> [t.counts[0] for t in ts]
    [((15, 2), (6, 0)), ((16, 1), (5, 1)), ((17, 0), (4, 2))]
    """
    v_mc = np.asarray(by_mc, dtype=np.int64)
    v_met = np.asarray(by_metastasis, dtype=np.int64)
    n = np.asarray(mc_by_metastasis, dtype=np.int64)
    if v_mc.ndim != 2 or v_mc.shape[1] != 2 or v_met.shape != v_mc.shape or n.shape != (2, 2):
        raise ValueError(f"margins must be (L, 2), (L, 2), (2, 2); got {v_mc.shape}, {v_met.shape}, {n.shape}")
    n_levels = v_mc.shape[0]
    level_names = tuple(levels) if levels is not None else tuple(str(i) for i in range(n_levels))
    if len(level_names) != n_levels:
        raise ValueError(f"{n_levels} levels in the counts but {len(level_names)} names")
    if (
        not np.array_equal(v_mc.sum(axis=0), n.sum(axis=1))
        or not np.array_equal(v_met.sum(axis=0), n.sum(axis=0))
        or not np.array_equal(v_mc.sum(axis=1), v_met.sum(axis=1))
    ):
        return []  # margins that disagree on a shared total: no table can have them all
    # k = x[l, 0, 0]; x[l,0,1] = mc0 - k; x[l,1,0] = met0 - k; x[l,1,1] = mc1 - met0 + k;
    # each >= 0, and the other cells are >= 0 by the shared totals checked below.
    ranges = []
    for lv in range(n_levels):
        mc0, mc1 = (int(v) for v in v_mc[lv])
        met0 = int(v_met[lv, 0])
        lo = max(0, met0 - mc1)
        hi = min(mc0, met0)
        ranges.append(range(lo, hi + 1))
    out: list[ThreeWayTable] = []
    target = int(n[0, 0])
    for ks in itertools.product(*ranges[:-1]):
        k_last = target - sum(ks)
        if k_last not in ranges[-1]:
            continue
        k = (*ks, k_last)
        cells = np.empty((n_levels, 2, 2), dtype=np.int64)
        for lv, kv in enumerate(k):
            mc0, mc1 = (int(v) for v in v_mc[lv])
            met0 = int(v_met[lv, 0])
            cells[lv] = [[kv, mc0 - kv], [met0 - kv, mc1 - met0 + kv]]
        if np.any(cells < 0) or not np.array_equal(cells.sum(axis=0), n):
            continue
        out.append(
            ThreeWayTable(
                variable=variable,
                levels=level_names,
                counts=tuple(((int(c[0, 0]), int(c[0, 1])), (int(c[1, 0]), int(c[1, 1]))) for c in cells),
            )
        )
    return out


def _ipf_no_three_way(by_mc: np.ndarray, by_met: np.ndarray, n: np.ndarray, *, iterations: int = 500) -> np.ndarray:
    # Iterative proportional fitting of the no-3-way-interaction log-linear model
    # [V,MC][V,MET][MC,MET]: the maximum-likelihood expected counts given the three
    # margins. Hand-written because statsmodels has no IPF, and a Poisson GLM with
    # the same terms diverges on the zero margins this paper has (HER2, triple negative).
    fit = np.ones((by_mc.shape[0], 2, 2), dtype=float)
    for _ in range(iterations):
        with np.errstate(invalid="ignore", divide="ignore"):
            fit *= np.nan_to_num(by_mc / fit.sum(axis=2))[:, :, None]
            fit *= np.nan_to_num(by_met / fit.sum(axis=1))[:, None, :]
            fit *= np.nan_to_num(n / fit.sum(axis=0))[None, :, :]
    return fit


def closest_to_no_interaction(
    tables: Sequence[ThreeWayTable],
    by_mc: Sequence[Sequence[int]],
    by_metastasis: Sequence[Sequence[int]],
    mc_by_metastasis: Sequence[Sequence[int]],
) -> ThreeWayTable:
    """The feasible table nearest (least squares) to the no-3-way-interaction fit.

    A deterministic, assumption-light choice: among tables the paper cannot tell
    apart, take the one that adds the least structure beyond the published
    margins. Ties go to the first table in enumeration order.
    """
    if not tables:
        raise ValueError("no feasible table to choose from")
    fit = _ipf_no_three_way(
        np.asarray(by_mc, dtype=float), np.asarray(by_metastasis, dtype=float), np.asarray(mc_by_metastasis, dtype=float)
    )
    dist = [float(np.sum((t.as_array() - fit) ** 2)) for t in tables]
    return tables[int(np.argmin(dist))]
