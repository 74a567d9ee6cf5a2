"""Find the input files of a scan: every file under a folder, in a stable order.

Archives rarely name DICOM files ``*.dcm`` (``IM000123``, ``1.2.840...``), so
nothing is chosen by extension: every regular file is an input, and the worker
decides from its content whether it is a mammogram.  Files that are not (text,
DICOMDIR, SR, ...) end as rows of ``errors.csv`` with a reason, so nothing in
the folder is silently dropped.  Only two things are left out on purpose:

* the scan's own output folder when it lies inside the input folder;
* the files ``calcdetect phantoms`` writes next to its images: the
  ``*.truth.json`` ground truth of each phantom and, in a folder holding
  such files, the set's ``manifest.csv`` and ``cohort_skipped.csv`` (the
  answer key and its notes, not inputs).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from calcdetect.evaluation.truth_files import TRUTH_SUFFIX

__all__ = ["InputFile", "discover_inputs", "job_id_of", "SIDECAR_SUFFIXES"]

logger = logging.getLogger(__name__)

#: file-name endings that are never inputs (phantom ground truth)
SIDECAR_SUFFIXES: tuple[str, ...] = (TRUTH_SUFFIX,)
#: names that are not inputs in a folder that holds phantom ground truth
_PHANTOM_SET_FILES = ("manifest.csv", "cohort_skipped.csv", "set_summary.json")


@dataclass(frozen=True)
class InputFile:
    """One file to analyse.

    Attributes
    ----------
    path : str
        Absolute path, used to read the file.
    rel_path : str
        Path relative to the scanned folder with ``/`` separators (bytes that
        are not UTF-8 shown as ``\\xNN``); this is the ``path`` column of the
        outputs and the sort key.
    size_bytes, mtime_ns : int
        Fingerprint used by ``--resume`` to tell whether a file changed.
    job_id : str
        Stable name of the file's work record (a digest of ``rel_path``).
    is_regular : bool
        False for FIFOs, sockets, devices and dangling links: they are reported,
        never opened (opening a FIFO would block the worker forever).
    """

    path: str
    rel_path: str
    size_bytes: int
    mtime_ns: int
    job_id: str
    is_regular: bool = True


def job_id_of(rel_path: str) -> str:
    """The ``job_id`` of the input at ``rel_path``: the stable name of its work record."""
    return hashlib.sha256(rel_path.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def discover_inputs(dicom_dir: str | os.PathLike, *, exclude: tuple[str | os.PathLike, ...] = ()) -> list[InputFile]:
    """List every input file under ``dicom_dir``, sorted by relative path.

    Parameters
    ----------
    dicom_dir : path-like
        Folder to walk recursively. Symbolic links to files are followed;
        links to folders are not (no loops, no escaping the folder tree).
    exclude : tuple of path-like, optional
        Folders to skip entirely (e.g. the output folder of the scan).

    Returns
    -------
    list of InputFile
        In ``rel_path`` order, which is the row order of the outputs.

    Raises
    ------
    NotADirectoryError
        If ``dicom_dir`` is not a folder.
    """
    root = Path(dicom_dir).resolve()
    if not root.is_dir():
        raise NotADirectoryError(f"input folder {str(dicom_dir)!r} does not exist or is not a folder")
    excluded = {Path(p).resolve() for p in exclude}
    found: list[InputFile] = []

    def _on_error(exc: OSError) -> None:
        logger.warning("cannot list %s: %s", exc.filename, exc.strerror)

    for current, dirnames, filenames in os.walk(root, onerror=_on_error):
        here = Path(current)
        dirnames[:] = sorted(d for d in dirnames if (here / d).resolve() not in excluded)
        phantom_set = any(name.endswith(SIDECAR_SUFFIXES) for name in filenames)
        for name in filenames:
            if name.endswith(SIDECAR_SUFFIXES) or (phantom_set and name in _PHANTOM_SET_FILES):
                continue
            full = here / name
            # names that are not valid UTF-8 are shown with \\xNN escapes in the outputs
            rel = os.fsencode(full.relative_to(root).as_posix()).decode("utf-8", "backslashreplace")
            try:
                st = full.stat()  # follows links to files
                regular = full.is_file()
                size, mtime = (st.st_size, st.st_mtime_ns)
            except OSError:  # dangling link, permission problem on the entry
                regular, size, mtime = False, 0, 0
            found.append(InputFile(str(full), rel, size, mtime, job_id_of(rel), regular))
    found.sort(key=lambda f: f.rel_path)
    return found
