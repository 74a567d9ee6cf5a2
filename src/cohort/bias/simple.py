"""Simple bias analysis for a misclassified exposure (microcalcification).

For given sensitivity (SE) and specificity (SP) of the MC reading, the
expected true table follows from the observed one (Lash, Fox & Fink,
*Applying Quantitative Bias Analysis to Epidemiologic Data*, 2nd ed. 2021,
ch. 6). Among the ``M`` metastasis-positive patients, of whom ``x`` were read
MC+, the expected number truly MC+ is

    X = (x − (1 − SP) · M) / (SE + SP − 1)

and likewise among the metastasis-negative patients with their own SE/SP
(differential misclassification) or the same ones (non-differential). The
corrected odds ratio is that of the corrected table.

A correction is *impossible* when ``SE + SP <= 1`` or a corrected cell is
negative: no true table could have produced the observed one with that
accuracy. It is then reported as impossible, with the offending cell, and
never clipped to zero. A corrected cell of exactly zero gives an odds ratio
of 0 or infinity, reported as such.

The interval of a corrected odds ratio treats SE/SP as known and carries only
the sampling error of the observed proportions through the correction (delta
method; Greenland 1988, Stat Med 7:745–757): with ``p`` the observed share read
MC+ in a group of ``n``, ``q`` the corrected share and ``k = SE + SP − 1``,
``Var(logit q) = p(1 − p) / (n k² q² (1 − q)²)``; the two groups add. With
SE = SP = 1 this is Woolf's interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from cohort.bias.counts import Accuracy, Counts

__all__ = ["Correction", "correct", "correct_arrays", "or_grid", "TippingPoint", "tipping_points"]

_CELL_NAMES = ("MC− met−", "MC− met+", "MC+ met−", "MC+ met+")


@dataclass(frozen=True)
class Correction:
    """A misclassification-corrected 2 x 2 table and its odds ratio.

    Attributes
    ----------
    observed : Counts
    accuracy : Accuracy
    corrected : Counts or None
        The expected true table; ``None`` when ``SE + SP <= 1`` in a group.
    possible : bool
        False when no true table fits (see ``reason``).
    reason : str
        Why the correction is impossible (or the OR undefined); empty otherwise.
    odds_ratio, ci_low, ci_high : float
        NaN when impossible; ``inf``/0 with a zero corrected cell (no interval).
    """

    observed: Counts
    accuracy: Accuracy
    corrected: Counts | None
    possible: bool
    reason: str
    odds_ratio: float
    ci_low: float
    ci_high: float


def _correct_group(read_pos: float, total: float, se: float, sp: float) -> float | None:
    k = se + sp - 1.0
    if k <= 0:
        return None
    return (read_pos - (1.0 - sp) * total) / k


def _delta_log_or_se(observed: Counts, corrected: Counts, accuracy: Accuracy) -> float:
    var = 0.0
    groups = (
        (observed.mc_pos_met_pos, observed.n_cases, corrected.mc_pos_met_pos, accuracy.se_cases, accuracy.sp_cases),
        (observed.mc_pos_met_neg, observed.n_controls, corrected.mc_pos_met_neg, accuracy.se_controls,
         accuracy.sp_controls),
    )
    for read_pos, n, true_pos, se, sp in groups:
        p, q, k = read_pos / n, true_pos / n, se + sp - 1.0
        var += p * (1.0 - p) / (n * k * k * q * q * (1.0 - q) ** 2)
    return math.sqrt(var)


def correct(observed: Counts, accuracy: Accuracy, *, alpha: float = 0.05) -> Correction:
    """Correct a 2 x 2 table for misclassification of microcalcification.

    Parameters
    ----------
    observed : Counts
        The table as observed (MC read by the detector or a reader).
    accuracy : Accuracy
        SE/SP among metastasis-positive ("cases") and -negative patients.
    alpha : float
        1 − confidence level of the delta-method interval.

    Returns
    -------
    Correction

    Examples
    --------
    >>> from cohort.bias.counts import parse_counts
    >>> c = correct(parse_counts("34,8,22,17"), Accuracy.nondifferential(0.9, 0.95))
    >>> c.possible, round(c.odds_ratio, 3)
    (True, 4.236)
    """
    nan = math.nan
    d = _correct_group(observed.mc_pos_met_pos, observed.n_cases, accuracy.se_cases, accuracy.sp_cases)
    c = _correct_group(observed.mc_pos_met_neg, observed.n_controls, accuracy.se_controls, accuracy.sp_controls)
    if d is None or c is None:
        group = "metastasis +" if d is None else "metastasis −"
        return Correction(observed, accuracy, None, False,
                          f"SE + SP <= 1 among {group}: the reading carries no information, no correction exists",
                          nan, nan, nan)
    # a cell that is zero up to rounding is zero (not a negative "impossible" one, nor a tiny positive)
    corrected = Counts(*(0.0 if abs(v) < 1e-9 else v for v in (observed.n_controls - c, observed.n_cases - d, c, d)))
    negative = [f"{name} {value:.2f}" for name, value in zip(_CELL_NAMES, corrected.cells) if value < 0]
    if negative:
        return Correction(observed, accuracy, corrected, False,
                          "impossible: negative corrected cell " + ", ".join(negative), nan, nan, nan)
    estimate = corrected.odds_ratio()
    if min(corrected.cells) == 0:
        return Correction(observed, accuracy, corrected, True, "a corrected cell is zero: OR is 0 or infinite",
                          estimate, nan, nan)
    z = norm.ppf(1.0 - alpha / 2.0)
    se_log = _delta_log_or_se(observed, corrected, accuracy)
    log_or = math.log(estimate)
    return Correction(observed, accuracy, corrected, True, "", estimate,
                      _exp(log_or - z * se_log), _exp(log_or + z * se_log))


def _exp(x: float) -> float:
    """``exp`` that gives ``inf`` instead of raising on overflow (near-boundary corrections)."""
    return math.exp(x) if x < 709.0 else math.inf


def correct_arrays(
    observed: Counts, se_cases: np.ndarray, sp_cases: np.ndarray, se_controls: np.ndarray, sp_controls: np.ndarray,
) -> np.ndarray:
    """Vectorised :func:`correct` without intervals: corrected cells, shape ``(n, 4)``.

    Rows where ``SE + SP <= 1`` in a group are NaN; negative cells are kept
    (the caller decides what is impossible).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        k1 = np.asarray(se_cases, float) + np.asarray(sp_cases, float) - 1.0
        k0 = np.asarray(se_controls, float) + np.asarray(sp_controls, float) - 1.0
        d = (observed.mc_pos_met_pos - (1.0 - np.asarray(sp_cases, float)) * observed.n_cases) / k1
        c = (observed.mc_pos_met_neg - (1.0 - np.asarray(sp_controls, float)) * observed.n_controls) / k0
        d = np.where(k1 > 0, d, np.nan)
        c = np.where(k0 > 0, c, np.nan)
    cells = np.column_stack([observed.n_controls - c, observed.n_cases - d, c, d])
    # a cell on the boundary (zero up to rounding) is zero, not a tiny positive giving an enormous OR
    return np.where(np.abs(cells) < 1e-9, 0.0, cells)


