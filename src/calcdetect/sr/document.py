"""A Mammography CAD SR object (PS3.3 A.35.5) around a content tree, and its file.

Modules written: Patient, General Study (copied from the study's images via
:class:`~.model.StudyHeader`), SR Document Series (new Series Instance UID,
Modality SR), General Equipment (this project: Manufacturer "calcdetect",
Software Versions = the calcdetect version), SR Document General (COMPLETE,
UNVERIFIED, the evidence: every image of the Image Library), SR Document
Content (:func:`.content.build_content`) and SOP Common (Mammography CAD SR
Storage; UTF-8 when a copied attribute is not ASCII).  The file is written atomically (Explicit VR Little Endian,
with the File Meta Information).
"""

from __future__ import annotations

import os
from datetime import datetime

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID

from calcdetect import __version__
from calcdetect.atomic import atomic_write

from . import codes
from .content import build_content
from .model import StudyFindings, StudyHeader

__all__ = ["build_document", "write_document", "MANUFACTURER", "SERIES_NUMBER"]

MANUFACTURER = "calcdetect"
MODEL_NAME = "calcdetect scan (research software, not a medical device)"
#: Series Number of the CAD SR series (a high number keeps it after the image series in viewers)
SERIES_NUMBER = 9901


def _evidence(findings: StudyFindings, series_of: dict[str, str]) -> DicomSequence:
    """Current Requested Procedure Evidence Sequence: study > series > every library image."""
    by_series: dict[str, list[Dataset]] = {}
    for image in findings.images:
        ref = Dataset()
        ref.ReferencedSOPClassUID = image.sop_class_uid
        ref.ReferencedSOPInstanceUID = image.sop_instance_uid
        by_series.setdefault(series_of.get(image.sop_instance_uid, ""), []).append(ref)
    series_items = []
    for series_uid, refs in sorted(by_series.items()):
        item = Dataset()
        item.SeriesInstanceUID = series_uid
        item.ReferencedSOPSequence = DicomSequence(refs)
        series_items.append(item)
    study = Dataset()
    study.StudyInstanceUID = findings.study_instance_uid
    study.ReferencedSeriesSequence = DicomSequence(series_items)
    return DicomSequence([study])


def build_document(
    findings: StudyFindings,
    header: StudyHeader,
    *,
    series_instance_uid: str,
    sop_instance_uid: str,
    image_series: dict[str, str],
    created: datetime | None = None,
    content: Dataset | None = None,
) -> Dataset:
    """The complete SR dataset (with file meta) of one study.

    Parameters
    ----------
    findings : StudyFindings
        What the report says (:func:`.content.build_content`).
    header : StudyHeader
        Patient and study attributes (already pseudonymised where asked).
    series_instance_uid, sop_instance_uid : str
        New UIDs of the SR series and instance.
    image_series : dict
        Series Instance UID of each referenced image, by SOP Instance UID (evidence).
    created : datetime, optional
        Content Date/Time of the report (default: now).
    content : pydicom.dataset.Dataset, optional
        ``build_content(findings)`` when the caller has already built it.

    Returns
    -------
    pydicom.dataset.Dataset
        Ready for :func:`write_document`.
    """
    if header.study_instance_uid != findings.study_instance_uid:
        raise ValueError(
            f"header and findings are of different studies: {header.study_instance_uid!r} "
            f"vs {findings.study_instance_uid!r}"
        )
    created = created or datetime.now()
    ds = Dataset()
    texts = (header.patient_name, header.patient_id, header.study_id, header.accession_number,
             header.referring_physician_name, header.study_description)
    if not all(text.isascii() for text in texts):
        ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8; the default repertoire is ASCII
    ds.SOPClassUID = codes.MAMMOGRAPHY_CAD_SR_STORAGE
    ds.SOPInstanceUID = sop_instance_uid
    ds.InstanceCreationDate = created.strftime("%Y%m%d")
    ds.InstanceCreationTime = created.strftime("%H%M%S")
    _set_patient_and_study(ds, header)
    # SR Document Series
    ds.Modality = "SR"
    ds.SeriesInstanceUID = series_instance_uid
    ds.SeriesNumber = SERIES_NUMBER
    ds.SeriesDescription = "calcdetect Mammography CAD SR"
    ds.ReferencedPerformedProcedureStepSequence = DicomSequence()
    # General Equipment
    ds.Manufacturer = MANUFACTURER
    ds.ManufacturerModelName = MODEL_NAME
    ds.SoftwareVersions = __version__
    # SR Document General
    ds.InstanceNumber = 1
    ds.CompletionFlag = "COMPLETE"
    ds.VerificationFlag = "UNVERIFIED"
    ds.ContentDate = created.strftime("%Y%m%d")
    ds.ContentTime = created.strftime("%H%M%S")
    ds.CurrentRequestedProcedureEvidenceSequence = _evidence(findings, image_series)
    ds.PerformedProcedureCodeSequence = DicomSequence()
    # SR Document Content
    ds.update(content if content is not None else build_content(findings))

    ds.file_meta = _file_meta(ds)
    return ds


def _set_patient_and_study(ds: Dataset, header: StudyHeader) -> None:
    """The Patient and General Study modules, copied from the study's images."""
    # Patient
    ds.PatientName = header.patient_name
    ds.PatientID = header.patient_id
    ds.PatientBirthDate = header.patient_birth_date
    ds.PatientSex = header.patient_sex
    # General Study
    ds.StudyInstanceUID = header.study_instance_uid
    ds.StudyDate = header.study_date
    ds.StudyTime = header.study_time
    ds.ReferringPhysicianName = header.referring_physician_name
    ds.StudyID = header.study_id
    ds.AccessionNumber = header.accession_number
    if header.study_description:
        ds.StudyDescription = header.study_description


def _file_meta(ds: Dataset) -> FileMetaDataset:
    """File meta information of the SR: explicit VR little endian, calcdetect's implementation name."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = f"CALCDETECT_{__version__}"[:16]
    return meta


def write_document(ds: Dataset, path: str | os.PathLike) -> None:
    """Write ``ds`` as a DICOM file (preamble, file meta), atomically."""
    atomic_write(path, lambda tmp: pydicom.dcmwrite(tmp, ds, enforce_file_format=True))
