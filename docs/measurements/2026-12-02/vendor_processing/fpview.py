import sys, numpy as np, pandas as pd, pydicom, cv2
d, pid = sys.argv[1], sys.argv[2]
im = pd.read_csv(f"{d}/evaluation/images.csv"); row = im[im.patient_id == pid].iloc[0]
uid = row.sop_instance_uid
f = f"{d}/phantoms/phantom_{pid.split('-')[1]}.dcm"
a = pydicom.dcmread(f).pixel_array.astype(np.float32)
cl = pd.read_csv(f"{d}/scan/clusters.csv"); cl = cl[cl.sop_instance_uid == uid].sort_values("score", ascending=False).head(3)
k = 6
small = cv2.resize(a, (a.shape[1] // k, a.shape[0] // k), interpolation=cv2.INTER_AREA)
lo, hi = np.percentile(small, [1, 99.5]); small = np.clip((small - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
crops = []
for _, c in cl.iterrows():
    cv2.rectangle(small, (int(c.col_min / k) - 5, int(c.row_min / k) - 5), (int(c.col_max / k) + 5, int(c.row_max / k) + 5), (0, 0, 255), 2)
    r0, c0 = int(c.row) - 100, int(c.col) - 100
    crop = a[max(r0, 0):r0 + 200, max(c0, 0):c0 + 200]
    lo, hi = np.percentile(crop, [1, 99.9]); crop = np.clip((crop - lo) / (hi - lo + 1e-6) * 255, 0, 255).astype(np.uint8)
    crops.append(cv2.resize(crop, (300, 300), interpolation=cv2.INTER_NEAREST))
    print(c.score, c.n_calcifications, c.row, c.col, c.area_mm2)
h = small.shape[0]
strip = np.vstack(crops + [np.zeros((max(h - 300 * len(crops), 0), 300), np.uint8)])[:h]
cv2.imwrite(f"fp_{pid}.png", np.hstack([small, cv2.cvtColor(strip, cv2.COLOR_GRAY2BGR)]))
