"""Patient-level reconstruction of the paper's 81 patients from its published tables.

The paper prints, for each variable V, two 2-way tables: V x microcalcification
(Table 2) and V x bone metastasis (Table 3, or Table 1 whose columns are the
metastasis groups), plus the microcalcification x metastasis table. A patient
data set reproduces all of them exactly iff, for every V, there is a 3-way
table of non-negative integers ``x[level, mc, met]`` with those three 2-way
margins. Nothing ties two variables together (no table crosses age with
stage), so the problem splits into one small integer-feasibility problem per
variable, and patients are then assembled cell by cell.

The 3-way tables with given margins are enumerated, and one is chosen, by
:mod:`cohort.three_way`.

Where the paper is inconsistent the margins follow the table that agrees
with the stated group sizes; :func:`inputs_from_paper` records each such
choice in ``ReconstructionInputs.choices``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cohort.published import VARIABLES, PublishedPaper, histology_of
from cohort.three_way import ThreeWayTable, closest_to_no_interaction, feasible_tables

__all__ = [
    "ThreeWayTable",
    "ReconstructionInputs",
    "StageAdjustment",
    "inputs_from_paper",
    "feasible_tables",
    "closest_to_no_interaction",
    "reconstruct_records",
    "stage_adjusted_range",
    "reconstruction_summary",
    "RECORD_COLUMNS",
]

logger = logging.getLogger(__name__)

#: Columns of the shipped records file, in order (docs/cohort-records.md).
RECORD_COLUMNS: tuple[str, ...] = (
    "patient_id", *VARIABLES, "histology_detail", "microcalcification", "bone_metastasis", "laterality",
    "is_reconstruction",
)

_MC_LEVELS = ("negative", "positive")
_MET_LEVELS = ("negative", "positive")


@dataclass(frozen=True)
class ReconstructionInputs:
    """The published margins a reconstruction must reproduce.

    Attributes
    ----------
    mc_by_metastasis : ((int, int), (int, int))
        Rows microcalcification negative/positive, columns metastasis negative/positive.
    by_mc, by_metastasis : dict
        variable -> (levels, counts[level][group]) with groups (negative, positive).
    histopathology_by_metastasis : dict
        Table 1 histopathology type -> (metastasis negative, metastasis positive).
    choices : tuple of str
        Where the paper disagrees with itself, which table was followed and why.
    """

    mc_by_metastasis: tuple[tuple[int, int], tuple[int, int]]
    by_mc: Mapping[str, tuple[tuple[str, ...], tuple[tuple[int, int], ...]]]
    by_metastasis: Mapping[str, tuple[tuple[str, ...], tuple[tuple[int, int], ...]]]
    histopathology_by_metastasis: Mapping[str, tuple[int, int]]
    choices: tuple[str, ...] = field(default=())

    @property
    def n_patients(self) -> int:
        return int(sum(sum(r) for r in self.mc_by_metastasis))


@dataclass(frozen=True)
class StageAdjustment:
    """The stage-adjusted MC -> metastasis odds ratio over every feasible stage x MC x metastasis table."""

    tables: tuple[ThreeWayTable, ...]
    mh_odds_ratios: tuple[float, ...]
    mh_ci_low: tuple[float, ...]
    mh_ci_high: tuple[float, ...]
    mh_p_values: tuple[float, ...]
    breslow_day_p: tuple[float, ...]
    crude_odds_ratio: float

    @property
    def or_min(self) -> float:
        return min(self.mh_odds_ratios)

    @property
    def or_max(self) -> float:
        return max(self.mh_odds_ratios)

    @property
    def n_significant(self) -> int:
        """Reconstructions whose 95 % CI excludes 1."""
        return sum(1 for lo in self.mh_ci_low if lo > 1.0)


def _group_sizes(rows: Sequence[Sequence[int]]) -> tuple[int, int]:
    return int(sum(r[0] for r in rows)), int(sum(r[1] for r in rows))


def inputs_from_paper(paper: PublishedPaper) -> ReconstructionInputs:
    """Collect the margins from the paper, resolving its inconsistencies explicitly.

    Rules (each use is written to ``choices``):

    * V x MC from Table 2 (its columns sum to the stated 42 / 39 for every variable).
    * V x metastasis from Table 3, unless a Table 3 column does not sum to the
      stated group size; then from Table 1, whose two count columns are the
      metastasis-positive / -negative groups (n = 25 / 56) despite their header.
    * MC x metastasis from Table 3 (its margins equal Table 2's MC group sizes;
      Table 1's microcalcification rows are the same numbers with the labels
      swapped).
    * Histopathology types by metastasis group from Table 1's group columns (its
      printed NST total is not used; the group columns sum to 25 and 56).

    Raises
    ------
    ValueError
        If the tables cannot be reconciled by these rules (e.g. a variable whose
        Table 3 and Table 1 columns both fail the group sizes).
    """
    n2 = tuple(c.n for c in paper.table2_columns)
    n3 = tuple(c.n for c in paper.table3_columns)
    mc_counts, mc_choice = _mc_by_metastasis(paper, n2, n3)
    choices = [mc_choice]
    t1_neg_col, t1_pos_col = _table1_metastasis_columns(paper, n3)
    by_mc: dict[str, tuple[tuple[str, ...], tuple[tuple[int, int], ...]]] = {}
    by_met: dict[str, tuple[tuple[str, ...], tuple[tuple[int, int], ...]]] = {}
    for variable in VARIABLES:
        by_mc[variable], by_met[variable], choice = _variable_margins(paper, variable, n2, n3,
                                                                      (t1_neg_col, t1_pos_col))
        choices.extend([choice] if choice else [])
    histo: dict[str, tuple[int, int]] = {}
    for row in paper.table1:
        if row.variable == "histopathology":
            histo[row.level] = (row.counts[t1_neg_col], row.counts[t1_pos_col])
    if _group_sizes(list(histo.values())) != n3:
        raise ValueError(f"Table 1 histopathology group columns sum to {_group_sizes(list(histo.values()))}, not {n3}")
    choices.append(
        "histology_detail from Table 1's metastasis group columns (they sum to 56/25); the printed NST total "
        "58 is not used (13 + 44 = 57); detail x microcalcification is not published, so the invasive types "
        "are shared out within each metastasis group arbitrarily (deterministically)"
    )
    return ReconstructionInputs(
        mc_by_metastasis=(mc_counts[0], mc_counts[1]),  # type: ignore[arg-type]
        by_mc=by_mc,
        by_metastasis=by_met,
        histopathology_by_metastasis=histo,
        choices=tuple(choices),
    )


def _mc_by_metastasis(paper: PublishedPaper, n2: tuple[int, ...], n3: tuple[int, ...]):
    """Table 3's microcalcification x metastasis counts, checked against both group sizes, and the choice note."""
    mc_row = paper.association("table3", "microcalcification")
    mc_counts = tuple(tuple(r) for r in mc_row.counts)
    if mc_row.levels != _MC_LEVELS:
        raise ValueError(f"Table 3 microcalcification levels must be {_MC_LEVELS}, got {mc_row.levels}")
    if (sum(mc_counts[0]), sum(mc_counts[1])) != n2 or _group_sizes(mc_counts) != n3:
        raise ValueError("Table 3's microcalcification x metastasis table does not match the group sizes of Tables 2 and 3")
    return mc_counts, (
        f"microcalcification x metastasis from Table 3 {list(map(list, mc_counts))} (margins {n2[0]}/{n2[1]} "
        f"equal Table 2's MC groups; Table 1's 'Positive'/'Negative' MC rows hold the same counts with labels swapped)"
    )


