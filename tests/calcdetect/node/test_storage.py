"""The node against pynetdicom as the sender: who may associate, what is stored, what is refused."""

from __future__ import annotations

import copy
import logging

import pytest
from pydicom import dcmread
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import generate_uid
from pynetdicom import sop_class

from calcdetect.batch import scan_folder
from calcdetect.errors import ScanError


def _reject_reason(assoc) -> tuple[int, int, int]:
    rj = assoc.acceptor.primitive
    return rj.result, rj.result_source, rj.diagnostic


def test_echo_from_an_allowed_ae(node, kit):
    assoc = kit.sender_ae("PACS").associate("127.0.0.1", node.port, ae_title="CALCDETECT")
    assert assoc.is_established
    assert assoc.acceptor.maximum_length == 262_144  # the node's PDU limit, announced in the A-ASSOCIATE-AC
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()


@pytest.mark.parametrize("calling, called, diagnostic", [
    ("INTRUDER", "CALCDETECT", 0x03),   # calling AE title not recognised
    ("PACS", "SOMEONEELSE", 0x07),      # called AE title not recognised
])
def test_unknown_ae_titles_are_rejected_at_association(node, kit, caplog, calling, called, diagnostic):
    caplog.set_level(logging.WARNING, logger="calcdetect.node")
    assoc = kit.sender_ae(calling).associate("127.0.0.1", node.port, ae_title=called)
    assert assoc.is_rejected and not assoc.is_established
    # A-ASSOCIATE-RJ: rejected-permanent (1), by the service user (1), with the reason
    assert _reject_reason(assoc) == (0x01, 0x01, diagnostic)
    assert any("rejected" in r.getMessage() for r in caplog.records)


def test_an_ae_allowed_only_from_another_host_is_rejected(tmp_path, kit):
    running = kit.start_node(tmp_path / "out", allow=("PACS@192.0.2.10",))
    try:
        assoc = kit.sender_ae("PACS").associate("127.0.0.1", running.port, ae_title="CALCDETECT")
        assert assoc.is_rejected
        assert _reject_reason(assoc) == (0x01, 0x01, 0x03)
    finally:
        running.stop()


def test_too_many_associations_are_rejected(tmp_path, kit):
    running = kit.start_node(tmp_path / "out", max_associations=1)
    try:
        first = kit.sender_ae("PACS").associate("127.0.0.1", running.port, ae_title="CALCDETECT")
        assert first.is_established
        second = kit.sender_ae("PACS").associate("127.0.0.1", running.port, ae_title="CALCDETECT")
        assert second.is_rejected
        # rejected-transient (2), presentation related (3), local limit exceeded (2)
        assert _reject_reason(second) == (0x02, 0x03, 0x02)
        first.release()
    finally:
        running.stop()


def test_sop_classes_the_reader_does_not_analyse_are_refused_at_negotiation(node, kit):
    ae = kit.sender_ae("PACS", sop_classes=(sop_class.CTImageStorage, sop_class.MammographyCADSRStorage,
                                            sop_class.DigitalMammographyXRayImageStorageForPresentation))
    assoc = ae.associate("127.0.0.1", node.port, ae_title="CALCDETECT")
    assert assoc.is_established
    accepted = {cx.abstract_syntax for cx in assoc.accepted_contexts}
    rejected = {cx.abstract_syntax for cx in assoc.rejected_contexts}
    assoc.release()
    assert sop_class.DigitalMammographyXRayImageStorageForPresentation in accepted
    assert {sop_class.CTImageStorage, sop_class.MammographyCADSRStorage} <= rejected
    assert not accepted & {sop_class.CTImageStorage, sop_class.MammographyCADSRStorage}


def _no_pixels(kit):
    (ds,) = kit.study_of(1)
    del ds.PixelData
    return ds


def _chest_dx(kit):
    (ds,) = kit.study_of(1)
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = sop_class.DigitalXRayImageStorageForPresentation
    ds.Modality, ds.BodyPartExamined = "DX", "CHEST"
    return ds


def _corrupt_jpeg2000(kit):
    ds = dcmread(kit.samples / "small-ge-like_neg_RCC.dcm")
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    ds.PixelData = encapsulate([frame[:300] + bytes(4000)])  # a sound header, then no image data
    return ds


