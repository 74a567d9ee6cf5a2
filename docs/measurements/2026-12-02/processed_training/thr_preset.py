"""Per-preset thresholds for 0.1 false clusters per image (issue 12: 'across presets and resolutions').
usage: thr_preset.py DIR[:preset_regex] ..."""
import sys, pandas as pd
from calcdetect.evaluation.calibration import threshold_for_fp_rate
for a in sys.argv[1:]:
    d, _, sel = a.partition(':')
    im = pd.read_csv(d + '/evaluation/images.csv'); cm = pd.read_csv(d + '/evaluation/cluster_matches.csv')
    if sel: im = im[im.preset.str.contains(sel)]
    out = {}
    for p, g in im.groupby('preset'):
        c = cm[cm.sop_instance_uid.isin(set(g.sop_instance_uid))]
        out[p] = (len(g), threshold_for_fp_rate(c.score[c.status == 'fp'].to_numpy(), len(g), 0.1))
    print(a, {p: f"n={n} {t:.4f}" for p, (n, t) in out.items()}, 'max', max(t for _, t in out.values()))
