"""The variables of the study, their allowed values, and how a user's columns map onto them.

A :class:`Schema` says which column holds the patient id and each variable of
the paper, which levels each variable may take, which labels (``"Ya"``,
``"Luminal A"``, ``"1"`` ...) mean which level, and the plausible range of
continuous age and BMI, which are grouped as in the paper (≤ 50 / > 50 years,
BMI ≤ 30 / > 30).

:func:`default_schema` reads the bundled records (``docs/cohort-records.md``)
and the common ways of writing the paper's labels; :func:`load_schema` applies
a user's TOML file on top of it::

    [columns]                 # variable -> the column header in your file
    patient_id = "No. RM"
    age = "Umur (tahun)"      # continuous: grouped into age_group
    bone_metastasis = "Metastasis tulang"

    [labels.bone_metastasis]  # your label -> the level
    "Ya" = "positive"
    "Tidak" = "negative"

    [required]                # variables a usable record must have
    variables = ["bone_metastasis", "stage", "age_group"]

    [ranges.age]              # values outside are impossible numbers
    min = 18
    max = 110

    [cuts]                    # grouping thresholds (value <= cut -> first group)
    age = 50
    bmi = 30

Labels are compared after :func:`normalize_label` (case, spaces, ``_``, ``-``,
``&``, ``≤`` and a trailing "years" do not matter).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = [
    "Variable",
    "Continuous",
    "Schema",
    "SchemaError",
    "default_schema",
    "load_schema",
    "normalize_label",
    "normalize_header",
    "ID",
]

from cohort.errors import SchemaError  # noqa: E402 (re-exported)

#: the canonical name of the patient-id column
ID = "patient_id"


@dataclass(frozen=True)
class Variable:
    """A categorical variable of the study.

    Attributes
    ----------
    name : str
        Canonical column name (``"stage"``).
    levels : tuple of str
        Allowed levels in the paper's printed order; ``()`` for free text.
    required : bool
        A record missing it is incomplete and excluded.
    labels : mapping
        Normalised label -> level (:func:`normalize_label` of the key).
    headers : tuple of str
        Column headers recognised automatically (normalised, :func:`normalize_header`).
    """

    name: str
    levels: tuple[str, ...]
    required: bool = True
    labels: Mapping[str, str] = field(default_factory=dict)
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Continuous:
    """A continuous measurement grouped into a two-level variable.

    ``value <= cut`` gives ``group_levels[0]``, otherwise ``group_levels[1]``;
    a value outside ``[min_value, max_value]`` is an impossible number.
    """

    name: str
    group: str
    cut: float
    min_value: float
    max_value: float
    unit: str
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    """Variables, continuous measurements and the user's explicit column mapping.

    Attributes
    ----------
    variables : tuple of Variable
    continuous : tuple of Continuous
    columns : mapping
        Explicit ``variable or continuous name -> column header`` from the user;
        names not in it are found through ``headers``.
    id_headers : tuple of str
        Headers recognised as the patient id.
    """

    variables: tuple[Variable, ...]
    continuous: tuple[Continuous, ...]
    columns: Mapping[str, str] = field(default_factory=dict)
    id_headers: tuple[str, ...] = ("patientid", "id", "mrn", "patient", "norm", "recordid", "subjectid")

    def variable(self, name: str) -> Variable:
        """The variable called ``name``."""
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"no variable {name!r}; known: {[v.name for v in self.variables]}")

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical variable names in order."""
        return tuple(v.name for v in self.variables)


_UNITS = re.compile(r"(years?|yrs?|tahun|kg/m2|kg/m²)$")
_DROP = re.compile(r"[\s_\-.,&/()'\"]+")


