"""The cluster model: its features, its training on phantoms, and the detector scoring clusters with it."""

from __future__ import annotations

import dataclasses
import json
import math
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest

from calcdetect.config import DetectorConfig
from calcdetect.detector.cluster_model import (BASE_CLUSTER_FEATURE_NAMES, CLUSTER_FEATURE_NAMES, SHIPPED_CLUSTER_MODEL,
                                               TOP_SUM, cluster_feature_matrix, load_cluster_model, member_models)
from calcdetect.learning.clusters import (ClusterRecipe, cluster_table, monotone_constraints, result_cluster_features,
                                         train_cluster_model)

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "phantoms" / "small_neg_RMLO.dcm"


def _features(groups, pts, p, snr, diameter, elongation=None, orientation_deg=None):
    m = cluster_feature_matrix(groups, pts_mm=np.asarray(pts, float), probability=np.asarray(p, float),
                               snr=np.asarray(snr, float), diameter_mm=np.asarray(diameter, float),
                               elongation=elongation, orientation_deg=orientation_deg)
    return [dict(zip(CLUSTER_FEATURE_NAMES, row)) for row in m]


def test_cluster_features_follow_their_definitions():
    # four members on a line 1 mm apart (and a fifth calcification in no cluster, which must not count)
    pts = [[0, 0], [0, 1], [0, 2], [0, 3], [50, 50]]
    p, snr, diameter = [0.2, 0.9, 0.6, 0.1, 1.0], [5, 9, 7, 4, 30], [0.2, 0.4, 0.3, 0.2, 2.0]
    (f,) = _features([np.arange(4)], pts, p, snr, diameter)
    assert f["log_count"] == pytest.approx(math.log(4))
    assert (f["p_first"], f["p_second"], f["p_third"]) == pytest.approx((0.9, 0.6, 0.2))
    assert f["p_top3_sum"] == pytest.approx(1.7) and f["p_rest_mean"] == pytest.approx(0.1)
    assert f["count_p_half"] == 2
    # positions 0, 1, 2, 3 mm: sample variance 5/3 along the line, none across it
    assert f["span_mm"] == pytest.approx(math.sqrt(5 / 3)) and f["linearity"] == pytest.approx(0.0)
    assert f["nearest_median_mm"] == pytest.approx(1.0)
    assert (f["snr_median"], f["snr_max"], f["diameter_median_mm"]) == pytest.approx((6.0, 9.0, 0.25))


def test_a_round_cluster_has_linearity_one_and_three_members_no_rest():
    pts = [[0, 1], [1, 0], [0, -1], [-1, 0]]  # a square: equal variance both ways
    (square,) = _features([np.arange(4)], pts, [0.5] * 4, [6] * 4, [0.2] * 4)
    assert square["linearity"] == pytest.approx(1.0) and square["nearest_median_mm"] == pytest.approx(math.sqrt(2))
    (three,) = _features([np.arange(3)], pts[:3], [0.5, 0.4, 0.3], [6] * 3, [0.2] * 3)
    assert three["p_rest_mean"] == 0.0 and three["count_p_half"] == 1


def test_members_along_the_line_they_form_align_and_members_across_it_do_not():
    # four members on a line running down the image (rows 0-3 mm, column 0): the axis is at 90 degrees
    pts, p, snr, diameter = [[0, 0], [1, 0], [2, 0], [3, 0]], [0.5] * 4, [6] * 4, [0.2] * 4
    along = np.array([88.0, -89.0, 90.0, 85.0])  # -89 and 90 are the same axis, 1 degree apart
    (f,) = _features([np.arange(4)], pts, p, snr, diameter, elongation=[3.0, 2.0, 4.0, 3.0], orientation_deg=along)
    assert f["axis_alignment"] > 0.95 and f["elongation_median"] == pytest.approx(3.0)
    (f,) = _features([np.arange(4)], pts, p, snr, diameter, elongation=[3.0, 2.0, 4.0, 3.0],
                     orientation_deg=along - 90.0)
    assert f["axis_alignment"] < -0.95
    # round members have no direction: their orientation (noise) is not read, however it lies
    (f,) = _features([np.arange(4)], pts, p, snr, diameter, elongation=[1.0] * 4, orientation_deg=[0.0] * 4)
    assert f["axis_alignment"] == 0.0 and f["elongation_median"] == 1.0
    # without shapes (older callers) the members count as round
    (f,) = _features([np.arange(4)], pts, p, snr, diameter)
    assert (f["axis_alignment"], f["elongation_median"]) == (0.0, 1.0)


