"""cohort.join: records x patients.csv by patient key, pseudonymised keys, mapping files, agreement."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from calcdetect.keys import patient_key
from cohort.join import DETECTED, JOIN_COLUMNS, agreement, join_records, read_mapping, read_patients
from cohort.records import RecordsError, load_records


def _patients_csv(path, keys_flags):
    rows = [{"patient_key": k, "n_images": 2, "n_positive_images": int(f == "positive"), "n_clusters": int(f == "positive"),
             "max_score": 0.9 if f == "positive" else 0.1, "flag": f} for k, f in keys_flags]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.fixture
def records_file(tmp_path, clean_rows):
    rows = [dict(r) for r in clean_rows]
    rows[1]["patient_id"] = "../odd id/7"  # a key that patient_key must make filesystem-safe
    rows.append({**clean_rows[0], "patient_id": "P-BAD", "stage": "???"})  # excluded by validation
    path = tmp_path / "records.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_join_by_derived_key_reports_every_unpartnered_row(tmp_path, records_file):
    recs = load_records(records_file)
    assert [e.patient_id for e in recs.excluded] == ["P-BAD"]
    flags = _patients_csv(tmp_path / "patients.csv", [
        (patient_key("P-001"), "positive"),
        (patient_key("../odd id/7"), "negative"),
        (patient_key("P-003"), "positive"),
        ("STRANGER", "positive"),
    ])
    res = join_records(recs, flags)
    assert list(res.join_table.columns) == JOIN_COLUMNS
    status = dict(zip(res.join_table.patient_id.fillna(res.join_table.patient_key), res.join_table.status))
    assert status == {"P-001": "matched", "../odd id/7": "matched", "P-003": "matched",
                      "P-004": "record_without_images", "STRANGER": "flags_without_record", "P-BAD": "excluded_record"}
    assert res.counts() == {"matched": 3, "record_without_images": 1, "flags_without_record": 1, "excluded_record": 1}
    assert res.data.patient_id.tolist() == ["P-001", "../odd id/7", "P-003"]
    assert res.data[DETECTED].tolist() == ["positive", "negative", "positive"]
    assert res.data.n_images.tolist() == [2, 2, 2]
    reason = res.join_table.set_index("patient_id").loc["P-004", "reason"]
    assert patient_key("P-004") in reason and "pseudonymize" in reason
    assert "stage" in res.join_table.set_index("patient_id").loc["P-BAD", "reason"]


def test_pseudonymised_keys_join_only_with_the_same_secret(tmp_path, records_file):
    recs = load_records(records_file)
    ids = ["P-001", "../odd id/7", "P-003", "P-004"]
    flags = _patients_csv(tmp_path / "patients.csv", [(patient_key(i, pseudonymize_key="s3cret"), "positive") for i in ids])
    good = join_records(recs, flags, pseudonymize_key="s3cret")
    assert good.counts()["matched"] == 4
    assert all(k.startswith("p") and len(k) == 17 for k in good.data.patient_key)
    assert "P-001" not in set(pd.read_csv(flags).patient_key)  # the raw id never reached patients.csv
    wrong = join_records(recs, flags, pseudonymize_key="other")
    assert "matched" not in wrong.counts()
    assert wrong.counts()["record_without_images"] == 4 and wrong.counts()["flags_without_record"] == 4
    plain = join_records(recs, flags)  # forgot the secret
    assert "matched" not in plain.counts()


def test_explicit_mapping_file(tmp_path, records_file):
    recs = load_records(records_file)
    mapping = tmp_path / "map.csv"
    pd.DataFrame({"patient_id": ["P-001", "P-003"], "patient_key": ["scan-A", "scan-B"]}).to_csv(mapping, index=False)
    flags = _patients_csv(tmp_path / "patients.csv", [("scan-A", "negative"), ("scan-B", "positive")])
    res = join_records(recs, flags, mapping=mapping)
    assert res.data.set_index("patient_id")[DETECTED].to_dict() == {"P-001": "negative", "P-003": "positive"}
    tbl = res.join_table.set_index("patient_id")
    assert tbl.loc["P-004", "status"] == "record_without_images"
    assert "mapping" in tbl.loc["P-004", "reason"]


def test_mapping_with_conflicting_keys_is_rejected(tmp_path):
    mapping = tmp_path / "map.csv"
    mapping.write_text("patient_id,patient_key\nA,k1\nA,k2\n")
    with pytest.raises(RecordsError, match="two keys"):
        read_mapping(mapping)


def test_duplicate_keys_and_unusable_flags_are_reported(tmp_path, clean_frame):
    recs = clean_frame
    flags = pd.DataFrame({
        "patient_key": ["P-001", "P-001", "P-002", "P-003"],
        "flag": ["positive", "negative", "", "negative"],
    })
    res = join_records(recs, flags)
    tbl = res.join_table.set_index("patient_id")
    assert tbl.loc["P-001", "status"] == "duplicate_key"
    assert tbl.loc["P-002", "status"] == "no_flag"
    assert tbl.loc["P-003", "status"] == "matched"
    assert res.data.patient_id.tolist() == ["P-003"]


def test_read_patients_rejects_other_csv(tmp_path):
    path = tmp_path / "images.csv"
    pd.DataFrame({"path": ["a.dcm"], "score": [0.1]}).to_csv(path, index=False)
    with pytest.raises(RecordsError, match="patient_key"):
        read_patients(path)
    with pytest.raises(RecordsError, match="not found"):
        read_patients(tmp_path / "nope.csv")


def test_agreement_counts_kappa_sensitivity_specificity():
    # radiologist as reference: TP 20, FN 5, FP 3, TN 30
    det = ["positive"] * 20 + ["negative"] * 5 + ["positive"] * 3 + ["negative"] * 30 + [None]
    rad = ["positive"] * 25 + ["negative"] * 33 + ["positive"]
    a = agreement(pd.Series(det), pd.Series(rad))
    assert (a.both_positive, a.radiologist_only, a.detector_only, a.both_negative) == (20, 5, 3, 30)
    assert a.n == 58 and a.n_missing == 1
    p_o = 50 / 58
    p_e = (25 * 23 + 33 * 35) / 58**2
    assert a.kappa == pytest.approx((p_o - p_e) / (1 - p_e))
    assert a.kappa_ci_low < a.kappa < a.kappa_ci_high
    assert a.sensitivity == pytest.approx(20 / 25) and a.specificity == pytest.approx(30 / 33)
    assert a.sensitivity_ci_low < 0.8 < a.sensitivity_ci_high <= 1.0


def test_agreement_with_a_single_category_has_no_kappa():
    a = agreement(pd.Series(["positive"] * 5), pd.Series(["positive"] * 5))
    assert math.isnan(a.kappa) and a.sensitivity == 1.0 and math.isnan(a.specificity)


def test_join_reports_agreement_when_records_hold_the_radiologist_reading(tmp_path, clean_frame):
    flags = pd.DataFrame({"patient_key": clean_frame.patient_id, "flag": ["positive", "negative", "positive", "negative"]})
    res = join_records(clean_frame, flags)
    # radiologist: P-001..P-003 positive, P-004 negative
    a = res.agreement
    assert (a.both_positive, a.radiologist_only, a.detector_only, a.both_negative) == (2, 1, 0, 1)
    no_reading = join_records(clean_frame.drop(columns=["microcalcification"]), flags)
    assert no_reading.agreement is None
