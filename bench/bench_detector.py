"""Benchmark: the detector vs the naive reference on one full-size image.

Makes one 4096 x 3328, 14-bit mammogram (a ``calcdetect.phantom`` when that
module is available, else a synthetic power-law breast made here), writes it
as DICOM when ``calcdetect.io`` and the phantom writer exist, and times in
*separate child processes* (so each peak memory is its own):

* the detector, DICOM file -> clusters (or array -> clusters), per stage;
* the naive reference: scikit-image disk ``white_tophat`` + ``blob_log`` on
  the full image with a global threshold (``calcdetect.evaluation.reference`` when it
  exists, else the same recipe written here).

Single process, single OpenCV thread.  Prints per-stage times, the speed
ratio and the peak resident memory of each child.  Usage::

    python bench/bench_detector.py [--repeat 3] [--skip-reference] [--default-allocator]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROWS, COLS, SPACING_MM = 4096, 3328, 0.07


def _synthetic(seed: int = 7) -> tuple[np.ndarray, tuple[float, float]]:
    """A 14-bit power-law (beta = 3) breast with a cluster, vessels and noise."""
    import cv2
    from skimage.draw import disk

    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(ROWS)[:, None]
    fx = np.fft.rfftfreq(COLS)[None, :]
    k = np.hypot(fy, fx)
    k[0, 0] = 1.0
    spec = (rng.normal(size=k.shape) + 1j * rng.normal(size=k.shape)) * k**-1.5
    spec[0, 0] = 0
    field = np.fft.irfft2(spec, s=(ROWS, COLS)).astype(np.float32)
    field /= field.std()
    rr, cc = np.mgrid[0:ROWS, 0:COLS]
    breast = ((rr - ROWS / 2) / (0.45 * ROWS)) ** 2 + (cc / (0.8 * COLS)) ** 2 < 1
    signal = np.where(breast, 6000.0, 500.0).astype(np.float32)
    signal = cv2.GaussianBlur(signal, (0, 0), 60) + breast * 400 * field
    for _ in range(12):
        signal[disk((ROWS / 2 + rng.normal(0, 40), COLS * 0.4 + rng.normal(0, 40)), rng.uniform(1.5, 4))] += 300
    signal = cv2.GaussianBlur(signal, (0, 0), 0.7)
    signal += rng.normal(size=signal.shape).astype(np.float32) * np.sqrt(np.maximum(signal, 1)) * 0.6
    return np.clip(signal, 0, 2**14 - 1).astype(np.uint16), (SPACING_MM, SPACING_MM)


def _make_input(tmp: Path) -> dict:
    """Write the benchmark image; return how to load it."""
    try:
        from calcdetect.phantom import make_phantom, write_phantom  # type: ignore[attr-defined]
        from calcdetect.io import read_mammogram  # noqa: F401

        for preset in ("hologic-like", "ge-like", "siemens-like", "fuji-like"):
            try:
                ph = make_phantom(seed=424242, preset=preset, view="MLO", laterality="L", with_cluster=True)
            except (KeyError, ValueError):
                continue
            if tuple(ph.stored.shape) == (ROWS, COLS):
                write_phantom(ph, tmp, "bench")
                return {"kind": "dicom", "path": str(tmp / "bench.dcm"), "source": f"phantom {preset}"}
        print("no 4096 x 3328 phantom preset; using the synthetic image", file=sys.stderr)
    except ImportError:
        pass
    pixels, spacing = _synthetic()
    np.save(tmp / "bench.npy", pixels)
    return {"kind": "npy", "path": str(tmp / "bench.npy"), "spacing": spacing, "source": "synthetic power-law"}


def _load(spec: dict) -> tuple[np.ndarray, tuple[float, float], str]:
    if spec["kind"] == "dicom":
        from calcdetect.io import read_mammogram

        m = read_mammogram(spec["path"])
        return m.pixels, m.spacing_mm, m.view
    return np.load(spec["path"]).astype(np.float32), tuple(spec["spacing"]), "MLO"


def _child_detector(spec: dict, repeat: int, default_allocator: bool = False) -> dict:
    import cv2

    cv2.setNumThreads(1)
    from calcdetect.allocator import keep_freed_memory
    from calcdetect.config import DetectorConfig

    if not default_allocator:
        keep_freed_memory()  # as the scan's workers do
    from calcdetect.detector.pipeline import detect

    cfg = DetectorConfig.default()
    best: dict | None = None
    for _ in range(repeat + 1):  # first run warms caches and imports
        t0 = time.perf_counter()
        pixels, spacing, view = _load(spec)
        t_read = time.perf_counter() - t0
        res = detect(pixels, spacing_mm=spacing, view=view, config=cfg)
        total = time.perf_counter() - t0
        run = {"total_s": total, "stages_s": {"read": t_read, **res.timings_s},
               "n_candidates": res.n_candidates, "n_calcifications": len(res.calcifications),
               "n_clusters": len(res.clusters), "score": res.score}
        if best is None or run["total_s"] < best["total_s"]:
            best = run
    assert best is not None
    best["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return best


def _naive_reference(pixels: np.ndarray, spacing_mm: tuple[float, float]) -> int:
    """Same recipe as issue 4's reference: disk white_tophat + blob_log, global threshold."""
    try:
        from calcdetect import reference  # type: ignore[attr-defined]

        fn = getattr(reference, "reference_detect", None)
        if fn is not None:
            res = fn(pixels, spacing_mm=spacing_mm)
            return len(res.calcifications)
    except ImportError:
        pass
    from skimage.feature import blob_log
    from skimage.morphology import disk, white_tophat

    img = pixels.astype(np.float32)
    radius_px = max(1, int(round(0.4 / spacing_mm[0])))
    th = white_tophat(img, disk(radius_px))
    th /= max(float(th.max()), 1e-6)
    blobs = blob_log(th, min_sigma=0.05 / spacing_mm[0], max_sigma=0.3 / spacing_mm[0], num_sigma=5, threshold=0.05)
    return int(len(blobs))


