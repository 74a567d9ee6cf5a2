"""Power and sample size for the microcalcification → metastasis odds ratio.

Two methods, each a cross-check of the other:

* **closed form**: the two-proportion test on the arcsine scale (Cohen's h;
  statsmodels ``NormalIndPower``, the same formula as R's
  ``pwr::pwr.2p2n.test``), MC− and MC+ groups in the study's proportions, the
  metastasis risk of MC− patients as baseline and the MC+ risk implied by the
  odds ratio. For the stage-adjusted odds ratio the sample is deflated by the
  variance inflation of adjusting for a correlated covariate,
  ``n_eff = n · (1 − ρ²)`` with ρ the correlation of MC and stage
  (Hsieh, Bloch & Larsen, Stat Med 1998;17:1623–1634).
* **simulation from the reconstructed cohort**: patients' (MC, stage) pairs are
  resampled with replacement from the records, metastasis is drawn from the
  logistic model ``met ~ MC + stage`` fitted to the records (so the expected
  crude table is the observed one and the stage-adjusted odds ratio is the
  model's), and each simulated study is tested as the paper tests it: the
  crude 2 x 2 by the SPSS rule (Yates' χ², Fisher when an expected count is
  below 5), the stage-adjusted OR by the continuity-corrected
  Mantel–Haenszel test (R's ``mantelhaen.test``). Power is the share of
  studies with p < alpha; its Monte Carlo SE is reported.

The sample size for a target power is the smallest N on a grid whose
simulated power reaches it, refined by linear interpolation between the
bracketing grid points; the closed form gives it directly.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from cohort.bias.counts import Counts

__all__ = [
    "PowerRow", "CohortModel", "cohort_model", "closed_form_power", "closed_form_n", "simulate_power",
    "simulated_n", "risk_from_odds_ratio", "model_from_counts",
]


@dataclass(frozen=True)
class PowerRow:
    """One line of ``power.csv``."""

    analysis: str
    method: str
    odds_ratio: float
    n: float
    power: float
    target_power: float
    n_for_target: float
    n_simulations: int
    monte_carlo_se: float
    note: str


@dataclass(frozen=True)
class CohortModel:
    """What the simulation and the closed form need from a cohort.

    ``mc``/``stage``/``met`` are 0/1 arrays (stage 1 = locally advanced);
    ``coef`` the logistic coefficients (intercept, MC, stage).
    """

    mc: np.ndarray
    stage: np.ndarray
    met: np.ndarray
    coef: tuple[float, float, float]

    @property
    def n(self) -> int:
        return int(self.mc.size)

    @property
    def share_mc_positive(self) -> float:
        return float(self.mc.mean())

    @property
    def baseline_risk(self) -> float:
        """Metastasis risk among MC− patients."""
        return float(self.met[self.mc == 0].mean())

    @property
    def adjusted_odds_ratio(self) -> float:
        return math.exp(self.coef[1])

    @property
    def crude_odds_ratio(self) -> float:
        a = np.sum((self.mc == 0) & (self.met == 0))
        b = np.sum((self.mc == 0) & (self.met == 1))
        c = np.sum((self.mc == 1) & (self.met == 0))
        d = np.sum((self.mc == 1) & (self.met == 1))
        return float(a * d / (b * c))

    @property
    def has_stage(self) -> bool:
        return len(set(self.stage.tolist())) > 1

    @property
    def mc_stage_correlation(self) -> float:
        return float(np.corrcoef(self.mc, self.stage)[0, 1]) if self.has_stage else 0.0


def _binary(values: pd.Series, positive: str) -> np.ndarray:
    return (values.astype(str).str.strip().str.lower() == positive).to_numpy(int)


def cohort_model(records: pd.DataFrame) -> CohortModel:
    """Fit ``met ~ MC + stage`` (statsmodels ``Logit``) to patient records.

    ``records`` has the columns of ``data/cohort/records.csv``:
    ``microcalcification``, ``bone_metastasis`` (negative/positive) and
    ``stage`` (``in_situ_early``/``locally_advanced``).
    """
    need = {"microcalcification", "bone_metastasis", "stage"}
    missing = sorted(need - set(records.columns))
    if missing:
        raise ValueError(f"the records need the columns {sorted(need)}; missing {missing}")
    data = records.dropna(subset=sorted(need))
    mc = _binary(data["microcalcification"], "positive")
    met = _binary(data["bone_metastasis"], "positive")
    stage = _binary(data["stage"], "locally_advanced")
    return _fit(mc, stage, met)


def _fit(mc: np.ndarray, stage: np.ndarray, met: np.ndarray) -> CohortModel:
    import statsmodels.api as sm

    from statsmodels.tools.sm_exceptions import PerfectSeparationError

    cells = [int(np.sum((mc == m) & (met == t))) for m in (0, 1) for t in (0, 1)]
    if min(cells) == 0:
        raise ValueError(f"power needs every MC x metastasis cell > 0 (the odds ratio is not finite), got {cells}")
    one_stage = len(set(stage.tolist())) < 2
    columns = [mc] if one_stage else [mc, stage]
    x = sm.add_constant(np.column_stack(columns).astype(float), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.Logit(met.astype(float), x).fit(disp=0, method="newton", maxiter=100, tol=1e-12)
        except (PerfectSeparationError, np.linalg.LinAlgError) as exc:
            raise ValueError(f"the logistic model met ~ MC + stage cannot be fitted: {exc}") from exc
    if not fit.mle_retvals.get("converged", True) or not np.all(np.isfinite(fit.params)):
        raise ValueError("the logistic model met ~ MC + stage did not converge (separation?)")
    params = [float(v) for v in fit.params] + ([0.0] if one_stage else [])
    return CohortModel(mc, stage, met, tuple(params))


def model_from_counts(counts: Counts) -> CohortModel:
    """A cohort without stage (all in one stratum) from a 2 x 2 table: crude power only."""
    cells = [int(round(v)) for v in counts.cells]
    mc = np.repeat([0, 0, 1, 1], cells)
    met = np.repeat([0, 1, 0, 1], cells)
    return _fit(mc, np.zeros_like(mc), met)


def risk_from_odds_ratio(baseline_risk: float, odds_ratio: float) -> float:
    """The risk whose odds are ``odds_ratio`` times those of ``baseline_risk``."""
    odds = odds_ratio * baseline_risk / (1.0 - baseline_risk)
    return odds / (1.0 + odds)


def closed_form_power(
    odds_ratio: float, *, n: float, share_exposed: float, baseline_risk: float, alpha: float = 0.05,
    r_squared: float = 0.0,
) -> float:
    """Power of the two-sided two-proportion test (arcsine), ``n`` deflated by ``1 − r_squared``."""
    h = proportion_effectsize(risk_from_odds_ratio(baseline_risk, odds_ratio), baseline_risk)
    n_eff = n * (1.0 - r_squared)
    n1 = n_eff * share_exposed
    return float(NormalIndPower().power(effect_size=h, nobs1=n1, alpha=alpha,
                                        ratio=(1.0 - share_exposed) / share_exposed, alternative="two-sided"))


def closed_form_n(
    odds_ratio: float, *, power: float = 0.8, share_exposed: float, baseline_risk: float, alpha: float = 0.05,
    r_squared: float = 0.0,
) -> float:
    """Total N (not rounded) for ``power``, inflated by ``1 / (1 − r_squared)``."""
    h = proportion_effectsize(risk_from_odds_ratio(baseline_risk, odds_ratio), baseline_risk)
    n1 = NormalIndPower().solve_power(effect_size=h, nobs1=None, alpha=alpha, power=power,
                                      ratio=(1.0 - share_exposed) / share_exposed, alternative="two-sided")
    return float(n1 / share_exposed / (1.0 - r_squared))


def _yates_or_fisher_p(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """p of the SPSS rule per table: Fisher if an expected count < 5, else Yates (R's clipped correction)."""
    n = a + b + c + d
    r1, r2, c1, c2 = a + b, c + d, a + c, b + d
    with np.errstate(divide="ignore", invalid="ignore"):
        e_a = r1 * c1 / n
        dev = np.maximum(np.abs(a - e_a) - 0.5, 0.0)
        chi2 = dev ** 2 * n ** 3 / (r1 * r2 * c1 * c2)  # sum over cells of dev²/E with |O − E| equal in all four
        min_e = np.minimum.reduce([r1 * c1, r1 * c2, r2 * c1, r2 * c2]) / n
    p = sps.chi2.sf(chi2, 1)
    p = np.where((r1 * r2 * c1 * c2) == 0, 1.0, p)
    small = np.flatnonzero((min_e < 5) & ((r1 * r2 * c1 * c2) > 0))
    cache: dict[tuple[int, int, int, int], float] = {}
    for i in small:
        key = (int(a[i]), int(b[i]), int(c[i]), int(d[i]))
        if key not in cache:
            cache[key] = float(sps.fisher_exact([[key[0], key[1]], [key[2], key[3]]]).pvalue)
        p[i] = cache[key]
    return p


def _mh_p(cells: np.ndarray) -> np.ndarray:
    """Continuity-corrected Mantel–Haenszel p per simulated study; ``cells`` shape (sims, K, 4) = a, b, c, d."""
    a, b, c, d = (cells[..., i].astype(float) for i in range(4))
    n = a + b + c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(n > 1, (a + b) * (a + c) / n, a)
        v = np.where(n > 1, (a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1)), 0.0)
    delta = (a - e).sum(axis=1)
    var = v.sum(axis=1)
    yates = np.where(np.abs(delta) >= 0.5, 0.5, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = (np.abs(delta) - yates) ** 2 / var
    return np.where(var > 0, sps.chi2.sf(stat, 1), 1.0)


#: Patients drawn at once (studies x N) in :func:`simulate_power`; larger runs go in batches.
_MAX_DRAWS_IN_MEMORY = 2_000_000
#: The largest N :func:`simulated_n` simulates.
MAX_SIMULATED_N = 20_000


def _simulated_p(model: CohortModel, rng: np.random.Generator, *, n: int, n_studies: int,
                 coef: tuple[float, float, float], analysis: str) -> np.ndarray:
    b0, b_mc, b_stage = coef
    idx = rng.integers(0, model.n, size=(n_studies, n))
    mc, stage = model.mc[idx], model.stage[idx]
    risk = 1.0 / (1.0 + np.exp(-(b0 + b_mc * mc + b_stage * stage)))
    met = (rng.random((n_studies, n)) < risk).astype(int)
    cell = 2 * mc + met  # 0 a: MC− met−, 1 b: MC− met+, 2 c: MC+ met−, 3 d: MC+ met+
    if analysis == "crude":
        counts = np.stack([(cell == k).sum(axis=1) for k in range(4)], axis=1)
        return _yates_or_fisher_p(*(counts[:, k] for k in range(4)))
    counts = np.stack([np.stack([((cell == k) & (stage == s)).sum(axis=1) for k in range(4)], axis=1)
                       for s in (0, 1)], axis=1)
    return _mh_p(counts)


def simulate_power(
    model: CohortModel, *, n: int, analysis: str, n_simulations: int = 2000, seed: int = 0, alpha: float = 0.05,
    odds_ratio: float | None = None,
) -> tuple[float, float]:
    """Simulated power (and its Monte Carlo SE) of ``analysis`` ``"crude"`` or ``"stage-adjusted"``.

    ``odds_ratio`` replaces the model's MC coefficient (the stage-adjusted OR) when given.
    """
    if analysis not in ("crude", "stage-adjusted"):
        raise ValueError(f"analysis must be 'crude' or 'stage-adjusted', got {analysis!r}")
    rng = np.random.Generator(np.random.PCG64(seed))
    b0, b_mc, b_stage = model.coef
    if odds_ratio is not None:
        b_mc = math.log(odds_ratio)
    batch = max(1, _MAX_DRAWS_IN_MEMORY // n)  # simulated studies per batch, to bound memory
    p = np.concatenate([
        _simulated_p(model, rng, n=n, n_studies=min(batch, n_simulations - start), coef=(b0, b_mc, b_stage),
                     analysis=analysis)
        for start in range(0, n_simulations, batch)
    ])
    power = float(np.mean(p < alpha))
    return power, math.sqrt(power * (1.0 - power) / n_simulations)


def simulated_n(
    model: CohortModel, *, analysis: str, target: float = 0.8, start: float, n_simulations: int = 2000,
    seed: int = 0, alpha: float = 0.05, odds_ratio: float | None = None,
) -> tuple[float, list[tuple[int, float]]]:
    """Smallest N with simulated power >= ``target``, interpolated; and the (N, power) grid used.

    The grid is 0.5–2.5 x ``start`` (the closed-form N) in 12 steps, extended
    upward until the target is reached (at most 4 times, never beyond
    :data:`MAX_SIMULATED_N`; NaN if not reached by then).
    """
    grid: list[tuple[int, float]] = []
    lo, hi = 0.5 * start, 2.5 * start
    for attempt in range(5):
        if lo >= MAX_SIMULATED_N or not math.isfinite(lo):
            break
        hi = min(hi, MAX_SIMULATED_N)
        ns = sorted({max(10, int(round(x))) for x in np.linspace(lo, hi, 12)})
        for i, nn in enumerate(ns):
            pw, _ = simulate_power(model, n=nn, analysis=analysis, n_simulations=n_simulations,
                                   seed=seed + 1000 * attempt + i, alpha=alpha, odds_ratio=odds_ratio)
            grid.append((nn, pw))
        grid.sort()
        above = [k for k, (_, pw) in enumerate(grid) if pw >= target]
        if above:
            k = above[0]
            if k == 0:
                return float(grid[0][0]), grid
            (n0, p0), (n1, p1) = grid[k - 1], grid[k]
            return float(n0 + (target - p0) * (n1 - n0) / (p1 - p0)) if p1 > p0 else float(n1), grid
        lo, hi = hi, hi * 2.0
    return math.nan, grid or [(0, math.nan)]
