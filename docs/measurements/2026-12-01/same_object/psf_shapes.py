"""Margin the speck test needs: a point through PSF shapes other than a Gaussian, vs the NPS estimate."""
import numpy as np
from calcdetect.detector.point_spread import estimate_point_spread
N = 768
fy = np.fft.fftfreq(N)[:, None]; fx = np.fft.fftfreq(N)[None, :]
rho = np.hypot(fx, fy)
def gauss(s): return np.exp(-2 * np.pi**2 * s**2 * rho**2)
def lorentz(fc): return 1.0 / (1.0 + (rho / fc) ** 2)
def box(): return np.sinc(fx) * np.sinc(fy)   # pixel aperture (integration over the pixel)
def kernel(M):
    k = np.real(np.fft.ifft2(M)); return k
def q_point(M):
    k = kernel(M); return 0.5 * (k[1, 0] + k[0, 1]) / k[0, 0]
def s_eq(q): return np.sqrt(-1 / (2 * np.log(q))) if q > 0 else 0.0
rng = np.random.default_rng(11)
ev = lambda r, c: np.ones(np.shape(r), bool); un = lambda i: np.ones_like(np.asarray(i, float))
print(f"{'shape':28s} wf   s_est  s_eq(point)  ratio")
cases = [(f'gauss {s}', gauss(s)) for s in (0.6, 0.8, 1.2)]
cases += [(f'gauss {s} x box', gauss(s) * box()) for s in (0.4, 0.6, 1.0)]
cases += [(f'lorentz fc={fc}', lorentz(fc)) for fc in (0.1, 0.15, 0.25)]
cases += [(f'lorentz fc={fc} x box', lorentz(fc) * box()) for fc in (0.1, 0.2)]
cases += [(f'0.5g0.5+0.5g2', 0.5 * gauss(0.5) + 0.5 * gauss(2.0))]
for name, M in cases:
    for wf in (0.0, 0.4):
        z = np.real(np.fft.ifft2(np.fft.fft2(rng.normal(size=(N, N))) * M)); z /= z.std()
        img = np.sqrt(1 - wf) * z + np.sqrt(wf) * rng.normal(size=(N, N))
        p = estimate_point_spread(img.astype(np.float32), valid=ev, sigma_of=un)
        se = s_eq(q_point(M))
        print(f"{name:28s} {wf:.1f}  {p.sigma_px:5.3f}  {se:5.3f}  {se / p.sigma_px if p.sigma_px else float('nan'):5.2f}")
