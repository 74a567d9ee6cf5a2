"""Tables 1–3 of the paper, computed from patient records, as CSV / Markdown / HTML.

* Table 1 — characteristics by bone-metastasis group (positive, negative,
  total) with column percentages. The paper's header says "Microcalcification"
  but its counts are the metastasis groups (see ``cohort reproduce``); this
  module labels the groups by what they are.
* Table 2 — each variable by microcalcification (negative, positive), with the
  odds ratio, its 95 % CI and the p-value of the test the SPSS rule picks.
* Table 3 — each variable, and microcalcification, by bone metastasis.

Orientation as the paper prints it: rows are the variable's levels in the
order below, columns the group's negative then positive level, and the odds
ratio of a two-level variable is ``ad / bc`` of that 2 x 2 table
(:func:`cohort.stats.analyze_2x2`). Variables with more levels get no single
odds ratio (N/A) and an R x C test (:func:`cohort.stats.analyze_rxc`).

Missing values are left out per variable, as SPSS's crosstabs does; the number
left out is in the ``note`` column.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from calcdetect.csvtext import write_frame_csv
from cohort.stats import analyze_2x2, analyze_rxc

__all__ = [
    "StudyTable",
    "LEVELS",
    "LABELS",
    "VARIABLE_LABELS",
    "HISTOPATHOLOGY_ORDER",
    "TABLE_COLUMNS",
    "table1",
    "table2",
    "table3",
    "association_table",
    "to_markdown",
    "to_html",
]

logger = logging.getLogger(__name__)

#: Canonical levels of each variable in the paper's row order.
LEVELS: dict[str, tuple[str, ...]] = {
    "age_group": ("<=50", ">50"),
    "bmi_group": ("<=30", ">30"),
    "menopausal_status": ("premenopause", "postmenopause"),
    "stage": ("in_situ_early", "locally_advanced"),
    "ihc_subtype": ("luminal_a", "luminal_b", "her2", "triple_negative"),
    "histology": ("non_invasive", "invasive"),
    "microcalcification": ("negative", "positive"),
    "bone_metastasis": ("negative", "positive"),
}

#: Labels as the paper prints them.
LABELS: dict[str, str] = {
    "<=50": "≤ 50 years",
    ">50": "> 50 years",
    "<=30": "≤ 30",
    ">30": "> 30",
    "premenopause": "Premenopause",
    "postmenopause": "Postmenopause",
    "in_situ_early": "In situ & early",
    "locally_advanced": "Locally advanced",
    "luminal_a": "Luminal A",
    "luminal_b": "Luminal B",
    "her2": "HER2",
    "triple_negative": "Triple negative",
    "non_invasive": "Non-invasive",
    "invasive": "Invasive",
    "negative": "Negative",
    "positive": "Positive",
}

VARIABLE_LABELS: dict[str, str] = {
    "age_group": "Age group",
    "bmi_group": "BMI group",
    "menopausal_status": "Menopausal status",
    "stage": "Cancer stage",
    "ihc_subtype": "Immunohistochemistry",
    "histology": "Histology",
    "histology_detail": "Histopathology",
    "microcalcification": "Microcalcification",
    "bone_metastasis": "Bone metastasis",
}

#: Histopathology types in the order of the paper's Table 1 (other types follow, sorted).
HISTOPATHOLOGY_ORDER: tuple[str, ...] = (
    "DCIS", "NST", "Papillary Invasive", "Mucinosum invasive", "Lobular invasive",
    "Undifferentiated", "Cystic adenoid", "Cribriform", "Medullary invasive",
)

_ASSOCIATION_VARIABLES = ("age_group", "bmi_group", "menopausal_status", "stage", "ihc_subtype", "histology")

#: Columns of table1.csv / table2.csv / table3.csv, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "table",
    "group",
    "variable",
    "level",
    "n_negative",
    "n_positive",
    "n_total",
    "pct_negative",
    "pct_positive",
    "pct_total",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "test",
    "note",
)


@dataclass(frozen=True)
class StudyTable:
    """One of the paper's tables computed from records.

    Attributes
    ----------
    name : str
        ``"table1"``, ``"table2"`` or ``"table3"``.
    title : str
    group : str
        The column variable (``"bone_metastasis"`` or the microcalcification column).
    group_label : str
        How the group is printed.
    group_sizes : (int, int)
        Patients in the negative and positive group (non-missing group value).
    rows : DataFrame
        One row per variable level, columns :data:`TABLE_COLUMNS`; the per-variable
        statistics (``odds_ratio`` ... ``test``) are repeated on every level row of
        that variable so that any row can be read on its own.
    """

    name: str
    title: str
    group: str
    group_label: str
    group_sizes: tuple[int, int]
    rows: pd.DataFrame

    def to_csv(self, path) -> None:
        """Write :attr:`rows` as CSV (floats in full precision)."""
        write_frame_csv(self.rows, path)

    def variable(self, name: str) -> pd.DataFrame:
        """The rows of one variable."""
        return self.rows[self.rows["variable"] == name]


def _check_levels(df: pd.DataFrame, column: str, levels: Sequence[str]) -> pd.Series:
    if column not in df.columns:
        raise ValueError(f"records have no column {column!r}; columns are {list(df.columns)!r}")
    values = df[column]
    bad = sorted({str(v) for v in values.dropna()} - set(levels))
    if bad:
        raise ValueError(f"column {column!r} holds values outside {list(levels)!r}: {bad!r}")
    return values


def _crosstab(df: pd.DataFrame, variable: str, group: str, levels: Sequence[str]) -> tuple[list[list[int]], int]:
    var = _check_levels(df, variable, levels)
    grp = _check_levels(df, group, LEVELS["bone_metastasis"])
    ok = var.notna() & grp.notna()
    counts = [[int(((var == lv) & (grp == g) & ok).sum()) for g in ("negative", "positive")] for lv in levels]
    return counts, int((~ok & grp.notna()).sum())


def _stats(counts: list[list[int]], variable: str) -> dict[str, object]:
    """OR / CI / p / test of one variable's table; empty fields with a note where none exists."""
    kept = [r for r in counts if sum(r) > 0]
    out: dict[str, object] = {"odds_ratio": None, "ci_low": None, "ci_high": None, "p_value": None, "test": ""}
    notes = []
    if len(kept) < len(counts):
        notes.append(f"{len(counts) - len(kept)} empty level(s) left out of the test")
    if len(kept) < 2 or any(sum(col) == 0 for col in zip(*kept)):
        notes.append("no test: the variable or the group is constant in these data")
        out["note"] = "; ".join(notes)
        return out
    if len(kept) == 2:
        r = analyze_2x2(kept, rule="spss")
        o = r.odds_ratio
        out.update(odds_ratio=o.estimate, ci_low=o.ci_low, ci_high=o.ci_high, p_value=r.reported_p, test=r.reported_test)
        if o.estimate is None:
            notes.append("OR N/A: a zero cell (no correction applied)")
        if len(counts) > 2:
            notes.append("odds ratio of the two non-empty levels")
    else:
        r = analyze_rxc(kept, rule="spss")
        out.update(p_value=r.reported_p, test=r.reported_test)
        notes.append(f"OR N/A: {len(kept)} levels")
    out["note"] = "; ".join(notes)
    return out


