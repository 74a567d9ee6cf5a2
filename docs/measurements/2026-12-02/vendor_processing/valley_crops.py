import sys, csv, numpy as np
sys.path.insert(0, "/work/scratch/s23/proc")
from valley import stats
from calcdetect.io import read_mammogram
from calcdetect.detector.mask import breast_mask
import cv2
d = sys.argv[1]; n = int(sys.argv[2])
for i, r in enumerate(csv.DictReader(open(f"{d}/manifest.csv"))):
    if i >= n: break
    m = read_mammogram(f"{d}/{r['file']}")
    bm = breast_mask(m.pixels, spacing_mm=m.spacing_mm, view=m.view)
    # largest axis-aligned square well inside the breast: from the distance transform
    dist = cv2.distanceTransform(bm.breast.astype(np.uint8), cv2.DIST_L2, 5)
    rr, cc = np.unravel_index(np.argmax(dist), dist.shape)
    half = int(dist[rr, cc] / 1.5)
    fr, fc = bm.factor
    crop = m.pixels[(rr - half) * fr:(rr + half) * fr, (cc - half) * fc:(cc + half) * fc]
    if min(crop.shape) < 200: continue
    whole_full = int(bm.breast.mean() > 0.99)
    cm = breast_mask(crop, spacing_mm=m.spacing_mm, view="CC")
    print(r["file"], r["preset"], whole_full, *stats(m.pixels, m.spacing_mm), "| crop", crop.shape, round(float(cm.breast.mean()), 3), *stats(crop, m.spacing_mm), flush=True)
