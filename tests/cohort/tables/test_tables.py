"""Tables 1-3 from records, and `cohort analyze` end to end on real CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cohort.cli import main
from cohort.published import load_published
from cohort.tables import TABLE_COLUMNS, table1, table2, table3, to_html, to_markdown

REPO = Path(__file__).resolve().parents[3]
RECORDS = REPO / "data" / "cohort" / "records.csv"


def _patients(records: pd.DataFrame, flags: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"patient_key": records.patient_id, "n_images": 2, "n_positive_images": 0,
                         "n_clusters": 0, "max_score": 0.0, "flag": flags.values})


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory) -> Path:
    """`cohort analyze` on the bundled records with flags equal to the records' microcalcification."""
    tmp = tmp_path_factory.mktemp("analyze")
    rec = pd.read_csv(RECORDS, dtype=str)
    _patients(rec, rec.microcalcification).to_csv(tmp / "patients.csv", index=False)
    assert main(["analyze", "--records", str(RECORDS), "--flags", str(tmp / "patients.csv"), "-o", str(tmp / "rep")]) == 0
    return tmp / "rep"


def _small() -> pd.DataFrame:
    # stage x metastasis by hand: early: met- 3, met+ 1; advanced: met- 2, met+ 4 -> OR = 3*4/(1*2) = 6
    rows = ([("in_situ_early", "negative")] * 3 + [("in_situ_early", "positive")]
            + [("locally_advanced", "negative")] * 2 + [("locally_advanced", "positive")] * 4)
    df = pd.DataFrame(rows, columns=["stage", "bone_metastasis"])
    df["age_group"] = ["<=50", ">50"] * 5
    df["bmi_group"] = "<=30"
    df["menopausal_status"] = ["premenopause"] * 6 + ["postmenopause"] * 4
    df["ihc_subtype"] = ["luminal_a", "luminal_b", "her2", "luminal_b", "luminal_a"] * 2
    df["histology"] = "invasive"
    df["microcalcification"] = ["negative", "positive"] * 5
    return df


def test_small_table_by_hand():
    t = table3(_small())
    assert list(t.rows.columns) == list(TABLE_COLUMNS)
    stage = t.variable("stage")
    assert stage[["n_negative", "n_positive"]].values.tolist() == [[3, 1], [2, 4]]
    assert stage.odds_ratio.iloc[0] == pytest.approx(6.0)
    assert stage.test.iloc[0] == "fisher"  # expected counts 2.0 < 5
    assert t.group_sizes == (5, 5)
    bmi = t.variable("bmi_group")  # constant: no test, said so
    assert bmi.p_value.isna().all() and "constant" in bmi.note.iloc[0]
    ihc = t.variable("ihc_subtype")
    assert len(ihc) == 4 and ihc.n_total.tolist() == [4, 4, 2, 0]
    assert ihc.test.iloc[0] == "fisher-freeman-halton" and "empty level" in ihc.note.iloc[0]


def test_values_outside_the_schema_are_refused():
    df = _small()
    df.loc[0, "stage"] = "IV"
    with pytest.raises(ValueError, match="outside"):
        table2(df)


def test_missing_values_are_left_out_and_counted():
    df = _small()
    df.loc[0, "stage"] = None
    stage = table3(df).variable("stage")
    assert stage.n_total.sum() == 9 and "1 missing left out" in stage.note.iloc[0]


def test_table1_percentages_and_layout():
    df = pd.read_csv(RECORDS, dtype=str)
    t = table1(df)
    nst = t.rows[(t.rows.variable == "histology_detail") & (t.rows.level == "NST")].iloc[0]
    assert (nst.n_positive, nst.n_negative, nst.n_total) == (13, 44, 57)
    assert nst.pct_total == pytest.approx(100 * 57 / 81)
    md = to_markdown(t)
    assert "Bone metastasis positive (n = 25)" in md and "| NST | 13 (52.0) | 44 (78.6) | 57 (70.4) |" in md
    assert t.rows.odds_ratio.isna().all()  # descriptive


