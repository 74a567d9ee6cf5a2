"""Small real DICOM files for the batch tests, written with pydicom into tmp_path."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.uid import (
    BasicTextSRStorage,
    BreastTomosynthesisImageStorage,
    GrayscaleSoftcopyPresentationStateStorage,
    MediaStorageDirectoryStorage,
    CTImageStorage,
    DigitalMammographyXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    generate_uid,
)

SECRET_NAME = "SECRETNAME^NEVER"


def _meta(sop_class: str, sop_uid: str, syntax=ExplicitVRLittleEndian) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = syntax
    return meta


def mammogram_pixels(rows: int, cols: int, *, seed: int, cluster: bool, spacing_mm: float) -> np.ndarray:
    """A breast-like half-disc on dark background, noise, and optionally a tight group of specks."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[0:rows, 0:cols]
    centre_r, radius = rows / 2, min(rows / 2, cols) * 0.95
    dist = np.hypot(rr - centre_r, cc)
    breast = np.clip((radius - dist) / (0.15 * radius), 0, 1)
    img = 300 + 1500 * breast + rng.normal(0, 12, size=(rows, cols)) * breast
    if cluster:
        r0, c0 = int(rows * 0.5), int(cols * 0.35)
        step = max(2, int(round(1.2 / spacing_mm)))
        for k, (dr, dc) in enumerate([(0, 0), (1, 2), (3, 1), (2, 4), (4, 3), (0, 5)]):
            rad = 1.2 if k % 2 else 0.8
            img += 600 * np.exp(-((rr - r0 - dr * step) ** 2 + (cc - c0 - dc * step) ** 2) / (2 * rad**2))
    return np.clip(img, 0, 4095).astype(np.uint16)


def mammogram_dataset(
    *,
    patient_id: str = "PAT-001",
    sop_uid: str | None = None,
    rows: int = 240,
    cols: int = 160,
    spacing_mm: float | None = 0.1,
    laterality: str = "L",
    view: str = "CC",
    seed: int = 0,
    cluster: bool = True,
) -> Dataset:
    sop_uid = sop_uid or generate_uid()
    ds = Dataset()
    ds.file_meta = _meta(DigitalMammographyXRayImageStorageForPresentation, sop_uid)
    ds.SOPClassUID = DigitalMammographyXRayImageStorageForPresentation
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "MG"
    ds.PatientID = patient_id
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8, for the unicode PatientID test
    ds.PatientName = SECRET_NAME
    ds.Manufacturer = "TestVendor"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ImageLaterality = laterality
    ds.ViewPosition = view
    ds.BodyPartExamined = "BREAST"
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    if spacing_mm is not None:
        ds.ImagerPixelSpacing = [spacing_mm, spacing_mm]
    ds.PixelData = mammogram_pixels(rows, cols, seed=seed, cluster=cluster, spacing_mm=spacing_mm or 0.1).tobytes()
    return ds


