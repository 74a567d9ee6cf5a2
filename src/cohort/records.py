"""Clinical records: read CSV / Excel / SPSS files, validate them, and list every problem at once.

:func:`load_records` reads a file (:func:`read_table`), maps its columns and
labels onto the study's variables (:mod:`cohort.schema`) and validates every
cell (:func:`validate_records`). The result keeps

* ``records``: one row per usable patient, canonical columns and levels
  (``docs/cohort-records.md``), plus ``source_row``;
* ``problems``: every problem found, as (row, column, value, rule);
* ``excluded``: every record that cannot be used, with the reason (the paper
  excluded incomplete medical records; nothing is dropped silently).

Problems that make the whole file unusable (no patient-id column, a required
variable with no column) raise :class:`RecordsError`, which carries the full
list of problems. Row numbers are those a user sees: the spreadsheet row for
CSV/XLSX (the header is row 1, the first patient row 2), the case number for
SPSS files.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cohort.errors import ProblemCode, RecordsError
from cohort.schema import ID, Schema, default_schema, load_schema, normalize_header, normalize_label

__all__ = [
    "Problem",
    "Exclusion",
    "RecordsResult",
    "RecordsError",
    "read_table",
    "validate_records",
    "load_records",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """One validation problem.

    Attributes
    ----------
    row : int or None
        Row the user sees (spreadsheet row or SPSS case number); ``None`` for a
        problem with a whole column.
    column : str or None
        The column header in the user's file.
    value : str or None
        The offending value as written.
    rule : str
        The rule that was broken, in words.
    code : ProblemCode
        Short code (a string enum: ``missing_column``, ``missing_id``, ...).
    """

    row: int | None
    column: str | None
    value: str | None
    rule: str
    code: ProblemCode

    def describe(self) -> str:
        """``row 12, column 'Stage', value 'IV': stage must be one of [...]``."""
        where = f"row {self.row}" if self.row is not None else "file"
        col = f", column {self.column!r}" if self.column else ""
        val = f", value {self.value!r}" if self.value is not None else ""
        return f"{where}{col}{val}: {self.rule}"


@dataclass(frozen=True)
class Exclusion:
    """A record left out of the analysis, and why."""

    row: int
    patient_id: str | None
    reason: str


@dataclass(frozen=True)
class RecordsResult:
    """Validated records.

    Attributes
    ----------
    records : DataFrame
        Usable records: ``patient_id``, the schema's variables (canonical
        levels; missing optional values are ``NaN``), ``age`` / ``bmi`` when a
        continuous column was given, ``source_row``, and any unmapped extra
        columns of the file (e.g. ``is_reconstruction``) unchanged.
    problems : tuple of Problem
    excluded : tuple of Exclusion
    source : str
        File name (or ``"<DataFrame>"``).
    columns_used : dict
        canonical name -> header in the file.
    """

    records: pd.DataFrame
    problems: tuple[Problem, ...]
    excluded: tuple[Exclusion, ...]
    source: str
    columns_used: dict[str, str]

    def problems_frame(self) -> pd.DataFrame:
        """The problems as a table (row, column, value, rule, code)."""
        return pd.DataFrame([p.__dict__ for p in self.problems], columns=["row", "column", "value", "rule", "code"])

    def excluded_frame(self) -> pd.DataFrame:
        """The excluded records as a table (row, patient_id, reason)."""
        return pd.DataFrame([e.__dict__ for e in self.excluded], columns=["row", "patient_id", "reason"])




def read_table(path: str | Path) -> tuple[pd.DataFrame, int]:
    """Read a records file into a DataFrame of raw values.

    Parameters
    ----------
    path : path-like
        ``.csv`` (comma, semicolon or tab separated; UTF-8 with or without BOM),
        ``.xlsx`` (first sheet, via openpyxl) or ``.sav`` (SPSS; value labels
        replace the codes, via pyreadstat).

    Returns
    -------
    frame : DataFrame
        Cells as read (strings for CSV; numbers or labels otherwise); empty
        cells are missing.
    first_row : int
        The row number the user sees for the first data row (2 for CSV/XLSX,
        whose header is row 1; 1 for SPSS case numbers).

    Raises
    ------
    RecordsError
        Unknown extension, unreadable or empty file.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            frame = pd.read_csv(p, dtype=str, sep=None, engine="python", encoding="utf-8-sig", skipinitialspace=True)
            first = 2
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(p, sheet_name=0, engine="openpyxl", dtype=object)
            first = 2
        elif suffix in (".sav", ".zsav"):
            import pyreadstat

            frame, _meta = pyreadstat.read_sav(str(p), apply_value_formats=True, formats_as_category=False)
            first = 1
        else:
            raise RecordsError(f"{p.name}: records must be .csv, .xlsx or .sav, got {suffix or 'no extension'!r}")
    except RecordsError:
        raise
    except FileNotFoundError as exc:
        raise RecordsError(f"records file not found: {str(p)!r}") from exc
    except Exception as exc:  # pandas/openpyxl/pyreadstat raise many types for a broken file
        raise RecordsError(f"{p.name}: cannot read the records ({type(exc).__name__}: {exc}); "
                           "save it again as CSV, XLSX or SAV") from exc
    frame = frame.dropna(how="all")
    if frame.empty:
        raise RecordsError(f"{p.name}: the file holds no records")
    return frame, first


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        if pd.isna(value):
            return True
    except (TypeError, ValueError):
        pass
    return isinstance(value, str) and value.strip() in ("", "NA", "N/A", "na", "n/a", ".", "NaN", "nan")


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_columns(frame: pd.DataFrame, schema: Schema) -> tuple[dict[str, str], list[Problem]]:
    """canonical name -> header in the file, and the problems of column mapping."""
    problems: list[Problem] = []
    by_norm: dict[str, str] = {}
    for header in frame.columns:
        by_norm.setdefault(normalize_header(header), str(header))
    used: dict[str, str] = {}

    def lookup(name: str, candidates: Sequence[str]) -> str | None:
        if name in schema.columns:
            wanted = schema.columns[name]
            if wanted in frame.columns:
                return wanted
            hit = by_norm.get(normalize_header(wanted))
            if hit is None:
                problems.append(Problem(None, wanted, None,
                                        f"the mapping names column {wanted!r} for {name}, but the file has no such "
                                        f"column (columns: {[str(c) for c in frame.columns]})", ProblemCode.MISSING_COLUMN))
            return hit
        for cand in (normalize_header(name), *candidates):
            if cand in by_norm:
                return by_norm[cand]
        return None

    pid = lookup(ID, schema.id_headers)
    if pid is None and ID not in schema.columns:
        problems.append(Problem(None, None, None,
                                f"no patient-id column: name it one of {list(schema.id_headers)} or map it with "
                                "[columns] patient_id = \"...\"", ProblemCode.MISSING_COLUMN))
    elif pid is not None:
        used[ID] = pid
    for cont in schema.continuous:
        hit = lookup(cont.name, cont.headers)
        if hit is not None:
            used[cont.name] = hit
    for var in schema.variables:
        hit = lookup(var.name, var.headers)
        if hit is not None and hit not in used.values():
            used[var.name] = hit
        grouped_from = [c for c in schema.continuous if c.group == var.name and c.name in used]
        if var.name not in used and var.required and not grouped_from and var.name not in schema.columns:
            extra = ""
            cont = [c.name for c in schema.continuous if c.group == var.name]
            if cont:
                extra = f" (or a continuous {cont[0]!r} column)"
            problems.append(Problem(None, None, None,
                                    f"required variable {var.name!r} has no column{extra}: map it with "
                                    f"[columns] {var.name} = \"your header\" or drop it from [required]",
                                    ProblemCode.MISSING_COLUMN))
    return used, problems