def test_markdown_and_html_in_the_papers_layout():
    df = pd.read_csv(RECORDS, dtype=str)
    md = to_markdown(table2(df))
    assert "| ≤ 50 years | 17 | 18 | 0.793 (0.329-1.914) | 0.771 (yates) |" in md
    html = to_html(table3(df))
    assert html.startswith('<table class="study-table" id="table3">') and "&gt; 50 years" in html
    assert "3.284 (1.212-8.899)" in html


def test_analyze_reproduces_every_consistent_2x2_of_the_paper(analyzed):
    paper = load_published()
    for name, rows in (("table2", paper.table2), ("table3", paper.table3)):
        got = pd.read_csv(analyzed / f"{name}.csv")
        for row in rows:
            mine = got[got.variable == row.variable].iloc[0]
            if len(row.levels) == 2:
                if row.odds_ratio is None:
                    assert pd.isna(mine.odds_ratio), (name, row.variable)
                else:
                    assert round(mine.odds_ratio, 3) == pytest.approx(row.odds_ratio), (name, row.variable)
                    assert round(mine.ci_low, 3) == pytest.approx(row.ci95[0]), (name, row.variable)
                    assert round(mine.ci_high, 3) == pytest.approx(row.ci95[1]), (name, row.variable)
                assert round(mine.p_value, 3) == pytest.approx(row.p_value), (name, row.variable)
            else:  # the IHC p-values are not reproducible (audit); R's fisher.test gives 0.001 / 0.037
                assert round(mine.p_value, 3) == {"table2": 0.001, "table3": 0.037}[name]


def test_analyze_outputs(analyzed):
    for name in ("table1.csv", "table1.md", "table1.html", "table2.csv", "table3.csv", "adjusted.csv",
                 "join.csv", "forest.png", "report.md", "report.html"):
        assert (analyzed / name).stat().st_size > 0, name
    join = pd.read_csv(analyzed / "join.csv")
    assert (join.status == "matched").sum() == 81
    adjusted = pd.read_csv(analyzed / "adjusted.csv")
    mh = adjusted[adjusted.analysis == "mantel-haenszel"].iloc[0]
    assert mh.adjusted_for == "stage" and mh.odds_ratio == pytest.approx(2.495, abs=1e-3)  # hand, k = 16
    crude = adjusted[adjusted.analysis == "crude"].iloc[0]
    assert crude.odds_ratio == pytest.approx(578 / 176)  # 34*17 / (8*22)
    report = (analyzed / "report.md").read_text("utf-8")
    assert "reconstruction" in report and "kappa" in report


def test_detector_and_radiologist_sources_differ(tmp_path):
    rec = pd.read_csv(RECORDS, dtype=str)
    flags = rec.microcalcification.copy()
    flips = rec.index[(rec.microcalcification == "positive") & (rec.bone_metastasis == "positive")][:5]
    flags.loc[flips] = "negative"  # a detector that misses 5 of the 17 MC+ met+ patients
    _patients(rec, flags).to_csv(tmp_path / "patients.csv", index=False)
    common = ["analyze", "--records", str(RECORDS), "--flags", str(tmp_path / "patients.csv")]
    assert main([*common, "-o", str(tmp_path / "det")]) == 0
    assert main([*common, "-o", str(tmp_path / "rad"), "--mc-source", "radiologist"]) == 0
    det = pd.read_csv(tmp_path / "det" / "table3.csv").query("variable == 'microcalcification'")
    rad = pd.read_csv(tmp_path / "rad" / "table3.csv").query("variable == 'microcalcification'")
    assert det[["n_negative", "n_positive"]].values.tolist() == [[34, 13], [22, 12]]
    assert rad[["n_negative", "n_positive"]].values.tolist() == [[34, 8], [22, 17]]
    assert "| 81 | 34 | 0 | 5 | 42 |" in (tmp_path / "det" / "report.md").read_text("utf-8")