def association_table(
    df: pd.DataFrame,
    *,
    group: str,
    variables: Sequence[str],
    name: str,
    title: str,
    group_label: str | None = None,
    with_stats: bool = True,
) -> StudyTable:
    """Levels x group counts of each variable with the odds ratio and the test the SPSS rule picks.

    Parameters
    ----------
    df : DataFrame
        One row per patient with canonical values (docs/cohort-records.md).
    group : str
        Binary column with values ``negative`` / ``positive`` (e.g. ``"bone_metastasis"``).
    variables : sequence of str
        Row variables, each with its levels in :data:`LEVELS` (``microcalcification``
        and ``bone_metastasis`` included); a column named like ``mc_detected`` holding
        negative/positive is accepted under ``LEVELS["microcalcification"]``.
    name, title, group_label : str
        Carried into the result.
    with_stats : bool
        ``False`` for a descriptive table (Table 1): counts and percentages only.

    Returns
    -------
    StudyTable
    """
    grp = _check_levels(df, group, LEVELS["bone_metastasis"])
    sizes = (int((grp == "negative").sum()), int((grp == "positive").sum()))
    records = []
    for variable in variables:
        levels = LEVELS.get(variable, LEVELS["microcalcification"])
        counts, n_missing = _crosstab(df, variable, group, levels)
        st = _stats(counts, variable) if with_stats else {"test": ""}
        note = str(st.pop("note", ""))
        if n_missing:
            note = "; ".join(x for x in (f"{n_missing} missing left out", note) if x)
        for lv, (neg, pos) in zip(levels, counts):
            records.append(
                {
                    "table": name,
                    "group": group,
                    "variable": variable,
                    "level": lv,
                    "n_negative": neg,
                    "n_positive": pos,
                    "n_total": neg + pos,
                    "pct_negative": _pct(neg, sum(c[0] for c in counts)),
                    "pct_positive": _pct(pos, sum(c[1] for c in counts)),
                    "pct_total": _pct(neg + pos, sum(map(sum, counts))),
                    **st,
                    "note": note,
                }
            )
    rows = pd.DataFrame(records, columns=list(TABLE_COLUMNS))
    return StudyTable(name, title, group, group_label or VARIABLE_LABELS.get(group, group), sizes, rows)