def _child_reference(spec: dict) -> dict:
    pixels, spacing, _ = _load(spec)
    t0 = time.perf_counter()
    n = _naive_reference(pixels, spacing)
    return {"total_s": time.perf_counter() - t0, "n_blobs": n,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _run_child(role: str, spec: dict, repeat: int, default_allocator: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--child", role, "--spec", json.dumps(spec), "--repeat", str(repeat)]
    cmd += ["--default-allocator"] if default_allocator else []
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--default-allocator", action="store_true",
                    help="leave glibc's allocator policy as it is (the scan's workers change it: "
                         "calcdetect.allocator)")
    ap.add_argument("--child", choices=["detector", "reference"], help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        spec = json.loads(args.spec)
        if args.child == "detector":
            res = _child_detector(spec, args.repeat, args.default_allocator)
        else:
            res = _child_reference(spec)
        print(json.dumps(res))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        spec = _make_input(Path(tmp))
        print(f"image: {ROWS} x {COLS}, 14-bit, {spec['source']} ({spec['kind']})")
        det = _run_child("detector", spec, args.repeat, args.default_allocator)
        print(f"detector ({'DICOM file' if spec['kind'] == 'dicom' else 'array'} -> clusters), best of {args.repeat}:")
        for stage, sec in det["stages_s"].items():
            print(f"  {stage:<11} {sec * 1000:8.1f} ms")
        print(f"  {'total':<11} {det['total_s'] * 1000:8.1f} ms   peak RSS {det['peak_rss_mb']:.0f} MB   "
              f"candidates {det['n_candidates']}, calcifications {det['n_calcifications']}, "
              f"clusters {det['n_clusters']}")
        if not args.skip_reference:
            ref = _run_child("reference", spec, 1)
            print(f"naive reference (disk white_tophat + blob_log): {ref['total_s']:.2f} s, "
                  f"peak RSS {ref['peak_rss_mb']:.0f} MB, {ref['n_blobs']} blobs")
            print(f"speed-up: {ref['total_s'] / det['total_s']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
