"""The allocator policy the scan's workers set: freed image buffers are reused, not faulted in again."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")

# page faults of the second and third full-size float32 image that OpenCV and NumPy allocate and write
_PROBE = """
import resource, sys
import cv2, numpy as np
from calcdetect.allocator import freed_memory_kept, keep_freed_memory

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

def second_image_faults():
    image = np.ones((4096, 3328), np.float32)
    counts = []
    for _ in range(3):
        before = faults()
        blurred = cv2.GaussianBlur(image, (0, 0), 2)
        scratch = np.empty_like(image)
        scratch.fill(1)
        del blurred, scratch
        counts.append(faults() - before)
    return counts[1] + counts[2]

mode = sys.argv[1]
if mode == "keep":
    assert keep_freed_memory()
    print(second_image_faults())
elif mode == "block":
    with freed_memory_kept() as kept:
        assert kept
        inside = second_image_faults()
    print(inside, second_image_faults())
else:
    print(second_image_faults())
"""


def _faults(mode: str) -> list[int]:
    out = subprocess.run([sys.executable, "-c", _PROBE, mode], check=True, capture_output=True, text=True)
    return [int(n) for n in out.stdout.split()]


def test_kept_memory_is_reused_without_page_faults():
    (default,) = _faults("default")
    (kept,) = _faults("keep")
    assert default > 200  # glibc's default: each image-sized block is mapped afresh
    assert kept < default / 10


def test_the_serial_block_restores_the_default_policy():
    inside, after = _faults("block")
    (default,) = _faults("default")
    assert inside < default / 10
    # after the block the blocks are mapped afresh again: many times the faults of inside it (not
    # compared with the default's count, which moves with how much of the heap the trim returned:
    # 1149 after against 2429 default in one CI run, 18 inside)
    assert after > 10 * max(inside, 10)
