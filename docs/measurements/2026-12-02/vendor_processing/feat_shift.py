"""Same truth calcifications, base vs processed image: how each feature and the fp probability move.

    python feat_shift.py PROCESSED_DIR N
"""
import sys, json, csv, numpy as np, pandas as pd
from scipy.spatial import cKDTree
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.detector.features import FEATURE_NAMES
from calcdetect.detector.fp_model import model_for

BASE = "/work/scratch/s20/dev/ph_dig"
proc, n = sys.argv[1], int(sys.argv[2])
cfg = DetectorConfig.default()
rows = [r for r in csv.DictReader(open(f"{BASE}/manifest.csv")) if r["preset"] != "siemens-like" and r["visibility"] == "visible"][:n]
out = []
for r in rows:
    truth = json.load(open(f"{BASE}/{r['file'].replace('.dcm', '.truth.json')}"))
    pts = np.array([[c["row"], c["col"]] for c in truth["calcifications"]])
    per = {}
    for name, d in (("base", BASE), ("proc", proc)):
        m = read_mammogram(f"{d}/{r['file']}")
        a = analyse_candidates(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
        p = model_for(m.spacing_mm, cfg).probability(a.features.matrix)
        rc = np.stack([a.peaks.row_px, a.peaks.col_px], 1)
        dist, idx = cKDTree(rc).query(pts)
        per[name] = (a.features.matrix, p, dist, idx)
    (fb, pb, db, ib), (fp, pp, dp, ip) = per["base"], per["proc"]
    for k in range(len(pts)):
        if db[k] <= 2 and dp[k] <= 2:
            rec = {"file": r["file"], "preset": r["preset"], "p_base": pb[ib[k]], "p_proc": pp[ip[k]]}
            for j, f in enumerate(FEATURE_NAMES):
                rec[f + "_b"], rec[f + "_p"] = fb[ib[k], j], fp[ip[k], j]
            out.append(rec)
    print(r["file"], len(pts), sum(1 for o in out if o["file"] == r["file"]), flush=True)
df = pd.DataFrame(out)
df.to_csv(sys.argv[3] if len(sys.argv) > 3 else "feat_shift.csv", index=False)
print("members matched in both:", len(df))
print("probability: median base %.3f proc %.3f; accepted (>=0.5?) base %.2f proc %.2f" % (
    df.p_base.median(), df.p_proc.median(), (df.p_base >= 0.5).mean(), (df.p_proc >= 0.5).mean()))
for f in FEATURE_NAMES:
    b, p = df[f + "_b"], df[f + "_p"]
    ok = b.notna() & p.notna()
    if ok.sum() == 0:
        continue
    ratio = np.median(p[ok] / b[ok].replace(0, np.nan))
    print(f"{f:18s} median base {np.median(b[ok]):8.3f} proc {np.median(p[ok]):8.3f}  median ratio {ratio:6.3f}")
