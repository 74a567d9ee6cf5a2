"""The node as a whole: receive, wait for each study to be complete, analyse, send the SR.

:func:`run_node` wires the parts and runs until ``stop`` is set (the command
line sets it on SIGTERM / SIGINT):

* the output folder's lock (:class:`calcdetect.batch.lock.OutputLock`): a
  second ``serve`` -- or a ``scan`` -- on the same OUT is refused;
* the storage SCP (:mod:`.storage`) in pynetdicom's threads, storing into the
  inbox (:mod:`.inbox`) and telling the assembler (:mod:`.assembler`);
* the analysis (:mod:`.analysis`) in the calling thread: each pass takes the
  studies that have been quiet for ``idle_s``;
* the forwarder (:mod:`.forwarder`) in its own thread.

On start, studies of the inbox with instances not yet analysed (a kill, a
power cut) are due after ``idle_s``; queued SR files are sent at once.  On
stop, the node stops listening, finishes the analysis pass in progress and
leaves: studies still waiting for instances are analysed at the next start.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from calcdetect.batch.lock import OutputLock
from calcdetect.batch.worker import ScanSettings
from calcdetect.errors import ScanError

from .analysis import SrWriter, StudyAnalyser
from .assembler import StudyAssembler
from .forwarder import Forwarder
from .policy import Destination, NodePolicy
from .storage import StorageNode

__all__ = ["NodeOptions", "run_node"]

logger = logging.getLogger(__name__)

_POLL_S = 0.2


@dataclass(frozen=True)
class NodeOptions:
    """How the node listens, when it analyses, where it sends.

    Attributes
    ----------
    host, port : str, int
        Address to listen on (``127.0.0.1`` by default: only this machine).
    policy : NodePolicy
        AE titles, allowed peers, limits.
    study_idle_s : float
        A study is analysed once nothing arrived for it for this long.
    workers : int
        Worker processes per analysis pass.
    destination : Destination, optional
        Where the CAD SR goes (``--forward``).
    tls : ssl.SSLContext, optional
        Server TLS context (``--tls-cert``/``--tls-key``/``--tls-ca``).
    forward_base_delay_s, forward_max_delay_s : float
        Back-off of the forwarder.
    forward_tls : ssl.SSLContext, optional
        Client TLS context for the destination (``--forward-tls-ca``).
    """

    policy: NodePolicy
    host: str = "127.0.0.1"
    port: int = 11112
    study_idle_s: float = 30.0
    workers: int = 1
    destination: Destination | None = None
    tls: ssl.SSLContext | None = None
    forward_base_delay_s: float = 2.0
    forward_max_delay_s: float = 300.0
    forward_tls: ssl.SSLContext | None = None


def run_node(out_dir: str | os.PathLike, settings: ScanSettings, options: NodeOptions, *,
             stop: threading.Event, sr_writer: SrWriter | None = None,
             on_listening=None) -> None:
    """Run the DICOM node on ``out_dir`` until ``stop`` is set.

    Parameters
    ----------
    out_dir : path-like
        Output folder (created): inbox, tables, overlays, SR, queue.
    settings : ScanSettings
        Analysis settings, as for ``scan``.
    options : NodeOptions
    stop : threading.Event
        Set it to stop the node (after the analysis pass in progress).
    sr_writer : callable, optional
        Writes a study's CAD SR files (see :data:`.analysis.SrWriter`).
    on_listening : callable, optional
        Called with the port bound, once the node accepts associations.

    Raises
    ------
    ScanError
        When the folder is locked by another run or holds other outputs, or
        the address cannot be bound.
    """
    out = Path(out_dir).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScanError(f"cannot create the output folder {str(out)!r}: {exc.strerror or exc}") from exc
    with OutputLock(out):
        try:
            _run_locked(out, settings, options, stop=stop, sr_writer=sr_writer, on_listening=on_listening)
        except OSError as exc:
            raise ScanError(f"cannot write to the output folder {str(out)!r}: {exc.strerror or exc}") from exc


def _run_locked(out: Path, settings: ScanSettings, options: NodeOptions, *, stop, sr_writer, on_listening) -> None:
    run_info = {
        "host": options.host, "port": options.port, "ae_title": options.policy.ae_title,
        "allow": [f"{p.ae_title}@{p.host}" if p.host else p.ae_title for p in options.policy.allowed],
        "forward": str(options.destination) if options.destination else None,
        "study_idle_s": options.study_idle_s, "workers": options.workers, "tls": options.tls is not None,
        "forward_tls": options.forward_tls is not None,
        "max_pdu_bytes": options.policy.max_pdu_bytes, "max_instance_bytes": options.policy.max_instance_bytes,
        "max_associations": options.policy.max_associations,
        "pseudonymized": settings.pseudonymize_key is not None,
    }
    forwarder = None
    if options.destination is not None:
        forwarder = Forwarder(out, options.destination, calling_ae=options.policy.ae_title,
                              base_delay_s=options.forward_base_delay_s, max_delay_s=options.forward_max_delay_s,
                              tls=options.forward_tls)
    elif any((out / "outbox").glob("*.json")):
        logger.warning("files are queued in %s from an earlier run, but no --forward is given: they stay queued "
                       "(see outbox.csv)", out / "outbox")
    on_sr = (lambda files, study: forwarder.enqueue(files, study=study)) if forwarder is not None else None
    analyser = StudyAnalyser(out, settings, workers=options.workers, sr_writer=sr_writer, on_sr=on_sr,
                             run_info=run_info)
    analyser.inbox.prepare()
    assembler = StudyAssembler(idle_s=options.study_idle_s)
    pending = analyser.pending_studies()
    if pending:
        logger.warning("%d study(ies) received earlier are not fully analysed: they will be", len(pending))
        assembler.touch_all(pending)
    analyser.publish()  # rows of instances refused before a restart, and run.json of this run
    if forwarder is not None:
        forwarder.start()

    def refused(refusal) -> None:
        analyser.record_refusal(refusal)
        assembler.touch(refusal.study)

    storage = StorageNode(analyser.inbox, options.policy, on_stored=lambda s: assembler.touch(s.study),
                          on_refused=refused, default_spacing_mm=settings.default_spacing_mm)
    try:
        try:
            port = storage.start(options.host, options.port, ssl_context=options.tls)
        except OSError as exc:
            raise ScanError(f"cannot listen on {options.host}:{options.port} ({exc.strerror or exc}); "
                            "choose another --port or --host") from exc
        logger.warning("listening on %s:%d as %s%s; results in %s", options.host, port, options.policy.ae_title,
                       " (TLS)" if options.tls is not None else "", out)
        if on_listening is not None:
            on_listening(port)
        _analysis_loop(analyser, assembler, stop)
    finally:
        storage.stop()
        if forwarder is not None:
            forwarder.stop()
    waiting = assembler.waiting
    if waiting:
        logger.warning("stopped; %d study(ies) still receiving will be analysed at the next start", len(waiting))
    else:
        logger.warning("stopped")


def _analysis_loop(analyser: StudyAnalyser, assembler: StudyAssembler, stop: threading.Event) -> None:
    """Analyse the studies as they become due until ``stop`` is set."""
    while not stop.is_set():
        due = assembler.due()
        if not due:
            stop.wait(_POLL_S)
            continue
        try:
            analyser.analyse(due)  # queues each study's SR with the forwarder (on_sr)
        except (ScanError, OSError) as exc:
            logger.error("analysis of %d study(ies) failed (%s); retrying when they are next due", len(due), exc)
            assembler.touch_all(due)
            stop.wait(max(assembler.idle_s, 5.0))
