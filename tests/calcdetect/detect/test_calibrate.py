"""Operating-point choice and the ``calcdetect calibrate`` command."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.evaluation.calibration import choose_image_threshold, cluster_outcomes, image_auc
from calcdetect.config import DetectorConfig
from calcdetect.results import Cluster, ImageResult


def test_auc_known_values():
    assert image_auc(np.array([3.0, 4.0, 1.0, 2.0]), np.array([1, 1, 0, 0])) == 1.0
    assert image_auc(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 1, 0, 0])) == 0.0
    assert image_auc(np.array([1.0, 1.0]), np.array([1, 0])) == 0.5  # a tie counts one half
    with pytest.raises(ValueError, match="with and without"):
        image_auc(np.array([1.0]), np.array([1]))


def test_threshold_maximises_youden_and_sits_between_scores():
    scores = np.array([0.0, 3.2, 3.6, 5.0, 6.0, 7.0])
    labels = np.array([0, 0, 0, 1, 1, 1], bool)
    thr, sens, spec = choose_image_threshold(scores, labels)
    assert 3.6 < thr <= 5.0 and thr == pytest.approx(4.3)
    assert (sens, spec) == (1.0, 1.0)


def test_threshold_refuses_when_no_image_has_a_cluster():
    with pytest.raises(ValueError, match="no image has a cluster"):
        choose_image_threshold(np.zeros(4), np.array([0, 1, 0, 1], bool))


def _cluster(cid, row, col, half, score):
    return Cluster(cluster_id=cid, n_calcifications=3, row_px=row, col_px=col,
                   bbox_px=(row - half, col - half, row + half, col + half), area_mm2=1.0, score=score)


def test_cluster_outcomes_count_only_clusters_that_localise_the_lesion():
    truth = {"clusters": [{"row": 500, "col": 500, "hull_rc": [[480, 480], [480, 520], [520, 500]]}]}
    result = ImageResult(clusters=(
        _cluster(0, 900, 900, 20, 9.0),     # elsewhere: a false positive
        _cluster(1, 505, 500, 20, 8.0),     # on the lesion
        _cluster(2, 1000, 1000, 600, 7.0),  # chains noise over 12 cm around it: localises nothing
    ))  # fmt: skip
    scores, is_tp = cluster_outcomes(result, truth, (0.1, 0.1))
    assert scores.tolist() == [9.0, 8.0, 7.0]
    assert is_tp.tolist() == [False, True, False]
    no_truth = cluster_outcomes(result, {"clusters": []}, (0.1, 0.1))[1]
    assert not no_truth.any()


def test_calibrate_command_writes_a_loadable_config_recording_its_seed(tmp_path):
    pytest.importorskip("calcdetect.phantom")
    from calcdetect.cli import main

    out = tmp_path / "cfg.json"
    code = main(["calibrate", str(out), "--seed", "4242", "--n", "6", "--preset", "small", "--snr", "3.5,4"])
    assert code == 0  # the set is seeded: these six images do hold detectable clusters
    cfg = DetectorConfig.from_json(str(out))
    assert cfg.calibration_seeds == "set seed 4242" and cfg.calibration_date
    assert cfg.snr_threshold in (3.5, 4.0) and cfg.image_threshold > 0


def test_calibrate_command_rejects_bad_snr_list(capsys):
    from calcdetect.cli import main

    assert main(["calibrate", "x.json", "--seed", "1", "--snr", "a,b"]) != 0
