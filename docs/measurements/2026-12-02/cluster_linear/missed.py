"""Visible clusters not found at the flag: did the detector form a cluster there (its score), or not (members found)?"""
import sys
import numpy as np, pandas as pd
for d in sys.argv[1:]:
    tc = pd.read_csv(d + '/evaluation/truth_clusters.csv'); im = pd.read_csv(d + '/evaluation/images.csv')
    thr = dict(zip(im.sop_instance_uid, im.threshold)) if 'threshold' in im else {}
    v = tc[(tc.visibility == 'visible') & ~tc.detected_at_operating_point.astype(bool)]
    for r in v.itertuples():
        print(d.split('/')[-1], r.morphology, r.preset, f"third d' {r.third_d_prime:.1f}", 'formed, score %.3f' % r.matched_score if r.matched else 'no cluster')
