"""A vendor's image processing of a FOR PRESENTATION mammogram: unsharp masking, multi-frequency.

Real FOR PRESENTATION images carry their vendor's processing: detail enhancement
(unsharp masking, or a multi-frequency decomposition with a gain per band) and
the compression of the breast's large-scale density range.  The phantoms'
presentation response (:class:`.acquisition.Response`) has only the thickness
equalisation, a window and a gamma; these recipes add the rest, on request
(``make_phantom(presentation_processing=...)``, ``calcdetect phantoms
--presentation-processing``), so a detector can be measured on what a clinic
sends it.

Both recipes are **linear** in the stored values (a sum of Gaussian band-passes,
each with a gain), so the ideal prewhitening observer's d' -- the truth's
visibility -- is that of the image before them (up to the clipping to the
stored range and the rounding); the truth's contrast and SNR in read units are
those *before* the processing.  A vendor's real processing is also non-linear
(small details boosted more than large ones); that is not modelled.

* ``usm``: ``I + 1.5 (I - G_1mm I)``: everything finer than about a millimetre
  2.5 times stronger (noise and calcifications alike);
* ``multiscale``: ``I + 0.7 (I - G_0.2mm I) + 1.5 (G_0.2mm I - G_2mm I)
  - 0.5 (G_20mm I - median I)``: fine detail 1.7 times, the 0.2-2 mm band 2.5
  times, the trend over 20 mm halved -- which also lifts the background beside
  the breast into a smooth grey ramp with a dark halo along the skin.

(Measured with them: ``docs/measurements/2026-12-02/vendor_processing/``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Band", "PRESENTATION_PROCESSING", "check_processing", "enhance", "process_presentation"]


@dataclass(frozen=True)
class Band:
    """``gain * (G_fine I - G_coarse I)``: a Gaussian band-pass of the image with its gain.

    ``fine_mm`` None is the image itself; ``coarse_mm`` None is the image's median (a constant).
    """

    fine_mm: float | None
    coarse_mm: float | None
    gain: float


#: the recipes by name; ``"none"`` leaves the image as the response made it
PRESENTATION_PROCESSING: dict[str, tuple[Band, ...]] = {
    "none": (),
    "usm": (Band(None, 1.0, 1.5),),
    "multiscale": (Band(None, 0.2, 0.7), Band(0.2, 2.0, 1.5), Band(20.0, None, -0.5)),
}

#: a blur wider than this many pixels is done on a coarser grid
_DIRECT_BLUR_MAX_PX = 20.0


def check_processing(recipe: str) -> None:
    """Raise ValueError unless ``recipe`` is a key of :data:`PRESENTATION_PROCESSING`."""
    if recipe not in PRESENTATION_PROCESSING:
        raise ValueError(f"presentation_processing must be one of {', '.join(PRESENTATION_PROCESSING)}, "
                         f"got {recipe!r}")


def _blur(image: np.ndarray, sigma_mm: float, spacing_mm: float) -> np.ndarray:
    sigma_px = sigma_mm / spacing_mm
    if sigma_px <= _DIRECT_BLUR_MAX_PX:
        return cv2.GaussianBlur(image, (0, 0), sigma_px, borderType=cv2.BORDER_REFLECT)
    # a kernel of thousands of taps is minutes per image: blur on a grid ~sigma/5 pixels coarse.
    # acquisition._smooth does the same for the exposure on a grid sigma/6 coarse with the default
    # border; for the 20 mm band that bends the recipe's transfer function to 0.43 (512-pixel
    # image at 0.1 mm), below the 0.5 that keeps it invertible, so it is not shared
    k = int(sigma_px // 5)
    rows, cols = image.shape
    small = cv2.resize(image, (max(cols // k, 1), max(rows // k, 1)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma_px / k, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (cols, rows), interpolation=cv2.INTER_LINEAR)


def enhance(image: np.ndarray, *, spacing_mm: float, recipe: str) -> np.ndarray:
    """The recipe applied to ``image`` (float32, not clipped or rounded).

    Parameters
    ----------
    image : ndarray, shape (rows, cols)
    spacing_mm : float
        Pixel spacing in mm (the bands are in mm).
    recipe : str
        A key of :data:`PRESENTATION_PROCESSING`.

    Returns
    -------
    ndarray of float32
    """
    check_processing(recipe)
    img = np.asarray(image, np.float32)
    out = img.copy()
    for band in PRESENTATION_PROCESSING[recipe]:
        fine = img if band.fine_mm is None else _blur(img, band.fine_mm, spacing_mm)
        coarse = np.float32(np.median(img)) if band.coarse_mm is None else _blur(img, band.coarse_mm, spacing_mm)
        out += np.float32(band.gain) * (fine - coarse)
    return out


def process_presentation(stored: np.ndarray, *, spacing_mm: float, max_value: int, recipe: str) -> np.ndarray:
    """Stored values after the recipe, rounded and clipped to ``0 .. max_value`` (uint16).

    Linear, so it is the same on MONOCHROME1 and MONOCHROME2 storage (``max - v``).
    """
    if recipe == "none":
        return stored
    out = enhance(stored, spacing_mm=spacing_mm, recipe=recipe)
    return np.clip(np.rint(out), 0, max_value).astype(np.uint16)
