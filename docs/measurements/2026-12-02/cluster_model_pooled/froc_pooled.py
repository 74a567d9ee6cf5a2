"""FROC of visible clusters, pooled over each reading's two fresh sets: the score before (sum of three) and
the cluster model, on the same images.  usage: froc_pooled.py SCANS_DIR OUT.png"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

READINGS = {"digital, full size": ("dig_96001141", "dig_96001142"),
            "digital at 0.2 mm": ("dig02_96001141", "dig02_96001142"),
            "film": ("film_98000015", "film_98000016")}


def froc(dirs):
    """False clusters per image and visible-cluster sensitivity at every false-cluster score."""
    fps, vis, n = [], [], 0
    for d in dirs:
        e = f"{d}/evaluation/"
        cm, tc = pd.read_csv(e + "cluster_matches.csv"), pd.read_csv(e + "truth_clusters.csv")
        n += len(pd.read_csv(e + "images.csv"))
        fps.append(cm.score[cm.status == "fp"].to_numpy())
        v = tc[tc.visibility == "visible"]
        vis.append(np.where(v.matched.astype(bool), v.matched_score.fillna(-1), -1.0))
    fp, vs = np.sort(np.concatenate(fps))[::-1], np.concatenate(vis)
    thresholds = np.r_[fp, 0.0]  # a hit must score above the (k+1)-th false cluster
    return np.arange(len(thresholds)) / n, np.array([(vs > t).mean() for t in thresholds])


def decorate(ax, title):
    """Axes of a FROC panel: 0-1 false clusters per image, marks at the rates the rules read."""
    ax.set(title=title, xlim=(0, 1), ylim=(0.6, 1.0), xlabel="false clusters per image")
    for rate in (0.05, 0.1, 0.2):
        ax.axvline(rate, color="0.85", lw=0.8, zorder=0)
    ax.grid(alpha=0.3)


def finish(fig, axes, title, out):
    """Label, title and write a row of FROC panels."""
    axes[0].set_ylabel("visible clusters found")
    axes[0].legend(loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    root, out = sys.argv[1], sys.argv[2]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    for ax, (title, sets) in zip(axes, READINGS.items()):
        for tag, label, style in (("old", "sum of three (before)", "--"), ("new", "cluster model (shipped)", "-")):
            x, y = froc([f"{root}/{tag}_{s}" for s in sets])
            ax.step(x, y, style, where="post", label=label)
        decorate(ax, f"{title} (400 images)")
    finish(fig, axes, "Fresh seeds 96001141-2 (mix) and 98000015-6 (film-mix), pooled per reading", out)


if __name__ == "__main__":
    main()