def _pct(count: int, total: int) -> float | None:
    return 100.0 * count / total if total else None


def table1(df: pd.DataFrame, *, mc_column: str = "microcalcification") -> StudyTable:
    """Table 1: characteristics by bone-metastasis group, with column percentages.

    Includes ``histology_detail`` (the paper's histopathology types) when the
    records have it, else ``histology``; and the microcalcification column.
    """
    variables = ["age_group", "bmi_group", "menopausal_status", "stage"]
    title = "Clinicopathological characteristics of patients, by bone metastasis"

    def part(names: list[str]) -> pd.DataFrame:
        return association_table(
            df, group="bone_metastasis", variables=names, name="table1", title=title, with_stats=False
        ).rows

    parts = [part(variables)]
    if "histology_detail" in df.columns and df["histology_detail"].notna().any():
        parts.append(_detail_rows(df))
    else:
        parts.append(part(["histology"]))
    parts.append(part(["ihc_subtype", mc_column]))
    rows = pd.concat(parts, ignore_index=True)
    t = association_table(df, group="bone_metastasis", variables=[], name="table1", title=title, with_stats=False)
    return StudyTable("table1", t.title, "bone_metastasis", VARIABLE_LABELS["bone_metastasis"], t.group_sizes, rows)


def _detail_rows(df: pd.DataFrame) -> pd.DataFrame:
    grp = df["bone_metastasis"]
    detail = df["histology_detail"]
    seen = set(detail.dropna().astype(str))
    order = [t for t in HISTOPATHOLOGY_ORDER if t in seen] + sorted(seen - set(HISTOPATHOLOGY_ORDER))
    n_neg = int(((grp == "negative") & detail.notna()).sum())
    n_pos = int(((grp == "positive") & detail.notna()).sum())
    records = []
    for lv in order:
        neg = int(((detail == lv) & (grp == "negative")).sum())
        pos = int(((detail == lv) & (grp == "positive")).sum())
        records.append(
            {
                "table": "table1", "group": "bone_metastasis", "variable": "histology_detail", "level": lv,
                "n_negative": neg, "n_positive": pos, "n_total": neg + pos,
                "pct_negative": _pct(neg, n_neg), "pct_positive": _pct(pos, n_pos),
                "pct_total": _pct(neg + pos, n_neg + n_pos), "test": "", "note": "",
            }
        )
    return pd.DataFrame(records, columns=list(TABLE_COLUMNS))


