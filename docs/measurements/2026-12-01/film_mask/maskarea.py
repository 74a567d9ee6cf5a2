import sys, json, numpy as np, pandas as pd
from concurrent.futures import ProcessPoolExecutor
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
import calcdetect.detector.mask as M
from calcdetect.detector.pipeline import _prepare
D = sys.argv[1]
VARIANT = sys.argv[3] if len(sys.argv) > 3 else 'cur'
if VARIANT.startswith('off'):
    k = float(VARIANT[3:])
    def _log_scale(small, values):
        floor = float(values.min())
        offset = max(k * (float(np.percentile(values, 99.0)) - floor), 1e-12)
        return (np.log(np.maximum(small - floor, 0.0) + offset).astype(np.float32), np.log(values - floor + offset))
    M._log_scale = _log_scale
if VARIANT == 'bgoff':
    from calcdetect.detector.noise_model import robust_sigma
    _orig = M._log_scale
    def _log_scale(small, values):
        ls, lv = _orig(small, values)
        t = float(M.threshold_otsu(lv)); below = values[lv <= t]
        floor = float(values.min())
        sig = robust_sigma(below) if below.size else 0.0
        offset = max(sig, 1e-6 * (float(np.percentile(values, 99.0)) - floor), 1e-12)
        return (np.log(np.maximum(small - floor, 0.0) + offset).astype(np.float32), np.log(values - floor + offset))
    M._log_scale = _log_scale
if VARIANT == 'lb':
    sys.path.insert(0, '/work/scratch/s13'); import mask_lb as L; M.breast_mask = L.breast_mask
def one(f):
    t = json.load(open(f'{D}/phantoms/' + f.replace('.dcm', '.truth.json')))
    m = read_mammogram(f'{D}/phantoms/{f}')
    bm = M.breast_mask(_prepare(m.pixels), spacing_mm=m.spacing_mm, view=m.view, config=DetectorConfig.default())
    out = dict(file=f, preset=t['preset'], view=m.view, ratio=bm.area_mm2 / t['breast_area_mm2'])
    mem = t['calcifications']
    if mem:
        r = np.array([x['row'] for x in mem]); cc = np.array([x['col'] for x in mem]); dp = np.array([x['d_prime'] for x in mem])
        s = dp >= 6
        import cv2
        pm = bm.pectoral.astype(np.uint8)
        dpec = cv2.distanceTransform((1 - pm).astype(np.uint8), cv2.DIST_L2, 5) * min(bm.spacing_mm)
        near_pec = bm.lookup(dpec, r, cc) <= DetectorConfig.default().pectoral_margin_mm
        out.update(strong_pect_or_margin=int((s & near_pec & ~bm.in_search(r, cc)).sum()))
        out.update(n_strong=int(s.sum()), strong_out_search=int((s & ~bm.in_search(r, cc)).sum()), strong_out_breast=int((s & ~bm.lookup(bm.breast, r, cc)).sum()))
    return out
man = pd.read_csv(f'{D}/phantoms/manifest.csv')
with ProcessPoolExecutor(2) as ex:
    rows = list(ex.map(one, man.file.tolist()))
df = pd.DataFrame(rows); df.to_csv(sys.argv[2], index=False)
for p, g in df.groupby('preset'):
    print(f"{VARIANT:8s} {p:18s} n={len(g):3d} ratio med {g.ratio.median():.3f} p5 {g.ratio.quantile(.05):.3f} p95 {g.ratio.quantile(.95):.3f} off>10% {int((abs(g.ratio-1)>.1).sum()):3d} off>25% {int((abs(g.ratio-1)>.25).sum()):3d}  strong out of search {int(g.strong_out_search.sum())}/{int(g.n_strong.sum())} out of breast {int(g.strong_out_breast.sum())} pect+margin {int(g.strong_pect_or_margin.sum())}")
