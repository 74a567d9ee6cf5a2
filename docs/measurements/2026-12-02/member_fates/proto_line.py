"""Prototype, not the detector: would an oriented thin-line response give candidates at the linear members
the blob levels miss?  For each image: the shipped mask and noise curve; R_theta = the image filtered with the
negative second derivative across a thin anisotropic Gaussian (sigma_w across, sigma_l along; 8 orientations),
each divided by the noise curve's sigma at the pixel and by its robust sigma over the search region; z = max over
orientations.  Records z (max within the match tolerance) at every true member, and the number of 3x3 maxima of z
in the search region above each threshold (the candidate burden).
usage: proto_line.py OUT.csv SIGMA_W_MM SIGMA_L_MM SCAN_DIR..."""
import json, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import numpy as np, pandas as pd

THRESHOLDS = (3.0, 4.0, 5.0, 6.0, 7.0)


def kernels(sw_px, sl_px, n_theta=8):
    half = int(np.ceil(3 * max(sw_px, sl_px)))
    y, x = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float64)
    out = []
    for th in np.arange(n_theta) * np.pi / n_theta:
        u = x * np.cos(th) + y * np.sin(th)      # along the line
        v = -x * np.sin(th) + y * np.cos(th)     # across
        g = np.exp(-0.5 * (u / sl_px) ** 2 - 0.5 * (v / sw_px) ** 2)
        k = -(v ** 2 / sw_px ** 4 - 1 / sw_px ** 2) * g   # -d2/dv2: positive on a bright thin line
        k -= k.mean()
        out.append((k / np.sqrt((k ** 2).sum())).astype(np.float32))
    return out


def one(task):
    path, sw_mm, sl_mm = task
    import cv2; cv2.setNumThreads(1)
    from calcdetect.io import read_mammogram
    from calcdetect.config import DetectorConfig
    from calcdetect.detector.pipeline import analyse_candidates
    from calcdetect.detector.noise_model import robust_sigma
    truth = json.load(open(path.replace('.dcm', '.truth.json'))); m = read_mammogram(path); sp = m.spacing_mm
    an = analyse_candidates(m.pixels, spacing_mm=sp, view=m.view, config=DetectorConfig.default())
    img = an.image; mask = an.mask
    H, W = img.shape
    rr, cc = np.mgrid[0:H:8, 0:W:8]
    ins_sub = mask.in_search(rr.ravel(), cc.ravel()).reshape(rr.shape)
    sig_small = an.noise.sigma(mask.block_mean).astype(np.float32)
    sig = cv2.resize(sig_small, (W, H), interpolation=cv2.INTER_LINEAR)
    z = None
    for k in kernels(sw_mm / sp[0], sl_mm / sp[0]):
        r = cv2.filter2D(img, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT) / np.maximum(sig, 1e-6)
        g = robust_sigma(r[0:H:8, 0:W:8][ins_sub])
        r /= g
        z = r if z is None else np.maximum(z, r)
    # search region at full resolution
    rows_all = np.arange(H); ins_full = np.zeros((H, W), bool)
    for i in range(0, H, 256):
        rr2, cc2 = np.mgrid[i:min(i + 256, H), 0:W]
        ins_full[i:i + 256] = mask.in_search(rr2.ravel(), cc2.ravel()).reshape(rr2.shape)
    peak = (z == cv2.dilate(z, np.ones((3, 3), np.uint8))) & ins_full
    zp = z[peak]
    counts = {f'n_peaks_{t:g}': int((zp >= t).sum()) for t in THRESHOLDS}
    clusters = {cl['cluster_id']: cl for cl in truth.get('clusters', [])}
    rows = []
    for t in truth['calcifications']:
        tol = max(0.5, t['diameter_mm'] / 2) / sp[0]
        r0, c0 = t['row'], t['col']
        a, b = int(max(0, r0 - tol)), int(min(H, r0 + tol + 1)); c, d = int(max(0, c0 - tol)), int(min(W, c0 + tol + 1))
        yy, xx = np.mgrid[a:b, c:d]; near = np.hypot(yy - r0, xx - c0) <= tol
        k = clusters.get(t.get('cluster_id', -1), {})
        rows.append(dict(image=Path(path).name, set=Path(path).parent.parent.name, d_prime=t['d_prime'], shape=t.get('shape', ''),
                         morphology=k.get('morphology', ''), visibility=k.get('visibility', ''),
                         z_line=float(z[a:b, c:d][near].max()) if near.any() else np.nan, **counts))
    if not rows:
        rows.append(dict(image=Path(path).name, set=Path(path).parent.parent.name, **counts))
    return rows


if __name__ == '__main__':
    out, sw, sl = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    tasks = []
    for s in sys.argv[4:]:
        im = pd.read_csv(f'{s}/scan/images.csv')
        tasks += [(p, sw, sl) for p in im.path]
    rows = []
    with ProcessPoolExecutor(2) as pool:
        for r in pool.map(one, tasks):
            rows += r
    pd.DataFrame(rows).to_csv(out, index=False)