@pytest.mark.parametrize("make_bad, status_range, code", [
    (_no_pixels, (0xC000, 0xCFFF), "no_pixel_data"),
    (_chest_dx, (0xA900, 0xA9FF), "not_mammogram"),
    (_corrupt_jpeg2000, (0xC000, 0xCFFF), "decode_failed"),
])
def test_a_bad_instance_gets_a_failure_status_and_an_error_row_and_the_association_goes_on(
        node, kit, make_bad, status_range, code):
    bad = make_bad(kit)
    (good,) = kit.study_of(1)
    statuses = kit.send(node.port, [bad, good])
    assert status_range[0] <= statuses[0] <= status_range[1], hex(statuses[0])
    assert statuses[1] == 0x0000
    errors = kit.wait_for(lambda: (node.out / "errors.csv").exists() and kit.read_csv(node.out / "errors.csv"),
                          what="errors.csv row")
    assert len(errors) == 1
    assert errors[0]["path"].endswith(f"/{bad.SOPInstanceUID}.dcm")
    assert errors[0]["error"] == code
    assert "refused when received" in errors[0]["message"]
    images = kit.wait_for(lambda: kit.read_csv(node.out / "images.csv"), what="images.csv row")
    assert [r["sop_instance_uid"] for r in images] == [good.SOPInstanceUID]
    assert not (node.out / "inbox" / errors[0]["path"]).exists()


def test_an_instance_over_the_size_limit_gets_out_of_resources(tmp_path, kit):
    running = kit.start_node(tmp_path / "out", max_instance_bytes=200_000)
    try:
        (big,) = kit.study_of(1)  # ~577 kB
        assert kit.send(running.port, [big]) == [0xA700]
        errors = kit.wait_for(lambda: (running.out / "errors.csv").exists()
                              and kit.read_csv(running.out / "errors.csv"), what="errors.csv row")
        assert [e["error"] for e in errors] == ["too_large"]
    finally:
        running.stop()


def test_a_study_lands_in_the_tables_scan_writes_and_names_no_patient(tmp_path, kit, caplog):
    caplog.set_level(logging.DEBUG)
    running = kit.start_node(tmp_path / "out")
    study = kit.study_of(3)
    resent = study[0]
    assert kit.send(running.port, study + [resent]) == [0x0000] * 4  # the same instance twice: stored once
    out = running.out
    images = kit.wait_for(lambda: (out / "images.csv").exists() and len(kit.read_csv(out / "images.csv")) == 3
                          and kit.read_csv(out / "images.csv"), what="3 image rows")
    running.stop()
    study_dir = {p.parent.name for p in (out / "inbox").glob("*/*.dcm")}
    assert study_dir == {study[0].StudyInstanceUID}
    assert sorted(r["sop_instance_uid"] for r in images) == sorted(ds.SOPInstanceUID for ds in study)
    assert {r["path"] for r in images} == {f"{ds.StudyInstanceUID}/{ds.SOPInstanceUID}.dcm" for ds in study}
    # the same engine on the same files: `calcdetect scan OUT/inbox` gives the same tables (but for timings)
    ref = tmp_path / "scan"
    scan_folder(out / "inbox", ref)
    for name in ("images.csv", "calcifications.csv", "clusters.csv", "patients.csv", "errors.csv"):
        ours, theirs = kit.read_csv(out / name), kit.read_csv(ref / name)
        for row in ours + theirs:
            row.pop("seconds", None)
        assert ours == theirs, name
    assert all((out / r["overlay"]).is_file() for r in images)
    # no Patient Name anywhere but in the received DICOM files themselves
    names = {str(ds.PatientName) for ds in study} | {str(ds.PatientName).replace("^", " ") for ds in study}
    for path in out.rglob("*"):
        if path.is_file() and "inbox" not in path.relative_to(out).parts:
            data = path.read_bytes()
            assert not any(n.encode() in data for n in names), path
    assert not any(n in r.getMessage() for r in caplog.records for n in names)


def test_a_second_node_on_the_same_folder_is_refused(node, kit):
    with pytest.raises(ScanError, match="another calcdetect"):
        kit.start_node(node.out)


def test_a_bad_copy_of_an_instance_already_stored_does_not_replace_its_result(node, kit):
    (good,) = kit.study_of(1)
    bad = copy.deepcopy(good)
    del bad.PixelData
    assert kit.send(node.port, [good]) == [0x0000]
    kit.wait_for(lambda: (node.out / "images.csv").exists() and kit.read_csv(node.out / "images.csv"),
                 what="the image analysed")
    assert kit.send(node.port, [bad])[0] >= 0xC000
    errors = kit.wait_for(lambda: kit.read_csv(node.out / "errors.csv"), what="the refusal row")
    assert [e["path"] for e in errors] == [f"{good.StudyInstanceUID}/{good.SOPInstanceUID}_refused.dcm"]
    assert [r["sop_instance_uid"] for r in kit.read_csv(node.out / "images.csv")] == [good.SOPInstanceUID]
