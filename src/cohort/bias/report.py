"""The "How much of the association is the detector's?" section of ``report.md`` / ``report.html``."""

from __future__ import annotations

import math

from cohort.bias.analysis import BiasAnalysis
from cohort.report import Document

__all__ = ["add_bias_section", "headline_sentence"]


def _f(x: float, d: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "N/A"
    if math.isinf(x):
        return "∞"
    return f"{x:.{d}f}"


def headline_sentence(result: BiasAnalysis) -> str:
    """One sentence: how large the reading error must be to explain the observed OR away."""
    tips = {t.parameter: t for t in result.tipping if t.criterion == "estimate"}
    ci_tips = {t.parameter: t for t in result.tipping if t.criterion == "ci"}
    obs = result.observed.odds_ratio()
    parts = [f"Observed OR {_f(obs)}."]
    nd = [tips[k] for k in ("se_both", "sp_both") if k in tips]
    if nd and all(t.value is None for t in nd):
        parts.append("Non-differential reading error (the same SE/SP whatever the metastasis status) cannot explain "
                     "it away: correcting for it moves the OR further from 1.")
    diff = [(k, tips[k].value) for k in ("se_met_neg", "sp_met_pos", "se_met_pos", "sp_met_neg")
            if k in tips and tips[k].value is not None]
    words = {"se_met_neg": "a sensitivity among metastasis-negative patients of",
             "sp_met_pos": "a specificity among metastasis-positive patients of",
             "se_met_pos": "a sensitivity among metastasis-positive patients of",
             "sp_met_neg": "a specificity among metastasis-negative patients of"}
    if diff:
        parts.append("It takes differential error, with everything else read perfectly: "
                     + " or ".join(f"{words[k]} {v:.3f}" for k, v in diff) + ", to bring the corrected OR to 1.")
    ci = [(k, ci_tips[k].value) for k in ("se_met_neg", "sp_met_pos") if k in ci_tips and ci_tips[k].value is not None]
    if ci and not all(v == 1.0 for _, v in ci):
        parts.append("Its 95% CI (delta method, SE/SP taken as known) would include 1 already with "
                     + " or ".join(f"{words[k]} {v:.3f}" for k, v in ci) + ".")
    return " ".join(parts)


def add_bias_section(doc: Document, result: BiasAnalysis, *, level: int = 2,
                     title: str = "How much of the association is the detector's?") -> None:
    """Append the bias analysis (tables, E-values, power, SE x SP plot) to ``doc``."""
    doc.heading(title, level)
    doc.paragraph(
        "Quantitative bias analysis for misclassification of microcalcification (Lash, Fox & Fink, 2nd ed. 2021), "
        "E-values for unmeasured confounding (VanderWeele & Ding 2017) and power. Files: bias.csv, bias_grid.csv, "
        "evalues.csv, power.csv; method details in docs/cohort-bias.md."
    )
    doc.paragraph(f"Where the sensitivity (SE) and specificity (SP) come from: {result.source}.")
    doc.paragraph(headline_sentence(result))
    rows = [["observed", "1 / 1", result.observed.as_text(), _f(result.observed.odds_ratio()), "", "", ""]]
    if result.simple is not None:
        s = result.simple
        rows.append([("simple, differential" if result.accuracy.differential else "simple, non-differential"),
                     result.accuracy.describe(), s.corrected.as_text() if s.corrected else "",
                     _f(s.odds_ratio) if s.possible else "impossible",
                     f"{_f(s.ci_low)}–{_f(s.ci_high)}" if s.possible else "", "", s.reason])
    if result.probabilistic is not None:
        p = result.probabilistic
        for summ in (p.systematic, p.total):
            rows.append([summ.analysis, p.priors.describe(), "", _f(summ.median), f"{_f(summ.low)}–{_f(summ.high)}",
                         f"{summ.n_impossible} of {summ.n_draws}",
                         f"{summ.share_at_or_below_1:.1%} of usable draws with OR <= 1" if summ.n_used
                         else "every draw impossible: shift the SE/SP distributions up"])
    doc.table(["analysis", "SE / SP", "corrected counts (MC− met−, MC− met+, MC+ met−, MC+ met+)", "OR",
               "interval", "impossible draws", "note"], rows)
    doc.heading("Tipping points (the others read perfectly)", level + 1)
    ci = {t.parameter: t for t in result.tipping if t.criterion == "ci"}
    doc.table(["parameter varied", "value that makes the corrected OR 1", "value where its 95% CI reaches 1", "note"],
              [[t.parameter, _f(t.value) if t.value is not None else "none",
                _f(ci[t.parameter].value) if t.parameter in ci and ci[t.parameter].value is not None else "none", t.note]
               for t in result.tipping if t.criterion == "estimate"])
    doc.paragraph("Parameters: SE/SP among metastasis-positive (met_pos) or -negative (met_neg) patients, or the same "
                  "in both groups (both). The CI column uses the delta-method interval with SE/SP taken as known; "
                  "correcting widens the interval, so even an error that raises the OR can make it non-significant.")
    doc.image("bias_grid.png", "corrected odds ratio over a grid of sensitivity and specificity")
    doc.heading("E-values (unmeasured confounding)", level + 1)
    doc.table(["estimate", "OR (95% CI)", "RR used", "E-value (estimate)", "E-value (CI limit nearer 1)", "conversion"],
              [[e.label, f"{_f(e.odds_ratio)} ({_f(e.ci_low)}–{_f(e.ci_high)})", _f(e.rr), _f(e.evalue_estimate, 2),
                _f(e.evalue_ci, 2), e.conversion_note] for e in result.evalues])
    doc.heading("Power and sample size", level + 1)
    doc.table(["analysis", "method", "OR", "n", "power", "N for 80% power", "note"],
              [[r.analysis, r.method, _f(r.odds_ratio), f"{r.n:g}", _f(r.power),
                "" if not math.isfinite(r.n_for_target) else f"{math.ceil(r.n_for_target)}",
                r.note + (f" (Monte Carlo SE {r.monte_carlo_se:.3f}, {r.n_simulations} studies)" if r.n_simulations else "")]
               for r in result.power])
