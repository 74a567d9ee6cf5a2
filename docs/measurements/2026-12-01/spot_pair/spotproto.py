"""Prototype: full-size prewhitened spot response (global spectrum / per-block spectrum) as a feature."""
import sys, json, numpy as np, pandas as pd, cv2
from functools import partial
from concurrent.futures import ProcessPoolExecutor
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.detector.fp_model import model_for
from calcdetect.detector.features import FEATURE_NAMES
from calcdetect.detector.spot import noise_power_spectrum, prewhitened_kernel, PATCH_PX
from calcdetect.detector.enhance import tile_noise, noise_sampling_step
from calcdetect.detector.noise_model import robust_sigma
from calcdetect.detector.candidates import _max_near
from calcdetect.learning.dataset import label_candidates

BLOCK = int(sys.argv[4]) if len(sys.argv) > 4 else 192
def responses(image, inside, var_at, sigma_px):
    g = noise_power_spectrum(image, inside, var_at)
    glob = cv2.filter2D(image, cv2.CV_32F, prewhitened_kernel(g, sigma_px), borderType=cv2.BORDER_REFLECT)
    loc = glob.copy()
    H, W = image.shape; pad = 64; m = PATCH_PX // 2
    for r0 in range(0, H, BLOCK):
        for c0 in range(0, W, BLOCK):
            r1, c1 = min(r0 + BLOCK, H), min(c0 + BLOCK, W)
            if not inside[r0:r1, c0:c1].any(): continue
            R0, C0, R1, C1 = max(r0 - pad, 0), max(c0 - pad, 0), min(r1 + pad, H), min(c1 + pad, W)
            nps = noise_power_spectrum(image[R0:R1, C0:C1], inside[R0:R1, C0:C1],
                                       lambda rr, cc: var_at(rr + R0, cc + C0), origin=(R0, C0))
            if nps is None: continue
            k = prewhitened_kernel(nps, sigma_px)
            S0, T0, S1, T1 = max(r0 - m, 0), max(c0 - m, 0), min(r1 + m, H), min(c1 + m, W)
            out = cv2.filter2D(image[S0:S1, T0:T1], cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)
            loc[r0:r1, c0:c1] = out[r0 - S0:r0 - S0 + (r1 - r0), c0 - T0:c0 - T0 + (c1 - c0)]
    return glob, loc

def snr_of(resp, rows, cols, sig_c, inside_fn, sigma_at, shape, spacing, cfg):
    step = noise_sampling_step(shape); off = step // 2
    gr = np.arange(off, shape[0], step)[:, None]; gc = np.arange(off, shape[1], step)[None, :]
    ok = inside_fn(gr, gc)
    z = resp[gr, gc].astype(np.float64) / sigma_at(gr, gc)
    meas = ok & (z != 0)
    g = robust_sigma(z[meas]) or 1.0
    tiles = tile_noise((z / g).astype(np.float32), meas, step=step, full_shape=shape, spacing_mm=spacing, tile_mm=cfg.noise_tile_mm)
    zc = _max_near(resp, rows, cols) / (g * sig_c)
    c, s = tiles.at(rows, cols)
    return (zc - c) / s

D = sys.argv[1]; OUT = sys.argv[2]; N = int(sys.argv[3]) if len(sys.argv) > 3 else 200
def one(f):
    cv2.setNumThreads(1)
    t = json.load(open(f'{D}/phantoms/' + f.replace('.dcm', '.truth.json')))
    m = read_mammogram(f'{D}/phantoms/{f}'); cfg = DetectorConfig.default()
    sp = m.spacing_mm
    an = analyse_candidates(m.pixels, spacing_mm=sp, view=m.view, config=cfg)
    prob = model_for(an.spacing_mm, cfg).probability(an.features.matrix)
    mask, noise, image = an.mask, an.noise, an.image
    sigma_at = partial(mask.lookup, noise.sigma(mask.block_mean))
    H, W = image.shape
    inside = np.broadcast_to(mask.in_search(np.arange(H)[:, None], np.arange(W)[None, :]), image.shape)
    var_at = lambda r, c: np.asarray(sigma_at(r, c), np.float64) ** 2
    sigma_px = max(mm_to_px(cfg.spot_sigma_mm, min(sp)), cfg.scale_floor_px)
    glob, loc = responses(image, np.ascontiguousarray(inside), var_at, sigma_px)
    r, c = an.peaks.row_px, an.peaks.col_px
    fr = pd.DataFrame(an.features.matrix, columns=list(FEATURE_NAMES))
    fr['spot_glob'] = snr_of(glob, r, c, an.peaks.sigma, mask.in_search, sigma_at, image.shape, sp, cfg)
    fr['spot_loc'] = snr_of(loc, r, c, an.peaks.sigma, mask.in_search, sigma_at, image.shape, sp, cfg)
    fr['label'] = label_candidates(r, c, t, sp); fr['prob'] = prob; fr['image'] = f; fr['preset'] = t['preset']
    calcs = t['calcifications']; vis = {cl['cluster_id']: cl.get('visibility') for cl in t['clusters']}
    shape = np.full(len(r), '', object); cvis = np.full(len(r), '', object)
    if calcs:
        tt = np.array([[x['row'], x['col']] for x in calcs])
        d = np.hypot((r[:, None] - tt[None, :, 0]) * sp[0], (c[:, None] - tt[None, :, 1]) * sp[1])
        j = d.argmin(1)
        for i in np.flatnonzero(fr.label.to_numpy() == 1):
            shape[i] = calcs[j[i]]['shape']; cvis[i] = vis.get(calcs[j[i]]['cluster_id'], '')
    fr['shape'] = shape; fr['vis'] = cvis
    return fr
if __name__ == '__main__':
    man = pd.read_csv(f'{D}/phantoms/manifest.csv')
    with ProcessPoolExecutor(2) as ex:
        frames = list(ex.map(one, man['file'].tolist()[:N]))
    pd.concat(frames, ignore_index=True).to_pickle(OUT)
