"""The scan's work folder ``OUT/.work``: one record per input, written atomically.

Why a work folder: the final CSVs are sorted tables that can only be written
once everything is known, but a run may be killed at any moment.  So each
finished file is saved at once as its own small JSON record (and its overlay
and thumbnail as staged files), each written to a temporary name and renamed
into place: a killed run leaves complete records or none, never half of one.
``--resume`` reuses the records whose file (size, modification time) and
settings are unchanged and processes the rest; the final tables are always
assembled from the records, so a resumed run gives the same files as an
uninterrupted one.

Layout::

    OUT/.work/settings.json           settings_id, version, configuration
    OUT/.work/records/<job_id>.json   one per input file
    OUT/.work/overlays/<job_id>.png   staged overlay (moved to OUT/overlays/ at the end)
    OUT/.work/overlays/<job_id>.jpg   staged thumbnail
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from calcdetect.atomic import atomic_write_bytes, atomic_write_text

from .discover import InputFile
from .outcome import record_problem
from .worker import WorkResult

__all__ = ["WorkStore"]

logger = logging.getLogger(__name__)


class WorkStore:
    """Records of one output folder (see the module docstring for the layout)."""

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.root = Path(out_dir) / ".work"
        self.records_dir = self.root / "records"
        self.overlays_dir = self.root / "overlays"
        self.settings_path = self.root / "settings.json"

    # -- settings ---------------------------------------------------------
    def read_settings(self) -> dict | None:
        try:
            return json.loads(self.settings_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def start(self, settings: dict, *, resume: bool) -> None:
        """Prepare the work folder; without ``resume`` forget every earlier record."""
        if not resume and self.root.exists():
            shutil.rmtree(self.root)
        self.records_dir.mkdir(parents=True, exist_ok=True)
        self.overlays_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.settings_path, json.dumps(settings, indent=2, sort_keys=True))

    # -- records ----------------------------------------------------------
    def record_path(self, job_id: str) -> Path:
        return self.records_dir / f"{job_id}.json"

    def staged_overlay(self, job_id: str) -> Path:
        return self.overlays_dir / f"{job_id}.png"

    def staged_thumbnail(self, job_id: str) -> Path:
        return self.overlays_dir / f"{job_id}.jpg"

    def save(self, result: WorkResult) -> dict:
        """Store a worker's result: overlay files first, then the record that points to them."""
        record = dict(result.record)
        job_id = record["job_id"]
        if result.overlay_png is not None:
            atomic_write_bytes(self.staged_overlay(job_id), result.overlay_png)
            atomic_write_bytes(self.staged_thumbnail(job_id), result.thumbnail_jpg or b"")
        atomic_write_text(self.record_path(job_id), json.dumps(record, sort_keys=True))
        return record

    def load_reusable(self, item: InputFile, *, settings_id: str, overlays: bool) -> dict | None:
        """The saved record of ``item`` if ``--resume`` may reuse it, else None.

        A record is reused only when it is a well-formed record of the same
        relative path (:func:`.outcome.record_problem`), the file has the same size and modification time, the settings are the
        same, and (for images, when overlays are asked) its overlay is staged.
        """
        try:
            record = json.loads(self.record_path(item.job_id).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if (
            record_problem(record, item) is not None
            or record.get("size_bytes") != item.size_bytes
            or record.get("mtime_ns") != item.mtime_ns
            or record.get("settings_id") != settings_id
        ):
            return None
        if record.get("status") == "ok":
            if overlays and not (
                record.get("overlay_name")
                and self.staged_overlay(item.job_id).is_file()
                and self.staged_thumbnail(item.job_id).is_file()
            ):
                return None
            if not overlays:
                record["overlay_name"] = ""
        return record
