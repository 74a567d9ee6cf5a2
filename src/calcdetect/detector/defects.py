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
#: spacing (pixels) of the grid of ordinary pixels that sets the typical jump
_GRID_STEP = 15


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
    # the maximum of each row, then the pixels at the top looked for only in the rows that hold
    # one (a whole-image compare and findNonZero cost five times as much)
    row_max = image.max(axis=1)
    top_value = row_max.max()
    top_rows = np.flatnonzero(row_max >= top_value)
    at, cols = np.divmod(np.flatnonzero(image[top_rows] >= top_value), image.shape[1])  # row-major
    if cols.size == 0 or cols.size == image.size:
        return image, 0
    rows = top_rows[at]
    # only pixels at the maximum are examined, so medians are taken at those
    # few places (a full-image median filter would cost ~40 ms per image)
    at_top = _window(image, rows, cols, 1) == top_value  # (9, n), centre included
    isolated = at_top.sum(axis=0) - 1 <= _MAX_SATURATED_NEIGHBOURS
    rows, cols = rows[isolated], cols[isolated]
    if rows.size == 0:
        return image, 0
    # the median of a 3 x 3 window holding at most 3 defect pixels is a normal pixel
    median = np.median(_window(image, rows, cols, 1), axis=0)
    jump = top_value - median
    # narrower than the point spread function: the whole step is between the
    # pixel and its 3 x 3 neighbours (a blurred object still rises across them)
    wide = np.median(_window(image, rows, cols, 2), axis=0)
    keep = jump > _MIN_STEP_FRACTION * (top_value - wide)
    if not keep.any():  # the usual case: the maximum is the peak of a real object
        return image, 0
    # and far above any detail in the image: the 99.9th percentile of the same
    # jump on a sparse grid of ordinary pixels
    gr, gc = np.mgrid[1:image.shape[0] - 1:_GRID_STEP, 1:image.shape[1] - 1:_GRID_STEP]
    gr, gc = gr.ravel(), gc.ravel()
    ordinary = image[gr, gc] < top_value
    grid_jump = image[gr[ordinary], gc[ordinary]] - _median_of_windows(image, gr[ordinary], gc[ordinary])
    typical_jump = float(np.percentile(grid_jump, 99.9)) if grid_jump.size else 0.0
    keep &= jump > _MIN_JUMP_RATIO * max(typical_jump, float(np.finfo(np.float32).tiny))
    n = int(np.count_nonzero(keep))
    if n == 0:
        return image, 0
    repaired = image.copy()
    repaired[rows[keep], cols[keep]] = median[keep]
    return repaired, n


def _window(image: np.ndarray, rows: np.ndarray, cols: np.ndarray, half: int) -> np.ndarray:
    """Values of the (2 half + 1)² window around each (row, col), borders replicated: shape (k, n)."""
    d = np.arange(-half, half + 1)
    rr = np.clip(rows[None, :] + np.repeat(d, d.size)[:, None], 0, image.shape[0] - 1)
    cc = np.clip(cols[None, :] + np.tile(d, d.size)[:, None], 0, image.shape[1] - 1)
    return image[rr, cc]


def _median_of_windows(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Median of the 3 x 3 window around each (row, col): the middle of nine values, selected
    along contiguous rows of the windows (``np.median`` along the first axis of :func:`_window`'s
    (9, n) array gives the same values at twice the cost)."""
    windows = np.ascontiguousarray(_window(image, rows, cols, 1).T)
    return np.partition(windows, 4, axis=1)[:, 4]
