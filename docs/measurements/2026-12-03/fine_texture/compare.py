"""Plain against fine-texture scans of the same seed: the pooled figures of each, and the differences
with 95 % intervals from a paired bootstrap by image (history step 14's statistics, `boot.py`; the
images are paired by their index in the set: the same anatomy, noise and distractors, and the same
lesion unless the fine texture changed its visibility class and the generator drew it again).

usage: compare.py PLAIN_DIR[,DIR...] FINE_DIR[,DIR...] [THRESHOLD THRESHOLD_COARSE]   (sets pooled, resampled
within each set)"""
import sys

import numpy as np

sys.path.insert(0, "/work/main/docs/measurements/2026-12-02/cluster_model_pooled")
from boot import load, stats  # noqa: E402

thr = tuple(map(float, sys.argv[3:5])) if len(sys.argv) > 4 else (0.191765, 0.874416)
plain = [load(d, *thr) for d in sys.argv[1].split(",")]
fine = [load(d, *thr) for d in sys.argv[2].split(",")]
assert [len(x["uids"]) for x in plain] == [len(x["uids"]) for x in fine]
ones = [np.ones(x["n"], int) for x in plain]
a, b = stats(plain, ones), stats(fine, ones)
for name, s in (("plain", a), ("fine texture", b)):
    print(f"{name:<13} at 0.05/0.1/0.2: {'/'.join(f'{x:.3f}' for x in s['sens'])}  AUC {s['auc']:.3f}  "
          f"found at flag {s['found']:.3f} ({s['n_vis']} visible)  normals flagged {s['flagged']:.3f}")
rng = np.random.default_rng(4202612)
deltas = {k: [] for k in ("pfroc", "auc", "flagged", "found")}
for _ in range(2000):
    w = [np.bincount(rng.integers(0, x["n"], x["n"]), minlength=x["n"]) for x in plain]
    x, y = stats(plain, w), stats(fine, w)
    for k in deltas:
        deltas[k].append(y[k] - x[k])
for k, d in deltas.items():
    lo, hi = np.percentile(d, [2.5, 97.5])
    print(f"  delta {k:8s} {b[k] - a[k]:+.3f}  95% [{lo:+.3f}, {hi:+.3f}]")
