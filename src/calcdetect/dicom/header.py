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

__all__ = ["ImageHeader", "Voi", "check_object_kind", "parse_image_header"]

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
class Voi:
    """The first VOI transform of the file, as an input range.

    ``low``/``high`` are in modality units (after rescale), the range the VOI
    maps onto the display range; ``function`` is ``LINEAR``,
    ``LINEAR_EXACT``, ``SIGMOID`` (range = the linear ramp with the sigmoid's
    slope at its centre, i.e. centre +- width/2) or ``LUT`` (VOI LUT
    Sequence: the input range over which the LUT rises).
    """

    function: str
    low: float
    high: float


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
    laterality: str
    view: str
    modality: str
    manufacturer: str
    patient_id: str
    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    sop_class_uid: str = ""


def _get(ds: Dataset, keyword: str, default: Any = None, *, path: str = "") -> Any:
    """``ds.keyword`` or ``default``; a value pydicom cannot convert is an InvalidHeaderError."""
    try:
        value = ds.get(keyword, default)
    except Exception as exc:  # pydicom raises ValueError/TypeError/... on bad values
        raise InvalidHeaderError(
            f"{path}: attribute {keyword} has a value that cannot be read ({exc}); "
            "the file header is damaged."
        ) from exc
    return default if value is None else value


def _text(ds: Dataset, keyword: str, *, path: str) -> str:
    value = _get(ds, keyword, "", path=path)
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    return str(value).strip()


def _first_item(ds: Dataset, keyword: str, *, path: str) -> Dataset | None:
    seq = _get(ds, keyword, None, path=path)
    if seq is None or len(seq) == 0:
        return None
    return seq[0]


def _functional_group(ds: Dataset, keyword: str, *, path: str) -> Dataset | None:
    """First item of ``keyword`` in the shared, else the first per-frame, functional group."""
    for groups in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        group = _first_item(ds, groups, path=path)
        if group is not None:
            item = _first_item(group, keyword, path=path)
            if item is not None:
                return item
    return None


def _sop_class(ds: Dataset, *, path: str) -> str:
    sop = _text(ds, "SOPClassUID", path=path)
    if not sop and getattr(ds, "file_meta", None) is not None:
        sop = str(ds.file_meta.get("MediaStorageSOPClassUID", "")).strip()
    return sop


