"""`calcdetect evaluate` end to end on a hand-written scan folder and truth JSONs."""

import json

import pandas as pd
import pytest

from calcdetect.cli import main


def _write_set(tmp_path, tiny_truth, tiny_detections, *, run_json=None):
    out, truth_dir = tmp_path / "scan", tmp_path / "phantoms"
    out.mkdir()
    truth_dir.mkdir()
    for name, table in zip(("images", "calcifications", "clusters", "patients"), tiny_detections, strict=True):
        table.to_csv(out / f"{name}.csv", index=False)
    if run_json is not None:
        (out / "run.json").write_text(json.dumps(run_json))
    for i, doc in enumerate(tiny_truth):
        (truth_dir / f"ph{i}.truth.json").write_text(json.dumps(doc))
    return out, truth_dir


def test_command_writes_every_file(tmp_path, tiny_truth, tiny_detections):
    out, truth_dir = _write_set(tmp_path, tiny_truth, tiny_detections)
    assert main(["evaluate", str(out), "--truth", str(truth_dir), "-o", str(tmp_path / "ev")]) == 0
    ev = tmp_path / "ev"
    for name in ("froc_clusters.png", "froc_calcifications.png", "roc_image.png"):
        data = (ev / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    metrics = json.loads((ev / "metrics.json").read_text())["detector"]
    assert metrics["image"]["auc"] == pytest.approx(0.75)
    assert metrics["clusters"]["sensitivity_at_fp_per_image"]["0.1"] == 0.5
    assert metrics["calcifications"]["n_truth_min_size"] == 3
    assert metrics["targets_issue4"]["patient_accuracy"]["met"] is False
    froc = pd.read_csv(ev / "froc_clusters.csv")
    assert froc["sensitivity"].tolist() == [0, 0.5, 0.5, 0.5]
    calc = pd.read_csv(ev / "froc_calcifications.csv")
    assert list(calc.columns) == ["threshold", "n_fp", "fp_per_image", "fp_per_cm2", "sensitivity_all",
                                  "sensitivity_min_0.2mm"]  # fmt: skip
    d = pd.read_csv(ev / "breakdown_distractors.csv").set_index("kind")
    assert d.loc["vascular_track", "false_flag_rate"] == 1.0
    for name in ("calcifications_by_size", "calcifications_by_snr", "clusters_by_density", "clusters_by_preset",
                 "images_by_preset"):  # fmt: skip
        assert len(pd.read_csv(ev / f"breakdown_{name}.csv")) > 0
    assert not list(ev.glob(".*"))  # no temporary files left


def test_threshold_from_run_json_and_default_folder(tmp_path, tiny_truth, tiny_detections):
    out, truth_dir = _write_set(tmp_path, tiny_truth, tiny_detections, run_json={"config": {"image_threshold": 0.95}})
    assert main(["evaluate", str(out), "--truth", str(truth_dir)]) == 0
    metrics = json.loads((out / "evaluation" / "metrics.json").read_text())["detector"]
    assert metrics["operating_threshold"] == 0.95


def test_images_thresholds_take_precedence_over_run_json(tmp_path, tiny_truth, tiny_detections):
    images, calcs, clusters, patients = tiny_detections
    images = images.assign(threshold=[0.5, 0.8, 0.8, 0.8], flag=["positive", "negative", "negative", "negative"])
    out, truth_dir = _write_set(tmp_path, tiny_truth, (images, calcs, clusters, patients),
                                run_json={"config": {"image_threshold": 0.95}})
    assert main(["evaluate", str(out), "--truth", str(truth_dir)]) == 0
    metrics = json.loads((out / "evaluation" / "metrics.json").read_text())["detector"]
    assert metrics["operating_threshold"] == [0.5, 0.8]


def test_missing_inputs_give_a_clear_error(tmp_path, tiny_truth, tiny_detections, capsys):
    out, truth_dir = _write_set(tmp_path, tiny_truth, tiny_detections)
    assert main(["evaluate", str(out), "--truth", str(tmp_path / "nowhere")]) == 2
    assert "no *.truth.json" in capsys.readouterr().out
    (out / "clusters.csv").unlink()
    assert main(["evaluate", str(out), "--truth", str(truth_dir)]) == 2
    assert "clusters.csv not found" in capsys.readouterr().out


def test_a_carriage_return_in_a_uid_does_not_split_the_evaluation_rows(tmp_path, tiny_truth, tiny_detections):
    from calcdetect.csvtext import write_frame_csv

    odd = "1.2.3\r3"  # a damaged SOP Instance UID, as fuzzing found one in a scan's images.csv
    tiny_truth[2]["sop_instance_uid"] = odd
    images, *rest = tiny_detections
    images = images.assign(sop_instance_uid=images.sop_instance_uid.replace("1.2.3.3", odd))
    out, truth_dir = _write_set(tmp_path, tiny_truth, (images, *rest))
    write_frame_csv(images, out / "images.csv")  # as the scan writes it
    assert main(["evaluate", str(out), "--truth", str(truth_dir), "-o", str(tmp_path / "ev")]) == 0
    written = pd.read_csv(tmp_path / "ev" / "images.csv")
    assert len(written) == 4 and odd in written.sop_instance_uid.tolist()
