"""Next step 2 of the fourteenth session: does the training table say more members = less likely?

The fraction of true clusters (and how many clusters) by the sum of the three highest member
probabilities and by member count, in v1's training table (`../../2026-12-01/cluster_model/build_table.py`).
"""
import sys

import numpy as np
import pandas as pd

t = pd.read_csv(sys.argv[1] if len(sys.argv) > 1 else "/work/scratch/s15/cluster_table.csv")
t["members"] = np.exp(t.log_count).round().astype(int)
t["pixels"] = np.where(t.spacing_mm > 0.15, "0.15 mm and coarser", "finer than 0.15 mm")
t["p_top3_sum bin"] = pd.cut(t.p_top3_sum, [0, 1, 2, 2.5, 2.8, 3.01])
t["members bin"] = pd.cut(t.members, [2, 3, 5, 8, 15, 1000])
for pixels, g in t.groupby("pixels"):
    print(pixels, "- fraction true / clusters")
    print(g.pivot_table(index="p_top3_sum bin", columns="members bin", values="label",
                        aggfunc=lambda x: f"{x.mean():.2f}/{len(x)}", observed=False).to_string())
