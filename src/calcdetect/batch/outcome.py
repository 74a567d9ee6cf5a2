"""Whatever running one file produced, turned into a result that is safe to store.

:func:`settle` is the one place where the runners of :mod:`.parallel`
(in-process, local process pool, Dask) turn a worker's *outcome* into a
:class:`.worker.WorkResult`: a result that passes :func:`record_problem` is
kept as it is; anything else -- an exception of any type (also one that
could not be pickled back from the worker process, or a ``BaseException``
such as a Rust decoder's panic), a value that is not a result, a record that
is malformed or belongs to another file -- becomes an ``errors.csv`` row for
that file with code ``internal_error``, the exception's (or value's) type
and message.  So one file can never stop a batch, whatever goes wrong while
it is analysed.  Only ``KeyboardInterrupt``, ``SystemExit`` and
``GeneratorExit`` pass through (the user or the interpreter stops the run),
and ``BrokenProcessPool``, which the local pool handles itself by re-running
the files that were in flight one at a time.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool

from calcdetect.errors import ERROR_CODES, PASS_THROUGH, AnalysisTimeoutError, InternalError
from calcdetect.vocabulary import Flag

from .discover import InputFile
from .worker import RECORD_FORMAT, ScanSettings, WorkResult, error_result

__all__ = ["settle", "record_problem", "crash_result", "timeout_result"]

_REPORT = ("this is a bug in calcdetect or in a library it uses; please report it with the calcdetect "
           "version and this row")


def crash_result(item: InputFile, settings: ScanSettings, reason: str) -> WorkResult:
    """The row of a file whose worker process died even when it ran alone."""
    return error_result(
        item,
        settings.settings_id,
        InternalError.code,
        f"the process analysing this file died ({reason}) even when run alone: the file probably "
        "crashes a pixel decoder or needs more memory than available; check it with another DICOM "
        "viewer and please report it",
    )


def timeout_result(item: InputFile, settings: ScanSettings) -> WorkResult:
    """The row of a file that ran out of time twice."""
    return error_result(
        item,
        settings.settings_id,
        AnalysisTimeoutError.code,
        f"reading and analysing this file took longer than the limit of {settings.timeout_s:g} s, twice "
        "(a pixel decoder probably hangs on it); check it with another DICOM viewer, or raise --timeout-s "
        "if your images are unusually large",
        seconds=float(settings.timeout_s or 0.0),
    )


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _image_problem(record: dict) -> str | None:
    image = record.get("image")
    if not isinstance(image, dict):
        return "no 'image' mapping"
    if not isinstance(image.get("sop_instance_uid"), str) or not isinstance(image.get("patient_key"), str):
        return "image without sop_instance_uid or patient_key text"
    if image.get("flag") not in tuple(Flag):
        return f"image flag {image.get('flag')!r}"
    if not (_is_number(image.get("score")) and isinstance(image.get("n_clusters"), int)):
        return "image score or n_clusters not a number"
    if not isinstance(record.get("overlay_name", ""), str) or not _is_number(record.get("seconds")):
        return "overlay_name or seconds of the wrong type"
    for table, key in (("calcifications", "calcification_id"), ("clusters", "cluster_id")):
        rows = record.get(table)
        if not isinstance(rows, list) or not all(isinstance(r, dict) and isinstance(r.get(key), int) for r in rows):
            return f"{table} not a list of rows with an integer {key}"
    return None


def record_problem(record, item: InputFile) -> str | None:
    """What is wrong with ``record`` as the record of ``item``, or None when it can be stored and assembled.

    Checks exactly what :mod:`.records` and :mod:`.outputs` rely on: a JSON-able
    mapping of this file (job id and path) whose status is ``ok`` with an image
    row, its calcifications and clusters, or ``error`` with a known code and a
    message.
    """
    if not isinstance(record, dict):
        return f"the record is a {type(record).__name__}, not a mapping"
    if record.get("format") != RECORD_FORMAT:
        return f"record format {record.get('format')!r}"
    if record.get("job_id") != item.job_id or record.get("path") != item.rel_path:
        return f"the record is for another file ({str(record.get('path'))[:100]!r})"
    status = record.get("status")
    if status == "error":
        if record.get("error") not in ERROR_CODES or not isinstance(record.get("message"), str):
            return f"error record with code {record.get('error')!r}"
    elif status == "ok":
        problem = _image_problem(record)
        if problem:
            return problem
    else:
        return f"record status {status!r}"
    try:
        json.dumps(record, allow_nan=True)
    except (TypeError, ValueError, RecursionError) as exc:
        return f"the record cannot be saved as JSON ({exc})"
    return None


def _checked(item: InputFile, settings: ScanSettings, value) -> WorkResult:
    if not isinstance(value, WorkResult):
        return error_result(item, settings.settings_id, InternalError.code,
                            f"the worker returned a {type(value).__name__} instead of a result; {_REPORT}")
    problem = record_problem(value.record, item)
    if problem is None and value.record["status"] == "ok" and value.overlay_png is not None:
        if not isinstance(value.overlay_png, bytes) or not isinstance(value.thumbnail_jpg, (bytes, type(None))):
            problem = "overlay images that are not bytes"
    if problem is not None:
        return error_result(item, settings.settings_id, InternalError.code,
                            f"the worker returned a malformed result ({problem}); {_REPORT}")
    return value


def settle(item: InputFile, settings: ScanSettings, fetch: Callable[[], object]) -> WorkResult:
    """Call ``fetch`` (which returns or raises what the worker did for ``item``) and make it a result.

    Parameters
    ----------
    item : InputFile
        The file the outcome belongs to (its row names it even when the outcome does not).
    settings : ScanSettings
    fetch : callable
        ``lambda: process_input(item, settings)``, ``future.result``, ...

    Returns
    -------
    WorkResult
        The worker's own result when it is well formed, else an ``internal_error``
        row (``KilledWorker`` of Dask: the row of a file that kills its worker).

    Raises
    ------
    BrokenProcessPool
        Left to the local pool, which re-runs the files that were in flight alone.
    KeyboardInterrupt, SystemExit, GeneratorExit
        Never turned into a row.
    """
    try:
        value = fetch()
    except (*PASS_THROUGH, BrokenProcessPool):
        raise
    except BaseException as exc:  # noqa: BLE001 - one file must never stop the batch
        if type(exc).__name__ == "KilledWorker":  # dask.distributed gave up: the file kills its worker
            return crash_result(item, settings, "KilledWorker on the Dask cluster")
        text = " ".join(str(exc).split())[:300]
        kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
        return error_result(item, settings.settings_id, InternalError.code,
                            f"the worker failed with {kind}: {text}; {_REPORT}")
    return _checked(item, settings, value)