def _table1_metastasis_columns(paper: PublishedPaper, n3: tuple[int, ...]) -> tuple[int, int]:
    """(negative, positive) column of Table 1's groups, told apart by size (the header is mislabelled)."""
    t1_sizes = [c.n for c in paper.table1_columns[:2]]
    if sorted(t1_sizes) != sorted(n3):
        raise ValueError(f"Table 1 group sizes {t1_sizes} are not the metastasis groups {list(n3)}")
    t1_pos_col = t1_sizes.index(n3[1])
    return 1 - t1_pos_col, t1_pos_col


def _variable_margins(paper: PublishedPaper, variable: str, n2: tuple[int, ...], n3: tuple[int, ...],
                      t1_columns: tuple[int, int]):
    """One variable's (levels, counts) by MC and by metastasis, and the choice note when Table 1 replaced Table 3."""
    r2 = paper.association("table2", variable)
    counts2 = tuple((int(a), int(b)) for a, b in r2.counts)
    if _group_sizes(counts2) != n2:
        raise ValueError(f"Table 2 {variable}: columns sum to {_group_sizes(counts2)}, not {n2}")
    r3 = paper.association("table3", variable)
    counts3 = tuple((int(a), int(b)) for a, b in r3.counts)
    if r3.levels != r2.levels:
        raise ValueError(f"{variable}: Table 2 levels {r2.levels} differ from Table 3 levels {r3.levels}")
    if _group_sizes(counts3) == n3:
        return (r2.levels, counts2), (r3.levels, counts3), None
    t1 = _table1_by_metastasis(paper, variable, *t1_columns)
    if t1 is None or _group_sizes([t1[lv] for lv in r3.levels]) != n3:
        raise ValueError(f"{variable}: neither Table 3 nor Table 1 sums to the metastasis group sizes {n3}")
    fixed = tuple(t1[lv] for lv in r3.levels)
    choice = (f"{variable} x metastasis from Table 1 {list(map(list, fixed))}: Table 3's {list(map(list, counts3))} "
              f"sums to {_group_sizes(counts3)} instead of {n3}")
    return (r2.levels, counts2), (r3.levels, fixed), choice


