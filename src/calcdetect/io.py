"""Read mammogram DICOM files into :class:`~calcdetect.results.Mammogram`.

The only module of calcdetect that touches pydicom.  :func:`read_mammogram`
reads the header once with the pixel data deferred, refuses everything that
is not a single-frame 2D mammogram (each with its own error code, see
:mod:`calcdetect.errors`) and every image too large to decode safely, then
decodes the pixels through pydicom's decoders and normalises them to float32
where denser tissue is brighter.

Pixel values
------------
* Modality LUT Sequence, or Rescale Slope / Intercept;
* "For Presentation": inverted for MONOCHROME1 or Presentation LUT Shape
  INVERSE (once, even when both are present: the MG/DX IODs require INVERSE
  with MONOCHROME1), as ``(low + high) - value`` over the representable range;
* "For Processing" (raw, linear in exposure): ``ln(high - low + 1) -
  ln(value - low + 1)``, an attenuation scale where denser is brighter,
  whatever the Photometric Interpretation; recorded as ``"log"``.
* Bits Stored < Bits Allocated: unused high bits are masked (signed values
  sign-extended) by pydicom's decoders; recorded as ``"mask_unused_bits"``.

``Mammogram.transforms`` lists what was done, in order.  The VOI (window or
VOI LUT Sequence, any VOI LUT Function) is never applied to the pixels; it is
kept, mapped into pixel units, in ``voi_window`` for display only
(:func:`display_window`).

Errors
------
``unreadable`` (path missing, a directory, no permission), ``empty_file``,
``not_dicom``, ``truncated``, ``invalid_header``, ``dicomdir``, ``non_image``
(SR, presentation state, KO, PDF, ...), ``not_mammogram`` (not MG, and not
DX/CR/OT of the breast), ``multiframe`` (tomosynthesis and other multi-frame
objects), ``no_pixel_data``, ``too_large`` (checked on the header and on the
JPEG/JPEG 2000 codestream, before decoding), ``no_spacing``,
``pixel_data_short``, ``decode_failed``.
"""

from __future__ import annotations

import logging
import math
import os

import numpy as np
from pydicom.uid import UID, JPEG2000TransferSyntaxes, JPEGLSTransferSyntaxes

from calcdetect.dicom.decode import decode_pixels
from calcdetect.dicom.header import ImageHeader, check_object_kind, parse_image_header
from calcdetect.dicom.normalise import normalise_pixels, percentile_window
from calcdetect.dicom.sniff import is_dicom_file, read_header
from calcdetect.results import Mammogram

__all__ = ["read_mammogram", "is_dicom_file", "display_window", "DEFAULT_MAX_PIXELS"]

logger = logging.getLogger(__name__)

#: Default limit on Rows x Columns: twice the largest FFDM detectors
#: (about 4096 x 5200 at 50 um), far below what would exhaust memory.
DEFAULT_MAX_PIXELS = 80_000_000


def _spacing_pair(default_spacing_mm: float | tuple[float, float] | None) -> tuple[float, float] | None:
    if default_spacing_mm is None:
        return None
    if isinstance(default_spacing_mm, (int, float)):
        pair = (float(default_spacing_mm), float(default_spacing_mm))
    else:
        values = tuple(float(v) for v in default_spacing_mm)
        if len(values) != 2:
            raise ValueError(
                f"default_spacing_mm must be one number or (row, col), got {default_spacing_mm!r}"
            )
        pair = (values[0], values[1])
    if not all(math.isfinite(v) and v > 0 for v in pair):
        raise ValueError(f"default_spacing_mm must be positive, got {default_spacing_mm!r}")
    return pair