def test_a_model_reads_the_cluster_features_its_metadata_names(tmp_path):
    """The shipped model reads the first 13 features by name; a model naming one this version does not
    compute is refused with the retraining command."""
    shipped = load_cluster_model("")
    assert [CLUSTER_FEATURE_NAMES[i] for i in shipped.columns] == list(BASE_CLUSTER_FEATURE_NAMES)
    rng = np.random.default_rng(7)
    matrix = rng.uniform(0.0, 1.0, (5, len(CLUSTER_FEATURE_NAMES)))
    scrambled = matrix.copy()
    scrambled[:, len(BASE_CLUSTER_FEATURE_NAMES):] = rng.uniform(-5.0, 5.0, (5, 2))  # columns it does not read
    np.testing.assert_array_equal(shipped.probability(matrix), shipped.probability(scrambled))
    text = Path(str(files("calcdetect") / "data" / "cluster_model.txt")).read_text()
    meta = {**shipped.metadata, "feature_names": [*BASE_CLUSTER_FEATURE_NAMES[:-1], "tortuosity"]}
    (tmp_path / "m.txt").write_text(text)
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match=r"'tortuosity'.*calcdetect train OUT --clusters"):
        load_cluster_model(str(tmp_path / "m"))


def test_a_recipe_refuses_unknown_features_and_constraints_for_other_features():
    with pytest.raises(ValueError, match="unknown cluster feature"):
        ClusterRecipe(feature_names=("log_count", "tortuosity"))
    with pytest.raises(ValueError, match="monotone_constraints"):
        ClusterRecipe(feature_names=CLUSTER_FEATURE_NAMES)  # the default parameters constrain 13 features
    constraints = monotone_constraints(CLUSTER_FEATURE_NAMES)
    recipe = ClusterRecipe(feature_names=CLUSTER_FEATURE_NAMES,
                           params={**ClusterRecipe().params, "monotone_constraints": constraints})
    assert ClusterRecipe.from_dict(recipe.to_dict()) == recipe


@pytest.fixture(scope="module")
def small_table(tmp_path_factory):
    from calcdetect.phantom import write_phantom_set

    paths = write_phantom_set(tmp_path_factory.mktemp("clusters"), n=4, seed=5150, preset="small",
                              positive_fraction=0.5)
    return cluster_table(paths, config=ClusterRecipe().detector_config(), resample_mm=(None,))


def test_the_cluster_table_labels_clusters_by_the_truth(small_table):
    assert list(small_table.columns[: len(CLUSTER_FEATURE_NAMES)]) == list(CLUSTER_FEATURE_NAMES)
    assert small_table["label"].sum() >= 1  # the positive phantoms' visible clusters are found
    assert np.isfinite(small_table[list(CLUSTER_FEATURE_NAMES)].to_numpy()).all()


@pytest.mark.parametrize("names", [BASE_CLUSTER_FEATURE_NAMES, CLUSTER_FEATURE_NAMES])
def test_cluster_training_is_deterministic_and_the_detector_scores_with_the_model(small_table, tmp_path, names):
    from calcdetect.detector.pipeline import detect
    from calcdetect.io import read_mammogram

    table = small_table.copy()
    if table["label"].nunique() < 2:  # the model needs both kinds; a false cluster is a relabelled one
        table.loc[table.index[0], "label"] = 1 - table["label"].iloc[0]
    recipe = dataclasses.replace(ClusterRecipe(), set_seeds=(5150,), set_presets=(), preset="small", n_per_seed=4,
                                 num_boost_round=10, feature_names=names,
                                 params={**ClusterRecipe().params, "min_data_in_leaf": 1,
                                         "monotone_constraints": monotone_constraints(names)})
    scored_by = {"fp_model": "a" * 64, "fp_model_coarse": "b" * 64}
    meta = train_cluster_model(table, recipe, tmp_path / "a", validate=False, members_scored_by=scored_by)
    train_cluster_model(table, recipe, tmp_path / "b", validate=False)
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    assert ClusterRecipe.from_dict(meta["training"]["recipe"]) == recipe
    assert json.loads((tmp_path / "a.json").read_text())["training"]["member_models"] == scored_by
    model = load_cluster_model(str(tmp_path / "a"))
    assert model.booster.num_feature() == len(names) and meta["feature_names"] == list(names)

    image = read_mammogram(SAMPLE.parent / "small_pos_LCC.dcm")
    cfg = DetectorConfig.default().replace(cluster_model=str(tmp_path / "a"))
    result = detect(image.pixels, spacing_mm=image.spacing_mm, view=image.view, config=cfg)
    assert result.clusters, "the sample positive phantom has a cluster"
    expected = model.probability(result_cluster_features(result, image.spacing_mm))
    np.testing.assert_allclose([k.score for k in result.clusters], expected)
    assert result.score == max(expected)


