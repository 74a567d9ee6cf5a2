"""The 81-patient reconstruction: exact feasibility, the shipped file, the stage-adjusted range."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cohort.cli import main
from cohort.published import load_published
from cohort.reconstruct import (
    RECORD_COLUMNS,
    feasible_tables,
    inputs_from_paper,
    reconstruct_records,
    stage_adjusted_range,
)

REPO = Path(__file__).resolve().parents[3]
RECORDS = REPO / "data" / "cohort" / "records.csv"
MC_BY_MET = [[34, 8], [22, 17]]  # Table 3: rows MC -/+, columns metastasis -/+


def test_stage_tables_by_hand():
    # Table 2 stage x MC [[17, 6], [25, 33]], Table 3 stage x metastasis [[21, 2], [35, 23]].
    # k = early & MC- & met-: early cells (k, 17-k, 21-k, k-15), advanced (34-k, k-9, 1+k, 32-k) >= 0
    # -> k in {15, 16, 17}.
    tables = feasible_tables([[17, 6], [25, 33]], [[21, 2], [35, 23]], MC_BY_MET)
    assert [t.counts for t in tables] == [
        (((15, 2), (6, 0)), ((19, 6), (16, 17))),
        (((16, 1), (5, 1)), ((18, 7), (17, 16))),
        (((17, 0), (4, 2)), ((17, 8), (18, 15))),
    ]


def test_histology_is_unique_and_printed_age_is_infeasible():
    assert len(feasible_tables([[1, 1], [41, 38]], [[2, 0], [54, 25]], MC_BY_MET)) == 1
    # Table 3 as printed: age metastasis-positive column sums to 35, not 25
    assert feasible_tables([[17, 18], [25, 21]], [[27, 8], [29, 27]], MC_BY_MET) == []


def test_four_level_variable_is_enumerated_exhaustively():
    tables = feasible_tables([[17, 6], [19, 28], [0, 4], [6, 1]], [[18, 5], [30, 17], [1, 3], [7, 0]], MC_BY_MET)
    assert tables, "IHC must be feasible"
    for t in tables:
        df = pd.DataFrame([(lv, m, s) for lv, cell in zip(t.levels, t.counts) for m in range(2) for s in range(2)
                           for _ in range(cell[m][s])], columns=["lv", "mc", "met"])
        assert len(df) == 81
    assert len({t.counts for t in tables}) == len(tables)


def test_choices_name_the_tables_followed():
    inputs = inputs_from_paper(load_published())
    text = " ".join(inputs.choices)
    assert "age_group x metastasis from Table 1" in text and "microcalcification x metastasis from Table 3" in text
    assert inputs.by_metastasis["age_group"][1] == ((27, 8), (29, 17))


def test_shipped_records_reproduce_tables_2_and_3():
    df = pd.read_csv(RECORDS, dtype=str)
    assert list(df.columns) == list(RECORD_COLUMNS)
    assert len(df) == 81 and df.patient_id.is_unique and (df.is_reconstruction == "true").all()
    paper = load_published()
    for name, group in (("table2", "microcalcification"), ("table3", "bone_metastasis")):
        for row in getattr(paper, name):
            for level, printed in zip(row.levels, row.counts):
                got = tuple(int(((df[row.variable] == level) & (df[group] == g)).sum()) for g in ("negative", "positive"))
                if (name, row.variable, level) == ("table3", "age_group", ">50"):
                    assert got == (29, 17)  # Table 1's value; Table 3 prints 27 (its column would sum to 35)
                else:
                    assert got == printed, (name, row.variable, level)
    nst = df[df.histology_detail == "NST"]
    assert (nst.bone_metastasis == "positive").sum() == 13 and (nst.bone_metastasis == "negative").sum() == 44
    assert set(df.histology[df.histology_detail == "DCIS"]) == {"non_invasive"}


def test_script_is_deterministic(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "reconstruct_cohort.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    assert (tmp_path / "records.csv").read_bytes() == RECORDS.read_bytes()
    info = json.loads((tmp_path / "reconstruction.json").read_text("utf-8"))
    assert info["n_feasible_three_way_tables"]["stage"] == 3


def test_other_seed_other_pairing_same_margins():
    inputs = inputs_from_paper(load_published())
    a, _, _ = reconstruct_records(inputs, seed=1)
    b, _, _ = reconstruct_records(inputs, seed=2)
    assert not a.equals(b)
    for col in ("stage", "microcalcification", "bone_metastasis"):
        assert sorted(a[col]) == sorted(b[col])


def test_stage_adjusted_range_by_hand():
    # MH OR = sum(a d / n) / sum(b c / n), a = MC+ met+, b = MC+ met-, c = MC- met+, d = MC- met-:
    # k=15: (0 + 17*19/58) / (6*2/23 + 16*6/58) = 2.558; k=16: 2.495; k=17: (2*17/23 + 15*17/58) / (18*8/58) = 2.366
    stage = stage_adjusted_range(inputs_from_paper(load_published()))
    assert stage.mh_odds_ratios == pytest.approx((2.558, 2.495, 2.366), abs=1e-3)
    assert stage.crude_odds_ratio == pytest.approx(3.284, abs=1e-3)
    assert stage.n_significant == 0  # every CI includes 1
    assert all(lo < 1 < hi for lo, hi in zip(stage.mh_ci_low, stage.mh_ci_high))


def test_reproduce_command(tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["reproduce", "-o", str(out)]) == 0
    for name in ("comparison.csv", "audit.md", "audit.json", "reconstruction.json", "report.md", "report.html",
                 "forest.png", "table1.csv", "table2.csv", "table3.csv", "adjusted.csv"):
        assert (out / name).stat().st_size > 0, name
    audit = json.loads((out / "audit.json").read_text("utf-8"))
    assert audit["n_discrepancies"] == 8
    rec = json.loads((out / "reconstruction.json").read_text("utf-8"))
    assert rec["odds_ratio_range"] == pytest.approx([2.366, 2.558], abs=1e-3)
    assert "does not survive adjustment for stage" in (out / "report.md").read_text("utf-8")
    assert (out / "forest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "8 discrepancies" in capsys.readouterr().out


def test_reproduce_command_bad_input(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert main(["reproduce", "-o", str(tmp_path / "x"), "--published", str(bad)]) == 2