def or_grid(observed: Counts, se_values: Sequence[float], sp_values: Sequence[float]) -> np.ndarray:
    """Non-differentially corrected OR over a grid, shape ``(len(sp), len(se))``; NaN where impossible."""
    se, sp = np.meshgrid(np.asarray(se_values, float), np.asarray(sp_values, float))
    cells = correct_arrays(observed, se.ravel(), sp.ravel(), se.ravel(), sp.ravel())
    with np.errstate(divide="ignore", invalid="ignore"):
        ors = cells[:, 0] * cells[:, 3] / (cells[:, 1] * cells[:, 2])
    ors[~np.all(cells > 0, axis=1)] = np.nan
    return ors.reshape(se.shape)


@dataclass(frozen=True)
class TippingPoint:
    """How far one accuracy parameter must move, the others fixed, for the corrected OR to reach ``target``.

    ``parameter`` is ``se_met_pos``, ``sp_met_pos``, ``se_met_neg``,
    ``sp_met_neg`` (SE/SP among metastasis-positive / -negative patients) or
    ``se_both`` / ``sp_both`` (non-differential: the same in both groups).

    ``criterion`` is ``"estimate"`` (the corrected OR reaches ``target``) or
    ``"ci"`` (its delta-method 95 % CI reaches ``target``: the limit nearer
    it crosses). ``value`` is ``None`` when no value in [0, 1] gets there
    (e.g. for the estimate, any non-differential error: correcting it moves
    the OR away from 1).
    """

    parameter: str
    fixed: str
    target: float
    value: float | None
    note: str
    criterion: str = "estimate"


