"""DetectorConfig: validation, JSON round trip, calibrated defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import calcdetect
from calcdetect.config import DetectorConfig, mm_to_px


def test_round_trip_through_json_text():
    cfg = DetectorConfig(snr_threshold=5.5, cluster_min_count=5, calibration_seeds="1-2")
    again = DetectorConfig.from_dict(json.loads(cfg.to_json()))
    assert again == cfg
    assert isinstance(again.cluster_min_count, int)


def test_to_dict_is_json_safe_and_complete():
    d = DetectorConfig().to_dict()
    assert json.loads(json.dumps(d)) == d
    assert {"tophat_size_mm", "snr_threshold", "cluster_min_count", "cluster_area_mm2",
            "scale_min_mm", "accept_probability", "image_threshold", "max_diameter_mm", "fp_model"} <= set(d)


def test_unknown_keys_are_named():
    with pytest.raises(ValueError, match="unknown .*: bogus, tophat_size"):
        DetectorConfig.from_dict({"tophat_size": 1.0, "bogus": 2})


@pytest.mark.parametrize("key, value, message", [
    ("tophat_size_mm", -1.0, "tophat_size_mm must be in"),
    ("snr_threshold", "high", "snr_threshold must be a number"),
    ("cluster_min_count", 2.5, "cluster_min_count must be a whole number"),
    ("scale_ratio", float("nan"), "scale_ratio must be finite"),
    ("accept_probability", 1.5, "accept_probability must be in"),
    ("fp_model", 3, "fp_model must be a string"),
    ("image_threshold", True, "image_threshold must be a number"),
    ("calibration_seeds", 3, "calibration_seeds must be a string"),
    ("image_family", "mammography", "image_family must be one of auto, film, digital"),
    ("image_family", 1, "image_family must be a string"),
])
def test_bad_values_are_refused_with_the_rule(key, value, message):
    with pytest.raises(ValueError, match=message):
        DetectorConfig.from_dict({key: value})


def test_not_a_dict_is_refused():
    with pytest.raises(ValueError, match="JSON object"):
        DetectorConfig.from_dict([1, 2])


def test_default_is_calibrated_and_records_where_it_came_from():
    cfg = DetectorConfig.default()
    assert cfg.calibration_seeds and cfg.calibration_date
    assert cfg.cluster_min_count == 3 and cfg.cluster_area_mm2 == 100.0


def test_a_configuration_without_film_thresholds_applies_its_own_to_film():
    """A site's configuration from before film had its own thresholds keeps flagging film at its
    thresholds, not at the shipped film ones."""
    site = DetectorConfig.from_dict({"image_threshold": 0.42})
    assert site.image_threshold_film == 0.42
    assert site.image_threshold_film_coarse == DetectorConfig().image_threshold_film_coarse
    both = DetectorConfig.from_dict({"image_threshold": 0.42, "image_threshold_film": 0.6})
    assert (both.image_threshold, both.image_threshold_film) == (0.42, 0.6)


def test_from_json_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(DetectorConfig(image_threshold=7.0).to_json())
    assert DetectorConfig.from_json(str(path)).image_threshold == 7.0


@pytest.mark.parametrize("mm, spacing, px", [(0.8, 0.1, 8.0), (1.0, 0.05, 20.0), (0.3, 0.2, 1.5)])
def test_mm_to_px(mm, spacing, px):
    assert mm_to_px(mm, spacing) == pytest.approx(px)


def test_mm_to_px_refuses_bad_spacing():
    with pytest.raises(ValueError, match="positive"):
        mm_to_px(1.0, 0.0)


def test_there_is_one_default_the_calibrated_one():
    shipped = json.loads((Path(calcdetect.__file__).parent / "data" / "default_config.json").read_text())
    assert DetectorConfig().to_dict() == shipped
    assert DetectorConfig() == DetectorConfig.default() == DetectorConfig.from_dict({})


def test_a_partial_config_changes_only_what_it_names():
    default = DetectorConfig.default()
    partial = DetectorConfig.from_dict({"tophat_size_mm": default.tophat_size_mm + 0.5})
    assert partial.tophat_size_mm == default.tophat_size_mm + 0.5
    assert partial.replace(tophat_size_mm=default.tophat_size_mm) == default


def test_scan_records_the_whole_resolved_configuration(tmp_path):
    from calcdetect.cli import main

    sample = Path(__file__).resolve().parents[3] / "data" / "phantoms" / "small_neg_RMLO.dcm"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / sample.name).write_bytes(sample.read_bytes())
    config_file = tmp_path / "partial.toml"
    config_file.write_text("snr_threshold = 6.0\n")
    status = main(["scan", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--workers", "1",
                   "--no-overlays", "--config", str(config_file)])
    assert status == 0
    recorded = json.loads((tmp_path / "out" / "run.json").read_text())["config"]
    assert recorded == DetectorConfig.default().replace(snr_threshold=6.0).to_dict()
