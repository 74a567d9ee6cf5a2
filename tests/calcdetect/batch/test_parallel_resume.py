"""Same outputs whatever the worker count, on Dask, and after a kill + --resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calcdetect.batch import ScanError, scan_folder

TABLES = ("images.csv", "calcifications.csv", "clusters.csv", "patients.csv", "errors.csv")


def tables_without_timings(out: Path) -> dict[str, str]:
    """The CSVs as text, with images.csv's `seconds` column (a measurement) blanked."""
    tables = {}
    for name in TABLES:
        lines = (out / name).read_text("utf-8").splitlines()
        if name == "images.csv":
            lines = [line.rsplit(",", 1)[0] for line in lines]  # seconds is the last column
        tables[name] = "\n".join(lines)
    return tables


def overlay_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / "overlays").rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def mixed_folder(tmp_path_factory, dicom_writers) -> Path:
    """Good images of several patients, a duplicate and a few bad files."""
    folder = tmp_path_factory.mktemp("mixed")
    dicom_writers.write_good_folder(folder / "a", n_patients=4)
    (folder / "b").mkdir()
    dicom_writers.write_messy_folder(folder / "b")
    return folder


@pytest.fixture(scope="module")
def reference(mixed_folder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "out"
    scan_folder(mixed_folder, out, workers=1)
    return out


def test_two_local_workers_give_identical_outputs(mixed_folder, reference, tmp_path):
    out = tmp_path / "out"
    summary = scan_folder(mixed_folder, out, workers=2)
    assert tables_without_timings(out) == tables_without_timings(reference)
    assert overlay_files(out) == overlay_files(reference)
    assert summary.n_errors > 0 and summary.n_images > 0


def test_dask_local_cluster_gives_identical_outputs(mixed_folder, reference, tmp_path):
    from dask.distributed import LocalCluster

    # threads in this process (the 'local' option test below covers worker processes)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        out = tmp_path / "out"
        scan_folder(mixed_folder, out, dask_address=cluster.scheduler_address)
    assert tables_without_timings(out) == tables_without_timings(reference)
    assert overlay_files(out) == overlay_files(reference)
    assert json.loads((out / "run.json").read_text())["arguments"]["dask"].startswith("tcp://127.0.0.1")


def test_dask_local_option_starts_its_own_cluster(good_folder, tmp_path):
    serial, on_dask = tmp_path / "serial", tmp_path / "dask"
    scan_folder(good_folder, serial, overlays=False)
    scan_folder(good_folder, on_dask, overlays=False, dask_address="local", workers=1)
    assert tables_without_timings(on_dask) == tables_without_timings(serial)


def test_unreachable_dask_scheduler_is_fatal(good_folder, tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        with pytest.raises(ScanError, match="Dask scheduler"):
            scan_folder(good_folder, tmp_path / "out", dask_address="tcp://127.0.0.1:9")


def test_resume_after_partial_run_equals_uninterrupted_run(mixed_folder, reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    records = sorted((out / ".work" / "records").iterdir())
    # as if killed: some files never finished, no final tables yet, a temp file left mid-write
    for record in records[::2]:
        record.unlink()
    for name in TABLES + ("run.json",):
        (out / name).unlink()
    shutil.rmtree(out / "overlays")
    (out / ".work" / "records" / f".{records[1].name}.123.abcd.tmp").write_text('{"half": ')
    (out / "overlays" / "x").mkdir(parents=True)
    (out / "overlays" / "x" / ".1.2.3.png.123.abcd.tmp").write_bytes(b"\x89PNG half")

    summary = scan_folder(mixed_folder, out, workers=1, resume=True)
    assert summary.n_resumed == len(records) - len(records[::2])
    assert not list(out.rglob("*.tmp")), "temporary files of the killed run are cleared"
    assert tables_without_timings(out) == tables_without_timings(reference)
    assert overlay_files(out) == overlay_files(reference)
    run = json.loads((out / "run.json").read_text())
    assert run["counts"]["analysed_this_run"] == len(records[::2])


def test_resume_redoes_changed_files_and_refuses_other_settings(good_folder, tmp_path):
    out = tmp_path / "out"
    scan_folder(good_folder, out, overlays=False)
    changed = good_folder / "study0" / "IM0000"
    os.utime(changed, ns=(time.time_ns(), time.time_ns() + 10**9))
    summary = scan_folder(good_folder, out, overlays=False, resume=True)
    assert summary.n_resumed == summary.n_inputs - 1
    with pytest.raises(ScanError, match="other settings"):
        scan_folder(good_folder, out, overlays=False, resume=True, default_spacing_mm=0.07)
    with pytest.raises(ScanError, match="other settings"):
        scan_folder(good_folder, out, overlays=False, resume=True, pseudonymize_key="k")


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_cli_run_resumes_to_the_same_files(mixed_folder, reference, tmp_path):
    """Kill a real `calcdetect scan` process mid-run (SIGKILL), then --resume."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "calcdetect.cli", "scan", str(mixed_folder), "-o", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    records = out / ".work" / "records"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if records.is_dir() and len([p for p in records.iterdir() if p.suffix == ".json"]) >= 3:
            break
        time.sleep(0.005)
    workers = _children(proc.pid)
    assert workers or not Path("/proc").is_dir(), "the scan runs its files in a worker process"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # its pool's workers do not outlive it (each would wait forever to hand back a result)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)], "orphaned workers still running"
    n_inputs = json.loads((reference / "run.json").read_text())["n_inputs"]
    assert proc.returncode == -signal.SIGKILL
    assert len(list(records.glob("*.json"))) < n_inputs, "the run finished before it could be killed"
    # whatever was written is whole: every record parses, every overlay decodes
    for record in records.glob("*.json"):
        json.loads(record.read_text())
    import cv2

    for png in (out / ".work" / "overlays").glob("*.png"):
        assert cv2.imread(str(png)) is not None, png
    assert not (out / "images.csv").exists()

    scan_folder(mixed_folder, out, resume=True)
    assert tables_without_timings(out) == tables_without_timings(reference)
    assert overlay_files(out) == overlay_files(reference)


CRASHY_MODULE = '''
"""Imported in each worker when the settings are unpickled: file names with CRASH kill the
process, file names with HANG never return (as a decoder looping on a corrupt codestream)."""
import os
import time

import calcdetect.batch.worker as worker
from calcdetect.config import DetectorConfig

_read = worker.read_mammogram


def _read_or_die(path, **kwargs):
    if "CRASH" in os.path.basename(str(path)):
        os._exit(139)  # as a segfaulting decoder would
    if "HANG" in os.path.basename(str(path)):
        time.sleep(3600)
    return _read(path, **kwargs)


worker.read_mammogram = _read_or_die


class CrashyConfig(DetectorConfig):
    pass
'''


def _scan_with_crashy_workers(folder, tmp_path, monkeypatch, **kwargs):
    """scan_folder with worker processes whose reader crashes on CRASH* and hangs on HANG* files."""
    import importlib
    import sys

    (tmp_path / "crashy_helpers.py").write_text(CRASHY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))  # this process
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    from calcdetect.config import DetectorConfig

    crashy = importlib.import_module("crashy_helpers")
    try:
        config = crashy.CrashyConfig(**DetectorConfig.default().to_dict())
        return scan_folder(folder, tmp_path / "out", overlays=False, config=config, **kwargs)
    finally:
        crashy.worker.read_mammogram = crashy._read  # undo the patch in this process
        sys.modules.pop("crashy_helpers", None)


def test_a_file_that_hangs_its_worker_is_reported_as_timeout_and_the_rest_analysed(good_folder, tmp_path,
                                                                                   monkeypatch):
    shutil.copy(good_folder / "study1" / "IM0000", good_folder / "study1" / "HANG-IM0000")
    started = time.monotonic()
    summary = _scan_with_crashy_workers(good_folder, tmp_path, monkeypatch, workers=1, timeout_s=2.0)
    assert time.monotonic() - started < 60  # two 2 s limits and two worker starts, not the hour it sleeps
    errors = (tmp_path / "out" / "errors.csv").read_text().splitlines()
    assert len(errors) == 2 and errors[1].startswith("study1/HANG-IM0000,timeout,")
    assert "longer than the limit of 2 s" in errors[1]
    assert summary.n_images == 6 and summary.errors_by_code == {"timeout": 1}


def test_a_file_that_kills_its_worker_is_reported_and_the_rest_analysed(good_folder, tmp_path, monkeypatch):
    shutil.copy(good_folder / "study1" / "IM0000", good_folder / "study1" / "CRASH-IM0000")
    summary = _scan_with_crashy_workers(good_folder, tmp_path, monkeypatch, workers=2)
    out = tmp_path / "out"
    errors = (out / "errors.csv").read_text().splitlines()
    assert len(errors) == 2 and errors[1].startswith("study1/CRASH-IM0000,internal_error,")
    assert "died" in errors[1]
    assert summary.n_images == 6 and summary.errors_by_code == {"internal_error": 1}
