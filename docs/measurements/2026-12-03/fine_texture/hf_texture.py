"""Phantoms whose breast texture keeps its 1/f**3 spectrum above the anatomy grid's Nyquist.

The generator builds the tissue on a ~0.2 mm grid and interpolates it to the detector
(`calcdetect.phantom.anatomy`): the texture stops at ~2.4 cycles/mm, below the band a
calcification is seen in (2-10 cycles/mm). This experiment (not the shipped generator) adds
the missing band: the power spectrum of each image's own coarse tissue term (`extra`:
gland, fat texture, vessels, ligaments) is measured in the breast's interior, an f**-beta law
fitted to it over 0.25-1.2 cycles/mm (beta fixed at 3, the value the generator draws with and
that real mammograms show), and a Gaussian field with that spectrum above the coarse grid's
Nyquist is added at full resolution, scaled by the breast's thickness fall-off. Its random
stream is derived from the image's generator state without drawing from it, so everything else
in an image (anatomy, noise, distractors; the lesion unless its visibility redraw changes) is
the shipped generator's.

    PYTHONPATH=SNAP/src python hf_texture.py OUT --n 200 --seed S --preset mix --workers 2

Kept as it ran, before `calcdetect.phantom.fine_texture` existed: that module is this construction
(its `radial_power_spectrum` is `radial_psd` here), with its own random stream.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np
import scipy.fft

import calcdetect.phantom.anatomy as anatomy

BETA = 3.0
FIT_BAND_PER_MM = (0.25, 1.2)
_original_full_attenuation = anatomy._full_attenuation
LOG: list[dict] = []


def radial_psd(x: np.ndarray, spacing_mm: float, n_bins: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed, mean-removed periodogram (value² mm²), averaged in rings of |f|."""
    h, w = x.shape
    win = np.outer(np.hanning(h), np.hanning(w)).astype(np.float64)
    y = (x - x.mean()) * win
    p = np.abs(np.fft.fft2(y)) ** 2 * spacing_mm ** 2 / (win ** 2).sum()
    fy = np.fft.fftfreq(h, spacing_mm)
    fx = np.fft.fftfreq(w, spacing_mm)
    f = np.hypot(fy[:, None], fx[None, :])
    edges = np.linspace(0, 0.5 / spacing_mm, n_bins + 1)
    idx = np.digitize(f.ravel(), edges) - 1
    ok = (idx >= 0) & (idx < n_bins)
    s = np.bincount(idx[ok], p.ravel()[ok], n_bins)
    c = np.bincount(idx[ok], minlength=n_bins)
    centres = (edges[:-1] + edges[1:]) / 2
    return centres[c > 0], s[c > 0] / c[c > 0]


def _interior_box(sd_low: np.ndarray, min_mm: float = 15.0) -> tuple[slice, slice]:
    """The largest centred square of the coarse grid lying ``min_mm`` inside the skin."""
    inside = sd_low > min_mm
    rr, cc = np.nonzero(inside)
    r0, c0 = int(np.median(rr)), int(np.median(cc))
    half = 4
    while True:
        nxt = half + 2
        sl = (slice(r0 - nxt, r0 + nxt), slice(c0 - nxt, c0 + nxt))
        if r0 - nxt < 0 or c0 - nxt < 0 or not inside[sl].all():
            break
        half = nxt
    return slice(r0 - half, r0 + half), slice(c0 - half, c0 + half)


def fit_amplitude(extra: np.ndarray, sd_low: np.ndarray, grid_mm: float) -> tuple[float, float, int]:
    """A in P(f) = A f**-BETA over FIT_BAND_PER_MM, the free-slope beta, and the box side (grid pixels)."""
    box = _interior_box(sd_low)
    f, p = radial_psd(extra[box].astype(np.float64), grid_mm)
    sel = (f >= FIT_BAND_PER_MM[0]) & (f <= FIT_BAND_PER_MM[1]) & (p > 0)
    log_a = float(np.mean(np.log(p[sel]) + BETA * np.log(f[sel])))
    slope = float(np.polyfit(np.log(f[sel]), np.log(p[sel]), 1)[0])
    return math.exp(log_a), -slope, box[0].stop - box[0].start


def hf_field(rng: np.random.Generator, shape: tuple[int, int], spacing_mm: float, amplitude: float,
             f_cut_per_mm: float) -> np.ndarray:
    """Gaussian field with P(f) = amplitude f**-BETA above ``f_cut`` (a cos² ramp over one octave below it)."""
    white = rng.standard_normal(shape, dtype=np.float32)
    spec = scipy.fft.rfft2(white)
    fy = scipy.fft.fftfreq(shape[0], d=spacing_mm).astype(np.float32)
    fx = scipy.fft.rfftfreq(shape[1], d=spacing_mm).astype(np.float32)
    f = np.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    np.maximum(f, 1e-3, out=f)
    ramp = np.clip((f - f_cut_per_mm / 2) / (f_cut_per_mm / 2), 0, 1)
    gain = np.sqrt(np.float32(amplitude) * f ** np.float32(-BETA)) / np.float32(spacing_mm)
    spec *= gain * np.sin(ramp * np.float32(np.pi / 2)) ** 2
    return scipy.fft.irfft2(spec, s=shape).astype(np.float32)


def _with_fine_texture(rng, sd_low, extra, *, rows, cols, thickness, radius):
    atten, mask, sd_full = _original_full_attenuation(rng, sd_low, extra, rows=rows, cols=cols,
                                                      thickness=thickness, radius=radius)
    fac = rows / sd_low.shape[0]
    spacing_mm = _with_fine_texture.spacing_mm
    grid_mm = spacing_mm * fac
    amplitude, beta_free, side = fit_amplitude(extra, sd_low, grid_mm)
    state = rng.bit_generator.state["state"]["state"]  # read, not drawn: the image's own stream is untouched
    hf_rng = np.random.default_rng([int(state) & (2**63 - 1), 0xF1E])
    field = hf_field(hf_rng, (rows, cols), spacing_mm, amplitude, 0.5 / grid_mm)
    t = anatomy.thickness_profile_mm(np.maximum(sd_full, 0), thickness, radius) / np.float32(thickness)
    atten += field * t * mask
    LOG.append({"amplitude": amplitude, "beta_free": beta_free, "box_px": side, "grid_mm": grid_mm,
                "field_std": float(field.std())})
    return atten, mask, sd_full


def install() -> None:
    """Route make_anatomy's full-resolution step through the fine-texture version."""
    original_make = anatomy.make_anatomy

    def make(rng, *, rows, cols, spacing_mm, view, density):
        _with_fine_texture.spacing_mm = spacing_mm
        return original_make(rng, rows=rows, cols=cols, spacing_mm=spacing_mm, view=view, density=density)

    anatomy._full_attenuation = _with_fine_texture
    anatomy.make_anatomy = make
    import calcdetect.phantom.generate as generate
    generate.make_anatomy = make


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--preset", default="mix")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    install()
    from calcdetect.phantom.sets import write_phantom_set
    write_phantom_set(a.out, n=a.n, seed=a.seed, preset=a.preset, workers=a.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
