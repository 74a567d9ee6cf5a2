"""``make demo``: the whole job end to end on the bundled study reconstruction.

1. one synthetic patient per record of ``data/cohort/records.csv`` (CC + MLO of
   the index breast, clusters exactly where the record says microcalcification
   is present) — cached, a second run reuses it;
2. ``calcdetect scan`` with overlays and the HTML index;
3. ``cohort analyze`` with the records and the *detected* flags, and
   ``cohort reproduce``;
4. a summary a person can read in ten seconds.

Run from a clone: ``python scripts/demo.py [--out demo-output]`` (``make demo``).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import pandas as pd


__all__ = ["main"]

log = logging.getLogger(__name__)

_REPO_ROOT = Path(__file__).resolve().parents[1]
_DEFAULT_RECORDS = _REPO_ROOT / "data" / "cohort" / "records.csv"


def _make_phantoms(records_csv: Path, phantom_dir: Path, *, seed: int, preset: str, workers: int) -> float:
    """Generate the cohort phantoms unless a completed set is already there."""
    from calcdetect.phantom import write_cohort_phantoms

    # beside the folder, not in it: everything inside the folder is an input of the scan
    done_marker = phantom_dir.with_name(phantom_dir.name + ".complete.json")
    wanted = {"records": str(records_csv), "seed": seed, "preset": preset,
              "records_mtime_ns": records_csv.stat().st_mtime_ns}
    if done_marker.exists() and json.loads(done_marker.read_text()) == wanted:
        print(f"[1/4] phantoms: reusing {phantom_dir}")
        return 0.0
    print(f"[1/4] phantoms: generating one patient per record of {records_csv.name} ({preset} preset)...")
    started = time.perf_counter()
    write_cohort_phantoms(phantom_dir, records_csv, seed=seed, preset=preset, workers=workers,
                          reuse_existing=True)
    done_marker.write_text(json.dumps(wanted))
    return time.perf_counter() - started


def _run_cli(main, argv: list[str], what: str) -> int:
    status = main(argv)
    if status not in (0, 3):
        raise SystemExit(f"demo: {what} failed with exit status {status}; see the messages above")
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the exit status."""
    parser = argparse.ArgumentParser(prog="python scripts/demo.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    parser.add_argument("--records", type=Path, default=_DEFAULT_RECORDS)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--preset", default="demo-mix",
                        help="phantom preset (default: a mix of vendor-like presets at the demo matrix size)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from calcdetect import cli as calcdetect_cli
    from cohort import cli as cohort_cli

    started = time.perf_counter()
    out: Path = args.out
    phantom_dir, scan_dir = out / "phantoms", out / "scan"
    analysis_dir, reproduce_dir = out / "analysis", out / "reproduce"
    out.mkdir(parents=True, exist_ok=True)

    t_generate = _make_phantoms(args.records, phantom_dir, seed=args.seed, preset=args.preset,
                                workers=args.workers)

    print(f"[2/4] calcdetect scan {phantom_dir} -o {scan_dir} --workers {args.workers}")
    t0 = time.perf_counter()
    _run_cli(calcdetect_cli.main,
             ["scan", str(phantom_dir), "-o", str(scan_dir), "--workers", str(args.workers)], "scan")
    t_scan = time.perf_counter() - t0

    print(f"[3/4] cohort analyze --records {args.records.name} --flags {scan_dir / 'patients.csv'}")
    _run_cli(cohort_cli.main, ["analyze", "--records", str(args.records),
                               "--flags", str(scan_dir / "patients.csv"), "-o", str(analysis_dir)], "analyze")
    print("[4/4] cohort reproduce")
    _run_cli(cohort_cli.main, ["reproduce", "-o", str(reproduce_dir)], "reproduce")

    _print_summary(args.records, scan_dir, analysis_dir, reproduce_dir,
                   seconds={"generate": t_generate, "scan": t_scan, "total": time.perf_counter() - started})
    return 0


def _detected_table(table3: pd.DataFrame) -> tuple[tuple[tuple[int, int], tuple[int, int]], str]:
    """MC (detected) x bone metastasis as ``cohort analyze`` wrote it in table3.csv, and its OR line."""
    mc = table3[table3["variable"].eq("microcalcification")].set_index("level")
    counts = tuple((int(mc.loc[level, "n_negative"]), int(mc.loc[level, "n_positive"]))
                   for level in ("negative", "positive"))
    row = mc.loc["negative"]
    if pd.isna(row["odds_ratio"]):
        or_text = "OR N/A (a zero cell)"
    else:
        or_text = (f"OR {row['odds_ratio']:.3f} (95% CI {row['ci_low']:.3f}-{row['ci_high']:.3f}), "
                   f"p {row['p_value']:.3f} [{row['test']}]")
    return counts, or_text  # type: ignore[return-value]


def _sr_has_clusters(path: Path) -> bool:
    """Whether a CAD SR reports at least one calcification cluster."""
    from calcdetect.sr import read_cad_sr

    return bool(read_cad_sr(path).clusters)


def _print_summary(records_csv: Path, scan_dir: Path, analysis_dir: Path, reproduce_dir: Path,
                   *, seconds: dict[str, float]) -> None:
    from cohort.join import join_records
    from cohort.published import format_headline, headline
    from cohort.records import load_records

    paper = headline()
    images = pd.read_csv(scan_dir / "images.csv")
    errors = pd.read_csv(scan_dir / "errors.csv")
    joined = join_records(load_records(records_csv), scan_dir / "patients.csv")
    agree = joined.agreement
    # the numbers of the report itself, not a second computation of them
    detected, or_text = _detected_table(pd.read_csv(analysis_dir / "table3.csv"))

    adjusted_line = f"see {analysis_dir / 'adjusted.csv'}"
    adjusted = pd.read_csv(analysis_dir / "adjusted.csv")
    mh = adjusted[adjusted["analysis"].eq("mantel-haenszel")]
    if not mh.empty:
        row = mh.iloc[0]
        adjusted_line = (f"Mantel-Haenszel OR {row['odds_ratio']:.3f} "
                         f"(95% CI {row['ci_low']:.3f}-{row['ci_high']:.3f}), p {row['p_value']:.3f}")
    audit = json.loads((reproduce_dir / "audit.json").read_text())
    n_discrepancies = audit["n_discrepancies"]
    srs = sorted((scan_dir / "sr").rglob("*.dcm"))
    n_srs, n_studies_with_clusters = len(srs), sum(_sr_has_clusters(p) for p in srs)

    print()
    print("=" * 76)
    print("calcdetect demo: synthetic phantoms of a reconstructed cohort (not patients)")
    print(f"images analysed {len(images)}, skipped {len(errors)}; patients {len(joined.data)} joined; "
          f"positive images {int(images['flag'].eq('positive').sum())}")
    print(f"Mammography CAD SRs written {n_srs} (one per study, {n_studies_with_clusters} with clusters) "
          f"in {scan_dir / 'sr'}")
    print(f"detector vs truth per patient: sensitivity {agree.sensitivity:.3f} "
          f"({agree.both_positive}/{agree.both_positive + agree.radiologist_only}), "
          f"specificity {agree.specificity:.3f} ({agree.both_negative}/{agree.both_negative + agree.detector_only}), "
          f"kappa {agree.kappa:.3f}")
    print("microcalcification x bone metastasis       detected flags    paper")
    for label, det_row, paper_row in zip(("negative", "positive"), detected, paper.counts):
        print(f"  MC {label}: metastasis no / yes       {det_row[0]:>3} / {det_row[1]:<3}         "
              f"{paper_row[0]} / {paper_row[1]}")
    print(f"  detected: {or_text}")
    print(f"  paper:    {format_headline(paper, dash='-')}")
    print(f"stage-adjusted (detected flags): {adjusted_line}")
    print(f"numbers in the paper that do not add up: {n_discrepancies} (see {reproduce_dir / 'audit.md'})")
    print(f"report:   {analysis_dir / 'report.html'}")
    print(f"overlays: {scan_dir / 'overlays' / 'index.html'}")
    print(f"time: generate {seconds['generate']:.0f} s, scan {seconds['scan']:.0f} s, "
          f"total {seconds['total']:.0f} s")
    print("=" * 76)


if __name__ == "__main__":
    sys.exit(main())
