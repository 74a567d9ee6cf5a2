"""Join validated clinical records with the per-patient flags of ``calcdetect scan``.

A record's key is :func:`calcdetect.keys.patient_key` of its patient id, with
the same ``pseudonymize_key`` the scan used (so a keyed-hash pseudonym joins
without the raw id ever being written), or the key given for it in an explicit
mapping file (``patient_id,patient_key``). Every record and every flag row ends
up in the join table (``join.csv``) with a status and, when it has no
partner, the reason.

When the records also hold the radiologist's microcalcification reading,
:func:`agreement` compares the detector with it (the radiologist is the
reference): Cohen's kappa (statsmodels) with its 95 % CI, sensitivity and
specificity with Wilson intervals, and the four counts.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.proportion import proportion_confint

from calcdetect.keys import patient_key
from cohort.records import Exclusion, RecordsError, RecordsResult
from cohort.schema import normalize_header

__all__ = [
    "Agreement",
    "JoinResult",
    "JOIN_COLUMNS",
    "DETECTED",
    "read_patients",
    "read_mapping",
    "join_records",
    "agreement",
]

logger = logging.getLogger(__name__)

#: columns of join.csv
JOIN_COLUMNS = ["patient_id", "patient_key", "source_row", "status", "reason"]
#: the column of :attr:`JoinResult.data` that holds the detector's flag
DETECTED = "microcalcification_detected"
_FLAG_COLUMNS = ["patient_key", "flag"]
_STATUSES = ("matched", "record_without_images", "flags_without_record", "excluded_record", "duplicate_key", "no_flag")


@dataclass(frozen=True)
class Agreement:
    """Detector vs radiologist, the radiologist as reference.

    Attributes
    ----------
    n : int
        Patients with both readings.
    both_positive, detector_only, radiologist_only, both_negative : int
        TP, FP, FN, TN.
    kappa, kappa_ci_low, kappa_ci_high : float
        Cohen's kappa and its asymptotic 95 % CI (NaN when undefined, e.g. all
        readings in one category).
    sensitivity, sensitivity_ci_low, sensitivity_ci_high : float
        TP / (TP + FN), Wilson 95 % CI; NaN without radiologist positives.
    specificity, specificity_ci_low, specificity_ci_high : float
        TN / (TN + FP), Wilson 95 % CI; NaN without radiologist negatives.
    n_missing : int
        Joined patients left out because one reading is missing.
    """

    n: int
    both_positive: int
    detector_only: int
    radiologist_only: int
    both_negative: int
    kappa: float
    kappa_ci_low: float
    kappa_ci_high: float
    sensitivity: float
    sensitivity_ci_low: float
    sensitivity_ci_high: float
    specificity: float
    specificity_ci_low: float
    specificity_ci_high: float
    n_missing: int = 0

    def to_dict(self) -> dict[str, float | int]:
        """Plain dict, e.g. for a report."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class JoinResult:
    """Records with their detected flags, and what did not match.

    Attributes
    ----------
    data : DataFrame
        One row per matched patient: the record's columns, ``patient_key``,
        :data:`DETECTED` (``positive``/``negative``) and the scan's
        ``n_images``, ``n_positive_images``, ``n_clusters``, ``max_score`` when present.
    join_table : DataFrame
        The content of ``join.csv`` (:data:`JOIN_COLUMNS`); status is one of
        ``matched``, ``record_without_images``, ``flags_without_record``,
        ``excluded_record``, ``duplicate_key``, ``no_flag``.
    agreement : Agreement or None
        Detector vs the records' ``microcalcification`` column, when it has values.
    """

    data: pd.DataFrame
    join_table: pd.DataFrame
    agreement: Agreement | None

    def counts(self) -> dict[str, int]:
        """Number of join-table rows per status, in a fixed order."""
        vc = self.join_table.status.value_counts()
        return {s: int(vc[s]) for s in _STATUSES if s in vc.index}


