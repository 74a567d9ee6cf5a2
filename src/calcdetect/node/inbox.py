"""``OUT/inbox/``: what the node received, one folder per study, written durably.

Layout::

    OUT/inbox/<study>/<sop>.dcm     a received instance (the sender got "success" for it)
    OUT/inbox/.incoming/            instances being received or checked (removed at start-up)

``<study>`` and ``<sop>`` are the Study and SOP Instance UIDs made safe as file
names (:func:`calcdetect.batch.worker.safe_file_stem`).  An instance is first
written to ``.incoming/`` (and flushed to disk with ``fsync``), checked, then
renamed into its study folder, and the folder itself is flushed: only then is
the sender answered *success*, so an acknowledged instance survives a crash
of the node or of the machine.  The path of an instance relative to
``OUT/inbox`` (``<study>/<sop>.dcm``) is its ``path`` in the output tables, as
``calcdetect scan OUT/inbox`` would report it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from calcdetect.batch.discover import InputFile, discover_inputs, job_id_of
from calcdetect.batch.worker import safe_file_stem

__all__ = ["Inbox", "StoredInstance"]

_INCOMING = ".incoming"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class StoredInstance:
    """Where an accepted instance now lies, and whether it was new."""

    study: str
    rel_path: str
    path: Path
    new: bool


class Inbox:
    """The received instances of one output folder (see the module docstring)."""

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.root = Path(out_dir) / "inbox"
        self.incoming = self.root / _INCOMING

    def prepare(self) -> None:
        """Create the folders; drop what a killed node was still receiving (never acknowledged)."""
        shutil.rmtree(self.incoming, ignore_errors=True)
        self.incoming.mkdir(parents=True, exist_ok=True)

    def write_incoming(self, data: bytes) -> Path:
        """Write received bytes to a fresh file in ``.incoming/``, flushed to disk; return its path."""
        path = self.incoming / f"{secrets.token_hex(8)}.dcm"
        with open(path, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return path

    @staticmethod
    def study_name(study_uid: str) -> str:
        return safe_file_stem(str(study_uid), fallback="unknown-study")

    def instance_rel_path(self, study_uid: str, sop_uid: str) -> str:
        """``<study>/<sop>.dcm``: the ``path`` under which the instance is reported."""
        stem = safe_file_stem(str(sop_uid), fallback="unknown-instance")
        return f"{self.study_name(study_uid)}/{stem}.dcm"

    def accept(self, incoming: Path, *, study_uid: str, sop_uid: str) -> StoredInstance:
        """Move a checked file from ``.incoming/`` into its study folder, durably.

        The same instance sent again (same UID, same bytes) is not stored twice
        (``new`` is False).  Different bytes under a UID already received are
        kept beside it with a digest suffix, so the tables report them as a
        ``duplicate`` of the first one, as ``scan`` does.
        """
        rel = self.instance_rel_path(study_uid, sop_uid)
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            data = incoming.read_bytes()
            if target.read_bytes() == data:
                incoming.unlink(missing_ok=True)
                return StoredInstance(rel.split("/")[0], rel, target, new=False)
            digest = hashlib.sha256(data).hexdigest()[:8]
            target = target.with_name(f"{target.stem}_d{digest}.dcm")
            rel = f"{rel.split('/')[0]}/{target.name}"
            if target.exists():
                incoming.unlink(missing_ok=True)
                return StoredInstance(rel.split("/")[0], rel, target, new=False)
        os.replace(incoming, target)
        _fsync_dir(target.parent)
        return StoredInstance(rel.split("/")[0], rel, target, new=True)

    def discard(self, incoming: Path) -> None:
        incoming.unlink(missing_ok=True)

    def studies(self) -> list[str]:
        """The study folders present, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def study_inputs(self, study: str) -> list[InputFile]:
        """The study's files as inputs of the batch engine, with paths relative to ``OUT/inbox``."""
        folder = self.root / study
        if not folder.is_dir():
            return []
        items = []
        for item in discover_inputs(folder):
            rel = f"{study}/{item.rel_path}"
            items.append(InputFile(item.path, rel, item.size_bytes, item.mtime_ns, job_id_of(rel), item.is_regular))
        return items

