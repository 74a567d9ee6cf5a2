"""Member direction measured on the image itself (connected half-maximum region of the background-subtracted
pixels around the member), instead of on the best DoG level's whole disc; alignment by truth morphology."""
import sys
import numpy as np, pandas as pd, cv2
from scipy import ndimage
from calcdetect.io import read_mammogram
from calcdetect.detector.cluster_model import axis_alignment
d = sys.argv[1]
ca = pd.read_csv(d + '/scan/calcifications.csv'); im = pd.read_csv(d + '/scan/images.csv')
cm = pd.read_csv(d + '/evaluation/cluster_matches.csv'); tc = pd.read_csv(d + '/evaluation/truth_clusters.csv')
morph = {(r.sop_instance_uid, r.cluster_id): r.morphology for r in tc.itertuples()}
path = {r.sop_instance_uid: r.path for r in im.itertuples()} if 'path' in im else None
import glob, pydicom
files = {}
for f in glob.glob(d + '/phantoms/*.dcm'):
    files[pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID] = f
def shape(img, r, c, sp):
    R = max(3, int(round(0.6 / sp)))
    r, c = int(r), int(c)
    p = img[max(r - R, 0): r + R + 1, max(c - R, 0): c + R + 1].astype(np.float64)
    cr, cc = r - max(r - R, 0), c - max(c - R, 0)
    bg = cv2.GaussianBlur(img[max(r - 4*R, 0): r + 4*R + 1, max(c - 4*R, 0): c + 4*R + 1].astype(np.float32), (0, 0), 0.5 / sp)
    b = bg[r - max(r - 4*R, 0) - cr: r - max(r - 4*R, 0) - cr + p.shape[0], c - max(c - 4*R, 0) - cc: c - max(c - 4*R, 0) - cc + p.shape[1]]
    q = p - b
    q = cv2.GaussianBlur(q.astype(np.float32), (0, 0), 0.5).astype(np.float64)  # a little smoothing against pixel noise
    peak = q[max(cr-1,0):cr+2, max(cc-1,0):cc+2].max()
    lab, _ = ndimage.label(q >= 0.5 * peak)
    k = lab[cr, cc]
    if k == 0: return 1.0, 0.0
    yy, xx = np.nonzero(lab == k)
    if len(yy) < 3: return 1.0, 0.0
    vr, vc, cv = yy.var() + 1/12, xx.var() + 1/12, ((yy - yy.mean()) * (xx - xx.mean())).mean()
    ht, det = (vr + vc) / 2, vr * vc - cv * cv
    disc = np.sqrt(max(ht * ht - det, 0)); l1, l2 = ht + disc, max(ht - disc, 1e-12)
    return float(np.sqrt(l1 / l2)), float(np.degrees(0.5 * np.arctan2(2 * cv, vc - vr)))
rows = []
for uid, g in ca[ca.cluster_id >= 0].groupby('sop_instance_uid'):
    m = read_mammogram(files[uid]); sp = m.spacing_mm[0]
    if abs(m.pixels.shape[0] - im.set_index('sop_instance_uid').loc[uid, 'rows']) > 0: continue  # resampled scans: skip
    img = m.pixels
    for cid, h in g.groupby('cluster_id'):
        mm = cm[(cm.sop_instance_uid == uid) & (cm.cluster_id == cid)].iloc[0]
        es = [shape(img, r, c, sp) for r, c in zip(h.row, h.col)]
        e, t = np.array([x[0] for x in es]), np.array([x[1] for x in es])
        pts = np.c_[h.row * sp, h.col * sp]
        rows.append(dict(kind=morph.get((uid, mm.truth_cluster_id), 'fp') if mm.status == 'tp' else 'fp',
                         fine=axis_alignment(pts, e, t), level=axis_alignment(pts, h.elongation.to_numpy(), h.orientation_deg.to_numpy()),
                         elong_fine=float(np.median(e)), elong_level=float(np.median(h.elongation))))
r = pd.DataFrame(rows)
print(d); print(r.groupby('kind')[['fine', 'level', 'elong_fine', 'elong_level']].agg(['count', 'mean', 'std']).round(3).to_string())
