"""The forwarder: a destination that is down keeps the file queued and listed; a restart sends it."""

from __future__ import annotations

import shutil
import threading

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
from pynetdicom import ALL_TRANSFER_SYNTAXES, AE, evt, sop_class

from calcdetect.node.analysis import SrResult
from calcdetect.node.forwarder import Forwarder
from calcdetect.node.policy import Destination


class Destination_SCP:
    """A storage SCP (the PACS) that keeps the SOP Instance UIDs it received."""

    def __init__(self, port: int, ae_title: str = "PACS") -> None:
        self.received: list[str] = []
        self.calling: list[str] = []
        self._lock = threading.Lock()
        ae = AE(ae_title=ae_title)
        for uid in (sop_class.MammographyCADSRStorage, sop_class.ComprehensiveSRStorage,
                    sop_class.DigitalMammographyXRayImageStorageForPresentation):
            ae.add_supported_context(uid, ALL_TRANSFER_SYNTAXES)

        def on_store(event):
            with self._lock:
                self.received.append(str(event.dataset.SOPInstanceUID))
                self.calling.append(str(event.assoc.requestor.ae_title))
            return 0x0000

        self.server = ae.start_server(("127.0.0.1", port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_store)])

    def stop(self) -> None:
        self.server.shutdown()


def fake_sr(path, *, study_uid: str) -> str:
    """A stand-in result object (a Comprehensive SR header), written with pydicom: the forwarder only sends files."""
    ds = Dataset()
    ds.SOPClassUID = sop_class.ComprehensiveSRStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, generate_uid()
    ds.Modality, ds.PatientID = "SR", "X"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return str(ds.SOPInstanceUID)


def test_a_down_destination_keeps_the_file_queued_and_listed_until_a_restart_sends_it(tmp_path, kit):
    out = tmp_path / "out"
    sr = out / "sr" / "study1" / "cad.dcm"
    uid = fake_sr(sr, study_uid=generate_uid())
    port = kit.free_port()
    destination = Destination("PACS", "127.0.0.1", port)

    down = Forwarder(out, destination, calling_ae="CALCDETECT", base_delay_s=0.1)
    down.enqueue([sr], study="study1")
    assert down.send_due() == 0
    listed = kit.read_csv(out / "outbox.csv")
    assert [(r["file"], r["destination"], r["attempts"]) for r in listed] == [
        ("sr/study1/cad.dcm", "PACS@127.0.0.1:" + str(port), "1")]
    assert "no association" in listed[0]["last_error"]
    assert len(list((out / "outbox").glob("*.json"))) == 1
    del down  # the node stops (or is killed): the queue is on disk

    pacs = Destination_SCP(port)
    try:
        restarted = Forwarder(out, destination, calling_ae="CALCDETECT", base_delay_s=0.1)
        assert [e.file for e in restarted.queued] == ["sr/study1/cad.dcm"]
        restarted.start()
        kit.wait_for(lambda: pacs.received, what="the file at the destination")
        restarted.stop()
    finally:
        pacs.stop()
    assert pacs.received == [uid] and pacs.calling == ["CALCDETECT"]
    assert kit.read_csv(out / "outbox.csv") == []
    assert not list((out / "outbox").glob("*.json"))
    assert [r["file"] for r in kit.read_csv(out / "forwarded.csv")] == ["sr/study1/cad.dcm"]


def test_the_node_forwards_what_the_sr_writer_wrote_for_each_study(tmp_path, kit):
    port = kit.free_port()
    written = {}

    def sr_writer(out_dir, tables, dicom_dir):  # a stand-in for calcdetect.sr: the node forwards what it wrote
        (study,) = {r["study_instance_uid"] for r in tables.images}
        path = out_dir / "sr" / study / "cad.dcm"
        written[study] = (fake_sr(path, study_uid=study), sorted(r["sop_instance_uid"] for r in tables.images))
        assert all((dicom_dir / r["path"]).is_file() for r in tables.images)
        return SrResult({study: path})

    pacs = Destination_SCP(port)
    running = kit.start_node(tmp_path / "out", sr_writer=sr_writer, destination=Destination("PACS", "127.0.0.1", port))
    try:
        study = kit.study_of(2)
        assert kit.send(running.port, study) == [0, 0]
        kit.wait_for(lambda: pacs.received, what="the SR at the destination")
    finally:
        running.stop()
        pacs.stop()
    (study_name,) = written
    assert study_name == study[0].StudyInstanceUID
    sr_uid, images = written[study_name]
    assert images == sorted(ds.SOPInstanceUID for ds in study)
    assert pacs.received == [sr_uid]


def test_files_of_any_transfer_syntax_are_sent_as_they_are(tmp_path, kit):
    out = tmp_path / "out"
    (out / "sr").mkdir(parents=True)
    sample = out / "sr" / "image.dcm"
    shutil.copy(kit.samples / "small-ge-like_neg_RCC.dcm", sample)  # JPEG 2000
    port = kit.free_port()
    pacs = Destination_SCP(port)
    try:
        forwarder = Forwarder(out, Destination("PACS", "127.0.0.1", port), calling_ae="CALCDETECT")
        forwarder.enqueue([sample], study="s")
        assert forwarder.send_due() == 1
    finally:
        pacs.stop()
    assert pacs.received == [str(dcmread(sample, stop_before_pixels=True).SOPInstanceUID)]


def test_a_study_killed_between_its_analysis_and_its_sr_gets_its_sr_at_the_next_start(tmp_path, kit):
    """The study's done mark is written after its SR is queued: without the mark, a restart redoes the SR
    step (not the analysis) and queues it again."""
    import json

    port = kit.free_port()
    calls = []

    def sr_writer(out_dir, tables, dicom_dir):
        (study,) = {r["study_instance_uid"] for r in tables.images}
        calls.append(study)
        path = out_dir / "sr" / study / "cad.dcm"
        fake_sr(path, study_uid=study)
        return SrResult({study: path})

    pacs = Destination_SCP(port)
    out = tmp_path / "out"
    try:
        running = kit.start_node(out, sr_writer=sr_writer, destination=Destination("PACS", "127.0.0.1", port))
        study = kit.study_of(2)
        kit.send(running.port, study)
        kit.wait_for(lambda: pacs.received, what="the first SR")
        running.stop()
        (mark,) = (out / ".work" / "node-sr").glob("*.json")
        mark.unlink()  # as if killed after the SR was queued, before the study was marked done
        running = kit.start_node(out, sr_writer=sr_writer, destination=Destination("PACS", "127.0.0.1", port))
        kit.wait_for(lambda: len(pacs.received) == 2, what="the SR sent again")
        running.stop()
    finally:
        pacs.stop()
    assert calls == [study[0].StudyInstanceUID] * 2
    assert json.loads((out / "run.json").read_text())["counts"]["instances_analysed_this_run"] == 0
    assert len(kit.read_csv(out / "images.csv")) == 2