def normalize_label(value: object) -> str:
    """Normalise a category label for comparison.

    Examples
    --------
    >>> normalize_label("≤ 50 years"), normalize_label("In situ & early"), normalize_label(1.0)
    ('<=50', 'insituearly', '1')
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip().lower().replace("≤", "<=").replace("≥", ">=").replace("=<", "<=")
    squeezed = _DROP.sub("", text)
    squeezed = _UNITS.sub("", squeezed)
    return squeezed or text


def normalize_header(header: object) -> str:
    """Normalise a column header (case, spaces and punctuation do not matter)."""
    return re.sub(r"[^a-z0-9]+", "", str(header).strip().lower())


def _labels(pairs: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for level, words in pairs.items():
        for w in [level, *words]:
            out[normalize_label(w)] = level
    return out


_BINARY = {
    "negative": ["neg", "no", "n", "0", "false", "absent", "-", "tidak", "not present", "none"],
    "positive": ["pos", "yes", "y", "1", "true", "present", "+", "ya", "ada"],
}

_INVASIVE_TYPES = [
    "NST", "IDC", "invasive ductal", "invasive ductal carcinoma", "papillary invasive", "invasive papillary",
    "mucinosum invasive", "mucinous", "lobular invasive", "invasive lobular", "ILC", "undifferentiated",
    "cystic adenoid", "adenoid cystic", "cribriform", "medullary invasive", "medullary",
]


def default_schema() -> Schema:
    """The schema of the bundled records, with the usual ways of writing the paper's labels.

    Returns
    -------
    Schema
        Required: patient id, age group, BMI group, menopausal status, stage,
        immunohistochemistry subtype, histology, bone metastasis. Optional:
        the radiologist's microcalcification reading, ``histology_detail``
        (free text), ``laterality``.
    """
    variables = (
        Variable("age_group", ("<=50", ">50"), labels=_labels({"<=50": ["0-50", "<50"], ">50": [">=51", "51+"]}),
                 headers=("agegroup", "agecategory", "agegrp")),
        Variable("bmi_group", ("<=30", ">30"), labels=_labels({"<=30": ["<30", "normal"], ">30": ["obese", ">=31"]}),
                 headers=("bmigroup", "bmicategory", "bmigrp")),
        Variable("menopausal_status", ("premenopause", "postmenopause"),
                 labels=_labels({"premenopause": ["pre", "premenopausal", "pre-menopause"],
                                 "postmenopause": ["post", "postmenopausal", "post-menopause"]}),
                 headers=("menopausalstatus", "menopause", "menopausal")),
        Variable("stage", ("in_situ_early", "locally_advanced"),
                 labels=_labels({"in_situ_early": ["in situ and early", "early", "in situ", "insitu & early", "0", "I", "II",
                                                   "stage 0", "stage I", "stage II", "IIA", "IIB"],
                                 "locally_advanced": ["advanced", "locally advanced", "III", "IIIA", "IIIB", "IIIC",
                                                      "stage III"]}),
                 headers=("stage", "cancerstage", "stagegroup")),
        Variable("ihc_subtype", ("luminal_a", "luminal_b", "her2", "triple_negative"),
                 labels=_labels({"luminal_a": ["lum a", "luminal-a"], "luminal_b": ["lum b", "luminal-b"],
                                 "her2": ["her2 enriched", "her2+", "her-2", "her2 positive", "her2-enriched"],
                                 "triple_negative": ["tnbc", "triple neg", "basal-like"]}),
                 headers=("ihcsubtype", "ihc", "immunohistochemistry", "subtype", "molecularsubtype")),
        Variable("histology", ("non_invasive", "invasive"),
                 labels=_labels({"non_invasive": ["noninvasive", "in situ", "DCIS", "LCIS"], "invasive": _INVASIVE_TYPES}),
                 headers=("histology", "histologyinvasion", "invasion")),
        Variable("microcalcification", ("negative", "positive"), required=False, labels=_labels(_BINARY),
                 headers=("microcalcification", "microcalcifications", "mc", "radiologistmicrocalcification")),
        Variable("bone_metastasis", ("negative", "positive"), labels=_labels(_BINARY),
                 headers=("bonemetastasis", "metastasis", "bonemets", "bonemet")),
        Variable("histology_detail", (), required=False, headers=("histologydetail", "histopathology", "histotype")),
        Variable("laterality", ("L", "R"), required=False,
                 labels=_labels({"L": ["left", "kiri", "sinistra"], "R": ["right", "kanan", "dextra"]}),
                 headers=("laterality", "side", "indexbreast")),
    )
    continuous = (
        Continuous("age", "age_group", cut=50.0, min_value=0.0, max_value=120.0, unit="years",
                   headers=("age", "ageyears", "ageatdiagnosis", "umur", "usia")),
        Continuous("bmi", "bmi_group", cut=30.0, min_value=10.0, max_value=90.0, unit="kg/m2",
                   headers=("bmi", "bodymassindex", "bmikgm2")),
    )
    return Schema(variables=variables, continuous=continuous)


def load_schema(path: str | Path | None = None, *, base: Schema | None = None) -> Schema:
    """Read a user's TOML mapping and apply it on top of ``base`` (default: :func:`default_schema`).

    Parameters
    ----------
    path : path-like or None
        TOML file with optional tables ``[columns]``, ``[labels.<variable>]``,
        ``[required]``, ``[ranges.<age|bmi>]`` and ``[cuts]`` (see the module
        docstring). ``None`` returns ``base``.
    base : Schema, optional

    Returns
    -------
    Schema

    Raises
    ------
    SchemaError
        Unreadable TOML, an unknown variable, a label mapped to a level the
        variable does not have, or a bad range.
    """
    schema = base or default_schema()
    if path is None:
        return schema
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise SchemaError(f"cannot read the schema file {str(path)!r}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"the schema file {str(path)!r} is not valid TOML: {exc}") from exc
    return apply_mapping(schema, doc, source=str(path))


def apply_mapping(schema: Schema, doc: Mapping, *, source: str = "mapping") -> Schema:
    """Apply a parsed mapping document (the TOML tables as a dict) to ``schema``."""
    known_vars = {v.name: v for v in schema.variables}
    known_cont = {c.name: c for c in schema.continuous}
    unknown_tables = set(doc) - {"columns", "labels", "required", "ranges", "cuts"}
    if unknown_tables:
        raise SchemaError(f"{source}: unknown table(s) {sorted(unknown_tables)}; "
                          "allowed: columns, labels, required, ranges, cuts")

    columns = dict(schema.columns)
    for name, header in dict(doc.get("columns", {})).items():
        if name != ID and name not in known_vars and name not in known_cont:
            raise SchemaError(f"{source}: [columns] names unknown variable {name!r}; known: "
                              f"{[ID, *known_vars, *known_cont]}")
        if not isinstance(header, str) or not header.strip():
            raise SchemaError(f"{source}: [columns] {name} must be a column header (text), got {header!r}")
        columns[name] = header

    for name, mapping in dict(doc.get("labels", {})).items():
        if name not in known_vars:
            raise SchemaError(f"{source}: [labels.{name}] names an unknown variable; known: {list(known_vars)}")
        var = known_vars[name]
        labels = dict(var.labels)
        for label, level in dict(mapping).items():
            if var.levels and level not in var.levels:
                raise SchemaError(f"{source}: [labels.{name}] maps {label!r} to {level!r}, "
                                  f"which is not one of the allowed levels {list(var.levels)}")
            labels[normalize_label(label)] = level
        known_vars[name] = replace(var, labels=labels)

    if "required" in doc:
        wanted = list(dict(doc["required"]).get("variables", []))
        bad = [w for w in wanted if w not in known_vars]
        if bad:
            raise SchemaError(f"{source}: [required] variables {bad} are unknown; known: {list(known_vars)}")
        known_vars = {n: replace(v, required=n in wanted) for n, v in known_vars.items()}

    for name, rng in dict(doc.get("ranges", {})).items():
        if name not in known_cont:
            raise SchemaError(f"{source}: [ranges.{name}] must be one of {list(known_cont)}")
        lo = float(rng.get("min", known_cont[name].min_value))
        hi = float(rng.get("max", known_cont[name].max_value))
        if not lo < hi:
            raise SchemaError(f"{source}: [ranges.{name}] needs min < max, got {lo} and {hi}")
        known_cont[name] = replace(known_cont[name], min_value=lo, max_value=hi)

    for name, cut in dict(doc.get("cuts", {})).items():
        if name not in known_cont:
            raise SchemaError(f"{source}: [cuts] {name!r} must be one of {list(known_cont)}")
        known_cont[name] = replace(known_cont[name], cut=float(cut))

    return Schema(
        variables=tuple(known_vars.values()),
        continuous=tuple(known_cont.values()),
        columns=columns,
        id_headers=schema.id_headers,
    )
