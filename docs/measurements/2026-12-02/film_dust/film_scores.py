"""Film development set (98000002), shipped vs FD: visible-cluster scores per preset, the largest drops,
and film normals flagged at each detector's own thresholds (the shipped rule).
usage: film_scores.py SHIPPED_DIR FD_DIR FD_THR FD_THR_COARSE"""
import sys
import numpy as np, pandas as pd

SHIPPED_THR = (0.222871, 0.848763)


def visible(d):
    tc = pd.read_csv(d + '/evaluation/truth_clusters.csv')
    tc = tc[tc.visibility == 'visible'].copy()
    tc['s'] = np.where(tc.matched.astype(bool), tc.matched_score.fillna(0), 0)
    return tc


old, new = sys.argv[1], sys.argv[2]
fd_thr = (float(sys.argv[3]), float(sys.argv[4]))
m = visible(old).merge(visible(new)[['sop_instance_uid', 'cluster_id', 's']], on=['sop_instance_uid', 'cluster_id'],
                       suffixes=('_shipped', '_fd'))
print('median visible-cluster score per preset'); print(m.groupby('preset')[['s_shipped', 's_fd']].median().round(3))
m['drop'] = m.s_shipped - m.s_fd
print('\nlargest drops'); print(m.sort_values('drop', ascending=False)[
    ['preset', 'morphology', 'third_snr', 's_shipped', 's_fd']].head(8).round(3).to_string(index=False))
for name, d, (thr, thr_c) in (('shipped', old, SHIPPED_THR), ('FD', new, fd_thr)):
    im = pd.read_csv(d + '/evaluation/images.csv')
    t = np.where(im.spacing_row_mm > 0.15, thr_c, thr)
    neg = ~im.has_cluster.astype(bool)
    print(f'{name}: film normals flagged at {thr:g} / {thr_c:g}: {int(((im.score >= t) & neg).sum())} of {int(neg.sum())}')
