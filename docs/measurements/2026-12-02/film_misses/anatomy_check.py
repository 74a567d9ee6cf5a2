"""True breast outline vs the detector's breast/search mask, and how much of the true breast the 8-bit scan clips to 0."""
import json, sys
import numpy as np, cv2
from calcdetect.phantom.presets import resolve_preset
from calcdetect.phantom.anatomy import make_anatomy
from calcdetect.phantom.generate import DENSITIES, _DENSITY_P
from calcdetect.io import read_mammogram

name = sys.argv[1]
t = json.load(open(f"/work/scratch/s17/miss/phantoms/{name}.truth.json"))
req = t["request"]
rng = np.random.default_rng(t["seed"])
p = resolve_preset(req["preset"], rng)
density = req["density"] or str(rng.choice(DENSITIES, p=_DENSITY_P))
assert density == t["density"] and p.name == t["preset"]
anat = make_anatomy(rng, rows=p.rows, cols=p.cols, spacing_mm=p.spacing_mm, view=t["view"], density=density)
mask, edge = anat.mask, anat.edge_distance_mm
if t["laterality"] == "R":
    mask, edge = mask[:, ::-1], edge[:, ::-1]
img = read_mammogram(f"/work/scratch/s17/miss/phantoms/{name}.dcm").pixels
a = np.load(f"/work/scratch/s17/miss/{name}_analysis.npz")
fr = a["factor"]
det_breast = a["breast"].repeat(fr[0], 0).repeat(fr[1], 1)[:img.shape[0], :img.shape[1]]
det_search = a["search"].repeat(fr[0], 0).repeat(fr[1], 1)[:img.shape[0], :img.shape[1]]
sp = p.spacing_mm
print(f"true breast {mask.sum()*sp*sp:.0f} mm2 (truth {t['breast_area_mm2']}), detector breast {det_breast.sum()*sp*sp:.0f} "
      f"({det_breast.sum()/mask.sum():.2f}), search {det_search.sum()*sp*sp:.0f}; true breast pixels == 0: "
      f"{(img[mask] == 0).mean():.3f}; zero pixels of the true breast outside the detector breast: "
      f"{((img == 0) & mask & ~det_breast).sum()/ (mask & ~det_breast).sum():.3f} of {(mask & ~det_breast).sum()*sp*sp:.0f} mm2")
# distance (mm) inside the detector's breast mask edge, signed
d_in = cv2.distanceTransform(det_breast.astype(np.uint8), cv2.DIST_L2, 5) * sp
d_out = cv2.distanceTransform((~det_breast).astype(np.uint8), cv2.DIST_L2, 5) * sp
for c in t["calcifications"]:
    r, cc = int(round(c["row"])), int(round(c["col"]))
    win = img[max(r-10,0):r+11, max(cc-10,0):cc+11]
    print(f"id {c['id']} d'={c['d_prime']:5.2f} true edge dist {edge[r, cc]:5.1f} mm | detector-breast signed dist "
          f"{(d_in[r,cc]-d_out[r,cc]):+5.1f} mm | pixel {img[r,cc]:.0f}, max in 3x3 {img[r-1:r+2,cc-1:cc+2].max():.0f}, "
          f"21x21 window zeros {(win==0).mean():.2f} median {np.median(win):.0f}")
