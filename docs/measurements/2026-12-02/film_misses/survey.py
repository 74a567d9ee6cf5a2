"""All film-mias-like phantoms with a cluster in film-mix set 98000016: is each truth calcification inside the
detector's search region, and if not, why (breast mask edge in the 8-bit clipped periphery / skin band / pectoral)?
Cheap: regenerates the pixels and runs only the mask stage. Output: survey.csv"""
import csv, json, sys
import numpy as np, cv2
from calcdetect.phantom import make_phantom
from calcdetect.phantom.presets import resolve_preset
from calcdetect.phantom.anatomy import make_anatomy
from calcdetect.phantom.generate import DENSITIES, _DENSITY_P
from calcdetect.detector.mask import breast_mask
from calcdetect.detector.pipeline import _prepare
from calcdetect.config import DetectorConfig

EV = "/work/scratch/s16/test/new_film_98000016/evaluation"
TR = "/work/scratch/s16/test/old_film_98000016/phantoms"
cfg = DetectorConfig.default()
matched = {}
for r in csv.DictReader(open(f"{EV}/calcification_matches.csv")):
    if r["status"] == "tp":
        matched.setdefault(r["sop_instance_uid"], set()).add(int(r["truth_id"]))
clmatch = {r["sop_instance_uid"]: r["matched"] for r in csv.DictReader(open(f"{EV}/truth_clusters.csv"))}
man = [r for r in csv.DictReader(open(f"{TR}/manifest.csv")) if r["preset"] == "film-mias-like" and r["has_cluster"] == "True"]
only = sys.argv[1:]  # optional subset of names
out = []
for r in man:
    name = r["file"][:-4]
    if only and name not in only:
        continue
    t = json.load(open(f"{TR}/{name}.truth.json"))
    req = t["request"]
    ph = make_phantom(seed=t["seed"], preset=req["preset"], view=t["view"], laterality=req["laterality"],
                      density=req["density"], with_cluster=req["with_cluster"], patient_id=t["patient_id"],
                      lesion_seed=req["lesion_seed"], visibility=req["visibility"])
    assert ph.truth["sop_instance_uid"] == t["sop_instance_uid"]
    img = _prepare(ph.read_pixels())
    bm = breast_mask(img, spacing_mm=(0.2, 0.2), view=t["view"], config=cfg)
    rng = np.random.default_rng(t["seed"]); p = resolve_preset(req["preset"], rng)
    dens = req["density"] or str(rng.choice(DENSITIES, p=_DENSITY_P))
    an = make_anatomy(rng, rows=p.rows, cols=p.cols, spacing_mm=p.spacing_mm, view=t["view"], density=dens)
    edge = an.edge_distance_mm[:, ::-1] if t["laterality"] == "R" else an.edge_distance_mm
    tmask = an.mask[:, ::-1] if t["laterality"] == "R" else an.mask
    lo = bm.spacing_mm
    pect_excl = np.zeros_like(bm.breast)
    if bm.pectoral.any():
        pect_excl = cv2.distanceTransform((~bm.pectoral).astype(np.uint8), cv2.DIST_L2, 5) * min(lo) <= cfg.pectoral_margin_mm
    floor = float(img.min())
    clipped_frac = float((img[tmask] <= floor).mean())
    ratio = bm.breast.sum() * lo[0] * lo[1] / t["breast_area_mm2"]
    uid = t["sop_instance_uid"]
    for c in t["calcifications"]:
        ri, ci = int(round(c["row"])), int(round(c["col"]))
        a = lambda g: bool(bm.lookup(g, np.array([ri]), np.array([ci]))[0])
        ring = img[max(ri - 7, 0):ri + 8, max(ci - 7, 0):ci + 8].copy()
        ins, inb, inp = a(bm.search), a(bm.breast), a(pect_excl)
        why = "" if ins else ("outside_breast_mask" if not inb else ("pectoral" if inp else "skin_band"))
        out.append(dict(name=name, view=t["view"], lat=t["laterality"], density=t["density"], uid=uid,
                        cluster_matched=clmatch.get(uid), mask_area_ratio=round(ratio, 3),
                        breast_clipped_frac=round(clipped_frac, 3), id=c["id"], row=c["row"], col=c["col"],
                        d_prime=c["d_prime"], snr=c["snr"], matched=c["id"] in matched.get(uid, set()),
                        in_search=ins, lost_at_mask=why, true_edge_mm=round(float(edge[ri, ci]), 1),
                        pixel=float(img[ri, ci]), local_median=float(np.median(ring)),
                        local_floor_frac=round(float((ring <= floor).mean()), 2)))
    sub = [o for o in out if o["name"] == name]
    print(name, t["view"], "cluster matched", clmatch.get(uid), f"mask/true {ratio:.2f} clipped {clipped_frac:.2f}",
          "members d'>=6:", sum(o["d_prime"] >= 6 for o in sub), "in search:", sum(o["d_prime"] >= 6 and o["in_search"] for o in sub),
          "matched:", sum(o["d_prime"] >= 6 and o["matched"] for o in sub),
          "lost:", sorted({o["lost_at_mask"] for o in sub if not o["in_search"]}), flush=True)
with open("/work/scratch/s17/miss/survey.csv" if not only else "/work/scratch/s17/miss/survey_subset.csv", "w", newline="") as fh:
    w = csv.DictWriter(fh, fieldnames=list(out[0])); w.writeheader(); w.writerows(out)