def read_patients(path: str | Path) -> pd.DataFrame:
    """Read ``patients.csv`` written by ``calcdetect scan``.

    Raises
    ------
    RecordsError
        Missing file or missing ``patient_key`` / ``flag`` columns.
    """
    try:
        frame = pd.read_csv(path, dtype={"patient_key": str, "flag": str}, keep_default_na=False)
    except FileNotFoundError as exc:
        raise RecordsError(f"flags file not found: {str(path)!r} (run 'calcdetect scan' first)") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise RecordsError(f"{Path(path).name}: cannot read the flags ({exc})") from exc
    missing = [c for c in _FLAG_COLUMNS if c not in frame.columns]
    if missing:
        raise RecordsError(f"{Path(path).name}: not a patients.csv of 'calcdetect scan': missing columns {missing}")
    return frame


def read_mapping(path: str | Path) -> dict[str, str]:
    """Read an explicit ``patient_id -> patient_key`` mapping (CSV with those two columns).

    Raises
    ------
    RecordsError
        Missing columns, or one patient id given two different keys.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except FileNotFoundError as exc:
        raise RecordsError(f"mapping file not found: {str(path)!r}") from exc
    cols = {normalize_header(c): c for c in frame.columns}
    if "patientid" not in cols or "patientkey" not in cols:
        raise RecordsError(f"{Path(path).name}: a mapping needs columns patient_id and patient_key, "
                           f"got {list(frame.columns)}")
    out: dict[str, str] = {}
    for pid, key in zip(frame[cols["patientid"]].str.strip(), frame[cols["patientkey"]].str.strip()):
        if not pid or not key:
            continue
        if pid in out and out[pid] != key:
            raise RecordsError(f"{Path(path).name}: patient id {pid!r} is mapped to two keys, "
                               f"{out[pid]!r} and {key!r}")
        out[pid] = key
    return out


def _flag_level(value: object) -> str | None:
    text = str(value).strip().lower()
    if text in ("positive", "pos", "1", "true", "yes"):
        return "positive"
    if text in ("negative", "neg", "0", "false", "no"):
        return "negative"
    return None


def join_records(
    records: RecordsResult | pd.DataFrame,
    patients: pd.DataFrame | str | Path,
    *,
    pseudonymize_key: str | None = None,
    mapping: Mapping[str, str] | str | Path | None = None,
) -> JoinResult:
    """Join records with the scan's per-patient flags.

    Parameters
    ----------
    records : RecordsResult or DataFrame
        Validated records (a ``patient_id`` column); the exclusions of a
        :class:`~cohort.records.RecordsResult` are listed in the join table too.
    patients : DataFrame or path-like
        ``patients.csv`` of ``calcdetect scan`` (``patient_key``, ``flag``, ...).
    pseudonymize_key : str, optional
        The secret the scan was run with, so the keys are derived the same way.
    mapping : mapping or path-like, optional
        Explicit ``patient_id -> patient_key``; when given, it replaces the
        key derivation (ids missing from it have no images).

    Returns
    -------
    JoinResult

    Examples
    --------
    >>> import pandas as pd
    >>> rec = pd.DataFrame({"patient_id": ["A 1", "B2"], "microcalcification": ["positive", "negative"]})
    >>> flags = pd.DataFrame({"patient_key": ["B2", "C3"], "flag": ["negative", "positive"]})
    >>> join_records(rec, flags).counts()
    {'matched': 1, 'record_without_images': 1, 'flags_without_record': 1}
    """
    excluded: tuple[Exclusion, ...] = ()
    if isinstance(records, RecordsResult):
        excluded = records.excluded
        records = records.records
    if "patient_id" not in records.columns:
        raise ValueError("records need a 'patient_id' column (use cohort.records.load_records)")
    flags = patients if isinstance(patients, pd.DataFrame) else read_patients(patients)
    missing = [c for c in _FLAG_COLUMNS if c not in flags.columns]
    if missing:
        raise ValueError(f"the flags table lacks columns {missing}")
    keys = _KeyRule(mapping if mapping is None or isinstance(mapping, Mapping) else read_mapping(mapping),
                    pseudonymize_key)
    rec = records.copy()
    rec["patient_key"] = [keys.of(p) for p in rec.patient_id]
    usable = _UsableFlags.of(flags, rec)
    rows, matched_idx = _record_rows(rec, usable, keys)
    rows += _orphan_flag_rows(usable, rec)
    rows += [{"patient_id": e.patient_id, "patient_key": keys.of(e.patient_id) if e.patient_id else None,
              "source_row": e.row, "status": "excluded_record", "reason": e.reason} for e in excluded]
    table = pd.DataFrame(rows, columns=JOIN_COLUMNS)
    if len(matched_idx) == 0 and len(rec) and len(flags):
        logger.warning("no record matched any flag row: check the pseudonymize key or the mapping")
    data = _matched_data(rec, matched_idx, usable.by_key)
    agree = None
    if "microcalcification" in data.columns and data["microcalcification"].notna().any():
        agree = agreement(data[DETECTED], data["microcalcification"])
    return JoinResult(data=data, join_table=table, agreement=agree)


@dataclass(frozen=True)
class _KeyRule:
    """How a record's patient id becomes a ``patient_key``: a mapping file, or the shared rule."""

    mapping: Mapping[str, str] | None
    pseudonymize_key: str | None

    def of(self, pid: object) -> str | None:
        if self.mapping is not None:
            return self.mapping.get(str(pid).strip())
        return patient_key(str(pid), pseudonymize_key=self.pseudonymize_key)

    @property
    def how(self) -> str:
        if self.mapping is not None:
            return "the mapping file"
        return "the keyed hash (pseudonymize key)" if self.pseudonymize_key is not None else "patient_key(patient_id)"


