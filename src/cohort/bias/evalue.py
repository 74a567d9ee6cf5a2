"""E-values for odds ratios (VanderWeele & Ding, Ann Intern Med 2017;167:268–274).

The E-value is the minimum strength of association, on the risk-ratio scale,
that an unmeasured confounder would need with both microcalcification and
metastasis, above and beyond the measured covariates, to explain the observed
association away: for a risk ratio ``RR >= 1``

    E = RR + sqrt(RR · (RR − 1))

(``RR < 1`` uses ``1 / RR``). For the confidence interval the limit nearer 1 is
used, and its E-value is 1 when the interval includes 1.

An odds ratio is first converted to a risk ratio: when the outcome is rare
(below 15 % at the end of follow-up) ``RR ≈ OR``; when it is common the
square-root transformation ``RR ≈ sqrt(OR)`` applies (VanderWeele, Epidemiology
2017 — the same rule as R's ``EValue::evalues.OR(rare = FALSE)``). The result
says which conversion was used. Bone metastasis is common in this study
(25 of 81, 31 %), so the square root is the one that applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["EValue", "evalue_rr", "evalue_or", "RARE_OUTCOME_THRESHOLD"]

#: Outcome prevalence below which an odds ratio approximates a risk ratio (VanderWeele & Ding 2017).
RARE_OUTCOME_THRESHOLD = 0.15


def evalue_rr(rr: float, *, true: float = 1.0) -> float:
    """E-value of a risk ratio (against the ``true`` value, 1 by default).

    Examples
    --------
    >>> round(evalue_rr(3.9), 2)  # VanderWeele & Ding 2017: breastfeeding example
    7.26
    """
    if not (rr > 0 and math.isfinite(rr)) or not (true > 0):
        raise ValueError(f"a risk ratio must be positive and finite, got {rr!r} (true {true!r})")
    x = rr / true if rr >= true else true / rr
    return x + math.sqrt(x * (x - 1.0))


@dataclass(frozen=True)
class EValue:
    """E-values of one odds ratio and of its confidence limit nearer the null.

    Attributes
    ----------
    label : str
        What the odds ratio is (``"crude"``, ``"stage-adjusted (Mantel–Haenszel)"`` ...).
    odds_ratio, ci_low, ci_high : float
        As given (limits NaN if none).
    conversion : str
        ``"sqrt"`` (common outcome) or ``"none"`` (rare outcome: RR ≈ OR).
    conversion_note : str
        Why, in words (prevalence and threshold).
    rr, rr_low, rr_high : float
        The approximate risk ratio and limits used.
    evalue_estimate : float
    evalue_ci : float
        E-value of the limit nearer 1 (1 when the interval includes 1; NaN without interval).
    ci_limit : str
        ``"lower"`` or ``"upper"``: the limit the CI E-value refers to.
    """

    label: str
    odds_ratio: float
    ci_low: float
    ci_high: float
    conversion: str
    conversion_note: str
    rr: float
    rr_low: float
    rr_high: float
    evalue_estimate: float
    evalue_ci: float
    ci_limit: str


def evalue_or(
    odds_ratio: float, ci_low: float | None = None, ci_high: float | None = None, *,
    outcome_prevalence: float | None = None, rare: bool | None = None, label: str = "", true: float = 1.0,
) -> EValue:
    """E-values of an odds ratio, converting it to a risk ratio first.

    Parameters
    ----------
    odds_ratio, ci_low, ci_high : float
        The estimate and its confidence limits (limits optional).
    outcome_prevalence : float, optional
        Share of patients with the outcome; decides rare (< 15 %) vs common.
    rare : bool, optional
        Say it directly instead (takes precedence over ``outcome_prevalence``).
    label : str
    true : float
        The value to shift the estimate to (1: explain the association away).

    Returns
    -------
    EValue

    Examples
    --------
    >>> e = evalue_or(3.284, 1.212, 8.899, outcome_prevalence=25 / 81, label="crude")
    >>> e.conversion, round(e.rr, 3), round(e.evalue_estimate, 2), round(e.evalue_ci, 2)
    ('sqrt', 1.812, 3.03, 1.43)
    """
    if rare is None:
        if outcome_prevalence is None:
            raise ValueError("say whether the outcome is rare: give outcome_prevalence or rare=True/False")
        rare = outcome_prevalence < RARE_OUTCOME_THRESHOLD
        how = f"outcome prevalence {outcome_prevalence:.1%} {'<' if rare else '>='} {RARE_OUTCOME_THRESHOLD:.0%}"
    else:
        how = "outcome stated rare" if rare else "outcome stated common"
    conversion = "none" if rare else "sqrt"
    note = f"{how}: " + ("RR ≈ OR" if rare else "RR ≈ sqrt(OR) (VanderWeele 2017 square-root transformation)")

    def to_rr(x: float | None) -> float:
        if x is None or not math.isfinite(x) or x <= 0:
            return math.nan
        return x if rare else math.sqrt(x)

    rr, lo, hi = to_rr(odds_ratio), to_rr(ci_low), to_rr(ci_high)
    if math.isnan(rr):
        raise ValueError(f"an E-value needs a positive, finite odds ratio, got {odds_ratio!r}")
    e_point = evalue_rr(rr, true=true)
    if rr >= true:
        limit, value = "lower", lo
        includes = math.isnan(lo) or lo <= true
    else:
        limit, value = "upper", hi
        includes = math.isnan(hi) or hi >= true
    if math.isnan(value):
        e_ci = math.nan
    else:
        e_ci = 1.0 if includes else evalue_rr(value, true=true)
    return EValue(label, float(odds_ratio), math.nan if ci_low is None else float(ci_low),
                  math.nan if ci_high is None else float(ci_high), conversion, note, rr, lo, hi, e_point, e_ci, limit)