_PARAMETERS = ("se_cases", "sp_cases", "se_controls", "sp_controls")
#: Names in outputs: ``met_pos`` = among metastasis-positive patients (the cases).
_DISPLAY = {"se_cases": "se_met_pos", "sp_cases": "sp_met_pos", "se_controls": "se_met_neg", "sp_controls": "sp_met_neg"}


def _log_or_minus_target(observed: Counts, params: dict[str, float], target: float) -> float:
    cells = correct_arrays(observed, *(np.array([params[p]]) for p in _PARAMETERS))[0]
    if not np.all(cells > 0):
        return math.nan
    return math.log(cells[0] * cells[3] / (cells[1] * cells[2])) - math.log(target)


def _first_crossing(f) -> float | None:
    """Scan x from 1 down to 0; the first sign change of ``f`` refined by Brent's method."""
    xs = np.linspace(1.0, 0.0, 2001)
    values = [f(float(x)) for x in xs]
    for i in range(len(xs) - 1):
        v0, v1 = values[i], values[i + 1]
        if math.isnan(v0) or math.isnan(v1):
            continue
        if v0 == 0:
            return float(xs[i])
        if v0 * v1 < 0:
            return float(brentq(f, xs[i + 1], xs[i], xtol=1e-12))
    return None


def _log_ci_limit_minus_target(observed: Counts, params: dict[str, float], target: float, upper: bool) -> float:
    r = correct(observed, Accuracy(**params))
    limit = r.ci_high if upper else r.ci_low
    if not r.possible or not (0 < limit < math.inf):
        return math.nan
    return math.log(limit) - math.log(target)


def tipping_points(
    observed: Counts, *, target: float = 1.0, baseline: Accuracy | None = None, criterion: str = "estimate",
) -> list[TippingPoint]:
    """For each accuracy parameter, the value that moves the corrected OR (or its CI) to ``target``.

    Each of SE/SP among cases/controls in turn, then SE and SP shared by both
    groups (non-differential); the other parameters stay at ``baseline``
    (a perfect reading by default). Each parameter is scanned down from 1 and
    the first crossing refined with Brent's method. With ``criterion="ci"``
    the crossing is that of the 95 % CI limit nearer ``target`` (the
    association stops being significant); 1.0 when the observed CI already
    includes ``target``.
    """
    if criterion not in ("estimate", "ci"):
        raise ValueError(f"criterion must be 'estimate' or 'ci', got {criterion!r}")
    base_acc = baseline or Accuracy(1.0, 1.0, 1.0, 1.0)
    base = {p: float(getattr(base_acc, p)) for p in _PARAMETERS}
    fixed = ", ".join(f"{p} {v:g}" for p, v in base.items())
    varied = [(_DISPLAY[p], (p,)) for p in _PARAMETERS]
    varied += [("se_both", ("se_cases", "se_controls")), ("sp_both", ("sp_cases", "sp_controls"))]
    upper = observed.odds_ratio() < target
    start = correct(observed, base_acc)
    what = "the corrected OR" if criterion == "estimate" else "the 95% CI of the corrected OR"
    out = []
    for name, keys in varied:
        if criterion == "ci" and start.possible and (start.ci_low <= target <= start.ci_high):
            out.append(TippingPoint(name, fixed, target, 1.0, f"the CI already includes {target:g}", criterion))
            continue
        if criterion == "estimate":
            def f(x, keys=keys):
                return _log_or_minus_target(observed, {**base, **{k: x for k in keys}}, target)
        else:
            def f(x, keys=keys):
                return _log_ci_limit_minus_target(observed, {**base, **{k: x for k in keys}}, target, upper)
        value = _first_crossing(f)
        if value is not None:
            note = f"{name} {value:.3f} (others fixed) brings {what} to {target:g}"
        elif name.endswith("_both") and criterion == "estimate":
            note = "non-differential error only moves the corrected OR away from 1: it cannot explain the association away"
        else:
            note = f"no value in [0, 1] brings {what} to {target:g}"
        out.append(TippingPoint(name, fixed, target, value, note, criterion))
    return out