@dataclass(frozen=True)
class _UsableFlags:
    """The flag rows whose key is unique, by key; and the keys that are not."""

    keys: pd.Series
    duplicate_flag_keys: frozenset[str]
    duplicate_record_keys: frozenset[str]
    by_key: pd.DataFrame

    @classmethod
    def of(cls, flags: pd.DataFrame, rec: pd.DataFrame) -> _UsableFlags:
        keys = flags.patient_key.astype(str).str.strip()
        dup_flag = frozenset(keys[keys.duplicated(keep=False)])
        rec_keys = rec.patient_key.dropna()
        dup_rec = frozenset(rec_keys[rec_keys.duplicated(keep=False)])
        usable = flags[~keys.isin(dup_flag)].copy()
        usable["patient_key"] = keys[~keys.isin(dup_flag)]
        usable[DETECTED] = usable["flag"].map(_flag_level)
        return cls(keys, dup_flag, dup_rec, usable.set_index("patient_key"))


def _record_rows(rec: pd.DataFrame, usable: _UsableFlags, keys: _KeyRule) -> tuple[list[dict], list]:
    """One join-table row per record, and the index of the matched ones."""
    source_row = rec["source_row"] if "source_row" in rec.columns else pd.Series([None] * len(rec), index=rec.index)
    flag_by_key = usable.by_key
    rows, matched_idx = [], []
    for idx, r in rec.iterrows():
        key = r.patient_key
        base = {"patient_id": r.patient_id, "patient_key": key, "source_row": source_row.get(idx)}
        if key is None:
            rows.append({**base, "status": "record_without_images",
                         "reason": "patient id not in the mapping file"})
        elif key in usable.duplicate_record_keys:
            others = rec.patient_id[rec.patient_key == key].tolist()
            rows.append({**base, "status": "duplicate_key",
                         "reason": f"records {others} all map to key {key!r}; fix the mapping"})
        elif key in usable.duplicate_flag_keys:
            rows.append({**base, "status": "duplicate_key",
                         "reason": f"patients.csv has more than one row with key {key!r}"})
        elif key not in flag_by_key.index:
            rows.append({**base, "status": "record_without_images",
                         "reason": f"no row in patients.csv with key {key!r} (key from {keys.how}); were this "
                                   "patient's images scanned, and with the same pseudonymize key?"})
        elif pd.isna(flag_by_key.loc[key, DETECTED]):
            rows.append({**base, "status": "no_flag",
                         "reason": f"patients.csv gives flag {flag_by_key.loc[key, 'flag']!r}, "
                                   "not positive/negative (all images failed?)"})
        else:
            rows.append({**base, "status": "matched", "reason": ""})
            matched_idx.append(idx)
    return rows, matched_idx


