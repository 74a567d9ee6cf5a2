"""Fit the false-positive model: LightGBM gradient-boosted trees on labelled candidates.

The recipe (phantom seeds, presets, resolutions, tree parameters) is recorded
in the model's metadata, and training is deterministic (one thread, fixed
seeds, LightGBM's ``deterministic`` mode), so ``calcdetect train`` rebuilds
the shipped model bit for bit from it with the same library versions.

Generalisation is checked leave-one-preset-out: for each vendor preset, a
model trained on the others scores that preset's candidates; the candidate
AUC and the share of true calcifications kept at ``accept_probability`` are
written in the metadata next to the in-sample figures.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from calcdetect import __version__
from calcdetect.config import DetectorConfig
from calcdetect.detector.features import FEATURE_NAMES
from calcdetect.detector.fp_model import join_boosters, mean_probability
from calcdetect.evaluation.froc import roc_auc
from calcdetect.learning.dataset import CandidateTable

__all__ = ["PhantomSets", "TrainingRecipe", "train_model", "fit_boosters", "leave_one_preset_out", "SPOT_OFF_MM",
           "settings_config", "settings_of"]

log = logging.getLogger(__name__)

#: ``spot_min_spacing_mm`` that no image reaches: the spot filter off
SPOT_OFF_MM = 100.0

#: LightGBM parameters: small trees, strong regularisation (phantoms are not patients)
DEFAULT_PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 1,
    "seed": 20261130,
    "verbosity": -1,
}


class PhantomSets:
    """What every training recipe shares: sets of phantoms, set ``i`` drawn with seed ``set_seeds[i]``
    from preset ``set_presets[i]`` (``preset`` for every set when ``set_presets`` is empty), its FOR
    PRESENTATION images given the vendor-like processing ``set_processing[i]``
    (:data:`calcdetect.phantom.presentation.PRESENTATION_PROCESSING`; ``"none"`` for every set when
    ``set_processing`` is empty), and with ``fine_texture`` every set's breast texture continued
    above the anatomy grid (:mod:`calcdetect.phantom.fine_texture`)."""

    #: fields stored as lists in a model's metadata and read back as tuples
    _TUPLE_FIELDS = ("set_seeds", "resample_mm", "set_presets", "set_processing")

    def _check_feature_names(self, known: tuple[str, ...], what: str) -> None:
        """Refuse ``feature_names`` this version does not compute (``what`` names them in the message)."""
        unknown = sorted(set(self.feature_names) - set(known))  # type: ignore[attr-defined]
        if unknown:
            raise ValueError(f"unknown {what}(s) {unknown}; this version computes {list(known)}")

    def _check_sets(self) -> None:
        settings_config(self.detector_settings)  # refuses an unknown key or a bad value here
        if self.set_presets and len(self.set_presets) != len(self.set_seeds):
            raise ValueError(f"set_presets names {len(self.set_presets)} presets for {len(self.set_seeds)} "
                             f"set seeds; give one preset per seed, or none to use preset={self.preset!r}")
        if self.set_processing:
            from calcdetect.phantom.presentation import check_processing

            if len(self.set_processing) != len(self.set_seeds):
                raise ValueError(f"set_processing names {len(self.set_processing)} processings for "
                                 f"{len(self.set_seeds)} set seeds; give one per seed, or none for no processing")
            for name in self.set_processing:
                check_processing(name)

    @property
    def sets(self) -> tuple[tuple[int, str], ...]:
        """(seed, preset) of each training set."""
        presets = self.set_presets or (self.preset,) * len(self.set_seeds)
        return tuple(zip(self.set_seeds, presets))

    @property
    def processings(self) -> tuple[str, ...]:
        """The presentation processing of each training set (``"none"`` where the recipe gives none)."""
        return self.set_processing or ("none",) * len(self.set_seeds)

    def to_dict(self) -> dict[str, object]:
        values = asdict(self)
        if not self.set_processing:  # a recipe without processing reads as it did before the field existed
            del values["set_processing"]
        if not self.fine_texture:  # likewise
            del values["fine_texture"]
        return values

    def _with_settings(self, base: DetectorConfig | None) -> DetectorConfig:
        """``base`` (or the shipped configuration) with this recipe's ``detector_settings``."""
        return settings_config(self.detector_settings, base)

    @classmethod
    def from_dict(cls, recipe: dict):
        """The recipe of a model's metadata (lists back to tuples)."""
        values = dict(recipe)
        for key in cls._TUPLE_FIELDS:
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)


