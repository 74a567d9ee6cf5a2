import json

import numpy as np
import pydicom
import pytest

from calcdetect.io import read_mammogram
from calcdetect.phantom import PRESETS, make_phantom, write_phantom
from calcdetect.phantom.dicom_writer import SOP_CLASS_FOR_PRESENTATION, SOP_CLASS_FOR_PROCESSING


@pytest.mark.parametrize("preset", ["small", "small-ge-like", "small-siemens-like", "small-fuji-cr-like"])
def test_written_file_is_a_valid_mammogram_that_reads_back_exactly(tmp_path, preset):
    ph = make_phantom(seed=21, preset=preset, view="MLO", laterality="R", with_cluster=True, patient_id="PAT-9")
    dcm, truth_path = write_phantom(ph, tmp_path, "img")
    assert dcm.name == "img.dcm" and truth_path.name == "img.truth.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["img.dcm", "img.truth.json"]  # no temp files left
    raw = dcm.read_bytes()
    assert raw[128:132] == b"DICM"
    p = PRESETS[preset]
    ds = pydicom.dcmread(dcm)
    expected_sop = SOP_CLASS_FOR_PROCESSING if p.presentation_intent == "FOR PROCESSING" else SOP_CLASS_FOR_PRESENTATION
    assert ds.SOPClassUID == expected_sop == ds.file_meta.MediaStorageSOPClassUID
    assert ds.file_meta.TransferSyntaxUID == p.transfer_syntax_uid
    assert ds.Modality == "MG" and ds.BodyPartExamined == "BREAST"
    assert ds.PatientID == "PAT-9" and "PHANTOM" in str(ds.PatientName)
    assert ds.ImageLaterality == "R" and ds.ViewPosition == "MLO"
    assert ds.ViewCodeSequence[0].CodeValue == "399368009"
    assert ds.PresentationIntentType == p.presentation_intent
    assert ds.PhotometricInterpretation == p.photometric
    assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (
        16, p.bits_stored, p.bits_stored - 1, 0)
    assert [float(v) for v in ds.ImagerPixelSpacing] == [p.spacing_mm] * 2
    assert float(ds.EstimatedRadiographicMagnificationFactor) == 1.0
    assert ds.Manufacturer.startswith("Synthetic (")
    assert ds.SOPInstanceUID == ph.sop_instance_uid == ds.file_meta.MediaStorageSOPInstanceUID
    assert "WindowCenter" in ds and float(ds.WindowWidth) > 0
    assert np.array_equal(ds.pixel_array, ph.stored)

    truth = json.loads(truth_path.read_text())
    assert truth == json.loads(json.dumps(ph.truth))
    # the project's reader sees the same pixels the truth's contrasts were measured in
    m = read_mammogram(dcm)
    assert m.sop_instance_uid == truth["sop_instance_uid"]
    assert (m.view, m.laterality) == ("MLO", "R")
    assert m.spacing_mm == pytest.approx((p.spacing_mm, p.spacing_mm))
    np.testing.assert_allclose(m.pixels, ph.read_pixels(), rtol=0, atol=1e-4)


def test_write_refuses_a_path_as_name(tmp_path):
    ph = make_phantom(seed=1, preset="small")
    with pytest.raises(ValueError, match="plain file stem"):
        write_phantom(ph, tmp_path, "../escape")