def _table1_by_metastasis(
    paper: PublishedPaper, variable: str, neg_col: int, pos_col: int
) -> dict[str, tuple[int, int]] | None:
    rows = [r for r in paper.table1 if r.variable == variable]
    if not rows:
        return None
    return {r.level: (r.counts[neg_col], r.counts[pos_col]) for r in rows}


def reconstruct_records(
    inputs: ReconstructionInputs, *, seed: int = 20250411, id_prefix: str = "YUL"
) -> tuple[pd.DataFrame, dict[str, ThreeWayTable], dict[str, int]]:
    """Build one patient-level data set that reproduces every published margin.

    Parameters
    ----------
    inputs : ReconstructionInputs
        From :func:`inputs_from_paper`.
    seed : int
        Seed of the deterministic shuffles that pair the variables' levels
        within each (MC, metastasis) cell, assign invasive histology types and
        number the patients. The pairing between variables is not published; a
        shuffle avoids the artificial correlation a sorted assignment would add.
    id_prefix : str
        ``patient_id`` is ``f"{id_prefix}-{i:03d}"``.

    Returns
    -------
    records : DataFrame
        Columns :data:`RECORD_COLUMNS`, one row per patient.
    chosen : dict
        variable -> the 3-way table used.
    n_feasible : dict
        variable -> how many 3-way tables are feasible.

    Raises
    ------
    ValueError
        If some variable has no feasible 3-way table.
    """
    rng = np.random.default_rng(seed)
    n = np.asarray(inputs.mc_by_metastasis, dtype=np.int64)
    cells = [(m, t) for m in range(2) for t in range(2)]
    columns: dict[str, dict[tuple[int, int], list[str]]] = {}
    chosen: dict[str, ThreeWayTable] = {}
    n_feasible: dict[str, int] = {}
    for variable in VARIABLES:
        levels, c_mc = inputs.by_mc[variable]
        levels_met, c_met = inputs.by_metastasis[variable]
        if tuple(levels) != tuple(levels_met):
            raise ValueError(f"{variable}: level order differs between the two margins")
        tables = feasible_tables(c_mc, c_met, n, variable=variable, levels=levels)
        n_feasible[variable] = len(tables)
        if not tables:
            raise ValueError(f"{variable}: no 81-patient table reproduces both published margins")
        table = closest_to_no_interaction(tables, c_mc, c_met, n)
        chosen[variable] = table
        arr = table.as_array()
        per_cell: dict[tuple[int, int], list[str]] = {}
        for m, t in cells:
            values = [lv for li, lv in enumerate(levels) for _ in range(int(arr[li, m, t]))]
            per_cell[(m, t)] = [values[i] for i in rng.permutation(len(values))]
        columns[variable] = per_cell

    detail = _histology_detail(inputs, columns["histology"], n, rng)
    rows = []
    for m, t in cells:
        for i in range(int(n[m, t])):
            row = {v: columns[v][(m, t)][i] for v in VARIABLES}
            row["histology_detail"] = detail[(m, t)][i]
            row["microcalcification"] = _MC_LEVELS[m]
            row["bone_metastasis"] = _MET_LEVELS[t]
            rows.append(row)
    order = rng.permutation(len(rows))
    records = pd.DataFrame([rows[i] for i in order]).reset_index(drop=True)
    records.insert(0, "patient_id", [f"{id_prefix}-{i + 1:03d}" for i in range(len(records))])
    # Laterality of the index breast is not in the paper; alternate so both sides occur.
    records["laterality"] = ["L" if i % 2 == 0 else "R" for i in range(len(records))]
    records["is_reconstruction"] = "true"
    return records[list(RECORD_COLUMNS)], chosen, n_feasible


