"""``cohort analyze --records FILE --flags OUT/patients.csv -o REPORT``: the association study.

Loads and validates the clinical records, joins them with the per-patient
flags of ``calcdetect scan`` and writes, in REPORT (docs/outputs.md):
``table1.csv``/``.md``/``.html`` (and 2, 3), ``adjusted.csv``, ``join.csv``,
``excluded.csv``, ``forest.png``, ``report.md``, ``report.html``; with
detector flags also the bias analysis (``bias.csv``, ``bias_grid.csv``,
``bias_grid.png``, ``evalues.csv``, ``power.csv``; docs/cohort-bias.md), with
SE/SP from ``--accuracy FILE`` or the detector's agreement with the records'
radiologist reading.

The microcalcification variable of the tables is the detector's flag
(``--mc-source detector``, the default) or the records' radiologist reading
(``--mc-source radiologist``); the other one is kept as
``microcalcification_radiologist`` / ``microcalcification_detected``, and
their agreement is reported.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from calcdetect.csvtext import write_frame_csv
from cohort.adjusted import adjusted_estimates
from cohort.bias.analysis import write_bias_outputs
from cohort.bias.integrate import detector_bias
from cohort.bias.report import add_bias_section
from cohort.join import DETECTED, join_records
from cohort.published import format_headline
from cohort.published import headline as paper_headline
from cohort.records import RecordsError, load_records
from cohort.report import Document, ForestEntry, forest_entries, forest_plot
from cohort.reviewed import flag_source, reader_agreement
from cohort.tables import table1, table2, table3, to_html, to_markdown

__all__ = ["add_parser", "run", "analyze"]

log = logging.getLogger(__name__)



def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "analyze",
        help="join records with detected flags and write Tables 1-3, adjusted ORs and a report",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("--records", type=Path, required=True, help="clinical records (.csv, .xlsx or .sav)")
    parser.add_argument("--flags", type=Path, default=None,
                        help="patients.csv of `calcdetect scan` (required unless --mc-source radiologist)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="report folder to write")
    parser.add_argument("--mc-source", choices=("detector", "radiologist"), default="detector",
                        help="where the microcalcification variable comes from (default: detector)")
    parser.add_argument("--mapping", type=Path, default=None,
                        help="TOML file mapping your column names and category labels to the schema")
    parser.add_argument("--key-map", type=Path, default=None,
                        help="CSV patient_id,patient_key: explicit keys instead of deriving them")
    parser.add_argument("--pseudonymize-key", default=None,
                        help="the secret `calcdetect scan` used to pseudonymise patient keys")
    parser.add_argument("--accuracy", type=Path, default=None,
                        help="the detector's SE/SP for the bias analysis: metrics.json of `calcdetect evaluate`, or a "
                             "CSV/JSON with se, sp and/or tp, fn, tn, fp (default: agreement with the records' reading)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``cohort analyze``; 0 on success, 2 when the inputs cannot be used (message logged)."""
    if args.flags is None and args.mc_source == "detector":
        log.error("--flags OUT/patients.csv is needed for --mc-source detector (or use --mc-source radiologist)")
        return 2
    try:
        summary = analyze(
            args.records, args.flags, args.output, mc_source=args.mc_source, mapping=args.mapping,
            key_map=args.key_map, pseudonymize_key=args.pseudonymize_key, accuracy=args.accuracy,
        )
    except (RecordsError, ValueError, OSError) as exc:
        log.error("cohort analyze: %s", exc)
        return 2
    print(summary)
    return 0


