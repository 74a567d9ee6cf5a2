"""The shipped operating-point rule on one development set per reading and on four pooled, and what
each threshold does on rule v16's fresh sets (reported, not adopted).

usage: thr_pooled.py FRESH_DIR DIGITAL_DEV,... DIGITAL02_DEV,... FILM_DEV,...
(each list starts with the shipped detector's own development set)"""
import sys

import pandas as pd

from boot_threshold import COARSE_MM, fresh_scores, load
from calcdetect.evaluation.calibration import threshold_for_fp_rate


def thresholds(dirs, coarse):
    """Per preset over the pooled sets: the loosest threshold leaving <= 0.1 false clusters per image."""
    images, matches = zip(*(load(d) for d in dirs))
    images, matches = pd.concat(images), pd.concat(matches)
    images = images[(images.spacing_row_mm >= COARSE_MM) == coarse]
    out = {}
    for preset, g in images.groupby("preset"):
        fp = matches[matches.sop_instance_uid.isin(set(g.sop_instance_uid)) & (matches.status == "fp")]
        out[preset] = (len(g), threshold_for_fp_rate(fp.score.to_numpy(), len(g), 0.1))
    return out


def main():
    root = sys.argv[1]
    dig, dig02, film = (a.split(",") for a in sys.argv[2:5])
    digital, films = (96001164, 96001165, 96001166, 96001167), (98000035, 98000036, 98000037, 98000038)
    for name, coarse, sources, kinds in (
            ("fine (finer than 0.15 mm)", False, (dig, film), (("dig", digital), ("film", films))),
            ("coarse (0.15 mm and coarser)", True, (dig02, film), (("dig02", digital), ("film", films)))):
        normals, found = fresh_scores([f"{root}/base_{kind}_{s}" for kind, seeds in kinds for s in seeds], coarse)
        print(f"{name}; fresh: {len(normals)} normals, {len(found)} visible clusters")
        choices = [(f"development set {i + 1} alone", [src[i] for src in sources]) for i in range(len(sources[0]))]
        choices.append((f"all {len(sources[0])} pooled", [d for src in sources for d in src]))
        for label, dirs in choices:
            per = thresholds(dirs, coarse)
            preset, (n, thr) = max(per.items(), key=lambda kv: kv[1][1])
            print(f"  {label}: {thr:.4f} ({preset} decides, {n} images; next "
                  f"{sorted(t for _, t in per.values())[-2]:.4f}) -> fresh normals flagged "
                  f"{(normals >= thr).mean():.3f}, visible found {(found >= thr).mean():.3f}")


if __name__ == "__main__":
    main()
