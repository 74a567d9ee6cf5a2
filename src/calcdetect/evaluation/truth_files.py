"""Reading phantom truth files and scan output folders, and the one rule naming truth files.

The phantom writer, batch discovery, calibration and evaluation all use
:func:`truth_path_for` / :data:`TRUTH_SUFFIX`, so the naming rule lives here
only.  The parsed documents become tables in :mod:`calcdetect.evaluation.truth`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from calcdetect.evaluation.truth import Detections, TruthSet, truth_from_dicts

__all__ = ["TRUTH_SUFFIX", "truth_path_for", "read_truth_file", "read_truth_dir", "read_scan_output"]

log = logging.getLogger(__name__)

#: suffix of a phantom's ground-truth file, written beside ``NAME.dcm`` as ``NAME.truth.json``
TRUTH_SUFFIX = ".truth.json"

_STR_COLUMNS = {"sop_instance_uid": str, "patient_key": str, "path": str, "flag": str}


def truth_path_for(dicom_path: str | Path) -> Path:
    """The truth file of a phantom: ``NAME.dcm`` -> ``NAME.truth.json`` (same folder).

    Examples
    --------
    >>> truth_path_for("set/p001_LCC.dcm").as_posix()
    'set/p001_LCC.truth.json'
    """
    path = Path(dicom_path)
    return path.with_name(path.name.removesuffix(".dcm") + TRUTH_SUFFIX)


def read_truth_file(path: str | Path) -> dict:
    """One parsed truth document; :class:`ValueError` naming the file when it cannot be read."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read truth file {path}: {exc}") from exc


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=_STR_COLUMNS, keep_default_na=False, na_values=[""])


def read_scan_output(out_dir: Path) -> tuple[Detections, dict]:
    """The tables of a scan output folder, and its ``run.json`` (``{}`` when absent).

    Rows of ``calcifications.csv`` with a ``rejected`` reason (artefacts) are left out.

    Raises
    ------
    FileNotFoundError
        ``images.csv``, ``calcifications.csv`` or ``clusters.csv`` is missing.
    """
    out_dir = Path(out_dir)
    tables = {}
    for name in ("images", "calcifications", "clusters"):
        path = out_dir / f"{name}.csv"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: is {out_dir} the output folder of `calcdetect scan`?")
        tables[name] = _read_csv(path)
    calcs = tables["calcifications"]
    if "rejected" in calcs.columns:  # candidates rejected as artefacts are listed, not detections
        tables["calcifications"] = calcs[calcs["rejected"].isna()].reset_index(drop=True)
    patients = _read_csv(out_dir / "patients.csv") if (out_dir / "patients.csv").is_file() else None
    run_info = {}
    if (out_dir / "run.json").is_file():
        try:
            run_info = json.loads((out_dir / "run.json").read_text())
        except (OSError, ValueError) as exc:
            log.warning("could not read %s (%s); ignoring it", out_dir / "run.json", exc)
    return Detections(patients=patients, **tables), run_info


def read_truth_dir(truth_dir: Path) -> TruthSet:
    """Every ``*.truth.json`` under ``truth_dir`` (recursively) as a :class:`TruthSet`."""
    paths = sorted(Path(truth_dir).rglob("*" + TRUTH_SUFFIX))
    if not paths:
        raise FileNotFoundError(f"no *.truth.json under {truth_dir}: point --truth at a `calcdetect phantoms` folder")
    docs = [read_truth_file(p) for p in paths]
    return truth_from_dicts(docs, names=[str(p) for p in paths])
