"""A tiny phantom set with hand-placed detections whose scores are worked out by hand.

Four images at 0.1 mm spacing, 100 cm² of breast each:

* A (patient P1, density b, preset p1): one true cluster of calcifications
  id0 (100,100) 0.3 mm, id1 (110,100) 0.3 mm, id2 (100,114) 0.15 mm; a
  single_speck distractor at [300,300,302,302].
* B (patient P1, density a, preset p2): no cluster; a vascular_track at [50,50,80,200].
* C (patient P2, density a, preset p1): no cluster, no distractor.
* D (patient P3, density c, preset p2): one true cluster, calcification id0
  (200,200) 0.4 mm; nothing detected there.

Detected calcifications (snr): A (101,100) 9 -> id0; (100,101) 8 -> duplicate
of id0; (100,114) 5 -> id2 (small); (301,301) 7 on the speck; (500,500) 4 in
the background.  B (60,100) 6 on the track.
Detected clusters (score): A (105,105) 0.9 -> true cluster; A (301,301) 0.6 on
the speck; B (60,100) 0.7 on the track.
Images: A 0.9 positive, B 0.7 positive, C 0.0 negative, D 0.5 negative
(operating threshold 0.6).  patients.csv: P1 positive, P2 negative, P3 negative.
"""

import pandas as pd
import pytest


def _truth(uid, patient, density, preset, calcs, clusters, distractors):
    return {
        "format": "calcdetect-phantom-truth/1",
        "seed": 1,
        "preset": preset,
        "sop_instance_uid": uid,
        "patient_id": patient,
        "view": "CC",
        "laterality": "L",
        "rows": 600,
        "cols": 600,
        "spacing_mm": [0.1, 0.1],
        "density": density,
        "breast_area_mm2": 10000.0,
        "has_cluster": bool(clusters),
        "calcifications": calcs,
        "clusters": clusters,
        "distractors": distractors,
    }


def _calc(i, r, c, d, snr):
    return {"id": i, "row": r, "col": c, "x_mm": c / 10, "y_mm": r / 10, "diameter_mm": d,
            "contrast": 10.0 * snr, "snr": snr, "shape": "punctate", "cluster_id": 0}  # fmt: skip


@pytest.fixture
def tiny_truth():
    a = _truth(
        "1.2.3.1", "P1", "b", "p1",
        [_calc(0, 100, 100, 0.3, 6.0), _calc(1, 110, 100, 0.3, 2.5), _calc(2, 100, 114, 0.15, 4.0)],
        [{"cluster_id": 0, "row": 103, "col": 105, "n_calcifications": 3, "member_ids": [0, 1, 2],
          "morphology": "punctate", "hull_rc": [[100, 100], [110, 100], [100, 114]]}],
        [{"kind": "single_speck", "row": 301, "col": 301, "bbox": [300, 300, 302, 302]}],
    )  # fmt: skip
    b = _truth("1.2.3.2", "P1", "a", "p2", [], [],
               [{"kind": "vascular_track", "row": 65, "col": 125, "bbox": [50, 50, 80, 200]}])  # fmt: skip
    c = _truth("1.2.3.3", "P2", "a", "p1", [], [], [])
    d = _truth(
        "1.2.3.4", "P3", "c", "p2",
        [_calc(0, 200, 200, 0.4, 1.5)],
        [{"cluster_id": 0, "row": 200, "col": 200, "n_calcifications": 1, "member_ids": [0],
          "morphology": "amorphous", "hull_rc": [[199, 199], [199, 201], [201, 200]]}],
        [],
    )  # fmt: skip
    return [a, b, c, d]


@pytest.fixture
def tiny_detections():
    images = pd.DataFrame(
        {
            "path": ["a.dcm", "b.dcm", "c.dcm", "d.dcm"],
            "sop_instance_uid": ["1.2.3.1", "1.2.3.2", "1.2.3.3", "1.2.3.4"],
            "patient_key": ["P1", "P1", "P2", "P3"],
            "laterality": "L",
            "view": "CC",
            "rows": 600,
            "cols": 600,
            "spacing_mm": 0.1,
            "spacing_col_mm": 0.1,
            "n_calcifications": [5, 1, 0, 0],
            "n_clusters": [2, 1, 0, 0],
            "score": [0.9, 0.7, 0.0, 0.5],
            "flag": ["positive", "positive", "negative", "negative"],
        }
    )
    calcs = pd.DataFrame(
        {
            "sop_instance_uid": ["1.2.3.1"] * 5 + ["1.2.3.2"],
            "calcification_id": [0, 1, 2, 3, 4, 0],
            "row": [101, 100, 100, 301, 500, 60],
            "col": [100, 101, 114, 301, 500, 100],
            "diameter_mm": 0.3,
            "contrast": [90, 80, 50, 70, 40, 60],
            "snr": [9.0, 8.0, 5.0, 7.0, 4.0, 6.0],
            "cluster_id": [0, 0, 0, 1, -1, 0],
        }
    )
    calcs["x_mm"] = calcs["col"] / 10
    calcs["y_mm"] = calcs["row"] / 10
    clusters = pd.DataFrame(
        {
            "sop_instance_uid": ["1.2.3.1", "1.2.3.1", "1.2.3.2"],
            "cluster_id": [0, 1, 0],
            "n_calcifications": [3, 3, 3],
            "row": [105, 301, 60],
            "col": [105, 301, 100],
            "row_min": [100, 300, 55],
            "col_min": [100, 300, 90],
            "row_max": [110, 302, 65],
            "col_max": [114, 302, 110],
            "area_mm2": [1.0, 0.1, 2.0],
            "score": [0.9, 0.6, 0.7],
        }
    )
    patients = pd.DataFrame(
        {
            "patient_key": ["P1", "P2", "P3"],
            "n_images": [2, 1, 1],
            "n_positive_images": [2, 0, 0],
            "n_clusters": [3, 0, 0],
            "max_score": [0.9, 0.0, 0.5],
            "flag": ["positive", "negative", "negative"],
        }
    )
    return images, calcs, clusters, patients
