"""A real scan output for the review tests: the committed sample phantoms, scanned once per session.

``small-ge-like_neg_RCC`` is given the patient of ``small-ge-like_pos_LMLO`` (a copy,
PatientID rewritten with pydicom), so one patient has two images, one flagged.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pydicom
import pytest

from calcdetect.cli import main

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "phantoms"
#: the demo-size phantom the detector misses: 2000 x 1600, its true cluster is the "missed" one
MISSED_FILE = "demo-ge-like_pos_LCC"


@pytest.fixture(scope="session")
def scanned(tmp_path_factory) -> Path:
    archive = tmp_path_factory.mktemp("archive")
    for dcm in SAMPLES.glob("*.dcm"):
        shutil.copy(dcm, archive / dcm.name)
    moved = archive / "small-ge-like_neg_RCC.dcm"
    target = pydicom.dcmread(archive / "small-ge-like_pos_LMLO.dcm", stop_before_pixels=True).PatientID
    ds = pydicom.dcmread(moved)
    ds.PatientID = target
    ds.save_as(moved)
    out = tmp_path_factory.mktemp("scan") / "out"
    assert main(["scan", str(archive), "-o", str(out), "--workers", "1"]) == 0
    return out


@pytest.fixture
def scan_out(scanned: Path, tmp_path: Path) -> Path:
    """A fresh copy of the scan output, for a test to write its review into."""
    out = tmp_path / "out"
    shutil.copytree(scanned, out, ignore=shutil.ignore_patterns(".work"))
    return out


@pytest.fixture
def missed_truth() -> dict:
    return json.loads((SAMPLES / f"{MISSED_FILE}.truth.json").read_text())
