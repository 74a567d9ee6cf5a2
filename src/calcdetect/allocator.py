"""Keep freed image buffers in the process: one place that sets the C allocator's policy.

glibc hands every block over 32 MB (one full-size float32 image is ~55 MB) straight
to the kernel with ``mmap`` and gives it back on ``free``; the next image-sized
array then costs a page fault per 4 kB page as it is first written. The detector
makes some forty such arrays per image, and on a 4096 x 3328 image that is
~0.15 s of kernel time (``make bench``, ``read``-to-``classify``). Serving large
blocks from the heap and not trimming it makes the freed pages reusable: the
process keeps its peak (a few per cent more resident memory) and stops paying
for it again. No library sets this (it is a process-wide choice), hence ctypes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Iterator

__all__ = ["keep_freed_memory", "freed_memory_kept"]

# mallopt parameters and glibc's documented defaults for them (mallopt(3))
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_DEFAULT_TRIM_THRESHOLD_BYTES = 128 * 1024
_DEFAULT_MMAP_MAX = 65536
#: heap bytes kept after free before glibc returns any to the kernel (well above one worker's peak)
_TRIM_THRESHOLD_BYTES = 2**31 - 1


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """glibc, or None off Linux or on another C library (musl has no ``mallopt``); looked up once."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.mallopt.restype = ctypes.c_int
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def keep_freed_memory() -> bool:
    """Ask glibc to serve large blocks from the heap and keep freed ones; return whether it took.

    For processes that only analyse images (the scan's worker processes). A no-op
    (``False``) off Linux or on another C library (macOS, Windows, musl), where the
    detector runs unchanged, only without this saving.
    """
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES))


@contextlib.contextmanager
def freed_memory_kept() -> Iterator[bool]:
    """:func:`keep_freed_memory` for a block of a process that does other work too (a serial scan).

    On exit, glibc's default policy comes back and the kept memory goes back to the kernel.
    """
    kept = keep_freed_memory()
    try:
        yield kept
    finally:
        libc = _glibc()
        if kept and libc is not None:
            libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
            libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD_BYTES)
            libc.malloc_trim(0)
