"""Send result objects (the CAD SR) to the ``--forward`` destination, from a queue kept on disk.

Layout::

    OUT/outbox/<id>.json   one queued file: which file, to where, attempts, next attempt, last error
    OUT/outbox.csv         the same, as a table: what is still waiting (rewritten on each change)
    OUT/forwarded.csv      one line per file sent (file, destination, sent_at)

A file is queued (:meth:`Forwarder.enqueue`) by writing its entry atomically;
the entry is removed only after the destination answered the C-STORE with
success (or a warning).  A destination that is down or refuses is tried
again after 2, 4, 8 ... seconds (at most ``max_delay_s``), for as long as the
node runs; a restart loads the queue and tries every entry at once.  The
outcome of each attempt is logged; nothing of the patient is.
"""

from __future__ import annotations

import hashlib
import json
import logging
import ssl
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from pydicom import dcmread
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE

from calcdetect.atomic import atomic_write_text
from calcdetect.csvtext import csv_lines

from .policy import Destination

__all__ = ["Forwarder", "QueuedFile", "send_files"]

logger = logging.getLogger(__name__)

_OUTBOX_COLUMNS = ("file", "study", "destination", "queued", "attempts", "next_attempt", "last_error")
# success, and the warnings of PS3.4 B.2.3 (coercion, elements discarded, does not match SOP class)
_STORED = (0x0000, 0xB000, 0xB006, 0xB007)


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class QueuedFile:
    """One file waiting to be sent; ``file`` is relative to the output folder."""

    file: str
    study: str
    destination: str
    queued: str
    attempts: int = 0
    next_attempt_epoch_s: float = 0.0
    last_error: str = ""

    @property
    def entry_id(self) -> str:
        return hashlib.sha256(f"{self.file}\n{self.destination}".encode()).hexdigest()[:24]


def send_files(paths: list[Path], destination: Destination, *, calling_ae: str,
               timeout_s: float = 30.0, tls: ssl.SSLContext | None = None) -> dict[Path, str]:
    """C-STORE ``paths`` to ``destination`` over one association (TLS with ``tls``).

    Returns
    -------
    dict
        For each path, ``""`` when stored, else why not (no connection,
        rejected, the failure status).
    """
    ae = AE(ae_title=calling_ae)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout_s
    contexts = set()
    for path in paths:
        meta = dcmread(path, stop_before_pixels=True).file_meta
        contexts.add((str(meta.MediaStorageSOPClassUID), str(meta.TransferSyntaxUID)))
    # one presentation context per transfer syntax (an acceptor picks one syntax per context): the file's
    # own first, so it is sent as it is, and the uncompressed ones pynetdicom can convert to
    for sop, syntax in sorted(contexts):
        for ts in dict.fromkeys((syntax, ExplicitVRLittleEndian, ImplicitVRLittleEndian)):
            ae.add_requested_context(sop, ts)
    tls_args = (tls, destination.host) if tls is not None else None
    assoc = ae.associate(destination.host, destination.port, ae_title=destination.ae_title, tls_args=tls_args)
    if not assoc.is_established:
        why = "association rejected" if assoc.is_rejected else "no association (destination down or unreachable)"
        return {p: why for p in paths}
    results = {}
    try:
        for path in paths:
            try:
                status = assoc.send_c_store(path)
            except (ValueError, OSError, RuntimeError) as exc:
                results[path] = f"{type(exc).__name__}: {exc}"
                continue
            code = int(status.Status) if status and "Status" in status else None
            if code in _STORED:
                results[path] = ""
            elif code is None:
                results[path] = "no response (association aborted or timed out)"
            else:
                comment = str(status.get("ErrorComment", "") or "")
                results[path] = f"failure status 0x{code:04X}" + (f" ({comment})" if comment else "")
    finally:
        if assoc.is_established:
            assoc.release()
    return results


