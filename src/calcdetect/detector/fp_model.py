"""The learned false-positive stage: a gradient-boosted tree model on candidate features.

The model is a LightGBM booster saved in LightGBM's own text format
(``calcdetect/data/fp_model.txt``): portable across LightGBM versions and
platforms, unlike a pickle, and readable.  Its metadata
(``fp_model.json``: version, feature names, the seeds it was trained on, its
validation figures) travels with it and is recorded in ``run.json``.
``calcdetect train`` rebuilds both from the seeds recorded there
(:mod:`calcdetect.learning`).

Two models ship: ``fp_model`` for images finer than ``spot_min_spacing_mm``
and ``fp_model_coarse`` for coarser ones (digitised film at 0.2 mm), where the
prewhitened spot filter adds candidates and the ``spot_snr`` feature
(:mod:`calcdetect.detector.spot`).  One model for both did worse at full size
(the development set lost three of 72 visible clusters at 0.1 false clusters
per image, history step 8), so the full-size model stays the one trained
without the spot filter.  A model uses the features its metadata names, in
that order (a subset of :data:`FEATURE_NAMES`).  A model may be several
boosters fitted with different seeds (``TrainingRecipe.booster_seeds``): its
``.txt`` holds their LightGBM texts one after another, each but the last
followed by :data:`BOOSTER_SEPARATOR`, and its probability is their mean.
Each model's cluster scores have their own operating point
(``image_threshold``, ``image_threshold_coarse``; :func:`threshold_for`): the
same score means a different rate of false clusters under the two models.
Images taken for scanned screen-film have their own pair
(``image_threshold_film``, ``image_threshold_film_coarse``): film is held to
fewer flagged normals than digital (issue 18: at most 5 %, against issue 12's
patient specificity of 0.90).
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from calcdetect.config import THRESHOLD_FIELD, DetectorConfig
from calcdetect.detector.features import FEATURE_NAMES
from calcdetect.detector.spot import uses_spot_filter

__all__ = ["FpModel", "load_fp_model", "read_model_files", "model_for", "threshold_for", "THRESHOLD_FIELD",
           "SHIPPED_MODEL", "SHIPPED_COARSE_MODEL", "BOOSTER_SEPARATOR", "join_boosters", "split_boosters",
           "mean_probability"]

#: package resource name of the shipped model (``calcdetect/data/<name>.txt`` and ``.json``)
SHIPPED_MODEL = "fp_model"
#: the same for images at ``spot_min_spacing_mm`` and coarser
SHIPPED_COARSE_MODEL = "fp_model_coarse"

#: the line between two boosters of one model's text (LightGBM's own text never holds it)
BOOSTER_SEPARATOR = "=== calcdetect: the next booster of this model ===\n"


@dataclass(frozen=True, eq=False)
class FpModel:
    """A trained booster and what it was trained on.

    Attributes
    ----------
    boosters : tuple of lightgbm.Booster
        One, or several whose probabilities the model averages.
    metadata : dict
        ``version``, ``feature_names``, ``training`` (seeds, presets,
        resolutions, counts), ``validation`` figures.
    sha256 : str
        Digest of the model text (identifies the exact model in ``run.json``).
    """

    boosters: tuple[Any, ...]
    metadata: dict
    sha256: str

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The features the model reads (all of :data:`FEATURE_NAMES` when its metadata does not say)."""
        return tuple(self.metadata.get("feature_names") or FEATURE_NAMES)

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Probability that each candidate (row of ``matrix``, columns :data:`FEATURE_NAMES`) is a calcification."""
        if matrix.shape[0] == 0:
            return np.zeros(0)
        if matrix.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"expected {len(FEATURE_NAMES)} features, got {matrix.shape[1]}")
        columns = [FEATURE_NAMES.index(name) for name in self.feature_names]
        return np.asarray(mean_probability(list(self.boosters), matrix[:, columns].astype(np.float64)),
                          dtype=np.float64)

    def describe(self) -> dict[str, object]:
        """What ``run.json`` records about the model."""
        return {"name": self.metadata.get("name", ""), "version": self.metadata.get("version", ""),
                "sha256": self.sha256, "training_seeds": self.metadata.get("training", {}).get("seeds")}


def _from_text(text: str, metadata: dict) -> FpModel:
    import lightgbm  # imported here: only detection with a model needs it

    names = metadata.get("feature_names")
    unknown = sorted(set(names or ()) - set(FEATURE_NAMES))
    if unknown:
        raise ValueError(
            f"the false-positive model was trained on features {names}, but this version computes "
            f"{list(FEATURE_NAMES)} (not {unknown}): retrain it with `calcdetect train`")
    boosters = tuple(lightgbm.Booster(model_str=part) for part in split_boosters(text))
    for booster in boosters:
        if booster.num_feature() != len(names or FEATURE_NAMES):
            raise ValueError(f"the false-positive model reads {booster.num_feature()} features, but its metadata "
                             f"names {len(names or FEATURE_NAMES)}: the .txt and .json files do not belong together")
    return FpModel(boosters, metadata, hashlib.sha256(text.encode()).hexdigest())


def mean_probability(boosters: list, matrix: np.ndarray) -> np.ndarray:
    """A model's probability: its boosters' mean (one booster's own probability, bit for bit)."""
    p = [b.predict(matrix, num_threads=1) for b in boosters]
    return p[0] if len(p) == 1 else np.mean(p, axis=0)


def join_boosters(texts: list[str]) -> str:
    """One model text from its boosters' LightGBM texts (one booster: its text unchanged).

    >>> split_boosters(join_boosters(["first booster", "second booster"]))
    ['first booster', 'second booster']
    """
    return BOOSTER_SEPARATOR.join(texts)


def split_boosters(text: str) -> list[str]:
    """The LightGBM texts of a model's boosters (:func:`join_boosters` undone)."""
    return text.split(BOOSTER_SEPARATOR)


def read_model_files(path: str, shipped: str) -> tuple[str, dict]:
    """The model text and metadata: the shipped model ``shipped`` (``path=""``) or ``PATH.txt`` + ``PATH.json``."""
    if path:
        base = Path(path)
        text = base.with_suffix(".txt").read_text(encoding="utf-8")
        meta_path = base.with_suffix(".json")
        metadata = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    else:
        data = resources.files("calcdetect").joinpath("data")
        text = data.joinpath(f"{shipped}.txt").read_text(encoding="utf-8")
        metadata = json.loads(data.joinpath(f"{shipped}.json").read_text(encoding="utf-8"))
    return text, metadata


@functools.lru_cache(maxsize=8)
def load_fp_model(path: str = "", shipped: str = SHIPPED_MODEL) -> FpModel:
    """Load a model: the shipped one named ``shipped`` (``path=""``) or ``PATH.txt`` + ``PATH.json`` from disk.

    Cached per process: every image of a batch uses the same booster.
    """
    return _from_text(*read_model_files(path, shipped))


def model_for(spacing_mm: tuple[float, float], config: DetectorConfig) -> FpModel:
    """The model for an image of this pixel spacing: ``fp_model_coarse`` where the spot filter
    runs (:func:`calcdetect.detector.spot.uses_spot_filter`), ``fp_model`` elsewhere."""
    if uses_spot_filter(spacing_mm, config):
        return load_fp_model(config.fp_model_coarse, SHIPPED_COARSE_MODEL)
    return load_fp_model(config.fp_model, SHIPPED_MODEL)


def threshold_for(spacing_mm: tuple[float, float], config: DetectorConfig, *, film: bool = False) -> float:
    """The image threshold of the model :func:`model_for` picks at this pixel spacing:
    ``image_threshold_coarse`` where the spot filter runs, ``image_threshold`` elsewhere;
    ``image_threshold_film`` and ``image_threshold_film_coarse`` for an image taken for scanned
    screen-film (:func:`calcdetect.detector.pipeline.treated_as_film`).

    Examples
    --------
    >>> cfg = DetectorConfig(image_threshold=0.5, image_threshold_coarse=1.5, image_threshold_film=0.7,
    ...                      image_threshold_film_coarse=1.7, spot_min_spacing_mm=0.15)
    >>> threshold_for((0.1, 0.1), cfg), threshold_for((0.2, 0.2), cfg), threshold_for((0.2, 0.2), cfg, film=True)
    (0.5, 1.5, 1.7)
    """
    return getattr(config, THRESHOLD_FIELD[uses_spot_filter(spacing_mm, config), bool(film)])
