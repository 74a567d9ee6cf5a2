"""The whole chain on a reduced cohort, through the real commands:
phantoms --cohort -> calcdetect scan -> cohort analyze -> cohort reproduce."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from calcdetect.keys import patient_key

REPO = Path(__file__).resolve().parents[2]
RECORDS = REPO / "data" / "cohort" / "records.csv"


def _load_demo_main():
    """``scripts/demo.py`` is a script of the repository, not part of the installed library."""
    spec = importlib.util.spec_from_file_location("calcdetect_demo_script", REPO / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


demo_main = _load_demo_main()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    records = pd.read_csv(RECORDS, dtype=str)
    # 3 patients with microcalcification and 3 without, both outcomes present
    subset = pd.concat([
        records[records.microcalcification.eq("positive")].head(3),
        records[records.microcalcification.eq("negative")].head(3),
    ])
    subset_csv = tmp / "records.csv"
    subset.to_csv(subset_csv, index=False)
    out = tmp / "out"
    status = demo_main(["--out", str(out), "--records", str(subset_csv),
                        "--preset", "small", "--workers", "1", "--seed", "7"])
    return status, subset, out


def test_every_image_is_analysed_once(demo_run):
    status, subset, out = demo_run
    assert status == 0
    images = pd.read_csv(out / "scan" / "images.csv")
    errors = pd.read_csv(out / "scan" / "errors.csv")
    assert len(errors) == 0, errors.to_dict("records")
    assert len(images) == 2 * len(subset)
    assert sorted(images.view.unique()) == ["CC", "MLO"]
    # each patient: two views of the index breast
    for _, rec in subset.iterrows():
        rows = images[images.patient_key == patient_key(rec.patient_id)]
        assert sorted(rows.view) == ["CC", "MLO"]
        assert set(rows.laterality) == {rec.laterality}
    for overlay in images.overlay:
        assert (out / "scan" / overlay).stat().st_size > 1000
    assert (out / "scan" / "overlays" / "index.html").exists()


def test_analysis_uses_the_detected_flags(demo_run):
    _, subset, out = demo_run
    patients = pd.read_csv(out / "scan" / "patients.csv", dtype=str)
    joined = subset.assign(patient_key=subset.patient_id.map(patient_key)).merge(patients, on="patient_key")
    assert len(joined) == len(subset)
    # crosstab computed here, independently of cohort.tables
    expected = pd.crosstab(joined.flag, joined.bone_metastasis)
    table3 = pd.read_csv(out / "analysis" / "table3.csv")
    mc_rows = table3[table3.variable.eq("microcalcification")].set_index("level")
    for level in mc_rows.index:
        for outcome, column in (("negative", "n_negative"), ("positive", "n_positive")):
            want = int(expected.loc[level, outcome]) if level in expected.index and outcome in expected.columns else 0
            assert int(mc_rows.loc[level, column]) == want
    join = pd.read_csv(out / "analysis" / "join.csv")
    assert (join.status == "matched").sum() == len(subset)
    for name in ("table1.csv", "table2.csv", "adjusted.csv", "report.md", "report.html", "forest.png"):
        assert (out / "analysis" / name).stat().st_size > 0


def test_reproduction_finds_the_table3_age_typo(demo_run):
    # Table 3 prints ">50 years: 29 / 27" but the metastasis-positive column must sum to 25
    # with "<=50: 8", so the 27 can only be 17 (arithmetic on the paper's own numbers).
    _, _, out = demo_run
    audit = pd.read_json(out / "reproduce" / "audit.json", typ="series")
    items = pd.DataFrame(audit["discrepancies"])
    hit = items[(items.table == "table3") & (items.variable == "age_group") & (items.quantity == "count")]
    assert len(hit) == 1
    assert (hit.iloc[0].printed, hit.iloc[0].expected) == (27, 17)
    assert hit.iloc[0].kind == "transcription_typo"
    comparison = pd.read_csv(out / "reproduce" / "comparison.csv")
    assert {"table", "variable", "quantity", "printed", "recomputed", "agrees"} <= set(comparison.columns)
    headline = comparison[(comparison.table == "table3") & comparison.variable.eq("microcalcification")]
    assert headline.agrees.astype(str).str.lower().eq("true").any()