def _orphan_flag_rows(usable: _UsableFlags, rec: pd.DataFrame) -> list[dict]:
    """Flag rows that no record points to."""
    rows = []
    for key in sorted(set(usable.keys) - set(rec.patient_key.dropna())):
        reason = "no clinical record has this key"
        if key in usable.duplicate_flag_keys:
            reason = "patients.csv has more than one row with this key, and no record"
        rows.append({"patient_id": None, "patient_key": key, "source_row": None,
                     "status": "flags_without_record", "reason": reason})
    return rows


def _matched_data(rec: pd.DataFrame, matched_idx: list, flag_by_key: pd.DataFrame) -> pd.DataFrame:
    """The matched records with the detector's (or reader's) call and the scan's counts beside them."""
    data = rec.loc[matched_idx].copy()
    extra = [c for c in ("n_images", "n_positive_images", "n_clusters", "max_score", "detector_flag",
                         "reviewed_at") if c in flag_by_key.columns]  # the last two: calcdetect review
    joined = flag_by_key.loc[data.patient_key, [DETECTED, *extra]].reset_index(drop=True)
    return pd.concat([data.reset_index(drop=True), joined], axis=1)


def agreement(detector: pd.Series, radiologist: pd.Series) -> Agreement:
    """Agreement of the detector's flags with the radiologist's reading.

    Parameters
    ----------
    detector, radiologist : Series
        ``positive`` / ``negative`` per patient (aligned); missing values are
        left out and counted in ``n_missing``.

    Returns
    -------
    Agreement

    Examples
    --------
    >>> import pandas as pd
    >>> a = agreement(pd.Series(["positive"] * 20 + ["negative"] * 10),
    ...               pd.Series(["positive"] * 18 + ["negative"] * 12))
    >>> a.both_positive, a.detector_only, a.radiologist_only, a.both_negative, round(a.sensitivity, 3)
    (18, 2, 0, 10, 1.0)
    """
    d = pd.Series(detector).reset_index(drop=True).map(lambda v: _flag_level(v) if pd.notna(v) else None)
    r = pd.Series(radiologist).reset_index(drop=True).map(lambda v: _flag_level(v) if pd.notna(v) else None)
    ok = d.notna() & r.notna()
    d, r = d[ok], r[ok]
    tp = int(((d == "positive") & (r == "positive")).sum())
    fp = int(((d == "positive") & (r == "negative")).sum())
    fn = int(((d == "negative") & (r == "positive")).sum())
    tn = int(((d == "negative") & (r == "negative")).sum())
    n = tp + fp + fn + tn
    # rows = radiologist (pos, neg), columns = detector (pos, neg)
    table = np.array([[tp, fn], [fp, tn]], dtype=float)
    nan = float("nan")
    kappa = low = high = nan
    if n > 0:
        p_o = (tp + tn) / n
        p_e = ((tp + fn) * (tp + fp) + (fp + tn) * (fn + tn)) / n**2
        if p_e < 1.0:
            with warnings.catch_warnings():
                # tiny tables give a negative variance estimate: the CI is then NaN, not a warning
                warnings.simplefilter("ignore", RuntimeWarning)
                res = cohens_kappa(table)
            kappa, low, high = float(res.kappa), float(res.kappa_low), float(res.kappa_upp)
        elif p_o == 1.0:
            kappa = nan  # every reading in one category: kappa is 0/0
    sens = sl = sh = spec = spl = sph = nan
    if tp + fn:
        sens = tp / (tp + fn)
        sl, sh = (float(x) for x in proportion_confint(tp, tp + fn, alpha=0.05, method="wilson"))
    if tn + fp:
        spec = tn / (tn + fp)
        spl, sph = (float(x) for x in proportion_confint(tn, tn + fp, alpha=0.05, method="wilson"))
    return Agreement(n, tp, fp, fn, tn, kappa, low, high, sens, sl, sh, spec, spl, sph, n_missing=int((~ok).sum()))
