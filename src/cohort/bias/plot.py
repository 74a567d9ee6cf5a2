"""The corrected odds ratio over a grid of sensitivity x specificity (``bias_grid.png``).

Left: non-differential SE x SP (both outcome groups alike); right: the two
differential errors that can explain an association away — SE among
metastasis-negative patients against SP among metastasis-positive ones, the
other two perfect. Colour is the corrected OR on a log scale, grey where no
correction is possible, the black contour is OR = 1 (the headline explained
away) and the dashed one the observed OR. Matplotlib's object-oriented API
with the Agg canvas, as :mod:`cohort.report`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cohort.bias.counts import Accuracy, Counts
from cohort.bias.simple import correct_arrays, or_grid

__all__ = ["grid_values", "differential_grid", "bias_grid_plot"]


def grid_values(step: float = 0.01, low: float = 0.5) -> np.ndarray:
    """``low, low + step, ..., 1.0``."""
    return np.round(np.arange(low, 1.0 + step / 2, step), 10)


def differential_grid(observed: Counts, se_met_neg: np.ndarray, sp_met_pos: np.ndarray) -> np.ndarray:
    """Corrected OR for SE among metastasis − (columns) x SP among metastasis + (rows), others 1."""
    se0, sp1 = np.meshgrid(se_met_neg, sp_met_pos)
    ones = np.ones(se0.size)
    cells = correct_arrays(observed, ones, sp1.ravel(), se0.ravel(), ones)
    with np.errstate(divide="ignore", invalid="ignore"):
        ors = cells[:, 0] * cells[:, 3] / (cells[:, 1] * cells[:, 2])
    ors[~np.all(cells > 0, axis=1)] = np.nan
    return ors.reshape(se0.shape)


def _panel(fig, ax, x, y, z, *, observed_or, xlabel, ylabel, title, point=None):
    from matplotlib.colors import LogNorm

    masked = np.ma.masked_invalid(z)
    ax.set_facecolor("#d0d0d0")
    finite = z[np.isfinite(z)]
    vmin = max(min(finite.min(), 1 / 1.5), 0.05) if finite.size else 0.5
    vmax = min(max(finite.max(), 1.5), 100.0) if finite.size else 2.0
    mesh = ax.pcolormesh(x, y, masked, cmap="RdBu_r", norm=LogNorm(vmin=min(vmin, 1 / vmax), vmax=max(vmax, 1 / vmin)),
                         shading="nearest")
    fig.colorbar(mesh, ax=ax, label="corrected odds ratio (log scale)")
    if finite.size and finite.min() < 1 < finite.max():
        ax.contour(x, y, np.where(np.isfinite(z), z, np.nan), levels=[1.0], colors="black", linewidths=1.5)
    if finite.size and finite.min() < observed_or < finite.max():
        ax.contour(x, y, np.where(np.isfinite(z), z, np.nan), levels=[observed_or], colors="black",
                   linewidths=1, linestyles="dashed")
    if point is not None:
        ax.plot([point[0]], [point[1]], marker="o", color="gold", mec="black", ms=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)


def bias_grid_plot(
    observed: Counts, path: str | Path, *, accuracy: Accuracy | None = None, step: float = 0.01, low: float = 0.5,
) -> Path:
    """Draw both panels and write a PNG; returns its path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    values = grid_values(step, low)
    observed_or = observed.odds_ratio()
    fig = Figure(figsize=(11, 4.6), dpi=110)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    point = None
    if accuracy is not None and not accuracy.differential:
        point = (accuracy.se_cases, accuracy.sp_cases)
    _panel(fig, ax1, values, values, or_grid(observed, values, values), observed_or=observed_or,
           xlabel="sensitivity (both groups)", ylabel="specificity (both groups)", point=point,
           title=f"Non-differential error (observed OR {observed_or:.3f})\ngrey: no correction possible")
    _panel(fig, ax2, values, values, differential_grid(observed, values, values), observed_or=observed_or,
           xlabel="sensitivity among metastasis − (SE among metastasis + = 1)",
           ylabel="specificity among metastasis + (SP among metastasis − = 1)",
           title="Differential error: solid line OR = 1 (headline explained away)\nbelow/left of it the OR falls below 1")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out)
    return out
