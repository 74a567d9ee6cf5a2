"""A reader's decisions: kept in memory, saved at once and atomically after each change.

Files, in ``OUT/review/<reader>/``:

``decisions.csv``
    One row per decided cluster: :data:`DECISION_COLUMNS`.  A detector cluster
    has at most one row (its latest decision: ``confirmed`` or ``rejected``); a
    cluster the reader added has ``decision = added`` and an empty
    ``cluster_id``.  ``row_px``/``col_px`` are image pixels (a detector
    cluster's centre, or where the reader marked the missed one).
``patients.csv``
    The columns of the scan's ``patients.csv`` with ``flag`` = the reviewed
    call, then ``detector_flag``, ``call_source`` (``detector``: not reviewed
    yet; ``clusters``: follows the cluster decisions; ``reader``: the reader's
    override), ``reader`` and ``reviewed_at``.  It drops in wherever
    ``patients.csv`` goes (``cohort analyze --flags``).

Each change rewrites both files through :mod:`calcdetect.atomic` before the
request is answered, under a lock, so a killed server loses no answered
decision and concurrent requests never interleave.  A reader's folder is held
by one server at a time (an advisory lock the OS drops when the process dies).
"""

from __future__ import annotations

import csv
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from calcdetect.atomic import atomic_write_text
from calcdetect.csvtext import csv_lines
from calcdetect.review.study import PatientInfo, Study
from calcdetect.vocabulary import Flag

try:  # advisory lock; not on Windows, where a second server for one reader is not detected
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

__all__ = ["DECISION_COLUMNS", "EXTRA_PATIENT_COLUMNS", "DECISIONS", "Decision", "DecisionStore",
           "ReaderBusyError", "validate_reader", "reviewed_call"]

log = logging.getLogger(__name__)

DECISION_COLUMNS = ("patient_key", "sop_instance_uid", "cluster_id", "decision", "row_px", "col_px", "reader",
                    "decided_at")
#: columns patients.csv gets after the scan's own
EXTRA_PATIENT_COLUMNS = ("detector_flag", "call_source", "reader", "reviewed_at")
DECISIONS = ("confirmed", "rejected", "added")
_READER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class ReaderBusyError(RuntimeError):
    """Another server holds this reader's folder."""


def validate_reader(name: str) -> str:
    """Return ``name`` if it is a valid reader name, else raise ValueError.

    Rule: 1-64 characters, letters, digits, ``_``, ``-`` and ``.``, starting
    with a letter or digit (so it is one plain folder name: no path separator,
    no ``..``).
    """
    if not isinstance(name, str) or not _READER.fullmatch(name):
        raise ValueError(f"a reader name is 1-64 letters, digits, '_', '-' or '.', starting with a letter or "
                         f"digit, got {name!r}")
    return name


@dataclass(frozen=True)
class Decision:
    """One row of ``decisions.csv``; ``cluster_id`` is None for an added cluster."""

    patient_key: str
    sop_instance_uid: str
    cluster_id: int | None
    decision: str
    row_px: float
    col_px: float
    reader: str
    decided_at: str

    def key(self) -> tuple:
        """Identity: the detector cluster, or the added cluster's position."""
        if self.cluster_id is not None:
            return (self.sop_instance_uid, self.cluster_id)
        return (self.sop_instance_uid, None, _fmt(self.row_px), _fmt(self.col_px))

    def to_row(self) -> dict[str, str]:
        return {"patient_key": self.patient_key, "sop_instance_uid": self.sop_instance_uid,
                "cluster_id": "" if self.cluster_id is None else str(self.cluster_id), "decision": self.decision,
                "row_px": _fmt(self.row_px), "col_px": _fmt(self.col_px), "reader": self.reader,
                "decided_at": self.decided_at}


def _fmt(value: float) -> str:
    return f"{float(value):.1f}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def reviewed_call(patient: PatientInfo, decisions: list[Decision], override: str | None) -> tuple[str, str]:
    """The patient's call after review, and where it comes from.

    Rule: the reader's override when there is one (``reader``); else, once any
    cluster of the patient is decided (``clusters``), positive when a cluster
    is confirmed or added, or when an image the detector flagged still has a
    cluster the reader did not reject; negative otherwise; before any decision,
    the detector's flag (``detector``).

    Returns
    -------
    (flag, call_source)
    """
    if override is not None:
        return override, "reader"
    if not decisions:
        return patient.flag, "detector"
    if any(d.decision in ("confirmed", "added") for d in decisions):
        return Flag.POSITIVE, "clusters"
    rejected = {(d.sop_instance_uid, d.cluster_id) for d in decisions if d.decision == "rejected"}
    still_flagged = any(
        (im.sop_instance_uid, k.cluster_id) not in rejected
        for im in patient.images if im.flag == Flag.POSITIVE for k in im.clusters
    )
    return Flag.of(still_flagged), "clusters"


