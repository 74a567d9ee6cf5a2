"""Whatever a worker raises or returns for a file becomes that file's errors.csv row (issue 17).

The worker function is replaced, in this process and in every worker process
(a helper module imported when the settings are unpickled, as in
test_parallel_resume.py), by one that misbehaves on files with a marker in
their name: raises a ``BaseException`` that cannot be pickled (as pyo3's
``PanicException``), returns something that is not a result, a result for
another file, or a result that cannot be pickled back.  Every runner -- in
this process, the local pool, Dask -- must list each of them as
``internal_error`` with the exception's type and message, analyse the others,
and finish with complete outputs.
"""

from __future__ import annotations

import csv
import importlib
import os
import shutil
import sys

import pytest

from calcdetect.batch import scan_folder
from calcdetect.cli import main

MISBEHAVING_MODULE = '''
"""Imported in each worker when the settings are unpickled: process_input misbehaves by file name."""
import dataclasses
import os

import calcdetect.batch.parallel as parallel
from calcdetect.config import DetectorConfig

_process_input = parallel.process_input


class FakePanic(BaseException):
    """Like pyo3's PanicException: a BaseException, and it cannot be pickled."""

    def __reduce__(self):
        raise TypeError("cannot pickle FakePanic")


def misbehave(item, settings):
    name = os.path.basename(item.path)
    if "PANIC" in name:
        raise FakePanic("index out of bounds: the len is 8192 but the index is 8193")
    if "GARBAGE" in name:
        return "not a result"
    result = _process_input(item, settings)
    if "WRONGFILE" in name:
        record = dict(result.record, path="somewhere/else", job_id="0" * 16)
        return dataclasses.replace(result, record=record)
    if "UNPICKLABLE" in name:
        return dataclasses.replace(result, record=dict(result.record, extra=lambda: None))
    return result


parallel.process_input = misbehave


class MisbehavingConfig(DetectorConfig):
    pass
'''

MARKERS = ("PANIC", "GARBAGE", "WRONGFILE", "UNPICKLABLE")


@pytest.fixture
def misbehaving(tmp_path, monkeypatch):
    """The helper module, importable here and in worker processes; yields its config; undone after."""
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "misbehaving_helpers.py").write_text(MISBEHAVING_MODULE)
    monkeypatch.syspath_prepend(str(helpers))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(helpers), os.environ.get("PYTHONPATH", "")]))
    from calcdetect.config import DetectorConfig

    module = importlib.import_module("misbehaving_helpers")
    try:
        yield module.MisbehavingConfig(**DetectorConfig.default().to_dict())
    finally:
        module.parallel.process_input = module._process_input
        sys.modules.pop("misbehaving_helpers", None)


def _add_misbehaving_files(folder):
    source = folder / "study0" / "IM0000"
    for marker in MARKERS:
        shutil.copy(source, folder / "study1" / f"{marker}-IM0000")


def _errors(out):
    with open(out / "errors.csv", newline="") as fh:
        return {row["path"]: row for row in csv.DictReader(fh)}


def _check(out, summary):
    errors = _errors(out)
    assert set(errors) == {f"study1/{m}-IM0000" for m in MARKERS}
    assert {row["error"] for row in errors.values()} == {"internal_error"}
    assert summary.n_images == 6 and summary.errors_by_code == {"internal_error": 4}
    for name in ("images.csv", "calcifications.csv", "clusters.csv", "patients.csv", "run.json"):
        assert (out / name).is_file(), name
    return errors


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "local-pool"])
def test_every_misbehaving_worker_outcome_is_an_internal_error_row(good_folder, tmp_path, misbehaving, workers):
    _add_misbehaving_files(good_folder)
    out = tmp_path / "out"

    summary = scan_folder(good_folder, out, workers=workers, overlays=False, config=misbehaving)

    errors = _check(out, summary)
    # the type and message of what went wrong, in words
    assert "FakePanic" in errors["study1/PANIC-IM0000"]["message"]
    assert "returned a str instead of a result" in errors["study1/GARBAGE-IM0000"]["message"]
    assert "another file" in errors["study1/WRONGFILE-IM0000"]["message"]
    unpicklable = errors["study1/UNPICKLABLE-IM0000"]["message"]
    if workers == 1:  # in this process nothing is pickled: the record cannot be saved as JSON
        assert "cannot be saved as JSON" in unpicklable
    else:  # the pool could not send the result back
        assert "AttributeError: Can't pickle" in unpicklable and "lambda" in unpicklable


@pytest.mark.slow
def test_misbehaving_workers_on_a_dask_cluster_are_internal_error_rows(good_folder, tmp_path, misbehaving):
    _add_misbehaving_files(good_folder)
    out = tmp_path / "out"

    summary = scan_folder(good_folder, out, workers=2, overlays=False, config=misbehaving, dask_address="local")

    errors = _check(out, summary)
    assert "FakePanic" in errors["study1/PANIC-IM0000"]["message"]


def test_command_line_exits_3_with_complete_outputs_when_a_worker_panics(good_folder, tmp_path, misbehaving,
                                                                          monkeypatch):
    import misbehaving_helpers

    shutil.copy(good_folder / "study0" / "IM0000", good_folder / "study1" / "PANIC-IM0000")
    # the command line cannot take a config object: hand the helper's config to scan_folder
    import calcdetect.batch as batch

    real_scan = batch.scan_folder
    monkeypatch.setattr(batch, "scan_folder", lambda *a, **k: real_scan(*a, **{**k, "config": misbehaving}))
    assert misbehaving_helpers.parallel.process_input is misbehaving_helpers.misbehave

    status = main(["scan", str(good_folder), "-o", str(tmp_path / "out"), "--workers", "2", "--no-overlays"])

    assert status == 3
    assert list(_errors(tmp_path / "out")) == ["study1/PANIC-IM0000"]


def test_resume_reruns_a_malformed_saved_record_instead_of_failing(good_folder, tmp_path):
    import json

    out = tmp_path / "out"
    scan_folder(good_folder, out, overlays=False)
    expected = (out / "images.csv").read_text()
    records = sorted((out / ".work" / "records").glob("*.json"))
    damaged = json.loads(records[0].read_text())
    damaged["image"] = {"sop_instance_uid": 12345}  # valid JSON, not a record the tables can use
    records[0].write_text(json.dumps(damaged))

    summary = scan_folder(good_folder, out, overlays=False, resume=True)

    assert summary.n_resumed == 5 and summary.n_images == 6
    strip = lambda text: [line.rsplit(",", 1)[0] for line in text.splitlines()]  # noqa: E731 - seconds differ
    assert strip((out / "images.csv").read_text()) == strip(expected)
