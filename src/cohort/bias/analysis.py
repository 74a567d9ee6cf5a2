"""The whole bias analysis of one MC x metastasis table: results, CSV frames, report section.

Used by ``cohort bias``, ``cohort analyze`` (when microcalcification comes
from the detector) and ``cohort reproduce`` (applied to the paper). Writes,
in the output folder: ``bias.csv``, ``bias_grid.csv``, ``bias_grid.png``,
``evalues.csv`` and ``power.csv`` (docs/cohort-bias.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from calcdetect.csvtext import write_frame_csv
from cohort.bias.counts import Accuracy, Counts
from cohort.bias.evalue import EValue, evalue_or
from cohort.bias.plot import bias_grid_plot, grid_values
from cohort.bias.power import (
    CohortModel, PowerRow, closed_form_n, closed_form_power, simulate_power, simulated_n,
)
from cohort.bias.probabilistic import Priors, ProbabilisticResult, probabilistic_bias
from cohort.bias.simple import Correction, TippingPoint, correct, or_grid, tipping_points

__all__ = [
    "AdjustedOR", "BiasAnalysis", "run_bias_analysis", "power_rows", "bias_frame", "evalue_frame",
    "power_frame", "grid_frame", "write_bias_outputs", "BIAS_COLUMNS",
]

BIAS_COLUMNS = (
    "analysis", "se_met_pos", "sp_met_pos", "se_met_neg", "sp_met_neg", "mc_neg_met_neg", "mc_neg_met_pos",
    "mc_pos_met_neg", "mc_pos_met_pos", "odds_ratio", "ci_low", "ci_high", "interval", "n_draws", "n_impossible",
    "possible", "source", "note",
)
EVALUE_COLUMNS = ("estimate", "odds_ratio", "ci_low", "ci_high", "conversion", "rr", "rr_low", "rr_high",
                  "evalue_estimate", "evalue_ci", "ci_limit", "note")
POWER_COLUMNS = ("analysis", "method", "odds_ratio", "n", "power", "target_power", "n_for_target",
                 "n_simulations", "monte_carlo_se", "note")


@dataclass(frozen=True)
class AdjustedOR:
    """An adjusted odds ratio to give an E-value for (e.g. stage-adjusted Mantel–Haenszel)."""

    label: str
    odds_ratio: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class BiasAnalysis:
    """Everything :func:`run_bias_analysis` computed."""

    observed: Counts
    accuracy: Accuracy | None
    priors: Priors | None
    simple: Correction | None
    probabilistic: ProbabilisticResult | None
    tipping: tuple[TippingPoint, ...]
    evalues: tuple[EValue, ...]
    power: tuple[PowerRow, ...]
    source: str


def power_rows(
    model: CohortModel, *, adjusted_or: float | None = None, n_simulations: int = 2000, seed: int = 0,
    alpha: float = 0.05, target: float = 0.8,
) -> list[PowerRow]:
    """Power at the cohort's size and N for ``target`` power, crude and (with stage) stage-adjusted."""
    share, base = model.share_mc_positive, model.baseline_risk
    rows: list[PowerRow] = []
    specs = [("crude", model.crude_odds_ratio, 0.0, "SPSS rule: Yates' chi-square (Fisher if an expected count < 5)")]
    if model.has_stage:
        rho2 = model.mc_stage_correlation ** 2
        orr = adjusted_or if adjusted_or is not None else model.adjusted_odds_ratio
        specs.append(("stage-adjusted", orr, rho2, "Mantel–Haenszel test, continuity corrected"))
    for analysis, orr, r2, test in specs:
        if not (math.isfinite(orr) and orr > 0):
            rows.append(PowerRow(analysis, "not computed", orr, model.n, math.nan, target, math.nan, 0, math.nan,
                                 "the odds ratio is not positive and finite"))
            continue
        cf_power = closed_form_power(orr, n=model.n, share_exposed=share, baseline_risk=base, alpha=alpha, r_squared=r2)
        cf_n = closed_form_n(orr, power=target, share_exposed=share, baseline_risk=base, alpha=alpha, r_squared=r2)
        vif = f"; n deflated by 1 − ρ² = {1 - r2:.3f} (ρ = MC–stage correlation {math.sqrt(r2):.3f})" if r2 else ""
        rows.append(PowerRow(analysis, "closed form", orr, model.n, cf_power, target, cf_n, 0, math.nan,
                             f"two-proportion arcsine test, baseline risk {base:.3f} (MC−), {share:.1%} MC+{vif}"))
        kw = dict(analysis=analysis, n_simulations=n_simulations, alpha=alpha,
                  odds_ratio=None if analysis == "crude" else orr)
        sim_power, mc_se = simulate_power(model, n=model.n, seed=seed, **kw)
        sim_n, grid = simulated_n(model, target=target, start=cf_n, seed=seed + 1, **kw)
        rows.append(PowerRow(analysis, "simulation", orr, model.n, sim_power, target, sim_n, n_simulations, mc_se,
                             f"{test}; patients resampled from the cohort, metastasis from logistic met ~ MC + stage; "
                             f"N grid {grid[0][0]}–{grid[-1][0]}"))
    if not model.has_stage:
        rows.append(PowerRow("stage-adjusted", "not computed", math.nan, model.n, math.nan, target, math.nan, 0, math.nan,
                             "needs patient records with stage (--records)"))
    return rows


