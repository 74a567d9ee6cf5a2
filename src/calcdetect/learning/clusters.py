"""Train the cluster model (:mod:`calcdetect.detector.cluster_model`) on the detector's clusters on phantoms.

Each training phantom is analysed by the whole detector (the shipped
false-positive models, the artefact tests, the grouping), with clusters scored
by the old rule (:data:`~calcdetect.detector.cluster_model.TOP_SUM`) so that
the training data do not depend on the model being trained.  A detected
cluster that localises a true cluster of the truth (matched as the evaluation
matches, :func:`calcdetect.evaluation.calibration.cluster_outcomes`) is a
positive, every other one a negative.  Each phantom is used at its own
resolution and area-averaged to 0.2 mm, as for the false-positive models.

The member probabilities are the false-positive models' *in-sample* ones (the
same training seeds).  On nine phantom sets those models never saw (seeds
31012-31020) true clusters' members were no less sure (median third-best
probability 0.706 against 0.671 in-sample; history step 13).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calcdetect import __version__
from calcdetect.config import DetectorConfig
from calcdetect.detector.cluster_model import (
    BASE_CLUSTER_FEATURE_NAMES,
    CLUSTER_FEATURE_NAMES,
    TOP_SUM,
    calcification_cluster_features,
)
from calcdetect.evaluation.froc import roc_auc
from calcdetect.learning.train import PhantomSets
from calcdetect.results import ImageResult

__all__ = ["ClusterRecipe", "monotone_constraints", "result_cluster_features", "cluster_table", "train_cluster_model"]

log = logging.getLogger(__name__)

#: features the score may only grow with: more certain members never make a cluster less likely
#: (a prior that holds on images unlike the training phantoms, where the trees would extrapolate)
INCREASING = ("p_first", "p_second", "p_third", "p_top3_sum", "p_rest_mean", "count_p_half")


def monotone_constraints(names: Sequence[str]) -> list[int]:
    """LightGBM's ``monotone_constraints`` for a model reading ``names``: increasing in :data:`INCREASING`."""
    return [int(name in INCREASING) for name in names]


#: LightGBM parameters: tiny trees (a few thousand clusters), bagging, one thread, deterministic
DEFAULT_CLUSTER_PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "seed": 20261201,
    "verbosity": -1,
    "monotone_constraints": monotone_constraints(BASE_CLUSTER_FEATURE_NAMES),
}


@dataclass(frozen=True)
class ClusterRecipe(PhantomSets):
    """Everything that decides the cluster model (recorded in its metadata).

    The sets are the false-positive models' training sets (set ``i``:
    ``n_per_seed`` phantoms of seed ``set_seeds[i]`` drawn from
    ``set_presets[i]``, with the presentation processing ``set_processing[i]``), each at every
    resolution of ``resample_mm``, with the
    detector configured by ``detector_settings`` (keys other than the shipped
    ones, e.g. the false-positive models to take the members' probabilities from).
    """

    set_seeds: tuple[int, ...] = (31003, 31004, 31005, 31006, 31007, 31008, 31009, 31010, 31011)
    set_presets: tuple[str, ...] = ("mix",) * 7 + ("film-mix",) * 2
    n_per_seed: int = 80
    preset: str = "mix"
    positive_fraction: float = 0.75
    resample_mm: tuple[float | None, ...] = (None, 0.2)
    num_boost_round: int = 300
    params: dict[str, object] = field(default_factory=lambda: dict(DEFAULT_CLUSTER_PARAMS))
    detector_settings: dict[str, object] = field(default_factory=dict)
    feature_names: tuple[str, ...] = BASE_CLUSTER_FEATURE_NAMES
    set_processing: tuple[str, ...] = ()
    fine_texture: bool = False

    _TUPLE_FIELDS = (*PhantomSets._TUPLE_FIELDS, "feature_names")

    def __post_init__(self) -> None:
        self._check_sets()
        self._check_feature_names(CLUSTER_FEATURE_NAMES, "cluster feature")
        constraints = self.params.get("monotone_constraints")
        if constraints is not None and list(constraints) != monotone_constraints(self.feature_names):
            raise ValueError(f"params' monotone_constraints {list(constraints)} do not match the features "
                             f"{list(self.feature_names)}; use monotone_constraints(feature_names)")

    def detector_config(self, base: DetectorConfig | None = None) -> DetectorConfig:
        """The detector settings the training clusters are found with: ``base`` (or the shipped
        ones) with the recipe's ``detector_settings``, clusters scored by :data:`TOP_SUM`."""
        return self._with_settings(base).replace(cluster_model=TOP_SUM)


def result_cluster_features(result: ImageResult, spacing_mm: tuple[float, float]) -> np.ndarray:
    """The :data:`CLUSTER_FEATURE_NAMES` of each of ``result.clusters`` (rows in cluster order)."""
    calcs = result.calcifications
    if not result.clusters:
        return np.zeros((0, len(CLUSTER_FEATURE_NAMES)))
    ids = np.array([c.cluster_id for c in calcs])
    return calcification_cluster_features(calcs, [np.flatnonzero(ids == k.cluster_id) for k in result.clusters],
                                          spacing_mm=spacing_mm, probability=np.array([c.probability for c in calcs]))


