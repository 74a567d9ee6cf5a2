import sys, numpy as np, cv2
from skimage.filters import threshold_otsu
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.mask import shrink, _log_scale, _quantisation_step, breast_mask, _valley_to_peak

def rough_ratio(small, vals):
    t = threshold_otsu(vals)
    detail = np.abs(small - cv2.GaussianBlur(small, (0, 0), 2.0))
    below = small <= t
    # away from the class boundary: 3 coarse pixels inside each class
    k = np.ones((7, 7), np.uint8)
    inner_b = cv2.erode(below.astype(np.uint8), k).astype(bool)
    inner_a = cv2.erode((~below).astype(np.uint8), k).astype(bool)
    if inner_b.sum() < 10 or inner_a.sum() < 10:
        return float("nan")
    return float(np.median(detail[inner_b]) / max(np.median(detail[inner_a]), 1e-12))

def stats(pixels, spacing):
    cfg = DetectorConfig.default()
    bm, _ = shrink(pixels, spacing_mm=spacing, target_mm=cfg.mask_spacing_mm)
    small = cv2.GaussianBlur(bm.astype(np.float32), (0, 0), 1.0); v = small[np.isfinite(small)]
    ls, lv = _log_scale(small, v, step=_quantisation_step(pixels))
    return [round(_valley_to_peak(v, threshold_otsu(v)), 3), round(rough_ratio(small, v), 3),
            round(_valley_to_peak(lv, threshold_otsu(lv)), 3), round(rough_ratio(ls, lv), 3)]

if __name__ == "__main__":
    mode = sys.argv[1]
    for f in sys.argv[2:]:
        m = read_mammogram(f)
        if mode == "whole":
            print(f.split("/")[-1], *stats(m.pixels, m.spacing_mm), flush=True)
        else:
            bm = breast_mask(m.pixels, spacing_mm=m.spacing_mm, view=m.view)
            dist = cv2.distanceTransform(bm.breast.astype(np.uint8), cv2.DIST_L2, 5)
            rr, cc = np.unravel_index(np.argmax(dist), dist.shape); half = int(dist[rr, cc] / 1.5); fr, fc = bm.factor
            crop = m.pixels[(rr - half) * fr:(rr + half) * fr, (cc - half) * fc:(cc + half) * fc]
            print(f.split("/")[-1], "crop", *stats(crop, m.spacing_mm), flush=True)
