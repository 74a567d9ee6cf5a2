"""Which of the two breast masks (values as read / log scale) the detector took, and where each puts the truth members."""
import json, sys
import numpy as np, cv2
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
import calcdetect.detector.mask as mk
from calcdetect.detector.enhance import shrink
from calcdetect.detector.pipeline import _prepare
cfg = DetectorConfig.default()
for name in sys.argv[1:]:
    img = _prepare(read_mammogram(f"/work/scratch/s17/miss/phantoms/{name}.dcm").pixels)
    t = json.load(open(f"/work/scratch/s17/miss/phantoms/{name}.truth.json"))
    bmean, (fr, fc) = shrink(img, spacing_mm=(0.2, 0.2), target_mm=cfg.mask_spacing_mm)
    small = cv2.GaussianBlur(bmean.astype(np.float32), (0, 0), 1.0)
    values = small[np.isfinite(small)]
    lin = mk._breast_on(small, values)
    step = mk._quantisation_step(img)
    ls, lv = mk._log_scale(small, values, step=step)
    lg = mk._breast_on(ls, lv)
    from skimage.filters import threshold_otsu
    tl = threshold_otsu(values); bgl = np.median(values[values <= tl])
    tg = threshold_otsu(lv); bgg = np.median(lv[lv <= tg]); floor = float(values.min())
    cut_log = np.exp(bgg + 0.5 * (tg - bgg)) - (np.exp(lv.min()) ) + 0  # approx value above floor
    ratio = lin.sum() / max(lg.sum(), 1)
    print(f"{name}: as-read cut at {bgl + 0.5*(tl-bgl):.1f} GL (otsu {tl:.1f}); log cut at ~{np.exp(bgg + 0.5*(tg-bgg)):.2f} above-floor+offset "
          f"(offset {np.exp(lv.min()):.3f}); area as-read/log {ratio:.3f} -> uses {'as-read' if 0.9 <= ratio <= 1.25 else 'log'}; "
          f"true breast {t['breast_area_mm2']:.0f} mm2, as-read {lin.sum()*fr*fc*0.04:.0f}, log {lg.sum()*fr*fc*0.04:.0f}")
    for c in t["calcifications"]:
        r, cc = int(round(c["row"])) // fr, int(round(c["col"])) // fc
        print(f"   id {c['id']} d' {c['d_prime']:.1f}: in as-read {bool(lin[r, cc])}, in log {bool(lg[r, cc])}")
