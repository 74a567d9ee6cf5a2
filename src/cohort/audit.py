"""Internal-consistency audit of the paper: every number that does not follow, and why.

Every check of :mod:`cohort.reproduce` that fails on the printed numbers must be
explained. The audit searches for the smallest *corrections* of printed cells
that make failing checks agree without breaking ones that agree:

* relabel Table 1's group column headers as one of the groups of Tables 2/3
  (→ ``mislabelled_header``);
* swap two levels' rows of a variable (→ ``swapped_labels``);
* change one count so that a failing total / cross-table comparison holds
  (→ ``transcription_typo``);
* replace a printed percentage, statistic or number in the text by its
  recomputed value (→ ``rounding`` when it is one unit in the last printed
  decimal off, ``test_not_reproducible`` for a p-value no standard test gives,
  ``inconsistent_test`` for one given by a test other than the rule's,
  ``text_contradicts_table`` for the text, else ``transcription_typo``).

Greedy: each round applies the candidate with the largest net number of
checks it makes agree (ties: header, swap, count, single value), until nothing
fails; any failure left is reported as ``unexplained``. The transcription
itself is never edited: corrections live only in the audit's result.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from cohort.published import PublishedPaper
from cohort.vocabulary import StatTest
from cohort.reproduce import (
    CellId,
    Check,
    CheckResult,
    StatsCache,
    build_cells,
    build_checks,
    evaluate,
)

__all__ = ["Discrepancy", "AuditResult", "audit_paper", "audit_markdown", "audit_json", "write_audit", "KINDS"]

logger = logging.getLogger(__name__)

#: Kinds of error, most specific first (also the tie-break order of the search).
KINDS = (
    "mislabelled_header",
    "swapped_labels",
    "transcription_typo",
    "rounding",
    "inconsistent_test",
    "test_not_reproducible",
    "text_contradicts_table",
    "unexplained",
)
_MAX_ROUNDS = 50


@dataclass(frozen=True)
class Discrepancy:
    """A printed number (or label) that does not follow from the paper's own counts.

    Attributes
    ----------
    id : int
    kind : str
        One of :data:`KINDS`: the most likely kind of error.
    table, variable, level, quantity : str
        Where it is printed.
    printed, expected : object
        What the paper prints and what it should be.
    explanation : str
        In words, with the evidence.
    explains : tuple of str
        The ids of the checks (``comparison.csv``'s ``check_id``) that agree once corrected.
    affects_conclusion : bool
        True when the correction moves a p-value across the paper's 0.05.
    """

    id: int
    kind: str
    table: str
    variable: str
    level: str
    quantity: str
    printed: object
    expected: object
    explanation: str
    explains: tuple[str, ...]
    affects_conclusion: bool


@dataclass(frozen=True)
class AuditResult:
    """The audit of one paper."""

    n_checks: int
    n_agree_as_printed: int
    discrepancies: tuple[Discrepancy, ...]
    corrected_cells: Mapping[CellId, object]
    n_agree_after_corrections: int

    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.discrepancies:
            out[d.kind] = out.get(d.kind, 0) + 1
        return out


@dataclass(frozen=True)
class _Candidate:
    kind: str
    changes: tuple[tuple[CellId, object], ...]
    check: str = ""


class _Recorder(dict):
    """A dict that remembers which keys were read (to know what each check depends on)."""

    def __init__(self, data: Mapping) -> None:
        super().__init__(data)
        self.reads: set = set()

    def __getitem__(self, key):
        self.reads.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.reads.add(key)
        return super().get(key, default)


def _evaluate_one(check: Check, cells: Mapping, stats: StatsCache) -> tuple[CheckResult, set]:
    rec = _Recorder(cells)
    result = evaluate([check], rec, stats)[0]
    return result, rec.reads


def _is_count_cell(cell: CellId, value: object) -> bool:
    table, variable, _, column = cell
    return (
        table in ("table1", "table2", "table3") and variable != "" and isinstance(value, int)
        and column in ("0", "1", "2", "negative", "positive")
    )


def _candidates(paper: PublishedPaper, cells: Mapping, failing: list[tuple[CheckResult, set]]) -> list[_Candidate]:
    out: list[_Candidate] = []
    headers = [c.header for c in (*paper.table2_columns, *paper.table3_columns)]
    cur = [cells[("table1", "", "", f"header{j}")] for j in range(2)]
    for h0, h1 in itertools.product([cur[0], *headers], [cur[1], *headers]):
        if (h0, h1) != tuple(cur) and h0 != h1:
            changes = tuple((("table1", "", "", f"header{j}"), h) for j, h in enumerate((h0, h1)) if h != cur[j])
            out.append(_Candidate("mislabelled_header", changes))
    # swaps of two levels' rows, for the variables that have failing checks
    seen_vars: set[tuple[str, str]] = set()
    for result, reads in failing:
        for table, variable, _, _ in reads:
            if table in ("table1", "table2", "table3") and variable:
                seen_vars.add((table, variable))
    for table, variable in sorted(seen_vars):
        keys = [k for k in cells if k[0] == table and k[1] == variable and k[2]]
        levels = list(dict.fromkeys(k[2] for k in keys))
        for a, b in itertools.combinations(levels, 2):
            changes = []
            for k in keys:
                if k[2] in (a, b):
                    other = (table, variable, b if k[2] == a else a, k[3])
                    if other in cells:
                        changes.append((k, cells[other]))
            out.append(_Candidate("swapped_labels", tuple(changes)))
    for result, reads in failing:
        ch, p, r = result.check, result.printed, result.recomputed
        numeric = isinstance(r, (int, float)) and not (isinstance(r, float) and math.isnan(r))
        if ch.printed_cell is not None and numeric:
            value = int(round(r)) if ch.decimals is None else round(float(r), ch.decimals)
            out.append(_Candidate("value", ((ch.printed_cell, value),), ch.id))
        if numeric and isinstance(p, (int, float)) and ch.decimals is None:
            diff = int(round(p - r))
            for cell in sorted(reads):
                v = cells.get(cell)
                if _is_count_cell(cell, v):
                    for new in (v + diff, v - diff):
                        if new >= 0 and new != v:
                            out.append(_Candidate("count", ((cell, new),), ch.id))
    return out


_PRIORITY = {"mislabelled_header": 0, "swapped_labels": 1, "count": 2, "value": 3}


def audit_paper(paper: PublishedPaper) -> AuditResult:
    """Find and diagnose every number of the paper that does not follow from its own counts.

    Parameters
    ----------
    paper : PublishedPaper
        From :func:`cohort.published.load_published`.

    Returns
    -------
    AuditResult
    """
    checks = build_checks(paper)
    stats = StatsCache()
    printed_cells = build_cells(paper)
    cells = dict(printed_cells)
    state = {ch.id: _evaluate_one(ch, cells, stats) for ch in checks}
    by_id = {ch.id: ch for ch in checks}
    n_agree_printed = sum(r.agrees for r, _ in state.values())
    discrepancies: list[Discrepancy] = []
    for _ in range(_MAX_ROUNDS):
        failing = [state[c.id] for c in checks if not state[c.id][0].agrees]
        if not failing:
            break
        best = None
        for order, cand in enumerate(_candidates(paper, cells, failing)):
            changed = {k for k, _ in cand.changes}
            trial = {**cells, **dict(cand.changes)}
            fixed, broken = [], []
            for cid, (res, reads) in state.items():
                if reads & changed:
                    new, _ = _evaluate_one(by_id[cid], trial, stats)
                    if new.agrees and not res.agrees:
                        fixed.append(cid)
                    elif res.agrees and not new.agrees:
                        broken.append(cid)
            score = len(fixed) - len(broken)
            key = (score, -_PRIORITY[cand.kind], -len(cand.changes), -order)
            if score > 0 and (best is None or key > best[0]):
                best = (key, cand, fixed, broken)
        if best is None:
            break
        _, cand, fixed, broken = best
        before = dict(cells)
        cells.update(dict(cand.changes))
        for cid in state:
            if state[cid][1] & {k for k, _ in cand.changes}:
                state[cid] = _evaluate_one(by_id[cid], cells, stats)
        discrepancies.append(
            _describe(len(discrepancies) + 1, cand, before, cells, fixed, broken, by_id, stats, paper, printed_cells)
        )
    for cid, (res, _) in state.items():
        if not res.agrees:
            ch = res.check
            discrepancies.append(Discrepancy(
                len(discrepancies) + 1, "unexplained", ch.table, ch.variable, ch.level, ch.quantity, res.printed,
                res.recomputed, f"no single correction explains this ({ch.basis})", (cid,), False,
            ))
    return AuditResult(
        n_checks=len(checks),
        n_agree_as_printed=n_agree_printed,
        discrepancies=tuple(discrepancies),
        corrected_cells={k: v for k, v in cells.items() if printed_cells.get(k) != v},
        n_agree_after_corrections=sum(r.agrees for r, _ in state.values()),
    )


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def _describe(
    number: int, cand: _Candidate, before: Mapping, after: Mapping, fixed: list[str], broken: list[str],
    by_id: Mapping[str, Check], stats: StatsCache, paper: PublishedPaper, printed_cells: Mapping,
) -> Discrepancy:
    (first_cell, first_new), *_ = cand.changes
    table, variable, level, column = first_cell
    old = before[first_cell]
    n_fixed = f"{len(fixed)} check(s) agree once corrected: {', '.join(fixed)}"
    if broken:
        n_fixed += f"; it contradicts {', '.join(broken)} (explained separately)"
    affects = False
    if cand.kind == "mislabelled_header":
        olds = [str(before[c]) for c, _ in cand.changes]
        news = [str(v) for _, v in cand.changes]
        kind, quantity = "mislabelled_header", "column headers"
        printed, expected = "; ".join(olds), "; ".join(news)
        text = (f"Table 1's group columns are headed {olds} but their sizes and counts are those of the groups "
                f"{news} of Tables 2/3. {n_fixed}.")
        variable = level = ""
    elif cand.kind == "swapped_labels":
        levels = list(dict.fromkeys(c[2] for c, _ in cand.changes))
        kind, quantity = "swapped_labels", "row labels"
        printed = "; ".join(f"{lv}: {_row_counts(table, variable, lv, before)}" for lv in levels)
        expected = "; ".join(f"{lv}: {_row_counts(table, variable, lv, after)}" for lv in levels)
        level = " / ".join(levels)
        text = (f"{table} {variable}: the rows {levels[0]!r} and {levels[1]!r} hold each other's counts "
                f"(printed {printed}; should be {expected}). {n_fixed}.")
    else:
        printed, expected = old, first_new
        quantity = "count" if cand.kind == "count" else by_id[cand.check].quantity
        column_label = _column_label(table, column, before)
        if table == "text":
            kind = "text_contradicts_table"
            claim = paper.text_claims[int(variable)]
            table, variable, level = f"text ({claim.where})", by_id[cand.check].variable, ""
            text = (f"The text says {old} where the tables give {first_new} ({by_id[cand.check].basis}). "
                    + _same_value_elsewhere(old, variable, printed_cells) + n_fixed + ".")
        elif column == "p_value":
            kind, text, affects = _p_value_story(table, variable, old, first_new, after, stats, paper)
            text += f" {n_fixed}."
        elif column.startswith("pct"):
            unit = 10.0 ** -(by_id[cand.check].decimals or 0)
            exact = by_id[cand.check].recomputed(before, stats)
            kind = "rounding" if abs(float(old) - float(first_new)) <= unit + 1e-9 else "transcription_typo"
            text = f"{_fmt(exact)} % rounds to {_fmt(first_new)}, printed {_fmt(old)}. " + _sum_to_100(
                table, variable, column, before, unit) + n_fixed + "."
        else:
            kind = "transcription_typo"
            text = (f"{table} {variable} {level!r} ({column_label}) is printed {_fmt(old)}; the other numbers imply "
                    f"{_fmt(first_new)}. {n_fixed}.")
            if cand.kind == "count" and table != "table1" and variable:
                text += " The printed odds ratio, CI and p-value were computed from the corrected count."  \
                    if any(f.endswith(f".{variable}") and ("odds_ratio" in f or "p_value" in f) for f in fixed) else ""
    return Discrepancy(number, kind, table, variable, level, quantity, printed, expected, text, tuple(fixed), affects)


def _row_counts(table: str, variable: str, level: str, cells: Mapping) -> str:
    cols = ("0", "1", "2") if table == "table1" else ("negative", "positive")
    return "/".join(str(cells[(table, variable, level, c)]) for c in cols if (table, variable, level, c) in cells)


def _column_label(table: str, column: str, cells: Mapping) -> str:
    if table == "table1" and column in ("0", "1", "2"):
        return "Total column" if column == "2" else f"column headed {cells[('table1', '', '', 'header' + column)]!r}"
    if column in ("negative", "positive"):
        return f"column {cells.get((table, '', '', 'header_' + column), column)!r}"
    return column


def _same_value_elsewhere(value: object, variable: str, cells: Mapping) -> str:
    hits = [k for k, v in cells.items() if k[0] == "table1" and k[1] == variable and v == value and k[3] in ("0", "1")]
    if not hits:
        return ""
    where = ", ".join(f"Table 1 {k[1]} {k[2]!r} in the column headed {cells[('table1', '', '', 'header' + k[3])]!r}"
                      for k in hits)
    return f"{value} is what {where} prints as published, so the text repeats Table 1's labels. "


def _sum_to_100(table: str, variable: str, column: str, cells: Mapping, unit: float) -> str:
    pcts = [v for k, v in cells.items() if k[0] == table and k[1] == variable and k[3] == column]
    total = round(sum(pcts), 6)
    if abs(total - 100.0) < 1e-6:
        return f"The printed percentages of this column sum to exactly {total:g} %: likely adjusted by hand to make 100 %. "
    return ""


def _p_value_story(table, variable, old, new, cells, stats, paper) -> tuple[str, str, bool]:
    from cohort.reproduce import _counts  # the same counts the check used

    levels = paper.association(table, variable).levels
    result = stats(_counts(cells, table, variable, levels))
    alts = {StatTest.PEARSON: result.pearson_p, StatTest.LIKELIHOOD_RATIO: result.likelihood_ratio_p}
    if hasattr(result, "fisher_p"):
        alts.update({StatTest.YATES: result.yates_p, StatTest.FISHER: result.fisher_p})
    else:
        alts[StatTest.FISHER_FREEMAN_HALTON] = result.fisher_freeman_halton_p
    listing = ", ".join(f"{k} {v:.4f}" for k, v in alts.items())
    alpha = paper.significance_level
    affects = (float(old) < alpha) != (float(new) < alpha)
    same = [k for k, v in alts.items() if abs(v - float(old)) <= 0.0005 + 1e-9]
    if same:
        kind = "inconsistent_test"
        text = f"{table} {variable}: p {_fmt(old)} is the {same[0]} test, not the {result.reported_test} test the rule picks ({_fmt(new)})."
    else:
        kind = "test_not_reproducible"
        text = (f"{table} {variable}: printed p {_fmt(old)} is not given by any standard test of the printed counts "
                f"({listing}); the rule's {result.reported_test} test gives {new:.3f}.")
    if affects:
        text += (f" This changes the conclusion at alpha = {alpha}: the association is "
                 f"{'significant' if float(new) < alpha else 'not significant'}.")
    return kind, text, affects


def _jsonable(v: object) -> object:
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def audit_json(result: AuditResult) -> dict:
    """The audit as a JSON-serialisable dict (``audit.json``)."""
    return {
        "n_checks": result.n_checks,
        "n_agree_as_printed": result.n_agree_as_printed,
        "n_agree_after_corrections": result.n_agree_after_corrections,
        "n_discrepancies": len(result.discrepancies),
        "by_kind": result.by_kind(),
        "discrepancies": [
            {k: (list(v) if isinstance(v, tuple) else _jsonable(v)) for k, v in asdict(d).items()}
            for d in result.discrepancies
        ],
    }


def audit_markdown(result: AuditResult) -> str:
    """The audit as Markdown (``audit.md``)."""
    kinds = ", ".join(f"{k}: {n}" for k, n in result.by_kind().items())
    lines = [
        "# Audit of the published numbers",
        "",
        f"{result.n_checks} printed numbers checked against the paper's own counts; "
        f"{result.n_agree_as_printed} agree as printed, {result.n_checks - result.n_agree_as_printed} do not.",
        f"{len(result.discrepancies)} discrepancies explain them ({kinds}); after the corrections below, "
        f"{result.n_agree_after_corrections} of {result.n_checks} checks agree. "
        "The transcription is not edited; see comparison.csv for every check.",
        "",
        "| # | kind | where | printed | should be | changes a conclusion |",
        "|---|---|---|---|---|---|",
    ]
    for d in result.discrepancies:
        where = " ".join(x for x in (d.table, d.variable, d.level, d.quantity) if x)
        lines.append(f"| {d.id} | {d.kind} | {where} | {_fmt(d.printed)} | {_fmt(d.expected)} | {'yes' if d.affects_conclusion else 'no'} |")
    lines += ["", "## Details", ""]
    for d in result.discrepancies:
        lines += [f"{d.id}. **{d.kind}** — {d.explanation}", ""]
    return "\n".join(lines) + "\n"


def write_audit(result: AuditResult, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``audit.md`` and ``audit.json`` into ``out_dir``; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / "audit.md", out / "audit.json"
    md.write_text(audit_markdown(result), encoding="utf-8")
    js.write_text(json.dumps(audit_json(result), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return md, js
