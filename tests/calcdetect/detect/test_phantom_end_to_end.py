"""End to end on phantoms: DICOM file -> read_mammogram -> detect.

Checks properties that do not depend on how hard a particular lesion is:
the breast area agrees with the generator's, nothing is reported outside the
breast or on burned-in markers, the run is deterministic, and every stage is
timed.  (Detection rates are measured on fresh phantom sets by
``scripts/measure_detection.py``, not asserted on a hand-picked seed.)
"""

from __future__ import annotations

import numpy as np
import pytest

phantom = pytest.importorskip("calcdetect.phantom")
io = pytest.importorskip("calcdetect.io")

from calcdetect.config import DetectorConfig  # noqa: E402
from calcdetect.detector.pipeline import detect_mammogram  # noqa: E402


def _run(tmp_path, *, seed, preset, view):
    ph = phantom.make_phantom(seed=seed, preset=preset, view=view, laterality="R", with_cluster=True)
    phantom.write_phantom(ph, tmp_path, "p")
    mammo = io.read_mammogram(tmp_path / "p.dcm")
    return ph.truth, mammo, detect_mammogram(mammo, config=DetectorConfig.default())


def _check(truth, mammo, result):
    assert result.breast_area_mm2 == pytest.approx(truth["breast_area_mm2"], rel=0.12)
    # nothing on burned-in labels (in the air beside the breast) or on a
    # nipple marker ball (a coarse bright disc)
    for d in truth["distractors"]:
        if d["kind"] == "marker" and d.get("subkind") in {"burned_in_label", "nipple_ball"}:
            r0, c0, r1, c1 = d["bbox"]
            assert not any(r0 <= c.row_px <= r1 and c0 <= c.col_px <= c1 for c in result.calcifications)
    # nothing in the air: every calcification sits on brighter-than-background pixels
    air = float(np.percentile(mammo.pixels, 1))
    assert all(mammo.pixels[int(c.row_px), int(c.col_px)] > air for c in result.calcifications)
    assert result.flag == (bool(result.clusters) and result.score >= DetectorConfig.default().image_threshold)
    assert {"mask", "noise", "scales", "candidates", "tophat", "features", "classify", "cluster"} <= set(result.timings_s)


def test_small_mlo_phantom_end_to_end(tmp_path):
    truth, mammo, result = _run(tmp_path, seed=424201, preset="small", view="MLO")
    _check(truth, mammo, result)
    again = detect_mammogram(mammo, config=DetectorConfig.default())
    assert again == result


@pytest.mark.slow
def test_full_size_phantom_end_to_end(tmp_path):
    truth, mammo, result = _run(tmp_path, seed=424202, preset="hologic-like", view="CC")
    assert mammo.pixels.shape == (4096, 3328)
    _check(truth, mammo, result)