def table2(df: pd.DataFrame, *, mc_column: str = "microcalcification") -> StudyTable:
    """Table 2: each clinicopathological variable by microcalcification."""
    return association_table(
        df, group=mc_column, variables=_ASSOCIATION_VARIABLES, name="table2",
        title="Association between clinicopathological characteristics and microcalcification",
        group_label="Microcalcification",
    )


def table3(df: pd.DataFrame, *, mc_column: str = "microcalcification") -> StudyTable:
    """Table 3: each variable, and microcalcification, by bone metastasis."""
    return association_table(
        df, group="bone_metastasis", variables=[*_ASSOCIATION_VARIABLES, mc_column], name="table3",
        title="Association between clinicopathological characteristics and bone metastasis",
        group_label="Bone metastasis",
    )


def _fmt(x: object, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return f"{float(x):.{digits}f}"


def _cells(table: StudyTable) -> tuple[list[str], list[list[str]]]:
    """Header and body rows in the paper's layout (shared by Markdown and HTML)."""
    neg_n, pos_n = table.group_sizes
    if table.name == "table1":
        header = ["Variables", f"{table.group_label} positive (n = {pos_n})",
                  f"{table.group_label} negative (n = {neg_n})", f"Total (n = {neg_n + pos_n}) n (%)"]
    else:
        header = ["Variables", f"{table.group_label} negative (n = {neg_n})",
                  f"{table.group_label} positive (n = {pos_n})", "OR (95% CI)", "p-value (test)"]
    body: list[list[str]] = []
    for variable, rows in table.rows.groupby("variable", sort=False):
        label = VARIABLE_LABELS.get(str(variable), f"Microcalcification ({variable})")
        body.append([f"**{label}**"] + [""] * (len(header) - 1))
        first = True
        for _, r in rows.iterrows():
            level = LABELS.get(str(r["level"]), str(r["level"]))
            if table.name == "table1":
                body.append([
                    level,
                    f"{r['n_positive']} ({_fmt(r['pct_positive'], 1)})",
                    f"{r['n_negative']} ({_fmt(r['pct_negative'], 1)})",
                    f"{r['n_total']} ({_fmt(r['pct_total'], 1)})",
                ])
                continue
            or_text = p_text = ""
            if first:
                if r["odds_ratio"] is None or pd.isna(r["odds_ratio"]):
                    or_text = "N/A"
                else:
                    or_text = f"{_fmt(r['odds_ratio'])} ({_fmt(r['ci_low'])}-{_fmt(r['ci_high'])})"
                p_text = f"{_fmt(r['p_value'])} ({r['test']})" if r["test"] else "—"
            body.append([level, str(r["n_negative"]), str(r["n_positive"]), or_text, p_text])
            first = False
    return header, body


def to_markdown(table: StudyTable) -> str:
    """The table in the paper's layout as a Markdown (pipe) table with its title."""
    header, body = _cells(table)
    lines = [f"**{table.name.replace('table', 'Table ')}. {table.title}**", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
    notes = sorted({n for n in table.rows["note"].fillna("") if n})
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def to_html(table: StudyTable) -> str:
    """The table in the paper's layout as an HTML ``<table>`` with a caption."""
    header, body = _cells(table)
    out = [f'<table class="study-table" id="{table.name}">',
           f"<caption>{html.escape(table.name.replace('table', 'Table '))}. {html.escape(table.title)}</caption>",
           "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>", "<tbody>"]
    for row in body:
        if row[0].startswith("**"):
            out.append(f'<tr class="variable"><th colspan="{len(header)}">{html.escape(row[0].strip("*"))}</th></tr>')
        else:
            out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out) + "\n"
