"""Write a :class:`~calcdetect.phantom.generate.Phantom` as a Digital Mammography DICOM
file plus its truth JSON.  Besides :mod:`calcdetect.io`, the only module that
touches pydicom.

The dataset follows the Digital Mammography X-Ray Image IOD (For Presentation
``1.2.840.10008.5.1.4.1.1.1.2`` / For Processing ``...1.2.1``): Modality MG,
ImagerPixelSpacing and PixelSpacing, EstimatedRadiographicMagnificationFactor
1.0, ImageLaterality, ViewPosition with ViewCodeSequence (SNOMED CT),
PresentationIntentType, PresentationLUTShape (IDENTITY for MONOCHROME2,
INVERSE for MONOCHROME1 as the DX module requires), window centre/width, and a
``Manufacturer`` of ``"Synthetic (<preset>)"``.  Writes are atomic: a temporary
file in the same folder, renamed into place.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    PYDICOM_IMPLEMENTATION_UID,
)

from calcdetect import __version__
from calcdetect.atomic import atomic_write
from calcdetect.evaluation.truth_files import truth_path_for
from calcdetect.phantom.presets import FOR_PRESENTATION

if TYPE_CHECKING:
    from calcdetect.phantom.generate import Phantom

__all__ = ["SOP_CLASS_FOR_PRESENTATION", "SOP_CLASS_FOR_PROCESSING", "phantom_dataset", "write_phantom"]

SOP_CLASS_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
SOP_CLASS_FOR_PROCESSING = "1.2.840.10008.5.1.4.1.1.1.2.1"

_VIEW_CODES = {  # SNOMED CT codes of the ViewCodeSequence
    "CC": ("399162004", "cranio-caudal"),
    "MLO": ("399368009", "medio-lateral oblique"),
}
_ORIENTATION = {("L", "CC"): ["A", "R"], ("R", "CC"): ["P", "L"],
                ("L", "MLO"): ["A", "FR"], ("R", "MLO"): ["P", "FL"]}


def phantom_dataset(phantom: Phantom) -> Dataset:
    """Build the complete DICOM dataset (pixel data encoded per the preset)."""
    p = phantom.preset
    sop_class = SOP_CLASS_FOR_PRESENTATION if p.presentation_intent == FOR_PRESENTATION else SOP_CLASS_FOR_PROCESSING
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = phantom.sop_instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"CALCDETECT_{__version__}"[:16]

    ds = Dataset()
    ds.file_meta = meta
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", ""]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = phantom.sop_instance_uid
    ds.StudyInstanceUID = phantom.study_instance_uid
    ds.SeriesInstanceUID = phantom.series_instance_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.AcquisitionDate = "20260101"
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = ds.AcquisitionTime = "120000"
    ds.AccessionNumber = ""
    ds.Modality = "MG"
    ds.Manufacturer = p.manufacturer
    ds.ManufacturerModelName = p.model_name
    ds.SoftwareVersions = f"calcdetect {__version__}"
    ds.InstitutionName = "Synthetic phantom (not a patient)"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "Synthetic screening mammogram"
    ds.SeriesDescription = f"{phantom.laterality} {phantom.view}"
    ds.PatientName = f"PHANTOM^{phantom.patient_id}"
    ds.PatientID = phantom.patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = "F"
    ds.BodyPartExamined = "BREAST"
    ds.StudyID = "1"
    ds.SeriesNumber = 1 if phantom.view == "CC" else 2
    ds.InstanceNumber = 1
    ds.PatientOrientation = _ORIENTATION[(phantom.laterality, phantom.view)]
    ds.Laterality = phantom.laterality
    ds.ImageLaterality = phantom.laterality
    ds.ViewPosition = phantom.view
    code, meaning = _VIEW_CODES[phantom.view]
    view = Dataset()
    view.CodeValue, view.CodingSchemeDesignator, view.CodeMeaning = code, "SCT", meaning
    view.ViewModifierCodeSequence = Sequence([])
    ds.ViewCodeSequence = Sequence([view])
    ds.PresentationIntentType = p.presentation_intent
    ds.DetectorType = p.detector_type
    ds.ImagerPixelSpacing = [p.spacing_mm, p.spacing_mm]
    ds.PixelSpacing = [p.spacing_mm, p.spacing_mm]
    ds.PixelSpacingCalibrationType = "GEOMETRY"
    ds.EstimatedRadiographicMagnificationFactor = 1.0
    ds.BodyPartThickness = round(phantom.thickness_mm, 1)
    ds.CompressionForce = 100
    ds.KVP = 28
    ds.PositionerType = "MAMMOGRAPHIC"
    ds.BurnedInAnnotation = "YES" if any(
        d.get("subkind") == "burned_in_label" for d in phantom.truth["distractors"]) else "NO"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = p.photometric
    ds.Rows, ds.Columns = phantom.stored.shape
    ds.BitsAllocated = 16
    ds.BitsStored = p.bits_stored
    ds.HighBit = p.bits_stored - 1
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = "LIN" if p.presentation_intent != FOR_PRESENTATION else "LOG"
    ds.PixelIntensityRelationshipSign = 1 if p.photometric == "MONOCHROME2" else -1
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.RescaleType = "US"
    ds.PresentationLUTShape = "INVERSE" if p.photometric == "MONOCHROME1" else "IDENTITY"
    ds.WindowCenter = round(phantom.window_center, 1)
    ds.WindowWidth = round(phantom.window_width, 1)
    ds.VOILUTFunction = "LINEAR"
    ds.LossyImageCompression = "00"
    ds.BurnedInAnnotation = ds.BurnedInAnnotation
    arr = np.ascontiguousarray(phantom.stored.astype(np.uint16))
    ts = p.transfer_syntax_uid
    if ts in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        ds.PixelData = arr.tobytes()
        ds["PixelData"].VR = "OW"
        meta.TransferSyntaxUID = ts
    else:
        # pydicom's encoders (pylibjpeg-openjpeg for JPEG 2000, pylibjpeg-rle / native for RLE)
        ds.compress(ts, arr, generate_instance_uid=False)
    return ds


def write_phantom(phantom: Phantom, out_dir: str | os.PathLike, name: str) -> tuple[Path, Path]:
    """Write ``NAME.dcm`` and ``NAME.truth.json`` into ``out_dir`` (atomically).

    Returns
    -------
    (dcm_path, truth_path)
    """
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"name must be a plain file stem, got {name!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ds = phantom_dataset(phantom)
    dcm = out / f"{name}.dcm"
    truth = truth_path_for(out / f"{name}.dcm")
    atomic_write(dcm, lambda t: pydicom.dcmwrite(t, ds, enforce_file_format=True))
    # through the typed record: a document that evaluation could not read is never written
    text = json.dumps(phantom.record.to_dict(), indent=1)
    atomic_write(truth, lambda t: t.write_text(text))
    return dcm, truth
