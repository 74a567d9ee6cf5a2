"""Where the sensitivity and specificity come from: files written by other tools.

``--accuracy FILE`` accepts

* ``metrics.json`` of ``calcdetect evaluate OUT --truth PHANTOMS``: its
  patient-level confusion counts (``patient.n_tp``, ``n_fn``, ``n_tn``, ``n_fp``)
  measured on phantoms;
* a JSON object or a one-row CSV with ``se`` and ``sp`` and/or the counts
  ``tp, fn, tn, fp`` (also spelled ``n_tp`` ... or ``sensitivity`` /
  ``specificity``) — e.g. the summary of a reader's review of the detector's
  calls (``calcdetect review --summary``, being built; any tool that writes
  these columns works). An optional ``source`` field says what it is.

With counts, SE = TP / (TP + FN), SP = TN / (TN + FP), and the probabilistic
analysis draws SE ~ Beta(TP + 1, FN + 1), SP ~ Beta(TN + 1, FP + 1).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cohort.bias.counts import Accuracy, BetaPrior
from cohort.bias.probabilistic import Priors

__all__ = ["MeasuredAccuracy", "read_accuracy", "accuracy_from_counts"]


@dataclass(frozen=True)
class MeasuredAccuracy:
    """Point SE/SP and, when counts are known, beta priors for the probabilistic analysis."""

    accuracy: Accuracy
    priors: Priors | None


def accuracy_from_counts(tp: int, fn: int, tn: int, fp: int, *, source: str) -> MeasuredAccuracy:
    """SE/SP and Beta(count + 1) priors from confusion counts (the reading vs the reference)."""
    counts = tuple(int(v) for v in (tp, fn, tn, fp))
    if any(v < 0 for v in counts):
        raise ValueError(f"confusion counts must not be negative, got tp, fn, tn, fp = {counts}")
    if counts[0] + counts[1] == 0 or counts[2] + counts[3] == 0:
        raise ValueError(f"sensitivity needs reference positives and specificity reference negatives, got tp, fn, tn, fp = {counts}")
    se = counts[0] / (counts[0] + counts[1])
    sp = counts[2] / (counts[2] + counts[3])
    acc = Accuracy.nondifferential(se, sp, source=source, counts=counts)
    priors = Priors(BetaPrior.from_counts(counts[0], counts[1]), BetaPrior.from_counts(counts[2], counts[3]),
                    source=source)
    return MeasuredAccuracy(acc, priors)


_ALIASES = {
    "tp": ("tp", "n_tp", "true_positives"), "fn": ("fn", "n_fn", "false_negatives"),
    "tn": ("tn", "n_tn", "true_negatives"), "fp": ("fp", "n_fp", "false_positives"),
    "se": ("se", "sensitivity"), "sp": ("sp", "specificity"),
}


def _pick(mapping: dict, key: str):
    for name in _ALIASES[key]:
        if name in mapping and mapping[name] is not None and not (isinstance(mapping[name], float) and math.isnan(mapping[name])):
            return mapping[name]
    return None


def _from_mapping(values: dict, source: str) -> MeasuredAccuracy:
    counts = [_pick(values, k) for k in ("tp", "fn", "tn", "fp")]
    if all(v is not None for v in counts):
        return accuracy_from_counts(*(int(v) for v in counts), source=source)
    se, sp = _pick(values, "se"), _pick(values, "sp")
    if se is None or sp is None:
        raise ValueError(
            f"{source}: no sensitivity/specificity found; give 'se' and 'sp' or the counts 'tp, fn, tn, fp'"
        )
    return MeasuredAccuracy(Accuracy.nondifferential(float(se), float(sp), source=source), None)


def read_accuracy(path: str | Path) -> MeasuredAccuracy:
    """Read SE/SP (and counts) from ``metrics.json`` of ``calcdetect evaluate`` or a CSV/JSON summary.

    Raises
    ------
    ValueError
        The file has no usable sensitivity/specificity (the message says what it needs).
    """
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"--accuracy file not found: {p}")
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p} is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError(f"{p}: expected a JSON object with se/sp or tp/fn/tn/fp")
        if isinstance(data.get("patient"), dict) and _pick(data["patient"], "tp") is not None:
            source = f"calcdetect evaluate on phantoms, patient level ({p.name})"
            return _from_mapping(data["patient"], source)
        return _from_mapping(data, str(data.get("source") or f"measured ({p.name})"))
    try:
        frame = pd.read_csv(p)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{p} is not a readable CSV: {exc}") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if len(frame) != 1:
        raise ValueError(f"{p}: expected one row of se/sp or tp/fn/tn/fp, got {len(frame)} rows")
    row = frame.iloc[0].to_dict()
    return _from_mapping(row, str(row.get("source") or f"measured ({p.name})"))
