"""`calcdetect serve` as a process: SIGTERM, a second node on the same OUT, kill -9 then restart."""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


class ServeProcess:
    def __init__(self, out: Path, port: int, log: Path, *extra: str) -> None:
        self.log = log
        self._n_listening = self.text().count("listening on") if log.exists() else 0
        cmd = [sys.executable, "-m", "calcdetect.cli", "serve", str(out), "--port", str(port),
               "--ae-title", "CALCDETECT", "--allow", "PACS@127.0.0.1", "--timeout-s", "0", *extra]
        self.fh = open(log, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.fh, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def wait_listening(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.text().count("listening on") > self._n_listening or self.proc.poll() is not None:
                break
            time.sleep(0.1)
        assert self.proc.poll() is None, self.text()
        assert self.text().count("listening on") > self._n_listening, self.text()

    def finish(self, timeout_s: float = 120.0) -> int:
        try:
            return self.proc.wait(timeout_s)
        finally:
            self.fh.close()


def _rows(kit, out: Path, name: str) -> list[dict]:
    path = out / name
    return kit.read_csv(path) if path.exists() else []


def test_sigterm_stops_cleanly_and_a_second_node_on_the_same_out_is_refused(tmp_path, kit):
    out, port = tmp_path / "out", kit.free_port()
    node = ServeProcess(out, port, tmp_path / "serve.log", "--study-idle-s", "0.5")
    try:
        node.wait_listening()
        second = subprocess.run([sys.executable, "-m", "calcdetect.cli", "serve", str(out), "--port",
                                 str(kit.free_port()), "--allow", "PACS"], capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert "another calcdetect" in second.stderr
        study = kit.study_of(3)
        assert kit.send(port, study) == [0, 0, 0]
        # SIGTERM while the study is being analysed: the analysis in progress is finished, then the node stops
        kit.wait_for(lambda: "analysing 3 new instance" in node.text(), what="the analysis to start")
        node.proc.send_signal(signal.SIGTERM)
        assert node.finish() == 0, node.text()
    finally:
        if node.proc.poll() is None:
            node.proc.kill()
    log = node.text()
    assert "SIGTERM received" in log and "stopped" in log
    assert log.index("SIGTERM received") < log.index("3 analysed now")  # the study was finished after it
    assert sorted(r["sop_instance_uid"] for r in _rows(kit, out, "images.csv")) == sorted(
        ds.SOPInstanceUID for ds in study)
    assert not (out / ".calcdetect-scan.lock").exists()
    assert "PHANTOM^" not in log and "PHANTOM " not in log  # the samples' Patient Names


def _sender(kit, port: int, datasets, acknowledged: list[str], *, reached: threading.Event,
            go: threading.Event, killed: threading.Event) -> threading.Thread:
    """Send ``datasets`` one by one over one association, noting each one answered success.

    After 3 acknowledged instances it waits for ``go`` (so the kill comes while the next ones are
    being sent), and after 6 for ``killed`` (so at least two are never acknowledged).
    """
    def run():
        try:
            assoc = kit.sender_ae("PACS").associate("127.0.0.1", port, ae_title="CALCDETECT")
            for ds in datasets:
                if len(acknowledged) == 3:
                    reached.set()
                    go.wait(30)
                if len(acknowledged) == 6:
                    killed.wait(30)
                status = assoc.send_c_store(copy.deepcopy(ds))
                if not (status and status.get("Status") == 0x0000):
                    return
                acknowledged.append(ds.SOPInstanceUID)
            assoc.release()
        except Exception:  # noqa: BLE001 - the node was killed under us: that is the point
            return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_kill_9_mid_transfer_then_restart_analyses_every_acknowledged_instance_exactly_once(tmp_path, kit):
    out, port = tmp_path / "out", kit.free_port()
    first_study, second_study = kit.study_of(2), kit.study_of(8)
    node = ServeProcess(out, port, tmp_path / "serve.log", "--study-idle-s", "1")
    try:
        node.wait_listening()
        assert kit.send(port, first_study) == [0, 0]
        kit.wait_for(lambda: len(_rows(kit, out, "images.csv")) == 2, what="the first study analysed")
        acknowledged: list[str] = []
        reached, go, killed = threading.Event(), threading.Event(), threading.Event()
        sender = _sender(kit, port, second_study, acknowledged, reached=reached, go=go, killed=killed)
        assert reached.wait(60), "3 acknowledged instances"
        go.set()
        time.sleep(0.05)
        node.proc.send_signal(signal.SIGKILL)  # in the middle of the 4th instance, or of the 5th or 6th
        node.finish()
        killed.set()
        sender.join(30)
    finally:
        if node.proc.poll() is None:
            node.proc.kill()
    n_acked = len(acknowledged)
    assert 3 <= n_acked <= 6
    on_disk = {p.stem for p in (out / "inbox").glob("*/*.dcm")}
    assert set(acknowledged) <= on_disk  # success was answered only once the file was there

    # the restarted node analyses what it had acknowledged; the sender sends again what was not acknowledged
    node = ServeProcess(out, port, tmp_path / "serve.log", "--study-idle-s", "1")
    try:
        node.wait_listening()
        rest = [ds for ds in second_study if ds.SOPInstanceUID not in acknowledged]
        assert kit.send(port, rest) == [0] * len(rest)
        every = [ds.SOPInstanceUID for ds in first_study + second_study]
        kit.wait_for(lambda: len(_rows(kit, out, "images.csv")) == len(every), timeout_s=120,
                     what="every instance analysed")
        time.sleep(1.5)  # nothing more arrives or is analysed later
        node.proc.send_signal(signal.SIGTERM)
        assert node.finish() == 0
    finally:
        if node.proc.poll() is None:
            node.proc.kill()
    images = _rows(kit, out, "images.csv")
    assert Counter(r["sop_instance_uid"] for r in images) == Counter(every)  # each exactly once
    assert _rows(kit, out, "errors.csv") == []
    run = json.loads((out / "run.json").read_text())
    # the first study, analysed before the kill, is not analysed again after it
    assert run["counts"]["instances_analysed_this_run"] == len(second_study)
    assert not list((out / "inbox" / ".incoming").iterdir())
    assert len(list((out / ".work" / "records").glob("*.json"))) == len(every)
