"""Run :func:`.worker.process_input` over many files: in-process, a local process pool, or Dask.

All three yield :class:`.worker.WorkResult` objects as they finish, in any
order (the outputs are sorted later), one per file, each passed through
:func:`.outcome.settle`: whatever a worker raised or returned for a file (an
exception that cannot be pickled back, a malformed result) becomes that
file's ``internal_error`` row.  All three also survive a crash of the code
that reads one file:

* local pool (:class:`concurrent.futures.ProcessPoolExecutor`, ``spawn``
  start method so no lock or thread of the parent is inherited): when a
  worker process dies (a decoder segfault, the kernel's out-of-memory
  killer), the pool is rebuilt and the files that were in flight are run
  again one at a time, so that only the file that kills its worker again is
  reported (code ``internal_error``) and all others are analysed;
* Dask: the scheduler already retries tasks whose worker died and gives up
  with ``KilledWorker`` after a few tries; that file is reported the same way.

A file that *hangs* its worker (a decoder looping on a corrupt codestream)
is handled like one that crashes it: with ``settings.timeout_s`` each local
worker arms a real-time timer for every file, whose signal (SIGALRM, default
action) ends the process even inside a C decoder that never returns to
Python; the file is then re-run alone and, if it runs out of time again,
reported with code ``timeout``.  With a time limit, one local worker also
runs in a child process (the limit cannot end the scan itself).  Dask runs
tasks in worker threads, where no such timer exists: no limit there.

Each worker process uses one thread for OpenCV / OpenMP / BLAS: parallelism
comes from the number of workers.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
import multiprocessing

from calcdetect.allocator import freed_memory_kept, keep_freed_memory
from calcdetect.errors import ScanError
from calcdetect.threads import limit_opencv_threads, single_thread_env

from .discover import InputFile
from .outcome import crash_result, settle, timeout_result
from .worker import ScanSettings, WorkResult, process_input

__all__ = ["run_inputs"]

logger = logging.getLogger(__name__)





def _process_with_deadline(item: InputFile, settings: ScanSettings) -> WorkResult:
    """:func:`process_input` in a worker process, ended by SIGALRM after ``settings.timeout_s``."""
    if not settings.timeout_s:
        return process_input(item, settings)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # default action: terminate, even inside C code
    signal.setitimer(signal.ITIMER_REAL, float(settings.timeout_s))
    try:
        return process_input(item, settings)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)


#: how often (s) a worker looks whether the scan that started it is still there
PARENT_CHECK_S = 1.0


def _init_worker() -> None:
    limit_opencv_threads(1)
    keep_freed_memory()
    _exit_with_parent(os.getppid())


def _exit_with_parent(parent_pid: int) -> None:
    """End this worker when the scan that started it is gone.

    A scan killed outright (SIGKILL, the machine's OOM killer) cannot stop its pool: each worker
    then waits forever to hand back a result nobody reads (blocked on a full pipe, ~230 MB each,
    seen after the killed-run test). An orphan is re-parented, so its parent id changes.
    """
    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_S)
            if os.getppid() != parent_pid:
                os._exit(1)  # nothing to clean up: the records the scan kept are whole files

    threading.Thread(target=watch, name="calcdetect-parent-watch", daemon=True).start()


def _run_serial(items: Sequence[InputFile], settings: ScanSettings) -> Iterator[WorkResult]:
    saved = limit_opencv_threads(1)
    try:
        with freed_memory_kept():
            for item in items:
                yield settle(item, settings, lambda: process_input(item, settings))
    finally:
        limit_opencv_threads(saved)


def _new_pool(workers: int) -> ProcessPoolExecutor:
    with single_thread_env():
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
        )


def _pool_starts() -> bool:
    """Whether a fresh worker process can start and run a trivial task at all."""
    pool = _new_pool(1)
    try:
        return pool.submit(os.getpid).result() > 0
    except BrokenProcessPool:
        return False
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_isolated(suspects: Sequence[InputFile], settings: ScanSettings) -> Iterator[WorkResult]:
    """Run suspect files one at a time in a one-process pool, so a crash is attributed to its file.

    Raises
    ------
    ScanError
        If worker processes cannot even start (then no file is to blame).
    """
    pool = None
    try:
        for item in sorted(suspects, key=lambda f: f.rel_path):
            if pool is None:
                pool = _new_pool(1)
            started = time.monotonic()
            try:
                with single_thread_env():
                    future = pool.submit(_process_with_deadline, item, settings)
                result = settle(item, settings, future.result)
            except BrokenProcessPool:
                # the worker's own timer killed it when (at least) the limit has passed; the
                # process start counts here too, so a crash just before the limit reads as a timeout
                ran_out = bool(settings.timeout_s) and time.monotonic() - started >= 0.9 * settings.timeout_s
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
                if not _pool_starts():
                    raise ScanError(
                        "worker processes die as they start, so no file can be analysed in parallel. If you "
                        "call scan_folder from a script, put the call under `if __name__ == \"__main__\":`; "
                        "otherwise run with --workers 1 and report this"
                    ) from None
                if ran_out:
                    result = timeout_result(item, settings)
                else:
                    result = crash_result(item, settings, "worker process terminated abruptly")
            yield result
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_pool(items: Sequence[InputFile], settings: ScanSettings, workers: int) -> Iterator[WorkResult]:
    pending = deque(items)
    window = 2 * workers  # bounded: finished overlays wait in memory only briefly
    pool = _new_pool(workers)
    try:
        inflight: dict = {}
        while pending or inflight:
            suspects: list[InputFile] = []
            broken = False
            try:
                with single_thread_env():
                    while pending and len(inflight) < window:
                        inflight[pool.submit(_process_with_deadline, pending[0], settings)] = pending[0]
                        pending.popleft()
            except BrokenProcessPool:  # a worker died since the last wait(); pending[0] was not taken
                broken = True
            else:
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    item = inflight.pop(future)
                    try:
                        result = settle(item, settings, future.result)
                    except BrokenProcessPool:
                        suspects.append(item)
                        broken = True
                    else:
                        yield result
            if broken:
                # the pool is dead: every file still in flight is a suspect too
                suspects.extend(inflight.values())
                inflight.clear()
                pool.shutdown(wait=True, cancel_futures=True)
                logger.warning("a worker process died; re-running %d file(s) one at a time", len(suspects))
                yield from _run_isolated(suspects, settings)
                pool = _new_pool(workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(items: Sequence[InputFile], settings: ScanSettings, address: str, workers: int) -> Iterator[WorkResult]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise ScanError(f"--dask needs dask.distributed installed ({exc})") from exc

    cluster = None
    try:
        if address == "local":
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1")
            client = Client(cluster)
        else:
            client = Client(address)  # waits distributed.comm.timeouts.connect (dask config)
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise ScanError(
            f"cannot connect to the Dask scheduler at {address!r} ({type(exc).__name__}: {exc}); "
            "check the address (e.g. tcp://host:8786) and that the scheduler is running"
        ) from exc
    try:
        futures = client.map(process_input, list(items), settings=settings, pure=False)
        by_key = {f.key: item for f, item in zip(futures, items)}
        for future in as_completed(futures):
            item = by_key[future.key]
            result = settle(item, settings, future.result)  # KilledWorker: the scheduler gave up on this file
            future.release()
            yield result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_inputs(
    items: Sequence[InputFile],
    settings: ScanSettings,
    *,
    workers: int = 1,
    dask_address: str | None = None,
) -> Iterator[WorkResult]:
    """Process ``items`` and yield one result per item, in completion order.

    Parameters
    ----------
    items : sequence of InputFile
    settings : ScanSettings
    workers : int
        Processes on this machine (1: in this process, unless ``settings.timeout_s``
        is set); with ``dask_address="local"``
        the number of workers of the local Dask cluster.
    dask_address : str, optional
        ``"local"`` for a new local Dask cluster, or a scheduler address
        (``tcp://host:8786``).  The input files must be readable at the same
        paths on every Dask worker.

    Raises
    ------
    ScanError
        If the Dask scheduler cannot be reached.
    """
    if not items:
        return iter(())
    if dask_address:
        return _run_dask(items, settings, dask_address, workers)
    if workers <= 1 and not settings.timeout_s:
        return _run_serial(items, settings)
    return _run_pool(items, settings, max(workers, 1))