def analyze(
    records_path: Path, flags_path: Path | None, out_dir: Path, *, mc_source: str = "detector",
    mapping: Path | None = None, key_map: Path | None = None, pseudonymize_key: str | None = None,
    accuracy: Path | None = None,
) -> str:
    """Do the work of ``cohort analyze``; return a one-paragraph summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    loaded = load_records(records_path, schema=mapping)
    write_frame_csv(loaded.excluded_frame(), out / "excluded.csv")
    agreement = None
    join_counts: dict[str, int] = {}
    source = flag_source(flags_path) if flags_path is not None else None  # detector's, or a reader's reviewed file
    if flags_path is not None:
        joined = join_records(loaded, flags_path, pseudonymize_key=pseudonymize_key, mapping=key_map)
        write_frame_csv(joined.join_table, out / "join.csv")
        data, agreement, join_counts = joined.data.copy(), joined.agreement, joined.counts()
        if "microcalcification" in data.columns:
            data = data.rename(columns={"microcalcification": "microcalcification_radiologist"})
    else:
        data = loaded.records.copy()
        if "microcalcification" in data.columns:
            data = data.rename(columns={"microcalcification": "microcalcification_radiologist"})
    has_reading = "microcalcification_radiologist" in data.columns
    if mc_source == "radiologist" and (not has_reading or data["microcalcification_radiologist"].isna().all()):
        raise ValueError("--mc-source radiologist, but the records have no microcalcification reading")
    data["microcalcification"] = data[DETECTED] if mc_source == "detector" else data["microcalcification_radiologist"]
    if data.empty:
        raise ValueError("no patient left to analyse: no record matched a flag row (see join.csv)")

    t1, t2, t3 = table1(data), table2(data), table3(data)
    for t in (t1, t2, t3):
        t.to_csv(out / f"{t.name}.csv")
        (out / f"{t.name}.md").write_text(to_markdown(t), encoding="utf-8")
        (out / f"{t.name}.html").write_text(to_html(t), encoding="utf-8")
    adjusted = adjusted_estimates(data)
    write_frame_csv(adjusted, out / "adjusted.csv")
    extra = [
        ForestEntry(f"MC → metastasis, {r.analysis}", float(r.odds_ratio), float(r.ci_low), float(r.ci_high),
                    "adjusted for stage")
        for r in adjusted.itertuples()
        if r.exposure == "microcalcification" and r.adjusted_for == "stage" and pd.notna(r.odds_ratio)
    ]
    origin = "reader's reviewed calls" if mc_source == "detector" and source and source.reviewed else mc_source
    forest_plot(forest_entries([t2, t3]) + extra, out / "forest.png",
                title=f"Odds ratios (95% CI), microcalcification from the {origin}")

    mc = t3.variable("microcalcification")
    cells = [[int(r.n_negative), int(r.n_positive)] for r in mc.itertuples()]
    head = mc.iloc[0]
    headline = (
        f"OR {head.odds_ratio:.3f} (95% CI {head.ci_low:.3f}–{head.ci_high:.3f}), p {head.p_value:.3f} ({head.test})"
        if pd.notna(head.odds_ratio) else f"OR N/A, p {head.p_value:.3f} ({head.test})"
    )
    doc = _report(loaded, data, mc_source, join_counts, agreement, cells, headline, adjusted, (t1, t2, t3),
                  source=source)
    if mc_source == "detector":  # the detector is not perfect: how much of the association is its?
        bias = detector_bias(cells, data, agreement=agreement, accuracy_file=accuracy, adjusted=adjusted)
        write_bias_outputs(bias, out)
        add_bias_section(doc, bias)
    doc.write(out)
    return (
        f"{len(data)} patients analysed (microcalcification from the {origin}); "
        f"MC x metastasis [[{cells[0][0]}, {cells[0][1]}], [{cells[1][0]}, {cells[1][1]}]] {headline}; "
        f"report in {out / 'report.html'}"
    )


def _report(loaded, data, mc_source, join_counts, agreement, cells, headline, adjusted, tables, *,
            source=None) -> Document:
    doc = Document("Microcalcification and bone metastasis: association study")
    doc.paragraph(
        "Research software, not a medical device. Tables follow the layout of Yulian et al.; "
        "p-values follow the SPSS rule (2 x 2: Fisher's exact test when an expected count is below 5, "
        "else Yates' corrected chi-square; larger tables: Pearson chi-square, or the Fisher-Freeman-Halton "
        "exact test when Cochran's rule fails). Odds ratios: ad/bc of the table as printed, Woolf 95% CI; "
        "a zero cell gives N/A."
    )
    doc.heading("Data")
    items = [
        f"records: {loaded.source}: {len(loaded.records)} usable, {len(loaded.excluded)} excluded (excluded.csv)",
        f"microcalcification variable: {(source.label() if source else 'detector flags (patients.csv)') if mc_source == 'detector' else 'radiologist reading in the records'}",
        f"patients analysed: {len(data)}",
    ]
    if join_counts:
        items.append("join: " + ", ".join(f"{k} {v}" for k, v in join_counts.items()) + " (join.csv)")
    if "is_reconstruction" in data.columns and data["is_reconstruction"].astype(str).str.lower().eq("true").any():
        items.append("these records are a reconstruction from the paper's tables, not real patients")
    doc.bullets(items)
    if agreement is not None:
        who = "reader" if source and source.reviewed else "detector"
        doc.heading("Reader's reviewed calls vs radiologist (records)" if who == "reader" else "Detector vs radiologist")
        doc.table(
            ["n", "both +", f"{who} only", "radiologist only", "both −", "kappa (95% CI)", "sensitivity", "specificity"],
            [[agreement.n, agreement.both_positive, agreement.detector_only, agreement.radiologist_only,
              agreement.both_negative, f"{agreement.kappa:.3f} ({agreement.kappa_ci_low:.3f}–{agreement.kappa_ci_high:.3f})",
              f"{agreement.sensitivity:.3f}", f"{agreement.specificity:.3f}"]],
        )
    doc.heading("Microcalcification and bone metastasis")
    doc.table(
        ["", "metastasis − (this data)", "metastasis + (this data)", "metastasis − (paper)", "metastasis + (paper)"],
        [["microcalcification −", cells[0][0], cells[0][1], *paper_headline().counts[0]],
         ["microcalcification +", cells[1][0], cells[1][1], *paper_headline().counts[1]]],
    )
    doc.paragraph(f"This data: {headline}. Paper: {format_headline(paper_headline())}.")
    doc.heading("Adjusted for stage")
    doc.table(
        ["analysis", "exposure", "adjusted for", "OR", "95% CI", "p", "note"],
        [[r.analysis, r.exposure, r.adjusted_for, r.odds_ratio,
          "" if pd.isna(r.ci_low) else f"{r.ci_low:.3f}–{r.ci_high:.3f}", r.p_value, r.note]
         for r in adjusted.itertuples()],
    )
    for t in tables:
        doc.heading(t.name.replace("table", "Table "))
        doc.study_table(t)
        if t.name == "table3" and source is not None and source.reviewed:
            _reader_agreement(doc, reader_agreement(data), source, data)
    doc.heading("Forest plot")
    doc.image("forest.png", "odds ratios with 95% confidence intervals")
    return doc


def _reader_agreement(doc: Document, a, source, data: pd.DataFrame) -> None:
    """Beside Table 3: how far the reader's reviewed calls moved from the detector's flags."""
    doc.heading("Detector vs reader (calcdetect review)", level=3)
    if a is None or a.n == 0:
        doc.paragraph("The flags file has no detector_flag values for the analysed patients.")
        return
    doc.table(
        ["n", "both +", "detector only", "reader only", "both −", "kappa (95% CI)", "sensitivity", "specificity"],
        [[a.n, a.both_positive, a.detector_only, a.radiologist_only, a.both_negative,
          f"{a.kappa:.3f} ({a.kappa_ci_low:.3f}–{a.kappa_ci_high:.3f})", f"{a.sensitivity:.3f}",
          f"{a.specificity:.3f}"]],
    )
    n_reviewed = int((data["reviewed_at"].astype(str).str.strip() != "").sum()) if "reviewed_at" in data else a.n
    doc.paragraph(f"Source: {source.label()}. The reader reviewed {n_reviewed} of the {len(data)} analysed patients; "
                  "the others keep the detector's flag (so agree with it by construction; 'calcdetect review "
                  "--summary' counts reviewed patients only). Sensitivity and specificity are the detector's, the "
                  "reader's call taken as the reference.")
