"""A node running in a thread on loopback, and pynetdicom as the sender (a modality or PACS)."""

from __future__ import annotations

import copy
import csv
import socket
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid
from pynetdicom import AE

from calcdetect.batch.worker import ScanSettings
from calcdetect.config import DetectorConfig
from calcdetect.node import NodeOptions, NodePolicy, parse_allowed_peer, run_node

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "data" / "phantoms"
#: Implicit / Explicit VR Little Endian samples: small, fast to analyse
SAMPLE_FILES = ("small_pos_LCC.dcm", "small_neg_RMLO.dcm", "small-fuji-cr-like_neg_LCC.dcm")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def study_of(n: int, *, study_uid: str | None = None) -> list:
    """``n`` sample mammograms re-labelled as one study of one patient (new Study and SOP Instance UIDs)."""
    study_uid = study_uid or generate_uid()
    datasets = []
    for i in range(n):
        ds = dcmread(SAMPLES / SAMPLE_FILES[i % len(SAMPLE_FILES)])
        if datasets:  # one patient per study
            ds.PatientID, ds.PatientName = datasets[0].PatientID, datasets[0].PatientName
        ds.StudyInstanceUID = study_uid
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        datasets.append(ds)
    return datasets


def sender_ae(calling: str = "PACS", *, sop_classes=None) -> AE:
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless, RLELossless
    from pynetdicom import sop_class

    ae = AE(ae_title=calling)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
    ae.add_requested_context(sop_class.Verification)
    for uid in sop_classes or (sop_class.DigitalMammographyXRayImageStorageForPresentation,
                               sop_class.DigitalMammographyXRayImageStorageForProcessing,
                               sop_class.DigitalXRayImageStorageForPresentation):
        for syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless, RLELossless):
            ae.add_requested_context(uid, syntax)  # one context per syntax: the data are sent as they are
    return ae


def send(port: int, datasets, *, calling: str = "PACS", called: str = "CALCDETECT", tls_args=None) -> list[int]:
    """C-STORE each dataset over one association; the status of each (None: no response)."""
    assoc = sender_ae(calling).associate("127.0.0.1", port, ae_title=called, tls_args=tls_args)
    assert assoc.is_established, "association not established"
    statuses = []
    try:
        for ds in datasets:
            status = assoc.send_c_store(copy.deepcopy(ds))
            statuses.append(int(status.Status) if status and "Status" in status else None)
    finally:
        assoc.release()
    return statuses


def wait_for(predicate, *, timeout_s: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class RunningNode(SimpleNamespace):
    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(120)
        assert not self.thread.is_alive(), "the node did not stop"
        if self.error:
            raise self.error[0]


def start_node(out: Path, *, allow=("PACS",), idle_s: float = 0.3, sr_writer=None, tls=None,
               destination=None, settings=None, **policy_kw) -> RunningNode:
    port = free_port()
    policy = NodePolicy("CALCDETECT", tuple(parse_allowed_peer(a) for a in allow), **policy_kw)
    options = NodeOptions(policy=policy, port=port, study_idle_s=idle_s, tls=tls, destination=destination,
                          forward_base_delay_s=0.2, forward_max_delay_s=1.0)
    settings = settings or ScanSettings(DetectorConfig.default())
    stop, ready, error = threading.Event(), threading.Event(), []

    def target():
        try:
            run_node(out, settings, options, stop=stop, sr_writer=sr_writer, on_listening=lambda p: ready.set())
        except BaseException as exc:  # noqa: BLE001 - re-raised by stop()
            error.append(exc)
            ready.set()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    assert ready.wait(30), "the node did not start listening"
    if error:
        raise error[0]
    return RunningNode(port=port, out=out, stop_event=stop, thread=thread, error=error)


@pytest.fixture
def node(tmp_path):
    running = start_node(tmp_path / "out")
    yield running
    if running.thread.is_alive():
        running.stop()


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers above, for the test modules (conftest files are not importable)."""
    return SimpleNamespace(free_port=free_port, read_csv=read_csv, study_of=study_of, sender_ae=sender_ae,
                           send=send, wait_for=wait_for, start_node=start_node, samples=SAMPLES, repo=REPO)
