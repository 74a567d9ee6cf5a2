"""The audit finds each error of the paper, says what the number should be, and nothing else."""

from __future__ import annotations

import copy
import json

import pytest

from cohort.audit import audit_json, audit_markdown, audit_paper, write_audit
from cohort.published import load_published


@pytest.fixture(scope="module")
def audit():
    return audit_paper(load_published())


def _find(audit, kind, **where):
    hits = [d for d in audit.discrepancies if d.kind == kind and all(getattr(d, k) == v for k, v in where.items())]
    assert len(hits) == 1, (kind, where, [(d.kind, d.table, d.variable, d.level) for d in audit.discrepancies])
    return hits[0]


def test_every_failing_check_is_explained(audit):
    assert audit.n_agree_as_printed < audit.n_checks
    assert audit.n_agree_after_corrections == audit.n_checks
    assert not [d for d in audit.discrepancies if d.kind == "unexplained"]


def test_table1_header_is_the_metastasis_groups(audit):
    d = _find(audit, "mislabelled_header", table="table1")
    assert "Microcalcification Positive" in d.printed
    assert d.expected == "Metastasis Positive; Metastasis Negative"


def test_table1_microcalcification_rows_are_swapped(audit):
    d = _find(audit, "swapped_labels", table="table1", variable="microcalcification")
    # Table 3: MC positive = 22 metastasis-negative + 17 metastasis-positive = 39
    assert "positive: 17/22/39" in d.expected


def test_table3_age_typo_should_be_17(audit):
    d = _find(audit, "transcription_typo", table="table3", variable="age_group")
    assert (d.level, d.printed, d.expected) == (">50", 27, 17)
    # the printed OR 1.978 = 27*17/(8*29) and p follow once corrected
    assert "t3.odds_ratio.age_group" in d.explains and "t3.p_value.age_group" in d.explains


def test_nst_total_should_be_57(audit):
    d = _find(audit, "transcription_typo", table="table1", variable="histopathology")
    assert (d.level, d.printed, d.expected) == ("NST", 58, 57)
    assert "text.6.percent_nst" in d.explains  # the abstract's 70.4 % = 57/81


def test_triple_negative_percent_is_a_rounding_error(audit):
    d = _find(audit, "rounding", variable="ihc_subtype")
    assert (d.printed, d.expected) == (8.7, 8.6)  # 7/81 = 8.64 %


@pytest.mark.parametrize("table, printed, r_fisher", [("table2", 0.093, 0.001), ("table3", 0.551, 0.037)])
def test_ihc_p_values_not_reproducible_and_change_the_conclusion(audit, table, printed, r_fisher):
    d = _find(audit, "test_not_reproducible", table=table, variable="ihc_subtype")
    assert d.printed == printed
    assert d.expected == pytest.approx(r_fisher, abs=5e-4)  # R fisher.test, golden_rxc.csv
    assert d.affects_conclusion


def test_text_eight_patients_contradicts_table3(audit):
    d = _find(audit, "text_contradicts_table", variable="microcalcification")
    assert (d.printed, d.expected) == (8, 17)


def test_exactly_these_eight(audit):
    assert len(audit.discrepancies) == 8


def test_corrected_paper_has_no_discrepancy(corrected_raw, write_json):
    result = audit_paper(load_published(write_json(corrected_raw)))
    assert result.discrepancies == ()
    assert result.n_agree_as_printed == result.n_checks


def test_a_new_typo_is_found_with_its_correct_value(corrected_raw, write_json):
    raw = copy.deepcopy(corrected_raw)
    for row in raw["table2"]["rows"]:
        if row["variable"] == "BMI":
            row["counts"][0][0] = 39  # printed 38
    result = audit_paper(load_published(write_json(raw)))
    assert len(result.discrepancies) == 1
    d = result.discrepancies[0]
    assert (d.kind, d.table, d.variable, d.level, d.printed, d.expected) == (
        "transcription_typo", "table2", "bmi_group", "<=30", 39, 38)


def test_an_or_typo_is_found(corrected_raw, write_json):
    raw = copy.deepcopy(corrected_raw)
    for row in raw["table3"]["rows"]:
        if row["variable"] == "Microcalcification":
            row["odds_ratio"] = 3.824  # digits transposed; 34*17/(8*22) = 3.284
    (d,) = audit_paper(load_published(write_json(raw))).discrepancies
    assert (d.kind, d.quantity, d.printed, d.expected) == ("transcription_typo", "odds_ratio", 3.824, 3.284)


def test_audit_files(audit, tmp_path):
    md, js = write_audit(audit, tmp_path)
    data = json.loads(js.read_text("utf-8"))
    assert data["n_discrepancies"] == 8 == len(data["discrepancies"])
    assert data["by_kind"]["transcription_typo"] == 2
    assert {"kind", "printed", "expected", "explanation", "affects_conclusion"} <= set(data["discrepancies"][0])
    text = md.read_text("utf-8")
    assert text == audit_markdown(audit) and "| 3 | transcription_typo | table3 age_group >50" in text
    assert audit_json(audit)["n_checks"] == audit.n_checks