def settings_config(settings: dict[str, object], base: DetectorConfig | None = None) -> DetectorConfig:
    """``base`` (default: the shipped configuration) with the detector ``settings`` of a recipe.

    Raises
    ------
    ValueError
        For a key :class:`~calcdetect.config.DetectorConfig` does not have, or a bad value.
    """
    # from_dict names unknown keys and checks values, as for a --config file
    return DetectorConfig.from_dict({**(base or DetectorConfig.default()).to_dict(), **settings})


def settings_of(config: DetectorConfig) -> dict[str, object]:
    """The keys of ``config`` that differ from the shipped configuration: what a recipe records."""
    shipped = DetectorConfig.default().to_dict()
    return {k: v for k, v in config.to_dict().items() if v != shipped[k]}


@dataclass(frozen=True)
class TrainingRecipe(PhantomSets):
    """Everything that decides the model (recorded in its metadata).

    Set ``i`` is ``n_per_seed`` phantoms of seed ``set_seeds[i]`` drawn from
    ``set_presets[i]`` (``preset`` for every set when ``set_presets`` is empty).
    The model reads ``feature_names`` (all of :data:`FEATURE_NAMES` when empty)
    of the candidates found with the spot filter (``spot_filter``) or without
    it (the full-size model ``fp_model``: its candidates and features are those
    of the detector before the filter, so it is rebuilt as it was).  With
    ``film_dust_negatives`` the candidates on dust in film images are
    negatives instead of left out
    (:func:`calcdetect.learning.dataset.candidate_table`).
    ``detector_settings`` are the detector configuration keys, other than the
    shipped ones, the candidates are found with (e.g. ``{"line_source_snr": 5.0}``;
    ``calcdetect train --config FILE``).  With ``booster_seeds`` the model is
    one booster per LightGBM seed (which draws the bagging and feature
    subsamples), all on the same candidates, and its probability is their
    mean, which lowers the variance one seed brings (the seed alone moved a
    coarse model's fresh 0.2 mm figures over 3.3 visible clusters in 141,
    history step 19).  Empty: one booster with ``params["seed"]``.
    """

    set_seeds: tuple[int, ...] = (31003, 31004, 31005, 31006, 31007, 31008, 31009)
    n_per_seed: int = 80
    preset: str = "mix"
    positive_fraction: float = 0.75
    resample_mm: tuple[float | None, ...] = (None, 0.2)
    num_boost_round: int = 600
    params: dict[str, object] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    set_presets: tuple[str, ...] = ()
    feature_names: tuple[str, ...] = ()
    spot_filter: bool = True
    film_dust_negatives: bool = False
    detector_settings: dict[str, object] = field(default_factory=dict)
    booster_seeds: tuple[int, ...] = ()
    set_processing: tuple[str, ...] = ()
    fine_texture: bool = False

    _TUPLE_FIELDS = (*PhantomSets._TUPLE_FIELDS, "feature_names", "booster_seeds")

    def __post_init__(self) -> None:
        self._check_sets()
        self._check_feature_names(FEATURE_NAMES, "feature")
        if len(set(self.booster_seeds)) != len(self.booster_seeds):
            raise ValueError(f"booster_seeds {list(self.booster_seeds)} repeat a seed: "
                             "the same seed fits the same booster")

    def to_dict(self) -> dict[str, object]:
        values = super().to_dict()
        if not self.booster_seeds:  # a one-booster recipe reads as it did before booster_seeds existed
            del values["booster_seeds"]
        return values

    @property
    def booster_params(self) -> tuple[dict[str, object], ...]:
        """The LightGBM parameters of each booster of the model."""
        if not self.booster_seeds:
            return (dict(self.params),)
        return tuple({**self.params, "seed": seed} for seed in self.booster_seeds)

    @property
    def features(self) -> tuple[str, ...]:
        """The features the model reads, in order."""
        return self.feature_names or FEATURE_NAMES

    def detector_config(self, base: DetectorConfig | None = None) -> DetectorConfig:
        """The detector settings the training candidates are found with (``base`` or the shipped
        ones, with the spot filter switched off when the recipe says so)."""
        config = self._with_settings(base)
        return config if self.spot_filter else dataclasses.replace(config, spot_min_spacing_mm=SPOT_OFF_MM)