def run_bias_analysis(
    observed: Counts, *, accuracy: Accuracy | None = None, priors: Priors | None = None, n_draws: int = 20_000,
    seed: int = 20250411, adjusted: Sequence[AdjustedOR] = (), model: CohortModel | None = None,
    power_simulations: int = 2000, source: str = "", power_adjusted_or: float | None = None,
    power_note: str = "no patient records were given",
) -> BiasAnalysis:
    """Simple and probabilistic bias analysis, tipping points, E-values and power for one table.

    Parameters
    ----------
    observed : Counts
    accuracy : Accuracy, optional
        Point SE/SP for the simple analysis (skipped without).
    priors : Priors, optional
        Beta distributions for the probabilistic analysis (skipped without).
    n_draws, seed : int
    adjusted : sequence of AdjustedOR
        Further odds ratios to give E-values for (the crude one is always there).
    model : CohortModel, optional
        The cohort the power is simulated from (no power rows without).
    power_simulations : int
    source : str
        Where SE/SP come from, in words (default: the accuracy's or priors' own).
    power_adjusted_or : float, optional
        The stage-adjusted OR the power is computed for (default: the model's logistic one).
    power_note : str
        Why there is no ``model`` (one ``not computed`` row of ``power.csv`` says it).
    """
    simple = correct(observed, accuracy) if accuracy is not None else None
    prob = probabilistic_bias(observed, priors, n_draws=n_draws, seed=seed) if priors is not None else None
    tipping = tuple(tipping_points(observed)) + tuple(tipping_points(observed, criterion="ci"))
    prevalence = observed.outcome_prevalence
    crude = correct(observed, Accuracy(1, 1, 1, 1))
    estimates = [AdjustedOR("crude", crude.odds_ratio, crude.ci_low, crude.ci_high), *adjusted]
    if simple is not None and simple.possible:
        estimates.append(AdjustedOR(f"misclassification-corrected ({accuracy.describe()})", simple.odds_ratio,
                                    simple.ci_low, simple.ci_high))
    evs = [_evalue(e, prevalence) for e in estimates]
    power: list[PowerRow] = []
    if model is not None:  # the stage-adjusted OR of the power rows: the model's logistic one unless given
        power = power_rows(model, adjusted_or=power_adjusted_or, n_simulations=power_simulations, seed=seed)
    else:
        power = [PowerRow("crude", "not computed", math.nan, observed.n, math.nan, 0.8, math.nan, 0, math.nan,
                          power_note)]
    src = source or (accuracy.source if accuracy is not None else priors.source if priors is not None else "none given")
    return BiasAnalysis(observed, accuracy, priors, simple, prob, tipping, tuple(evs), tuple(power), src)


def _evalue(estimate: AdjustedOR, prevalence: float) -> EValue:
    """E-value of one estimate; an OR that is not positive and finite gets a row saying so."""
    o = estimate.odds_ratio
    if o is None or not math.isfinite(o) or o <= 0:
        nan = math.nan
        return EValue(estimate.label, nan if o is None else float(o), estimate.ci_low, estimate.ci_high, "",
                      "no E-value: the odds ratio is not positive and finite (a zero cell)", nan, nan, nan, nan, nan, "")
    return evalue_or(o, estimate.ci_low, estimate.ci_high, outcome_prevalence=prevalence, label=estimate.label)


def _cells(c: Counts | None) -> dict[str, float]:
    names = ("mc_neg_met_neg", "mc_neg_met_pos", "mc_pos_met_neg", "mc_pos_met_pos")
    return {n: (math.nan if c is None else float(v)) for n, v in zip(names, c.cells if c else (0, 0, 0, 0))}


