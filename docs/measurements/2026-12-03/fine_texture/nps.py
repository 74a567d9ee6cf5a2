"""Radial power spectra of phantom images, plain and with `fine_texture`, inside the breast.

For each full-size digital preset, one normal image (CC, density c) made both ways from the same seed:
the Hann-windowed periodogram of the read pixels' logarithm in a 512 x 512 square 15 mm or more
inside the skin (quantum noise and the detector's blur included). Printed per frequency band, with
the ratio fine / plain.

usage: nps.py"""
import cv2
import numpy as np

from calcdetect.phantom import make_phantom
from calcdetect.phantom.fine_texture import radial_power_spectrum

BANDS = ((0.5, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 6.0), (6.0, 10.0))


def square(img, edge_mm, spacing):
    r, c = (int(v) for v in np.median(np.nonzero(edge_mm > 15), axis=1))
    return img[r - 256:r + 256, c - 256:c + 256]


def band_power(x, spacing):
    f, p = radial_power_spectrum(np.log(np.maximum(x, 1.0)).astype(np.float64), spacing, 80)
    return [float(p[(f >= lo) & (f < hi)].mean()) if ((f >= lo) & (f < hi)).any() else float("nan") for lo, hi in BANDS]


print("band (cycles/mm):        " + "  ".join(f"{lo:g}-{hi:g}".rjust(9) for lo, hi in BANDS))
for preset in ("fuji-cr-like", "hologic-like", "siemens-like", "ge-like"):
    plain = make_phantom(seed=31, preset=preset, view="CC", laterality="L", density="c", with_cluster=False)
    fine = make_phantom(seed=31, preset=preset, view="CC", laterality="L", density="c", with_cluster=False,
                        fine_texture=True)
    sp = plain.truth["spacing_mm"][0]
    # the breast: read pixels above the 5th percentile of the non-zero ones; its distance to the edge
    read = plain.read_pixels()
    mask = (read > np.percentile(read[read > 0], 5)).astype(np.uint8)
    edge = cv2.distanceTransform(mask, cv2.DIST_L2, 5) * sp
    a = band_power(square(plain.read_pixels(), edge, sp), sp)
    b = band_power(square(fine.read_pixels(), edge, sp), sp)
    print(f"{preset:<14} plain         " + "  ".join(f"{v:9.2e}" for v in a))
    print(f"{'':<14} fine texture  " + "  ".join(f"{v:9.2e}" for v in b))
    print(f"{'':<14} ratio         " + "  ".join(f"{y / x:9.2f}" for x, y in zip(a, b))
          + f"   (A = {fine.truth['fine_texture']['amplitude']:.2e}, from {fine.truth['fine_texture']['above_per_mm']:.2f} cycles/mm)")
