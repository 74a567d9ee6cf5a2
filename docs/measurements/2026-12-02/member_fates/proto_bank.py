"""As proto_line.py, with a bank: the maximum over several (sigma across, sigma along) pairs and 12 orientations,
each response over its own robust spread.  usage: proto_bank.py OUT.csv LIST_OF_IMAGES.txt"""
import json, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import numpy as np, pandas as pd
from proto_line import kernels, THRESHOLDS

BANK_MM = ((0.04, 0.12), (0.04, 0.25), (0.06, 0.12), (0.06, 0.25))


def one(path):
    import cv2; cv2.setNumThreads(1)
    from calcdetect.io import read_mammogram
    from calcdetect.config import DetectorConfig
    from calcdetect.detector.pipeline import analyse_candidates
    from calcdetect.detector.noise_model import robust_sigma
    truth = json.load(open(path.replace('.dcm', '.truth.json'))); m = read_mammogram(path); sp = m.spacing_mm
    an = analyse_candidates(m.pixels, spacing_mm=sp, view=m.view, config=DetectorConfig.default())
    img, mask = an.image, an.mask
    H, W = img.shape
    rr, cc = np.mgrid[0:H:8, 0:W:8]
    ins_sub = mask.in_search(rr.ravel(), cc.ravel()).reshape(rr.shape)
    sig = cv2.resize(an.noise.sigma(mask.block_mean).astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    z = {}
    for sw, sl in BANK_MM:
        zk = None
        for k in kernels(sw / sp[0], sl / sp[0], n_theta=12):
            r = cv2.filter2D(img, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT) / np.maximum(sig, 1e-6)
            r /= robust_sigma(r[0:H:8, 0:W:8][ins_sub])
            zk = r if zk is None else np.maximum(zk, r)
        z[(sw, sl)] = zk
    zb = np.maximum.reduce(list(z.values()))
    ins_full = np.zeros((H, W), bool)
    for i in range(0, H, 256):
        r2, c2 = np.mgrid[i:min(i + 256, H), 0:W]
        ins_full[i:i + 256] = mask.in_search(r2.ravel(), c2.ravel()).reshape(r2.shape)
    counts = {}
    for name, zz in (('bank', zb), *((f'{sw}_{sl}', zk) for (sw, sl), zk in z.items())):
        peak = (zz == cv2.dilate(zz, np.ones((3, 3), np.uint8))) & ins_full
        zp = zz[peak]
        counts.update({f'n_{name}_{t:g}': int((zp >= t).sum()) for t in THRESHOLDS})
    clusters = {cl['cluster_id']: cl for cl in truth.get('clusters', [])}
    rows = []
    for t in truth['calcifications']:
        tol = max(0.5, t['diameter_mm'] / 2) / sp[0]
        r0, c0 = t['row'], t['col']
        a, b = int(max(0, r0 - tol)), int(min(H, r0 + tol + 1)); c, d = int(max(0, c0 - tol)), int(min(W, c0 + tol + 1))
        yy, xx = np.mgrid[a:b, c:d]; near = np.hypot(yy - r0, xx - c0) <= tol
        k = clusters.get(t.get('cluster_id', -1), {})
        row = dict(image=Path(path).name, set=Path(path).parent.parent.name, d_prime=t['d_prime'], shape=t.get('shape', ''),
                   morphology=k.get('morphology', ''), visibility=k.get('visibility', ''),
                   z_bank=float(zb[a:b, c:d][near].max()))
        row.update({f'z_{sw}_{sl}': float(zk[a:b, c:d][near].max()) for (sw, sl), zk in z.items()})
        rows.append({**row, **counts})
    if not rows:
        rows.append(dict(image=Path(path).name, set=Path(path).parent.parent.name, **counts))
    return rows


if __name__ == '__main__':
    paths = [p.strip() for p in open(sys.argv[2]) if p.strip()]
    rows = []
    with ProcessPoolExecutor(2) as pool:
        for r in pool.map(one, paths):
            rows += r
    pd.DataFrame(rows).to_csv(sys.argv[1], index=False)
