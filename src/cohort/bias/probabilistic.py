"""Probabilistic bias analysis for a misclassified exposure, SE and SP drawn from beta distributions.

Summary-level algorithm of Fox, MacLehose & Lash (*Applying Quantitative Bias
Analysis to Epidemiologic Data*, 2nd ed. 2021, ch. 8; the same steps as R's
``episensr`` 2.x for exposure misclassification), per draw:

1. draw SE and SP (non-differential: one draw serves both outcome groups;
   differential: cases and controls drawn independently);
2. simple bias analysis (:mod:`cohort.bias.simple`): the expected true table.
   A draw with a corrected cell <= 0 is *impossible*: counted and dropped,
   never clipped;
3. **systematic error only**: the odds ratio of the expected true table;
4. **systematic and random error**: the true MC prevalence in each outcome group
   is drawn from Beta(corrected MC+, corrected MC−); with it and SE/SP the
   predictive values (PPV, NPV) follow; the observed reads are re-classified
   (truly MC+ = Binomial(read MC+, PPV) + Binomial(read MC−, 1 − NPV)); the
   odds ratio of the re-classified table is then shifted by conventional
   random error, ``exp(log OR − Z · SE)``, Z ~ N(0, 1), SE = Woolf's of that
   table. A re-classified table with a zero cell has no Woolf SE: such draws
   are counted as impossible for this row.

The summaries are the median and the 2.5th / 97.5th percentiles (linear
interpolation, R's default ``quantile`` type 7). Draws are seeded
(``numpy.random.Generator(PCG64(seed))``), so a run is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cohort.bias.counts import BetaPrior, Counts
from cohort.bias.simple import correct_arrays

__all__ = ["Priors", "Summary", "ProbabilisticResult", "probabilistic_bias"]


@dataclass(frozen=True)
class Priors:
    """Beta distributions for SE/SP among cases (metastasis +) and controls.

    ``se_controls``/``sp_controls`` left ``None`` mean non-differential: the
    draw for cases serves both groups.
    """

    se_cases: BetaPrior
    sp_cases: BetaPrior
    se_controls: BetaPrior | None = None
    sp_controls: BetaPrior | None = None
    source: str = "given"

    @property
    def differential(self) -> bool:
        return self.se_controls is not None or self.sp_controls is not None

    def describe(self) -> str:
        text = f"SE ~ {self.se_cases.describe()}, SP ~ {self.sp_cases.describe()}"
        if self.differential:
            se0 = (self.se_controls or self.se_cases).describe()
            sp0 = (self.sp_controls or self.sp_cases).describe()
            text = (f"metastasis +: {text}; metastasis −: SE ~ {se0}, SP ~ {sp0} (independent draws)")
        return text


@dataclass(frozen=True)
class Summary:
    """Median and percentile interval of the corrected odds ratios of the usable draws."""

    analysis: str
    median: float
    low: float
    high: float
    n_draws: int
    n_impossible: int
    share_at_or_below_1: float

    @property
    def n_used(self) -> int:
        return self.n_draws - self.n_impossible


@dataclass(frozen=True)
class ProbabilisticResult:
    """Both summaries, the mean corrected table of the systematic analysis, and the draws."""

    observed: Counts
    priors: Priors
    seed: int
    systematic: Summary
    total: Summary
    mean_corrected: Counts | None
    se_cases: np.ndarray
    sp_cases: np.ndarray
    se_controls: np.ndarray
    sp_controls: np.ndarray
    or_systematic: np.ndarray
    or_total: np.ndarray


def _summary(analysis: str, values: np.ndarray, n_draws: int, alpha: float) -> Summary:
    ok = values[np.isfinite(values)]
    n_bad = n_draws - ok.size
    if ok.size == 0:
        return Summary(analysis, math.nan, math.nan, math.nan, n_draws, n_bad, math.nan)
    med, lo, hi = np.quantile(ok, [0.5, alpha / 2.0, 1.0 - alpha / 2.0])
    return Summary(analysis, float(med), float(lo), float(hi), n_draws, n_bad, float(np.mean(ok <= 1.0)))


def _predictive_values(se: np.ndarray, sp: np.ndarray, prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ppv = se * prev / (se * prev + (1.0 - sp) * (1.0 - prev))
    npv = sp * (1.0 - prev) / (sp * (1.0 - prev) + (1.0 - se) * prev)
    return ppv, npv


def probabilistic_bias(
    observed: Counts, priors: Priors, *, n_draws: int = 20_000, seed: int = 20250411, alpha: float = 0.05,
) -> ProbabilisticResult:
    """Run the probabilistic bias analysis (see the module docstring).

    Parameters
    ----------
    observed : Counts
    priors : Priors
    n_draws : int
        Draws of SE/SP (the command line insists on at least 10,000).
    seed : int
    alpha : float
        The summaries are the alpha/2 and 1 − alpha/2 percentiles.

    Returns
    -------
    ProbabilisticResult
    """
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    rng = np.random.Generator(np.random.PCG64(seed))
    se1 = rng.beta(priors.se_cases.alpha, priors.se_cases.beta, n_draws)
    sp1 = rng.beta(priors.sp_cases.alpha, priors.sp_cases.beta, n_draws)
    if priors.differential:
        p0 = priors.se_controls or priors.se_cases
        q0 = priors.sp_controls or priors.sp_cases
        se0 = rng.beta(p0.alpha, p0.beta, n_draws)
        sp0 = rng.beta(q0.alpha, q0.beta, n_draws)
    else:
        se0, sp0 = se1, sp1
    cells = correct_arrays(observed, se1, sp1, se0, sp0)
    possible = np.all(cells > 0, axis=1)  # NaN (SE + SP <= 1) compares False
    with np.errstate(divide="ignore", invalid="ignore"):
        or_sys = np.where(possible, cells[:, 0] * cells[:, 3] / (cells[:, 1] * cells[:, 2]), np.nan)

    # systematic + random error: sampled prevalences, predictive values, re-classification, Woolf shift
    safe = np.where(possible[:, None], cells, 1.0)
    prev1 = rng.beta(safe[:, 3], safe[:, 1])  # truly MC+ among metastasis +
    prev0 = rng.beta(safe[:, 2], safe[:, 0])  # truly MC+ among metastasis −
    ppv1, npv1 = _predictive_values(se1, sp1, prev1)
    ppv0, npv0 = _predictive_values(se0, sp0, prev0)
    o = observed
    d = rng.binomial(int(o.mc_pos_met_pos), ppv1) + rng.binomial(int(o.mc_neg_met_pos), 1.0 - npv1)
    c = rng.binomial(int(o.mc_pos_met_neg), ppv0) + rng.binomial(int(o.mc_neg_met_neg), 1.0 - npv0)
    b, a = o.n_cases - d, o.n_controls - c
    z = rng.standard_normal(n_draws)
    imputed = np.column_stack([a, b, c, d]).astype(float)
    usable = possible & np.all(imputed > 0, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_or = np.log(imputed[:, 0] * imputed[:, 3] / (imputed[:, 1] * imputed[:, 2]))
        se_log = np.sqrt((1.0 / imputed).sum(axis=1))
        or_tot = np.where(usable, np.exp(log_or - z * se_log), np.nan)
    mean_cells = Counts(*cells[possible].mean(axis=0)) if possible.any() else None
    return ProbabilisticResult(
        observed, priors, seed,
        _summary("probabilistic, systematic error", or_sys, n_draws, alpha),
        _summary("probabilistic, systematic and random error", or_tot, n_draws, alpha),
        mean_cells, se1, sp1, se0, sp0, or_sys, or_tot,
    )
