"""Operating-point choice and the ``calcdetect calibrate`` command."""

from __future__ import annotations

import numpy as np
import pytest

from calcdetect.calibrate import choose_image_threshold, image_auc
from calcdetect.config import DetectorConfig


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
