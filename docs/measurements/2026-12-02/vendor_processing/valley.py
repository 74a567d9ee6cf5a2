import sys, csv, numpy as np, cv2
from skimage.filters import threshold_otsu
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.mask import shrink, _separated, _log_scale, _quantisation_step, breast_mask

def valley_ratio(values, bins=64):
    lo, hi = np.percentile(values, [0.5, 99.5])
    h, e = np.histogram(np.clip(values, lo, hi), bins=bins, range=(lo, hi))
    h = np.convolve(h.astype(float), np.ones(3) / 3, mode="same")
    t = threshold_otsu(values)
    k = int(np.clip(np.searchsorted(e, t) - 1, 0, bins - 1))
    lo_peak = int(np.argmax(h[:k + 1])); hi_peak = k + int(np.argmax(h[k:]))
    valley = h[lo_peak:hi_peak + 1].min()
    return valley / max(min(h[lo_peak], h[hi_peak]), 1e-9)

def stats(pixels, spacing):
    cfg = DetectorConfig.default()
    bm, _ = shrink(pixels, spacing_mm=spacing, target_mm=cfg.mask_spacing_mm)
    small = cv2.GaussianBlur(bm.astype(np.float32), (0, 0), 1.0); v = small[np.isfinite(small)]
    out = []
    for vals in (v, _log_scale(small, v, step=_quantisation_step(pixels))[1]):
        t = threshold_otsu(vals); b, a = vals[vals <= t], vals[vals > t]
        sep = (a.mean() - b.mean()) / np.sqrt(0.5 * (b.var() + a.var()))
        out += [round(float(sep), 2), round(float(valley_ratio(vals)), 3)]
    return out

if __name__ == "__main__":
    d = sys.argv[1]; skip = sys.argv[2:] 
    for r in csv.DictReader(open(f"{d}/manifest.csv")):
        if r["preset"] in skip: continue
        m = read_mammogram(f"{d}/{r['file']}")
        whole = breast_mask(m.pixels, spacing_mm=m.spacing_mm, view=m.view).breast.mean() > 0.99
        print(r["file"], r["preset"], int(whole), *stats(m.pixels, m.spacing_mm), flush=True)
