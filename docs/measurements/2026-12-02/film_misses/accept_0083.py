"""phantom_0083: does the cluster form if member 0 (p = 0.0045) is accepted? detect() with accept_probability 0.004."""
import dataclasses, numpy as np
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import detect
m = read_mammogram("/work/scratch/s17/miss/phantoms/phantom_0083.dcm")
for ap in (0.005, 0.004):
    cfg = dataclasses.replace(DetectorConfig.default(), accept_probability=ap)
    r = detect(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
    print(f"accept {ap}: n_acc {len(r.calcifications)} image score {r.score:.4f} (threshold {r.threshold})")
    for k in r.clusters[:5]:
        print(f"   cluster n={k.n_calcifications} ({k.row_px:.0f},{k.col_px:.0f}) bbox {k.bbox_px} score {k.score:.4f} "
              f"dist to truth centre {np.hypot(k.row_px-568.32, k.col_px-224.55)*0.2:.1f} mm")
