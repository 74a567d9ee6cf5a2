"""Prototype: line-vs-spot ratio of prewhitened matched filters at candidates (0.2 mm)."""
import sys, glob, numpy as np, pandas as pd, cv2
from functools import partial
from calcdetect.config import DetectorConfig, mm_to_px
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.detector.fp_model import model_for
from calcdetect.detector.spot import noise_power_spectrum
from calcdetect.learning.dataset import read_phantom, read_phantom_at, label_candidates

cfg = DetectorConfig.default()
N_ORIENT = 8

def kernels(nps, sig_px, len_px):
    n = nps.shape[0]
    f = np.fft.fftfreq(n); fy, fx = f[:, None], f[None, :]
    Nf = np.maximum(nps, 1e-6 * nps.max())
    out = []
    def mk(T):
        H = T / Nf; H[0, 0] = 0
        energy = float(np.mean(np.abs(H) ** 2 * Nf))  # output noise variance per unit input variance
        k = np.real(np.fft.fftshift(np.fft.ifft2(H))).astype(np.float32)
        return k, np.sqrt(energy)
    spot = mk(np.exp(-2 * np.pi**2 * sig_px**2 * (fy**2 + fx**2)))
    for t in np.arange(N_ORIENT) * np.pi / N_ORIENT:
        u = fy * np.cos(t) + fx * np.sin(t); v = -fy * np.sin(t) + fx * np.cos(t)
        out.append(mk(np.exp(-2 * np.pi**2 * (sig_px**2 * v**2 + len_px**2 * u**2))))
    return spot, out

rows = []
paths = sys.argv[2:]
for p in paths:
    img = read_phantom_at(read_phantom(p), float(sys.argv[1]))
    a = analyse_candidates(img.pixels, spacing_mm=img.spacing_mm, view=img.view, config=cfg)
    if len(a.peaks) == 0: continue
    prob = model_for(a.spacing_mm, cfg).probability(a.features.matrix)
    lab = label_candidates(a.peaks.row_px, a.peaks.col_px, img.truth, img.spacing_mm)
    image = a.image.astype(np.float32)
    sig_small = a.noise.sigma(a.mask.block_mean)
    sigma_at = partial(a.mask.lookup, sig_small)
    H, W = image.shape
    inside = a.mask.in_search(np.arange(H)[:, None], np.arange(W)[None, :])
    inside = np.broadcast_to(inside, image.shape)
    nps = noise_power_spectrum(image, inside, lambda r, c: np.asarray(sigma_at(r, c), float) ** 2)
    if nps is None: continue
    sp = min(a.spacing_mm)
    sig_px = max(mm_to_px(cfg.spot_sigma_mm, sp), cfg.scale_floor_px)
    (ks, es), lines = kernels(nps, sig_px, mm_to_px(0.4, sp))
    r, c = a.peaks.row_px.astype(int), a.peaks.col_px.astype(int)
    zs = cv2.filter2D(image, cv2.CV_32F, ks, borderType=cv2.BORDER_REFLECT)[r, c] / es
    zl = np.max([cv2.filter2D(image, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)[r, c] / e for k, e in lines], axis=0)
    preset = img.truth.get('preset', '')
    for i in range(len(r)):
        rows.append(dict(preset=preset, label=int(lab[i]), prob=float(prob[i]), zs=float(zs[i]), zl=float(zl[i])))
df = pd.DataFrame(rows)
df['ratio'] = df.zl / df.zs.where(df.zs > 0)
df['grp'] = np.where(df.label == 1, 'calc', np.where(df.prob >= 0.3, 'false_hi', 'false_lo'))
print(df.groupby(['preset', 'grp']).ratio.describe()[['count', '10%' if False else '25%', '50%', '75%']].round(3).to_string())
from scipy.stats import mannwhitneyu
hi = df[(df.grp != 'false_lo')].dropna(subset=['ratio'])
x, y = hi[hi.label == 1].ratio, hi[hi.label == 0].ratio
if len(x) and len(y):
    print('AUC (calc ratio lower than false_hi):', round(mannwhitneyu(y, x).statistic / (len(x) * len(y)), 3), len(x), len(y))
df.to_csv(sys.argv[0].replace('.py', f'_{len(paths)}.csv'), index=False)
