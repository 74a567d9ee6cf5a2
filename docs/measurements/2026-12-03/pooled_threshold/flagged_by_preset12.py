"""Normals flagged per preset on the twelfth fresh row, at both operating-point pairs.
usage: flagged_by_preset12.py FRESH_DIR"""
import sys

import pandas as pd

from row12 import PAIRS, READINGS

root = sys.argv[1]
for kind, seeds in (READINGS[r] for r in ("D full size", "F film", "P processed")):
    ims = pd.concat([pd.read_csv(f"{root}/{kind}_{s}/evaluation/images.csv") for s in seeds])
    neg = ims[~ims.has_cluster.astype(bool)]
    for name, (fine, coarse) in PAIRS.items():
        thr = neg.spacing_row_mm.map(lambda x: coarse if x >= 0.15 else fine)
        g = (neg.score >= thr).groupby(neg.preset).agg(["sum", "count"])
        print(kind, name, dict(zip(g.index, [f"{a}/{b}" for a, b in zip(g["sum"], g["count"])])))
