"""The benchmarks' input: a cached folder of phantoms (``bench/*.py`` import it; their folder is on sys.path)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def generate(data: Path, *, n: int, preset: str, seed: int) -> list[Path]:
    """The first ``n`` phantoms of ``data``, written there first (half positive) if fewer are there."""
    from calcdetect.phantom.sets import write_phantom_set

    files = sorted(data.glob("*.dcm"))
    if len(files) >= n:
        return files[:n]
    print(f"generating {n} '{preset}' phantoms in {data} ...", flush=True)
    t0 = time.perf_counter()
    write_phantom_set(data, n=n, seed=seed, preset=preset, positive_fraction=0.5, workers=os.cpu_count() or 1)
    print(f"  {time.perf_counter() - t0:.0f} s", flush=True)
    return sorted(data.glob("*.dcm"))[:n]
