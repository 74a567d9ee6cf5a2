"""Analyse received studies with the batch engine and publish the same outputs as ``scan``.

The unit of work is the study folder ``OUT/inbox/<study>/``: its files go
through :func:`calcdetect.batch.parallel.run_inputs` exactly as the files of a
scanned folder, each result is saved at once as a work record
(:class:`calcdetect.batch.records.WorkStore`), and the tables, overlays and
index are rewritten from *all* records (:func:`calcdetect.batch.publish.publish_outputs`).
So the tables grow study by study and are always those ``calcdetect scan
OUT/inbox`` would write (but for the measured ``seconds``), plus the
``errors.csv`` rows of instances refused when received.

After each pass, every study of the pass gets its Mammography CAD SR
(:mod:`calcdetect.sr`, the writer ``scan`` uses) in ``OUT/sr/``, written again
with all its images when a study receives more instances later.  What the SR
step said per study (the SR files, its ``errors.csv`` rows, the index links)
is kept in ``OUT/.work/node-sr/<study>.json`` so later publications keep it.

Exactly once: an instance whose record is saved is never analysed again (the
record is reused as by ``scan --resume``: same path, size, modification time
and settings); one whose analysis was interrupted has no record and is
analysed at the next pass.  A record is written atomically, so a kill leaves
it complete or absent.  A study is marked done (its ``node-sr`` file, naming
the records it covered) only after its SR was written and queued for sending,
so a kill before that makes the next start redo the SR step, not the analysis.
"""

from __future__ import annotations

import json
import logging
import platform
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from calcdetect import __version__
from calcdetect.atomic import atomic_write_text
from calcdetect.batch.discover import InputFile, job_id_of
from calcdetect.batch.parallel import run_inputs
from calcdetect.batch.outputs import ScanTables, assemble_tables, count_positive
from calcdetect.batch.publish import publish_outputs
from calcdetect.batch.records import WorkStore
from calcdetect.batch.worker import ScanSettings, error_result
from calcdetect.config import DetectorConfig
from calcdetect.errors import ScanError

from .inbox import Inbox
from .storage import Refusal

