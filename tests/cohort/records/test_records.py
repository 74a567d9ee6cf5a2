"""cohort.records on real CSV, XLSX and SPSS files written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from cohort.records import RecordsError, load_records, read_table
from cohort.schema import SchemaError, default_schema, load_schema

REPO = Path(__file__).resolve().parents[3]


def test_bundled_reconstruction_loads_without_problems():
    r = load_records(REPO / "data" / "cohort" / "records.csv")
    assert len(r.records) == 81 and r.problems == () and r.excluded == ()
    assert (r.records.bone_metastasis == "positive").sum() == 25
    assert (r.records.microcalcification == "positive").sum() == 39
    assert r.records.source_row.tolist() == list(range(2, 83))
    assert set(r.records.is_reconstruction) == {"true"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "csv-semicolon"])
def test_csv_and_xlsx_give_the_same_records(tmp_path, clean_frame, fmt):
    if fmt == "csv":
        path = tmp_path / "r.csv"
        clean_frame.to_csv(path, index=False)
    elif fmt == "csv-semicolon":
        path = tmp_path / "r.csv"
        clean_frame.to_csv(path, index=False, sep=";")
    else:
        path = tmp_path / "r.xlsx"
        clean_frame.to_excel(path, index=False, engine="openpyxl")
    r = load_records(path)
    assert r.problems == ()
    assert r.records.patient_id.tolist() == ["P-001", "P-002", "P-003", "P-004"]
    assert r.records.stage.tolist() == ["locally_advanced", "in_situ_early", "locally_advanced", "locally_advanced"]


def test_sav_value_labels_are_applied(tmp_path):
    df = pd.DataFrame({
        "RM": ["A1", "A2", "A3"],
        "umur": [45.0, 51.0, 50.0],
        "imt": [22.5, 31.0, 30.0],
        "meno": [1.0, 2.0, 2.0],
        "stadium": [1.0, 2.0, 2.0],
        "ihk": [1.0, 3.0, 4.0],
        "histo": [2.0, 2.0, 1.0],
        "mikro": [1.0, 0.0, 1.0],
        "mets": [0.0, 1.0, 0.0],
    })
    path = tmp_path / "study.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels={
        "meno": {1.0: "Premenopause", 2.0: "Postmenopause"},
        "stadium": {1.0: "In situ & early", 2.0: "Locally advanced"},
        "ihk": {1.0: "Luminal A", 2.0: "Luminal B", 3.0: "HER2", 4.0: "Triple negative"},
        "histo": {1.0: "Non-invasive", 2.0: "Invasive"},
        "mikro": {0.0: "Tidak", 1.0: "Ya"},
        "mets": {0.0: "Negative", 1.0: "Positive"},
    })
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[columns]\npatient_id = "RM"\nage = "umur"\nbmi = "imt"\nmenopausal_status = "meno"\n'
        'stage = "stadium"\nihc_subtype = "ihk"\nhistology = "histo"\nmicrocalcification = "mikro"\n'
        'bone_metastasis = "mets"\n'
    )
    r = load_records(path, schema=mapping)
    assert r.problems == (), r.problems
    rec = r.records.set_index("patient_id")
    # grouping as in the paper: <= 50 / > 50 years, BMI <= 30 / > 30 (50 and 30 fall in the lower group)
    assert rec.age_group.tolist() == ["<=50", ">50", "<=50"]
    assert rec.bmi_group.tolist() == ["<=30", ">30", "<=30"]
    assert rec.ihc_subtype.tolist() == ["luminal_a", "her2", "triple_negative"]
    assert rec.microcalcification.tolist() == ["positive", "negative", "positive"]  # "Ya"/"Tidak" are built in
    assert rec.age.tolist() == [45.0, 51.0, 50.0]
    assert r.records.source_row.tolist() == [1, 2, 3]  # SPSS case numbers


def test_every_problem_is_reported_at_once(tmp_path, clean_rows):
    rows = [dict(r) for r in clean_rows]
    rows[0]["stage"] = "stage IV-ish"  # row 2: not an allowed label
    rows[1]["bone_metastasis"] = ""  # row 3: incomplete
    rows[2]["ihc_subtype"] = "luminal c"  # row 4: not allowed
    rows[2]["menopausal_status"] = "peri"  # row 4: a second problem in the same row
    df = pd.DataFrame(rows)
    df["age"] = ["250", "45", "61", "forty"]  # rows 2 and 5: impossible / not a number
    df["bmi"] = ["24", "-3", "28", "22"]  # row 3: impossible
    df = df.drop(columns=["age_group", "bmi_group"])
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    r = load_records(path)
    got = {(p.row, p.column, p.code) for p in r.problems}
    assert got == {
        (2, "stage", "not_allowed"),
        (2, "age", "impossible_number"),
        (3, "bone_metastasis", "missing_value"),
        (3, "bmi", "impossible_number"),
        (4, "ihc_subtype", "not_allowed"),
        (4, "menopausal_status", "not_allowed"),
        (5, "age", "not_a_number"),
    }
    assert {e.row for e in r.excluded} == {2, 3, 4, 5} and r.records.empty
    by_row = {e.row: e.reason for e in r.excluded}
    assert "ihc_subtype" in by_row[4] and "menopausal_status" in by_row[4]
    assert "between 0 and 120" in next(p.rule for p in r.problems if p.row == 2 and p.column == "age")
    assert next(p.value for p in r.problems if p.row == 3 and p.column == "bmi") == "-3"
    assert list(r.problems_frame().columns) == ["row", "column", "value", "rule", "code"]


def test_duplicates_identical_keep_first_conflicting_exclude_all(tmp_path, clean_rows):
    rows = [*clean_rows, dict(clean_rows[0]), {**clean_rows[1], "stage": "locally_advanced"}]
    path = tmp_path / "dup.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    r = load_records(path)
    assert r.records.patient_id.tolist() == ["P-001", "P-003", "P-004"]
    reasons = {e.row: e.reason for e in r.excluded}
    assert set(reasons) == {6, 3, 7}
    assert "exact copy of row 2" in reasons[6]
    assert "conflicting" in reasons[3] and "conflicting" in reasons[7]


def test_missing_columns_raise_with_every_missing_column(tmp_path, clean_frame):
    path = tmp_path / "few.csv"
    clean_frame.drop(columns=["stage", "bmi_group", "patient_id"]).to_csv(path, index=False)
    with pytest.raises(RecordsError) as info:
        load_records(path)
    text = str(info.value)
    assert "patient-id" in text and "'stage'" in text and "'bmi_group'" in text
    assert len(info.value.problems) == 3 and all(p.code == "missing_column" for p in info.value.problems)


def test_optional_microcalcification_may_be_absent(tmp_path, clean_frame):
    path = tmp_path / "nomc.csv"
    clean_frame.drop(columns=["microcalcification"]).to_csv(path, index=False)
    r = load_records(path)
    assert r.problems == () and r.records.microcalcification.isna().all()


def test_user_mapping_from_toml(tmp_path, clean_frame):
    df = clean_frame.rename(columns={"patient_id": "No. RM", "bone_metastasis": "Metastasis tulang"})
    df["Metastasis tulang"] = ["Tidak ada", "Ada metastasis", "Tidak ada", "Tidak ada"]
    path = tmp_path / "user.xlsx"
    df.to_excel(path, index=False)
    with pytest.raises(RecordsError, match="'bone_metastasis' has no column"):
        load_records(path)  # "No. RM" is recognised as the id, the Indonesian header is not
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[columns]\npatient_id = "No. RM"\nbone_metastasis = "Metastasis tulang"\n\n'
        '[labels.bone_metastasis]\n"Tidak ada" = "negative"\n"Ada metastasis" = "positive"\n'
    )
    r = load_records(path, schema=mapping)
    assert r.problems == ()
    assert r.records.bone_metastasis.tolist() == ["negative", "positive", "negative", "negative"]


def test_unmapped_label_is_reported_with_the_allowed_levels(tmp_path, clean_frame):
    df = clean_frame.copy()
    df.loc[1, "bone_metastasis"] = "suspicious"
    path = tmp_path / "r.csv"
    df.to_csv(path, index=False)
    r = load_records(path)
    (p,) = r.problems
    assert (p.row, p.column, p.value, p.code) == (3, "bone_metastasis", "suspicious", "not_allowed")
    assert "['negative', 'positive']" in p.rule
    assert [e.row for e in r.excluded] == [3]


def test_group_column_inconsistent_with_continuous_value(tmp_path, clean_frame):
    df = clean_frame.copy()
    df["age"] = [62, 70, 44, 39]  # row 5 says >50 but age 39
    path = tmp_path / "r.csv"
    df.to_csv(path, index=False)
    r = load_records(path)
    assert [(p.row, p.code) for p in r.problems] == [(5, "inconsistent")]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[columns]\nshoe_size = "x"\n', "unknown variable"),
        ('[labels.stage]\n"IV" = "metastatic"\n', "not one of the allowed levels"),
        ('[ranges.age]\nmin = 90\nmax = 20\n', "min < max"),
        ("[columns\n", "not valid TOML"),
        ('[colums]\n', "unknown table"),
    ],
)
def test_bad_schema_files_are_rejected(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SchemaError, match=match):
        load_schema(path)


def test_required_and_ranges_from_toml(tmp_path, clean_frame):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[required]\nvariables = ["bone_metastasis"]\n[ranges.age]\nmin = 18\nmax = 100\n')
    schema = load_schema(mapping)
    assert [v.name for v in schema.variables if v.required] == ["bone_metastasis"]
    df = clean_frame[["patient_id", "bone_metastasis"]].assign(age=[17, 30, 40, 50])
    path = tmp_path / "r.csv"
    df.to_csv(path, index=False)
    r = load_records(path, schema=schema)
    assert [(p.row, p.code) for p in r.problems] == [(2, "impossible_number")]


@pytest.mark.parametrize("name", ["notes.docx", "missing.csv"])
def test_unreadable_files_raise_records_error(tmp_path, name):
    path = tmp_path / name
    if name.endswith(".docx"):
        path.write_text("x")
    with pytest.raises(RecordsError):
        read_table(path)


def test_broken_xlsx_is_reported_not_crashed(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(RecordsError, match="cannot read"):
        load_records(path)


def test_default_schema_levels_match_the_bundled_vocabulary():
    s = default_schema()
    assert s.variable("ihc_subtype").levels == ("luminal_a", "luminal_b", "her2", "triple_negative")
    assert s.variable("microcalcification").required is False
