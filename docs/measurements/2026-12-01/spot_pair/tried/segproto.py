"""Prototype: oriented thin-segment matched response at candidates, z against random breast positions."""
import sys, json, numpy as np, pandas as pd
from functools import partial
from concurrent.futures import ProcessPoolExecutor
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.detector.fp_model import model_for
from calcdetect.detector.features import FEATURE_NAMES, _patches
from calcdetect.detector.noise_model import robust_centre_spread
from calcdetect.detector.rejection import _null_positions
from calcdetect.learning.dataset import resample_image, label_candidates
from calcdetect.evaluation.truth import resample_truth

N_ORI = 8
def templates(spacing, length_mm=0.5, width_mm=0.05, floor_px=0.5):
    sy, sx = spacing
    w = max(width_mm, floor_px * min(spacing))
    R = length_mm / 2 + 3 * w
    rr, rc = int(np.ceil(R / sy)), int(np.ceil(R / sx))
    y, x = np.mgrid[-rr:rr + 1, -rc:rc + 1]
    y, x = y * sy, x * sx
    disc = (y**2 + x**2) <= R**2
    out = []
    for k in range(N_ORI):
        a = np.pi * k / N_ORI
        u = y * np.sin(a) + x * np.cos(a); v = -y * np.cos(a) + x * np.sin(a)
        # segment: Gaussian across, flat along up to L/2 with Gaussian ends
        along = np.exp(-0.5 * np.maximum(np.abs(u) - length_mm / 2, 0) ** 2 / w**2)
        t = np.exp(-0.5 * v**2 / w**2) * along
        out.append(t)
    iso = np.exp(-0.5 * (y**2 + x**2) / (1.5 * w) ** 2)
    out.append(iso)
    T = np.array(out) * disc
    T = T - (T.sum(axis=(1, 2), keepdims=True) / disc.sum()) * disc
    T /= np.sqrt((T**2).sum(axis=(1, 2), keepdims=True))
    return T, rr, rc

def responses(image, rows, cols, sigma, spacing):
    T, rr, rc = templates(spacing)
    p = _patches(image, rows, cols, rr, rc)
    return np.einsum('nij,kij->nk', p, T) / np.maximum(sigma, 1e-12)[:, None]

def seg_features(image, rows, cols, sigma, null_r, null_c, null_s, spacing):
    r = responses(image, rows, cols, sigma, spacing)
    rn = responses(image, null_r, null_c, null_s, spacing)
    lin, iso = r[:, :N_ORI], r[:, N_ORI]
    nlin, niso = rn[:, :N_ORI], rn[:, N_ORI]
    c1, s1 = robust_centre_spread(nlin.max(1)); c2, s2 = robust_centre_spread(niso)
    zl = (lin.max(1) - c1) / s1; zi = (iso - c2) / s2
    k = lin.argmax(1); perp = lin[np.arange(len(k)), (k + N_ORI // 2) % N_ORI]
    cp, sp_ = robust_centre_spread(nlin.min(1))
    # orientation contrast: best minus perpendicular, in the null's spread of the best
    oc = (lin.max(1) - perp) / s1
    return zl, zi, oc

D = sys.argv[1]; OUT = sys.argv[2]; RES = float(sys.argv[3]) if len(sys.argv) > 3 else 0
def one(f):
    import cv2; cv2.setNumThreads(1)
    t = json.load(open(f'{D}/phantoms/' + f.replace('.dcm', '.truth.json')))
    m = read_mammogram(f'{D}/phantoms/{f}'); cfg = DetectorConfig.default()
    px, sp = m.pixels, m.spacing_mm
    if RES:
        px, sp, fac = resample_image(px, sp, RES); t = resample_truth(t, fac, px.shape)
    an = analyse_candidates(px, spacing_mm=sp, view=m.view, config=cfg)
    prob = model_for(an.spacing_mm, cfg).probability(an.features.matrix)
    mask, noise = an.mask, an.noise
    sigma_at = partial(mask.lookup, noise.sigma(mask.block_mean))
    r, c = an.peaks.row_px, an.peaks.col_px
    nr, nc = _null_positions(an.image.shape, mask.in_search)
    zl, zi, oc = seg_features(an.image, r, c, an.peaks.sigma, nr, nc, np.asarray(sigma_at(nr, nc), float), sp)
    fr = pd.DataFrame(an.features.matrix, columns=list(FEATURE_NAMES))
    fr['seg_z'], fr['iso_z'], fr['seg_oc'] = zl, zi, oc
    fr['label'] = label_candidates(r, c, t, sp); fr['prob'] = prob; fr['image'] = f; fr['preset'] = t['preset']
    # shape of nearest true calc for positives, and its cluster visibility
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
man = pd.read_csv(f'{D}/phantoms/manifest.csv')
with ProcessPoolExecutor(2) as ex:
    frames = list(ex.map(one, man['file'].tolist()))
pd.concat(frames, ignore_index=True).to_pickle(OUT)
