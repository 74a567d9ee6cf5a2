"""Training the false-positive model: labels from truth, determinism, and a model the detector can load."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from calcdetect.config import DetectorConfig
from calcdetect.detector.features import FEATURE_NAMES
from calcdetect.detector.fp_model import load_fp_model
from calcdetect.learning.dataset import candidate_table, label_candidates, on_artefact, resample_image
from calcdetect.learning.train import TrainingRecipe, train_model


def test_a_candidate_is_labelled_by_its_distance_to_a_true_calcification():
    truth = {"calcifications": [{"row": 100.0, "col": 100.0, "diameter_mm": 0.2},
                                {"row": 300.0, "col": 300.0, "diameter_mm": 1.0}]}
    rows = np.array([102, 100, 305, 300, 50])
    cols = np.array([100, 104, 300, 307, 50])
    # 0.1 mm pixels: 0.2 mm away (yes), 0.4 mm (no: over 0.3 mm), 0.5 mm from a 1 mm one (yes: 0.6 x 1 mm),
    # 0.7 mm (no), nowhere near (no)
    assert label_candidates(rows, cols, truth, (0.1, 0.1)).tolist() == [1, 0, 1, 0, 0]


def test_candidates_on_film_artefacts_are_told_apart_from_other_negatives():
    truth = {"distractors": [{"kind": "dust", "bbox": [100, 100, 101, 101]},
                             {"kind": "scanner_line", "bbox": [0, 400, 999, 400]},
                             {"kind": "vessel", "bbox": [200, 0, 220, 999]}]}
    rows = np.array([102, 100, 500, 210, 50])
    cols = np.array([103, 96, 402, 50, 50])
    # 0.1 mm pixels: 0.22 mm from the speck's box (yes), 0.4 mm (no: over 0.3 mm), 0.2 mm from the
    # scanner line (yes), on a vessel (no: the classifier learns vessels), nowhere near (no)
    assert on_artefact(rows, cols, truth, (0.1, 0.1)).tolist() == [True, False, True, False, False]


def test_resampling_averages_whole_areas_and_reports_the_factor():
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    out, spacing, factor = resample_image(img, (0.1, 0.1), 0.2)
    assert out.shape == (2, 2) and spacing == pytest.approx((0.2, 0.2)) and factor == (2.0, 2.0)
    assert out[0, 0] == pytest.approx(img[:2, :2].mean())
    same = resample_image(img, (0.2, 0.2), 0.2)
    assert same[0] is img and same[2] == (1.0, 1.0)


@pytest.fixture(scope="module")
def small_set(tmp_path_factory):
    from calcdetect.phantom import write_phantom_set

    out = tmp_path_factory.mktemp("train")
    return write_phantom_set(out, n=4, seed=5150, preset="small", positive_fraction=1.0)


def test_the_candidate_table_finds_the_phantoms_calcifications(small_set):
    table = candidate_table(small_set, resample_mm=(None,))
    assert list(table.frame.columns[: len(FEATURE_NAMES)]) == list(FEATURE_NAMES)
    assert table.labels.sum() >= 3  # visible clusters have bright members
    assert np.isfinite(table.features).all()


def test_training_is_deterministic_and_the_model_loads(small_set, tmp_path):
    table = candidate_table(small_set, resample_mm=(None, 0.2), workers=1)
    recipe = dataclasses.replace(TrainingRecipe(), set_seeds=(5150,), n_per_seed=4, num_boost_round=20,
                                 positive_fraction=1.0, preset="small")
    meta_a = train_model(table, recipe, tmp_path / "a", accept_probability=0.05, validate=False)
    train_model(table, recipe, tmp_path / "b", accept_probability=0.05, validate=False)
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    assert meta_a["training"]["seeds"] == [5150] and meta_a["feature_names"] == list(FEATURE_NAMES)
    model = load_fp_model(str(tmp_path / "a"))
    p = model.probability(table.features)
    assert p.shape == (len(table.frame),) and ((p >= 0) & (p <= 1)).all()
    # the model ranks the phantoms' own calcifications above their other candidates
    assert p[table.labels == 1].mean() > p[table.labels == 0].mean()


def test_a_phantom_already_at_a_resolution_asked_for_is_analysed_once(tmp_path):
    from calcdetect.phantom import write_phantom_set

    film = write_phantom_set(tmp_path / "film", n=1, seed=5150, preset="small-film-mias-like", positive_fraction=1.0)
    table = candidate_table(film, resample_mm=(None, 0.2))
    assert table.frame["spacing_mm"].unique().tolist() == [0.2]
    assert len(table.frame) == len(candidate_table(film, resample_mm=(None,)).frame)
    assert table.frame["image"].iloc[0] == "film/phantom_0000.dcm"  # sets reuse file names


def test_a_recipe_gives_each_set_its_own_preset_or_the_common_one():
    common = TrainingRecipe(set_seeds=(1, 2), preset="mix")
    assert common.sets == ((1, "mix"), (2, "mix"))
    own = TrainingRecipe(set_seeds=(1, 2), set_presets=("mix", "film-mix"))
    assert own.sets == ((1, "mix"), (2, "film-mix"))
    assert TrainingRecipe.from_dict(json.loads(json.dumps(own.to_dict()))) == own
    with pytest.raises(ValueError, match="one preset per seed"):
        TrainingRecipe(set_seeds=(1, 2), set_presets=("film-mix",))


def test_the_train_command_reads_seed_colon_preset():
    import argparse

    from calcdetect.commands.train import _recipe_from, _set_argument

    assert _set_argument("31010:film-mix") == (31010, "film-mix") and _set_argument("7") == (7, None)
    with pytest.raises(argparse.ArgumentTypeError, match="SEED:PRESET"):
        _set_argument("film-mix")
    args = argparse.Namespace(seed=[(1, None), (2, "film-mix")], n=3, preset=None, resample_mm=None)
    recipe = _recipe_from(args)
    assert recipe.sets == ((1, recipe.preset), (2, "film-mix")) and recipe.n_per_seed == 3
    same = _recipe_from(argparse.Namespace(seed=[(1, None)], n=None, preset="small", resample_mm=None))
    assert same.sets == ((1, "small"),) and same.set_presets == ()


def test_a_model_for_other_features_is_refused(tmp_path):
    shipped = dict(load_fp_model().metadata)
    shipped["feature_names"] = ["snr", "something_else"]
    (tmp_path / "m.json").write_text(json.dumps(shipped))
    from importlib import resources

    text = resources.files("calcdetect").joinpath("data/fp_model.txt").read_text()
    (tmp_path / "m.txt").write_text(text)
    with pytest.raises(ValueError, match="retrain it with `calcdetect train`"):
        load_fp_model(str(tmp_path / "m"))


def test_scan_stops_at_once_on_a_missing_model(tmp_path):
    from pathlib import Path

    from calcdetect.cli import main

    sample = Path(__file__).resolve().parents[3] / "data" / "phantoms" / "small_neg_RMLO.dcm"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / sample.name).write_bytes(sample.read_bytes())
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"fp_model": str(tmp_path / "nowhere")}))
    assert main(["scan", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--config", str(cfg)]) == 2
    assert not (tmp_path / "out" / "images.csv").exists()


def test_the_shipped_model_records_how_to_rebuild_it():
    meta = load_fp_model().metadata
    recipe = meta["training"]["recipe"]
    assert recipe["set_seeds"] and recipe["n_per_seed"] > 0 and meta["feature_names"] == list(FEATURE_NAMES)
    assert DetectorConfig().fp_model == ""  # the default configuration uses it
