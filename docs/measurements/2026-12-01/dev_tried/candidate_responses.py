"""Candidate-level comparison of responses: members of visible clusters found at K false peaks per image.

Development measurement (history step 7, eighth session), not part of the package:

    python candidate_responses.py PHANTOM_DIR 0.2 2        # area-averaged to 0.2 mm, 2 processes
    python candidate_responses.py PHANTOM_DIR 0 2 60       # own resolution, first 60 images

The centre-surround and line responses (FILTERS, in pixels) are measured at 0.15 mm and coarser only.
"""
import sys, json
import numpy as np, cv2
from pathlib import Path
from multiprocessing import Pool
from scipy.spatial import cKDTree
from calcdetect.learning.dataset import read_phantom
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import _prepare
from calcdetect.detector.mask import breast_mask
from calcdetect.detector.noise_model import fit_noise_curve

RES = (float(sys.argv[2]) or None) if len(sys.argv) > 2 else 0.2
CFG = DetectorConfig.default()

def G(img, s):
    return cv2.GaussianBlur(img, (0, 0), s, borderType=cv2.BORDER_REFLECT)

def hess_line(img, s):
    g = G(img, s)
    ryy = cv2.Sobel(g, cv2.CV_32F, 0, 2, ksize=3); rxx = cv2.Sobel(g, cv2.CV_32F, 2, 0, ksize=3); rxy = cv2.Sobel(g, cv2.CV_32F, 1, 1, ksize=3)
    tr = rxx + ryy; det = np.sqrt((rxx - ryy) ** 2 + 4 * rxy ** 2)
    lmin = 0.5 * (tr - det)  # most negative curvature
    return -lmin * s * s

FILTERS = {
    "dog_a": lambda im: G(im, 0.5) - G(im, 0.82),
    "dog_b": lambda im: G(im, 0.82) - G(im, 1.31),
    "cs_.5_1.5": lambda im: G(im, 0.5) - G(im, 1.5),
    "cs_.5_2.5": lambda im: G(im, 0.5) - G(im, 2.5),
    "cs_.75_2": lambda im: G(im, 0.75) - G(im, 2.0),
    "cs_1_3": lambda im: G(im, 1.0) - G(im, 3.0),
    "line_.7": lambda im: hess_line(im, 0.7),
    "line_1": lambda im: hess_line(im, 1.0),
}
COMBOS = {"base(dog_a|dog_b)": ["dog_a", "dog_b"], "cs.5_2.5|cs1_3": ["cs_.5_2.5", "cs_1_3"],
          "cs.5_2.5|line1": ["cs_.5_2.5", "line_1"], "cs.5_2.5|cs1_3|line1": ["cs_.5_2.5", "cs_1_3", "line_1"],
          "dogab|line1": ["dog_a", "dog_b", "line_1"],
          "pw_0.5": ["pw_0.5"], "pw_0.8": ["pw_0.8"], "pw_1.2": ["pw_1.2"], "pw.5|pw1.2": ["pw_0.5", "pw_1.2"], "dog_a|pw1.2": ["dog_a", "pw_1.2"]}
TILE_PX = None
NPS_N = 32

