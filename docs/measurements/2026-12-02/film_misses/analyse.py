"""Stage-by-stage fate of each truth calcification of one regenerated phantom."""
import json, sys
import numpy as np
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import analyse_candidates, detect
from calcdetect.detector.fp_model import model_for
from calcdetect.detector.mask import search_outline_rc

name = sys.argv[1]
dcm = f"/work/scratch/s17/miss/phantoms/{name}.dcm"
truth = json.load(open(f"/work/scratch/s17/miss/phantoms/{name}.truth.json"))
m = read_mammogram(dcm)
cfg = DetectorConfig.default()
sp = m.spacing_mm
print(name, m.view, m.pixels.shape, sp, m.pixels.dtype, float(m.pixels.min()), float(m.pixels.max()))
an = analyse_candidates(m.pixels, spacing_mm=sp, view=m.view, config=cfg)
mask = an.mask
print("mask grid", mask.search.shape, "factor", mask.factor, "breast px", mask.breast.sum(), "search", mask.search.sum(),
      "pectoral", mask.pectoral.sum(), "truth breast area", truth["breast_area_mm2"], "mask area", mask.area_mm2)
prob = model_for(an.spacing_mm, cfg).probability(an.features.matrix)
res = detect(m.pixels, spacing_mm=sp, view=m.view, config=cfg)
pk = an.peaks
cr, cc = pk.row_px.astype(float), pk.col_px.astype(float)
acc = [(c.row_px, c.col_px, c.probability, c.cluster_id, "") for c in res.calcifications] + \
      [(c.row_px, c.col_px, c.probability, -1, c.rejected) for c in res.rejected_calcifications]
acc = np.array(acc, dtype=object) if acc else np.zeros((0, 5), object)
rows = []
for t in truth["calcifications"]:
    r, c = t["row"], t["col"]
    rad_px = max(0.5, t["diameter_mm"] / 2) / sp[0]
    ri, ci = int(round(r)), int(round(c))
    ins = bool(mask.in_search(np.array([ri]), np.array([ci]))[0])
    inb = bool(mask.lookup(mask.breast, np.array([ri]), np.array([ci]))[0])
    inp = bool(mask.lookup(mask.pectoral, np.array([ri]), np.array([ci]))[0])
    d = np.hypot(cr - r, cc - c)
    j = int(np.argmin(d)) if d.size else -1
    within = d[j] <= rad_px if j >= 0 else False
    line = (f"id {t['id']} rc=({r:.1f},{c:.1f}) diam {t['diameter_mm']:.3f} d' {t['d_prime']:.2f} snr {t['snr']:.1f} "
            f"| breast {inb} pectoral {inp} in_search {ins} | nearest cand d={d[j]:.1f}px (tol {rad_px:.1f}) at "
            f"({cr[j]:.0f},{cc[j]:.0f}) snr {pk.snr[j]:.1f} p={prob[j]:.4f}")
    if len(acc):
        da = np.hypot(acc[:, 0].astype(float) - r, acc[:, 1].astype(float) - c)
        k = int(np.argmin(da))
        if da[k] <= rad_px:
            line += f" | accepted p={acc[k,2]:.3f} cluster {acc[k,3]} rejected='{acc[k,4]}'"
    print(line)
print("n candidates", len(pk), "accepted", len(res.calcifications), "rejected", res.rejected,
      "clusters", [(round(k.row_px), round(k.col_px), k.n_calcifications, round(k.score, 4)) for k in res.clusters][:10]
      if res.clusters and hasattr(res.clusters[0], "row_px") else res.clusters[:3])
print("score", res.score, "threshold", res.threshold, "psf", res.point_spread)
np.savez(f"/work/scratch/s17/miss/{name}_analysis.npz", cand_r=cr, cand_c=cc, prob=prob, snr=pk.snr,
         search=mask.search, breast=mask.breast, pectoral=mask.pectoral, factor=np.array(mask.factor),
         acc=np.array([[a[0], a[1], a[2], a[3]] for a in acc], float) if len(acc) else np.zeros((0, 4)),
         rej=np.array([a[4] for a in acc], str))
json.dump([list(map(list, poly)) for poly in search_outline_rc(mask)], open(f"/work/scratch/s17/miss/{name}_outline.json", "w"))
