"""What the later stages do with the truth members when the search region is made to include them.

Monkeypatches calcdetect.detector.pipeline.breast_mask (nothing in /work/main is edited):
  mode 'hull'   : breast := convex hull of the detector's breast mask (then skin band + pectoral as usual)
  mode 'close'  : breast := morphological closing of the detector's breast with a disk of R mm (argv[3], default 10)
  mode 'oracle' : breast := the phantom's true breast outline (anatomy mask), search as usual from it
"""
import json, sys
import numpy as np, cv2
import calcdetect.detector.pipeline as pl
import calcdetect.detector.mask as mk
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig

name, mode = sys.argv[1], sys.argv[2]
R = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
t = json.load(open(f"/work/scratch/s17/miss/phantoms/{name}.truth.json"))
m = read_mammogram(f"/work/scratch/s17/miss/phantoms/{name}.dcm")
cfg = DetectorConfig.default()
orig = mk.breast_mask

def true_breast_small(shape, factor):
    from calcdetect.phantom.presets import resolve_preset
    from calcdetect.phantom.anatomy import make_anatomy
    from calcdetect.phantom.generate import DENSITIES, _DENSITY_P
    rng = np.random.default_rng(t["seed"]); p = resolve_preset(t["request"]["preset"], rng)
    dens = t["request"]["density"] or str(rng.choice(DENSITIES, p=_DENSITY_P))
    an = make_anatomy(rng, rows=p.rows, cols=p.cols, spacing_mm=p.spacing_mm, view=t["view"], density=dens)
    mm = an.mask[:, ::-1] if t["laterality"] == "R" else an.mask
    return mm[::factor[0], ::factor[1]][:shape[0], :shape[1]]

def patched(pixels, *, spacing_mm, view="", config=None):
    bm = orig(pixels, spacing_mm=spacing_mm, view=view, config=config)
    lo = bm.spacing_mm
    if mode == "hull":
        pts = cv2.findNonZero(bm.breast.astype(np.uint8))
        hull = cv2.convexHull(pts)
        breast = np.zeros(bm.breast.shape, np.uint8); cv2.fillPoly(breast, [hull], 1); breast = breast > 0
    elif mode == "close":
        k = int(round(R / lo[0]))
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
        padded = np.pad(bm.breast.astype(np.uint8), k)
        breast = cv2.morphologyEx(padded, cv2.MORPH_CLOSE, disk)[k:-k, k:-k] > 0
    else:
        breast = true_breast_small(bm.breast.shape, bm.factor)
    dist_mm = cv2.distanceTransform(breast.astype(np.uint8), cv2.DIST_L2, 5) * min(lo)
    search = dist_mm > cfg.skin_margin_mm
    if bm.pectoral.any():
        d = cv2.distanceTransform((~bm.pectoral).astype(np.uint8), cv2.DIST_L2, 5) * min(lo)
        search &= d > cfg.pectoral_margin_mm
    print(f"[{mode}] breast {bm.breast.sum()} -> {breast.sum()} cells, search {bm.search.sum()} -> {search.sum()}")
    return mk.BreastMask(breast, search, bm.pectoral, bm.full_shape, bm.spacing_mm, bm.factor, bm.block_mean)

pl.breast_mask = patched
from calcdetect.detector.fp_model import model_for
an = pl.analyse_candidates(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
prob = model_for(an.spacing_mm, cfg).probability(an.features.matrix)
res = pl.detect(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
pk = an.peaks
from calcdetect.detector.features import FEATURE_NAMES
acc = [(c.row_px, c.col_px, c.probability, c.cluster_id, "") for c in res.calcifications] + \
      [(c.row_px, c.col_px, c.probability, -1, c.rejected) for c in res.rejected_calcifications]
A = np.array([[a[0], a[1]] for a in acc], float)
for c in t["calcifications"]:
    r, cc = c["row"], c["col"]; tol = max(0.5, c["diameter_mm"] / 2) / m.spacing_mm[0]
    d = np.hypot(pk.row_px - r, pk.col_px - cc); j = int(np.argmin(d))
    s = (f"id {c['id']} d'={c['d_prime']:5.2f} in_search {bool(an.mask.in_search(np.array([int(round(r))]), np.array([int(round(cc))]))[0])}"
         f" | cand d={d[j]:.1f}px (tol {tol:.1f}) snr {pk.snr[j]:.1f} sigma {pk.sigma[j]:.3f} p={prob[j]:.3f}")
    da = np.hypot(A[:, 0] - r, A[:, 1] - cc); k = int(np.argmin(da))
    if da[k] <= tol:
        s += f" | accepted p={acc[k][2]:.3f} cluster {acc[k][3]} rejected='{acc[k][4]}'"
    print(s)
print("noise curve", {k: v for k, v in res.noise_model.items() if k in ("n_points", "model", "a", "b", "c")} if isinstance(res.noise_model, dict) else "")
print("rejected", res.rejected, "n_cand", res.n_candidates, "n_acc", len(res.calcifications))
cl = t["clusters"][0]
for k in res.clusters[:12]:
    near = np.hypot(k.row_px - cl["row"], k.col_px - cl["col"]) * m.spacing_mm[0] if hasattr(k, "row_px") else None
    print(f"  cluster n={k.n_calcifications} at ({k.row_px:.0f},{k.col_px:.0f}) score {k.score:.4f} dist to truth {near:.1f} mm")
print("image score", res.score, "threshold", res.threshold)

# dump: accepted calcifications lying in the added (non-original) search region, with their raw peak and
# how much of a 15x15 neighbourhood sits at the floor
img = m.pixels
bm0 = orig(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=cfg)
rows = []
for c in res.calcifications:
    r, cc = int(c.row_px), int(c.col_px)
    added = not bool(bm0.in_search(np.array([r]), np.array([cc]))[0])
    win = img[max(r - 7, 0):r + 8, max(cc - 7, 0):cc + 8]
    rows.append((r, cc, c.probability, c.cluster_id, added, float(img[max(r-1,0):r+2, max(cc-1,0):cc+2].max()),
                 float((win <= img.min()).mean()), float(np.median(win))))
R = np.array(rows)
np.save(f"/work/scratch/s17/miss/{name}_{mode}_accepted.npy", R)
ad = R[R[:, 4] == 1]
print(f"accepted in the added region: {len(ad)}; of them with 15x15 floor fraction >= 0.5: {(ad[:,6] >= 0.5).sum()}; "
      f"peak GL quantiles (10/50/90) {np.percentile(ad[:,5], [10,50,90]) if len(ad) else ''}; "
      f"with floor frac >= 0.5 and peak >= 10 GL: {((ad[:,6] >= 0.5) & (ad[:,5] >= 10)).sum()}")
for tc in t["calcifications"]:
    d = np.hypot(ad[:, 0] - tc["row"], ad[:, 1] - tc["col"]) if len(ad) else np.array([99])
    if d.min() <= 2.5:
        k = int(np.argmin(d)); print(f"   truth {tc['id']}: peak {ad[k,5]:.0f} GL, floor frac {ad[k,6]:.2f}, p {ad[k,2]:.3f}")
