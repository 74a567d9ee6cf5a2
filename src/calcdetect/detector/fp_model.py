"""The learned false-positive stage: a gradient-boosted tree model on candidate features.

The model is a LightGBM booster saved in LightGBM's own text format
(``calcdetect/data/fp_model.txt``): portable across LightGBM versions and
platforms, unlike a pickle, and readable.  Its metadata
(``fp_model.json``: version, feature names, the seeds it was trained on, its
validation figures) travels with it and is recorded in ``run.json``.
``calcdetect train`` rebuilds both from the seeds recorded there
(:mod:`calcdetect.learning`).
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

from calcdetect.detector.features import FEATURE_NAMES

__all__ = ["FpModel", "load_fp_model", "SHIPPED_MODEL"]

#: package resource name of the shipped model (``calcdetect/data/<name>.txt`` and ``.json``)
SHIPPED_MODEL = "fp_model"


@dataclass(frozen=True, eq=False)
class FpModel:
    """A trained booster and what it was trained on.

    Attributes
    ----------
    booster : lightgbm.Booster
    metadata : dict
        ``version``, ``feature_names``, ``training`` (seeds, presets,
        resolutions, counts), ``validation`` figures.
    sha256 : str
        Digest of the model text (identifies the exact model in ``run.json``).
    """

    booster: Any
    metadata: dict
    sha256: str

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Probability that each candidate (row of ``matrix``) is a calcification."""
        if matrix.shape[0] == 0:
            return np.zeros(0)
        if matrix.shape[1] != len(FEATURE_NAMES):
            raise ValueError(f"expected {len(FEATURE_NAMES)} features, got {matrix.shape[1]}")
        return np.asarray(self.booster.predict(matrix.astype(np.float64), num_threads=1), dtype=np.float64)

    def describe(self) -> dict[str, object]:
        """What ``run.json`` records about the model."""
        return {"name": self.metadata.get("name", ""), "version": self.metadata.get("version", ""),
                "sha256": self.sha256, "training_seeds": self.metadata.get("training", {}).get("seeds")}


def _from_text(text: str, metadata: dict) -> FpModel:
    import lightgbm  # imported here: only detection with a model needs it

    names = metadata.get("feature_names")
    if names is not None and tuple(names) != FEATURE_NAMES:
        raise ValueError(
            f"the false-positive model was trained on features {names}, but this version computes "
            f"{list(FEATURE_NAMES)}: retrain it with `calcdetect train`")
    booster = lightgbm.Booster(model_str=text)
    return FpModel(booster, metadata, hashlib.sha256(text.encode()).hexdigest())


@functools.lru_cache(maxsize=8)
def load_fp_model(path: str = "") -> FpModel:
    """Load a model: the shipped one (``path=""``) or ``PATH.txt`` + ``PATH.json`` from disk.

    Cached per process: every image of a batch uses the same booster.
    """
    if path:
        base = Path(path)
        text = base.with_suffix(".txt").read_text(encoding="utf-8")
        meta_path = base.with_suffix(".json")
        metadata = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    else:
        data = resources.files("calcdetect").joinpath("data")
        text = data.joinpath(f"{SHIPPED_MODEL}.txt").read_text(encoding="utf-8")
        metadata = json.loads(data.joinpath(f"{SHIPPED_MODEL}.json").read_text(encoding="utf-8"))
    return _from_text(text, metadata)
