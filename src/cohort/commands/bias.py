"""``cohort bias --counts A,B,C,D [--se SE --sp SP] [--se-beta a,b --sp-beta a,b] -o DIR``: how much of the association is the detector's.

Counts are the microcalcification (MC) x bone metastasis (met) table read row
by row, as the paper's Table 3 prints it: MC− met−, MC− met+, MC+ met−,
MC+ met+ — the paper's is ``--counts 34,8,22,17`` (OR 3.284). Writes, in DIR:
``bias.csv`` (observed, simple and probabilistic corrections, tipping points),
``bias_grid.csv`` and ``bias_grid.png`` (corrected OR over SE x SP),
``evalues.csv``, ``power.csv``, ``report.md``, ``report.html``
(docs/cohort-bias.md).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from cohort.bias.analysis import AdjustedOR, run_bias_analysis, write_bias_outputs
from cohort.bias.counts import Accuracy, BetaPrior, parse_counts
from cohort.bias.power import cohort_model, model_from_counts
from cohort.bias.probabilistic import Priors
from cohort.bias.report import add_bias_section, headline_sentence
from cohort.bias.sources import read_accuracy
from cohort.records import RecordsError, load_records
from cohort.report import Document

__all__ = ["add_parser", "run", "MIN_DRAWS"]

log = logging.getLogger(__name__)

#: The fewest draws the command accepts for the probabilistic analysis (issue 16).
MIN_DRAWS = 10_000
#: The most (a few arrays of this length are held in memory).
MAX_DRAWS = 5_000_000


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "bias", help="misclassification-corrected odds ratio, E-values and power for an MC x metastasis table",
        description=__doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: cohort bias --counts 34,8,22,17 --se 0.9 --sp 0.95 --se-beta 41,3 --sp-beta 45,5 -o bias",
    )
    parser.add_argument("--counts", required=True, help="MC− met−, MC− met+, MC+ met−, MC+ met+ (e.g. 34,8,22,17)")
    parser.add_argument("--se", type=float, help="sensitivity of the MC reading (non-differential)")
    parser.add_argument("--sp", type=float, help="specificity of the MC reading (non-differential)")
    for group, words in (("cases", "metastasis-positive"), ("controls", "metastasis-negative")):
        parser.add_argument(f"--se-{group}", type=float, help=f"sensitivity among {words} patients (differential)")
        parser.add_argument(f"--sp-{group}", type=float, help=f"specificity among {words} patients (differential)")
    parser.add_argument("--se-beta", help="beta distribution 'alpha,beta' of SE for the probabilistic analysis")
    parser.add_argument("--sp-beta", help="beta distribution 'alpha,beta' of SP")
    parser.add_argument("--se-beta-controls", help="SE distribution among metastasis-negative patients (differential)")
    parser.add_argument("--sp-beta-controls", help="SP distribution among metastasis-negative patients (differential)")
    parser.add_argument("--accuracy", type=Path,
                        help="SE/SP with counts: metrics.json of `calcdetect evaluate`, or a CSV/JSON with se, sp "
                             "and/or tp, fn, tn, fp (e.g. a reader review summary)")
    parser.add_argument("--draws", type=int, default=20_000, help=f"probabilistic draws (>= {MIN_DRAWS}; default 20000)")
    parser.add_argument("--seed", type=int, default=20250411, help="seed of the draws and simulations")
    parser.add_argument("--adjusted-or", help="an adjusted OR 'OR,LOW,HIGH' (e.g. stage-adjusted) for its E-value")
    parser.add_argument("--records", type=Path,
                        help="patient records with stage (e.g. data/cohort/records.csv) for the power of the "
                             "stage-adjusted OR; without them only the crude power is computed")
    parser.add_argument("--power-simulations", type=int, default=2000, help="simulated studies per N (default 2000)")
    parser.add_argument("-o", "--output", type=Path, default=Path("cohort-bias"), help="folder to write (default cohort-bias)")
    parser.set_defaults(run=run)
    return parser


def _accuracy_and_priors(args: argparse.Namespace) -> tuple[Accuracy | None, Priors | None, str]:
    diff = [args.se_cases, args.sp_cases, args.se_controls, args.sp_controls]
    if any(v is not None for v in diff) and (args.se is not None or args.sp is not None):
        raise ValueError("give either --se/--sp (non-differential) or --se-cases/--sp-cases/--se-controls/--sp-controls")
    if any(v is not None for v in diff) and not all(v is not None for v in diff):
        raise ValueError("differential misclassification needs all four of --se-cases --sp-cases --se-controls --sp-controls")
    if (args.se is None) != (args.sp is None):
        raise ValueError("give both --se and --sp")
    accuracy, priors = None, None
    source = "given on the command line"
    if args.accuracy is not None:
        measured = read_accuracy(args.accuracy)
        accuracy, priors, source = measured.accuracy, measured.priors, measured.accuracy.source
    if args.se is not None:
        accuracy = Accuracy.nondifferential(args.se, args.sp, source="given on the command line")
    elif all(v is not None for v in diff):
        accuracy = Accuracy(*diff[:2], *diff[2:], source="given on the command line")
    if (args.se_beta is None) != (args.sp_beta is None):
        raise ValueError("give both --se-beta and --sp-beta")
    if args.se_beta is not None:
        priors = Priors(
            BetaPrior.parse(args.se_beta), BetaPrior.parse(args.sp_beta),
            None if args.se_beta_controls is None else BetaPrior.parse(args.se_beta_controls),
            None if args.sp_beta_controls is None else BetaPrior.parse(args.sp_beta_controls),
            source="given on the command line")
    elif args.se_beta_controls is not None or args.sp_beta_controls is not None:
        raise ValueError("--se-beta-controls/--sp-beta-controls need --se-beta and --sp-beta (the metastasis-positive ones)")
    if accuracy is None and priors is None:
        raise ValueError("say how accurate the MC reading is: --se/--sp, the four differential values, "
                         "--se-beta/--sp-beta, or --accuracy FILE")
    if args.accuracy is not None and (args.se is not None or args.se_beta is not None):
        source = f"command line, and {source} for what the command line did not give"
    return accuracy, priors, source


def _adjusted(text: str | None) -> list[AdjustedOR]:
    if text is None:
        return []
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 3 or not (0 < values[1] <= values[0] <= values[2]):
        raise ValueError(f"--adjusted-or needs 'OR,LOW,HIGH' with 0 < LOW <= OR <= HIGH, got {text!r}")
    return [AdjustedOR("stage-adjusted (given)", *values)]


def _power_model(records: Path | None, observed):
    """The cohort the power is simulated from, or ``None`` and why (logged) when no model can be fitted."""
    frame = load_records(records).records if records is not None else None  # a bad file is an error
    try:
        return (cohort_model(frame) if frame is not None else model_from_counts(observed)), ""
    except ValueError as exc:
        log.warning("power not computed: %s", exc)
        return None, f"power not computed: {exc}"


def run(args: argparse.Namespace) -> int:
    """Run ``cohort bias``; 0 on success, 2 when the inputs cannot be used (message logged)."""
    try:
        if not MIN_DRAWS <= args.draws <= MAX_DRAWS:
            raise ValueError(f"--draws must be between {MIN_DRAWS} (a stable probabilistic analysis) and {MAX_DRAWS}, "
                             f"got {args.draws}")
        if not 100 <= args.power_simulations <= 100_000:
            raise ValueError(f"--power-simulations must be between 100 and 100000, got {args.power_simulations}")
        observed = parse_counts(args.counts)
        accuracy, priors, source = _accuracy_and_priors(args)
        adjusted = _adjusted(args.adjusted_or)
        model, power_note = _power_model(args.records, observed)
        result = run_bias_analysis(observed, accuracy=accuracy, priors=priors, n_draws=args.draws, seed=args.seed,
                                   adjusted=adjusted, model=model, power_simulations=args.power_simulations,
                                   source=source, power_note=power_note)
        write_bias_outputs(result, args.output)
        doc = Document("How much of the association is the detector's?")
        doc.paragraph(f"Table (MC− met−, MC− met+, MC+ met−, MC+ met+): {observed.as_text()}"
                      + (f"; power from the records in {args.records}" if args.records else ""))
        add_bias_section(doc, result, title="Bias analysis")
        doc.write(args.output)
    except (RecordsError, ValueError, OSError) as exc:
        log.error("cohort bias: %s", exc)
        return 2
    print(_summary(result, args.output))
    return 0


def _summary(result, out: Path) -> str:
    lines = [headline_sentence(result)]
    if result.simple is not None:
        s = result.simple
        lines.append(f"Simple ({result.accuracy.describe()}): " + (
            f"corrected OR {s.odds_ratio:.3f} (95% CI {s.ci_low:.3f}–{s.ci_high:.3f})" if s.possible else s.reason))
    if result.probabilistic is not None:
        for summ in (result.probabilistic.systematic, result.probabilistic.total):
            lines.append(f"{summ.analysis}: median OR {summ.median:.3f} ({summ.low:.3f}–{summ.high:.3f}), "
                         f"{summ.n_impossible} of {summ.n_draws} draws impossible")
    e = result.evalues[0]
    lines.append(f"E-value (crude, {e.conversion} conversion): {e.evalue_estimate:.2f}, CI limit {e.evalue_ci:.2f}"
                 if e.conversion else f"E-value (crude): {e.conversion_note}")
    lines.append(f"Outputs in {out}")
    return "\n".join(lines)