def validate_records(frame: pd.DataFrame, *, schema: Schema | None = None, first_row: int = 2,
                     source: str = "<DataFrame>") -> RecordsResult:
    """Map and validate raw records; report every problem at once.

    Parameters
    ----------
    frame : DataFrame
        Raw records as read by :func:`read_table`.
    schema : Schema, optional
        Defaults to :func:`cohort.schema.default_schema`.
    first_row : int
        Row number the user sees for ``frame``'s first row.
    source : str
        Name used in messages.

    Returns
    -------
    RecordsResult

    Raises
    ------
    RecordsError
        When a needed column is missing (every such problem is listed).
    """
    schema = schema or default_schema()
    used, column_problems = _find_columns(frame, schema)
    if column_problems:
        raise RecordsError(f"{source}: the records cannot be used", column_problems)
    found = _Findings()
    extra_columns = [c for c in frame.columns if str(c) not in set(used.values())]
    out_rows: list[dict] = []
    for i, (_, raw) in enumerate(frame.iterrows()):
        row = first_row + i
        rec: dict[str, object] = {"source_row": row, ID: _patient_id(raw, row, used, found)}
        rec.update(_continuous_values(raw, row, schema, used, found))
        rec.update(_categorical_values(raw, row, rec, schema, used, found))
        for c in extra_columns:
            rec[_extra_name(c, schema)] = raw[c]
        out_rows.append(rec)
    _flag_duplicate_ids(out_rows, schema, used, found)
    return _result(out_rows, found, schema, used, extra_columns, source)


