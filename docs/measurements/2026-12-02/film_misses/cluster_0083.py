"""phantom_0083: pairwise distances of the truth members vs the DBSCAN radius, and detect() with member 0 accepted
(accept_probability 0.004) and a radius that joins them (cluster_area_mm2 = pi * 6.0^2)."""
import dataclasses, json, itertools, numpy as np
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import detect
from calcdetect.detector.cluster import cluster_radius_mm
t = json.load(open("/work/scratch/s17/miss/phantoms/phantom_0083.truth.json"))
P = np.array([[c["row"], c["col"]] for c in t["calcifications"]]) * 0.2
print("radius", round(cluster_radius_mm(DetectorConfig.default()), 3), "mm; pairwise member distances (mm):",
      {f"{i}-{j}": round(float(np.hypot(*(P[i] - P[j]))), 2) for i, j in itertools.combinations(range(3), 2)})
m = read_mammogram("/work/scratch/s17/miss/phantoms/phantom_0083.dcm")
for ap, area in ((0.005, np.pi * 36), (0.004, np.pi * 36)):
    cfg = dataclasses.replace(DetectorConfig.default(), accept_probability=ap, cluster_area_mm2=float(area))
    r = detect(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
    print(f"accept {ap}, area {area:.1f}: n_acc {len(r.calcifications)} image score {r.score:.4f}")
    for k in r.clusters[:4]:
        print(f"   cluster n={k.n_calcifications} ({k.row_px:.0f},{k.col_px:.0f}) score {k.score:.4f} "
              f"dist to truth centre {np.hypot(k.row_px-568.32, k.col_px-224.55)*0.2:.1f} mm")
