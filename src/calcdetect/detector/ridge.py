"""A thin bright line response, for the fine linear branching calcifications the blob levels miss.

A fine linear branching calcification is a segment a few tenths of a mm long
and well under 0.1 mm wide.  A difference-of-Gaussians level integrates it
over a disc, so most of the disc is background and its SNR stays under the
candidate threshold: on a fresh digital pair (history step 15) 19 of the 25
members of visible clusters at d' >= 6 that had no candidate were linear
segments.  The matched shape is a line: across it, the negative second
derivative of a Gaussian as wide as the finest blob scale (0.04 mm, floored
at ``scale_floor_px``); along it, a Gaussian of ``line_source_length_mm``
(0.2 mm).  It runs at pixels finer than :data:`LINE_MAX_SPACING_MM` only: at
0.15 mm and coarser a linear member is a pixel or two, a spot, and the spot
filter searches those images.

For each of four orientations (0, 45, 90, 135 degrees) the response is the
image blurred isotropically by the width's Gaussian (the scale space's first
level), its second derivative across the orientation (a 3 x 3 kernel steered
from the second differences), then smoothed along the orientation by a 1-D
Gaussian that brings the along-line blur to the length's.  Along the
diagonals the 1-D smoothing runs down the columns of a sheared copy of the
image (row ``i`` shifted by ``i`` pixels, so a diagonal becomes a column): a
1-D pass instead of the dense 2-D kernel an oblique anisotropic Gaussian
needs (19 x 19 at 0.07 mm, which OpenCV filters through the DFT at twice the
cost; no library offers oblique 1-D filtering).

A line between two of the four orientations loses part of its response: a
thin synthetic line at 30 degrees gives the 45-degree response about 0.6 of
what a line at 45 degrees gives it (``tests/calcdetect/detect/test_ridge.py``).
Eight orientations would need oblique smoothing at 22.5 degrees, which no
shear by whole pixels gives.

Each orientation is in read units; :func:`calcdetect.detector.responses.scale_space`
divides each by its own noise and keeps the largest (``ScaleSpace.line``).
"""

from __future__ import annotations

import cv2
import numpy as np

from calcdetect.config import DetectorConfig
from calcdetect.detector.point_spread import gaussian_taps

__all__ = ["LINE_MAX_SPACING_MM", "ORIENTATIONS_DEG", "line_reach_px", "line_responses", "uses_line_filter"]

#: the orientations, degrees from the image's rows (0: a horizontal line)
ORIENTATIONS_DEG = (0, 45, 90, 135)

#: the line response runs at pixels finer than this (the spot filter's spacing, ``spot_min_spacing_mm``'s default)
LINE_MAX_SPACING_MM = 0.15


def uses_line_filter(spacing_mm: tuple[float, float], config: DetectorConfig) -> bool:
    """Whether the line response is a candidate source for an image of this pixel spacing."""
    return config.line_source_snr > 0 and min(spacing_mm) < LINE_MAX_SPACING_MM


def line_reach_px(along_px: float) -> int:
    """How far (pixels) the along-line smoothing reaches, with the second difference's pixel."""
    return int(np.ceil(4 * along_px)) + 2


def _across_second_derivative(theta_deg: float) -> np.ndarray:
    """3 x 3 kernel of minus the second derivative across a line at ``theta_deg``, steered from the
    second differences d_xx, d_yy and d_xy (positive on a bright thin line)."""
    t = np.deg2rad(theta_deg)
    c, s = np.cos(t), np.sin(t)  # along the line: (x, y) = (c, s); across: (-s, c)
    d_xx = np.array([[0, 0, 0], [1, -2, 1], [0, 0, 0]], np.float64)
    d_yy = d_xx.T
    d_xy = np.array([[1, 0, -1], [0, 0, 0], [-1, 0, 1]], np.float64) / 4
    return (-(s * s * d_xx - 2 * s * c * d_xy + c * c * d_yy)).astype(np.float32)


def _smooth_down_diagonals(image: np.ndarray, kernel: np.ndarray, strip_rows: int = 512) -> np.ndarray:
    """``image`` filtered with the 1-D ``kernel`` along the diagonals (row + k, col + k), edges
    replicated.  In a sheared copy (row ``i`` moved right by ``n - 1 - i``) a diagonal is a column;
    the image is sheared in strips of ``strip_rows`` (plus the kernel's reach above and below), so
    the copy is about as wide as the image instead of twice as wide."""
    h, w = image.shape
    half = kernel.size // 2
    one = np.ones(1, np.float32)
    out = np.empty((h, w), np.float32)
    for r0 in range(0, h, strip_rows):
        r1 = min(r0 + strip_rows, h)
        a0, a1 = max(r0 - half, 0), min(r1 + half, h)
        n = a1 - a0
        sheared = np.empty((n, w + n - 1), np.float32)
        for i in range(n):
            row, lo = image[a0 + i], n - 1 - i
            sheared[i, :lo] = row[0]
            sheared[i, lo:lo + w] = row
            sheared[i, lo + w:] = row[-1]
        smooth = cv2.sepFilter2D(sheared, cv2.CV_32F, one, kernel, borderType=cv2.BORDER_REPLICATE)
        for i in range(r0 - a0, r1 - a0):
            lo = n - 1 - i
            out[a0 + i] = smooth[i, lo:lo + w]
    return out


def line_responses(blurred: np.ndarray, *, across_px: float, along_px: float) -> list[np.ndarray]:
    """The thin bright line response at each of :data:`ORIENTATIONS_DEG`.

    Parameters
    ----------
    blurred : ndarray of float32
        The image blurred by an isotropic Gaussian of ``across_px`` (the
        matched line's width; the scale space's finest level).
    across_px : float
        That Gaussian's sigma, pixels.
    along_px : float
        Sigma of the matched line along it, pixels (no smoothing beyond the
        blur's when it is not above ``across_px``).

    Returns
    -------
    list of ndarray of float32
        One response per orientation, read units, the shape of ``blurred``.
    """
    # the along-line blur is already ``across_px``: the 1-D Gaussian adds the rest
    rest = np.sqrt(max(along_px**2 - across_px**2, 0.0))
    # a diagonal step is sqrt(2) px
    straight, diagonal = (gaussian_taps(sigma).astype(np.float32) for sigma in (rest, rest / np.sqrt(2.0)))
    minus_second = np.array([-1.0, 2.0, -1.0], np.float32)  # minus the second difference
    out = []
    for theta in ORIENTATIONS_DEG:
        if theta == 0:  # along the rows, the second difference down the columns: one separable pass
            out.append(cv2.sepFilter2D(blurred, cv2.CV_32F, straight, minus_second, borderType=cv2.BORDER_REPLICATE))
            continue
        if theta == 90:
            out.append(cv2.sepFilter2D(blurred, cv2.CV_32F, minus_second, straight, borderType=cv2.BORDER_REPLICATE))
            continue
        second = cv2.filter2D(blurred, cv2.CV_32F, _across_second_derivative(theta), borderType=cv2.BORDER_REPLICATE)
        if theta == 45:  # along (x, y) = (1, 1): down the diagonals
            out.append(_smooth_down_diagonals(second, diagonal))
        else:  # 135: along (-1, 1), the diagonals of the mirrored image
            out.append(np.ascontiguousarray(_smooth_down_diagonals(second[:, ::-1], diagonal)[:, ::-1]))
    return out
