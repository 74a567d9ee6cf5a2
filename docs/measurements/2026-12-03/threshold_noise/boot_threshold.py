"""How much the operating-point rule's own sampling moves the shipped detector's fine threshold,
and what that does on fresh images.  The rule (docs/detector.md, "The operating point"): per
preset of each development set, the loosest threshold leaving <= 0.1 false clusters per image; the
highest kept.  Here the development images are resampled with replacement within each preset
(2000 times, seed 4202612), the fine threshold (pixels finer than 0.15 mm: the digital set at its
own pixels, film-ddsm-like and film-16bit-like) re-chosen each time, and each threshold applied to
rule v16's fresh full-size digital and fine film sets (the shipped detector's scans).

usage: boot_threshold.py DEV_DIGITAL DEV_FILM FRESH_DIR"""
import glob
import sys

import numpy as np
import pandas as pd

from calcdetect.evaluation.calibration import threshold_for_fp_rate

#: pixels this coarse or coarser are scored by the coarse-pixel model and its threshold
COARSE_MM = 0.15


def load(d):
    e = f"{d}/evaluation/"
    return pd.read_csv(e + "images.csv"), pd.read_csv(e + "cluster_matches.csv")


def per_preset(images, matches, fine_only):
    """(preset, false-cluster scores of each image) for every preset of a development set."""
    fp = matches[matches.status == "fp"].groupby("sop_instance_uid").score.apply(np.asarray)
    out = []
    for preset, g in images.groupby("preset"):
        if fine_only and g.spacing_row_mm.max() >= COARSE_MM:
            continue
        out.append((preset, [fp.get(u, np.empty(0)) for u in g.sop_instance_uid]))
    return out


def rule(groups, rng=None, times=1):
    """The fine threshold by the shipped rule; with ``rng``, on ``times`` x as many images drawn with
    replacement from each preset (times > 1: roughly what a development set that many times larger
    would give, if its images were like these)."""
    thr = []
    for _, per_image in groups:
        n = len(per_image)
        idx = np.arange(n) if rng is None else rng.integers(0, n, times * n)
        scores = np.concatenate([per_image[i] for i in idx])
        thr.append(threshold_for_fp_rate(scores, len(idx), 0.1))
    return max(thr)


def fresh_scores(dirs, coarse=False):
    """Normal images' scores and visible clusters' matched scores (-1 when missed) of scans, on the
    pixels finer than ``COARSE_MM`` or (``coarse``) as coarse or coarser."""
    images = pd.concat([load(d)[0] for d in dirs])
    truth = pd.concat([pd.read_csv(f"{d}/evaluation/truth_clusters.csv") for d in dirs])
    images = images[(images.spacing_row_mm >= COARSE_MM) == coarse]
    normals = images.score[~images.has_cluster.astype(bool)].to_numpy()
    vis = truth[(truth.visibility == "visible") & truth.sop_instance_uid.isin(set(images.sop_instance_uid))]
    found = np.where(vis.matched.astype(bool), vis.matched_score.fillna(-1), -1.0)
    return normals, found


def main():
    groups = per_preset(*load(sys.argv[1]), False) + per_preset(*load(sys.argv[2]), True)
    shipped = rule(groups)
    rng = np.random.default_rng(4202612)
    print(f"fine threshold by the rule: {shipped:.6f}")
    print("per preset:", ", ".join(f"{g[0]} {rule([g]):.4f} (n={len(g[1])})" for g in groups))
    fresh_sets = {kind: fresh_scores(sorted(glob.glob(f"{sys.argv[3]}/base_{kind}_*/"))) for kind in ("dig", "film")}
    for times in (1, 4):
        boot = np.array([rule(groups, rng, times) for _ in range(2000)])
        print(f"resampled, {times} x the development images: threshold median {np.median(boot):.4f}, "
              f"95 % {np.percentile(boot, 2.5):.4f}-{np.percentile(boot, 97.5):.4f}")
        for kind, (normals, found) in fresh_sets.items():
            at = lambda t: ((normals >= t).mean(), (found >= t).mean())  # noqa: E731
            f0, s0 = at(shipped)
            fb, sb = np.array([at(t) for t in boot]).T
            print(f"  fresh {kind} (finer than 0.15 mm: {len(normals)} normals, {len(found)} visible): at the "
                  f"rule's threshold {f0:.3f} flagged, {s0:.3f} found; over the resampled thresholds flagged "
                  f"{np.percentile(fb, 2.5):.3f}-{np.percentile(fb, 97.5):.3f}, found "
                  f"{np.percentile(sb, 2.5):.3f}-{np.percentile(sb, 97.5):.3f}")


if __name__ == "__main__":
    main()
