"""Fixtures for the reproduction / audit / reconstruction tests: the paper's JSON, corrected by hand."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def published_raw() -> dict:
    """The bundled transcription as a dict (never edited on disk)."""
    return json.loads(resources.files("cohort").joinpath("data/published_tables.json").read_text("utf-8"))


@pytest.fixture
def corrected_raw(published_raw) -> dict:
    """The paper with every error found BY HAND (see docs) corrected; used to test the audit finds nothing.

    Corrections (hand-derived from the paper's own numbers):
    Table 1 headers are the metastasis groups; Table 1's microcalcification rows are swapped;
    Table 3 age > 50 metastasis-positive is 17 (35 - 10, so the column sums to 25); Table 1 NST total
    is 13 + 44 = 57; triple negative 7/81 = 8.64 % -> 8.6; the IHC p-values are R's fisher.test
    (tests/cohort/golden/golden_rxc.csv: 0.00127 and 0.03698); the results text says 17.
    """
    raw = copy.deepcopy(published_raw)
    t1 = raw["table1"]
    t1["columns_as_printed"][0]["header"] = "Metastasis Positive"
    t1["columns_as_printed"][1]["header"] = "Metastasis Negative"
    rows = {(r["variable"], r["level"]): r for r in t1["rows"]}
    pos, neg = rows[("Microcalcification", "Positive")], rows[("Microcalcification", "Negative")]
    pos["level"], neg["level"] = "Negative", "Positive"
    rows[("Histopathology", "NST")]["counts"][2] = 57
    rows[("Immunohistochemistry", "Triple negative")]["percents"][2] = 8.6
    for row in raw["table3"]["rows"]:
        if row["variable"] == "Age group":
            row["counts"][1][1] = 17
        if row["variable"] == "Immunohistochemistry":
            row["p_value"] = 0.037
    for row in raw["table2"]["rows"]:
        if row["variable"] == "Immunohistochemistry":
            row["p_value"] = 0.001
    raw["text_claims"][1]["values"]["microcalcification_positive_and_bone_metastasis_positive"] = 17
    return raw


@pytest.fixture
def write_json(tmp_path):
    def _write(raw: dict, name: str = "published.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(raw, indent=1), encoding="utf-8")
        return path

    return _write
