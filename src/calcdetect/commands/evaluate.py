"""``calcdetect evaluate OUT --truth PHANTOM_DIR [-o EVAL_DIR]``: score a scan against phantom truth.

Reads the tables of a ``calcdetect scan`` output folder (``docs/outputs.md``)
and the ``*.truth.json`` files of the phantoms (``docs/phantom-truth.md``),
runs :func:`calcdetect.evaluation.scoring.evaluate` and writes, in ``EVAL_DIR``
(default ``OUT/evaluation``):

* ``metrics.json``: headline numbers; the primary figures on *visible*
  clusters and the issue-12 targets, met or not (``targets``), subtle clusters
  separately, hits on occult clusters neither counted nor penalised
  (``visibility``); the all-cluster figures and issue-4 targets as the
  secondary line (``clusters``, ``targets_issue4``);
* ``froc_clusters.csv/.png`` (visible, subtle and all clusters),
  ``froc_clusters_visible.csv``, ``froc_clusters_subtle.csv``,
  ``froc_calcifications.csv/.png``;
* ``roc_image.png`` (image and patient ROC), ``roc_image.csv``, ``roc_patient.csv``;
* ``breakdown_<name>.csv`` (sensitivity by size, SNR, contrast, shape, density,
  preset, morphology; false flags by distractor kind);
* ``cluster_matches.csv``, ``calcification_matches.csv``, ``images.csv``,
  ``patients.csv``: one row per object, with its outcome.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from calcdetect.atomic import atomic_write, atomic_write_text
from calcdetect.csvtext import frame_csv_text
from calcdetect.evaluation.scoring import EvaluationResult, evaluate
from calcdetect.evaluation.froc import FrocCurve
from calcdetect.evaluation.truth_files import read_scan_output, read_truth_dir

__all__ = ["add_parser", "run", "write_evaluation"]

log = logging.getLogger(__name__)

def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "evaluate",
        help="score a scan output folder against phantom ground truth (FROC, ROC, breakdowns)",
        description=__doc__.split("\n\n")[1],
    )
    parser.add_argument("out", type=Path, help="output folder of `calcdetect scan`")
    parser.add_argument("--truth", type=Path, required=True, help="folder holding the phantoms' *.truth.json")
    parser.add_argument("-o", "--output", type=Path, default=None, help="where to write (default OUT/evaluation)")
    parser.add_argument(
        "--threshold", type=float, default=None,
        help="image score threshold of the operating point, for every image (default: each image's own, "
             "images.csv's threshold column; for older scans run.json's image_threshold, "
             "else the lowest score of a flagged image)",
    )  # fmt: skip
    parser.add_argument("--calcification-score", default="snr", help="calcifications.csv column the FROC sweeps")
    parser.add_argument("--min-diameter-mm", type=float, default=0.2, help="size of interest for calcifications")
    parser.set_defaults(run=run)
    return parser


def _find_key(obj: object, key: str) -> object | None:
    """First value of ``key`` anywhere in nested dicts (run.json layout is the scan's choice)."""
    if isinstance(obj, Mapping):
        if key in obj:
            return obj[key]
        for v in obj.values():
            found = _find_key(v, key)
            if found is not None:
                return found
    return None


def _json_safe(obj: object) -> object:
    if isinstance(obj, Mapping):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    atomic_write_text(path, frame_csv_text(df))


def _froc_table(curve: FrocCurve) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "threshold": curve.thresholds,
            "n_fp": curve.n_fp,
            "fp_per_image": curve.fp_per_image,
            "fp_per_cm2": curve.fp_per_cm2,
            "sensitivity": curve.sensitivity,
        }
    )


def _figure():
    # Figure without pyplot: no global state, no GUI backend needed
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.8), dpi=100)
    return fig, fig.add_subplot(1, 1, 1)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    atomic_write(path, lambda p: fig.savefig(p, format="png"))


