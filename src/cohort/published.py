"""The numbers the paper prints, loaded from the bundled verbatim transcription.

``cohort/data/published_tables.json`` is a byte-for-byte copy of
``paper/published_tables.json`` (Yulian et al., Tables 1–3 and key text
claims). Nothing here corrects a number: the point of :mod:`cohort.reproduce`
and :mod:`cohort.audit` is to find the ones that do not add up.

Two small pieces of domain knowledge live here because every consumer needs
them: the canonical names of the study variables and levels (Table 1 spells
them differently from Tables 2 and 3), and the rule that collapses Table 1's
histopathology (DCIS vs the invasive types) into the non-invasive/invasive
histology of Tables 2 and 3.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "PublishedPaper",
    "Table1Row",
    "AssociationRow",
    "GroupColumn",
    "TextClaim",
    "load_published",
    "canonical_variable",
    "canonical_level",
    "histology_of",
    "VARIABLES",
    "headline",
    "format_headline",
]

#: canonical variable name -> spellings used in the paper's tables.
_VARIABLE_SPELLINGS: dict[str, tuple[str, ...]] = {
    "age_group": ("Age group",),
    "bmi_group": ("BMI Group", "BMI"),
    "menopausal_status": ("Menopausal status", "Menopausal Status"),
    "stage": ("Cancer Stage", "Stage"),
    "histopathology": ("Histopathology",),
    "histology": ("Histology",),
    "ihc_subtype": ("Immunohistochemistry",),
    "microcalcification": ("Microcalcification",),
}

#: canonical level name (the values of docs/cohort-records.md) -> spellings in the paper.
_LEVEL_SPELLINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "age_group": {"<=50": ("<= 50 years",), ">50": ("> 50 years",)},
    "bmi_group": {"<=30": ("<= 30",), ">30": ("> 30",)},
    "menopausal_status": {"premenopause": ("Premenopause",), "postmenopause": ("Postmenopause",)},
    "stage": {
        "in_situ_early": ("In situ and early", "In situ & early"),
        "locally_advanced": ("Locally advanced",),
    },
    "ihc_subtype": {
        "luminal_a": ("Luminal A",),
        "luminal_b": ("Luminal B",),
        "her2": ("HER2",),
        "triple_negative": ("Triple negative", "Triple Negative"),
    },
    "histology": {"non_invasive": ("Non-invasive",), "invasive": ("Invasive",)},
    "microcalcification": {"positive": ("Positive",), "negative": ("Negative",)},
}

#: The study variables in the paper's row order (Tables 2 and 3), canonical names.
VARIABLES: tuple[str, ...] = (
    "age_group",
    "bmi_group",
    "menopausal_status",
    "stage",
    "ihc_subtype",
    "histology",
)

#: Table 1's histopathology types that are not invasive (collapsed to ``non_invasive``).
_NON_INVASIVE_TYPES = frozenset({"DCIS"})


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


def canonical_variable(printed: str) -> str:
    """Map a variable name as printed in a table to its canonical name.

    Parameters
    ----------
    printed : str
        e.g. ``"BMI Group"`` (Table 1) or ``"BMI"`` (Tables 2 and 3).

    Returns
    -------
    str
        e.g. ``"bmi_group"``.

    Examples
    --------
    >>> canonical_variable("Cancer Stage"), canonical_variable("Stage")
    ('stage', 'stage')
    """
    key = _normalise(printed)
    for canonical, spellings in _VARIABLE_SPELLINGS.items():
        if key in {_normalise(s) for s in spellings}:
            return canonical
    raise ValueError(f"unknown variable name in the paper's tables, got {printed!r}")


def canonical_level(variable: str, printed: str) -> str:
    """Map a level as printed (``"In situ & early"``) to its canonical value (``"in_situ_early"``).

    Histopathology types (Table 1) have no canonical level; they are returned unchanged.
    """
    if variable == "histopathology":
        return printed
    key = _normalise(printed)
    for canonical, spellings in _LEVEL_SPELLINGS[variable].items():
        if key in {_normalise(s) for s in spellings}:
            return canonical
    raise ValueError(f"unknown level of {variable!r} in the paper's tables, got {printed!r}")


def histology_of(histopathology_type: str) -> str:
    """Collapse a histopathology type of Table 1 into ``non_invasive`` / ``invasive``."""
    return "non_invasive" if histopathology_type in _NON_INVASIVE_TYPES else "invasive"


@dataclass(frozen=True)
class GroupColumn:
    """One group column of a table: its header as printed and the group size it states."""

    header: str
    n: int


@dataclass(frozen=True)
class Table1Row:
    """One level of Table 1: counts and column percentages for each printed column."""

    variable: str
    level: str
    printed_variable: str
    printed_level: str
    counts: tuple[int, ...]
    percents: tuple[float, ...]
    percent_decimals: tuple[int, ...]


@dataclass(frozen=True)
class AssociationRow:
    """One variable of Table 2 or 3: a levels x groups table of counts and its statistics.

    ``counts[i][j]`` is level ``i`` in group column ``j`` (column order as printed,
    negative group first). ``odds_ratio``/``ci95`` are ``None`` where the paper prints N/A.
    """

    variable: str
    printed_variable: str
    levels: tuple[str, ...]
    printed_levels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    odds_ratio: float | None
    ci95: tuple[float, float] | None
    p_value: float | None


@dataclass(frozen=True)
class TextClaim:
    """A number the text states, with where it is stated."""

    where: str
    text: str
    values: dict[str, Any]
    decimals: dict[str, int]


@dataclass(frozen=True)
class PublishedPaper:
    """Typed view of ``published_tables.json``; ``raw`` keeps the JSON as loaded."""

    n_patients: int
    significance_level: float
    table1_columns: tuple[GroupColumn, ...]
    table1: tuple[Table1Row, ...]
    table2_columns: tuple[GroupColumn, ...]
    table2: tuple[AssociationRow, ...]
    table3_columns: tuple[GroupColumn, ...]
    table3: tuple[AssociationRow, ...]
    text_claims: tuple[TextClaim, ...]
    raw: dict[str, Any]

    def association(self, table: str, variable: str) -> AssociationRow:
        """Row of ``"table2"`` or ``"table3"`` for a canonical variable name."""
        rows = {"table2": self.table2, "table3": self.table3}[table]
        for row in rows:
            if row.variable == variable:
                return row
        raise KeyError(f"{table} has no variable {variable!r}")


def _columns(spec: list[dict[str, Any]]) -> tuple[GroupColumn, ...]:
    return tuple(GroupColumn(header=str(c["header"]), n=int(c["n"])) for c in spec)


def _association_rows(spec: list[dict[str, Any]]) -> tuple[AssociationRow, ...]:
    rows = []
    for r in spec:
        variable = canonical_variable(r["variable"])
        ci = r.get("ci95")
        rows.append(
            AssociationRow(
                variable=variable,
                printed_variable=r["variable"],
                levels=tuple(canonical_level(variable, lv) for lv in r["levels"]),
                printed_levels=tuple(r["levels"]),
                counts=tuple(tuple(int(x) for x in level_counts) for level_counts in r["counts"]),
                odds_ratio=None if r.get("odds_ratio") is None else float(r["odds_ratio"]),
                ci95=None if ci is None else (float(ci[0]), float(ci[1])),
                p_value=None if r.get("p_value") is None else float(r["p_value"]),
            )
        )
    return tuple(rows)


def _decimals(value: Any) -> int:
    """Decimals of a number as written in the JSON (``48.2`` -> 1, ``58`` -> 0)."""
    if isinstance(value, Decimal):
        return max(0, -int(value.as_tuple().exponent))
    return 0


def load_published(path: str | Path | None = None) -> PublishedPaper:
    """Load the paper's printed numbers.

    Parameters
    ----------
    path : str or Path, optional
        A ``published_tables.json`` to read instead of the bundled copy.

    Returns
    -------
    PublishedPaper

    Examples
    --------
    >>> paper = load_published()
    >>> paper.association("table3", "microcalcification").odds_ratio
    3.284
    """
    if path is None:
        text = resources.files("cohort").joinpath("data/published_tables.json").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    raw = json.loads(text)
    exact = json.loads(text, parse_float=Decimal)  # to know how many decimals each number has
    t1 = raw["table1"]
    table1 = []
    for r, r_exact in zip(t1["rows"], exact["table1"]["rows"]):
        variable = canonical_variable(r["variable"])
        table1.append(
            Table1Row(
                variable=variable,
                level=canonical_level(variable, r["level"]),
                printed_variable=r["variable"],
                printed_level=r["level"],
                counts=tuple(int(x) for x in r["counts"]),
                percents=tuple(float(x) for x in r["percents"]),
                percent_decimals=tuple(_decimals(x) for x in r_exact["percents"]),
            )
        )
    return PublishedPaper(
        n_patients=int(raw["n_patients"]),
        significance_level=float(raw.get("significance_level", 0.05)),
        table1_columns=_columns(t1["columns_as_printed"]),
        table1=tuple(table1),
        table2_columns=_columns(raw["table2"]["columns"]),
        table2=_association_rows(raw["table2"]["rows"]),
        table3_columns=_columns(raw["table3"]["columns"]),
        table3=_association_rows(raw["table3"]["rows"]),
        text_claims=tuple(
            TextClaim(
                where=c["where"],
                text=c["text"],
                values=dict(c["values"]),
                decimals={k: _decimals(v) for k, v in ce["values"].items() if not isinstance(v, list)},
            )
            for c, ce in zip(raw.get("text_claims", []), exact.get("text_claims", []))
        ),
        raw=raw,
    )


def headline(paper: PublishedPaper | None = None) -> AssociationRow:
    """The paper's headline: Table 3, microcalcification x bone metastasis.

    Examples
    --------
    >>> row = headline()
    >>> row.counts, row.odds_ratio
    (((34, 8), (22, 17)), 3.284)
    """
    return (paper or load_published()).association("table3", "microcalcification")


def format_headline(row: AssociationRow, *, dash: str = "\u2013") -> str:
    """``"OR 3.284 (95% CI 1.212–8.899), p 0.032"`` for a printed association row.

    Examples
    --------
    >>> format_headline(headline(), dash="-")
    'OR 3.284 (95% CI 1.212-8.899), p 0.032'
    """
    if row.odds_ratio is None or row.ci95 is None or row.p_value is None:
        raise ValueError(f"the paper prints no odds ratio for {row.variable!r}")
    low, high = row.ci95
    return f"OR {row.odds_ratio:.3f} (95% CI {low:.3f}{dash}{high:.3f}), p {row.p_value:.3f}"