def fit_boosters(table: CandidateTable, recipe: TrainingRecipe) -> list:
    """Train the model's LightGBM boosters on a candidate table (one per ``recipe.booster_seeds``)."""
    import lightgbm

    names = list(recipe.features)
    matrix = table.frame[names].to_numpy(np.float32)
    boosters = []
    for params in recipe.booster_params:
        # a Dataset is bound to the parameters it was constructed with: one each
        data = lightgbm.Dataset(matrix, label=table.labels, feature_name=names, free_raw_data=True)
        boosters.append(lightgbm.train(params, data, num_boost_round=recipe.num_boost_round))
    return boosters


def _summary(probability: np.ndarray, labels: np.ndarray, n_images: int, accept: float) -> dict[str, float]:
    pos = labels == 1
    return {
        "candidates": int(labels.size),
        "calcifications": int(pos.sum()),
        "auc": round(float(roc_auc(probability, labels)), 4) if 0 < pos.sum() < labels.size else float("nan"),
        "calcifications_kept": round(float((probability[pos] >= accept).mean()), 4) if pos.any() else float("nan"),
        "false_per_image": round(float((probability[~pos] >= accept).sum()) / max(n_images, 1), 3),
    }


def _n_images(frame) -> int:
    """Images analysed (an image at two resolutions counts twice)."""
    return frame[["image", "spacing_mm"]].drop_duplicates().shape[0]


def leave_one_preset_out(table: CandidateTable, recipe: TrainingRecipe, accept: float) -> dict[str, dict]:
    """Candidate-level figures of a model trained without each preset, on that preset."""
    frame = table.frame
    out: dict[str, dict] = {}
    for preset in sorted(frame["preset"].unique()):
        held = frame["preset"].eq(preset).to_numpy()
        if held.all() or not held.any():
            continue
        boosters = fit_boosters(CandidateTable(frame[~held]), recipe)
        test = CandidateTable(frame[held])
        p = mean_probability(boosters, test.frame[list(recipe.features)].to_numpy(np.float64))
        n_images = _n_images(frame.loc[held])
        out[preset] = _summary(p, test.labels, n_images, accept)
        log.info("leave-one-preset-out %s: %s", preset, out[preset])
    return out


def train_model(table: CandidateTable, recipe: TrainingRecipe, out_base: str | Path, *,
                accept_probability: float, name: str = "fp_model", validate: bool = True) -> dict:
    """Fit on the whole table, validate leave-one-preset-out, write ``OUT.txt`` and ``OUT.json``.

    Returns the metadata written.
    """
    import lightgbm

    boosters = fit_boosters(table, recipe)
    text = join_boosters([b.model_to_string(num_iteration=-1) for b in boosters])
    frame = table.frame
    n_images = _n_images(frame)
    p = mean_probability(boosters, table.frame[list(recipe.features)].to_numpy(np.float64))
    importance = np.mean([b.feature_importance(importance_type="gain") for b in boosters], axis=0)
    metadata = {
        "name": name,
        "version": f"{__version__}+{name}",
        "feature_names": list(recipe.features),
        "library": f"lightgbm {lightgbm.__version__}",
        "training": {
            "recipe": recipe.to_dict(),
            "seeds": list(recipe.set_seeds),
            "images": int(n_images),
            "presets": sorted(frame["preset"].unique().tolist()),
            "spacings_mm": sorted(frame["spacing_mm"].unique().tolist()),
            "in_sample": _summary(p, table.labels, n_images, accept_probability),
        },
        "feature_importance_gain": {n: round(float(v), 1) for n, v in zip(recipe.features, importance)},
        "validation": {"leave_one_preset_out": leave_one_preset_out(table, recipe, accept_probability)}
        if validate else {},
    }
    base = Path(out_base)
    base.parent.mkdir(parents=True, exist_ok=True)
    base.with_suffix(".txt").write_text(text, encoding="utf-8")
    base.with_suffix(".json").write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return metadata