def _plot_froc(curves: Mapping[str, FrocCurve], path: Path, *, title: str, per_cm2: bool = False) -> None:
    fig, ax = _figure()
    for label, c in curves.items():
        x = c.fp_per_cm2 if per_cm2 else c.fp_per_image
        ax.step(x, c.sensitivity, where="post", label=f"{label} (n={c.n_truth})")
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set_xlabel("false positives per cm² of breast" if per_cm2 else "false positives per image")
    ax.set_ylabel("sensitivity")
    ax.set_ylim(-0.02, 1.02)
    ax.grid(True, alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    _save(fig, path)


def write_evaluation(
    result: EvaluationResult,
    eval_dir: Path,
    *,
    references: Mapping[str, EvaluationResult] | None = None,
    extra_metrics: Mapping[str, object] | None = None,
) -> dict:
    """Write every file of an evaluation folder; return the metrics written to ``metrics.json``.

    Parameters
    ----------
    result : EvaluationResult
        The detector under test.
    eval_dir : Path
    references : mapping of name to EvaluationResult, optional
        Other detectors scored on the same truth (e.g. the naive reference);
        their curves are drawn beside the detector's and their summaries go
        under ``"references"`` in ``metrics.json``.
    extra_metrics : mapping, optional
        More entries for ``metrics.json`` (e.g. how the phantoms were made).
    """
    eval_dir = Path(eval_dir)
    eval_dir.mkdir(parents=True, exist_ok=True)
    references = dict(references or {})
    metrics = {"detector": result.summary()}
    if references:
        metrics["references"] = {k: r.summary() for k, r in references.items()}
    metrics.update(extra_metrics or {})
    metrics = _json_safe(metrics)
    atomic_write(eval_dir / "metrics.json", lambda p: p.write_text(json.dumps(metrics, indent=2) + "\n"))

    _write_froc_tables(result, references, eval_dir)
    _plot_curves(result, references, eval_dir)
    _write_result_tables(result, eval_dir)
    return metrics


def _write_froc_tables(result: EvaluationResult, references: Mapping[str, EvaluationResult], eval_dir: Path) -> None:
    """``froc_*.csv``: the cluster FROC (all, and per visibility class), the calcification FROC, the references'."""
    _write_csv(_froc_table(result.cluster_froc), eval_dir / "froc_clusters.csv")
    for cls, fig in result.visibility_figures.items():
        _write_csv(_froc_table(fig.cluster_froc), eval_dir / f"froc_clusters_{cls}.csv")
    calc = _froc_table(result.calcification_froc).rename(columns={"sensitivity": "sensitivity_all"})
    calc[f"sensitivity_min_{result.min_diameter_mm:g}mm"] = result.calcification_froc_min_size.sensitivity
    _write_csv(calc, eval_dir / "froc_calcifications.csv")
    for name, r in references.items():
        _write_csv(_froc_table(r.cluster_froc), eval_dir / f"froc_clusters_{name}.csv")
        _write_csv(_froc_table(r.calcification_froc_min_size), eval_dir / f"froc_calcifications_{name}.csv")


def _plot_curves(result: EvaluationResult, references: Mapping[str, EvaluationResult], eval_dir: Path) -> None:
    """``froc_clusters.png``, ``froc_calcifications.png`` and ``roc_image.png`` (with the ROC tables)."""
    _plot_froc(
        {**{f"detector, {c} clusters": f.cluster_froc for c, f in result.visibility_figures.items()
            if f.cluster_froc.n_truth},
         "detector, all clusters": result.cluster_froc,
         **{f"{k}, all clusters": r.cluster_froc for k, r in references.items()}},
        eval_dir / "froc_clusters.png",
        title="Cluster FROC (a hit on another class counts neither way)",
    )
    _plot_froc(
        {
            f"detector, ≥{result.min_diameter_mm:g} mm": result.calcification_froc_min_size,
            "detector, all sizes": result.calcification_froc,
            **{f"{k}, ≥{r.min_diameter_mm:g} mm": r.calcification_froc_min_size for k, r in references.items()},
        },
        eval_dir / "froc_calcifications.png",
        title="Calcification FROC",
        per_cm2=True,
    )
    fig, ax = _figure()
    vis_rocs = [(f"image, {c} vs negative", f.image_roc) for c, f in result.visibility_figures.items()
                if f.image_roc.n_positive and f.image_roc.n_negative]
    for label, roc in vis_rocs + [("image, all", result.image_roc), ("patient, all", result.patient_roc)] + [
        (f"{k} image", r.image_roc) for k, r in references.items()
    ]:
        # straight segments: a tie between a positive and a negative moves diagonally
        ax.plot(roc.fpr, roc.tpr, label=f"{label} (AUC {roc.auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.5)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title("ROC")
    ax.legend(loc="lower right", fontsize="small")
    _save(fig, eval_dir / "roc_image.png")
    for name, roc in (("image", result.image_roc), ("patient", result.patient_roc)):
        _write_csv(pd.DataFrame({"threshold": roc.thresholds, "fpr": roc.fpr, "tpr": roc.tpr}), eval_dir / f"roc_{name}.csv")


def _write_result_tables(result: EvaluationResult, eval_dir: Path) -> None:
    """The breakdowns, the matches and the per-image/patient/truth-cluster tables as CSV."""
    for name, table in result.breakdowns.items():
        _write_csv(table, eval_dir / f"breakdown_{name}.csv")
    _write_csv(result.cluster_matches, eval_dir / "cluster_matches.csv")
    _write_csv(result.calcification_matches, eval_dir / "calcification_matches.csv")
    _write_csv(result.images, eval_dir / "images.csv")
    _write_csv(result.patients, eval_dir / "patients.csv")
    _write_csv(result.truth_clusters.drop(columns=["hull_rc"]), eval_dir / "truth_clusters.csv")


def run(args: argparse.Namespace) -> int:
    """Evaluate ``args.out`` against ``args.truth``; 0 on success, 2 when it cannot."""
    from calcdetect.exit_status import EXIT_FATAL, EXIT_OK

    try:
        detections, run_info = read_scan_output(args.out)
        truth = read_truth_dir(args.truth)
    except (FileNotFoundError, ValueError) as exc:
        log.error("%s", exc)
        print(f"calcdetect evaluate: {exc}")
        return EXIT_FATAL
    threshold = args.threshold
    if threshold is None and "threshold" not in detections.images.columns:  # a scan from before per-model thresholds
        found = _find_key(run_info, "image_threshold")
        threshold = float(found) if isinstance(found, (int, float)) else None
    try:
        result = evaluate(
            detections,
            truth,
            operating_threshold=threshold,
            calcification_score=args.calcification_score,
            min_diameter_mm=args.min_diameter_mm,
        )
    except ValueError as exc:
        print(f"calcdetect evaluate: {exc}")
        return EXIT_FATAL
    eval_dir = args.output if args.output is not None else Path(args.out) / "evaluation"
    metrics = write_evaluation(result, eval_dir)
    d = metrics["detector"]
    def fmt(value) -> str:  # None where a metric is undefined (e.g. no true cluster)
        return "n/a" if value is None else f"{value:.3f}"

    v = d["visibility"]
    counts = ", ".join(f"{k} {n}" for k, n in v["counts"].items() if n)
    print(
        f"{d['n_images']} images ({d['n_missing_images']} missing from the scan); clusters: {counts or 'none'}\n"
        f"visible clusters: sensitivity at 0.1 FP/image {fmt(v['visible']['cluster_sensitivity_at_fp_per_image']['0.1'])}, "
        f"image AUC {fmt(v['visible']['image']['auc'])}, patient sensitivity {fmt(v['visible']['patient']['sensitivity'])}; "
        f"subtle: sensitivity at 0.1 FP/image {fmt(v['subtle']['cluster_sensitivity_at_fp_per_image']['0.1'])}\n"
        f"all clusters (secondary): sensitivity at 0.1 FP/image "
        f"{fmt(d['clusters']['sensitivity_at_fp_per_image']['0.1'])}, image AUC {fmt(d['image']['auc'])}; "
        f"patient specificity {fmt(d['patient']['specificity'])}, accuracy {fmt(d['patient']['accuracy'])}\n"
        f"issue-12 targets met: {sum(t['met'] is True for t in d['targets'].values())} of "
        f"{sum(t['met'] is not None for t in d['targets'].values())} measurable; written to {eval_dir}"
    )
    if v.get("note"):
        print(f"note: {v['note']}")
    return EXIT_OK
