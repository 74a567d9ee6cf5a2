"""Are the phantoms hard enough?  Image-level AUC of naive detectors vs a simple
top-hat detector on a fresh phantom set (issue 3: the naive must be clearly worse).

    python scripts/phantom_difficulty.py [--n 60] [--preset small] [--seed 20260]

Naive scores (no spatial filtering): the brightest pixel inside the breast, and
the count of breast pixels brighter than mean + 4 std of the breast.  Top-hat
score: white top-hat (disk of 0.5 mm radius) of the read image, normalised by its
robust noise (MAD) inside the eroded breast, spots at >= 4 sigma no larger than
1 mm², score = most spots within any 10 x 10 mm window.  No parameter was tuned
on the evaluation seeds.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
from scipy import ndimage, stats
from skimage.filters import threshold_otsu
from skimage.morphology import disk, white_tophat

from calcdetect.phantom import make_phantom
from calcdetect.phantom.sets import derive_seed


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney AUC (ties count one half)."""
    u = stats.mannwhitneyu(pos, neg, alternative="two-sided").statistic
    return float(u) / (len(pos) * len(neg))


def breast_mask(read: np.ndarray) -> np.ndarray:
    m = read > threshold_otsu(read[::2, ::2])
    lab, n = ndimage.label(m)
    if n > 1:
        sizes = ndimage.sum(m, lab, range(1, n + 1))
        m = lab == (1 + int(np.argmax(sizes)))
    return m


def naive_scores(read: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    vals = read[mask]
    return float(vals.max()), float((vals > vals.mean() + 4 * vals.std()).sum())


def tophat_score(read: np.ndarray, mask: np.ndarray, spacing_mm: float) -> float:
    th = white_tophat(read.astype(np.float32), disk(max(1, int(round(0.5 / spacing_mm)))))
    inner = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=int(3 / spacing_mm)) > 0
    v = th[inner]
    if v.size == 0:
        return 0.0
    sigma = 1.4826 * np.median(np.abs(v - np.median(v))) + 1e-6
    spots = (th > np.median(v) + 4 * sigma) & inner
    lab, n = ndimage.label(spots)
    if n == 0:
        return 0.0
    areas = ndimage.sum(spots, lab, range(1, n + 1)) * spacing_mm**2
    cents = ndimage.center_of_mass(spots, lab, range(1, n + 1))
    grid = np.zeros(read.shape, np.float32)
    for (r, c), a in zip(cents, areas):
        if a <= 1.0:
            grid[int(r), int(c)] += 1
    win = int(round(10 / spacing_mm))
    return float(cv2.boxFilter(grid, -1, (win, win), normalize=False).max())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--preset", default="small")
    ap.add_argument("--seed", type=int, default=20260)
    args = ap.parse_args()
    labels, naive_max, naive_count, tophat = [], [], [], []
    t0 = time.perf_counter()
    for i in range(args.n):
        positive = i % 2 == 0
        ph = make_phantom(seed=derive_seed("difficulty", args.seed, i), preset=args.preset,
                          view=("CC", "MLO")[(i // 2) % 2], laterality=("L", "R")[(i // 4) % 2],
                          with_cluster=positive)
        read = ph.read_pixels()
        mask = breast_mask(read)
        a, b = naive_scores(read, mask)
        labels.append(positive)
        naive_max.append(a)
        naive_count.append(b)
        tophat.append(tophat_score(read, mask, ph.preset.spacing_mm))
    y = np.array(labels)
    print(f"{args.n} phantoms, preset {args.preset}, seed {args.seed} ({time.perf_counter() - t0:.0f} s)")
    for name, s in (("naive: brightest breast pixel", naive_max), ("naive: count > mean+4sd", naive_count),
                    ("white top-hat spots / 1 cm2", tophat)):
        s = np.asarray(s)
        print(f"  AUC {auc(s[y], s[~y]):.3f}  {name}")


if __name__ == "__main__":
    main()