def _one_image(task: tuple[str, tuple[float | None, ...], dict]) -> list[pd.DataFrame]:
    """The labelled clusters of one phantom at each resolution asked for (one already there analysed once)."""
    from calcdetect.detector.pipeline import detect
    from calcdetect.evaluation.calibration import cluster_outcomes
    from calcdetect.learning.dataset import read_phantom, read_phantom_at

    path, resolutions, config_dict = task
    config = DetectorConfig.from_dict(config_dict)
    native = read_phantom(path)
    frames, done = [], set()
    for resample_mm in resolutions:
        image = read_phantom_at(native, resample_mm)
        if image.spacing_mm in done:
            continue
        done.add(image.spacing_mm)
        result = detect(image.pixels, spacing_mm=image.spacing_mm, view=image.view, config=config,
                        digitised_film=image.digitised_film)
        _, is_true = cluster_outcomes(result, image.truth, image.spacing_mm)
        frame = pd.DataFrame(result_cluster_features(result, image.spacing_mm), columns=list(CLUSTER_FEATURE_NAMES))
        frame["label"] = is_true.astype(np.int8)
        frame["image"] = f"{Path(path).parent.name}/{Path(path).name}"
        frame["preset"] = image.truth.get("preset", "")
        frame["spacing_mm"] = round(float(image.spacing_mm[0]), 4)
        frames.append(frame)
    return frames


def cluster_table(paths: Sequence[str | os.PathLike], *, config: DetectorConfig,
                  resample_mm: Sequence[float | None] = (None,), workers: int = 1) -> pd.DataFrame:
    """Labelled cluster features of every phantom in ``paths`` at every resolution, in a deterministic order."""
    tasks = [(str(p), tuple(resample_mm), config.to_dict()) for p in paths]
    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            per_image = list(pool.map(_one_image, tasks, chunksize=1))
    else:
        per_image = [_one_image(t) for t in tasks]
    frames = [f for image_frames in per_image for f in image_frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=[*CLUSTER_FEATURE_NAMES, "label", "image", "preset", "spacing_mm"])
    return pd.concat(frames, ignore_index=True)


def _fit(frame: pd.DataFrame, recipe: ClusterRecipe):
    import lightgbm

    names = list(recipe.feature_names)
    data = lightgbm.Dataset(frame[names].to_numpy(np.float64), label=frame["label"].to_numpy(), feature_name=names)
    return lightgbm.train(dict(recipe.params), data, num_boost_round=recipe.num_boost_round)


def _summary(probability: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    both = 0 < labels.sum() < labels.size
    return {"clusters": int(labels.size), "true_clusters": int(labels.sum()),
            "auc": round(float(roc_auc(probability, labels)), 4) if both else float("nan")}


def train_cluster_model(frame: pd.DataFrame, recipe: ClusterRecipe, out_base: str | Path, *,
                        validate: bool = True, members_scored_by: dict[str, str] | None = None) -> dict:
    """Fit on every cluster of ``frame``, validate leave-one-preset-out (cluster AUC on the held-out
    preset), write ``OUT.txt`` and ``OUT.json``; returns the metadata.  ``members_scored_by``
    (:func:`calcdetect.detector.cluster_model.member_models` of the configuration that found the
    clusters) is recorded as ``training.member_models``."""
    import lightgbm

    if frame.empty or frame["label"].nunique() < 2:
        raise ValueError("the training phantoms gave no clusters of both kinds (true and false): "
                         "use more or other sets (--seed, --n)")
    booster = _fit(frame, recipe)
    names = list(recipe.feature_names)
    labels = frame["label"].to_numpy()
    validation: dict[str, dict] = {}
    if validate:
        for preset in sorted(frame["preset"].unique()):
            held = frame["preset"].eq(preset).to_numpy()
            if held.all() or frame.loc[~held, "label"].nunique() < 2:
                continue
            p = _fit(frame[~held], recipe).predict(frame.loc[held, names].to_numpy(np.float64), num_threads=1)
            validation[preset] = _summary(p, labels[held])
            log.info("cluster model without %s: %s", preset, validation[preset])
    importance = booster.feature_importance(importance_type="gain")
    metadata = {
        "name": "cluster_model",
        "version": f"{__version__}+cluster_model",
        "feature_names": names,
        "library": f"lightgbm {lightgbm.__version__}",
        "training": {
            "recipe": recipe.to_dict(),
            "seeds": list(recipe.set_seeds),
            "images_with_clusters": int(frame[["image", "spacing_mm"]].drop_duplicates().shape[0]),
            "presets": sorted(frame["preset"].unique().tolist()),
            "spacings_mm": sorted(frame["spacing_mm"].unique().tolist()),
            "in_sample": _summary(booster.predict(frame[names].to_numpy(np.float64), num_threads=1), labels),
            **({"member_models": dict(members_scored_by)} if members_scored_by else {}),
        },
        "feature_importance_gain": {n: round(float(v), 1) for n, v in zip(names, importance)},
        "validation": {"leave_one_preset_out": validation} if validate else {},
    }
    base = Path(out_base)
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".txt").write_text(booster.model_to_string(num_iteration=-1), encoding="utf-8")
    base.with_suffix(".json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return metadata