def _csv_text(columns, rows) -> str:
    return csv_lines([columns, *([row.get(c, "") for c in columns] for row in rows)])


class DecisionStore:
    """The decisions of one reader on one study, saved after every change.

    Parameters
    ----------
    study : Study
    reader : str
        Validated with :func:`validate_reader`.

    Raises
    ------
    ValueError
        Bad reader name, or unreadable files of an earlier session.
    ReaderBusyError
        Another running server holds this reader's folder.
    """

    def __init__(self, study: Study, reader: str) -> None:
        self.study = study
        self.reader = validate_reader(reader)
        self.folder = study.out_dir / "review" / reader
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._lock_fd = self._hold_folder()
        self._decisions: dict[tuple, Decision] = {}
        self._foreign: list[dict[str, str]] = []  # rows for images not in this scan: kept, not shown
        self._overrides: dict[str, str] = {}
        self._reviewed_at: dict[str, str] = {}
        try:
            self._load()
            with self._lock:
                self._save()
        except BaseException:
            self.close()
            raise

    # -- files ---------------------------------------------------------------
    @property
    def decisions_path(self) -> Path:
        return self.folder / "decisions.csv"

    @property
    def patients_path(self) -> Path:
        return self.folder / "patients.csv"

    def _hold_folder(self):
        if fcntl is None:
            return None
        fd = os.open(self.folder / ".server.lock", os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ReaderBusyError(f"another 'calcdetect review' is serving reader {self.reader!r} on this output "
                                  f"folder; use that one, stop it, or choose another --reader") from None
        return fd

    def close(self) -> None:
        """Release the reader's folder (the files are already saved)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _load(self) -> None:
        if self.decisions_path.is_file():
            with open(self.decisions_path, newline="", encoding="utf-8") as fh:
                for n, row in enumerate(csv.DictReader(fh), start=2):
                    try:
                        decision = self._parse(row)
                    except (KeyError, ValueError) as exc:
                        raise ValueError(f"{self.decisions_path}: line {n}: {exc}; fix or remove the line") from None
                    if decision is None:
                        self._foreign.append(row)
                    else:
                        self._decisions[decision.key()] = decision
            if self._foreign:
                log.warning("%d decision(s) in %s are for images not in this scan: kept in the file, not shown",
                            len(self._foreign), self.decisions_path)
        if self.patients_path.is_file():
            with open(self.patients_path, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    key = row.get("patient_key", "")
                    if self.study.patient(key) is None:
                        continue
                    if row.get("call_source") == "reader" and row.get("flag") in tuple(Flag):
                        self._overrides[key] = Flag(row["flag"])
                    if row.get("reviewed_at"):
                        self._reviewed_at[key] = row["reviewed_at"]

    def _parse(self, row: dict[str, str]) -> Decision | None:
        if row["decision"] not in DECISIONS:
            raise ValueError(f"decision must be one of {DECISIONS}, got {row['decision']!r}")
        image = self.study.image(row["sop_instance_uid"])
        if image is None or image.patient_key != row["patient_key"]:
            return None
        cluster_id = int(row["cluster_id"]) if row["cluster_id"].strip() else None
        if (cluster_id is None) != (row["decision"] == "added"):
            raise ValueError("an added cluster has an empty cluster_id, a confirmed/rejected one has its id")
        if cluster_id is not None and all(k.cluster_id != cluster_id for k in image.clusters):
            return None
        return Decision(row["patient_key"], row["sop_instance_uid"], cluster_id, row["decision"],
                        float(row["row_px"]), float(row["col_px"]), row.get("reader") or self.reader,
                        row["decided_at"])

    def _save(self) -> None:
        order = {p.patient_key: i for i, p in enumerate(self.study.patients)}
        rows = sorted(self._decisions.values(), key=lambda d: (
            order.get(d.patient_key, 0), d.sop_instance_uid, d.cluster_id is None, d.cluster_id or 0, d.row_px,
            d.col_px))
        atomic_write_text(self.decisions_path,
                          _csv_text(DECISION_COLUMNS, [d.to_row() for d in rows] + self._foreign))
        columns = list(self.study.patient_columns) + [c for c in EXTRA_PATIENT_COLUMNS
                                                      if c not in self.study.patient_columns]
        out = []
        for p in sorted(self.study.patients, key=lambda p: p.patient_key):  # the scan's row order
            flag, source = reviewed_call(p, self._of(p.patient_key), self._overrides.get(p.patient_key))
            out.append({**p.row, "flag": flag, "detector_flag": p.flag, "call_source": source,
                        "reader": self.reader, "reviewed_at": self._reviewed_at.get(p.patient_key, "")})
        atomic_write_text(self.patients_path, _csv_text(columns, out))

    # -- state ---------------------------------------------------------------
    def _of(self, patient_key: str) -> list[Decision]:
        return [d for d in self._decisions.values() if d.patient_key == patient_key]

    def _patient(self, patient_key: str) -> PatientInfo:
        patient = self.study.patient(patient_key)
        if patient is None:
            raise ValueError(f"no patient with key {patient_key!r} in this scan")
        return patient

    def patient_state(self, patient_key: str) -> dict:
        """The reader's state for one patient (JSON-ready)."""
        with self._lock:
            return self._state(self._patient(patient_key))

    def _state(self, patient: PatientInfo) -> dict:
        decisions = self._of(patient.patient_key)
        flag, source = reviewed_call(patient, decisions, self._overrides.get(patient.patient_key))
        return {
            "patient_key": patient.patient_key, "flag": flag, "call_source": source,
            "override": self._overrides.get(patient.patient_key), "detector_flag": patient.flag,
            "reviewed_at": self._reviewed_at.get(patient.patient_key, ""),
            "decisions": [d.to_row() for d in decisions],
        }

    def all_states(self) -> list[dict]:
        """:meth:`patient_state` of every patient, in review order."""
        with self._lock:
            return [self._state(p) for p in self.study.patients]

    def _touch(self, patient_key: str, when: str) -> None:
        self._reviewed_at[patient_key] = when

    def decide(self, sop_instance_uid: str, cluster_id: int, decision: str | None) -> dict:
        """Confirm or reject a detector cluster (``decision=None`` clears it); return the patient's state."""
        if decision not in ("confirmed", "rejected", None):
            raise ValueError(f"a detector cluster is 'confirmed' or 'rejected' (or None to clear), got {decision!r}")
        image = self.study.image(sop_instance_uid)
        if image is None:
            raise ValueError(f"no image with SOP Instance UID {sop_instance_uid!r} in this scan")
        cluster = next((k for k in image.clusters if k.cluster_id == cluster_id), None)
        if cluster is None:
            raise ValueError(f"image {sop_instance_uid!r} has no cluster {cluster_id!r}")
        with self._lock:
            now = _now()
            key = (sop_instance_uid, cluster_id)
            if decision is None:
                self._decisions.pop(key, None)
            else:
                self._decisions[key] = Decision(image.patient_key, sop_instance_uid, cluster_id, decision,
                                                cluster.row_px, cluster.col_px, self.reader, now)
            self._touch(image.patient_key, now)
            self._save()
            return self._state(self._patient(image.patient_key))

    def add(self, sop_instance_uid: str, row_px: float, col_px: float) -> dict:
        """Mark a cluster the detector missed at image pixel (row_px, col_px); return the patient's state."""
        image = self.study.image(sop_instance_uid)
        if image is None:
            raise ValueError(f"no image with SOP Instance UID {sop_instance_uid!r} in this scan")
        row_px, col_px = float(row_px), float(col_px)
        if not (-0.5 <= row_px <= image.rows - 0.5 and -0.5 <= col_px <= image.cols - 0.5):
            raise ValueError(f"position ({row_px:.1f}, {col_px:.1f}) is outside the {image.rows} x {image.cols} "
                             "image")
        with self._lock:
            now = _now()
            decision = Decision(image.patient_key, sop_instance_uid, None, "added", round(row_px, 1),
                                round(col_px, 1), self.reader, now)
            self._decisions.setdefault(decision.key(), decision)
            self._touch(image.patient_key, now)
            self._save()
            return self._state(self._patient(image.patient_key))

    def remove_added(self, sop_instance_uid: str, row_px: float, col_px: float) -> dict:
        """Remove an added cluster (given by its saved position); return the patient's state."""
        image = self.study.image(sop_instance_uid)
        if image is None:
            raise ValueError(f"no image with SOP Instance UID {sop_instance_uid!r} in this scan")
        key = (sop_instance_uid, None, _fmt(row_px), _fmt(col_px))
        with self._lock:
            if key not in self._decisions:
                raise ValueError(f"no added cluster at ({_fmt(row_px)}, {_fmt(col_px)}) on {sop_instance_uid!r}")
            del self._decisions[key]
            self._touch(image.patient_key, _now())
            self._save()
            return self._state(self._patient(image.patient_key))

    def set_call(self, patient_key: str, call: str | None) -> dict:
        """Override the patient's call (``positive``/``negative``), or follow the clusters again (None)."""
        if call is not None and call not in tuple(Flag):
            raise ValueError(f"a call is 'positive' or 'negative' (or None to follow the clusters), got {call!r}")
        with self._lock:
            patient = self._patient(patient_key)
            if call is None:
                self._overrides.pop(patient_key, None)
            else:
                self._overrides[patient_key] = Flag(call)
            self._touch(patient_key, _now())
            self._save()
            return self._state(patient)

    def mark_reviewed(self, patient_key: str) -> dict:
        """Record that the reader has gone through this patient (its call stands as shown)."""
        with self._lock:
            patient = self._patient(patient_key)
            self._touch(patient_key, _now())
            self._save()
            return self._state(patient)

    def decisions(self) -> list[Decision]:
        """Every decision on this scan's images, as saved."""
        with self._lock:
            return list(self._decisions.values())