def test_top_sum_scores_a_cluster_by_its_three_likeliest_members():
    from calcdetect.detector.pipeline import detect
    from calcdetect.io import read_mammogram

    image = read_mammogram(SAMPLE.parent / "small_pos_LCC.dcm")
    result = detect(image.pixels, spacing_mm=image.spacing_mm, view=image.view,
                    config=DetectorConfig.default().replace(cluster_model=TOP_SUM))
    for k in result.clusters:
        p = sorted((c.probability for c in result.calcifications if c.cluster_id == k.cluster_id), reverse=True)
        assert k.score == pytest.approx(sum(p[:3]))
    assert load_cluster_model(TOP_SUM) is None


def test_the_shipped_cluster_model_records_how_to_rebuild_it():
    model = load_cluster_model("")
    meta = model.metadata
    assert meta["name"] == SHIPPED_CLUSTER_MODEL and meta["feature_names"] == list(BASE_CLUSTER_FEATURE_NAMES)
    recipe = ClusterRecipe.from_dict(meta["training"]["recipe"])
    assert recipe == ClusterRecipe()  # `calcdetect train OUT --clusters` rebuilds it from these defaults
    # the default score since history step 14
    assert DetectorConfig().cluster_model == ""
    # trained on the false-positive models' training sets: no evaluation seed inside
    from calcdetect.detector.fp_model import load_fp_model

    assert list(recipe.set_seeds) == load_fp_model("").metadata["training"]["seeds"]
    assert set(meta["validation"]["leave_one_preset_out"]) >= {"ge-like", "film-mias-like"}


def _never_lower_with_surer_members(model, rng) -> bool:
    """Whether raising members' probabilities never lowered a cluster's score, over random clusters."""
    for _ in range(300):
        n = int(rng.integers(3, 15))
        pts = rng.normal(0.0, rng.uniform(0.5, 3.0), (n, 2))
        p = rng.uniform(0.0, 1.0, n) ** 3
        surer = np.minimum(1.0, p + rng.uniform(0.0, 0.3, n) * (rng.random(n) < 0.5))
        other = dict(pts_mm=pts, snr=rng.uniform(4.0, 20.0, n), diameter_mm=rng.uniform(0.1, 0.8, n))
        before = model.probability(cluster_feature_matrix([np.arange(n)], probability=p, **other))
        after = model.probability(cluster_feature_matrix([np.arange(n)], probability=surer, **other))
        if after[0] < before[0] - 1e-12:
            return False
    return True


def test_surer_members_never_make_a_cluster_less_likely():
    """The shipped model is trained monotone in its member-probability features: evidence can only add,
    whatever the trees learnt elsewhere (where the phantoms teach nothing, trees extrapolate)."""
    assert _never_lower_with_surer_members(load_cluster_model(""), np.random.default_rng(20261201))


