"""Agreement between the detector and the readers, and between readers.

At patient level, on the patients a reader has reviewed (``reviewed_at`` set in
``OUT/review/<reader>/patients.csv``; a patient not yet reviewed carries the
detector's flag and would inflate agreement):

* detector vs each reader, the reader as reference: sensitivity
  TP / (TP + FN), specificity TN / (TN + FP), Cohen's kappa (statsmodels);
  plus the reader's cluster decisions: confirmed, rejected, added, and the
  detector's clusters on reviewed patients left undecided;
* reader vs reader, for every pair: Cohen's kappa on the patients both reviewed.

``summarize`` reads the files; ``agreement`` is pure.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

from calcdetect.atomic import atomic_write_text
from calcdetect.csvtext import frame_csv_text

__all__ = ["Agreement", "agreement", "summarize", "format_summary", "write_summary", "SUMMARY_COLUMNS"]

SUMMARY_COLUMNS = ("comparison", "reference", "other", "n_patients", "both_positive", "other_only",
                   "reference_only", "both_negative", "sensitivity", "specificity", "kappa", "confirmed", "rejected",
                   "added", "undecided")


@dataclass(frozen=True)
class Agreement:
    """Two sets of patient calls, ``reference`` and ``other``.

    ``other_only`` counts patients positive for ``other`` and negative for
    ``reference`` (the other's false positives when the reference is right).
    Sensitivity and specificity are of ``other`` against ``reference``; NaN when
    the reference has no positive (negative) patient; kappa NaN when undefined
    (every call in one category).
    """

    n_patients: int
    both_positive: int
    other_only: int
    reference_only: int
    both_negative: int
    sensitivity: float
    specificity: float
    kappa: float


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


def agreement(reference: Sequence[str], other: Sequence[str]) -> Agreement:
    """Agreement of ``other`` with ``reference`` (``positive``/``negative`` per patient, aligned).

    Examples
    --------
    >>> a = agreement(["positive"] * 25 + ["negative"] * 25,
    ...               ["positive"] * 20 + ["negative"] * 5 + ["positive"] * 10 + ["negative"] * 15)
    >>> a.both_positive, a.reference_only, a.other_only, a.both_negative, round(a.kappa, 3)
    (20, 5, 10, 15, 0.4)
    """
    if len(reference) != len(other):
        raise ValueError(f"the two sets of calls must be aligned, got {len(reference)} and {len(other)}")
    bad = sorted({v for v in (*reference, *other) if v not in ("positive", "negative")})
    if bad:
        raise ValueError(f"a call is 'positive' or 'negative', got {bad}")
    r = np.asarray(reference) == "positive"
    o = np.asarray(other) == "positive"
    tp, fn = int((r & o).sum()), int((r & ~o).sum())
    fp, tn = int((~r & o).sum()), int((~r & ~o).sum())
    kappa = math.nan
    if tp + fn + fp + tn:
        with warnings.catch_warnings():  # statsmodels divides by zero when all calls agree on one category
            warnings.simplefilter("ignore", RuntimeWarning)
            kappa = float(cohens_kappa(np.array([[tp, fn], [fp, tn]], dtype=float)).kappa)
    return Agreement(n_patients=tp + fn + fp + tn, both_positive=tp, other_only=fp, reference_only=fn,
                     both_negative=tn, sensitivity=_ratio(tp, tp + fn), specificity=_ratio(tn, tn + fp),
                     kappa=kappa if math.isfinite(kappa) else math.nan)


def _reader_files(out_dir: Path) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    readers = {}
    for folder in sorted((out_dir / "review").glob("*/")):
        patients, decisions = folder / "patients.csv", folder / "decisions.csv"
        if not patients.is_file():
            continue
        p = pd.read_csv(patients, dtype=str, keep_default_na=False)
        d = (pd.read_csv(decisions, dtype=str, keep_default_na=False) if decisions.is_file()
             else pd.DataFrame(columns=["patient_key", "sop_instance_uid", "cluster_id", "decision"]))
        missing = [c for c in ("patient_key", "flag", "detector_flag", "reviewed_at") if c not in p.columns]
        if missing:
            raise ValueError(f"{patients}: not a reviewed patients.csv (missing columns {missing})")
        readers[folder.name] = (p, d)
    return readers


def summarize(out_dir: str | Path) -> list[dict]:
    """Rows of the agreement summary (:data:`SUMMARY_COLUMNS`) for every reader under ``OUT/review``.

    Raises
    ------
    FileNotFoundError
        No reader has reviewed anything yet.
    """
    out = Path(out_dir)
    readers = _reader_files(out)
    if not readers:
        raise FileNotFoundError(f"no review in {str(out / 'review')!r}: run 'calcdetect review {out}' first")
    clusters_path = out / "clusters.csv"
    clusters = (pd.read_csv(clusters_path, dtype=str, keep_default_na=False) if clusters_path.is_file()
                else pd.DataFrame(columns=["sop_instance_uid", "cluster_id"]))
    images = pd.read_csv(out / "images.csv", dtype=str, keep_default_na=False)[["sop_instance_uid", "patient_key"]]
    clusters = clusters.merge(images, on="sop_instance_uid", how="left")
    rows = []
    for name, (p, d) in readers.items():
        done = p[p.reviewed_at != ""]
        a = agreement(done.flag.tolist(), done.detector_flag.tolist())
        on_done = d[d.patient_key.isin(set(done.patient_key))]
        decided = set(zip(on_done.sop_instance_uid, on_done.cluster_id))
        theirs = clusters[clusters.patient_key.isin(set(done.patient_key))]
        undecided = sum((u, c) not in decided for u, c in zip(theirs.sop_instance_uid, theirs.cluster_id))
        counts = on_done.decision.value_counts()
        rows.append({"comparison": "detector vs reader", "reference": name, "other": "detector", **asdict(a),
                     "confirmed": int(counts.get("confirmed", 0)), "rejected": int(counts.get("rejected", 0)),
                     "added": int(counts.get("added", 0)), "undecided": int(undecided)})
    for (name_a, (pa, _)), (name_b, (pb, _)) in combinations(readers.items(), 2):
        both = pa[pa.reviewed_at != ""].merge(pb[pb.reviewed_at != ""], on="patient_key", suffixes=("_a", "_b"))
        a = agreement(both.flag_a.tolist(), both.flag_b.tolist())
        rows.append({"comparison": "reader vs reader", "reference": name_a, "other": name_b, **asdict(a),
                     "confirmed": "", "rejected": "", "added": "", "undecided": ""})
    return rows


def _num(value: object) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def format_summary(rows: list[dict], *, n_patients: int | None = None) -> str:
    """Plain-text lines of the summary, for the terminal."""
    lines = []
    for r in rows:
        if r["comparison"] == "detector vs reader":
            lines.append(
                f"detector vs {r['reference']} ({r['n_patients']} patient(s) reviewed"
                + (f" of {n_patients}" if n_patients is not None else "") + "): "
                f"sensitivity {_num(r['sensitivity'])} ({r['both_positive']}/{r['both_positive'] + r['reference_only']}), "
                f"specificity {_num(r['specificity'])} ({r['both_negative']}/{r['both_negative'] + r['other_only']}), "
                f"kappa {_num(r['kappa'])}; clusters confirmed {r['confirmed']}, rejected {r['rejected']}, "
                f"added {r['added']}, undecided {r['undecided']}")
        else:
            lines.append(f"{r['reference']} vs {r['other']} ({r['n_patients']} patient(s) reviewed by both): "
                         f"kappa {_num(r['kappa'])}, both positive {r['both_positive']}, both negative "
                         f"{r['both_negative']}, disagree {r['other_only'] + r['reference_only']}")
    return "\n".join(lines)


def write_summary(rows: list[dict], path: str | Path) -> None:
    """Write the rows as CSV (:data:`SUMMARY_COLUMNS`; NaN as empty), atomically."""
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    atomic_write_text(path, frame_csv_text(frame, float_format="%.4f"))
