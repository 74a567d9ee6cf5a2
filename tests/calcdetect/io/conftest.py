"""Fixtures for the DICOM reader tests: small real DICOM files written with pydicom."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

MG_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
MG_FOR_PROCESSING = "1.2.840.10008.5.1.4.1.1.1.2.1"


def _make_dataset(
    pixels: np.ndarray | None = None,
    *,
    bits_stored: int = 12,
    bits_allocated: int | None = None,
    signed: bool = False,
    photometric: str = "MONOCHROME2",
    sop_class: str = MG_FOR_PRESENTATION,
    modality: str = "MG",
    transfer_syntax: str = ExplicitVRLittleEndian,
    **attributes: Any,
) -> Dataset:
    """A minimal but valid Digital Mammography image dataset (64 x 48 by default).

    ``attributes`` are set by keyword after the defaults (value None deletes).
    """
    if pixels is None:
        pixels = _ramp(bits_stored=bits_stored, signed=signed)
    if bits_allocated is None:
        bits_allocated = 8 if bits_stored <= 8 else 16
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = transfer_syntax
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = modality
    ds.PatientID = "PAT-0001"
    ds.Manufacturer = "TestVendor"
    ds.PresentationIntentType = (
        "FOR PROCESSING" if sop_class == MG_FOR_PROCESSING else "FOR PRESENTATION"
    )
    ds.ImageLaterality = "L"
    ds.ViewPosition = "CC"
    ds.ImagerPixelSpacing = [0.07, 0.065]
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = int(signed)
    dtype = {8: "u1", 16: "u2", 32: "u4"}[bits_allocated]
    if signed:
        dtype = dtype.replace("u", "i")
    ds.PixelData = np.ascontiguousarray(pixels, dtype="<" + dtype).tobytes()
    for keyword, value in attributes.items():
        if value is None:
            if keyword in ds:
                delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    return ds


def _ramp(*, rows: int = 64, cols: int = 48, bits_stored: int = 12, signed: bool = False) -> np.ndarray:
    """A deterministic image using the whole stored range: ramp plus texture."""
    rng = np.random.default_rng(1234)
    low = -(1 << (bits_stored - 1)) if signed else 0
    high = low + (1 << bits_stored) - 1
    base = np.linspace(low, high, rows * cols).reshape(rows, cols)
    noise = rng.normal(0, (high - low) / 50, (rows, cols))
    return np.clip(np.rint(base + noise), low, high).astype(np.int64)


@pytest.fixture
def make_dataset() -> Callable[..., Dataset]:
    """Factory: ``make_dataset(pixels=None, *, bits_stored=12, ..., **attributes)``."""
    return _make_dataset


@pytest.fixture
def ramp() -> Callable[..., np.ndarray]:
    """Factory: ``ramp(rows=64, cols=48, bits_stored=12, signed=False)``."""
    return _ramp


@pytest.fixture
def write_dicom(tmp_path: Path) -> Callable[..., Path]:
    """Write a dataset as a DICOM file in ``tmp_path``; returns its path."""
    counter = iter(range(10_000))

    def write(ds: Dataset, name: str | None = None, **save_kwargs: Any) -> Path:
        path = tmp_path / (name or f"image{next(counter)}.dcm")
        save_kwargs.setdefault("enforce_file_format", True)
        ds.save_as(path, **save_kwargs)
        return path

    return write


@pytest.fixture
def code_item() -> Callable[[str, str, str], Dataset]:
    """Factory for a code sequence item (value, scheme, meaning)."""

    def make(value: str, scheme: str, meaning: str) -> Dataset:
        item = Dataset()
        item.CodeValue = value
        item.CodingSchemeDesignator = scheme
        item.CodeMeaning = meaning
        return item

    return make


@pytest.fixture
def sequence() -> Callable[..., Sequence]:
    return lambda *items: Sequence(list(items))


def _gdcm_transcode(src: Path, dst: Path, syntax: Any) -> None:
    import gdcm  # python-gdcm: an independent encoder for the syntaxes pydicom cannot write

    reader = gdcm.ImageReader()
    reader.SetFileName(str(src))
    assert reader.Read()
    change = gdcm.ImageChangeTransferSyntax()
    change.SetTransferSyntax(gdcm.TransferSyntax(syntax))
    change.SetInput(reader.GetImage())
    assert change.Change()
    writer = gdcm.ImageWriter()
    writer.SetFileName(str(dst))
    writer.SetFile(reader.GetFile())
    writer.SetImage(change.GetOutput())
    assert writer.Write()


@pytest.fixture
def gdcm_transcode() -> Callable[[Path, Path, Any], None]:
    """``gdcm_transcode(src, dst, gdcm.TransferSyntax.X)``: rewrite a DICOM file in another transfer syntax with GDCM."""
    return _gdcm_transcode
