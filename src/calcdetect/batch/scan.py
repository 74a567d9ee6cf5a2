"""``scan_folder``: a whole folder of DICOM files to the output folder of docs/outputs.md.

The steps, each in its own module: find the files (:mod:`.discover`), analyse
them in parallel (:mod:`.parallel`, :mod:`.worker`), save each result at once
(:mod:`.records`), then assemble the sorted tables (:mod:`.outputs`), place
the overlays and write the index (:mod:`.html_index`), one Mammography CAD SR
per study (:func:`calcdetect.sr.write_study_srs`, in two steps so that studies
left out join ``errors.csv``) and ``run.json``.
"""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import shutil
import sys
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from calcdetect import __version__
from calcdetect.config import DetectorConfig
from calcdetect.detector.cluster_model import TOP_SUM, load_cluster_model, member_models
from calcdetect.detector.fp_model import SHIPPED_COARSE_MODEL, SHIPPED_MODEL, THRESHOLD_FIELD, load_fp_model
from calcdetect.errors import InternalError

from .discover import discover_inputs
from .lock import OutputLock
from .html_index import render_index_html
from .outputs import assemble_tables, count_positive, write_tables
from calcdetect.errors import ScanError

from .parallel import run_inputs
from calcdetect.atomic import atomic_link_or_copy, atomic_write_text

from .records import WorkStore
from calcdetect.sr import plan_study_reports, write_study_reports
from .summary import ScanSummary
from .worker import ScanSettings, error_result

__all__ = ["scan_folder", "ScanError"]

logger = logging.getLogger(__name__)

_FINAL_FILES = ("images.csv", "calcifications.csv", "clusters.csv", "patients.csv", "errors.csv", "run.json")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_arguments(workers, default_spacing_mm, pseudonymize_key, dask_address, timeout_s=None) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ScanError(f"workers must be a whole number >= 1, got {workers!r}")
    if timeout_s is not None and not (isinstance(timeout_s, (int, float)) and not isinstance(timeout_s, bool)
                                      and math.isfinite(timeout_s) and timeout_s > 0):
        raise ScanError(f"the per-file time limit must be a positive number of seconds, got {timeout_s!r}")
    if default_spacing_mm is not None:
        if not (isinstance(default_spacing_mm, (int, float)) and math.isfinite(default_spacing_mm)
                and 0.0 < default_spacing_mm <= 1.0):
            raise ScanError(
                f"default spacing must be a pixel size in mm between 0 and 1 (mammograms use 0.05-0.1), "
                f"got {default_spacing_mm!r}"
            )
    if pseudonymize_key is not None and not str(pseudonymize_key):
        raise ScanError("the pseudonymisation key must not be empty")
    if dask_address is not None and not str(dask_address).strip():
        raise ScanError("--dask needs a scheduler address (tcp://host:8786) or 'local'")


