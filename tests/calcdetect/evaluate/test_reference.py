import numpy as np
import pytest
from skimage.draw import disk

from calcdetect.evaluation.reference import (
    ReferenceConfig,
    naive_pixel_scores,
    reference_candidates,
    reference_detect,
    reference_image_score,
)
from calcdetect.evaluation.reference import _tophat


def _image(spots, *, seed=0, size=240):
    rng = np.random.default_rng(seed)
    img = rng.normal(100.0, 1.0, (size, size)).astype(np.float32)
    img[:, :15] = 0.0  # air beside the breast
    for r, c in spots:
        img[disk((r, c), 2.5)] += 15.0
    return img


def test_opencv_tophat_equals_scikit_image():
    img = np.random.default_rng(3).random((64, 80)).astype(np.float32)
    assert np.array_equal(_tophat(img, 4, "opencv"), _tophat(img, 4, "skimage"))


def test_three_spots_are_a_cluster_at_the_right_place():
    res = reference_detect(_image([(120, 120), (135, 150), (110, 160)]), spacing_mm=(0.1, 0.1),
                           config=ReferenceConfig(image_threshold=0.1))  # fmt: skip
    assert res.flag and len(res.clusters) == 1
    cl = res.clusters[0]
    assert cl.n_calcifications == 3
    assert abs(cl.row_px - 121.7) < 1.5 and abs(cl.col_px - 143.3) < 1.5
    assert all(c.diameter_mm == pytest.approx(0.5, abs=0.25) for c in res.calcifications)


def test_single_spot_is_no_cluster_and_scores_like_noise():
    sp = (0.1, 0.1)
    one = reference_detect(_image([(120, 120)]), spacing_mm=sp, config=ReferenceConfig(image_threshold=0.1))
    assert not one.clusters and not one.flag
    calcs_pos, _ = reference_candidates(_image([(120, 120), (135, 150), (110, 160)], seed=1), spacing_mm=sp)
    calcs_neg, _ = reference_candidates(_image([(120, 120)], seed=1), spacing_mm=sp)
    assert reference_image_score(calcs_pos, spacing_mm=sp) > reference_image_score(calcs_neg, spacing_mm=sp)


def test_naive_pixel_score_counts_bright_pixels():
    img = np.zeros((10, 10), np.float32)
    img[0, :3] = 1.0  # 3 pixels at the top of the range
    img[1, :5] = 0.75
    assert naive_pixel_scores(img, thresholds=(0.5, 0.8)).tolist() == [8, 3]


def test_bad_engine_is_refused():
    with pytest.raises(ValueError, match="engine"):
        ReferenceConfig(engine="gpu")
