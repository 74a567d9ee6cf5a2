"""Detector defects: isolated saturated pixels (hot pixels, dead lines).

An uncalibrated or ageing detector leaves single pixels, or one-pixel-wide
row/column segments, stuck at the top of the range.  They are narrower than
the imaging system's point spread function, so no X-ray object can produce
them, yet a band-pass filter turns each into a strong, perfectly compact
peak, and a few of them close together look like a cluster.  They are
repaired (replaced by the median of their 3 x 3 neighbourhood) before any
filtering, the way a detector's defect map is applied.
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["repair_isolated_saturated"]

#: a pixel at the maximum with at most this many maximal neighbours is a
#: defect (2 = the inside of a one-pixel-wide line)
_MAX_SATURATED_NEIGHBOURS = 2
#: ... whose rise over its 3 x 3 median is at least this fraction of its rise
#: over its 5 x 5 median ...
_MIN_STEP_FRACTION = 0.8
#: ... and at least this many times the 99.9th percentile of that jump over
#: the image
_MIN_JUMP_RATIO = 5.0


def repair_isolated_saturated(image: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace isolated pixels at the image maximum by their 3 x 3 median.

    Parameters
    ----------
    image : ndarray of float32, shape (rows, cols)

    Returns
    -------
    repaired : ndarray of float32
        ``image`` itself when nothing was repaired, else a repaired copy.
    n_repaired : int

    Examples
    --------
    >>> import numpy as np
    >>> img = np.random.default_rng(0).normal(10.0, 1.0, (64, 64)).astype(np.float32)
    >>> img[20, 30] = 4095.0
    >>> fixed, n = repair_isolated_saturated(img)
    >>> n, bool(fixed[20, 30] < 15.0)
    (1, True)
    """
    if image.size == 0:
        return image, 0
    top = image == image.max()
    if top.all():
        return image, 0
    top_u8 = top.astype(np.uint8)
    neighbours = cv2.boxFilter(top_u8, cv2.CV_16U, (3, 3), normalize=False, borderType=cv2.BORDER_CONSTANT)
    defect = top & (neighbours - top_u8 <= _MAX_SATURATED_NEIGHBOURS)
    if not defect.any():
        return image, 0
    # the median of a 3 x 3 window holding at most 3 defect pixels is a normal pixel
    median = cv2.medianBlur(np.ascontiguousarray(image, dtype=np.float32), 3)
    jump = image - median
    # narrower than the point spread function: the whole step is between the
    # pixel and its 3 x 3 neighbours (a blurred object still rises across them)
    wide = cv2.medianBlur(np.ascontiguousarray(image, dtype=np.float32), 5)
    defect &= jump > _MIN_STEP_FRACTION * (image - wide)
    # and far above any detail in the image (defects themselves excluded)
    sample = jump[::3, ::3][~top[::3, ::3]]
    typical_jump = float(np.percentile(sample, 99.9)) if sample.size else 0.0
    defect &= jump > _MIN_JUMP_RATIO * max(typical_jump, np.finfo(np.float32).tiny)
    n = int(np.count_nonzero(defect))
    if n == 0:
        return image, 0
    repaired = image.copy()
    repaired[defect] = median[defect]
    return repaired, n
