"""A real PACS on loopback: Debian's Orthanc sends a study to `calcdetect serve` and gets the CAD SR back.

Orthanc is started here with its own configuration (free ports, its own
storage, REST API for this machine only).  Orthanc 1.10 has no option to bind
its DICOM port to one address, so it is locked down instead: it accepts
C-ECHO / C-STORE only from the calcdetect modality, and checks its host.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pydicom import dcmread

pytestmark = pytest.mark.slow

MAMMO_CAD_SR = "1.2.840.10008.5.1.4.1.1.88.50"


class Orthanc:
    def __init__(self, root: Path, *, http_port: int, dicom_port: int, calcdetect_port: int) -> None:
        self.url = f"http://127.0.0.1:{http_port}"
        config = {
            "Name": "calcdetect-test",
            "StorageDirectory": str(root / "storage"),
            "IndexDirectory": str(root / "index"),
            "HttpPort": http_port,
            "DicomPort": dicom_port,
            "DicomAet": "ORTHANC",
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomAlwaysAllowEcho": False,
            "DicomAlwaysAllowStore": False,
            "DicomCheckModalityHost": True,
            "DicomModalities": {"calcdetect": ["CALCDETECT", "127.0.0.1", calcdetect_port]},
            "Plugins": [],
            "SaveJobs": False,
        }
        (root / "orthanc.json").write_text(json.dumps(config))
        self.log = root / "orthanc.log"
        self._fh = open(self.log, "wb")
        self.proc = subprocess.Popen([shutil.which("Orthanc"), str(root / "orthanc.json")],
                                     stdout=self._fh, stderr=subprocess.STDOUT, cwd=root)

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=30) as rsp:
            return json.loads(rsp.read())

    def post(self, path: str, body: bytes | dict, *, content_type: str = "application/json"):
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(self.url + path, data=data, method="POST",
                                         headers={"Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=120) as rsp:
            return json.loads(rsp.read() or b"null")

    def file(self, instance_id: str) -> bytes:
        with urllib.request.urlopen(f"{self.url}/instances/{instance_id}/file", timeout=30) as rsp:
            return rsp.read()

    def wait_up(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                self.get("/system")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError("Orthanc did not start:\n" + self.log.read_text("utf-8", "replace")[-3000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._fh.close()


def _referenced_uids(ds) -> set[str]:
    found = set()
    for elem in ds.iterall():
        if elem.keyword == "ReferencedSOPInstanceUID":
            found.add(str(elem.value))
    return found


def _sr_writer_available() -> bool:
    try:
        import calcdetect.sr  # noqa: F401 - the CAD SR writer (issue 13)
    except ImportError:
        return False
    return True


def test_orthanc_sends_a_study_and_gets_the_cad_sr_back(tmp_path, kit):
    if shutil.which("Orthanc") is None:
        pytest.skip("Orthanc is not installed (Debian package 'orthanc'; .ci/run installs it where it can)")
    http_port, dicom_port, node_port = kit.free_port(), kit.free_port(), kit.free_port()
    orthanc = Orthanc(tmp_path, http_port=http_port, dicom_port=dicom_port, calcdetect_port=node_port)
    out = tmp_path / "out"
    log = tmp_path / "serve.log"
    with open(log, "wb") as fh:
        node = subprocess.Popen(
            [sys.executable, "-m", "calcdetect.cli", "serve", str(out), "--port", str(node_port),
             "--ae-title", "CALCDETECT", "--allow", "ORTHANC@127.0.0.1",
             "--forward", f"ORTHANC@127.0.0.1:{dicom_port}", "--study-idle-s", "1", "--timeout-s", "0"],
            stdout=fh, stderr=subprocess.STDOUT)
    try:
        orthanc.wait_up()
        kit.wait_for(lambda: "listening on" in log.read_text() or node.poll() is not None, what="the node")
        assert node.poll() is None, log.read_text()

        study = kit.study_of(2)
        for ds in study:
            buf = io.BytesIO()
            ds.save_as(buf, enforce_file_format=True)
            orthanc.post("/instances", buf.getvalue(), content_type="application/dicom")
        (study_id,) = orthanc.get("/studies")
        assert orthanc.post("/modalities/calcdetect/echo", {}) == {}
        orthanc.post("/modalities/calcdetect/store", {"Resources": [study_id], "Synchronous": True})

        images = kit.wait_for(lambda: (out / "images.csv").exists() and len(kit.read_csv(out / "images.csv")) == 2
                              and kit.read_csv(out / "images.csv"), what="the study analysed", timeout_s=120)
        uids = {ds.SOPInstanceUID for ds in study}
        assert {r["sop_instance_uid"] for r in images} == uids

        if not _sr_writer_available():
            pytest.skip("calcdetect.sr (the CAD SR writer, issue 13) is not in this build: the study went "
                        "Orthanc -> calcdetect and was analysed; the SR round trip is not checked")

        def sr_in_orthanc():
            for instance in orthanc.get(f"/studies/{study_id}/instances"):
                tags = orthanc.get(f"/instances/{instance['ID']}/simplified-tags")
                if tags.get("SOPClassUID") == MAMMO_CAD_SR:
                    return instance["ID"]
            return None

        sr_id = kit.wait_for(sr_in_orthanc, what="the CAD SR in Orthanc", timeout_s=120)
        sr = dcmread(io.BytesIO(orthanc.file(sr_id)))
        assert sr.StudyInstanceUID == study[0].StudyInstanceUID
        assert uids <= _referenced_uids(sr)
        kit.wait_for(lambda: kit.read_csv(out / "outbox.csv") == [], what="the outbox emptied")
        (sent,) = kit.read_csv(out / "forwarded.csv")
        assert sent["file"].startswith("sr/") and sent["destination"] == f"ORTHANC@127.0.0.1:{dicom_port}"
    finally:
        if node.poll() is None:
            node.send_signal(signal.SIGTERM)
            try:
                node.wait(60)
            except subprocess.TimeoutExpired:
                node.kill()
        orthanc.stop()