def bias_frame(result: BiasAnalysis) -> pd.DataFrame:
    """``bias.csv``: observed, simple, probabilistic and tipping-point rows (columns :data:`BIAS_COLUMNS`)."""
    o = result.observed
    obs = correct(o, Accuracy(1, 1, 1, 1))
    rows = [{"analysis": "observed", "se_met_pos": 1.0, "sp_met_pos": 1.0, "se_met_neg": 1.0, "sp_met_neg": 1.0,
             **_cells(o), "odds_ratio": obs.odds_ratio, "ci_low": obs.ci_low, "ci_high": obs.ci_high,
             "interval": "Woolf 95% CI", "possible": True, "source": "", "note": "as observed (no correction)"}]
    if result.simple is not None:
        s, a = result.simple, result.accuracy
        rows.append({"analysis": "simple, " + ("differential" if a.differential else "non-differential"),
                     "se_met_pos": a.se_cases, "sp_met_pos": a.sp_cases, "se_met_neg": a.se_controls,
                     "sp_met_neg": a.sp_controls, **_cells(s.corrected), "odds_ratio": s.odds_ratio,
                     "ci_low": s.ci_low, "ci_high": s.ci_high,
                     "interval": "95% CI, delta method, SE/SP taken as known", "n_impossible": 0 if s.possible else 1,
                     "possible": s.possible, "source": a.source, "note": s.reason})
    if result.probabilistic is not None:
        p = result.probabilistic
        pr = p.priors
        for summ in (p.systematic, p.total):
            rows.append({"analysis": summ.analysis, "se_met_pos": pr.se_cases.mean, "sp_met_pos": pr.sp_cases.mean,
                         "se_met_neg": (pr.se_controls or pr.se_cases).mean, "sp_met_neg": (pr.sp_controls or pr.sp_cases).mean,
                         **(_cells(p.mean_corrected) if summ is p.systematic else _cells(None)),
                         "odds_ratio": summ.median, "ci_low": summ.low, "ci_high": summ.high,
                         "interval": "median, 2.5th–97.5th percentile of the usable draws", "n_draws": summ.n_draws,
                         "n_impossible": summ.n_impossible, "possible": summ.n_used > 0, "source": pr.source,
                         "note": f"{pr.describe()}; seed {p.seed}; " + (
                             f"{summ.share_at_or_below_1:.1%} of usable draws OR <= 1" if summ.n_used
                             else "every draw impossible: shift the SE/SP distributions up")
                                 + ("; cells: mean corrected table of the usable draws" if summ is p.systematic else "")})
    for t in result.tipping:
        params = {"se_met_pos": 1.0, "sp_met_pos": 1.0, "se_met_neg": 1.0, "sp_met_neg": 1.0}
        keys = {"se_both": ["se_met_pos", "se_met_neg"], "sp_both": ["sp_met_pos", "sp_met_neg"]}.get(
            t.parameter, [t.parameter])
        for k in keys:
            params[k] = math.nan if t.value is None else t.value
        label = "tipping point" if t.criterion == "estimate" else "tipping point (CI)"
        rows.append({"analysis": f"{label}: {t.parameter}", **params, **_cells(None),
                     "odds_ratio": t.target if t.value is not None and t.criterion == "estimate" else math.nan,
                     "interval": "" if t.criterion == "estimate" else "value where the delta-method 95% CI reaches 1",
                     "possible": t.value is not None, "source": "", "note": t.note})
    frame = pd.DataFrame(rows, columns=list(BIAS_COLUMNS))
    for column in ("n_draws", "n_impossible"):
        frame[column] = frame[column].astype("Int64")
    return frame


def evalue_frame(result: BiasAnalysis) -> pd.DataFrame:
    """``evalues.csv``."""
    rows = [{"estimate": e.label, "odds_ratio": e.odds_ratio, "ci_low": e.ci_low, "ci_high": e.ci_high,
             "conversion": e.conversion, "rr": e.rr, "rr_low": e.rr_low, "rr_high": e.rr_high,
             "evalue_estimate": e.evalue_estimate, "evalue_ci": e.evalue_ci, "ci_limit": e.ci_limit,
             "note": e.conversion_note} for e in result.evalues]
    return pd.DataFrame(rows, columns=list(EVALUE_COLUMNS))


def power_frame(result: BiasAnalysis) -> pd.DataFrame:
    """``power.csv`` (empty with its header when no cohort was given)."""
    return pd.DataFrame([r.__dict__ for r in result.power], columns=list(POWER_COLUMNS))


def grid_frame(observed: Counts, *, step: float = 0.01, low: float = 0.5) -> pd.DataFrame:
    """``bias_grid.csv``: the non-differentially corrected OR for every SE x SP of the plot (NaN: impossible)."""
    values = grid_values(step, low)
    z = or_grid(observed, values, values)
    se, sp = np.meshgrid(values, values)
    return pd.DataFrame({"se": se.ravel(), "sp": sp.ravel(), "odds_ratio": z.ravel()})


def write_bias_outputs(result: BiasAnalysis, out_dir: str | Path) -> list[Path]:
    """Write bias.csv, bias_grid.csv, bias_grid.png, evalues.csv, power.csv; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in (("bias.csv", bias_frame(result)), ("bias_grid.csv", grid_frame(result.observed)),
                        ("evalues.csv", evalue_frame(result)), ("power.csv", power_frame(result))):
        write_frame_csv(frame, out / name)
        paths.append(out / name)
    paths.append(bias_grid_plot(result.observed, out / "bias_grid.png", accuracy=result.accuracy))
    return paths