def test_a_configuration_that_changes_the_cluster_score_must_give_its_thresholds(tmp_path, capsys):
    """The calibrated thresholds belong to the shipped model's 0-1 scores; taking them for top-sum (0-3)
    would flag nearly every image with a cluster, so a file that changes the score without them is refused."""
    with pytest.raises(ValueError, match="needs its own image_threshold and image_threshold_coarse"):
        DetectorConfig.from_dict({"cluster_model": TOP_SUM})
    with pytest.raises(ValueError, match="needs its own image_threshold_coarse"):
        DetectorConfig.from_dict({"cluster_model": str(tmp_path / "mine"), "image_threshold": 0.3})
    old = DetectorConfig.from_dict({"cluster_model": TOP_SUM, "image_threshold": 0.954,
                                    "image_threshold_coarse": 1.308})
    assert (old.cluster_model, old.image_threshold) == (TOP_SUM, 0.954)
    assert DetectorConfig.from_dict({"image_threshold": 0.5}).cluster_model == ""  # the default score: no check
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"cluster_model": TOP_SUM}))
    from calcdetect.cli import main

    (tmp_path / "in").mkdir()  # an empty folder scans with exit 0: here the file alone stops it
    assert main(["scan", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--config", str(path)]) == 2
    assert "needs its own image_threshold" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_a_model_for_other_cluster_features_is_refused(tmp_path):
    from importlib import resources

    data = resources.files("calcdetect").joinpath("data")
    (tmp_path / "m.txt").write_text(data.joinpath("cluster_model.txt").read_text())
    meta = json.loads(data.joinpath("cluster_model.json").read_text())
    meta["feature_names"] = ["log_count", "something_else"]
    (tmp_path / "m.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="retrain it with `calcdetect train OUT --clusters`"):
        load_cluster_model.__wrapped__(str(tmp_path / "m"))


def test_scan_records_the_cluster_model_and_stops_at_once_on_a_missing_one(tmp_path):
    from calcdetect.cli import main

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    missing, top_sum = tmp_path / "missing.json", tmp_path / "top_sum.json"
    missing.write_text(json.dumps({"cluster_model": str(tmp_path / "nowhere"), "image_threshold": 0.3,
                                   "image_threshold_coarse": 0.8}))
    top_sum.write_text(json.dumps({"cluster_model": TOP_SUM, "image_threshold": 0.954,
                                   "image_threshold_coarse": 1.308}))
    unreachable = tmp_path / "unreachable.json"  # the top-sum thresholds (0-3) with a 0-1 score: refused
    unreachable.write_text(json.dumps({"image_threshold": 0.9, "image_threshold_coarse": 1.3}))
    assert main(["scan", str(tmp_path / "in"), "-o", str(tmp_path / "never"), "--config", str(unreachable)]) == 2
    assert not (tmp_path / "never" / "images.csv").exists()
    assert main(["scan", str(tmp_path / "in"), "-o", str(tmp_path / "bad"), "--config", str(missing)]) == 2
    assert not (tmp_path / "bad" / "images.csv").exists()
    assert main(["scan", str(tmp_path / "in"), "-o", str(tmp_path / "default"), "--no-overlays"]) == 0
    run = json.loads((tmp_path / "default" / "run.json").read_text())
    assert run["cluster_model"]["sha256"] == load_cluster_model("").sha256
    assert main(["scan", str(tmp_path / "in"), "-o", str(tmp_path / "top_sum"), "--no-overlays",
                 "--config", str(top_sum)]) == 0
    assert json.loads((tmp_path / "top_sum" / "run.json").read_text())["cluster_model"] == {"name": TOP_SUM}


def test_the_train_command_knows_the_cluster_model(tmp_path):
    import argparse

    from calcdetect.cli import main
    from calcdetect.commands import train

    assert train.SHIPPED_CLUSTER_MODEL == SHIPPED_CLUSTER_MODEL
    args = dict(seed=[(7, "film-mix", "none")], n=3, preset=None, resample_mm=None, coarse=False, clusters=True)
    recipe = train._recipe_from(argparse.Namespace(**args))
    assert isinstance(recipe, ClusterRecipe) and recipe.sets == ((7, "film-mix"),) and recipe.n_per_seed == 3
    with pytest.raises(ValueError, match="--features"):
        train._recipe_from(argparse.Namespace(**args, features=("snr",)))
    # one model at a time: a usage error (status 2), nothing written
    assert main(["train", str(tmp_path / "m"), "--clusters", "--coarse"]) == 2
    assert not (tmp_path / "m.txt").exists()


def _fine_model_as_coarse(folder: Path) -> DetectorConfig:
    """The shipped configuration with a copy of the full-size false-positive model as the coarse one."""
    for suffix in (".txt", ".json"):
        (folder / f"other{suffix}").write_bytes(files("calcdetect").joinpath(f"data/fp_model{suffix}").read_bytes())
    return DetectorConfig.default().replace(fp_model_coarse=str(folder / "other"))


def test_the_shipped_cluster_model_records_the_false_positive_models_that_scored_its_members(tmp_path):
    """Its features read the member probabilities, so it is rebuilt (``calcdetect train --clusters``) only
    from clusters whose members the same false-positive models scored: replacing one of them without
    retraining the cluster model fails here, not silently in a later rebuild."""
    meta = json.loads(files("calcdetect").joinpath(f"data/{SHIPPED_CLUSTER_MODEL}.json").read_text("utf-8"))
    shipped = member_models(DetectorConfig.default())
    assert meta["training"]["member_models"] == shipped
    # another coarse model (here the full-size one under another name) is another record
    other = member_models(_fine_model_as_coarse(tmp_path))
    assert other["fp_model"] == shipped["fp_model"] and other["fp_model_coarse"] == shipped["fp_model"]


def test_a_scan_warns_when_the_cluster_model_read_other_false_positive_models(tmp_path, caplog):
    from calcdetect.batch.scan import _check_models

    with caplog.at_level("WARNING", logger="calcdetect.batch.scan"):
        _check_models(DetectorConfig.default())
    assert not caplog.records
    with caplog.at_level("WARNING", logger="calcdetect.batch.scan"):
        _check_models(_fine_model_as_coarse(tmp_path))
    [record] = caplog.records
    assert "scored by another fp_model_coarse" in record.getMessage() and "--clusters" in record.getMessage()