def check_object_kind(ds: Dataset, *, path: str) -> None:
    """Refuse everything that is not a single-frame 2D mammogram.

    Raises
    ------
    DicomdirError, NonImageObjectError, NotAMammogramError, MultiFrameError
    """
    sop = _sop_class(ds, path=path)
    if sop == _DICOMDIR_SOP or "DirectoryRecordSequence" in ds:
        raise DicomdirError(
            f"{path}: this is a DICOMDIR (an index of a DICOM media), not an image; "
            "point the tool at the folder holding the image files instead."
        )
    modality = _text(ds, "Modality", path=path).upper()
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
    body = _text(ds, "BodyPartExamined", path=path).upper()
    region = _first_item(ds, "AnatomicRegionSequence", path=path)
    region_code = _text(region, "CodeValue", path=path) if region is not None else ""
    breast = "BREAST" in body or region_code in ("T-04000", "76752008")
    is_mammo = (
        modality == "MG"
        or (modality in ("DX", "CR") and breast)
        or (sop in _MAMMO_SOPS and modality in ("", "DX", "CR"))
    )
    if not is_mammo:
        raise NotAMammogramError(
            f"{path}: not a mammogram (Modality {modality or 'missing'!s}, Body Part "
            f"Examined {body or 'missing'!s}, {name or 'no SOP class'}); only MG images, "
            "or DX/CR images of the BREAST, are analysed."
        )
    frames_raw = _get(ds, "NumberOfFrames", 1, path=path)
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
    measures = _functional_group(ds, "PixelMeasuresSequence", path=path)
    candidates = [
        ("ImagerPixelSpacing", _get(ds, "ImagerPixelSpacing", None, path=path)),
        ("PixelSpacing", _get(ds, "PixelSpacing", None, path=path)),
        (
            "PixelMeasuresSequence",
            None if measures is None else _get(measures, "PixelSpacing", None, path=path),
        ),
        ("NominalScannedPixelSpacing", _get(ds, "NominalScannedPixelSpacing", None, path=path)),
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
                _get(ds, "EstimatedRadiographicMagnificationFactor", None, path=path) or 0
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


def _laterality(ds: Dataset, *, path: str) -> str:
    anatomy = _functional_group(ds, "FrameAnatomySequence", path=path)
    values = [
        _text(ds, "ImageLaterality", path=path),
        _text(ds, "Laterality", path=path),
        _text(anatomy, "FrameLaterality", path=path) if anatomy is not None else "",
    ]
    for value in values:
        value = value.upper()
        if value in ("L", "LEFT"):
            return "L"
        if value in ("R", "RIGHT"):
            return "R"
    return ""


def _view(ds: Dataset, *, path: str) -> str:
    position = _text(ds, "ViewPosition", path=path).upper()
    if position:
        return position
    code = _first_item(ds, "ViewCodeSequence", path=path)
    if code is None:
        return ""
    value = _text(code, "CodeValue", path=path)
    if value in _VIEW_CODES:
        return _VIEW_CODES[value]
    meaning = "".join(ch for ch in _text(code, "CodeMeaning", path=path).lower() if ch.isalpha())
    view = _VIEW_MEANINGS.get(meaning, "")
    if not view:
        logger.info("%s: unknown view code %r (%s)", path, value, meaning)
    return view


def _lut_array(item: Dataset, ds: Dataset, *, path: str) -> tuple[np.ndarray, int, int]:
    """(lut, first mapped input, bits) of a Modality or VOI LUT Sequence item."""
    descriptor = [int(v) for v in _get(item, "LUTDescriptor", [], path=path)]
    if len(descriptor) != 3:
        raise InvalidHeaderError(f"{path}: LUT Descriptor {descriptor!r} must have 3 values.")
    n_entries, first, bits = descriptor
    n_entries = n_entries or 65536
    if first > 32767 and int(_get(ds, "PixelRepresentation", 0, path=path)) == 1:
        first -= 65536  # US/SS ambiguity: signed images have a signed first value
    elem = item["LUTData"]
    if elem.VR == "OW" or isinstance(elem.value, (bytes, bytearray)):
        little = ds.original_encoding[1] is not False
        lut = np.frombuffer(elem.value, dtype="<u2" if little else ">u2")[:n_entries]
    else:
        lut = np.asarray(elem.value, dtype=np.uint16).ravel()[:n_entries]
    if lut.size == 0:
        raise InvalidHeaderError(f"{path}: empty LUT Data in a LUT sequence.")
    return lut, first, bits


def _voi(ds: Dataset, *, path: str) -> Voi | None:
    """The first VOI window or VOI LUT, as an input range (see :class:`Voi`)."""
    source = ds
    if "WindowCenter" not in ds and "VOILUTSequence" not in ds:
        frame_voi = _functional_group(ds, "FrameVOILUTSequence", path=path)
        if frame_voi is None:
            return None
        source = frame_voi
    centre, width = _get(source, "WindowCenter", None, path=path), _get(
        source, "WindowWidth", None, path=path
    )
    if centre is not None and width is not None:
        try:
            c = float(centre[0] if hasattr(centre, "__len__") else centre)
            w = float(width[0] if hasattr(width, "__len__") else width)
        except (TypeError, ValueError, IndexError):
            c, w = math.nan, math.nan
        if math.isfinite(c) and math.isfinite(w) and w > 0:
            function = _text(source, "VOILUTFunction", path=path).upper() or "LINEAR"
            if function == "LINEAR":
                # PS3.3 C.11.2.1.2.1: the ramp runs from c-0.5-(w-1)/2 to c-0.5+(w-1)/2.
                return Voi(function, c - 0.5 - (w - 1) / 2, c - 0.5 + (w - 1) / 2)
            # LINEAR_EXACT exactly; SIGMOID approximately: the linear ramp with
            # the sigmoid's slope at its centre spans centre +- width/2.
            return Voi(function, c - w / 2, c + w / 2)
        logger.warning("%s: ignoring unusable VOI window %r/%r", path, centre, width)
    item = _first_item(source, "VOILUTSequence", path=path)
    if item is None:
        return None
    lut, first, _ = _lut_array(item, ds, path=path)
    changing = np.flatnonzero(lut != lut[0])
    if changing.size == 0:
        return None
    low = first + max(int(changing[0]) - 1, 0)
    last_changing = np.flatnonzero(lut != lut[-1])
    high = first + int(last_changing[-1]) + 1 if last_changing.size else first + lut.size - 1
    return Voi("LUT", float(low), float(high))


def _int(ds: Dataset, keyword: str, *, path: str, default: int | None = None) -> int:
    value = _get(ds, keyword, default, path=path)
    if value is None or value == "":
        raise InvalidHeaderError(f"{path}: required attribute {keyword} is missing.")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise InvalidHeaderError(f"{path}: {keyword} {value!r} is not an integer.") from exc


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
    rows = _int(ds, "Rows", path=path)
    cols = _int(ds, "Columns", path=path)
    if rows <= 0 or cols <= 0:
        raise InvalidHeaderError(f"{path}: Rows x Columns {rows} x {cols} must be positive.")
    if rows * cols > max_pixels:
        raise ImageTooLargeError(
            f"{path}: image of {rows} x {cols} = {rows * cols:,} pixels is over the limit "
            f"of {max_pixels:,}; refused before decoding. Raise max_pixels if this "
            "size is genuine."
        )
    samples = _int(ds, "SamplesPerPixel", path=path, default=1)
    photometric = _text(ds, "PhotometricInterpretation", path=path).upper()
    if samples != 1 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise InvalidHeaderError(
            f"{path}: {photometric or 'no'} Photometric Interpretation with {samples} "
            "sample(s) per pixel; mammograms are greyscale (MONOCHROME1 or MONOCHROME2): "
            "this file is a colour or secondary-capture image and cannot be analysed."
        )
    bits_allocated = _int(ds, "BitsAllocated", path=path)
    bits_stored = _int(ds, "BitsStored", path=path, default=bits_allocated)
    if bits_allocated not in (8, 16, 32) or not 1 <= bits_stored <= bits_allocated:
        raise InvalidHeaderError(
            f"{path}: Bits Allocated {bits_allocated} / Bits Stored {bits_stored} is not "
            "a supported greyscale layout (8, 16 or 32 bits allocated, stored <= allocated)."
        )
    representation = _int(ds, "PixelRepresentation", path=path, default=0)
    if representation not in (0, 1):
        raise InvalidHeaderError(f"{path}: Pixel Representation {representation} must be 0 or 1.")

    rescale_source = ds
    if "RescaleSlope" not in ds and "RescaleIntercept" not in ds:
        rescale_source = (
            _functional_group(ds, "PixelValueTransformationSequence", path=path) or ds
        )
    try:
        slope = float(_get(rescale_source, "RescaleSlope", 1.0, path=path))
        intercept = float(_get(rescale_source, "RescaleIntercept", 0.0, path=path))
    except (TypeError, ValueError) as exc:
        raise InvalidHeaderError(f"{path}: Rescale Slope/Intercept unreadable ({exc}).") from exc
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope == 0:
        raise InvalidHeaderError(
            f"{path}: Rescale Slope {slope} / Intercept {intercept} must be finite, slope non-zero."
        )
    modality_item = _first_item(ds, "ModalityLUTSequence", path=path)
    modality_lut = _lut_array(modality_item, ds, path=path) if modality_item is not None else None

    spacing_mm, spacing_source = _spacing(ds, path=path, default_spacing_mm=default_spacing_mm)
    intent = _text(ds, "PresentationIntentType", path=path).upper()
    if not intent and _sop_class(ds, path=path) in _MAMMO_SOPS:
        intent = _MAMMO_SOPS[_sop_class(ds, path=path)].rsplit(" - ", 1)[1].upper()
    return ImageHeader(
        rows=rows,
        cols=cols,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        signed=representation == 1,
        photometric=photometric,
        presentation_lut_shape=_text(ds, "PresentationLUTShape", path=path).upper(),
        presentation_intent=intent,
        rescale_slope=slope,
        rescale_intercept=intercept,
        modality_lut=modality_lut,
        voi=_voi(ds, path=path),
        spacing_mm=spacing_mm,
        spacing_source=spacing_source,
        laterality=_laterality(ds, path=path),
        view=_view(ds, path=path),
        modality=_text(ds, "Modality", path=path).upper(),
        manufacturer=_text(ds, "Manufacturer", path=path),
        patient_id=_text(ds, "PatientID", path=path),
        study_instance_uid=_text(ds, "StudyInstanceUID", path=path),
        series_instance_uid=_text(ds, "SeriesInstanceUID", path=path),
        sop_instance_uid=_text(ds, "SOPInstanceUID", path=path),
        transfer_syntax_uid=str(ds.file_meta.get("TransferSyntaxUID", "")),
        sop_class_uid=_sop_class(ds, path=path),
    )
