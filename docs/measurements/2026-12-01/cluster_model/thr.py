import sys, pandas as pd
from calcdetect.evaluation.calibration import threshold_for_fp_rate
for a in sys.argv[1:]:
    d, _, sel = a.partition(':'); neg = sel.startswith('!'); sel = sel.lstrip('!')
    im = pd.read_csv(d + '/evaluation/images.csv'); cm = pd.read_csv(d + '/evaluation/cluster_matches.csv')
    if sel:
        m = im.preset.str.contains(sel); im = im[~m if neg else m]
    cm = cm[cm.sop_instance_uid.isin(set(im.sop_instance_uid))]
    print(f"{a:30s} n={len(im)} thr@0.1 {threshold_for_fp_rate(cm.score[cm.status == 'fp'].to_numpy(), len(im), 0.1)!r}")
