"""Features and classifier probability of the truth members of phantom_0083 (and per-feature attributions)."""
import json
import numpy as np
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.detector.fp_model import model_for
from calcdetect.detector.features import FEATURE_NAMES
name = "phantom_0083"
m = read_mammogram(f"/work/scratch/s17/miss/phantoms/{name}.dcm")
t = json.load(open(f"/work/scratch/s17/miss/phantoms/{name}.truth.json"))
cfg = DetectorConfig.default()
an = analyse_candidates(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
model = model_for(an.spacing_mm, cfg)
X = an.features.matrix
prob = model.probability(X)
names = model.metadata["feature_names"]
idx = []
for c in t["calcifications"]:
    d = np.hypot(an.peaks.row_px - c["row"], an.peaks.col_px - c["col"]); idx.append(int(np.argmin(d)))
print("model", model.metadata.get("version"), "features used", len(names))
cols = [FEATURE_NAMES.index(n) for n in names]
contrib = model.booster.predict(X[idx][:, cols], pred_contrib=True) if hasattr(model, "booster") else None
print(f"{'feature':28s}" + "".join(f"{'m'+str(i):>10s}" for i in range(len(idx))) + "   | contrib (log-odds)")
for k, n in enumerate(names):
    print(f"{n:28s}" + "".join(f"{X[j, FEATURE_NAMES.index(n)]:10.3f}" for j in idx) + "   | " +
          "".join(f"{contrib[i, k]:+8.3f}" for i in range(len(idx))))
print("bias", contrib[:, -1], "sum", contrib.sum(1), "prob", prob[idx], "accept", cfg.accept_probability)
