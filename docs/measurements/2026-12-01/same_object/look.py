"""Montage of false clusters at/above the flag in normals: crop +-4 mm, members circled."""
import sys, json, numpy as np, cv2, pandas as pd
from calcdetect.io import read_mammogram
D = sys.argv[1]; thr, thr_c = float(sys.argv[2]), float(sys.argv[3]); out = sys.argv[4]
cm = pd.read_csv(D+'/evaluation/cluster_matches.csv'); im = pd.read_csv(D+'/evaluation/images.csv')
man = pd.read_csv(D+'/phantoms/manifest.csv')
calc = pd.read_csv(D+'/scan/calcifications.csv')
im['thr'] = [thr_c if s > 0.15 else thr for s in im.spacing_row_mm]
cm = cm.merge(im[['sop_instance_uid','preset','has_cluster','patient_id','thr']], on='sop_instance_uid')
fp = cm[(cm.status != 'tp') & (cm.score >= cm.thr) & ~cm.has_cluster.astype(bool)]
tiles = []
for _, f in fp.iterrows():
    fn = f"phantom_{int(f.patient_id.split('-')[1]):04d}.dcm"
    m = read_mammogram(f'{D}/phantoms/{fn}'); img = m.pixels.astype(np.float32)
    h = int(4 / m.spacing_mm[0]); r0, c0 = int(f.row), int(f.col)
    sub = img[max(0, r0-h):r0+h, max(0, c0-h):c0+h]
    lo, hi = np.percentile(sub, [1, 99.9])
    s = np.clip((sub - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
    k = 400 / s.shape[0]
    s = cv2.cvtColor(cv2.resize(s, None, fx=k, fy=k, interpolation=cv2.INTER_NEAREST), cv2.COLOR_GRAY2BGR)
    cc = calc[(calc.sop_instance_uid == f.sop_instance_uid)]
    for _, c in cc.iterrows():
        rr, ccol = (c.row - max(0, r0-h)) * k, (c.col - max(0, c0-h)) * k
        if 0 <= rr < s.shape[0] and 0 <= ccol < s.shape[1]:
            col = (0, 0, 255) if c.cluster_id == f.cluster_id else ((0, 200, 0) if c.cluster_id >= 0 else (255, 128, 0))
            cv2.circle(s, (int(ccol), int(rr)), 10, col, 1)
    cv2.putText(s, f"{f.patient_id[-4:]} {f.preset[5:9]} {f.score:.2f} {f.distractor_kind}", (5, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (0, 255, 255), 1)
    tiles.append(s[:400, :400] if s.shape[0] >= 400 else cv2.copyMakeBorder(s, 0, 400-s.shape[0], 0, 400-s.shape[1], cv2.BORDER_CONSTANT))
while len(tiles) % 4: tiles.append(np.zeros_like(tiles[0]))
rows = [np.hstack(tiles[i:i+4]) for i in range(0, len(tiles), 4)]
cv2.imwrite(out, np.vstack(rows))  # the .jpg in this folder: written as .png, then 0.75x as JPEG; print(len(fp), 'tiles')