def _prepare_out_dir(dicom_dir: Path, out_dir: Path) -> None:
    if out_dir == dicom_dir:
        raise ScanError("the output folder must not be the input folder; choose another -o folder")
    for ours in (out_dir / ".work", out_dir / "overlays", out_dir / "sr"):
        if dicom_dir.is_relative_to(ours):
            raise ScanError(f"the input folder lies inside {str(ours)!r}, which the scan rewrites; "
                            "choose another -o folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScanError(f"cannot create the output folder {str(out_dir)!r}: {exc.strerror or exc}") from exc
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise ScanError(f"the output folder {str(out_dir)!r} is not writable; choose another -o folder")


def _forget_previous_outputs(out_dir: Path, store: WorkStore) -> None:
    """Without --resume, remove what an earlier scan wrote here (only our own files)."""
    ours = store.settings_path.exists() or (out_dir / "run.json").exists()
    if not ours:
        return
    for name in _FINAL_FILES:
        (out_dir / name).unlink(missing_ok=True)
    shutil.rmtree(out_dir / "overlays", ignore_errors=True)
    shutil.rmtree(out_dir / "sr", ignore_errors=True)


def _remove_stale_temp_files(out_dir: Path) -> None:
    """Drop the temporary files a killed run may have left (never a final file: those are renamed)."""
    candidates = list(out_dir.glob(".*.tmp"))
    for sub in (".work", "overlays", "sr"):
        if (out_dir / sub).is_dir():
            candidates.extend((out_dir / sub).rglob(".*.tmp"))
    for path in candidates:
        path.unlink(missing_ok=True)


def _plan_srs(tables, dicom_path: Path, config: DetectorConfig, pseudonymize_key: str | None):
    """Plan the CAD SRs; the studies left out become rows of ``errors.csv`` (sorted by path)."""
    plan = plan_study_reports(tables, dicom_dir=dicom_path, config=config, pseudonymize_key=pseudonymize_key)
    if plan.errors:
        tables.errors.extend(plan.errors)
        tables.errors.sort(key=lambda row: row["path"])
    return plan


def _progress_bar(total: int, initial: int, enabled: bool | None):
    from tqdm.auto import tqdm

    show = sys.stderr.isatty() if enabled is None else bool(enabled)
    return tqdm(total=total, initial=initial, unit="file", desc="scan", disable=not show,
                file=sys.stderr, dynamic_ncols=True, smoothing=0.1)


# Over 80 lines only by its docstring (eleven parameters, each a user-facing option); the body is its steps.
def scan_folder(
    dicom_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    workers: int = 1,
    resume: bool = False,
    overlays: bool = True,
    config: DetectorConfig | Mapping[str, Any] | None = None,
    default_spacing_mm: float | None = None,
    pseudonymize_key: str | None = None,
    dask_address: str | None = None,
    progress: bool | None = None,
    timeout_s: float | None = None,
    sr: bool = True,
    show_rejected: bool = False,
) -> ScanSummary:
    """Analyse every file under ``dicom_dir`` and write the scan outputs to ``out_dir``.

    Parameters
    ----------
    dicom_dir : path-like
        Folder searched recursively; every file is an input, recognised by
        content (no extension needed).
    out_dir : path-like
        Output folder (created).  Without ``resume`` the outputs of an earlier
        scan there are replaced.
    workers : int
        Processes on this machine, or workers of ``dask_address="local"``.
    resume : bool
        Reuse the results of an interrupted run in ``out_dir`` for files that
        did not change; the final files are the same as those of an
        uninterrupted run (except timings).
    overlays : bool
        Write review PNGs and ``overlays/index.html``.
    config : DetectorConfig or mapping, optional
        Detector configuration (default: the calibrated ``DetectorConfig()``); a
        mapping is read with ``DetectorConfig.from_dict`` (keys it does not name
        keep their calibrated values).
    default_spacing_mm : float, optional
        Pixel spacing for files whose header has none (otherwise they are
        reported as ``no_spacing``).
    pseudonymize_key : str, optional
        Secret for keyed-hash patient keys (never written anywhere).
    dask_address : str, optional
        Dask scheduler address, or ``"local"`` for a local Dask cluster.
    progress : bool, optional
        Show a progress bar on stderr; default: only when stderr is a terminal.
    timeout_s : float, optional
        Per-file limit (seconds) for reading and analysing one file in a local
        worker process; a file over it twice is reported as ``timeout``.  Not
        applied on Dask.  Default: no limit.
    sr : bool
        Write one Mammography CAD SR per study into ``out_dir/sr``
        (:mod:`calcdetect.sr`); a study that cannot get one is a row of
        ``errors.csv`` (code ``sr_not_written``).
    show_rejected : bool
        Cross the candidates rejected as artefacts (dust, scratch, scanner
        line, vascular) in magenta on the overlays.

    Returns
    -------
    ScanSummary

    Raises
    ------
    ScanError
        For fatal problems: missing input folder, unwritable output folder,
        bad arguments, unreachable Dask scheduler, settings that differ from
        the run being resumed, another scan writing to the same output folder
        (:mod:`.lock`).  Problems with single files never raise: they
        are rows of ``errors.csv``.

    Notes
    -----
    With ``workers > 1`` the worker processes are started with the ``spawn``
    method (safe with threads), which imports the calling script again: call
    ``scan_folder`` from a script under ``if __name__ == "__main__":``, as
    for any :mod:`multiprocessing` or Dask code.
    """
    started_at, t_start = _now(), time.perf_counter()
    _check_arguments(workers, default_spacing_mm, pseudonymize_key, dask_address, timeout_s)
    dicom_path, out_path = Path(dicom_dir).resolve(), Path(out_dir).resolve()
    if not dicom_path.is_dir():
        raise ScanError(f"input folder {str(dicom_dir)!r} does not exist or is not a folder")
    _prepare_out_dir(dicom_path, out_path)
    with OutputLock(out_path):
        return _scan(dicom_path, out_path, workers=workers, resume=resume, overlays=overlays, config=config,
                     default_spacing_mm=default_spacing_mm, pseudonymize_key=pseudonymize_key,
                     dask_address=dask_address, progress=progress, timeout_s=timeout_s, sr=sr,
                     show_rejected=show_rejected, started_at=started_at, t_start=t_start)


def _warn_of_other_member_models(model, config: DetectorConfig, where: str) -> None:
    """Say so when the cluster model was trained on members that other false-positive models scored: it
    reads their probabilities, so its scores (and the thresholds calibrated on them) may mean less."""
    recorded = (model.metadata.get("training", {}).get("member_models") or {}) if model is not None else {}
    differ = [key for key, sha in member_models(config).items() if key in recorded and recorded[key] != sha]
    if differ:
        logger.warning("the cluster model (%s) was trained on clusters whose members were scored by another %s "
                       "than this configuration's: its scores read their probabilities, so they and the thresholds "
                       "may not mean what they did; train a cluster model for this configuration (`calcdetect train "
                       "OUT --clusters --config FILE`) and calibrate its thresholds", where, " and ".join(differ))


def _check_models(config: DetectorConfig) -> None:
    """Load the false-positive and cluster models once, so a missing or mismatched model stops the run at once."""
    for key, shipped in (("fp_model", SHIPPED_MODEL), ("fp_model_coarse", SHIPPED_COARSE_MODEL)):
        path = getattr(config, key)
        try:
            load_fp_model(path, shipped)
        except (OSError, ValueError, ImportError) as exc:
            where = repr(path) if path else "shipped with calcdetect"
            raise ScanError(f"cannot load the false-positive model {key} ({where}): {exc}; give `{key}` in --config "
                            "the base name of a model written by `calcdetect train`, or reinstall calcdetect") from exc
    where = repr(config.cluster_model) if config.cluster_model else "shipped with calcdetect"
    try:
        model = load_cluster_model(config.cluster_model)
    except (OSError, ValueError, ImportError) as exc:
        raise ScanError(f"cannot load the cluster model ({where}): {exc}; give `cluster_model` in --config the base "
                        f"name of a model written by `calcdetect train OUT --clusters`, or \"{TOP_SUM}\"") from exc
    _warn_of_other_member_models(model, config, where)
    unreachable = [f"{key} {getattr(config, key):g}" for key in THRESHOLD_FIELD.values() if getattr(config, key) > 1.0]
    if model is not None and unreachable:
        shipped = DetectorConfig()
        raise ScanError(f"the cluster model ({where}) scores clusters 0-1, so {' and '.join(unreachable)} can never "
                        "flag an image: give thresholds for the model in --config (`calcdetect calibrate`; the shipped "
                        f"model's are {shipped.image_threshold:g} and {shipped.image_threshold_coarse:g})")


def _describe_cluster_model(path: str) -> dict[str, object]:
    model = load_cluster_model(path)
    return model.describe() if model is not None else {"name": TOP_SUM}


def _scan(dicom_path: Path, out_path: Path, *, workers, resume, overlays, config, default_spacing_mm,
          pseudonymize_key, dask_address, progress, timeout_s, sr, started_at, t_start,
          show_rejected=False) -> ScanSummary:
    """The body of :func:`scan_folder`, run while holding the output folder's lock."""
    config = _resolve_config(config)
    settings = ScanSettings(config=config, default_spacing_mm=default_spacing_mm,
                            pseudonymize_key=pseudonymize_key, overlays=overlays, show_rejected=show_rejected,
                            timeout_s=None if dask_address else timeout_s)
    store = _open_store(out_path, settings, resume=resume)
    t0 = time.perf_counter()
    items = discover_inputs(dicom_path, exclude=(out_path,))
    t_discover = time.perf_counter() - t0
    t0 = time.perf_counter()
    records, n_resumed = _analyse(items, store, settings, resume=resume, workers=workers,
                                  dask_address=dask_address, progress=progress, out_path=out_path)
    t_process = time.perf_counter() - t0
    t0 = time.perf_counter()
    tables = assemble_tables([records[item.job_id] for item in items], overlays=overlays)
    outputs, n_srs = _publish(tables, store, out_path, dicom_path=dicom_path, config=config,
                              pseudonymize_key=pseudonymize_key, overlays=overlays, sr=sr)
    t_assemble = time.perf_counter() - t0
    summary = ScanSummary(
        out_dir=out_path,
        n_inputs=len(items),
        n_images=len(tables.images),
        n_positive_images=count_positive(tables.images),
        n_patients=len(tables.patients),
        n_positive_patients=count_positive(tables.patients),
        n_errors=len(tables.errors),
        errors_by_code=dict(sorted(Counter(e["error"] for e in tables.errors).items())),
        n_resumed=n_resumed,
        seconds=time.perf_counter() - t_start,
        outputs={**outputs, "run": out_path / "run.json", **({"sr": out_path / "sr"} if sr else {})},
        n_srs=n_srs,
    )
    run = _run_record(summary, records, settings, dicom_path=dicom_path, started_at=started_at,
                      arguments={"workers": workers, "resume": resume, "overlays": overlays,
                                 "default_spacing_mm": default_spacing_mm,
                                 "pseudonymized": pseudonymize_key is not None, "dask": dask_address,
                                 "timeout_s": timeout_s, "sr": sr, "show_rejected": show_rejected},
                      timings={"discover": t_discover, "process": t_process, "assemble": t_assemble})
    try:
        atomic_write_text(out_path / "run.json", json.dumps(run, indent=2, default=str) + "\n")
    except OSError as exc:
        raise ScanError(f"cannot write run.json in {str(out_path)!r}: {exc.strerror or exc}") from exc
    return summary


def _resolve_config(config: DetectorConfig | Mapping[str, Any] | None) -> DetectorConfig:
    """The configuration to run with (a mapping changes only the keys it names); its model must load."""
    if config is None:
        config = DetectorConfig.default()
    elif isinstance(config, Mapping):
        try:
            config = DetectorConfig.from_dict(dict(config))
        except (TypeError, ValueError) as exc:
            raise ScanError(f"bad detector configuration: {exc}") from exc
    elif not isinstance(config, DetectorConfig):
        raise ScanError(f"config must be a DetectorConfig or a mapping, got {type(config).__name__}")
    _check_models(config)
    return config


def _open_store(out_path: Path, settings: ScanSettings, *, resume: bool) -> WorkStore:
    """The work store of OUT, checked for --resume and started (earlier outputs forgotten unless resuming)."""
    store = WorkStore(out_path)
    if resume:
        previous = store.read_settings()
        if previous is not None and previous.get("settings_id") != settings.settings_id:
            raise ScanError(
                "--resume: the output folder holds a run made with other settings (detector "
                "configuration, default spacing, pseudonymisation key or calcdetect version); "
                "run again with the same settings, or without --resume to start over"
            )
    try:
        _remove_stale_temp_files(out_path)
        if not resume:
            _forget_previous_outputs(out_path, store)
        store.start({"settings_id": settings.settings_id, "version": __version__,
                     "config": settings.config.to_dict()}, resume=resume)
    except OSError as exc:
        raise ScanError(f"cannot write to the output folder {str(out_path)!r}: {exc.strerror or exc}") from exc
    return store


def _analyse(items, store: WorkStore, settings: ScanSettings, *, resume: bool, workers: int,
             dask_address: str | None, progress: bool | None, out_path: Path) -> tuple[dict[str, dict], int]:
    """One saved record per input file (reused ones first); returns them by job id and how many were reused."""
    records: dict[str, dict] = {}
    todo = []
    for item in items:
        record = store.load_reusable(item, settings_id=settings.settings_id,
                                     overlays=settings.overlays) if resume else None
        if record is None:
            todo.append(item)
        else:
            records[item.job_id] = record
    n_resumed = len(records)
    logger.info("%d file(s) found, %d to analyse, %d reused", len(items), len(todo), n_resumed)
    bar = _progress_bar(len(items), n_resumed, progress)
    try:
        for result in run_inputs(todo, settings, workers=workers, dask_address=dask_address):
            records[result.record["job_id"]] = store.save(result)
            bar.update(1)
        for item in todo:  # one row per file, even if a runner ever lost one (never seen; cheap to guarantee)
            if item.job_id not in records:
                records[item.job_id] = store.save(error_result(
                    item, settings.settings_id, InternalError.code,
                    "no result came back for this file; this is a bug in calcdetect, please report it"))
    except OSError as exc:
        raise ScanError(
            f"cannot write to the output folder {str(out_path)!r} ({exc.strerror or exc}); "
            "free some space or fix permissions, then run again with --resume"
        ) from exc
    finally:
        bar.close()
    return records, n_resumed


def _publish(tables, store: WorkStore, out_path: Path, *, dicom_path: Path, config: DetectorConfig,
             pseudonymize_key: str | None, overlays: bool, sr: bool) -> tuple[dict[str, Path], int]:
    """Write the tables, the CAD SRs, the overlays and their index; returns the outputs and the SR count."""
    sr_plan = _plan_srs(tables, dicom_path, config, pseudonymize_key) if sr else None
    try:
        outputs = write_tables(out_path, tables)
        sr_paths = write_study_reports(out_path, sr_plan) if sr_plan is not None else {}
        if overlays:
            for job_id, rel in tables.overlays:
                atomic_link_or_copy(store.staged_overlay(job_id), out_path / f"{rel}.png")
                atomic_link_or_copy(store.staged_thumbnail(job_id), out_path / f"{rel}.thumb.jpg")
            outputs["index"] = out_path / "overlays" / "index.html"
            sr_links = sr_plan.path_of_image() if sr_plan is not None else {}
            atomic_write_text(outputs["index"], render_index_html(tables.images, tables.patients,
                                                                   n_errors=len(tables.errors), sr_links=sr_links))
    except OSError as exc:
        raise ScanError(f"cannot write the outputs in {str(out_path)!r}: {exc.strerror or exc}") from exc
    return outputs, len(sr_paths)


def _run_record(summary: ScanSummary, records: dict[str, dict], settings: ScanSettings, *, dicom_path: Path,
                started_at: str, arguments: dict, timings: dict[str, float]) -> dict:
    """What ``run.json`` holds: version, arguments, the whole resolved configuration and model, counts, timings."""
    worker_sums: Counter = Counter()
    for record in records.values():
        worker_sums.update(record.get("timings_s", {}))
    config = settings.config
    return {
        "tool": "calcdetect",
        "command": "scan",
        "version": __version__,
        "started": started_at,
        "finished": _now(),
        "input_dir": str(dicom_path),
        "output_dir": str(summary.out_dir),
        "arguments": arguments,
        "config": config.to_dict(),
        "fp_model": load_fp_model(config.fp_model, SHIPPED_MODEL).describe(),
        "fp_model_coarse": load_fp_model(config.fp_model_coarse, SHIPPED_COARSE_MODEL).describe(),
        "cluster_model": _describe_cluster_model(config.cluster_model),
        "settings_id": settings.settings_id,
        "n_inputs": summary.n_inputs,
        "counts": {
            "images": summary.n_images,
            "positive_images": summary.n_positive_images,
            "patients": summary.n_patients,
            "positive_patients": summary.n_positive_patients,
            "errors": summary.n_errors,
            "errors_by_code": summary.errors_by_code,
            "structured_reports": summary.n_srs,
            "analysed_this_run": summary.n_inputs - summary.n_resumed,
            "reused_from_earlier_run": summary.n_resumed,
        },
        "timings_s": {
            **{k: round(v, 3) for k, v in timings.items()},
            "total": round(summary.seconds, 3),
            "worker_read_sum": round(worker_sums["read"], 3),
            "worker_detect_sum": round(worker_sums["detect"], 3),
            "worker_overlay_sum": round(worker_sums["overlay"], 3),
        },
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