class _Findings:
    """Problems found so far and the rows they exclude."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.bad_rows: dict[int, list[str]] = {}

    def flag(self, row: int, column: str | None, value: object, rule: str, code: ProblemCode, *,
             exclude: bool = True) -> None:
        self.problems.append(Problem(row, column, None if value is None else _as_text(value), rule, code))
        if exclude:
            self.bad_rows.setdefault(row, []).append(rule if column is None else f"{column}: {rule}")

    def has_problem(self, row: int, columns: Sequence[str | None]) -> bool:
        return any(p.row == row and p.column in columns for p in self.problems)


def _patient_id(raw: pd.Series, row: int, used: dict[str, str], found: _Findings) -> str | None:
    value = raw[used[ID]]
    if _is_missing(value):
        found.flag(row, used[ID], None, "the patient id is empty", ProblemCode.MISSING_ID)
        return None
    return _as_text(value)


def _continuous_values(raw: pd.Series, row: int, schema: Schema, used: dict[str, str],
                       found: _Findings) -> dict[str, float]:
    """Continuous columns (age, BMI) as numbers; NaN when missing or impossible (flagged)."""
    out: dict[str, float] = {}
    for cont in schema.continuous:
        if cont.name not in used:
            continue
        header = used[cont.name]
        value = raw[header]
        out[cont.name] = math.nan
        if _is_missing(value):
            continue  # the group variable reports it if required
        try:
            number = float(str(value).replace(",", ".")) if not isinstance(value, (int, float)) else float(value)
        except ValueError:
            found.flag(row, header, value, f"{cont.name} must be a number in {cont.unit}", ProblemCode.NOT_A_NUMBER)
            continue
        if not (cont.min_value <= number <= cont.max_value) or math.isnan(number):
            found.flag(row, header, value, f"impossible {cont.name}: must be between {cont.min_value:g} and "
                       f"{cont.max_value:g} {cont.unit}", ProblemCode.IMPOSSIBLE_NUMBER)
            continue
        out[cont.name] = number
    return out


def _categorical_values(raw: pd.Series, row: int, rec: dict, schema: Schema, used: dict[str, str],
                        found: _Findings) -> dict[str, object]:
    """Each variable's canonical level: from its label, or grouped from its continuous column."""
    out: dict[str, object] = {}
    for var in schema.variables:
        level = None
        header = used.get(var.name)
        if header is not None and not _is_missing(raw[header]):
            value = raw[header]
            if not var.levels:
                level = _as_text(value)
            else:
                level = var.labels.get(normalize_label(value))
                if level is None:
                    found.flag(row, header, value, f"{var.name} must be one of {list(var.levels)} "
                               "(or a label mapped to one in [labels." + var.name + "])", ProblemCode.NOT_ALLOWED)
                    out[var.name] = math.nan
                    continue
        for cont in schema.continuous:
            if cont.group != var.name or cont.name not in used:
                continue
            number = rec.get(cont.name, math.nan)
            if isinstance(number, float) and math.isnan(number):
                continue
            grouped = var.levels[0] if number <= cont.cut else var.levels[1]
            if level is not None and level != grouped:
                found.flag(row, header, raw[header], f"{var.name} {level!r} disagrees with {cont.name} "
                           f"{number:g} (> {cont.cut:g} is {var.levels[1]!r})", ProblemCode.INCONSISTENT)
            level = grouped
        if level is None:
            if var.required and not found.has_problem(row, (header, used.get(_cont_of(schema, var.name)))):
                found.flag(row, header or var.name, None, f"{var.name} is missing (incomplete record)",
                           ProblemCode.MISSING_VALUE)
            out[var.name] = math.nan
        else:
            out[var.name] = level
    return out