class Forwarder:
    """The persistent send queue of one output folder and the thread that empties it.

    Parameters
    ----------
    out_dir : Path
    destination : Destination
    calling_ae : str
        The node's AE title, used as calling AE title.
    base_delay_s, max_delay_s : float
        Back-off between attempts: ``base * 2**(attempts-1)``, at most ``max``.
    tls : ssl.SSLContext, optional
        Connect with TLS (:func:`.policy.client_tls_context`).
    """

    def __init__(self, out_dir: Path, destination: Destination, *, calling_ae: str,
                 base_delay_s: float = 2.0, max_delay_s: float = 300.0, tls: ssl.SSLContext | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.destination = destination
        self.calling_ae = calling_ae
        self.tls = tls
        self.base_delay_s = float(base_delay_s)
        self.max_delay_s = float(max_delay_s)
        self.outbox = self.out_dir / "outbox"
        self.outbox.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._queue: dict[str, QueuedFile] = self._load()
        if self._queue:
            logger.warning("%d file(s) still queued for %s from an earlier run: sending them now",
                           len(self._queue), destination)
        self._write_listing()

    # -- the queue on disk --------------------------------------------------------
    def _load(self) -> dict[str, QueuedFile]:
        queue = {}
        for path in sorted(self.outbox.glob("*.json")):
            try:
                entry = QueuedFile(**json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                logger.warning("unreadable outbox entry %s left as it is", path.name)
                continue
            # a restart tries every entry at once, whatever its back-off said
            queue[entry.entry_id] = replace(entry, destination=str(self.destination), next_attempt_epoch_s=0.0)
        return queue

    def _save(self, entry: QueuedFile) -> None:
        atomic_write_text(self.outbox / f"{entry.entry_id}.json", json.dumps(asdict(entry), indent=1))

    def _write_listing(self) -> None:
        rows = [[e.file, e.study, e.destination, e.queued, e.attempts,
                 _iso(e.next_attempt_epoch_s) if e.next_attempt_epoch_s else "", e.last_error]
                for e in sorted(self._queue.values(), key=lambda e: (e.queued, e.file))]
        atomic_write_text(self.out_dir / "outbox.csv", csv_lines([_OUTBOX_COLUMNS, *rows]))

    @property
    def queued(self) -> list[QueuedFile]:
        with self._lock:
            return sorted(self._queue.values(), key=lambda e: (e.queued, e.file))

    def enqueue(self, files: list[Path], *, study: str) -> None:
        """Queue ``files`` (inside the output folder) for the destination, durably, and wake the sender."""
        with self._lock:
            for path in files:
                entry = QueuedFile(Path(path).resolve().relative_to(self.out_dir.resolve()).as_posix(), study,
                                   str(self.destination), _iso(time.time()))
                self._queue[entry.entry_id] = entry
                self._save(entry)
            self._write_listing()
        self._wake.set()

    # -- sending ------------------------------------------------------------------
    def send_due(self) -> int:
        """Try every entry whose time has come, in one association; return how many were sent."""
        now = time.time()
        with self._lock:
            due = [e for e in self._queue.values() if e.next_attempt_epoch_s <= now]
        if not due:
            return 0
        paths = {self.out_dir / e.file: e for e in due}
        missing = [p for p in paths if not p.is_file()]
        results = {p: "the file is no longer in the output folder" for p in missing}
        present = [p for p in paths if p.is_file()]
        if present:
            try:
                results.update(send_files(present, self.destination, calling_ae=self.calling_ae, tls=self.tls))
            except Exception as exc:  # noqa: BLE001 - a send that fails must leave the entries queued
                results.update({p: f"{type(exc).__name__}: {exc}" for p in present})
        n_sent = 0
        with self._lock:
            for path, error in results.items():
                entry = paths[path]
                if not error:
                    n_sent += 1
                    self._queue.pop(entry.entry_id, None)
                    self._append_sent(entry)
                    (self.outbox / f"{entry.entry_id}.json").unlink(missing_ok=True)
                    logger.info("sent %s to %s", entry.file, self.destination)
                    continue
                attempts = entry.attempts + 1
                delay = min(self.base_delay_s * 2 ** (attempts - 1), self.max_delay_s)
                updated = replace(entry, attempts=attempts, next_attempt_epoch_s=time.time() + delay,
                                  last_error=error)
                self._queue[entry.entry_id] = updated
                self._save(updated)
                logger.warning("could not send %s to %s (attempt %d: %s); next try in %.0f s",
                               entry.file, self.destination, attempts, error, delay)
            self._write_listing()
        return n_sent

    def _append_sent(self, entry: QueuedFile) -> None:
        path = self.out_dir / "forwarded.csv"
        new = not path.exists()
        with open(path, "a", encoding="utf-8", newline="") as fh:
            header = [("file", "study", "destination", "sent")] if new else []
            # one write: a kill leaves whole lines
            fh.write(csv_lines([*header, (entry.file, entry.study, entry.destination, _iso(time.time()))]))

    def _next_wait_s(self) -> float:
        with self._lock:
            if not self._queue:
                return 3600.0
            soonest = min(e.next_attempt_epoch_s for e in self._queue.values())
        return max(0.0, min(soonest - time.time(), 3600.0))

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.send_due()
            except Exception:  # noqa: BLE001 - the sender thread must not die
                logger.exception("unexpected error in the forwarder; the queue is kept")
            self._wake.wait(max(self._next_wait_s(), 0.05))
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="calcdetect-forwarder", daemon=True)
        self._thread.start()

    def stop(self, *, timeout_s: float = 30.0) -> None:
        """Stop after the attempt in progress; what is queued stays queued on disk."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
