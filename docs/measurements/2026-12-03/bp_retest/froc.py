"""FROC of visible clusters, pooled over each of rule v16's readings (four fresh sets, 800 images):
the shipped detector and variant BP on the same images.  usage: froc.py SCANS_DIR OUT.png"""
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "2026-12-02" / "cluster_model_pooled"))
from froc_pooled import decorate, finish, froc  # noqa: E402  (the pooled FROC of history step 14)

DIGITAL, FILM = (96001164, 96001165, 96001166, 96001167), (98000035, 98000036, 98000037, 98000038)
READINGS = {"digital, full size": ("dig", DIGITAL), "digital at 0.2 mm": ("dig02", DIGITAL),
            "film": ("film", FILM), "digital, processed (multiscale)": ("ms", DIGITAL)}


def counts(dirs):
    """Images and visible clusters over the sets."""
    n_img = sum(len(pd.read_csv(f"{d}/evaluation/images.csv")) for d in dirs)
    n_vis = sum((pd.read_csv(f"{d}/evaluation/truth_clusters.csv").visibility == "visible").sum() for d in dirs)
    return n_img, n_vis


root, out = sys.argv[1], sys.argv[2]
fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), sharey=True)
for ax, (title, (kind, seeds)) in zip(axes, READINGS.items()):
    for tag, label, style in (("base", "shipped", "-"), ("bp", "variant BP (rule v16)", "--")):
        dirs = [f"{root}/{tag}_{kind}_{s}" for s in seeds]
        x, y = froc(dirs)
        ax.step(x, y, style, where="post", label=label)
    n_img, n_vis = counts(dirs)
    decorate(ax, f"{title}\n{n_img} images, {n_vis} visible clusters")
finish(fig, axes, "Fresh seeds 96001164-7 (mix) and 98000035-8 (film-mix), pooled per reading", out)