def write(ds: Dataset, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_good_folder(folder: Path, *, n_patients: int = 3) -> list[Path]:
    """Patients with CC and MLO of one breast; odd patients get a cluster on their CC."""
    paths = []
    for p in range(n_patients):
        for v, view in enumerate(("CC", "MLO")):
            ds = mammogram_dataset(patient_id=f"PAT-{p:03d}", view=view, laterality="LR"[p % 2],
                                   seed=10 * p + v, cluster=(p % 2 == 1 and view == "CC"))
            # archives often have no extension; nest some in sub-folders
            paths.append(write(ds, folder / f"study{p}" / f"IM{v:04d}"))
    return paths


def write_messy_folder(folder: Path) -> dict[str, str | None]:
    """Every kind of bad input next to good files; returns name -> expected error code (None = analysed)."""
    expected: dict[str, str | None] = {}
    good = write(mammogram_dataset(patient_id="GOOD-1", seed=1), folder / "good" / "IM0001")
    expected["good/IM0001"] = None
    write(mammogram_dataset(patient_id="GOOD-2", view="MLO", seed=2, cluster=False), folder / "good" / "IM0002.dcm")
    expected["good/IM0002.dcm"] = None

    (folder / "empty.dcm").write_bytes(b"")
    expected["empty.dcm"] = "empty_file"

    data = good.read_bytes()
    (folder / "truncated.dcm").write_bytes(data[: len(data) // 2])
    expected["truncated.dcm"] = "truncated"

    (folder / "notes.txt").write_text("scanner export notes, not an image\n")
    expected["notes.txt"] = "not_dicom"

    ct = mammogram_dataset(patient_id="CT-1", seed=3)
    ct.file_meta.MediaStorageSOPClassUID = ct.SOPClassUID = CTImageStorage
    ct.Modality = "CT"
    ct.BodyPartExamined = "CHEST"
    write(ct, folder / "ct" / "CT0001")
    expected["ct/CT0001"] = "not_mammogram"

    sr_uid = generate_uid()
    sr = Dataset()
    sr.file_meta = _meta(BasicTextSRStorage, sr_uid)
    sr.SOPClassUID, sr.SOPInstanceUID, sr.Modality = BasicTextSRStorage, sr_uid, "SR"
    sr.PatientID, sr.PatientName = "SR-1", SECRET_NAME
    write(sr, folder / "report.sr")
    expected["report.sr"] = "non_image"

    tomo = mammogram_dataset(patient_id="TOMO-1", rows=32, cols=24, seed=4, cluster=False)
    tomo.file_meta.MediaStorageSOPClassUID = tomo.SOPClassUID = BreastTomosynthesisImageStorage
    tomo.NumberOfFrames = 3
    tomo.PixelData = np.zeros((3, 32, 24), np.uint16).tobytes()
    write(tomo, folder / "tomo" / "DBT0001")
    expected["tomo/DBT0001"] = "multiframe"

    write(mammogram_dataset(patient_id="NOSPACE-1", spacing_mm=None, seed=5), folder / "nospacing.dcm")
    expected["nospacing.dcm"] = "no_spacing"

    huge = mammogram_dataset(patient_id="HUGE-1", rows=8, cols=8, seed=6, cluster=False)
    del huge.Rows, huge.Columns
    huge.add_new(0x00280010, "UL", 100_000)  # Rows: UL so that 100 000 fits in the header
    huge.add_new(0x00280011, "UL", 100_000)  # Columns
    write(huge, folder / "huge.dcm")
    expected["huge.dcm"] = "too_large"

    j2k = mammogram_dataset(patient_id="J2K-1", seed=7)
    j2k.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
    frame = next(generate_frames(j2k.PixelData, number_of_frames=1))
    j2k.PixelData = encapsulate([frame[: len(frame) // 10]])  # header intact, code-stream cut short
    write(j2k, folder / "corrupt_j2k.dcm")
    expected["corrupt_j2k.dcm"] = "decode_failed"

    (folder / "zz_copy_of_good").write_bytes(data)
    expected["zz_copy_of_good"] = "duplicate"

    write(mammogram_dataset(patient_id="../../etc/passwd", seed=8), folder / "evil" / "IM0001")
    expected["evil/IM0001"] = None
    write(mammogram_dataset(patient_id="Ünïcødé 患者/01", seed=9), folder / "unicode" / "IM0001")
    expected["unicode/IM0001"] = None

    os.symlink(folder / "does-not-exist", folder / "dangling-link")
    expected["dangling-link"] = "unreadable"
    os.mkfifo(folder / "a-fifo")  # opening it would block a worker forever
    expected["a-fifo"] = "unreadable"

    dicomdir = Dataset()
    dicomdir.file_meta = _meta(MediaStorageDirectoryStorage, generate_uid())
    dicomdir.FileSetID = "EXPORT"
    dicomdir.DirectoryRecordSequence = []
    write(dicomdir, folder / "DICOMDIR")
    expected["DICOMDIR"] = "dicomdir"

    gsps_uid = generate_uid()
    gsps = Dataset()
    gsps.file_meta = _meta(GrayscaleSoftcopyPresentationStateStorage, gsps_uid)
    gsps.SOPClassUID, gsps.SOPInstanceUID, gsps.Modality = GrayscaleSoftcopyPresentationStateStorage, gsps_uid, "PR"
    gsps.PatientID, gsps.PatientName = "GOOD-1", SECRET_NAME
    write(gsps, folder / "pr" / "PS0001")
    expected["pr/PS0001"] = "non_image"

    nopix = mammogram_dataset(patient_id="NOPIX-1", seed=10)
    del nopix.PixelData
    write(nopix, folder / "nopixels.dcm")
    expected["nopixels.dcm"] = "no_pixel_data"

    short = mammogram_dataset(patient_id="SHORT-1", seed=11)
    short.PixelData = short.PixelData[: len(short.PixelData) // 2]
    write(short, folder / "shortpixels.dcm")
    expected["shortpixels.dcm"] = "pixel_data_short"

    # a file name that is not valid UTF-8 (old archives, other encodings): reported, not a crash
    raw_name = os.fsencode(folder) + b"/latin1-\xe9t\xe9.txt"
    with open(raw_name, "wb") as fh:
        fh.write(b"not dicom")
    expected["latin1-\\xe9t\\xe9.txt"] = "not_dicom"
    return expected


@pytest.fixture(scope="session")
def dicom_writers() -> SimpleNamespace:
    """The writers above, for tests that build their own folders."""
    return SimpleNamespace(mammogram_dataset=mammogram_dataset, write=write,
                           write_good_folder=write_good_folder, write_messy_folder=write_messy_folder)


@pytest.fixture
def good_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    write_good_folder(folder)
    return folder


@pytest.fixture
def messy_folder(tmp_path: Path) -> tuple[Path, dict[str, str | None]]:
    folder = tmp_path / "messy"
    folder.mkdir()
    return folder, write_messy_folder(folder)
