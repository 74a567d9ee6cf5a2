"""Operating-point choice: the threshold rule, cluster outcomes and the ``calcdetect calibrate`` command."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from calcdetect.config import DetectorConfig
from calcdetect.evaluation.calibration import calibrate_on_normals, cluster_outcomes, threshold_for_fp_rate
from calcdetect.results import Cluster, ImageResult

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "phantoms"


@pytest.mark.parametrize("scores, n_images, fp, allowed", [
    ([0.9, 0.8, 0.3, 0.2], 20, 0.1, 2),
    ([0.5, 0.5, 0.5, 0.1], 10, 0.1, 1),  # ties: none of the tied scores may pass
    ([0.7, 0.6], 100, 0.1, 2),            # fewer false clusters than allowed
    ([0.7, 0.6, 0.1], 5, 0.0, 0),
])
def test_the_threshold_leaves_at_most_the_allowed_false_clusters(scores, n_images, fp, allowed):
    thr = threshold_for_fp_rate(np.array(scores), n_images, fp)
    kept = int((np.array(scores) >= thr).sum())
    assert kept <= allowed
    # and it is the lowest such threshold: any lower observed score would let one more through
    lower = [s for s in scores if s < thr]
    if lower:
        assert int((np.array(scores) >= max(lower)).sum()) > allowed


def test_the_threshold_refuses_nonsense():
    with pytest.raises(ValueError, match="n_images"):
        threshold_for_fp_rate(np.array([1.0]), 0, 0.1)
    with pytest.raises(ValueError, match="fp_per_image"):
        threshold_for_fp_rate(np.array([1.0]), 10, -1.0)


def _cluster(cid, row, col, half, score):
    return Cluster(cluster_id=cid, n_calcifications=3, row_px=row, col_px=col,
                   bbox_px=(row - half, col - half, row + half, col + half), area_mm2=1.0, score=score)


def test_cluster_outcomes_count_only_clusters_that_localise_the_lesion():
    truth = {"clusters": [{"row": 500, "col": 500, "hull_rc": [[480, 480], [480, 520], [520, 500]]}]}
    result = ImageResult(clusters=(
        _cluster(0, 900, 900, 20, 0.9),     # elsewhere: a false positive
        _cluster(1, 505, 500, 20, 0.8),     # on the lesion
        _cluster(2, 1000, 1000, 600, 0.7),  # chains noise over 12 cm around it: localises nothing
    ))  # fmt: skip
    scores, is_tp = cluster_outcomes(result, truth, (0.1, 0.1))
    assert scores.tolist() == [0.9, 0.8, 0.7]
    assert is_tp.tolist() == [False, True, False]
    assert not cluster_outcomes(result, {"clusters": []}, (0.1, 0.1))[1].any()


def test_calibration_on_normals_flags_at_most_the_allowed_rate():
    rng = np.random.default_rng(3)
    results = [ImageResult(clusters=tuple(_cluster(i, 100, 100, 5, float(s)) for i, s in enumerate(rng.random(k))),
                           score=0.0) for k in rng.integers(0, 3, 50)]
    out = calibrate_on_normals(results, fp_per_image=0.1, base=DetectorConfig(), source="test")
    all_scores = np.array([c.score for r in results for c in r.clusters])
    assert int((all_scores >= out.config.image_threshold).sum()) <= 5
    assert out.config.calibration_seeds == "normals test" and out.n_images == 50


def test_each_model_is_calibrated_on_the_normals_it_scored():
    fine = [ImageResult(clusters=(_cluster(0, 100, 100, 5, s),), score=s) for s in (0.9, 0.8, 0.7, 0.1, 0.0)]
    coarse = [ImageResult(clusters=(_cluster(0, 100, 100, 5, s),), score=s, coarse_model=True)
              for s in (2.5, 2.4, 0.2, 0.0, 0.0)]
    base = DetectorConfig(image_threshold=0.3, image_threshold_coarse=0.3)
    out = calibrate_on_normals(fine + coarse, fp_per_image=0.2, base=base, source="site")
    # one false cluster allowed in each group of five: between the two highest of each
    assert out.config.image_threshold == pytest.approx(0.85)
    assert out.config.image_threshold_coarse == pytest.approx(2.45)
    assert out.n_false_clusters == 2 and out.flagged_fraction == pytest.approx(0.2)
    # a model that scored none of the normals keeps its threshold
    only_fine = calibrate_on_normals(fine, fp_per_image=0.2, base=base, source="site")
    assert only_fine.config.image_threshold_coarse == 0.3
    assert "image_threshold_coarse" not in only_fine.config.calibration_note


def test_per_preset_the_strictest_preset_decides():
    from calcdetect.evaluation.calibration import _per_model

    # ten images of each preset, one false cluster allowed per preset, two allowed in the pool
    scores = [np.array([0.9]), np.array([0.8])] + [np.zeros(0)] * 8 + [np.array([0.5])] + [np.zeros(0)] * 9
    presets = ["a"] * 10 + ["b"] * 10
    results = [ImageResult()] * 20
    (pooled,) = _per_model(scores, results, 0.1, 0.05)
    (per_preset,) = _per_model(scores, results, 0.1, 0.05, presets)
    assert pooled.threshold == pytest.approx(0.65)  # between the 2nd and 3rd false cluster of all 20
    assert per_preset.threshold == pytest.approx(0.85)  # preset a's own: between its two
    assert per_preset.decided_by.startswith("a (10 images)")
    assert "a (10 images) decides" in per_preset.describe()


def test_scanned_film_has_its_own_threshold_at_its_own_rate_never_below_the_general_one():
    """Digital and film normals at the same pixels: the model's threshold from every image, its
    film twin from the film images alone at their own (lower) rate, floored at the first."""
    def normals(scores, film):
        return [ImageResult(clusters=(_cluster(0, 100, 100, 5, s),), score=s, digitised_film=film) for s in scores]

    digital = normals(np.linspace(0.9, 0.0, 10), False)
    film = normals(np.r_[0.95, 0.9, np.linspace(0.5, 0.0, 18)], True)
    base = DetectorConfig(image_threshold=0.3, image_threshold_film=0.3)
    out = calibrate_on_normals(digital + film, fp_per_image=0.2, film_fp_per_image=0.05, base=base, source="site")
    # every image: six of thirty allowed (0.95, 0.9, 0.9, 0.8, 0.7, 0.6), then 0.5; film: one of twenty
    assert out.config.image_threshold == pytest.approx(0.55)
    assert out.config.image_threshold_film == pytest.approx(0.925)
    # at the thresholds that apply: digital 0.9, 0.8, 0.7, 0.6 and film 0.95
    assert out.n_false_clusters == 5 and out.flagged_fraction == pytest.approx(5 / 30)
    assert "image_threshold_film 0.925 from 20 images (1 false clusters at 0.05/image allowed)" in \
        out.config.calibration_note
    # films that score low: their own rate would flag them more loosely than any image; the floor holds
    faint = calibrate_on_normals(digital + normals(np.linspace(0.3, 0.0, 20), True), fp_per_image=0.2,
                                 film_fp_per_image=0.05, base=base, source="site")
    assert faint.config.image_threshold_film == faint.config.image_threshold
    assert "image_threshold, its floor" in faint.config.calibration_note
    # no film image: the film twin keeps the base's threshold, raised to the new general one if below it
    strict = calibrate_on_normals(digital, base=base.replace(image_threshold_film=0.95), source="site").config
    assert strict.image_threshold == pytest.approx(0.85) and strict.image_threshold_film == 0.95
    raised = calibrate_on_normals(digital, base=base, source="site").config
    assert raised.image_threshold_film == raised.image_threshold == pytest.approx(0.85)


def test_seed_arguments_name_their_own_preset_and_resolutions():
    import argparse

    from calcdetect.commands.calibrate import SeedSpec, seed_argument

    assert seed_argument("31003") == SeedSpec(31003)
    assert seed_argument("98000002:film-mix") == SeedSpec(98000002, "film-mix")
    assert seed_argument("20261130:mix:native,0.2") == SeedSpec(20261130, "mix", (None, 0.2))
    with pytest.raises(argparse.ArgumentTypeError, match="SEED"):
        seed_argument("mix:31003")


def test_calibrate_command_on_several_phantom_sets_per_preset(tmp_path):
    from calcdetect.cli import main

    out = tmp_path / "cfg.json"
    assert main(["calibrate", str(out), "--n", "4", "--per-preset", "--seed", "4242:small",
                 "--seed", "4243:small-film-mix:0.2"]) == 0
    cfg = DetectorConfig.from_json(str(out))
    assert cfg.calibration_seeds == "set seeds 4242 (small, native), 4243 (small-film-mix, 0.2 mm)"
    assert "per preset, the highest kept" in cfg.calibration_note
    assert "4 phantoms x resolutions [None], 4 phantoms x resolutions [0.2]" in cfg.calibration_note


def test_calibrate_command_on_a_folder_of_normals(tmp_path):
    from calcdetect.cli import main

    normals = tmp_path / "normals"
    normals.mkdir()
    for p in SAMPLES.glob("*_neg_*.dcm"):
        shutil.copy(p, normals / p.name)
    (normals / "notes.txt").write_text("not a DICOM file")
    out = tmp_path / "site.json"
    assert main(["calibrate", str(out), "--normals", str(normals), "--fp-per-image", "0.5"]) == 0
    cfg = DetectorConfig.from_json(str(out))
    assert cfg.calibration_seeds.startswith("normals ") and cfg.image_threshold >= 0
    # everything but the image threshold and its provenance is the default (the samples are 0.1 mm
    # digital: the coarse-pixel model's threshold is not touched, nor the film one but to its floor)
    shipped = DetectorConfig()
    assert cfg.image_threshold_film == max(shipped.image_threshold_film, cfg.image_threshold)
    assert cfg.replace(image_threshold=shipped.image_threshold, image_threshold_film=shipped.image_threshold_film,
                       calibration_seeds="", calibration_date="", calibration_note="") == \
        shipped.replace(calibration_seeds="", calibration_date="", calibration_note="")


def test_calibrate_command_on_phantoms_records_its_seed(tmp_path):
    from calcdetect.cli import main

    out = tmp_path / "cfg.json"
    assert main(["calibrate", str(out), "--seed", "4242", "--n", "4", "--preset", "small"]) == 0
    cfg = DetectorConfig.from_json(str(out))
    assert cfg.calibration_seeds == "set seed 4242" and cfg.calibration_date


def test_calibrate_command_on_fine_texture_phantoms_says_so(tmp_path):
    from calcdetect.cli import main

    out = tmp_path / "cfg.json"
    assert main(["calibrate", str(out), "--seed", "4242", "--n", "4", "--preset", "small", "--fine-texture"]) == 0
    assert DetectorConfig.from_json(str(out)).calibration_seeds == "set seed 4242 (with the fine texture)"


def test_calibrate_command_needs_a_source(capsys):
    from calcdetect.cli import main

    assert main(["calibrate", "x.json"]) != 0
