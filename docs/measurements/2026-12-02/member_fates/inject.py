"""Would the shipped false-positive model accept the linear members the blob search misses, if a line response
put a candidate on them?  For each image with such members: the line prototype's best position within the match
tolerance (proto_line's filter) is added to the candidates (the same z / SNR read-out as every candidate), the
features are computed as for all, and the shipped model's probability is read there.  usage: inject.py OUT.csv"""
import json, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import numpy as np, pandas as pd
sys.path.insert(0, '/work/scratch/s17/line')


def one(task):
    path, members = task
    import cv2; cv2.setNumThreads(1)
    import calcdetect.detector.pipeline as P
    import calcdetect.detector.candidates as C
    from calcdetect.io import read_mammogram
    from calcdetect.config import DetectorConfig
    from calcdetect.detector.fp_model import model_for
    from calcdetect.detector.noise_model import robust_sigma
    from functools import partial
    from proto_line import kernels
    m = read_mammogram(path); sp = m.spacing_mm; cfg = DetectorConfig.default()
    base = P.analyse_candidates(m.pixels, spacing_mm=sp, view=m.view, config=cfg)
    img, mask = base.image, base.mask
    H, W = img.shape
    rr, cc = np.mgrid[0:H:8, 0:W:8]
    ins_sub = mask.in_search(rr.ravel(), cc.ravel()).reshape(rr.shape)
    sig = cv2.resize(base.noise.sigma(mask.block_mean).astype(np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    z = None
    for k in kernels(0.05 / sp[0], 0.2 / sp[0]):
        r = cv2.filter2D(img, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT) / np.maximum(sig, 1e-6)
        r /= robust_sigma(r[0:H:8, 0:W:8][ins_sub])
        z = r if z is None else np.maximum(z, r)
    extra = []
    for r0, c0, tol in members:
        a, b = int(max(0, r0 - tol)), int(min(H, r0 + tol + 1)); c, d = int(max(0, c0 - tol)), int(min(W, c0 + tol + 1))
        yy, xx = np.mgrid[a:b, c:d]; near = np.hypot(yy - r0, xx - c0) <= tol
        sub = np.where(near, z[a:b, c:d], -np.inf); i = np.unravel_index(np.argmax(sub), sub.shape)
        extra.append((a + i[0], c + i[1], float(sub[i])))
    orig = C.find_candidates

    def with_extra(space, sigma_small, mask, *, spacing_mm, config):
        pk = orig(space, sigma_small, mask, spacing_mm=spacing_mm, config=config)
        rows = np.r_[pk.row_px, [e[0] for e in extra]].astype(np.intp)
        cols = np.r_[pk.col_px, [e[1] for e in extra]].astype(np.intp)
        sigma_px = mask.lookup(sigma_small, rows, cols)
        z_all, snr_all = zip(*(C._z_snr(l, g, t, rows, cols, space.origin, sigma_px, near=True)
                               for l, g, t in zip(space.levels, space.gain, space.texture)))
        spot = None
        if space.spot is not None:
            _, spot = C._z_snr(space.spot.response, space.spot.gain, space.spot.texture, rows, cols, space.origin, sigma_px, near=True)
        return C.CandidatePeaks(rows, cols, np.column_stack(z_all), np.column_stack(snr_all), sigma_px, spot)
    P.find_candidates = with_extra
    an = P.analyse_candidates(m.pixels, spacing_mm=sp, view=m.view, config=cfg)
    P.find_candidates = orig
    p = model_for(an.spacing_mm, cfg).probability(an.features.matrix)
    n0 = len(an.peaks) - len(extra)
    return [dict(image=Path(path).name, set=Path(path).parent.parent.name, row=e[0], col=e[1], z_line=e[2],
                 blob_snr=float(an.peaks.snr[n0 + j]), p=float(p[n0 + j])) for j, e in enumerate(extra)]


if __name__ == '__main__':
    f = pd.read_csv('/work/scratch/s17/fate/fate_dig.csv')
    lost = f[(f['shape'] == 'linear') & f.fate.isin(['no_candidate', 'low_p']) & (f.d_prime >= 6) & (f.visibility == 'visible')]
    tasks = []
    for (s, img), g in lost.groupby(['set', 'image']):
        path = f'/work/scratch/s17/test/{s}/phantoms/{img}'
        truth = json.load(open(path.replace('.dcm', '.truth.json')))
        sp = truth['spacing_mm'][0]
        mem = []
        for r in g.itertuples():
            t = min(truth['calcifications'], key=lambda c: abs(c['d_prime'] - r.d_prime))
            mem.append((t['row'], t['col'], max(0.5, t['diameter_mm'] / 2) / sp))
        tasks.append((path, mem))
    rows = []
    with ProcessPoolExecutor(2) as pool:
        for r in pool.map(one, tasks):
            rows += r
    out = pd.DataFrame(rows); out.to_csv(sys.argv[1], index=False)
    print(out.describe().round(3).to_string())
    print('accepted (p >= 0.005):', int((out.p >= 0.005).sum()), 'of', len(out), '; with z_line >= 5:',
          int(((out.p >= 0.005) & (out.z_line >= 5)).sum()), 'of', int((out.z_line >= 5).sum()))