__all__ = ["StudyAnalyser", "StudyOutcome", "SrResult", "SrWriter", "cad_sr_writer"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SrResult:
    """What the CAD SR step wrote for one study."""

    #: SR files by Study Instance UID
    paths: dict[str, Path]
    #: errors.csv rows (code ``sr_not_written``) when the study got no SR
    errors: tuple[dict, ...] = ()
    #: SR path relative to OUT by SOP Instance UID of each image it covers (for the index)
    links: dict[str, str] = field(default_factory=dict)


#: writes the CAD SR of the studies in ``tables`` (out_dir, tables, folder the rows' paths are relative to)
SrWriter = Callable[[Path, ScanTables, Path], SrResult]


def cad_sr_writer(config: DetectorConfig, *, pseudonymize_key: str | None = None) -> SrWriter:
    """The :mod:`calcdetect.sr` writer (Mammography CAD SR, TID 4000) as an :data:`SrWriter`."""
    from calcdetect.sr import plan_study_reports, write_study_reports

    def write(out_dir: Path, tables: ScanTables, dicom_dir: Path) -> SrResult:
        plan = plan_study_reports(tables, dicom_dir=dicom_dir, config=config, pseudonymize_key=pseudonymize_key)
        return SrResult(write_study_reports(out_dir, plan), tuple(plan.errors), plan.path_of_image())

    return write


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StudyOutcome:
    """What one study's analysis gave."""

    study: str
    n_instances: int
    n_analysed: int
    n_errors: int
    sr_files: tuple[Path, ...] = ()


@dataclass
class _Counters:
    studies: int = 0
    analysed: int = 0
    refused: int = 0
    seconds_analysing: float = 0.0


class StudyAnalyser:
    """The analysis side of one output folder (thread-safe).

    Parameters
    ----------
    out_dir : Path
        The node's output folder (already locked by the caller).
    settings : ScanSettings
        What every instance is analysed with (as ``scan``).
    workers : int
        Worker processes per analysis pass (as ``scan --workers``).
    sr_writer : callable, optional
        The CAD SR writer (:data:`SrWriter`); without it no SR is written.
    on_sr : callable, optional
        Called with a study's SR files and the study (e.g. to queue them for
        sending) before the study is marked done, so a kill in between only
        makes the study's SR step run again at the next start.
    run_info : mapping
        Arguments to record in ``run.json``.

    Raises
    ------
    ScanError
        When ``out_dir`` holds the outputs of ``calcdetect scan`` or of a node
        run with other settings (mixing them would make tables of two kinds).
    """

    def __init__(self, out_dir: Path, settings: ScanSettings, *, workers: int = 1,
                 sr_writer: SrWriter | None = None, on_sr: Callable[[list[Path], str], None] | None = None,
                 run_info: Mapping[str, Any] | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.settings = settings
        self.workers = workers
        self.inbox = Inbox(self.out_dir)
        self.store = WorkStore(self.out_dir)
        self._sr_writer = sr_writer
        self._on_sr = on_sr
        self._run_info = dict(run_info or {})
        self._lock = threading.RLock()  # one analysis pass or publication at a time
        # the records by job_id; refusals arrive from association threads and must never wait for a pass
        self._records_lock = threading.Lock()
        self._started = _now()
        self._counters = _Counters()
        self._check_out_dir()
        self.store.start({"settings_id": settings.settings_id, "version": __version__,
                          "config": settings.config.to_dict(), "command": "serve"}, resume=True)
        self._records = self._load_records()
        self._sr_dir = self.store.root / "node-sr"
        self._sr_dir.mkdir(parents=True, exist_ok=True)

    def _check_out_dir(self) -> None:
        try:
            previous_run = json.loads((self.out_dir / "run.json").read_text("utf-8"))
        except (OSError, ValueError):
            previous_run = {}
        if isinstance(previous_run, dict) and previous_run.get("command") not in (None, "serve"):
            raise ScanError(f"{str(self.out_dir)!r} holds the outputs of `calcdetect {previous_run['command']}`; "
                            "give the node a folder of its own")
        previous = self.store.read_settings()
        if previous is not None and previous.get("settings_id") != self.settings.settings_id:
            raise ScanError(
                f"{str(self.out_dir)!r} holds results made with other settings (detector configuration, "
                "pseudonymisation key or calcdetect version); start the node with the same settings, "
                "or give it a new folder")

    def _load_records(self) -> dict[str, dict]:
        records = {}
        for path in sorted(self.store.records_dir.glob("*.json")):
            try:
                record = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                continue  # cannot happen for a record written atomically; never fatal
            if isinstance(record, dict) and record.get("settings_id") == self.settings.settings_id:
                records[record["job_id"]] = record
        return records

    # -- what is left to do ---------------------------------------------------
    def pending_studies(self) -> list[str]:
        """Studies of the inbox not done (e.g. after a kill): an instance without a usable record,
        or records that the study's last SR step (its done mark) did not cover."""
        pending = []
        for study in self.inbox.studies():
            done = self._study_state(study).get("job_ids")
            if self._todo(self.inbox.study_inputs(study)) or done != self._study_job_ids(study):
                pending.append(study)
        return pending

    def _study_job_ids(self, study: str) -> list[str]:
        return sorted(r["job_id"] for r in self._study_records(study))

    def _study_state(self, study: str) -> dict:
        try:
            state = json.loads((self._sr_dir / f"{study}.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _todo(self, items: list[InputFile]) -> list[InputFile]:
        return [i for i in items if self.store.load_reusable(i, settings_id=self.settings.settings_id,
                                                            overlays=self.settings.overlays) is None]

    # -- refused instances ------------------------------------------------------
    def record_refusal(self, refusal: Refusal) -> None:
        """Save the ``errors.csv`` row of an instance refused at C-STORE (published with its study).

        The row's path is where the instance would have been stored; when a good instance with that
        UID is already there, ``_refused`` is added, so the refusal never replaces the good result
        (a good instance received after a refusal does replace the refusal row).
        """
        rel = refusal.rel_path
        if (self.inbox.root / rel).exists():
            rel = f"{rel.removesuffix('.dcm')}_refused.dcm"
        item = InputFile("", rel, refusal.size_bytes, 0, job_id_of(rel), False)
        message = f"refused when received (C-STORE status 0x{refusal.status:04X}): {refusal.message}"
        result = error_result(item, self.settings.settings_id, refusal.code, message)
        record = self.store.save(result)
        with self._records_lock:
            self._records[item.job_id] = record
            self._counters.refused += 1

    # -- analysis -------------------------------------------------------------
    def analyse(self, studies: list[str]) -> list[StudyOutcome]:
        """Analyse the new instances of ``studies`` in one pass, publish the outputs, write the SRs.

        Raises
        ------
        ScanError
            When worker processes cannot start.
        OSError
            When the output folder cannot be written.
        """
        with self._lock:
            t0 = time.perf_counter()
            inputs = {s: self.inbox.study_inputs(s) for s in studies}
            todo_by_study = {s: self._todo(inputs[s]) for s in studies}
            todo = [i for s in studies for i in todo_by_study[s]]
            logger.info("analysing %d new instance(s) of %d study(ies)", len(todo), len(studies))
            for result in run_inputs(todo, self.settings, workers=self.workers):
                record = self.store.save(result)
                with self._records_lock:
                    self._records[record["job_id"]] = record
            self._counters.studies += len(studies)
            self._counters.analysed += len(todo)
            self._counters.seconds_analysing += time.perf_counter() - t0
            outcomes = [self._study_outcome(s, inputs[s], len(todo_by_study[s])) for s in studies]
            self.publish()
            return outcomes

    def _study_records(self, study: str) -> list[dict]:
        prefix = f"{study}/"
        with self._records_lock:
            return sorted((r for r in self._records.values() if r["path"].startswith(prefix)), key=lambda r: r["path"])

    def _study_outcome(self, study: str, items: list[InputFile], n_analysed: int) -> StudyOutcome:
        """Write the study's SR, hand it to ``on_sr``, then mark the study done (its state file)."""
        records = self._study_records(study)
        n_errors = sum(r["status"] != "ok" for r in records)
        state = {"job_ids": self._study_job_ids(study), "paths": {}, "errors": [], "links": {}}
        sr_files: tuple[Path, ...] = ()
        if self._sr_writer is not None and records:
            try:
                result = self._sr_writer(self.out_dir, assemble_tables(records, overlays=False), self.inbox.root)
            except Exception:  # noqa: BLE001 - an SR that cannot be written must not stop the node
                logger.exception("the CAD SR of study %s could not be written", study)
            else:
                sr_files = tuple(result.paths.values())
                state.update(paths={uid: Path(p).relative_to(self.out_dir).as_posix() for uid, p in result.paths.items()},
                             errors=list(result.errors), links=dict(result.links))
        if sr_files and self._on_sr is not None:
            self._on_sr(list(sr_files), study)
        atomic_write_text(self._sr_dir / f"{study}.json", json.dumps(state, indent=1, sort_keys=True))
        logger.info("study %s: %d instance(s), %d analysed now, %d error(s), %d SR file(s)",
                    study, len(items), n_analysed, n_errors, len(sr_files))
        return StudyOutcome(study, len(items), n_analysed, n_errors, sr_files)

    def _sr_state(self) -> tuple[list[dict], dict[str, str], int]:
        """errors.csv rows, index links and number of SR files of every study's SR step so far."""
        errors, links, n_srs = [], {}, 0
        for path in sorted(self._sr_dir.glob("*.json")):
            try:
                state = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            errors.extend(state.get("errors", []))
            links.update(state.get("links", {}))
            n_srs += len(state.get("paths", {}))
        return errors, links, n_srs

    def publish(self) -> None:
        """Rewrite the tables, overlays, index and ``run.json`` from every record."""
        with self._lock:
            with self._records_lock:
                records = sorted(self._records.values(), key=lambda r: r["path"])
            sr_errors, sr_links, n_srs = self._sr_state()
            tables, _ = publish_outputs(self.out_dir, self.store, records, overlays=self.settings.overlays,
                                        extra_errors=sr_errors, sr_links=sr_links)
            self._write_run_json(tables, n_srs=n_srs)

    def _write_run_json(self, tables: ScanTables, *, n_srs: int) -> None:
        c = self._counters
        run = {
            "tool": "calcdetect",
            "command": "serve",
            "version": __version__,
            "started": self._started,
            "updated": _now(),
            "input_dir": str(self.inbox.root),
            "output_dir": str(self.out_dir),
            "arguments": self._run_info,
            "config": self.settings.config.to_dict(),
            "settings_id": self.settings.settings_id,
            "n_inputs": len(tables.images) + len(tables.errors),
            "counts": {
                "images": len(tables.images),
                "positive_images": count_positive(tables.images),
                "patients": len(tables.patients),
                "positive_patients": count_positive(tables.patients),
                "errors": len(tables.errors),
                "structured_reports": n_srs,
                "studies_analysed_this_run": c.studies,
                "instances_analysed_this_run": c.analysed,
                "instances_refused_this_run": c.refused,
            },
            "timings_s": {"analysis": round(c.seconds_analysing, 3)},
            "python": platform.python_version(),
            "platform": platform.platform(),
        }
        atomic_write_text(self.out_dir / "run.json", json.dumps(run, indent=2, default=str) + "\n")
