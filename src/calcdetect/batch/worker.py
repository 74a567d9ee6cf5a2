"""One input file in, one work record out: the unit of work of a scan.

:func:`process_input` runs in a worker process (or on a Dask worker): it reads
the file, detects, and renders the overlay in memory.  It never writes to the
file system and never raises: every failure becomes an error record with a
short code and a message saying what to do, so one bad file can never stop a
batch.  The parent process stores the records (see :mod:`.records`).

A record is a plain JSON-able dict, so it can be written to disk, sent
between processes and compared between runs exactly.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field

from calcdetect import __version__
from calcdetect.config import DetectorConfig
from calcdetect.threads import limit_opencv_threads
from calcdetect.detector.pipeline import detect_mammogram
from calcdetect.errors import CalcdetectError, ImageTooLargeError, InternalError, FileAccessError
from calcdetect.io import read_mammogram
from calcdetect.keys import patient_key as make_patient_key
from calcdetect.errors import PASS_THROUGH
from calcdetect.vocabulary import Flag

from .discover import InputFile
from .outputs import calcification_rows, cluster_rows
from .overlay import render_review_files

__all__ = [
    "ScanSettings",
    "WorkResult",
    "RECORD_FORMAT",
    "process_input",
    "error_result",
    "safe_file_stem",
]

RECORD_FORMAT = "calcdetect-scan-record/2"  # 2: + study/series instance UIDs, sop_class_uid (for the CAD SR)
_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z._-]")
_MAX_MESSAGE = 600


@dataclass(frozen=True)
class ScanSettings:
    """Everything that decides what a worker computes for a file.

    ``settings_id`` (a digest of all fields but ``overlays`` and ``timeout_s``) is stored in
    every record so that ``--resume`` never mixes results of two settings.
    """

    config: DetectorConfig
    default_spacing_mm: float | None = None
    pseudonymize_key: str | None = field(default=None, repr=False)
    overlays: bool = True
    #: cross the candidates rejected as artefacts on the overlays (not part of ``settings_id``: drawing only)
    show_rejected: bool = False
    #: per-file limit in worker processes (not part of ``settings_id``: it never changes a result)
    timeout_s: float | None = None

    @property
    def settings_id(self) -> str:
        check = None
        if self.pseudonymize_key is not None:
            # an HMAC output like any pseudonymised key, never the secret itself
            check = make_patient_key("calcdetect-settings-check", pseudonymize_key=self.pseudonymize_key)
        payload = {
            "version": __version__,
            "config": self.config.to_dict(),
            "default_spacing_mm": self.default_spacing_mm,
            "pseudonymize_check": check,
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class WorkResult:
    """What a worker sends back: the record and, for images, the rendered files."""

    record: dict
    overlay_png: bytes | None = None
    thumbnail_jpg: bytes | None = None


def safe_file_stem(uid: str, *, fallback: str) -> str:
    """A file-name stem for a SOP Instance UID that cannot escape a folder.

    Valid UIDs (digits and dots) are kept as they are; anything else is
    replaced and suffixed with a digest so two different UIDs never collide.
    ``fallback`` is used when the UID is empty.
    """
    uid = uid.strip()
    if not uid:
        return f"nouid-{fallback}"
    safe = _UNSAFE_NAME.sub("_", uid)[:64].lstrip(".")
    if safe == uid:
        return safe
    digest = hashlib.sha256(uid.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{safe}_h{digest}" if safe else f"h{digest}"


def _base_record(item: InputFile, settings_id: str) -> dict:
    return {
        "format": RECORD_FORMAT,
        "version": __version__,
        "job_id": item.job_id,
        "path": item.rel_path,
        "size_bytes": item.size_bytes,
        "mtime_ns": item.mtime_ns,
        "settings_id": settings_id,
    }


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def error_result(item: InputFile, settings_id: str, code: str, message: str, *, seconds: float = 0.0) -> WorkResult:
    """An error record for ``item``: it goes to ``errors.csv``.

    A leading ``"<absolute path>: "`` in the message is dropped: the ``path``
    column already says which file, and outputs should not depend on where
    the input folder was mounted.
    """
    message = str(message)
    if message.startswith(f"{item.path}: "):
        message = message[len(item.path) + 2 :]
    record = _base_record(item, settings_id)
    record.update(status="error", error=code, message=_one_line(message), seconds=round(seconds, 4))
    return WorkResult(record)


def _unexpected(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, MemoryError):
        return (
            ImageTooLargeError.code,
            "not enough memory to analyse this image; run again with fewer --workers "
            "or on a machine with more memory",
        )
    if isinstance(exc, OSError):
        return (
            FileAccessError.code,
            f"the file could not be read ({type(exc).__name__}: {exc.strerror or exc}); "
            "check that it exists and that you have permission to read it",
        )
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
    return (
        InternalError.code,
        f"unexpected {kind} while analysing this file: {exc}; this is a bug in "
        "calcdetect, please report it with the calcdetect version and, if you can, the file's "
        "header without patient data",
    )


def process_input(item: InputFile, settings: ScanSettings) -> WorkResult:
    """Analyse one file; never raises (but for ``PASS_THROUGH``: interrupts and exits).

    Parameters
    ----------
    item : InputFile
        The file to read.
    settings : ScanSettings
        Detector configuration and reading options.

    Returns
    -------
    WorkResult
        ``record["status"]`` is ``"ok"`` (an image row, its calcifications
        and clusters, and the overlay when asked) or ``"error"`` (a code and
        a message for ``errors.csv``).
    """
    settings_id = settings.settings_id
    started = time.perf_counter()
    if not item.is_regular:
        return error_result(
            item,
            settings_id,
            FileAccessError.code,
            "not a regular file (a dangling link, FIFO, socket or device); "
            "copy the real file into the folder or remove the entry",
        )
    try:
        return _process(item, settings, settings_id, started)
    except CalcdetectError as exc:
        return error_result(item, settings_id, exc.code, exc.message, seconds=time.perf_counter() - started)
    except PASS_THROUGH:
        raise
    except BaseException as exc:  # noqa: BLE001 - one file must never stop the batch (a panic is a BaseException)
        code, message = _unexpected(exc)
        return error_result(item, settings_id, code, message, seconds=time.perf_counter() - started)


def _process(item: InputFile, settings: ScanSettings, settings_id: str, started: float) -> WorkResult:
    limit_opencv_threads(1)
    t0 = time.perf_counter()
    mammogram = read_mammogram(item.path, default_spacing_mm=settings.default_spacing_mm)
    t1 = time.perf_counter()
    result = detect_mammogram(mammogram, config=settings.config)
    t2 = time.perf_counter()
    key = make_patient_key(mammogram.patient_id, pseudonymize_key=settings.pseudonymize_key)
    uid = str(mammogram.sop_instance_uid or "").strip()
    stem = safe_file_stem(uid, fallback=item.job_id[:12])
    overlay_png = thumb = None
    overlay_name = ""
    if settings.overlays:
        overlay_png, thumb = render_review_files(mammogram, result, patient_key=key,
                                                 show_rejected=settings.show_rejected)
        overlay_name = f"{key}/{stem}"
    t3 = time.perf_counter()

    record = _base_record(item, settings_id)
    rows, cols = mammogram.shape
    spacing_row_mm, spacing_col_mm = (float(s) for s in mammogram.spacing_mm)
    record.update(
        status="ok",
        image={
            "sop_instance_uid": uid,
            "study_instance_uid": mammogram.study_instance_uid,
            "series_instance_uid": mammogram.series_instance_uid,
            "sop_class_uid": mammogram.sop_class_uid,
            "patient_key": key,
            "laterality": mammogram.laterality,
            "view": mammogram.view,
            "manufacturer": mammogram.manufacturer,
            "presentation_intent": mammogram.presentation_intent,
            # what the false-positive models were told (DetectorConfig.image_family, else the header)
            "image_family": "film" if result.digitised_film else "digital",
            "rows": int(rows),
            "cols": int(cols),
            "spacing_mm": spacing_row_mm,
            "spacing_col_mm": spacing_col_mm,
            # the breast the detector found: far from the image's tissue, its search region was wrong
            "breast_area_mm2": float(result.breast_area_mm2),
            "n_calcifications": len(result.calcifications),
            "n_clusters": len(result.clusters),
            "score": float(result.score),
            "threshold": float(result.threshold),
            "flag": Flag.of(result.flag),
        },
        overlay_name=overlay_name,
        calcifications=calcification_rows((*result.calcifications, *result.rejected_calcifications),
                                          spacing_mm=(spacing_row_mm, spacing_col_mm)),
        clusters=cluster_rows(result.clusters),
        timings_s={"read": t1 - t0, "detect": t2 - t1, "overlay": t3 - t2},
        seconds=round(t3 - started, 4),
    )
    return WorkResult(record, overlay_png, thumb)
