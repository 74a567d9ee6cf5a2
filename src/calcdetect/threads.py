"""One thread per worker: the one place that limits the native libraries' threads.

Parallelism comes from worker processes; N workers that each spin up every
core (OpenCV, OpenBLAS, OpenMP in LightGBM) would oversubscribe the machine.
Environment variables reach the libraries only in processes started after
they are set (spawned workers); OpenCV's own pool is set in-process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["THREAD_ENV", "single_thread_env", "limit_opencv_threads"]

#: environment variables of the native thread pools
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS")


@contextlib.contextmanager
def single_thread_env() -> Iterator[None]:
    """Set one-thread limits in the environment that spawned workers inherit; restore after."""
    saved = {k: os.environ.get(k) for k in THREAD_ENV}
    os.environ.update({k: "1" for k in THREAD_ENV})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def limit_opencv_threads(n: int = 1) -> int:
    """Set OpenCV's thread count in this process; return the previous count (to restore it)."""
    import cv2

    previous = cv2.getNumThreads()
    cv2.setNumThreads(n)
    return previous
