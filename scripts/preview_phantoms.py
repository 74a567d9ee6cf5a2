"""Write PNG previews of phantoms: the whole image (downsampled) and a
full-resolution crop around the cluster (or the centre), with truth marked.

    python scripts/preview_phantoms.py OUT_DIR [--preset demo] [--seeds 0 1 2] [--dicom DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from calcdetect.phantom import make_phantom
from calcdetect.evaluation.truth_files import read_truth_file, truth_path_for


def _to8(img: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    vals = img[mask] if mask is not None and mask.any() else img
    lo, hi = np.percentile(vals, [0.5, 99.8])
    return (np.clip((img - lo) / max(hi - lo, 1e-6), 0, 1) * 255).astype(np.uint8)


def preview(read: np.ndarray, truth: dict, out: Path, name: str) -> None:
    mask = read > np.percentile(read, 30)
    whole = _to8(read, mask)
    h, w = whole.shape
    scale = 700 / h
    small = cv2.cvtColor(cv2.resize(whole, (int(w * scale), 700), interpolation=cv2.INTER_AREA), cv2.COLOR_GRAY2BGR)
    for cl in truth["clusters"]:
        cv2.circle(small, (int(cl["col"] * scale), int(cl["row"] * scale)), 14, (0, 0, 255), 1)
    for d in truth["distractors"]:
        r0, c0, r1, c1 = d["bbox"]
        cv2.rectangle(small, (int(c0 * scale) - 2, int(r0 * scale) - 2), (int(c1 * scale) + 2, int(r1 * scale) + 2),
                      (0, 200, 0), 1)
    cv2.imwrite(str(out / f"{name}_whole.png"), small)
    if truth["clusters"]:
        r, c = int(truth["clusters"][0]["row"]), int(truth["clusters"][0]["col"])
    else:
        r, c = h // 2, w // 3
    half = int(round(12 / truth["spacing_mm"][0]))  # 24 mm field
    r0, c0 = max(r - half, 0), max(c - half, 0)
    crop = read[r0:r + half, c0:c + half]
    crop8 = _to8(crop)
    zoom = max(1, 480 // crop8.shape[0])
    big = cv2.resize(crop8, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
    marked = cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
    for cal in truth["calcifications"]:
        cv2.circle(marked, (int((cal["col"] - c0 + 0.5) * zoom), int((cal["row"] - r0 + 0.5) * zoom)),
                   int(4 * zoom), (0, 0, 255), 1)
    cv2.imwrite(str(out / f"{name}_crop.png"), np.hstack([cv2.cvtColor(big, cv2.COLOR_GRAY2BGR), marked]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--preset", default="demo")
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2, 3])
    ap.add_argument("--dicom", type=Path, help="preview written phantoms (*.dcm + *.truth.json) instead")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.dicom:
        from calcdetect.phantom.generate import _read_units  # noqa: PLC0415
        from calcdetect.phantom.presets import PRESETS  # noqa: PLC0415
        import pydicom  # noqa: PLC0415

        for dcm in sorted(args.dicom.glob("*.dcm")):
            truth = read_truth_file(truth_path_for(dcm))
            arr = pydicom.dcmread(dcm).pixel_array
            preview(_read_units(arr, PRESETS[truth["preset"]]), truth, args.out, dcm.stem)
        return
    for s in args.seeds:
        ph = make_phantom(seed=s, preset=args.preset, view=("CC", "MLO")[s % 2], laterality=("L", "R")[(s // 2) % 2],
                          with_cluster=True)
        preview(ph.read_pixels(), ph.truth, args.out, f"{args.preset}_{s}")


if __name__ == "__main__":
    main()
