"""PNG crop around a truth cluster (+ overview) with truth members, candidates, accepted/rejected and search outline."""
import json, sys
import numpy as np
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
from calcdetect.io import read_mammogram

name = sys.argv[1]; k = int(sys.argv[2]) if len(sys.argv) > 2 else 0
half = 60
m = read_mammogram(f"/work/scratch/s17/miss/phantoms/{name}.dcm")
truth = json.load(open(f"/work/scratch/s17/miss/phantoms/{name}.truth.json"))
a = np.load(f"/work/scratch/s17/miss/{name}_analysis.npz")
outline = json.load(open(f"/work/scratch/s17/miss/{name}_outline.json"))
cl = truth["clusters"][k]
r0, c0 = int(round(cl["row"])) - half, int(round(cl["col"])) - half
img = m.pixels
fr = a["factor"]
def draw(ax, box):
    ra, rb, ca, cb = box
    sub = img[ra:rb, ca:cb]
    lo, hi = np.percentile(sub, [1, 99.5])
    ax.imshow(sub, cmap="gray", vmin=lo, vmax=hi, extent=(ca - .5, cb - .5, rb - .5, ra - .5))
    # breast mask boundary (coarse) as contour
    br = a["breast"].repeat(fr[0], 0).repeat(fr[1], 1)[:img.shape[0], :img.shape[1]]
    ax.contour(np.arange(ca, cb), np.arange(ra, rb), br[ra:rb, ca:cb].astype(float), [0.5], colors="yellow", linewidths=0.8)
    for poly in outline:
        p = np.array(poly); ax.plot(p[:, 1], p[:, 0], "c-", lw=0.8)
    ax.plot(a["cand_c"], a["cand_r"], "b+", ms=5, label="candidate")
    acc = a["acc"]; rej = a["rej"]
    ok = rej == ""
    if len(acc):
        ax.plot(acc[ok, 1], acc[ok, 0], "go", mfc="none", ms=7, label="accepted")
        ax.plot(acc[~ok, 1], acc[~ok, 0], "mx", ms=7, label="rejected")
    for t in truth["calcifications"]:
        ax.add_patch(plt.Circle((t["col"], t["row"]), 2.5, color="r", fill=False, lw=1))
        if ca <= t["col"] < cb and ra <= t["row"] < rb and (rb - ra) < 300:
            ax.text(t["col"] + 3, t["row"] - 3, f"{t['id']}:{t['d_prime']:.1f}", color="r", fontsize=7)
    ax.set_xlim(ca - .5, cb - .5); ax.set_ylim(rb - .5, ra - .5)
fig, axs = plt.subplots(1, 2, figsize=(14, 7))
draw(axs[0], (max(r0, 0), min(r0 + 2 * half, img.shape[0]), max(c0, 0), min(c0 + 2 * half, img.shape[1])))
axs[0].set_title(f"{name} crop: red=truth (r 2.5px), +=candidate, o=accepted, x=rejected; cyan=search, yellow=breast mask", fontsize=8)
axs[0].legend(fontsize=7, loc="lower right")
draw(axs[1], (0, img.shape[0], 0, img.shape[1]))
axs[1].set_title("whole image", fontsize=8)
fig.tight_layout(); fig.savefig(f"/work/scratch/s17/miss/{name}_crop.png", dpi=90)
# also a plain raw crop with strong stretch
fig, ax = plt.subplots(figsize=(6, 6))
sub = img[max(r0,0):r0 + 2 * half, max(c0,0):c0 + 2 * half]
ax.imshow(sub, cmap="gray", vmin=0, vmax=max(1, np.percentile(sub, 99)), extent=(c0 - .5, c0 + 2*half - .5, r0 + 2*half - .5, r0 - .5))
for t in truth["calcifications"]:
    ax.add_patch(plt.Circle((t["col"], t["row"]), 3.5, color="r", fill=False, lw=0.8))
ax.set_title("raw values 0..p99"); fig.savefig(f"/work/scratch/s17/miss/{name}_raw.png", dpi=90)
