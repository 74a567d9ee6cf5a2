"""The bias analysis inside ``cohort analyze`` (detector flags) and ``cohort reproduce`` (the paper).

``cohort analyze`` with ``--mc-source detector``: the detector's MC x
metastasis table is corrected with SE/SP from, in this order of precedence,
``--accuracy FILE`` (``calcdetect evaluate``'s ``metrics.json`` or a review
summary, :mod:`cohort.bias.sources`) or the detector's agreement with the
records' radiologist reading (the reading as reference, pooled over both
outcome groups, Beta(count + 1) priors). Without either, only the tipping
points, the SE x SP grid, E-values and power are reported.

``cohort reproduce``: the paper's table (its MC is a radiologist's reading of
unknown accuracy): tipping points and grid (how large the reading error would
have to be to explain OR 3.284 away), E-values of the printed crude OR and
of the stage-adjusted Mantel–Haenszel OR of every feasible reconstruction,
power from the reconstructed cohort.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from cohort.bias.analysis import AdjustedOR, BiasAnalysis, run_bias_analysis
from cohort.bias.counts import Counts
from cohort.bias.power import cohort_model
from cohort.bias.sources import MeasuredAccuracy, accuracy_from_counts, read_accuracy

__all__ = ["detector_bias", "paper_bias"]

log = logging.getLogger(__name__)


def _model(records: pd.DataFrame):
    """The power model, or ``None`` and why (e.g. a zero cell, separation in a tiny data set)."""
    try:
        return cohort_model(records), ""
    except (ValueError, ArithmeticError) as exc:
        log.warning("power not computed: %s", exc)
        return None, f"power not computed: {exc}"


def detector_bias(
    cells: list[list[int]], data: pd.DataFrame, *, agreement=None, accuracy_file: str | Path | None = None,
    adjusted: pd.DataFrame | None = None, seed: int = 20250411, n_draws: int = 20_000,
) -> BiasAnalysis:
    """The bias analysis of the detector's table (``cells`` as in Table 3: rows MC −/+, columns met −/+)."""
    observed = Counts(cells[0][0], cells[0][1], cells[1][0], cells[1][1])
    measured: MeasuredAccuracy | None = None
    if accuracy_file is not None:
        measured = read_accuracy(accuracy_file)
    elif agreement is not None and agreement.n > 0:
        try:
            measured = accuracy_from_counts(
                agreement.both_positive, agreement.radiologist_only, agreement.both_negative, agreement.detector_only,
                source=f"the detector against the records' radiologist reading (n = {agreement.n}; "
                       f"TP {agreement.both_positive}, FN {agreement.radiologist_only}, "
                       f"TN {agreement.both_negative}, FP {agreement.detector_only})")
        except ValueError as exc:
            log.warning("no SE/SP from the radiologist reading: %s", exc)
    extra = []
    if adjusted is not None:
        mh = adjusted[(adjusted.analysis == "mantel-haenszel") & adjusted.odds_ratio.notna()]
        for r in mh.itertuples():
            extra.append(AdjustedOR("stage-adjusted (Mantel–Haenszel)", float(r.odds_ratio), float(r.ci_low),
                                    float(r.ci_high)))
    source = measured.accuracy.source if measured else (
        "none available (no --accuracy file, no radiologist reading in the records): only tipping points, "
        "the SE x SP grid, E-values and power")
    model, note = _model(data)
    return run_bias_analysis(
        observed, accuracy=measured.accuracy if measured else None, priors=measured.priors if measured else None,
        n_draws=n_draws, seed=seed, adjusted=extra, model=model, source=source, power_note=note,
    )


def paper_bias(paper, stage, records: pd.DataFrame, *, seed: int = 20250411) -> BiasAnalysis:
    """The bias analysis applied to the paper: its printed MC x metastasis table and odds ratio.

    ``stage`` is :class:`cohort.reconstruct.StageAdjustment`; ``records`` the reconstructed patients.
    """
    row = paper.association("table3", "microcalcification")
    (a, b), (c, d) = row.counts
    extra = []
    if row.odds_ratio is not None and row.ci95 is not None:
        extra.append(AdjustedOR("crude, as printed in the paper", row.odds_ratio, *row.ci95))
    for i, (o, lo, hi) in enumerate(zip(stage.mh_odds_ratios, stage.mh_ci_low, stage.mh_ci_high), start=1):
        extra.append(AdjustedOR(f"stage-adjusted (Mantel–Haenszel), reconstruction {i}", o, lo, hi))
    model, note = _model(records)
    return run_bias_analysis(
        Counts(a, b, c, d), adjusted=extra, model=model, seed=seed, power_note=note,
        source="unknown: the paper's microcalcification is a radiologist's reading whose accuracy it does not "
               "report; hence tipping points and the SE x SP grid rather than one correction",
    )