def image_nps(img, sigma_map, search):
    """Mean periodogram of detrended, Hann-windowed 32x32 patches inside the search region, each in units of its noise sigma^2."""
    n = NPS_N; h, w = img.shape
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float64)
    A = np.c_[np.ones(n * n), yy.ravel(), xx.ravel()]
    win = np.hanning(n)[:, None] * np.hanning(n)[None, :]
    acc = np.zeros((n, n)); k = 0
    step = n // 2 if h * w < 4e6 else n
    for r0 in range(0, h - n, step):
        for c0 in range(0, w - n, step):
            if not search[r0:r0 + n, c0:c0 + n].all():
                continue
            p = img[r0:r0 + n, c0:c0 + n].astype(np.float64)
            coef, *_ = np.linalg.lstsq(A, p.ravel(), rcond=None)
            res = p - (A @ coef).reshape(n, n)
            s2 = float(sigma_map[r0 + n // 2, c0 + n // 2]) ** 2
            acc += np.abs(np.fft.fft2(res * win)) ** 2 / (win ** 2).sum() / s2; k += 1
    return acc / max(k, 1) if k else None

def pw_kernel(nps, sig):
    n = nps.shape[0]
    f = np.fft.fftfreq(n); f2 = f[:, None] ** 2 + f[None, :] ** 2
    T = np.exp(-2 * np.pi ** 2 * sig ** 2 * f2)
    H = T / np.maximum(nps, 1e-6 * nps.max())
    k = np.real(np.fft.fftshift(np.fft.ifft2(H)))
    return k.astype(np.float32)

def norm(resp, sigma_map, search, tile):
    z = resp / sigma_map
    out = np.zeros_like(z)
    h, w = z.shape
    for r0 in range(0, h, tile):
        for c0 in range(0, w, tile):
            sl = (slice(r0, r0 + tile), slice(c0, c0 + tile))
            m = search[sl]
            if m.sum() < 50:
                out[sl] = 0; continue
            v = z[sl][m]; med = np.median(v); sp = 1.4826 * np.median(np.abs(v - med)) or 1.0
            out[sl] = (z[sl] - med) / sp
    return np.where(search, out, -np.inf).astype(np.float32)

def peaks(snr, floor=2.5, k=3):
    dil = cv2.dilate(snr, np.ones((k, k), np.uint8))
    pk = (snr >= dil) & (snr >= floor)
    r, c = np.nonzero(pk)
    return r, c, snr[r, c]

def one(path):
    ph = read_phantom(path, RES)
    img = _prepare(np.asarray(ph.pixels, np.float32))
    mask = breast_mask(img, spacing_mm=ph.spacing_mm, view=ph.view, config=CFG)
    small = mask.block_mean; valid = mask.search[: small.shape[0], : small.shape[1]]
    noise = fit_noise_curve(img, small, valid, factor=mask.factor)
    if noise is None:
        return None
    sig_small = noise.sigma(small)
    rr = np.arange(img.shape[0])[:, None]; cc = np.arange(img.shape[1])[None, :]
    sigma_map = np.broadcast_to(mask.lookup(sig_small, rr, cc), img.shape).astype(np.float32)
    search = np.broadcast_to(mask.in_search(rr, cc), img.shape)
    tile = int(round(CFG.noise_tile_mm / ph.spacing_mm[0]))
    calcs = ph.truth["calcifications"]
    allpos = np.array([[c["row"], c["col"]] for c in calcs]) if calcs else np.zeros((0, 2))
    vis = {cl["cluster_id"] for cl in ph.truth["clusters"] if cl["visibility"] == "visible"}
    tgt = [(c["row"], c["col"], c["d_prime"]) for c in calcs if c["cluster_id"] in vis]
    from calcdetect.detector.responses import blob_scales_mm
    sp = ph.spacing_mm[0]
    sc = [x / sp for x in blob_scales_mm(CFG, sp)]
    snrs = {f"dog{k}": norm(G(img, sc[k]) - G(img, sc[k + 1]), sigma_map, search, tile) for k in range(len(sc) - 1)}
    global NPS_N
    NPS_N = max(32, int(round(3.2 / sp / 2)) * 2)
    nps = image_nps(img, sigma_map, search)
    if nps is None:
        return None
    if sp >= 0.15:
        snrs.update({k: norm(f(img), sigma_map, search, tile) for k, f in FILTERS.items()})
    for sg in (0.1, 0.16, 0.24):
        kern = pw_kernel(nps, max(sg / sp, 0.5))
        snrs[f"pw_{sg}"] = norm(cv2.filter2D(img, cv2.CV_32F, kern, borderType=cv2.BORDER_REFLECT), sigma_map, search, tile)
    res = {}
    combos = {"dog_all": [k for k in snrs if k.startswith("dog")], "pw_0.1": ["pw_0.1"], "pw_0.16": ["pw_0.16"],
              "pw_0.24": ["pw_0.24"], "pw.1|.24": ["pw_0.1", "pw_0.24"], "pw_all": ["pw_0.1", "pw_0.16", "pw_0.24"],
              "dog0": ["dog0"]}
    combos.update({k: [k] for k in FILTERS if k in snrs})
    for name, parts in combos.items():
        s = snrs[parts[0]] if len(parts) == 1 else np.maximum.reduce([snrs[p] for p in parts])
        r, c, v = peaks(s, k=max(3, int(round(0.25 / sp)) | 1))
        if len(allpos):
            d, _ = cKDTree(allpos).query(np.c_[r, c]); true_pk = d <= max(2.0, 0.3 / sp)
        else:
            true_pk = np.zeros(r.size, bool)
        fp_scores = np.sort(v[~true_pk])[::-1]
        best = []
        if tgt and r.size:
            tree = cKDTree(np.c_[r, c])
            for (tr_, tc_, dp) in tgt:
                idx = tree.query_ball_point([tr_, tc_], max(1.5, 0.15 / sp))
                best.append((dp, max([v[i] for i in idx], default=-np.inf)))
        res[name] = (fp_scores[:3000], best)
    return res

if __name__ == "__main__":
    base = Path(sys.argv[1])
    paths = sorted(base.glob("*.dcm"))[: int(sys.argv[4]) if len(sys.argv) > 4 else None]
    with Pool(int(sys.argv[3]) if len(sys.argv) > 3 else 1) as pool:
        out = [o for o in pool.map(one, paths, chunksize=4) if o is not None]
    n = len(out)
    print(f"{n} images at {RES} mm")
    for name in out[0]:
        fps = np.concatenate([o[name][0] for o in out]); best = [b for o in out for b in o[name][1]]
        dp = np.array([b[0] for b in best]); sc = np.array([b[1] for b in best])
        line = []
        for K in (10, 30, 100, 300):
            # threshold giving K false peaks per image on average
            srt = np.sort(fps)[::-1]; t = srt[min(len(srt) - 1, K * n)]
            line.append(f"K{K}: t={t:.2f} d'>=6 {np.mean(sc[dp >= 6] > t):.3f} d'4-6 {np.mean(sc[(dp >= 4) & (dp < 6)] > t):.3f}")
        print(f"{name:22s}", " | ".join(line))
