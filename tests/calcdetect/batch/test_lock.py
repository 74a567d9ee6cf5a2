"""Two scans never write into one output folder at the same time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from calcdetect.batch import ScanError, scan_folder
from calcdetect.batch.lock import LOCK_NAME


def _lock(out, pid, host=None):
    out.mkdir(parents=True, exist_ok=True)
    (out / LOCK_NAME).write_text(json.dumps({"host": host or socket.gethostname(), "pid": pid,
                                             "started": "2026-11-25T10:00:00+00:00"}))


def test_a_folder_held_by_a_running_scan_is_refused_and_left_untouched(good_folder, tmp_path):
    out = tmp_path / "out"
    _lock(out, os.getpid())  # this very process: alive
    (out / "images.csv").write_text("the other scan's table\n")
    with pytest.raises(ScanError, match=rf"another calcdetect scan \(process {os.getpid()} .*delete"):
        scan_folder(good_folder, out, overlays=False)
    assert (out / "images.csv").read_text() == "the other scan's table\n"
    assert (out / LOCK_NAME).exists()  # still the other scan's


def test_a_lock_from_another_host_is_never_taken_over(good_folder, tmp_path):
    out = tmp_path / "out"
    _lock(out, 1, host="some-other-node")
    with pytest.raises(ScanError, match="some-other-node"):
        scan_folder(good_folder, out, overlays=False)


def test_the_lock_of_a_killed_scan_is_stale_and_taken_over(good_folder, tmp_path):
    out = tmp_path / "out"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer runs, as a scan killed with SIGKILL leaves behind
    _lock(out, gone.pid)
    summary = scan_folder(good_folder, out, overlays=False)
    assert summary.n_images == 6
    assert not (out / LOCK_NAME).exists()  # released at the end


def test_the_lock_is_released_when_the_scan_fails(good_folder, tmp_path):
    out = tmp_path / "out"
    scan_folder(good_folder, out, overlays=False)
    with pytest.raises(ScanError, match="other settings"):
        scan_folder(good_folder, out, overlays=False, resume=True, default_spacing_mm=0.1)
    assert not (out / LOCK_NAME).exists()
