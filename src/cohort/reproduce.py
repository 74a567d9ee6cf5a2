"""Recompute every number the paper prints from its own counts (``comparison.csv``).

The paper's printed numbers become a flat mapping of *cells*
``(table, variable, level, column) -> value`` (counts, percentages, stated
group sizes, column headers, odds ratios, CIs, p-values, numbers in the text).
A :class:`Check` recomputes one printed number from other cells — a
percentage from its count and group size, a total from its parts, an odds
ratio / CI / p-value from the 2 x 2 (or R x C) counts with
:mod:`cohort.stats`, a Table 1 count from the Table 2 or 3 group its column
header names, a number in the text from the tables — and compares at the
printed precision (counts exactly; a percentage to the decimals printed; odds
ratios, CIs and p-values to the three decimals the paper prints).

Checks are functions of the cells, so :mod:`cohort.audit` can ask "which
checks would agree if this cell were different?" to diagnose each failure.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from cohort.published import VARIABLES, PublishedPaper, histology_of
from cohort.stats import analyze_2x2, analyze_rxc

__all__ = [
    "CellId",
    "Check",
    "CheckResult",
    "StatsCache",
    "build_cells",
    "build_checks",
    "evaluate",
    "compare_paper",
    "comparison_frame",
    "group_of_header",
    "COMPARISON_COLUMNS",
    "STAT_DECIMALS",
]

logger = logging.getLogger(__name__)

#: (table, variable, level, column)
CellId = tuple[str, str, str, str]

#: Decimals the paper prints for odds ratios, CI limits and p-values (Tables 2, 3 and the text).
STAT_DECIMALS = 3

COMPARISON_COLUMNS = (
    "table", "variable", "quantity", "printed", "recomputed", "agrees", "level", "group", "decimals", "basis", "check_id",
)

_GROUPS = ("negative", "positive")
_ASSOC = ("table2", "table3")


class StatsCache:
    """Memoised :func:`analyze_2x2` / :func:`analyze_rxc` by table (the audit re-evaluates checks often)."""

    def __init__(self) -> None:
        self._cache: dict[tuple, object] = {}

    def __call__(self, counts: tuple[tuple[int, ...], ...]):
        if counts not in self._cache:
            try:
                if len(counts) == 2:
                    self._cache[counts] = analyze_2x2(counts, rule="spss")
                else:
                    self._cache[counts] = analyze_rxc(counts, rule="spss")
            except ValueError as exc:  # e.g. a zero row: no test exists
                logger.debug("no test for %s: %s", counts, exc)
                self._cache[counts] = None
        return self._cache[counts]


@dataclass(frozen=True)
class Check:
    """One printed number and how to recompute it from other printed numbers.

    ``printed(cells)`` and ``recomputed(cells, stats)`` return numbers (or
    ``None`` for N/A); ``printed_cell`` is the cell holding the printed number
    when it is a single cell (so the audit can propose a corrected value).
    """

    id: str
    table: str
    variable: str
    level: str
    group: str
    quantity: str
    decimals: int | None
    basis: str
    printed: Callable[[Mapping[CellId, object]], object]
    recomputed: Callable[[Mapping[CellId, object], StatsCache], object]
    printed_cell: CellId | None = None


@dataclass(frozen=True)
class CheckResult:
    """A check evaluated on a set of cells."""

    check: Check
    printed: object
    recomputed: object
    agrees: bool


def _agrees(printed: object, recomputed: object, decimals: int | None) -> bool:
    if printed is None or recomputed is None:
        return printed is None and recomputed is None
    if isinstance(printed, str) or isinstance(recomputed, str):
        return printed == recomputed
    p, r = float(printed), float(recomputed)
    if math.isnan(r):
        return False
    if decimals is None:  # counts: exact
        return p == r
    return abs(p - r) <= 0.5 * 10.0 ** (-decimals) + 1e-9


def build_cells(paper: PublishedPaper) -> dict[CellId, object]:
    """Every printed number of the paper as a cell (see module docstring)."""
    cells: dict[CellId, object] = {}
    for j, col in enumerate(paper.table1_columns):
        cells[("table1", "", "", f"header{j}")] = col.header
        cells[("table1", "", "", f"n{j}")] = col.n
    for row in paper.table1:
        for j, (count, pct) in enumerate(zip(row.counts, row.percents)):
            cells[("table1", row.variable, row.level, str(j))] = count
            cells[("table1", row.variable, row.level, f"pct{j}")] = pct
    for name, cols, rows in (("table2", paper.table2_columns, paper.table2), ("table3", paper.table3_columns, paper.table3)):
        for g, col in zip(_GROUPS, cols):
            cells[(name, "", "", f"header_{g}")] = col.header
            cells[(name, "", "", f"n_{g}")] = col.n
        for row in rows:
            for level, counts in zip(row.levels, row.counts):
                for g, count in zip(_GROUPS, counts):
                    cells[(name, row.variable, level, g)] = count
            cells[(name, row.variable, "", "odds_ratio")] = row.odds_ratio
            cells[(name, row.variable, "", "ci_low")] = None if row.ci95 is None else row.ci95[0]
            cells[(name, row.variable, "", "ci_high")] = None if row.ci95 is None else row.ci95[1]
            cells[(name, row.variable, "", "p_value")] = row.p_value
    for i, claim in enumerate(paper.text_claims):
        for key, value in claim.values.items():
            if isinstance(value, list):
                cells[("text", str(i), f"{key}_low", "")] = value[0]
                cells[("text", str(i), f"{key}_high", "")] = value[1]
            else:
                cells[("text", str(i), key, "")] = value
    return cells


def group_of_header(header: str) -> tuple[str, str]:
    """``"Microcalcification Positive"`` -> ``("microcalcification", "positive")``; metastasis likewise."""
    text = header.casefold()
    var = "microcalcification" if "microcalcification" in text else "bone_metastasis" if "metasta" in text else ""
    level = "positive" if "positive" in text else "negative" if "negative" in text else ""
    if not var or not level:
        raise ValueError(f"cannot tell which group the column header {header!r} names")
    return var, level


def _source(group_var: str) -> str:
    return "table2" if group_var == "microcalcification" else "table3"


def build_checks(paper: PublishedPaper) -> list[Check]:
    """All checks of Tables 1–3 and the text claims, in a stable order."""
    checks: list[Check] = []
    checks += _table1_checks(paper)
    checks += _association_checks(paper)
    checks += _text_checks(paper)
    return checks


def _levels_of(paper: PublishedPaper, variable: str) -> tuple[str, ...]:
    return tuple(r.level for r in paper.table1 if r.variable == variable)


def _table1_checks(paper: PublishedPaper) -> list[Check]:
    out: list[Check] = []
    t1_vars = list(dict.fromkeys(r.variable for r in paper.table1))
    heads = [f"{c.header} (n={c.n}) as printed" for c in paper.table1_columns]
    for row in paper.table1:
        v, lv = row.variable, row.level
        for j in range(3):
            count, n = ("table1", v, lv, str(j)), ("table1", "", "", f"n{j}")
            out.append(Check(
                f"t1.pct.{v}.{lv}.{j}", "table1", v, lv, heads[j], "percent", row.percent_decimals[j],
                "100 x count / column n",
                printed=lambda c, k=("table1", v, lv, f"pct{j}"): c[k],
                recomputed=lambda c, s, a=count, b=n: 100.0 * c[a] / c[b],
                printed_cell=("table1", v, lv, f"pct{j}"),
            ))
        out.append(Check(
            f"t1.row_total.{v}.{lv}", "table1", v, lv, heads[2], "row total", None, "sum of the two group columns",
            printed=lambda c, k=("table1", v, lv, "2"): c[k],
            recomputed=lambda c, s, a=("table1", v, lv, "0"), b=("table1", v, lv, "1"): c[a] + c[b],
            printed_cell=("table1", v, lv, "2"),
        ))
    for v in t1_vars:
        levels = _levels_of(paper, v)
        for j in range(3):
            out.append(Check(
                f"t1.col_sum.{v}.{j}", "table1", v, "", heads[j], "column sum vs stated n", None, "sum of the levels",
                printed=lambda c, k=("table1", "", "", f"n{j}"): c[k],
                recomputed=lambda c, s, ks=tuple(("table1", v, lv, str(j)) for lv in levels): sum(c[k] for k in ks),
                printed_cell=("table1", "", "", f"n{j}"),
            ))
    for j in range(2):
        out.append(Check(
            f"t1.header_n.{j}", "table1", "", "", heads[j], "stated n vs the group its header names", None,
            "n of that group in Table 2 (microcalcification) or Table 3 (metastasis)",
            printed=lambda c, k=("table1", "", "", f"n{j}"): c[k],
            recomputed=lambda c, s, j=j: _group_n(c, c[("table1", "", "", f"header{j}")]),
            printed_cell=("table1", "", "", f"n{j}"),
        ))
    # Table 1 group columns against the group their header names, level by level.
    for v in t1_vars:
        for lv, parts in _collapsed_levels(paper, v).items():
            for j in range(2):
                keys = tuple(("table1", v, p, str(j)) for p in parts)
                target = "histology" if v == "histopathology" else v
                out.append(Check(
                    f"t1.vs_group.{target}.{lv}.{j}", "table1", target, lv, heads[j],
                    "count vs the same group in Table 2/3", None,
                    "the count of the group named by the column header, from Table 2 or 3",
                    printed=lambda c, ks=keys: sum(c[k] for k in ks),
                    recomputed=lambda c, s, j=j, t=target, lv=lv: _group_count(c, c[("table1", "", "", f"header{j}")], t, lv),
                    printed_cell=keys[0] if len(keys) == 1 else None,
                ))
            for name in _ASSOC:
                keys = tuple(("table1", v, p, "2") for p in parts)
                target = "histology" if v == "histopathology" else v
                if target == "microcalcification" and name == "table2":
                    recompute = lambda c, s, lv=lv: c[("table2", "", "", f"n_{lv}")]  # noqa: E731
                    basis = "Table 2's stated microcalcification group size"
                else:
                    recompute = lambda c, s, n=name, t=target, lv=lv: sum(c[(n, t, lv, g)] for g in _GROUPS)  # noqa: E731
                    basis = f"row total of {name}"
                out.append(Check(
                    f"t1.total_vs_{name}.{target}.{lv}", "table1", target, lv, "total", f"total vs {name}", None, basis,
                    printed=lambda c, ks=keys: sum(c[k] for k in ks),
                    recomputed=recompute,
                    printed_cell=keys[0] if len(keys) == 1 else None,
                ))
    return out


def _collapsed_levels(paper: PublishedPaper, variable: str) -> dict[str, tuple[str, ...]]:
    """Table 1 levels grouped as Tables 2/3 have them (histopathology -> non-invasive/invasive)."""
    levels = _levels_of(paper, variable)
    if variable != "histopathology":
        return {lv: (lv,) for lv in levels}
    out: dict[str, list[str]] = {"non_invasive": [], "invasive": []}
    for lv in levels:
        out[histology_of(lv)].append(lv)
    return {k: tuple(v) for k, v in out.items()}


def _group_n(cells: Mapping[CellId, object], header: object) -> object:
    try:
        gvar, glevel = group_of_header(str(header))
    except ValueError:
        return None
    return cells[(_source(gvar), "", "", f"n_{glevel}")]


def _group_count(cells: Mapping[CellId, object], header: object, variable: str, level: str) -> object:
    try:
        gvar, glevel = group_of_header(str(header))
    except ValueError:
        return None
    if gvar == "microcalcification" and variable == "microcalcification":
        # the microcalcification-positive group is, by definition, all microcalcification-positive
        return cells[("table2", "", "", f"n_{glevel}")] if level == glevel else 0
    return cells.get((_source(gvar), variable, level, glevel))


def _counts(cells: Mapping[CellId, object], table: str, variable: str, levels: tuple[str, ...]):
    return tuple(tuple(int(cells[(table, variable, lv, g)]) for g in _GROUPS) for lv in levels)


def _stat(result: object, quantity: str) -> object:
    if result is None:
        return math.nan
    if quantity == "p_value":
        return result.reported_p
    if not hasattr(result, "odds_ratio"):
        return None  # R x C: no single odds ratio (N/A)
    o = result.odds_ratio
    return {"odds_ratio": o.estimate, "ci_low": o.ci_low, "ci_high": o.ci_high}[quantity]


def _association_checks(paper: PublishedPaper) -> list[Check]:
    out: list[Check] = []
    for name, rows in (("table2", paper.table2), ("table3", paper.table3)):
        for row in rows:
            v, levels = row.variable, row.levels
            for g in _GROUPS:
                out.append(Check(
                    f"{name[0]}{name[-1]}.col_sum.{v}.{g}", name, v, "", g, "column sum vs stated n", None,
                    "sum of the levels",
                    printed=lambda c, k=(name, "", "", f"n_{g}"): c[k],
                    recomputed=lambda c, s, ks=tuple((name, v, lv, g) for lv in levels): sum(c[k] for k in ks),
                    printed_cell=(name, "", "", f"n_{g}"),
                ))
            for q in ("odds_ratio", "ci_low", "ci_high", "p_value"):
                basis = (
                    "ad/bc with Woolf (log) 95% CI" if q != "p_value"
                    else "SPSS rule: Fisher if an expected count < 5 else Yates (2x2); Pearson or Fisher-Freeman-Halton by Cochran's rule (RxC)"
                )
                out.append(Check(
                    f"{name[0]}{name[-1]}.{q}.{v}", name, v, "", "", q, STAT_DECIMALS, basis,
                    printed=lambda c, k=(name, v, "", q): c[k],
                    recomputed=lambda c, s, n=name, v=v, lv=levels, q=q: _stat(s(_counts(c, n, v, lv)), q),
                    printed_cell=(name, v, "", q),
                ))
        if name == "table3":
            for g in _GROUPS:
                out.append(Check(
                    f"t3.mc_row_vs_t2_n.{g}", "table3", "microcalcification", g, "total",
                    "microcalcification row total vs Table 2's stated group size", None, "Table 2 column n",
                    printed=lambda c, g=g: sum(c[("table3", "microcalcification", g, h)] for h in _GROUPS),
                    recomputed=lambda c, s, g=g: c[("table2", "", "", f"n_{g}")],
                ))
    for v in VARIABLES:
        r2 = paper.association("table2", v)
        for lv in r2.levels:
            out.append(Check(
                f"t2.total_vs_t3.{v}.{lv}", "table2", v, lv, "total", "row total vs table3", None,
                "row total of table3",
                printed=lambda c, v=v, lv=lv: sum(c[("table2", v, lv, g)] for g in _GROUPS),
                recomputed=lambda c, s, v=v, lv=lv: sum(c[("table3", v, lv, g)] for g in _GROUPS),
            ))
    return out


# Text claims: key -> (recompute from cells, basis, variable it is about)
def _t3(c, v, lv, g):
    return c[("table3", v, lv, g)]


def _mc_total(c, lv):
    return sum(_t3(c, "microcalcification", lv, g) for g in _GROUPS)


def _pct_all(variable: str, level: str):
    return lambda c, s: 100.0 * c[("table1", variable, level, "2")] / c[("table1", "", "", "n2")]


def _pct_metastasis(variable: str, level: str):
    return lambda c, s: 100.0 * _t3(c, variable, level, "positive") / c[("table3", "", "", "n_positive")]


_ALL = "Table 1 total column / n"
_MET = "Table 3, % of the metastasis group"
_MC = "microcalcification"

#: text claim key -> (recompute from cells, basis, the variable it is about)
_TEXT_SOURCES: dict[str, tuple[Callable, str, str]] = {
    "microcalcification_positive": (
        lambda c, s: _mc_total(c, "positive"), "Table 3 microcalcification-positive row total", _MC),
    "bone_metastasis_positive": (
        lambda c, s: sum(_t3(c, _MC, lv, "positive") for lv in _GROUPS),
        "Table 3 metastasis-positive column", "bone_metastasis"),
    "n": (lambda c, s: sum(_mc_total(c, lv) for lv in _GROUPS), "Table 3 microcalcification x metastasis total", ""),
    "microcalcification_positive_and_bone_metastasis_positive": (
        lambda c, s: _t3(c, _MC, "positive", "positive"), "Table 3 microcalcification + / metastasis +", _MC),
    "percent_of_metastasis_group": (_pct_metastasis(_MC, "positive"), _MET, _MC),
    "percent_age_over_50": (_pct_all("age_group", ">50"), _ALL, "age_group"),
    "percent_bmi_30_or_less": (_pct_all("bmi_group", "<=30"), _ALL, "bmi_group"),
    "percent_premenopausal": (_pct_all("menopausal_status", "premenopause"), _ALL, "menopausal_status"),
    "percent_locally_advanced": (_pct_all("stage", "locally_advanced"), _ALL, "stage"),
    "percent_nst": (_pct_all("histopathology", "NST"), _ALL, "histopathology"),
    "percent_luminal_b": (_pct_all("ihc_subtype", "luminal_b"), _ALL, "ihc_subtype"),
    "percent_microcalcification": (
        lambda c, s: 100.0 * _mc_total(c, "positive") / c[("table1", "", "", "n2")],
        "Table 3 microcalcification-positive total / n", _MC),
    "metastasis_group_percent_luminal_b": (_pct_metastasis("ihc_subtype", "luminal_b"), _MET, "ihc_subtype"),
    "metastasis_group_percent_luminal_a": (_pct_metastasis("ihc_subtype", "luminal_a"), _MET, "ihc_subtype"),
    "metastasis_group_percent_her2": (_pct_metastasis("ihc_subtype", "her2"), _MET, "ihc_subtype"),
    "metastasis_group_percent_premenopausal": (
        _pct_metastasis("menopausal_status", "premenopause"), _MET, "menopausal_status"),
}

# Which table row an odds ratio quoted in the text comes from (first phrase found in the claim).
_TEXT_STAT_SOURCES: tuple[tuple[str, str, str], ...] = (
    ("advanced stage and microcalcification", "table2", "stage"),
    ("advanced stage (or", "table3", "stage"),
    ("microcalcification (or", "table3", "microcalcification"),
)


def _text_checks(paper: PublishedPaper) -> list[Check]:
    out: list[Check] = []
    for i, claim in enumerate(paper.text_claims):
        source = next(((t, v) for phrase, t, v in _TEXT_STAT_SOURCES if phrase in claim.text.casefold()), None)
        for key, value in claim.values.items():
            keys = [f"{key}_low", f"{key}_high"] if isinstance(value, list) else [key]
            for k in keys:
                quantity = {"ci95_low": "ci_low", "ci95_high": "ci_high"}.get(k, k)
                if quantity in ("odds_ratio", "ci_low", "ci_high", "p_value") and source is not None:
                    t, v = source
                    levels = paper.association(t, v).levels
                    fn = lambda c, s, t=t, v=v, lv=levels, q=quantity: _stat(s(_counts(c, t, v, lv)), q)  # noqa: E731
                    basis, variable, decimals = f"recomputed from {t} {v} counts", v, STAT_DECIMALS
                elif key in _TEXT_SOURCES:
                    fn, basis, variable = _TEXT_SOURCES[key]
                    decimals = None if isinstance(value, int) and not key.startswith(("percent", "metastasis_group_percent")) \
                        else claim.decimals.get(key, 1)
                else:
                    logger.warning("text claim %r has no rule to recompute it", key)
                    fn, basis, variable, decimals = (lambda c, s: None), "no rule to recompute this claim", "", None
                out.append(Check(
                    f"text.{i}.{k}", "text", variable, k, claim.where, quantity, decimals,
                    f"{basis} — \"{claim.text}\"",
                    printed=lambda c, kk=("text", str(i), k, ""): c[kk],
                    recomputed=fn,
                    printed_cell=("text", str(i), k, ""),
                ))
    return out


def evaluate(checks: list[Check], cells: Mapping[CellId, object], stats: StatsCache | None = None) -> list[CheckResult]:
    """Evaluate checks on cells; a check that cannot be computed counts as not agreeing."""
    stats = stats or StatsCache()
    results = []
    for ch in checks:
        try:
            printed, recomputed = ch.printed(cells), ch.recomputed(cells, stats)
        except (KeyError, TypeError, ZeroDivisionError, ValueError) as exc:
            logger.debug("check %s cannot be computed: %s", ch.id, exc)
            printed, recomputed = cells.get(ch.printed_cell) if ch.printed_cell else None, math.nan
        results.append(CheckResult(ch, printed, recomputed, _agrees(printed, recomputed, ch.decimals)))
    return results


def compare_paper(paper: PublishedPaper) -> list[CheckResult]:
    """Every check of the paper evaluated on its printed numbers."""
    return evaluate(build_checks(paper), build_cells(paper))


def _display(value: object, decimals: int | None) -> object:
    if value is None:
        return "N/A"
    if isinstance(value, float) and math.isnan(value):
        return "not computable"
    if isinstance(value, (int, float)) and decimals is not None:
        return round(float(value), max(decimals, 3) + 1)
    return value


def comparison_frame(results: list[CheckResult]) -> pd.DataFrame:
    """``comparison.csv``: one row per printed number checked (columns :data:`COMPARISON_COLUMNS`)."""
    rows = [
        {
            "table": r.check.table,
            "variable": r.check.variable,
            "quantity": r.check.quantity,
            "printed": _display(r.printed, r.check.decimals),
            "recomputed": _display(r.recomputed, r.check.decimals),
            "agrees": r.agrees,
            "level": r.check.level,
            "group": r.check.group,
            "decimals": "" if r.check.decimals is None else r.check.decimals,
            "basis": r.check.basis,
            "check_id": r.check.id,
        }
        for r in results
    ]
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
