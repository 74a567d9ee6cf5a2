"""Plot the per-image noise model (binned fine-residual sigma and the fitted sigma(I)) for a few images.

    .venv/bin/python scripts/plot_noise_model.py OUT.png IMAGE.dcm [IMAGE.dcm ...]

One panel per image: the measured sigma per intensity bin (dots), the
interpolated curve the detector uses and the Poisson-Gaussian fit
``sigma^2 = c0 + c1 I`` (dashed), in the image's read units.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from calcdetect.config import DetectorConfig  # noqa: E402
from calcdetect.detector.mask import breast_mask  # noqa: E402
from calcdetect.detector.noise_model import fit_noise_curve  # noqa: E402
from calcdetect.io import read_mammogram  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("images", type=Path, nargs="+")
    args = ap.parse_args()
    n = len(args.images)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.0), squeeze=False)
    for ax, path in zip(axes[0], args.images):
        m = read_mammogram(path)
        mask = breast_mask(m.pixels, spacing_mm=m.spacing_mm, view=m.view, config=DetectorConfig())
        small = mask.block_mean
        curve = fit_noise_curve(m.pixels, small, mask.search[: small.shape[0], : small.shape[1]], factor=mask.factor)
        if curve is None:
            ax.set_title(f"{path.name}: no fit")
            continue
        grid = np.linspace(curve.bin_intensity.min(), curve.bin_intensity.max(), 100)
        c0, c1 = curve.poisson_gaussian
        ax.plot(curve.bin_intensity, curve.bin_sigma, "o", ms=3, label="measured (MAD per bin, smoothed)")
        ax.plot(grid, curve.sigma(grid), "-", lw=1, label="sigma(I) used")
        ax.plot(grid, np.sqrt(np.maximum(c0 + c1 * grid, 0)), "--", lw=1, label="Poisson-Gaussian fit")
        ax.set_title(f"{path.stem}\n{m.manufacturer[:28]}", fontsize=8)
        ax.set_xlabel("local intensity (read units)", fontsize=8)
        ax.set_ylabel("noise sigma", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
