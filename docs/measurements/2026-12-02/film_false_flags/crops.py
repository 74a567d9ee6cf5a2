import sys, json, numpy as np, pandas as pd, cv2
sys.path.insert(0, '/work/main/src')
from calcdetect.io import read_mammogram
D = '/work/scratch/s20/dev/film'
man = pd.read_csv(D + '/phantoms/manifest.csv'); im = pd.read_csv(D + '/evaluation/images.csv')
cm = pd.read_csv(D + '/evaluation/cluster_matches.csv'); cal = pd.read_csv(D + '/scan/calcifications.csv')
cl = pd.read_csv(D + '/scan/clusters.csv')
cm = cm.merge(im[['sop_instance_uid', 'threshold', 'has_cluster', 'preset']], on='sop_instance_uid')
f = cm[(cm.status == 'fp') & (cm.score >= cm.threshold) & (~cm.has_cluster)]
tiles = []
for _, r in f.iterrows():
    fn = man[man.sop_instance_uid == r.sop_instance_uid].file.iloc[0]
    m = read_mammogram(D + '/phantoms/' + fn)
    px = m.pixels.astype(np.float32)
    c = cl[(cl.sop_instance_uid == r.sop_instance_uid) & (cl.cluster_id == r.cluster_id)].iloc[0]
    h = int(max(c.row_max - c.row_min, c.col_max - c.col_min) / 2 + 25)
    r0, c0 = int(c.row) - h, int(c.col) - h
    crop = px[max(r0, 0):r0 + 2 * h, max(c0, 0):c0 + 2 * h]
    lo, hi = np.percentile(crop, [1, 99.5]); g = np.clip((crop - lo) / (hi - lo + 1e-9) * 255, 0, 255).astype(np.uint8)
    g = cv2.resize(g, (300, 300), interpolation=cv2.INTER_NEAREST); rgb = cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)
    s = 300 / (2 * h)
    mem = cal[(cal.sop_instance_uid == r.sop_instance_uid) & (cal.cluster_id == r.cluster_id)]
    for _, q in mem.iterrows():
        cv2.circle(rgb, (int((q.col - max(c0, 0)) * s), int((q.row - max(r0, 0)) * s)), 8, (0, 0, 255), 1)
    cv2.putText(rgb, f"{fn[8:12]} {r.preset[5:9]} {r.distractor_kind} {len(mem)}", (3, 14), 0, 0.45, (0, 255, 0), 1)
    tiles.append(rgb)
    print(fn, r.preset, r.distractor_kind, r.score, len(mem), mem[['diameter_mm', 'snr', 'probability', 'elongation']].round(2).values.tolist())
while len(tiles) % 3: tiles.append(np.zeros_like(tiles[0]))
rows = [np.hstack(tiles[i:i + 3]) for i in range(0, len(tiles), 3)]
cv2.imwrite('film_dev_fp.png', np.vstack(rows))
