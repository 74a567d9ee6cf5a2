"""Labelled candidates from phantoms: what the false-positive model learns from.

For each phantom the detector's own stages 0-6
(:func:`calcdetect.detector.pipeline.analyse_candidates`) give the candidates
and their features; a candidate is labelled a calcification when it lies
within ``max(0.3 mm, 0.6 x diameter, 1.5 px)`` of a true calcification of
the phantom's truth (any cluster member, visible or not: a faint real
calcification is still a calcification).  Everything else -- noise peaks,
texture, vessels, vascular and coarse benign calcifications, skin
calcifications, specks, markers -- is a negative.  The same phantom can be
area-averaged to a coarser pixel first (``resample_mm``), so the model also
sees 0.2 mm images where a calcification is one to three pixels.

Candidates that are not calcifications and lie on the film artefacts that the
rejection stage sets aside by physics (truth distractors ``dust``, ``scratch``,
``scanner_line``; see :mod:`calcdetect.detector.rejection`) are left out of the
table: taught them as negatives, the model learnt "sharp and bright is dust"
and gave the members of a cluster of small dense calcifications on a sharp
digital detector probabilities of about 0.1 instead of 0.99
(``tests/calcdetect/detect/test_detect.py``).  A recipe can still teach dust
where it belongs: with ``film_dust_negatives``, candidates on dust in images
the detector treats as film are negatives, and the ``digitised_film``
feature tells the model where that applies.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from calcdetect.config import DetectorConfig
from calcdetect.detector.features import FEATURE_NAMES
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.evaluation.truth import resample_truth
from calcdetect.evaluation.truth_files import read_truth_file, truth_path_for

__all__ = ["CandidateTable", "candidate_table", "resample_image", "label_candidates", "PhantomImage", "read_phantom",
           "read_phantom_at", "on_artefact", "ARTEFACT_KINDS"]

_MATCH_MIN_MM = 0.3
#: truth distractor kinds the rejection stage handles (not taught to the classifier)
ARTEFACT_KINDS = ("dust", "scratch", "scanner_line")


def resample_image(pixels: np.ndarray, spacing_mm: tuple[float, float], target_mm: float
                   ) -> tuple[np.ndarray, tuple[float, float], tuple[float, float]]:
    """Area-average ``pixels`` to about ``target_mm`` pixels (a no-op when already coarser).

    Returns the new pixels, their spacing and the factor (rows, cols) from old
    to new pixels, as :func:`calcdetect.evaluation.truth.resample_truth` takes it.
    """
    fr, fc = target_mm / spacing_mm[0], target_mm / spacing_mm[1]
    if fr <= 1.0 and fc <= 1.0:
        return pixels, spacing_mm, (1.0, 1.0)
    new = (max(1, round(pixels.shape[0] / fr)), max(1, round(pixels.shape[1] / fc)))
    out = cv2.resize(pixels.astype(np.float32), (new[1], new[0]), interpolation=cv2.INTER_AREA)
    fr, fc = pixels.shape[0] / new[0], pixels.shape[1] / new[1]
    return out, (spacing_mm[0] * fr, spacing_mm[1] * fc), (fr, fc)


def label_candidates(rows: np.ndarray, cols: np.ndarray, truth: dict, spacing_mm: tuple[float, float]) -> np.ndarray:
    """1 for a candidate near a true calcification, else 0 (see the module docstring)."""
    calcs = truth.get("calcifications", [])
    if not calcs or rows.size == 0:
        return np.zeros(rows.size, np.int8)
    t = np.array([[c["row"], c["col"], c.get("diameter_mm", 0.0)] for c in calcs], float)
    d_mm = np.hypot((rows[:, None] - t[None, :, 0]) * spacing_mm[0], (cols[:, None] - t[None, :, 1]) * spacing_mm[1])
    radius = np.maximum.reduce([np.full(len(t), _MATCH_MIN_MM), 0.6 * t[:, 2],
                                np.full(len(t), 1.5 * max(spacing_mm))])
    return (d_mm <= radius[None, :]).any(axis=1).astype(np.int8)


def on_artefact(rows: np.ndarray, cols: np.ndarray, truth: dict, spacing_mm: tuple[float, float],
                kinds: Sequence[str] = ARTEFACT_KINDS) -> np.ndarray:
    """True for a candidate within ``max(0.3 mm, 1.5 px)`` of the box of a truth distractor of
    ``kinds``."""
    boxes = np.array([d["bbox"] for d in truth.get("distractors", []) if d.get("kind") in kinds],
                     float).reshape(-1, 4)
    if not len(boxes) or rows.size == 0:
        return np.zeros(rows.size, bool)
    r, c = rows[:, None].astype(float), cols[:, None].astype(float)
    dr = np.maximum(np.maximum(boxes[None, :, 0] - r, r - boxes[None, :, 2]), 0.0) * spacing_mm[0]
    dc = np.maximum(np.maximum(boxes[None, :, 1] - c, c - boxes[None, :, 3]), 0.0) * spacing_mm[1]
    reach = max(_MATCH_MIN_MM, 1.5 * max(spacing_mm))
    return (np.hypot(dr, dc) <= reach).any(axis=1)


@dataclass(frozen=True, eq=False)
class CandidateTable:
    """Features and labels of the candidates of many images.

    ``frame`` has the columns of :data:`FEATURE_NAMES` plus ``label``, ``image``
    (``set-folder/file name``), ``preset``, ``spacing_mm``, ``row``, ``col``.
    """

    frame: pd.DataFrame

    @property
    def features(self) -> np.ndarray:
        return self.frame[list(FEATURE_NAMES)].to_numpy(np.float32)

    @property
    def labels(self) -> np.ndarray:
        return self.frame["label"].to_numpy(np.int8)


@dataclass(frozen=True, eq=False)
class PhantomImage:
    """A phantom's pixels, spacing, view and truth, at its own or a coarser resolution."""

    pixels: np.ndarray
    spacing_mm: tuple[float, float]
    view: str
    truth: dict
    #: the header says scanned screen-film (:attr:`calcdetect.results.Mammogram.digitised_film`)
    digitised_film: bool = False


