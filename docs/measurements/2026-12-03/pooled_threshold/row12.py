"""The README's columns for the twelfth fresh row, at the pooled operating points (shipped since this
session) and at the pair before them, read off the same scans (the scores do not depend on them).

usage: row12.py FRESH_DIR   (the scans of queue.sh)"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, "/work/main/docs/measurements/2026-12-02/cluster_model_pooled")
from boot import load, stats  # noqa: E402  (history step 14's pooled statistics)

PAIRS = {"pooled (shipped)": (0.191765, 0.874416), "before": (0.222871, 0.848763)}
READINGS = {"D full size": ("dig", (96001168, 96001169, 96001170, 96001171)),
            "D02 0.2 mm": ("dig02", (96001168, 96001169, 96001170, 96001171)),
            "F film": ("film", (98000039, 98000040, 98000041, 98000042)),
            "P processed": ("ms", (96001168, 96001169, 96001170, 96001171))}


def main():
    root = sys.argv[1]
    for reading, (kind, seeds) in READINGS.items():
        dirs = [f"{root}/{kind}_{s}" for s in seeds]
        if not all(os.path.isdir(d) for d in dirs):
            continue
        for label, (fine, coarse) in PAIRS.items():
            print(f"{reading:<12} {label:<17} {pooled(dirs, fine, coarse)}")
        per_set_targets(dirs)  # at the thresholds each set was scanned with (the pooled pair)


def pooled(dirs, fine, coarse):
    """The sets pooled at a pair of thresholds (history step 14's statistics), as one line."""
    sets = [load(d, fine, coarse) for d in dirs]
    s = stats(sets, [np.ones(x["n"], int) for x in sets])
    return (f"at 0.05/0.1/0.2: {'/'.join(f'{v:.3f}' for v in s['sens'])}  "
            f"AUC {s['auc']:.3f}  found at flag {s['found']:.3f}  normals flagged {s['flagged']:.3f}  "
            f"({sum(x['n'] for x in sets)} images, {s['n_vis']} visible clusters)")


def per_set_targets(dirs):
    """Each set's recorded targets (metrics.json), one line per set."""
    for d in dirs:
        t = json.load(open(f"{d}/evaluation/metrics.json"))["detector"]["targets"]
        print(f"    {d.rstrip('/').rsplit('/', 1)[-1]}: " + "; ".join(
            f"{n} {v['value']:.3f}" for n, v in t.items() if v["value"] is not None))


if __name__ == "__main__":
    main()
