"""Atomic file writes: a temporary file in the same folder, then a rename.

Readers, and a later run after a kill, see the old file or the new one, never
a partial one.  Temporary files get the usual permissions (0666 less the
umask), unlike :func:`tempfile.mkstemp` files (0600).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "atomic_link_or_copy"]


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp_path)`` for a fresh temporary file, then rename it to ``path``.

    For writers that want a path (``pydicom.dcmwrite``, ``DataFrame.to_csv``,
    ``Figure.savefig``).  The folder is created when missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(path)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text.

    File names that are not valid UTF-8 (kept by Python as lone surrogates)
    are written with backslash escapes (``\\xff``), so the output stays valid
    UTF-8 instead of failing.
    """
    atomic_write_bytes(path, text.encode("utf-8", "backslashreplace"))


def atomic_link_or_copy(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Make ``dst`` a complete copy of ``src`` atomically (a hard link when the file system allows)."""
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(dst)
    try:
        try:
            os.link(src, tmp)
        except OSError:  # no hard links here (e.g. some network shares): copy instead
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
