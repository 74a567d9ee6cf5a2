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

A film preset is written the way digitised film reaches researchers
(:attr:`.film.FilmSpec.dicom_object`): either a Secondary Capture Image
(``1.2.840.10008.5.1.4.1.1.7``, Modality MG, ConversionType ``DF``
"digitized film", ImageType DERIVED/SECONDARY, the spacing as PixelSpacing
and/or NominalScannedPixelSpacing, no acquisition or detector attributes,
no presentation intent), or a Digital Mammography For Presentation image
with DetectorType ``FILM`` and ImagerPixelSpacing.  8-bit presets are stored
with BitsAllocated 8.
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
from calcdetect.phantom.film import SECONDARY_CAPTURE
from calcdetect.phantom.presets import FOR_PRESENTATION, VendorPreset

if TYPE_CHECKING:
    from calcdetect.phantom.generate import Phantom

__all__ = ["SOP_CLASS_FOR_PRESENTATION", "SOP_CLASS_FOR_PROCESSING", "SOP_CLASS_SECONDARY_CAPTURE",
           "phantom_dataset", "write_phantom"]

SOP_CLASS_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
SOP_CLASS_FOR_PROCESSING = "1.2.840.10008.5.1.4.1.1.1.2.1"
SOP_CLASS_SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"

_VIEW_CODES = {  # SNOMED CT codes of the ViewCodeSequence
    "CC": ("399162004", "cranio-caudal"),
    "MLO": ("399368009", "medio-lateral oblique"),
}
_ORIENTATION = {("L", "CC"): ["A", "R"], ("R", "CC"): ["P", "L"],
                ("L", "MLO"): ["A", "FR"], ("R", "MLO"): ["P", "FL"]}


def _sop_class(p: VendorPreset) -> str:
    if p.film is not None and p.film.dicom_object == SECONDARY_CAPTURE:
        return SOP_CLASS_SECONDARY_CAPTURE
    return SOP_CLASS_FOR_PRESENTATION if p.presentation_intent == FOR_PRESENTATION else SOP_CLASS_FOR_PROCESSING


def _patient_study_series(ds: Dataset, phantom: Phantom) -> None:
    """Patient, study, series and the image's identity (every object)."""
    p = phantom.preset
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = _sop_class(p)
    ds.SOPInstanceUID = phantom.sop_instance_uid
    ds.StudyInstanceUID = phantom.study_instance_uid
    ds.SeriesInstanceUID = phantom.series_instance_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20260101"
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "120000"
    ds.AccessionNumber = ""
    ds.Modality = "MG"
    ds.Manufacturer = p.manufacturer
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
    ds.BurnedInAnnotation = "YES" if any(
        d.get("subkind") in ("burned_in_label", "id_blocker") for d in phantom.truth["distractors"]) else "NO"


def _mammography_acquisition(ds: Dataset, phantom: Phantom) -> None:
    """The Digital Mammography IOD's view code, detector, geometry and pixel relationship."""
    p = phantom.preset
    ds.ImageType = ["ORIGINAL", "PRIMARY", ""] if p.film is None else ["DERIVED", "PRIMARY", ""]
    ds.AcquisitionDate, ds.AcquisitionTime = "20260101", "120000"
    ds.ManufacturerModelName = p.model_name
    code, meaning = _VIEW_CODES[phantom.view]
    view = Dataset()
    view.CodeValue, view.CodingSchemeDesignator, view.CodeMeaning = code, "SCT", meaning
    view.ViewModifierCodeSequence = Sequence([])
    ds.ViewCodeSequence = Sequence([view])
    ds.PresentationIntentType = p.presentation_intent
    ds.DetectorType = p.detector_type
    if p.film is None or "ImagerPixelSpacing" in p.film.spacing_attributes:
        ds.ImagerPixelSpacing = [p.spacing_mm, p.spacing_mm]
    if p.film is None or "PixelSpacing" in p.film.spacing_attributes:
        ds.PixelSpacing = [p.spacing_mm, p.spacing_mm]
        ds.PixelSpacingCalibrationType = "GEOMETRY"
    ds.EstimatedRadiographicMagnificationFactor = 1.0
    ds.BodyPartThickness = round(phantom.thickness_mm, 1)
    ds.CompressionForce = 100
    ds.KVP = 28
    ds.PositionerType = "MAMMOGRAPHIC"
    ds.PixelIntensityRelationship = "LIN" if p.presentation_intent != FOR_PRESENTATION else "LOG"
    ds.PixelIntensityRelationshipSign = 1 if p.photometric == "MONOCHROME2" else -1
    ds.RescaleIntercept = 0
    ds.RescaleSlope = 1
    ds.RescaleType = "US"
    ds.PresentationLUTShape = "INVERSE" if p.photometric == "MONOCHROME1" else "IDENTITY"


def _secondary_capture(ds: Dataset, phantom: Phantom) -> None:
    """A digitised film as a Secondary Capture image: SC Equipment and SC Image modules, no acquisition."""
    p = phantom.preset
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.ConversionType = "DF"  # digitized film
    ds.SecondaryCaptureDeviceManufacturer = p.manufacturer
    ds.DateOfSecondaryCapture, ds.TimeOfSecondaryCapture = "20260101", "120000"
    if "PixelSpacing" in p.film.spacing_attributes:
        ds.PixelSpacing = [p.spacing_mm, p.spacing_mm]
    if "NominalScannedPixelSpacing" in p.film.spacing_attributes:
        ds.NominalScannedPixelSpacing = [p.spacing_mm, p.spacing_mm]


def _pixels(ds: Dataset, meta: FileMetaDataset, phantom: Phantom) -> None:
    """Image pixel module, window, and the pixel data encoded per the preset's transfer syntax."""
    p = phantom.preset
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = p.photometric
    ds.Rows, ds.Columns = phantom.stored.shape
    ds.BitsAllocated = p.bits_allocated
    ds.BitsStored = p.bits_stored
    ds.HighBit = p.bits_stored - 1
    ds.PixelRepresentation = 0
    ds.WindowCenter = round(phantom.window_center, 1)
    ds.WindowWidth = round(phantom.window_width, 1)
    ds.VOILUTFunction = "LINEAR"
    ds.LossyImageCompression = "00"
    arr = np.ascontiguousarray(phantom.stored.astype(np.uint8 if p.bits_allocated == 8 else np.uint16))
    ts = p.transfer_syntax_uid
    if ts in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        ds.PixelData = arr.tobytes()
        ds["PixelData"].VR = "OB" if p.bits_allocated == 8 else "OW"
        meta.TransferSyntaxUID = ts
    else:
        # pydicom's encoders (pylibjpeg-openjpeg for JPEG 2000, pylibjpeg-rle / native for RLE)
        ds.compress(ts, arr, generate_instance_uid=False)


def phantom_dataset(phantom: Phantom) -> Dataset:
    """Build the complete DICOM dataset (pixel data encoded per the preset)."""
    p = phantom.preset
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = _sop_class(p)
    meta.MediaStorageSOPInstanceUID = phantom.sop_instance_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"CALCDETECT_{__version__}"[:16]
    ds = Dataset()
    ds.file_meta = meta
    _patient_study_series(ds, phantom)
    if p.film is not None and p.film.dicom_object == SECONDARY_CAPTURE:
        _secondary_capture(ds, phantom)
    else:
        _mammography_acquisition(ds, phantom)
    _pixels(ds, meta, phantom)
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
