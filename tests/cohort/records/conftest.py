"""Small clinical-record tables for the records and join tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def clean_rows() -> list[dict]:
    """Four complete records in the bundled file's vocabulary."""
    base = {
        "age_group": ">50", "bmi_group": "<=30", "menopausal_status": "premenopause",
        "stage": "locally_advanced", "ihc_subtype": "luminal_b", "histology": "invasive",
        "microcalcification": "positive", "bone_metastasis": "negative",
    }
    return [
        {"patient_id": "P-001", **base},
        {"patient_id": "P-002", **base, "bone_metastasis": "positive", "stage": "in_situ_early"},
        {"patient_id": "P-003", **base, "age_group": "<=50", "ihc_subtype": "her2"},
        {"patient_id": "P-004", **base, "microcalcification": "negative", "histology": "non_invasive"},
    ]


@pytest.fixture
def clean_frame(clean_rows) -> pd.DataFrame:
    return pd.DataFrame(clean_rows)
