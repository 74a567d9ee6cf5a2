"""Stored pixel values to float32 "denser is brighter", and display windows.

Pure functions on arrays; no pydicom.  The rules (PS3.3 C.7.6.3, C.8.11,
C.11):

1. Modality transform: Modality LUT Sequence if present, else
   ``value * RescaleSlope + RescaleIntercept`` (done in float32, in place:
   pydicom's ``apply_rescale`` would make a float64 copy of a 14-Mpixel image).
2. "For Presentation" images: inverted when the Photometric Interpretation is
   MONOCHROME1 (low value = white) or the Presentation LUT Shape is INVERSE.
   Both together invert once: in the DX/MG IODs INVERSE is *required* with
   MONOCHROME1 and states the same thing.  The inversion is
   ``(low + high) - value`` over the range the modality transform can output,
   so the values keep their range and do not depend on the image content.
3. "For Processing" images are raw detector data, linear in exposure: more
   tissue, fewer photons, *lower* value, whatever the Photometric
   Interpretation says (vendors label such data MONOCHROME1 or MONOCHROME2).
   They are brought to an attenuation scale with
   ``ln(high - low + 1) - ln(value - low + 1)`` (>= 0; dense = bright),
   recorded as ``"log"``; neither photometric nor Presentation LUT inversion
   is applied on top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ValueMap", "normalise_pixels", "stored_range", "percentile_window"]


def stored_range(bits_stored: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest value a pixel of ``bits_stored`` bits can hold."""
    if signed:
        return -(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1
    return 0, (1 << bits_stored) - 1


@dataclass(frozen=True)
class ValueMap:
    """How modality values (after rescale / Modality LUT) map to output pixels.

    ``kind`` is ``"identity"``, ``"invert"`` (``low + high - v``) or ``"log"``
    (``ln(high - low + 1) - ln(max(v - low, 0) + 1)``); ``low``/``high``
    bound the modality values.
    """

    kind: str
    low: float
    high: float

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Apply the map in place to a float32 array and return it."""
        if self.kind == "invert":
            np.subtract(np.float32(self.low + self.high), values, out=values)
        elif self.kind == "log":
            values -= np.float32(self.low)
            np.maximum(values, 0, out=values)
            np.log1p(values, out=values)
            np.subtract(np.float32(math.log1p(self.high - self.low)), values, out=values)
        return values

    def window(self, low: float, high: float) -> tuple[float, float]:
        """(center, width) in output units of the modality-value range [low, high]."""
        ends = self(np.array([low, high], dtype=np.float32)).astype(float)
        lo, hi = float(ends.min()), float(ends.max())
        return (lo + hi) / 2, hi - lo


def normalise_pixels(
    stored: np.ndarray,
    *,
    bits_stored: int,
    signed: bool,
    rescale_slope: float = 1.0,
    rescale_intercept: float = 0.0,
    modality_lut: tuple[np.ndarray, int, int] | None = None,
    photometric: str = "MONOCHROME2",
    presentation_lut_shape: str = "",
    for_processing: bool = False,
) -> tuple[np.ndarray, tuple[str, ...], ValueMap]:
    """Turn stored pixel values into float32 where denser tissue is brighter.

    Parameters
    ----------
    stored : ndarray of int, shape (rows, cols)
        Decoded stored values (unused high bits already masked).
    bits_stored : int
    signed : bool
        Pixel Representation 1.
    rescale_slope, rescale_intercept : float
    modality_lut : (lut, first_mapped, bits) or None
        A Modality LUT Sequence; replaces the rescale when given.
    photometric : {"MONOCHROME1", "MONOCHROME2"}
    presentation_lut_shape : str
        ``"INVERSE"``, ``"IDENTITY"`` or ``""``.
    for_processing : bool
        Presentation Intent Type FOR PROCESSING (raw, linear in exposure).

    Returns
    -------
    pixels : ndarray of float32
    transforms : tuple of str
        In order, among ``"modality_lut"``, ``"rescale"``, ``"invert"``, ``"log"``.
    value_map : ValueMap
        The step after the modality transform, to map VOI windows.

    Examples
    --------
    >>> ramp = np.arange(4, dtype=np.uint16).reshape(1, 4)
    >>> normalise_pixels(ramp, bits_stored=2, signed=False, photometric="MONOCHROME1")[0]
    array([[3., 2., 1., 0.]], dtype=float32)
    """
    transforms: list[str] = []
    if modality_lut is not None:
        lut, first, lut_bits = modality_lut
        index = stored.astype(np.int32)
        index -= first
        np.clip(index, 0, lut.size - 1, out=index)
        pixels = lut.astype(np.float32)[index]
        low, high = 0.0, float((1 << min(lut_bits, 16)) - 1)
        transforms.append("modality_lut")
    else:
        pixels = stored.astype(np.float32)
        s_low, s_high = stored_range(bits_stored, signed)
        ends = sorted((s_low * rescale_slope + rescale_intercept, s_high * rescale_slope + rescale_intercept))
        low, high = float(ends[0]), float(ends[1])
        if rescale_slope != 1.0 or rescale_intercept != 0.0:
            pixels *= np.float32(rescale_slope)
            pixels += np.float32(rescale_intercept)
            transforms.append("rescale")
    if for_processing:
        value_map = ValueMap("log", low, high)
    elif photometric == "MONOCHROME1" or presentation_lut_shape == "INVERSE":
        value_map = ValueMap("invert", low, high)
    else:
        value_map = ValueMap("identity", low, high)
    if value_map.kind != "identity":
        value_map(pixels)
        transforms.append(value_map.kind)
    return pixels, tuple(transforms), value_map


def _foreground(sample: np.ndarray) -> np.ndarray:
    """The non-background part of a denser-is-brighter sample.

    The background (air beside the breast) is the darkest, nearly flat part
    of the image.  Otsu's threshold splits it off when the darker class is
    flat compared with the image's range; an image with no flat dark class
    (a crop of tissue only) is kept whole.
    """
    from skimage.filters import threshold_otsu

    lo, hi = np.percentile(sample, [1.0, 99.0])
    if hi <= lo:
        return sample
    threshold = threshold_otsu(sample)
    dark = sample <= threshold
    share = dark.mean()
    if 0.02 <= share <= 0.95 and sample[dark].std() < 0.1 * (hi - lo):
        return sample[~dark]
    return sample


def percentile_window(
    pixels: np.ndarray,
    *,
    low_percent: float = 0.5,
    high_percent: float = 99.5,
    max_samples: int = 1_000_000,
) -> tuple[float, float]:
    """A (low, high) display range from percentiles of the breast pixels.

    Works on a regular subsample of at most about ``max_samples`` pixels, so
    it costs a few ms on a full-field image.
    """
    if not 0 <= low_percent < high_percent <= 100:
        raise ValueError(
            f"need 0 <= low_percent < high_percent <= 100, got {low_percent}, {high_percent}"
        )
    step = max(1, math.ceil(math.sqrt(pixels.size / max_samples)))
    sample = np.asarray(pixels[::step, ::step], dtype=np.float32).ravel()
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return 0.0, 1.0
    low, high = (float(v) for v in np.percentile(_foreground(sample), [low_percent, high_percent]))
    if high <= low:
        low, high = float(sample.min()), float(sample.max())
    if high <= low:
        high = low + 1.0
    return low, high
