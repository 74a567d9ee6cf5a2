"""Local alignment of members (each elongated member's axis vs the direction to its nearest other member), by truth morphology."""
import sys
import numpy as np, pandas as pd
from calcdetect.detector.cluster_model import axis_alignment
def local_alignment(pts, elong, theta_deg):
    w = 1.0 - 1.0 / np.maximum(elong, 1.0)
    if len(pts) < 2 or w.sum() <= 1e-9: return 0.0
    d = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1)); np.fill_diagonal(d, np.inf)
    j = d.argmin(axis=1); v = pts[j] - pts
    phi = np.degrees(np.arctan2(v[:, 0], v[:, 1]))  # from x towards y
    return float((w * np.cos(2 * np.radians(theta_deg - phi))).sum() / w.sum())
for d in sys.argv[1:]:
    ca = pd.read_csv(d + '/scan/calcifications.csv'); im = pd.read_csv(d + '/scan/images.csv')
    cm = pd.read_csv(d + '/evaluation/cluster_matches.csv'); tc = pd.read_csv(d + '/evaluation/truth_clusters.csv')
    sp = dict(zip(im.sop_instance_uid, zip(im.spacing_mm, im.spacing_col_mm)))
    morph = {(r.sop_instance_uid, r.cluster_id): r.morphology for r in tc.itertuples()}
    rows = []
    for (uid, cid), g in ca[ca.cluster_id >= 0].groupby(['sop_instance_uid', 'cluster_id']):
        m = cm[(cm.sop_instance_uid == uid) & (cm.cluster_id == cid)].iloc[0]
        pts = np.c_[g.row * sp[uid][0], g.col * sp[uid][1]]
        e, t = g.elongation.to_numpy(), g.orientation_deg.to_numpy()
        rows.append(dict(kind=morph.get((uid, m.truth_cluster_id), 'fp') if m.status == 'tp' else 'fp',
                         local=local_alignment(pts, e, t), glob=axis_alignment(pts, e, t), elong=float(np.median(e))))
    r = pd.DataFrame(rows)
    print(d); print(r.groupby('kind')[['local', 'glob', 'elong']].agg(['count', 'median', 'mean']).round(3).to_string())