def read_phantom(path: str | os.PathLike, resample_mm: float | None = None) -> PhantomImage:
    """Read a phantom and its truth; area-average both to ``resample_mm`` when given."""
    from calcdetect.io import read_mammogram

    mammogram = read_mammogram(path)
    image = PhantomImage(mammogram.pixels, mammogram.spacing_mm, mammogram.view,
                         read_truth_file(truth_path_for(path)), mammogram.digitised_film)
    return read_phantom_at(image, resample_mm)


def read_phantom_at(image: PhantomImage, resample_mm: float | None) -> PhantomImage:
    """``image`` area-averaged to ``resample_mm`` (itself when None or already that coarse)."""
    if not resample_mm:
        return image
    pixels, spacing, factor = resample_image(image.pixels, image.spacing_mm, resample_mm)
    if factor == (1.0, 1.0):
        return image
    return PhantomImage(pixels, spacing, image.view, resample_truth(image.truth, factor, pixels.shape),
                        image.digitised_film)


def _one_image(task: tuple[str, tuple[float | None, ...], dict, bool]) -> list[pd.DataFrame]:
    """The candidates of one phantom at each resolution asked for.

    A resolution the image already has (a 0.2 mm film asked for at native and
    0.2 mm) is analysed once: the same candidates twice would count double in
    training.
    """
    path, resolutions, config_dict, film_dust_negatives = task
    config = DetectorConfig.from_dict(config_dict)
    name = f"{Path(path).parent.name}/{Path(path).name}"  # sets reuse file names
    native = read_phantom(path)
    frames, done = [], set()
    for resample_mm in resolutions:
        image = read_phantom_at(native, resample_mm)
        spacing, truth = image.spacing_mm, image.truth
        if spacing in done:
            continue
        done.add(spacing)
        analysis = analyse_candidates(image.pixels, spacing_mm=spacing, view=image.view, config=config,
                                      digitised_film=image.digitised_film)
        frame = pd.DataFrame(analysis.features.matrix, columns=list(FEATURE_NAMES))
        frame["label"] = label_candidates(analysis.peaks.row_px, analysis.peaks.col_px, truth, spacing)
        frame["image"] = name
        frame["preset"] = truth.get("preset", "")
        frame["spacing_mm"] = round(float(spacing[0]), 4)
        frame["row"], frame["col"] = analysis.peaks.row_px, analysis.peaks.col_px
        kinds = _left_out_kinds(film_dust_negatives and bool(frame["digitised_film"].any()))
        keep = (frame["label"] == 1).to_numpy() | ~on_artefact(analysis.peaks.row_px, analysis.peaks.col_px,
                                                               truth, spacing, kinds)
        frames.append(frame[keep].reset_index(drop=True))
    return frames


def _left_out_kinds(dust_is_negative: bool) -> tuple[str, ...]:
    """The distractor kinds whose candidates are left out of a training table: every one of
    :data:`ARTEFACT_KINDS`, less ``dust`` where dust candidates are to be negatives."""
    return tuple(k for k in ARTEFACT_KINDS if not (dust_is_negative and k == "dust"))


def candidate_table(paths: Sequence[str | os.PathLike], *, config: DetectorConfig | None = None,
                    resample_mm: Sequence[float | None] = (None,), workers: int = 1,
                    film_dust_negatives: bool = False) -> CandidateTable:
    """Candidates of every phantom in ``paths`` at every resolution in ``resample_mm``.

    A phantom already at a resolution asked for is analysed there once.  Candidates on the
    artefacts of :data:`ARTEFACT_KINDS` are left out (the artefact tests deal with them), except,
    with ``film_dust_negatives``, those on dust in images the detector treats as film: there they
    are negatives, so that a model reading ``digitised_film`` can learn cassette dust.
    Deterministic: rows are in the order of ``paths`` x ``resample_mm`` whatever ``workers``.
    """
    cfg = (config or DetectorConfig.default()).to_dict()
    tasks = [(str(p), tuple(resample_mm), cfg, film_dust_negatives) for p in paths]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            per_image = list(pool.map(_one_image, tasks, chunksize=1))
    else:
        per_image = [_one_image(t) for t in tasks]
    frames = [f for image_frames in per_image for f in image_frames]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[*FEATURE_NAMES, "label"])
    return CandidateTable(frame)
