"""Normals flagged per preset on rule v16's fresh sets, shipped and BP.  usage: flagged_by_preset.py SCANS_DIR"""
import glob
import sys

import pandas as pd

for kind in ("dig", "ms", "film"):
    for tag in ("base", "bp"):
        images = pd.concat([pd.read_csv(f) for f in sorted(glob.glob(f"{sys.argv[1]}/{tag}_{kind}_*/evaluation/images.csv"))])
        normals = images[~images.has_cluster.astype(bool)]
        counts = normals.groupby("preset").flag.agg(["sum", "count"])
        print(kind, tag, "  ".join(f"{p} {int(r['sum'])}/{int(r['count'])}" for p, r in counts.iterrows()))
