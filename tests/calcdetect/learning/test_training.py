"""Training the false-positive model: labels from truth, determinism, and a model the detector can load."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from calcdetect.config import DetectorConfig
from calcdetect.detector.features import FEATURE_NAMES
from calcdetect.detector.fp_model import load_fp_model
from calcdetect.learning.dataset import CandidateTable, candidate_table, label_candidates, on_artefact, resample_image
from calcdetect.learning.clusters import ClusterRecipe
from calcdetect.learning.train import TrainingRecipe, leave_one_preset_out, train_model


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
    # spot_snr: only at coarse pixels; line_snr: only with the line source (off in the shipped settings)
    measured = [n for n in FEATURE_NAMES if n not in ("spot_snr", "line_snr")]
    assert np.isfinite(table.frame[measured].to_numpy()).all()
    assert table.frame["line_snr"].isna().all()


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


def test_a_model_of_several_seeds_scores_their_mean_and_keeps_each_booster(small_set, tmp_path):
    """booster_seeds: one booster per LightGBM seed on the same candidates; the first, fitted with the
    recipe's own seed, is the one-booster model bit for bit, and the model's probability is the mean."""
    import lightgbm

    from calcdetect.detector.fp_model import split_boosters

    table = candidate_table(small_set, resample_mm=(None,), workers=1)
    one = dataclasses.replace(TrainingRecipe(), set_seeds=(5150,), n_per_seed=4, num_boost_round=20,
                              positive_fraction=1.0, preset="small")
    several = dataclasses.replace(one, booster_seeds=(one.params["seed"], 7, 8))
    train_model(table, one, tmp_path / "one", accept_probability=0.05, validate=False)
    train_model(table, several, tmp_path / "three", accept_probability=0.05, validate=False)
    parts = split_boosters((tmp_path / "three.txt").read_text())
    assert len(parts) == 3 and parts[0] == (tmp_path / "one.txt").read_text()
    assert parts[1] != parts[0]  # another seed draws other subsamples
    columns = table.frame[list(FEATURE_NAMES)].to_numpy(np.float64)
    each = [lightgbm.Booster(model_str=part).predict(columns) for part in parts]
    model = load_fp_model(str(tmp_path / "three"))
    np.testing.assert_allclose(model.probability(table.features), np.mean(each, axis=0), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(load_fp_model(str(tmp_path / "one")).probability(table.features), each[0])
    recorded = json.loads((tmp_path / "three.json").read_text())["training"]["recipe"]
    assert recorded["booster_seeds"] == [one.params["seed"], 7, 8]
    assert TrainingRecipe.from_dict(recorded) == several
    assert "booster_seeds" not in one.to_dict()  # a one-booster recipe is recorded as before
    # leave-one-preset-out validates the mean too (two made-up presets: the set has one)
    two = CandidateTable(table.frame.assign(preset=np.where(table.frame["image"].rank(method="dense") % 2, "a", "b")))
    held_out = leave_one_preset_out(two, several, accept=0.05)
    assert set(held_out) == {"a", "b"} and all(0.5 < v["auc"] <= 1.0 for v in held_out.values())
    with pytest.raises(ValueError, match="repeat a seed"):
        dataclasses.replace(one, booster_seeds=(1, 1))


def test_the_train_command_reads_booster_seeds():
    import argparse

    from calcdetect.commands.train import _recipe_from, _seeds_argument

    assert _seeds_argument("20261130,1,2") == (20261130, 1, 2)
    with pytest.raises(argparse.ArgumentTypeError, match="integer seeds"):
        _seeds_argument("1,two")
    args = argparse.Namespace(seed=None, n=None, preset=None, resample_mm=None, coarse=True, booster_seeds=(5, 6))
    assert _recipe_from(args).booster_seeds == (5, 6)
    clusters = argparse.Namespace(seed=None, n=None, preset=None, resample_mm=None, coarse=False, clusters=True,
                                  booster_seeds=(5, 6))
    with pytest.raises(ValueError, match="--booster-seeds is for the false-positive models"):
        _recipe_from(clusters)


def test_a_phantom_already_at_a_resolution_asked_for_is_analysed_once(tmp_path):
    from calcdetect.phantom import write_phantom_set

    film = write_phantom_set(tmp_path / "film", n=1, seed=5150, preset="small-film-mias-like", positive_fraction=1.0)
    table = candidate_table(film, resample_mm=(None, 0.2))
    assert table.frame["spacing_mm"].unique().tolist() == [0.2]
    assert len(table.frame) == len(candidate_table(film, resample_mm=(None,)).frame)
    assert table.frame["image"].iloc[0] == "film/phantom_0000.dcm"  # sets reuse file names


def test_dust_candidates_on_film_are_negatives_only_when_the_recipe_asks(small_set, tmp_path):
    from calcdetect.evaluation.truth_files import read_truth_file, truth_path_for
    from calcdetect.phantom import write_phantom_set

    film = write_phantom_set(tmp_path / "film", n=2, seed=5150, preset="small-film-16bit-like",
                             positive_fraction=1.0)
    plain = candidate_table(film, resample_mm=(None,)).frame
    taught = candidate_table(film, resample_mm=(None,), film_dust_negatives=True).frame
    assert (plain["digitised_film"] == 1).all() and (taught["digitised_film"] == 1).all()
    key = ["image", "row", "col"]
    extra = taught.merge(plain[key], on=key, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"]
    assert len(taught) == len(plain) + len(extra) and len(extra) > 0
    assert (extra["label"] == 0).all()
    for name, rows in extra.groupby("image"):
        truth = read_truth_file(truth_path_for(tmp_path / name))
        spacing = (float(rows["spacing_mm"].iloc[0]),) * 2
        assert on_artefact(rows["row"].to_numpy(), rows["col"].to_numpy(), truth, spacing, ("dust",)).all()
    # digital images: nothing to teach, the same table
    digital = candidate_table(small_set, resample_mm=(None,), film_dust_negatives=True).frame
    assert (digital["digitised_film"] == 0).all()
    assert digital.equals(candidate_table(small_set, resample_mm=(None,)).frame)


def test_a_recipe_gives_each_set_its_own_preset_or_the_common_one():
    common = TrainingRecipe(set_seeds=(1, 2), preset="mix")
    assert common.sets == ((1, "mix"), (2, "mix"))
    own = TrainingRecipe(set_seeds=(1, 2), set_presets=("mix", "film-mix"))
    assert own.sets == ((1, "mix"), (2, "film-mix"))
    assert TrainingRecipe.from_dict(json.loads(json.dumps(own.to_dict()))) == own
    with pytest.raises(ValueError, match="one preset per seed"):
        TrainingRecipe(set_seeds=(1, 2), set_presets=("film-mix",))


def test_a_recipe_gives_each_set_its_presentation_processing_and_records_it_only_when_given():
    plain = TrainingRecipe(set_seeds=(1, 2))
    assert plain.processings == ("none", "none") and "set_processing" not in plain.to_dict()
    processed = TrainingRecipe(set_seeds=(1, 2), set_processing=("none", "multiscale"))
    assert processed.processings == ("none", "multiscale")
    assert processed.to_dict()["set_processing"] == ("none", "multiscale")
    assert TrainingRecipe.from_dict(json.loads(json.dumps(processed.to_dict()))) == processed
    clusters = ClusterRecipe(set_seeds=(1,), set_presets=("mix",), set_processing=("usm",))
    assert ClusterRecipe.from_dict(json.loads(json.dumps(clusters.to_dict()))) == clusters
    with pytest.raises(ValueError, match="one per seed"):
        TrainingRecipe(set_seeds=(1, 2), set_processing=("usm",))
    with pytest.raises(ValueError, match="sharpen"):
        TrainingRecipe(set_seeds=(1,), set_processing=("sharpen",))


def test_the_train_command_reads_seed_colon_preset():
    import argparse

    from calcdetect.commands.train import _recipe_from, _set_argument

    assert _set_argument("31010:film-mix") == (31010, "film-mix", "none")
    assert _set_argument("7") == (7, None, "none")
    assert _set_argument("31021:mix:multiscale") == (31021, "mix", "multiscale")
    assert _set_argument("31021::usm") == (31021, None, "usm")
    with pytest.raises(argparse.ArgumentTypeError, match="SEED:PRESET"):
        _set_argument("film-mix")
    with pytest.raises(argparse.ArgumentTypeError, match="sharpen"):
        _set_argument("31021:mix:sharpen")
    args = argparse.Namespace(seed=[(1, None, "none"), (2, "film-mix", "none")], n=3, preset=None, resample_mm=None,
                              coarse=False)
    recipe = _recipe_from(args)
    assert recipe.sets == ((1, recipe.preset), (2, "film-mix")) and recipe.n_per_seed == 3
    assert recipe.set_processing == ()
    same = _recipe_from(argparse.Namespace(seed=[(1, None, "none")], n=None, preset="small", resample_mm=None,
                                           coarse=False))
    assert same.sets == ((1, "small"),) and same.set_presets == ()
    processed = _recipe_from(argparse.Namespace(seed=[(1, None, "none"), (1, None, "usm")], n=None, preset=None,
                                                resample_mm=None, coarse=False))
    assert processed.processings == ("none", "usm")
    # --coarse starts from the coarse-pixel model's recipe: the spot filter on
    coarse = _recipe_from(argparse.Namespace(seed=None, n=None, preset=None, resample_mm=None, coarse=True))
    # the coarse model predates spot_image_snr and spot_block_snr: it reads the features up to spot_snr
    assert coarse.spot_filter and coarse.features == FEATURE_NAMES[: FEATURE_NAMES.index("spot_snr") + 1]
    assert not recipe.spot_filter and "spot_snr" not in recipe.features
    assert {"spot_image_snr", "spot_block_snr"} <= set(recipe.features)  # the shipped full-size model's


def test_the_train_command_keeps_a_processed_set_apart_from_the_plain_set_of_its_seed(tmp_path):
    import pydicom

    from calcdetect.commands.train import _phantom_paths
    from calcdetect.evaluation.truth_files import read_truth_file, truth_path_for

    recipe = TrainingRecipe(set_seeds=(5150, 5150), preset="small", n_per_seed=1, positive_fraction=1.0,
                            set_processing=("none", "usm"))
    plain, processed = _phantom_paths(recipe, tmp_path, workers=1)
    assert (plain.parent.name, processed.parent.name) == ("set-5150", "set-5150-usm")
    truths = [read_truth_file(truth_path_for(p)) for p in (plain, processed)]
    assert [t.get("presentation_processing", "none") for t in truths] == ["none", "usm"]
    assert truths[0]["calcifications"] == truths[1]["calcifications"]  # the same phantom, processed
    assert not np.array_equal(pydicom.dcmread(plain).pixel_array, pydicom.dcmread(processed).pixel_array)


def test_a_fine_texture_recipe_records_it_and_keeps_its_sets_apart(tmp_path):
    import argparse

    from calcdetect.commands.train import _phantom_paths, _recipe_from
    from calcdetect.evaluation.truth_files import read_truth_file, truth_path_for

    assert "fine_texture" not in TrainingRecipe().to_dict()  # the shipped metadata reads as before
    recipe = _recipe_from(argparse.Namespace(seed=[(5150, None, "none")], n=1, preset="demo", resample_mm=None,
                                             coarse=False, fine_texture=True))
    assert recipe.fine_texture and recipe.to_dict()["fine_texture"] is True
    assert TrainingRecipe.from_dict(json.loads(json.dumps(recipe.to_dict()))) == recipe
    clusters = ClusterRecipe(set_seeds=(1,), set_presets=("mix",), fine_texture=True)
    assert ClusterRecipe.from_dict(json.loads(json.dumps(clusters.to_dict()))) == clusters
    [fine] = _phantom_paths(recipe, tmp_path, workers=1)
    [plain] = _phantom_paths(dataclasses.replace(recipe, fine_texture=False), tmp_path, workers=1)
    assert (plain.parent.name, fine.parent.name) == ("set-5150", "set-5150-fine-texture")
    assert "fine_texture" in read_truth_file(truth_path_for(fine))
    assert "fine_texture" not in read_truth_file(truth_path_for(plain))


def test_the_train_command_chooses_the_features_by_name():
    import argparse

    from calcdetect.commands.train import _features_argument, _recipe_from

    assert _features_argument("all") == FEATURE_NAMES
    assert _features_argument("snr, spot_block_snr") == ("snr", "spot_block_snr")
    with pytest.raises(argparse.ArgumentTypeError, match="unknown feature.*'sharpness'"):
        _features_argument("snr,sharpness")
    args = argparse.Namespace(seed=None, n=None, preset=None, resample_mm=None, coarse=False,
                              features=("snr", "tophat_snr"))
    assert _recipe_from(args).features == ("snr", "tophat_snr")


def test_the_train_command_finds_candidates_with_the_settings_it_is_given(small_set, tmp_path):
    import argparse

    from calcdetect.commands.train import _recipe_from
    from calcdetect.learning.clusters import TOP_SUM, ClusterRecipe

    (tmp_path / "line.json").write_text(json.dumps({"line_source_snr": 5, "snr_threshold": 4.0}))
    args = argparse.Namespace(seed=None, n=None, preset=None, resample_mm=None, coarse=False,
                              config=tmp_path / "line.json")
    recipe = _recipe_from(args)
    # only what differs from the shipped configuration is recorded (snr_threshold 4 is shipped)
    assert recipe.detector_settings == {"line_source_snr": 5.0}
    assert TrainingRecipe.from_dict(json.loads(json.dumps(recipe.to_dict()))) == recipe
    config = recipe.detector_config()
    assert config.line_source_snr == 5.0 and config.spot_min_spacing_mm > 1.0  # the full-size model: no spot filter
    with_line = candidate_table(small_set[:1], config=config, resample_mm=(None,)).frame
    assert np.isfinite(with_line["line_snr"]).any()  # the line response ran (it is off in the shipped settings)
    clusters = ClusterRecipe(detector_settings={"line_source_snr": 5.0}).detector_config()
    assert clusters.line_source_snr == 5.0 and clusters.cluster_model == TOP_SUM
    with pytest.raises(ValueError, match="unknown detector configuration key.*line_snr_source"):
        TrainingRecipe(detector_settings={"line_snr_source": 5.0})
    with pytest.raises(ValueError, match="line_source_snr must be in"):
        TrainingRecipe(detector_settings={"line_source_snr": -1.0})


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


@pytest.mark.parametrize("shipped", ["fp_model", "fp_model_coarse"])
def test_the_shipped_model_records_how_to_rebuild_it(shipped):
    meta = load_fp_model("", shipped).metadata
    recipe = meta["training"]["recipe"]
    assert recipe["set_seeds"] and recipe["n_per_seed"] > 0
    assert meta["feature_names"] == list(TrainingRecipe.from_dict(recipe).features)
    assert getattr(DetectorConfig(), shipped) == ""  # the default configuration uses it


def test_a_model_of_some_features_reads_those_and_says_which(small_set, tmp_path):
    """The full-size model reads the features of the detector before the spot filter; the detector hands
    every model the whole matrix and the model picks its own columns by name."""
    import lightgbm

    recipe = dataclasses.replace(TrainingRecipe(), set_seeds=(5150,), n_per_seed=4, num_boost_round=20,
                                 positive_fraction=1.0, preset="small",
                                 feature_names=tuple(n for n in FEATURE_NAMES if n != "spot_snr"), spot_filter=False)
    table = candidate_table(small_set, config=recipe.detector_config(), resample_mm=(None, 0.2), workers=1)
    assert table.frame["spot_snr"].isna().all()  # the spot filter was off, at 0.2 mm too
    meta = train_model(table, recipe, tmp_path / "m", accept_probability=0.05, validate=False)
    assert meta["feature_names"] == list(recipe.feature_names)
    assert meta["training"]["recipe"]["spot_filter"] is False
    assert TrainingRecipe.from_dict(meta["training"]["recipe"]) == recipe
    model = load_fp_model(str(tmp_path / "m"))
    booster = lightgbm.Booster(model_file=str(tmp_path / "m.txt"))
    direct = booster.predict(table.frame[list(recipe.feature_names)].to_numpy(np.float64))
    np.testing.assert_array_equal(model.probability(table.features), direct)
    # a .json that names other features than the .txt reads is refused, not silently misread
    meta["feature_names"] = list(FEATURE_NAMES)
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="do not belong together"):
        load_fp_model.__wrapped__(str(tmp_path / "m"))


def test_the_detector_uses_the_coarse_model_where_the_spot_filter_runs():
    from calcdetect.detector.fp_model import SHIPPED_COARSE_MODEL, SHIPPED_MODEL, model_for

    cfg = DetectorConfig.default()
    fine, coarse = model_for((0.1, 0.1), cfg), model_for((0.2, 0.2), cfg)
    assert fine.metadata["name"] == SHIPPED_MODEL and coarse.metadata["name"] == SHIPPED_COARSE_MODEL
    assert "spot_snr" in coarse.feature_names and "spot_snr" not in fine.feature_names
    assert model_for((0.2, 0.2), dataclasses.replace(cfg, spot_min_spacing_mm=0.25)) is fine
    # each shipped model records how it is rebuilt: the full-size one without the spot filter
    assert fine.metadata["training"]["recipe"]["spot_filter"] is False
    assert coarse.metadata["training"]["recipe"]["spot_filter"] is True
    # the coarse model's candidates were found with the breast mask of before history step 11, and
    # its recipe finds them so again; the detector scans with today's mask, as the full-size recipe does
    coarse_recipe = TrainingRecipe.from_dict(coarse.metadata["training"]["recipe"])
    fine_recipe = TrainingRecipe.from_dict(fine.metadata["training"]["recipe"])
    assert coarse_recipe.detector_config().mask_log_offset == "range_1e-3"
    assert fine_recipe.detector_config().mask_log_offset == cfg.mask_log_offset == "background_noise"


def test_the_command_line_names_the_shipped_models_as_the_detector_does():
    from calcdetect.commands import train
    from calcdetect.detector import fp_model

    assert (train.SHIPPED_MODEL, train.SHIPPED_COARSE_MODEL) == (fp_model.SHIPPED_MODEL, fp_model.SHIPPED_COARSE_MODEL)