def _flag_duplicate_ids(out_rows: list[dict], schema: Schema, used: dict[str, str], found: _Findings) -> None:
    """Identical copies keep the first; conflicting ones are all excluded."""
    columns = [ID, *[v.name for v in schema.variables], *[c.name for c in schema.continuous if c.name in used]]
    by_id: dict[str, list[dict]] = {}
    for rec in out_rows:
        if rec[ID] is not None:
            by_id.setdefault(str(rec[ID]), []).append(rec)
    for pid, recs in by_id.items():
        if len(recs) < 2:
            continue
        rows = [r["source_row"] for r in recs]
        same = all(_same(recs[0], r, columns) for r in recs[1:])
        for r in recs[0 if not same else 1:]:
            rule = (f"duplicate patient id: an exact copy of row {rows[0]}" if same
                    else f"duplicate patient id with conflicting values (rows {rows}); fix the records")
            found.flag(r["source_row"], used[ID], pid, rule, ProblemCode.DUPLICATE_ID)


def _result(out_rows: list[dict], found: _Findings, schema: Schema, used: dict[str, str], extra_columns: list,
            source: str) -> RecordsResult:
    bad_rows = found.bad_rows
    records = [r for r in out_rows if r["source_row"] not in bad_rows]
    excluded = tuple(
        Exclusion(r["source_row"], r[ID], "; ".join(bad_rows[r["source_row"]]))
        for r in out_rows if r["source_row"] in bad_rows
    )
    # variables the file does not have stay as all-missing columns, so downstream code sees one shape
    order = [ID, *[v.name for v in schema.variables], *[c.name for c in schema.continuous if c.name in used],
             "source_row", *[_extra_name(c, schema) for c in extra_columns]]
    df = pd.DataFrame(records, columns=order)
    for n, cnt in (("records", len(df)), ("excluded", len(excluded)), ("problems", len(found.problems))):
        logger.debug("%s: %d %s", source, cnt, n)
    if excluded:
        logger.warning("%s: %d of %d records excluded (see the excluded list)", source, len(excluded), len(out_rows))
    return RecordsResult(records=df, problems=tuple(found.problems), excluded=excluded, source=source,
                         columns_used=dict(used))


def _extra_name(header: object, schema: Schema) -> str:
    # an unmapped column that happens to carry a canonical name must not overwrite it
    name = str(header)
    taken = {ID, "source_row", *schema.names, *(c.name for c in schema.continuous)}
    return f"extra_{name}" if name in taken else name


def _cont_of(schema: Schema, group: str) -> str:
    for c in schema.continuous:
        if c.group == group:
            return c.name
    return ""


def _same(a: dict, b: dict, columns: Sequence[str]) -> bool:
    for c in columns:
        x, y = a.get(c), b.get(c)
        if _is_missing(x) and _is_missing(y):
            continue
        if x != y:
            return False
    return True


def load_records(path: str | Path, *, schema: Schema | str | Path | None = None) -> RecordsResult:
    """Read and validate a records file.

    Parameters
    ----------
    path : path-like
        ``.csv``, ``.xlsx`` or ``.sav``.
    schema : Schema or path-like, optional
        A :class:`~cohort.schema.Schema`, or a TOML mapping file applied to the
        default schema.

    Returns
    -------
    RecordsResult

    Raises
    ------
    RecordsError
        The file cannot be read, or needed columns are missing.

    Examples
    --------
    >>> r = load_records("data/cohort/records.csv")  # doctest: +SKIP
    >>> len(r.records), len(r.excluded)              # doctest: +SKIP
    (81, 0)
    """
    if schema is None or isinstance(schema, Schema):
        sch = schema or default_schema()
    else:
        sch = load_schema(schema)
    frame, first = read_table(path)
    return validate_records(frame, schema=sch, first_row=first, source=Path(path).name)
