"""What a DICOM object is, and the attributes the mammogram reader needs.

Everything here works on the header only (the pixel data stays deferred), so
a file is refused -- not a mammogram, too large, no spacing -- before any
pixel is decoded.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID

from calcdetect.dicom.attributes import first_item, functional_group, get_attribute, int_of, sop_class_of, text_of
from calcdetect.dicom.voi import Voi, lut_array, read_voi
from calcdetect.errors import (
    DicomdirError,
    ImageTooLargeError,
    InvalidHeaderError,
    MissingPixelDataError,
    MissingSpacingError,
    MultiFrameError,
    NonImageObjectError,
    NotAMammogramError,
)
from calcdetect.vocabulary import Laterality, View

__all__ = ["ImageHeader", "Voi", "check_object_kind", "parse_image_header", "says_digitised_film"]

logger = logging.getLogger(__name__)

_DICOMDIR_SOP = "1.2.840.10008.1.3.10"
_MAMMO_SOPS = {
    "1.2.840.10008.5.1.4.1.1.1.2": "Digital Mammography X-Ray Image - For Presentation",
    "1.2.840.10008.5.1.4.1.1.1.2.1": "Digital Mammography X-Ray Image - For Processing",
    "1.2.840.10008.5.1.4.1.1.13.1.4": "Breast Projection X-Ray Image - For Presentation",
    "1.2.840.10008.5.1.4.1.1.13.1.5": "Breast Projection X-Ray Image - For Processing",
}
_TOMO_SOP = "1.2.840.10008.5.1.4.1.1.13.1.3"
# SOP class roots of objects that are not images, for SOP classes pydicom
# does not name (private or newer than the installed dictionary).
_NON_IMAGE_ROOTS = (
    "1.2.840.10008.5.1.4.1.1.88.",  # structured reports, key object selection
    "1.2.840.10008.5.1.4.1.1.11.",  # presentation states
    "1.2.840.10008.5.1.4.1.1.104.",  # encapsulated PDF/CDA/STL
    "1.2.840.10008.5.1.4.1.1.9.",  # waveforms
    "1.2.840.10008.5.1.4.1.1.66",  # raw data, registration, fiducials, segmentation
    "1.2.840.10008.5.1.4.1.1.67",  # real world value mapping
)
_NON_IMAGE_MODALITIES = frozenset(
    "SR PR KO DOC REG FID SEG RWV PLAN RTPLAN RTSTRUCT RTRECORD RTDOSE ECG HD AU".split()
)
# View Code Sequence (CID 4014, "View for Mammography"): SNOMED CT and the
# older SNOMED-RT ("SRT") codes, and the code meanings as a last resort.
_VIEW_CODES = {
    "399162004": "CC", "R-10242": "CC",
    "399368009": "MLO", "R-10226": "MLO",
    "399260004": "ML", "R-10224": "ML",
    "399352003": "LM", "R-10228": "LM",
    "399099002": "LMO", "R-10230": "LMO",
    "399196006": "FB", "R-10244": "FB",
    "399188001": "SIO", "R-102D0": "SIO",
    "441555000": "ISO", "R-40AAA": "ISO",
    "399192003": "XCCL", "399192008": "XCCL", "R-1024A": "XCCL",
    "399101009": "XCCM", "R-1024B": "XCCM",
}  # fmt: skip
_VIEW_MEANINGS = {
    "craniocaudal": "CC",
    "mediolateraloblique": "MLO",
    "mediolateral": "ML",
    "lateromedial": "LM",
    "lateromedialoblique": "LMO",
    "caudocranialfrombelow": "FB",
    "caudocranial": "FB",
    "superolateraltoinferomedialoblique": "SIO",
    "inferomedialtosuperolateraloblique": "ISO",
    "craniocaudalexaggeratedlaterally": "XCCL",
    "craniocaudalexaggeratedmedially": "XCCM",
}


@dataclass(frozen=True)
class ImageHeader:
    """Header facts of one single-frame greyscale mammogram."""

    rows: int
    cols: int
    bits_allocated: int
    bits_stored: int
    signed: bool
    photometric: str
    presentation_lut_shape: str
    presentation_intent: str
    rescale_slope: float
    rescale_intercept: float
    modality_lut: tuple[np.ndarray, int, int] | None  # (lut, first mapped input, bits)
    voi: Voi | None
    spacing_mm: tuple[float, float]
    spacing_source: str
    laterality: Laterality
    view: View | str  # the file's own text when its ViewPosition is not a CID 4014 term
    modality: str
    manufacturer: str
    patient_id: str
    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    sop_class_uid: str = ""
    digitised_film: bool = False


def check_object_kind(ds: Dataset, *, path: str) -> None:
    """Refuse everything that is not a single-frame 2D mammogram.

    Raises
    ------
    DicomdirError, NonImageObjectError, NotAMammogramError, MultiFrameError
    """
    sop = sop_class_of(ds, path=path)
    if sop == _DICOMDIR_SOP or "DirectoryRecordSequence" in ds:
        raise DicomdirError(
            f"{path}: this is a DICOMDIR (an index of a DICOM media), not an image; "
            "point the tool at the folder holding the image files instead."
        )
    modality = text_of(ds, "Modality", path=path).upper()
    name = UID(sop).name if sop else ""
    known = bool(sop) and name != sop
    non_image = (
        (known and "Storage" in name and "Image" not in name)
        or sop.startswith(_NON_IMAGE_ROOTS)
        or (not known and modality in _NON_IMAGE_MODALITIES)
    )
    if non_image:
        what = name if known else f"SOP class {sop or '?'}, modality {modality or '?'}"
        raise NonImageObjectError(
            f"{path}: this DICOM object is not an image ({what}); "
            "only mammogram images can be analysed: leave it out of the input."
        )
    if sop == _TOMO_SOP:
        raise MultiFrameError(
            f"{path}: breast tomosynthesis (DBT) volume; only 2D mammograms are "
            "supported for now: use the 2D full-field or synthesised 2D view of this study."
        )
    body = text_of(ds, "BodyPartExamined", path=path).upper()
    region = first_item(ds, "AnatomicRegionSequence", path=path)
    region_code = text_of(region, "CodeValue", path=path) if region is not None else ""
    breast = "BREAST" in body or region_code in ("T-04000", "76752008")
    is_mammo = (
        modality == "MG"
        # digitised film is often stored as Secondary Capture with Modality OT
        or (modality in ("DX", "CR", "OT") and breast)
        or (sop in _MAMMO_SOPS and modality in ("", "DX", "CR"))
    )
    if not is_mammo:
        raise NotAMammogramError(
            f"{path}: not a mammogram (Modality {modality or 'missing'!s}, Body Part "
            f"Examined {body or 'missing'!s}, {name or 'no SOP class'}); only MG images, "
            "or DX/CR/OT images of the BREAST, are analysed. A digitised film stored as another "
            "modality is read once its Body Part Examined says BREAST (or its Modality MG)."
        )
    frames_raw = get_attribute(ds, "NumberOfFrames", 1, path=path)
    try:
        frames = int(frames_raw)
    except (TypeError, ValueError):
        raise InvalidHeaderError(f"{path}: Number of Frames {frames_raw!r} is not a number.")
    if frames > 1:
        raise MultiFrameError(
            f"{path}: multi-frame image ({frames} frames, e.g. tomosynthesis projections "
            "or slices); only single-frame 2D mammograms are supported for now: "
            "use the 2D full-field or synthesised 2D view."
        )


def _positive_pair(value: Any) -> tuple[float, float] | None:
    """A (row, col) spacing from a DS value of 1 or 2 numbers, or None if unusable."""
    try:
        numbers = [float(v) for v in value] if hasattr(value, "__len__") else [float(value)]
    except (TypeError, ValueError):
        return None
    if len(numbers) == 1:
        numbers = numbers * 2
    if len(numbers) != 2 or not all(math.isfinite(v) and v > 0 for v in numbers):
        return None
    return numbers[0], numbers[1]


def _spacing(
    ds: Dataset, *, path: str, default_spacing_mm: tuple[float, float] | None
) -> tuple[tuple[float, float], str]:
    """Pixel spacing (row, col) in mm and the attribute it came from."""
    measures = functional_group(ds, "PixelMeasuresSequence", path=path)
    candidates = [
        ("ImagerPixelSpacing", get_attribute(ds, "ImagerPixelSpacing", None, path=path)),
        ("PixelSpacing", get_attribute(ds, "PixelSpacing", None, path=path)),
        (
            "PixelMeasuresSequence",
            None if measures is None else get_attribute(measures, "PixelSpacing", None, path=path),
        ),
        ("NominalScannedPixelSpacing", get_attribute(ds, "NominalScannedPixelSpacing", None, path=path)),
    ]
    for source, value in candidates:
        if value is None or value == "":
            continue
        pair = _positive_pair(value)
        if pair is None:
            logger.warning("%s: ignoring unusable %s %r", path, source, value)
            continue
        if source == "ImagerPixelSpacing":
            factor = _positive_pair(
                get_attribute(ds, "EstimatedRadiographicMagnificationFactor", None, path=path) or 0
            )
            if factor is not None and factor[0] < 1:
                logger.warning("%s: ignoring magnification factor %s < 1", path, factor[0])
            elif factor is not None:
                # Imager spacing is at the detector; the breast is magnified by
                # the factor, so its own pixel size is smaller.
                pair = (pair[0] / factor[0], pair[1] / factor[0])
                source = "ImagerPixelSpacing/EstimatedRadiographicMagnificationFactor"
        return pair, source
    if default_spacing_mm is not None:
        return default_spacing_mm, "default"
    raise MissingSpacingError(
        f"{path}: no pixel spacing in the header (Imager Pixel Spacing, Pixel Spacing "
        "and Nominal Scanned Pixel Spacing are all missing or unusable); give a default "
        "spacing in mm (e.g. --default-spacing-mm 0.07) if you know the detector."
    )


def _laterality(ds: Dataset, *, path: str) -> Laterality:
    """The first of Image Laterality, Laterality, Frame Laterality that names a side (``B``, ``U`` do not)."""
    anatomy = functional_group(ds, "FrameAnatomySequence", path=path)
    values = [
        text_of(ds, "ImageLaterality", path=path),
        text_of(ds, "Laterality", path=path),
        text_of(anatomy, "FrameLaterality", path=path) if anatomy is not None else "",
    ]
    for value in values:
        try:
            side = Laterality(value)
        except ValueError:
            continue
        if side is not Laterality.UNKNOWN:
            return side
    return Laterality.UNKNOWN


def _view(ds: Dataset, *, path: str) -> View | str:
    """View Position, else the View Code Sequence; a ViewPosition outside CID 4014 is kept as written."""
    position = text_of(ds, "ViewPosition", path=path).upper()
    if position:
        return View.from_header(position)
    code = first_item(ds, "ViewCodeSequence", path=path)
    if code is None:
        return View.UNKNOWN
    value = text_of(code, "CodeValue", path=path)
    if value in _VIEW_CODES:
        return View(_VIEW_CODES[value])
    meaning = "".join(ch for ch in text_of(code, "CodeMeaning", path=path).lower() if ch.isalpha())
    view = View(_VIEW_MEANINGS.get(meaning, ""))
    if not view:
        logger.info("%s: unknown view code %r (%s)", path, value, meaning)
    return view


def parse_image_header(
    ds: Dataset,
    *,
    path: str,
    default_spacing_mm: tuple[float, float] | None,
    max_pixels: int,
) -> ImageHeader:
    """Read and check the image attributes of a mammogram (after :func:`check_object_kind`).

    Raises
    ------
    MissingPixelDataError, InvalidHeaderError, ImageTooLargeError, MissingSpacingError
    """
    _require_pixel_data(ds, path=path)
    rows, cols = _matrix_size(ds, path=path, max_pixels=max_pixels)
    photometric, bits_allocated, bits_stored, representation = _greyscale_layout(ds, path=path)
    slope, intercept = _rescale(ds, path=path)
    modality_item = first_item(ds, "ModalityLUTSequence", path=path)
    modality_lut = lut_array(modality_item, ds, path=path) if modality_item is not None else None
    spacing_mm, spacing_source = _spacing(ds, path=path, default_spacing_mm=default_spacing_mm)
    return ImageHeader(
        rows=rows,
        cols=cols,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        signed=representation == 1,
        photometric=photometric,
        presentation_lut_shape=text_of(ds, "PresentationLUTShape", path=path).upper(),
        presentation_intent=_presentation_intent(ds, path=path),
        rescale_slope=slope,
        rescale_intercept=intercept,
        modality_lut=modality_lut,
        voi=read_voi(ds, path=path),
        spacing_mm=spacing_mm,
        spacing_source=spacing_source,
        laterality=_laterality(ds, path=path),
        view=_view(ds, path=path),
        modality=text_of(ds, "Modality", path=path).upper(),
        manufacturer=text_of(ds, "Manufacturer", path=path),
        patient_id=text_of(ds, "PatientID", path=path),
        study_instance_uid=text_of(ds, "StudyInstanceUID", path=path),
        series_instance_uid=text_of(ds, "SeriesInstanceUID", path=path),
        sop_instance_uid=text_of(ds, "SOPInstanceUID", path=path),
        transfer_syntax_uid=str(ds.file_meta.get("TransferSyntaxUID", "")),
        sop_class_uid=sop_class_of(ds, path=path),
        digitised_film=says_digitised_film(ds, path=path),
    )


def says_digitised_film(ds: Dataset, *, path: str) -> bool:
    """True when the header says the image is a scanned screen-film mammogram.

    Two attributes say so: Conversion Type ``DF`` ("Digitized Film", SC Equipment
    module) and Detector Type ``FILM`` (DX Detector module, in MG and DX objects).
    A film scanned into a file without either (a converted PGM, say) reads as
    not film; ``DetectorConfig.image_family`` can say so instead.
    """
    return (text_of(ds, "ConversionType", path=path).upper() == "DF"
            or text_of(ds, "DetectorType", path=path).upper() == "FILM")


def _require_pixel_data(ds: Dataset, *, path: str) -> None:
    """Integer Pixel Data must be there (float pixel data is not a mammogram's)."""
    if "PixelData" not in ds:
        other = [k for k in ("FloatPixelData", "DoubleFloatPixelData") if k in ds]
        if other:
            raise InvalidHeaderError(
                f"{path}: {other[0]} (floating-point pixels) is not used by mammograms "
                "and is not supported."
            )
        raise MissingPixelDataError(
            f"{path}: the file has no Pixel Data (header only); export the image "
            "again including its pixels."
        )


def _matrix_size(ds: Dataset, *, path: str, max_pixels: int) -> tuple[int, int]:
    """Rows and Columns, positive and within ``max_pixels``."""
    rows = int_of(ds, "Rows", path=path)
    cols = int_of(ds, "Columns", path=path)
    if rows <= 0 or cols <= 0:
        raise InvalidHeaderError(f"{path}: Rows x Columns {rows} x {cols} must be positive.")
    if rows * cols > max_pixels:
        raise ImageTooLargeError(
            f"{path}: image of {rows} x {cols} = {rows * cols:,} pixels is over the limit "
            f"of {max_pixels:,}; refused before decoding. Raise max_pixels if this "
            "size is genuine."
        )
    return rows, cols


def _greyscale_layout(ds: Dataset, *, path: str) -> tuple[str, int, int, int]:
    """(photometric, bits allocated, bits stored, pixel representation) of a supported greyscale image."""
    samples = int_of(ds, "SamplesPerPixel", path=path, default=1)
    photometric = text_of(ds, "PhotometricInterpretation", path=path).upper()
    if samples != 1 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise InvalidHeaderError(
            f"{path}: {photometric or 'no'} Photometric Interpretation with {samples} "
            "sample(s) per pixel; mammograms are greyscale (MONOCHROME1 or MONOCHROME2): "
            "this file is a colour or secondary-capture image and cannot be analysed."
        )
    bits_allocated = int_of(ds, "BitsAllocated", path=path)
    bits_stored = int_of(ds, "BitsStored", path=path, default=bits_allocated)
    if bits_allocated not in (8, 16, 32) or not 1 <= bits_stored <= bits_allocated:
        raise InvalidHeaderError(
            f"{path}: Bits Allocated {bits_allocated} / Bits Stored {bits_stored} is not "
            "a supported greyscale layout (8, 16 or 32 bits allocated, stored <= allocated)."
        )
    representation = int_of(ds, "PixelRepresentation", path=path, default=0)
    if representation not in (0, 1):
        raise InvalidHeaderError(f"{path}: Pixel Representation {representation} must be 0 or 1.")
    return photometric, bits_allocated, bits_stored, representation


def _rescale(ds: Dataset, *, path: str) -> tuple[float, float]:
    """Rescale slope and intercept, from the top level or the functional groups; identity when absent."""
    rescale_source = ds
    if "RescaleSlope" not in ds and "RescaleIntercept" not in ds:
        rescale_source = (
            functional_group(ds, "PixelValueTransformationSequence", path=path) or ds
        )
    try:
        slope = float(get_attribute(rescale_source, "RescaleSlope", 1.0, path=path))
        intercept = float(get_attribute(rescale_source, "RescaleIntercept", 0.0, path=path))
    except (TypeError, ValueError) as exc:
        raise InvalidHeaderError(f"{path}: Rescale Slope/Intercept unreadable ({exc}).") from exc
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope == 0:
        raise InvalidHeaderError(
            f"{path}: Rescale Slope {slope} / Intercept {intercept} must be finite, slope non-zero."
        )
    return slope, intercept


def _presentation_intent(ds: Dataset, *, path: str) -> str:
    """Presentation Intent Type, else the one the mammography SOP class implies (``""`` if neither)."""
    intent = text_of(ds, "PresentationIntentType", path=path).upper()
    if not intent and sop_class_of(ds, path=path) in _MAMMO_SOPS:
        intent = _MAMMO_SOPS[sop_class_of(ds, path=path)].rsplit(" - ", 1)[1].upper()
    return intent