def read_mammogram(
    path: str | os.PathLike[str],
    *,
    default_spacing_mm: float | tuple[float, float] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Mammogram:
    """Read one mammogram DICOM file, its pixels normalised to denser = brighter.

    Parameters
    ----------
    path : str or path-like
        A DICOM file (with or without the 128-byte preamble).
    default_spacing_mm : float or (float, float), optional
        Pixel spacing (row, col) to use when the header has none; the result
        then says ``spacing_source == "default"``.  Without it such a file
        raises :class:`~calcdetect.errors.MissingSpacingError`.
    max_pixels : int
        Largest Rows x Columns accepted; larger images are refused before
        any decoding.

    Returns
    -------
    Mammogram
        ``pixels`` float32 (rows, cols), denser = brighter; ``transforms``
        says how they were obtained.

    Raises
    ------
    calcdetect.errors.CalcdetectError
        A subclass with a short ``code`` for every problem with the file
        (see the module docstring).  ``ValueError`` only for bad arguments.

    Examples
    --------
    >>> m = read_mammogram("case1/LCC.dcm")  # doctest: +SKIP
    >>> m.pixels.dtype, m.spacing_mm, m.laterality, m.view  # doctest: +SKIP
    (dtype('float32'), (0.07, 0.07), 'L', 'CC')
    """
    default = _spacing_pair(default_spacing_mm)
    if int(max_pixels) <= 0:
        raise ValueError(f"max_pixels must be positive, got {max_pixels!r}")
    path_str = os.fspath(path)
    ds, file_size = read_header(path_str)
    check_object_kind(ds, path=path_str)
    header = parse_image_header(
        ds, path=path_str, default_spacing_mm=default, max_pixels=int(max_pixels)
    )
    stored = decode_pixels(
        ds, header, path=path_str, file_size=file_size, max_pixels=int(max_pixels)
    )
    del ds  # the pixel bytes are no longer needed
    pixels, transforms, voi_window = _normalised(stored, header, path=path_str)
    return _mammogram(header, pixels, transforms=transforms, voi_window=voi_window, path=path_str)


def _normalised(
    stored: np.ndarray, header: ImageHeader, *, path: str
) -> tuple[np.ndarray, tuple[str, ...], tuple[float, float] | None]:
    """Stored values to denser = brighter float32: (pixels, transforms applied, VOI window in pixel units)."""
    pixels, steps, value_map = normalise_pixels(
        stored,
        bits_stored=header.bits_stored,
        signed=header.signed,
        rescale_slope=header.rescale_slope,
        rescale_intercept=header.rescale_intercept,
        modality_lut=header.modality_lut,
        photometric=header.photometric,
        presentation_lut_shape=header.presentation_lut_shape,
        for_processing=header.presentation_intent == "FOR PROCESSING",
    )
    tsyntax = UID(header.transfer_syntax_uid)
    masked = header.bits_stored < header.bits_allocated and tsyntax not in (
        *JPEG2000TransferSyntaxes,
        *JPEGLSTransferSyntaxes,
    )
    transforms = (("mask_unused_bits",) if masked else ()) + steps
    voi_window = None
    if header.voi is not None:
        voi_window = value_map.window(header.voi.low, header.voi.high)
    logger.debug("%s: %s, transforms %s", path, tsyntax.name, transforms)
    return pixels, transforms, voi_window


def _mammogram(
    header: ImageHeader, pixels: np.ndarray, *, transforms: tuple[str, ...],
    voi_window: tuple[float, float] | None, path: str,
) -> Mammogram:
    """The :class:`Mammogram` of these pixels and the header facts that travel with them."""
    return Mammogram(
        pixels=pixels,
        spacing_mm=header.spacing_mm,
        laterality=header.laterality,
        view=header.view,
        patient_id=header.patient_id,
        study_instance_uid=header.study_instance_uid,
        series_instance_uid=header.series_instance_uid,
        sop_instance_uid=header.sop_instance_uid,
        manufacturer=header.manufacturer,
        presentation_intent=header.presentation_intent,
        bits_stored=header.bits_stored,
        transforms=transforms,
        spacing_source=header.spacing_source,
        voi_window=voi_window,
        transfer_syntax_uid=header.transfer_syntax_uid,
        path=path,
        voi_lut_function=header.voi.function if header.voi is not None else "",
        photometric_interpretation=header.photometric,
        modality=header.modality,
        sop_class_uid=header.sop_class_uid,
        digitised_film=header.digitised_film,
    )


def display_window(mammogram: Mammogram) -> tuple[float, float]:
    """(low, high) range of ``mammogram.pixels`` to map to black..white for display.

    The file's own VOI when it has one (``voi_window``, already in pixel
    units; a SIGMOID VOI LUT Function or a VOI LUT Sequence is approximated
    by its equivalent linear ramp), else the 0.5--99.5 percentiles of the
    breast pixels (background split off by Otsu's threshold when it is flat).

    Parameters
    ----------
    mammogram : Mammogram

    Returns
    -------
    (float, float)
        ``low < high``.
    """
    if mammogram.voi_window is not None:
        centre, width = mammogram.voi_window
        if math.isfinite(centre) and math.isfinite(width) and width > 0:
            return centre - width / 2, centre + width / 2
    return percentile_window(mammogram.pixels)
