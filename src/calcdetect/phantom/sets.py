"""Many phantoms at once: a random set, or one patient per clinical record.

I/O lives here (reading the records CSV, writing files); the images themselves
come from the pure :func:`~calcdetect.phantom.generate.make_phantom`.  Seeds of
individual images are derived from the set seed (and, for a cohort, from the
patient id, so a patient's images do not change when records are reordered).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from calcdetect import __version__
from calcdetect.keys import patient_key
from calcdetect.atomic import atomic_write
from calcdetect.evaluation.truth_files import truth_path_for
from calcdetect.phantom.dicom_writer import write_phantom
from calcdetect.phantom.uids import phantom_uid
from calcdetect.phantom.generate import DENSITIES, make_phantom
from calcdetect.phantom.presentation import check_processing
from calcdetect.phantom.presets import resolve_preset
from calcdetect.phantom.visibility import REALISTIC_MIX, VISIBILITY_CLASSES

__all__ = [
    "CohortRecord",
    "SkippedRecord",
    "read_cohort_records",
    "write_phantom_set",
    "write_cohort_phantoms",
    "derive_seed",
    "SET_SUMMARY",
    "read_set_summary",
]

#: file written beside manifest.csv: the class mix asked for and obtained
SET_SUMMARY = "set_summary.json"

logger = logging.getLogger(__name__)

_POSITIVE = {"positive", "pos", "yes", "y", "1", "true", "t", "present"}
_NEGATIVE = {"negative", "neg", "no", "n", "0", "false", "f", "absent"}
_LATERALITY = {"l": "L", "left": "L", "r": "R", "right": "R"}


@dataclass(frozen=True)
class CohortRecord:
    """One usable record: who, which breast, microcalcification yes/no."""

    row_number: int  # 1-based data row in the file (header excluded)
    patient_id: str
    microcalcification: bool
    laterality: str


@dataclass(frozen=True)
class SkippedRecord:
    row_number: int
    patient_id: str
    reason: str


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from any parts (stable across runs and platforms)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def read_cohort_records(records_csv: str | os.PathLike) -> tuple[list[CohortRecord], list[SkippedRecord]]:
    """Read ``patient_id``, ``microcalcification`` and optional ``laterality``.

    Bad records (missing id, unknown value, duplicate id) are returned in the
    second list with the reason; they never raise.

    Raises
    ------
    ValueError
        If the file lacks a required column (the message names the columns found).
    FileNotFoundError
        If the file does not exist.
    """
    df = pd.read_csv(records_csv, dtype=str, keep_default_na=False)
    cols = {c.strip().lower(): c for c in df.columns}
    missing = [c for c in ("patient_id", "microcalcification") if c not in cols]
    if missing:
        raise ValueError(
            f"{os.fspath(records_csv)!r} lacks column(s) {missing}; found {list(df.columns)}. "
            "See docs/cohort-records.md for the columns --cohort reads.")
    good: list[CohortRecord] = []
    bad: list[SkippedRecord] = []
    seen: set[str] = set()
    for i, row in enumerate(df.itertuples(index=False), start=1):
        values = dict(zip(df.columns, row))
        pid = str(values[cols["patient_id"]]).strip()
        mc = str(values[cols["microcalcification"]]).strip().lower()
        lat_raw = str(values[cols["laterality"]]).strip().lower() if "laterality" in cols else ""
        if not pid:
            bad.append(SkippedRecord(i, "", "missing patient_id"))
        elif pid in seen:
            bad.append(SkippedRecord(i, pid, "duplicate patient_id (first record kept)"))
        elif mc not in _POSITIVE | _NEGATIVE:
            bad.append(SkippedRecord(i, pid, f"unknown microcalcification value {mc!r} "
                                              "(use positive/negative, yes/no, 1/0, true/false)"))
        elif lat_raw and lat_raw not in _LATERALITY:
            bad.append(SkippedRecord(i, pid, f"unknown laterality {lat_raw!r} (use L or R)"))
        else:
            seen.add(pid)
            lat = _LATERALITY.get(lat_raw) or ("L" if derive_seed("laterality", pid) % 2 == 0 else "R")
            good.append(CohortRecord(i, pid, mc in _POSITIVE, lat))
    for s in bad:
        logger.warning("record %d (%s) skipped: %s", s.row_number, s.patient_id or "no id", s.reason)
    return good, bad


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    def w(tmp: Path) -> None:
        with open(tmp, "w", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(header)
            wr.writerows(rows)
    atomic_write(path, w)


def _existing_truth(kwargs: dict, out_dir: str, name: str) -> dict | None:
    """The truth of an image already written with the same seed and arguments, else None."""
    dcm, truth = Path(out_dir) / f"{name}.dcm", truth_path_for(Path(out_dir) / f"{name}.dcm")
    if not (dcm.is_file() and truth.is_file()):
        return None
    try:
        t = json.loads(truth.read_text())
    except (OSError, ValueError):
        return None
    same = (t.get("seed") == kwargs["seed"] and t.get("patient_id") == kwargs.get("patient_id")
            and t.get("view") == kwargs.get("view") and t.get("generator") == f"calcdetect {__version__}"
            and t.get("request") == _request(kwargs))
    return t if same else None


def _request(kwargs: dict) -> dict:
    request = {k: kwargs.get(k) for k in ("preset", "density", "with_cluster", "laterality", "lesion_seed",
                                          "visibility")}
    if kwargs.get("presentation_processing", "none") != "none":  # absent otherwise: older caches still match
        request["presentation_processing"] = kwargs["presentation_processing"]
    if kwargs.get("fine_texture"):  # likewise
        request["fine_texture"] = True
    return request


def _job(kwargs: dict, out_dir: str, name: str, reuse: bool = False) -> tuple[str, dict]:
    t = _existing_truth(kwargs, out_dir, name) if reuse else None
    if t is None:
        ph = make_phantom(**kwargs)
        ph.truth["request"] = _request(kwargs)
        dcm, _ = write_phantom(ph, out_dir, name)
        t = ph.truth
    else:
        dcm = Path(out_dir) / f"{name}.dcm"
    return str(dcm), {"patient_id": t["patient_id"], "view": t["view"], "laterality": t["laterality"],
                      "preset": t["preset"], "seed": t["seed"], "density": t["density"],
                      "has_cluster": t["has_cluster"], "sop_instance_uid": t["sop_instance_uid"],
                      "visibility": ";".join(k.get("visibility", "unknown") for k in t.get("clusters", [])),
                      "visibility_requested": kwargs.get("visibility") or "",
                      "visibility_0.2mm": ";".join(k.get("visibility_0.2mm") or "unknown"
                                                   for k in t.get("clusters", [])),
                      "third_d_prime": ";".join(str(k.get("third_d_prime")) for k in t.get("clusters", []))}


def _run_jobs(jobs: list[tuple[dict, str]], out_dir: Path, workers: int, reuse: bool) -> list[tuple[str, dict]]:
    if workers <= 1:
        return [_job(kw, str(out_dir), name, reuse) for kw, name in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futs = [pool.submit(_job, kw, str(out_dir), name, reuse) for kw, name in jobs]
        return [f.result() for f in futs]


_MANIFEST = ["file", "patient_id", "view", "laterality", "preset", "seed", "density", "has_cluster",
             "sop_instance_uid", "visibility", "visibility_requested", "third_d_prime"]


def _summary(results: list[tuple[str, dict]], mix: dict | None, preset: str | None = None) -> dict:
    """Class mix of the clusters written (what was asked for, and what each image got), and the presets drawn."""
    got = [m["visibility"] for _, m in results if m["has_cluster"]]
    asked = [m["visibility_requested"] for _, m in results if m["has_cluster"]]
    counts = {c: got.count(c) for c in VISIBILITY_CLASSES}
    at_coarse = [m.get("visibility_0.2mm", "unknown") for _, m in results if m["has_cluster"]]
    drawn = [m["preset"] for _, m in results]
    return {
        "n_images": len(results),
        "preset_requested": preset,
        "preset_counts": {name: drawn.count(name) for name in sorted(set(drawn))},
        "n_with_cluster": len(got),
        "visibility_mix_requested": mix,
        "visibility_counts": counts,
        "visibility_fractions": {c: (n / len(got) if got else None) for c, n in counts.items()},
        "n_not_as_requested": sum(a != g for a, g in zip(asked, got)),
        # the same clusters classed in the images area-averaged to 0.2 mm (docs/phantom-truth.md,
        # "d' at 0.2 mm"); None for a set with phantoms that predate it
        "visibility_counts_at_0.2mm": ({c: at_coarse.count(c) for c in VISIBILITY_CLASSES}
                                       if "unknown" not in at_coarse else None),
        "rule": "visible: >= 3 members with d' >= 6; subtle: third-strongest 4 <= d' < 6; occult: below "
                "(docs/phantom-truth.md)",
    }


def _manifest(out_dir: Path, results: list[tuple[str, dict]], mix: dict | None = None,
              preset: str | None = None, *, presentation_processing: str = "none",
              fine_texture: bool = False) -> list[Path]:
    rows = [[Path(p).name] + [m[k] for k in _MANIFEST[1:]] for p, m in results]
    _write_csv(out_dir / "manifest.csv", _MANIFEST, rows)
    summary = _summary(results, mix, preset)
    if presentation_processing != "none":
        summary["presentation_processing"] = presentation_processing
    if fine_texture:
        summary["fine_texture"] = True
    atomic_write(out_dir / SET_SUMMARY, lambda t: t.write_text(json.dumps(summary, indent=1) + "\n"))
    return [Path(p) for p, _ in results]


def read_set_summary(out_dir: str | os.PathLike) -> dict:
    """The ``set_summary.json`` of a phantom folder ({} when absent or unreadable)."""
    try:
        return json.loads((Path(out_dir) / SET_SUMMARY).read_text())
    except (OSError, ValueError):
        return {}


def write_phantom_set(out_dir: str | os.PathLike, *, n: int, seed: int, preset: str = "mix",
                      positive_fraction: float = 0.5, workers: int = 1, reuse_existing: bool = False,
                      visibility_mix: dict[str, float] | None = None,
                      presentation_processing: str = "none", fine_texture: bool = False) -> list[Path]:
    """Write ``n`` phantoms ``phantom_0000.dcm`` ... with truth, ``manifest.csv`` and ``set_summary.json``.

    Exactly ``round(n * positive_fraction)`` images hold a cluster (which ones
    is drawn from the seed); view, laterality, density and (for a mix) preset
    are drawn per image.  Each cluster's visibility class is drawn from
    ``visibility_mix`` (default :data:`~calcdetect.phantom.visibility.REALISTIC_MIX`,
    70 % visible, 20 % subtle, 10 % occult) and the lesion redrawn until it has
    it; ``set_summary.json`` gives the mix asked for and obtained, and how
    many images each preset of a mix (e.g. ``"film-mix"``) gave.  ``workers > 1`` uses that many processes (same
    files).  ``reuse_existing`` keeps an image already written by the same
    generator version with the same seed and arguments (a cache).  ``presentation_processing``
    gives every FOR PRESENTATION image a vendor's processing (:mod:`.presentation`); the other
    images, and all else drawn from the seed, are those of the set without it.  ``fine_texture``
    continues every image's breast texture above the anatomy grid's Nyquist (:mod:`.fine_texture`).
    """
    check_processing(presentation_processing)
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n!r}")
    if not 0.0 <= positive_fraction <= 1.0:
        raise ValueError(f"positive_fraction must be within 0..1, got {positive_fraction!r}")
    resolve_preset(preset, np.random.default_rng(0))  # fail early on an unknown name
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mix = dict(REALISTIC_MIX if visibility_mix is None else visibility_mix)
    if set(mix) - set(VISIBILITY_CLASSES) or not all(v >= 0 for v in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError(f"visibility_mix must map {VISIBILITY_CLASSES} to non-negative weights, got {mix!r}")
    classes = list(mix)
    weights = np.array([mix[c] for c in classes], float) / sum(mix.values())
    rng = np.random.default_rng(derive_seed("set", seed))
    positive = np.zeros(n, bool)
    positive[rng.permutation(n)[: int(round(n * positive_fraction))]] = True
    vis_rng = np.random.default_rng(derive_seed("visibility", seed))
    jobs = []
    for i in range(n):
        vis = str(classes[int(vis_rng.choice(len(classes), p=weights))])
        jobs.append((dict(seed=derive_seed("image", seed, i), preset=preset,
                          view=str(rng.choice(["CC", "MLO"])), laterality=str(rng.choice(["L", "R"])),
                          with_cluster=bool(positive[i]), patient_id=f"PHANTOM-{i:04d}",
                          visibility=vis if positive[i] else None, presentation_processing=presentation_processing,
                          fine_texture=fine_texture),
                     f"phantom_{i:04d}"))
    return _manifest(out, _run_jobs(jobs, out, workers, reuse_existing), mix, preset,
                     presentation_processing=presentation_processing, fine_texture=fine_texture)


def write_cohort_phantoms(out_dir: str | os.PathLike, records_csv: str | os.PathLike, *, seed: int,
                          preset: str = "demo", workers: int = 1, reuse_existing: bool = False) -> list[Path]:
    """One patient per record: CC and MLO of the index breast.

    Both images share the PatientID (the record's ``patient_id``) and a
    StudyInstanceUID; a microcalcification-positive record gets a *visible*
    cluster (a radiologist reported it) from the same lesion seed in both views
    (the same lesion unless the first lesion drawn is not visible in one view:
    ``lesion_draws`` in the truth says), a negative record none (but the usual
    distractors).  With a mix preset each patient gets one device.
    Skipped records are logged and listed in ``OUT/cohort_skipped.csv``;
    ``OUT/manifest.csv`` lists every image written.  ``workers`` and
    ``reuse_existing`` as in :func:`write_phantom_set`.
    """
    records, skipped = read_cohort_records(records_csv)
    resolve_preset(preset, np.random.default_rng(0))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    for rec in records:
        pseed = derive_seed("patient", seed, rec.patient_id)
        prng = np.random.default_rng(pseed)
        dev = resolve_preset(preset, prng).name
        density = str(prng.choice(DENSITIES, p=(0.1, 0.4, 0.4, 0.1)))
        study_uid = phantom_uid("study", rec.patient_id, pseed)
        key = patient_key(rec.patient_id)
        for view in ("CC", "MLO"):
            jobs.append((dict(seed=derive_seed("view", pseed, view), preset=dev, view=view,
                              laterality=rec.laterality, density=density, with_cluster=rec.microcalcification,
                              patient_id=rec.patient_id, study_uid=study_uid,
                              lesion_seed=derive_seed("lesion", pseed) if rec.microcalcification else None,
                              visibility="visible" if rec.microcalcification else None),
                         f"{key}_{rec.laterality}{view}"))
    paths = _manifest(out, _run_jobs(jobs, out, workers, reuse_existing), {"visible": 1.0}, preset)
    _write_csv(out / "cohort_skipped.csv", ["row_number", "patient_id", "reason"],
               [[s.row_number, s.patient_id, s.reason] for s in skipped])
    return paths