def test_unmatched_patients_are_reported(tmp_path):
    rec = pd.read_csv(RECORDS, dtype=str)
    pats = _patients(rec, rec.microcalcification).iloc[:70]
    pats = pd.concat([pats, pd.DataFrame([{"patient_key": "STRANGER", "n_images": 2, "flag": "positive"}])])
    pats.to_csv(tmp_path / "patients.csv", index=False)
    assert main(["analyze", "--records", str(RECORDS), "--flags", str(tmp_path / "patients.csv"), "-o", str(tmp_path / "r")]) == 0
    join = pd.read_csv(tmp_path / "r" / "join.csv")
    assert join.status.value_counts().to_dict() == {"matched": 70, "record_without_images": 11, "flags_without_record": 1}
    t3 = pd.read_csv(tmp_path / "r" / "table3.csv")
    assert t3.query("variable == 'stage'").n_total.sum() == 70


@pytest.mark.parametrize("argv_tail", [["--flags", "missing.csv"], []])
def test_bad_input_exits_2(tmp_path, argv_tail):
    argv = ["analyze", "--records", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o"), *argv_tail]
    assert main(argv) == 2


def test_pseudonymised_keys_join(tmp_path):
    from calcdetect.keys import patient_key

    rec = pd.read_csv(RECORDS, dtype=str)
    pats = _patients(rec, rec.microcalcification)
    pats["patient_key"] = [patient_key(p, pseudonymize_key="s3cret") for p in rec.patient_id]
    pats.to_csv(tmp_path / "patients.csv", index=False)
    common = ["analyze", "--records", str(RECORDS), "--flags", str(tmp_path / "patients.csv")]
    assert main([*common, "-o", str(tmp_path / "a"), "--pseudonymize-key", "s3cret"]) == 0
    assert (pd.read_csv(tmp_path / "a" / "join.csv").status == "matched").sum() == 81
    assert main([*common, "-o", str(tmp_path / "b")]) == 2  # without the key nothing matches: said, not hidden
    assert (pd.read_csv(tmp_path / "b" / "join.csv").status == "record_without_images").sum() == 81


def test_radiologist_source_needs_a_reading(tmp_path, caplog):
    rec = pd.read_csv(RECORDS, dtype=str).drop(columns=["microcalcification"])
    rec.to_csv(tmp_path / "records.csv", index=False)
    argv = ["analyze", "--records", str(tmp_path / "records.csv"), "-o", str(tmp_path / "o"), "--mc-source", "radiologist"]
    assert main(argv) == 2
    assert "no microcalcification reading" in caplog.text


def test_a_carriage_return_in_a_record_does_not_split_its_csv_rows(tmp_path):
    """A patient ID with a carriage return inside (a quoted CSV cell from another system): excluded.csv
    and join.csv keep each record on one row, as pandas reads them back."""
    import csv

    rec = pd.read_csv(RECORDS, dtype=str)
    extra = rec.iloc[[0, 0]].reset_index(drop=True).assign(patient_id=["EXTRA\r1", "BAD\r2"])
    extra.loc[1, "bone_metastasis"] = "maybe"  # not an allowed label: excluded
    pd.concat([rec, extra]).to_csv(tmp_path / "records.csv", index=False, quoting=csv.QUOTE_ALL)
    _patients(rec, rec.microcalcification).to_csv(tmp_path / "patients.csv", index=False)

    assert main(["analyze", "--records", str(tmp_path / "records.csv"), "--flags", str(tmp_path / "patients.csv"),
                 "-o", str(tmp_path / "r")]) == 0

    excluded = pd.read_csv(tmp_path / "r" / "excluded.csv", dtype=str)
    assert excluded.patient_id.tolist() == ["BAD\r2"] and "bone_metastasis" in excluded.reason.iloc[0]
    join = pd.read_csv(tmp_path / "r" / "join.csv", dtype=str)
    assert join.status.value_counts().to_dict() == {"matched": 81, "record_without_images": 1, "excluded_record": 1}