def _histology_detail(
    inputs: ReconstructionInputs,
    histology: Mapping[tuple[int, int], list[str]],
    n: np.ndarray,
    rng: np.random.Generator,
) -> dict[tuple[int, int], list[str]]:
    """Share Table 1's histopathology types out over the patients, consistent with their histology."""
    out: dict[tuple[int, int], list[str]] = {}
    for t in range(2):
        pools = {"non_invasive": [], "invasive": []}
        for typ, counts in inputs.histopathology_by_metastasis.items():
            pools[histology_of(typ)].extend([typ] * int(counts[t]))
        for key in pools:
            pools[key] = [pools[key][i] for i in rng.permutation(len(pools[key]))]
        for m in range(2):
            cell = []
            for h in histology[(m, t)]:
                if not pools[h]:
                    raise ValueError(f"histology {h!r}: Table 1 types and Tables 2/3 histology disagree")
                cell.append(pools[h].pop())
            out[(m, t)] = cell
    return out


def stage_adjusted_range(inputs: ReconstructionInputs) -> StageAdjustment:
    """Mantel–Haenszel OR of microcalcification -> metastasis, stratified by stage, for every feasible table.

    Each feasible stage x MC x metastasis table gives two 2 x 2 strata
    (rows MC -/+, columns metastasis -/+, as Table 3 prints them); the pooled
    odds ratio is computed by :func:`cohort.stats.mantel_haenszel`.
    """
    from cohort.stats import mantel_haenszel, odds_ratio

    levels, c_mc = inputs.by_mc["stage"]
    _, c_met = inputs.by_metastasis["stage"]
    n = inputs.mc_by_metastasis
    tables = feasible_tables(c_mc, c_met, n, variable="stage", levels=levels)
    if not tables:
        raise ValueError("no feasible stage x microcalcification x metastasis table")
    results = [mantel_haenszel(t.strata_mc_by_metastasis()) for t in tables]
    crude = odds_ratio(n).estimate
    return StageAdjustment(
        tables=tuple(tables),
        mh_odds_ratios=tuple(float(r.odds_ratio.estimate) if r.odds_ratio.estimate else math.nan for r in results),
        mh_ci_low=tuple(float(r.odds_ratio.ci_low) if r.odds_ratio.ci_low else math.nan for r in results),
        mh_ci_high=tuple(float(r.odds_ratio.ci_high) if r.odds_ratio.ci_high else math.nan for r in results),
        mh_p_values=tuple(float(r.p_value) for r in results),
        breslow_day_p=tuple(float(r.breslow_day_p) for r in results),
        crude_odds_ratio=float(crude) if crude is not None else math.nan,
    )


def reconstruction_summary(
    inputs: ReconstructionInputs,
    chosen: Mapping[str, ThreeWayTable],
    n_feasible: Mapping[str, int],
    stage: StageAdjustment,
    *,
    seed: int,
) -> dict:
    """A JSON-serialisable account of a reconstruction (``reconstruction.json``).

    3-way tables are written as ``counts[level][mc][metastasis]`` (index 0 = negative).
    """
    def nested(t: ThreeWayTable) -> list:
        return [[list(r) for r in lv] for lv in t.counts]

    return {
        "about": (
            "Reconstruction, NOT real patients: one 81-patient data set whose cross-tabulations reproduce "
            "Tables 2 and 3 and the microcalcification x metastasis table of Yulian et al. "
            "3-way tables are counts[level][mc][metastasis], index 0 = negative."
        ),
        "seed": seed,
        "feasible": True,
        "choices": list(inputs.choices),
        "n_feasible_three_way_tables": dict(n_feasible),
        "n_feasible_combinations": math.prod(n_feasible.values()),
        "chosen_three_way_tables": {v: {"levels": list(t.levels), "counts": nested(t)} for v, t in chosen.items()},
        "stage_adjusted_mantel_haenszel": [
            {"stage_table": nested(t), "odds_ratio": round(o, 6), "ci95": [round(lo, 6), round(hi, 6)],
             "p_value": round(p, 6), "breslow_day_p": round(bd, 6)}
            for t, o, lo, hi, p, bd in zip(stage.tables, stage.mh_odds_ratios, stage.mh_ci_low, stage.mh_ci_high,
                                           stage.mh_p_values, stage.breslow_day_p)
        ],
        "crude_odds_ratio": round(stage.crude_odds_ratio, 6),
        "odds_ratio_range": [round(stage.or_min, 6), round(stage.or_max, 6)],
        "n_ci_excluding_1": stage.n_significant,
    }
