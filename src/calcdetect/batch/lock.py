"""One scan at a time per output folder: a lock file beside the outputs.

Two scans writing into the same OUT would remove and rewrite each other's
records and tables.  The lock is a file created atomically (``O_EXCL``) in OUT
holding the owner's host, process id and start time.  A lock left behind by a
scan that was killed is *stale* when its host is this machine and its process
no longer exists; it is then taken over (so ``--resume`` after a kill just
works).  A lock from another host cannot be checked and is never taken over:
the message says how to remove it.
"""

from __future__ import annotations

import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

from calcdetect.errors import ScanError

__all__ = ["OutputLock", "LOCK_NAME"]

LOCK_NAME = ".calcdetect-scan.lock"
#: a lock file that cannot be parsed (its writer died while creating it) is stale after this long
_UNREADABLE_STALE_S = 30.0


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class OutputLock:
    """Context manager holding the lock of one output folder.

    Raises
    ------
    ScanError
        On entry, if another live scan holds the folder.
    """

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.path = Path(out_dir) / LOCK_NAME
        self._held = False

    def __enter__(self) -> OutputLock:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is not None:
                    raise ScanError(holder) from None
                self.path.unlink(missing_ok=True)  # stale: its scan is gone
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"host": socket.gethostname(), "pid": os.getpid(),
                           "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}, fh)
            self._held = True
            return self
        raise ScanError(f"cannot take the lock {str(self.path)!r}: another scan keeps creating it")

    def __exit__(self, *exc_info) -> None:
        if self._held:
            self.path.unlink(missing_ok=True)
            self._held = False

    def _holder(self) -> str | None:
        """Why the folder is busy, or None when the existing lock is stale."""
        try:
            info = json.loads(self.path.read_text("utf-8"))
            host, pid, started = str(info["host"]), int(info["pid"]), str(info.get("started", "?"))
        except FileNotFoundError:
            return None  # released meanwhile
        except (OSError, ValueError, KeyError, TypeError):
            try:
                age_s = time.time() - self.path.stat().st_mtime
            except OSError:
                return None
            if age_s > _UNREADABLE_STALE_S:
                return None
            host, pid, started = "?", -1, "just now"
        if host == socket.gethostname() and not _process_exists(pid):
            return None
        return (f"another calcdetect scan (process {pid} on {host}, started {started}) is writing to "
                f"{str(self.path.parent)!r}; wait for it to finish or choose another -o folder. If no scan "
                f"is running there, delete {str(self.path)!r} and run again")
