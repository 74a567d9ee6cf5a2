import numpy as np
import pytest

from calcdetect.evaluation.match import (
    box_overlaps_polygon,
    distance_to_polygon_mm,
    match_calcifications,
    match_clusters,
)

SP = (0.1, 0.1)


@pytest.mark.parametrize(
    ("offset_px", "diameter_mm", "matched"),
    [
        (4.9, 0.3, True),  # 0.49 mm < 0.5 mm floor
        (5.1, 0.3, False),  # 0.51 mm: outside the 0.5 mm floor
        (5.9, 1.2, True),  # large calcification: its 0.6 mm radius applies
        (6.1, 1.2, False),
    ],
)
def test_calcification_radius_rule(offset_px, diameter_mm, matched):
    m = match_calcifications([[100 + offset_px, 100]], [1.0], [[100, 100]], [diameter_mm], spacing_mm=SP)
    assert m.is_tp.tolist() == [matched]


def test_calcification_distance_uses_anisotropic_spacing():
    # 4 px along columns at 0.15 mm = 0.6 mm (miss); along rows at 0.1 mm = 0.4 mm (hit)
    m = match_calcifications([[100, 104], [104, 100]], [2.0, 1.0], [[100, 100], [100, 100]], [0.2, 0.2],
                             spacing_mm=(0.1, 0.15))  # fmt: skip
    assert m.truth_index.tolist() == [-1, 0]


def test_one_match_per_truth_strongest_first_and_duplicates_flagged():
    det = [[100, 101], [100, 100], [140, 140]]
    m = match_calcifications(det, [0.5, 0.9, 0.7], [[100, 100]], [0.3], spacing_mm=SP)
    assert m.truth_index.tolist() == [-1, 0, -1]
    assert m.duplicate.tolist() == [True, False, False]


def test_nearest_free_truth_is_taken():
    # one detection between two truths: nearest wins; the second detection gets the other
    m = match_calcifications([[100, 102], [100, 103]], [1.0, 0.5], [[100, 100], [100, 104]], [0.3, 0.3],
                             spacing_mm=SP)  # fmt: skip
    assert m.truth_index.tolist() == [0, 1]


HULL = np.array([[100, 100], [100, 200], [200, 150]], dtype=float)  # triangle in px


def test_distance_to_polygon_inside_edge_and_outside():
    assert distance_to_polygon_mm([120, 150], HULL, spacing_mm=SP) == 0.0
    assert distance_to_polygon_mm([90, 150], HULL, spacing_mm=SP) == pytest.approx(1.0)
    assert distance_to_polygon_mm([75, 150], HULL, spacing_mm=SP) == pytest.approx(2.5)
    # vertices in any order, repeated points and degenerate hulls
    assert distance_to_polygon_mm([120, 150], HULL[::-1], spacing_mm=SP) == 0.0
    assert distance_to_polygon_mm([0, 3], [[0, 0]], spacing_mm=SP) == pytest.approx(0.3)
    assert distance_to_polygon_mm([5, 5], [[0, 0], [0, 10]], spacing_mm=SP) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("centre", "bbox", "matched"),
    [
        ((150, 150), (145, 145, 155, 155), True),  # inside the hull
        ((76, 150), (70, 145, 80, 155), True),  # 2.4 mm above the top edge, bbox short of it
        ((74, 150), (70, 145, 80, 155), False),  # 2.6 mm away, bbox does not reach
        ((74, 150), (70, 145, 99.6, 155), True),  # 2.6 mm away, but bbox reaches the hull
        ((150, 260), (140, 250, 160, 270), False),  # far right
    ],
)
def test_cluster_rule_hull_grown_by_margin_or_bbox_overlap(centre, bbox, matched):
    m = match_clusters([centre], [bbox], [1.0], [HULL], spacing_mm=SP, margin_mm=2.5)
    assert m.is_tp.tolist() == [matched]


def test_box_overlap_uses_pixel_extent():
    # box row_max 99 covers up to 99.5, hull starts at row 100
    assert not box_overlaps_polygon((90, 140, 99, 160), HULL)
    assert box_overlaps_polygon((90, 140, 99.5, 160), HULL)
    # box beside the slanted edge but not touching it (separating axis is the edge normal)
    assert not box_overlaps_polygon((180, 100, 190, 120), HULL)


def test_one_cluster_match_per_truth():
    m = match_clusters([[150, 150], [151, 151]], [[140, 140, 160, 160]] * 2, [0.2, 0.8], [HULL], spacing_mm=SP)
    assert m.truth_index.tolist() == [-1, 0]
    assert m.duplicate.tolist() == [True, False]


def test_a_breast_wide_box_does_not_match_by_overlap():
    huge = [[0, 0, 600, 600]]  # 60 mm box whose centre is far from the hull
    assert not match_clusters([[400, 400]], huge, [1.0], [HULL], spacing_mm=SP).is_tp.any()
    assert match_clusters([[400, 400]], huge, [1.0], [HULL], spacing_mm=SP, max_overlap_extent_mm=None).is_tp.all()


def test_vectorised_eligibility_agrees_with_the_scalar_rules():
    from calcdetect.evaluation.match import cluster_eligibility

    rng = np.random.default_rng(5)
    centres = rng.uniform(50, 250, (200, 2))
    half = rng.uniform(0, 40, (200, 2))
    boxes = np.c_[centres - half, centres + half]
    hulls = [HULL, np.array([[150.0, 150.0]]), np.array([[60.0, 60.0], [60.0, 90.0]])]
    sp = (0.1, 0.12)
    eligible, dist = cluster_eligibility(centres, boxes, hulls, spacing_mm=sp, max_overlap_extent_mm=None)
    for j, hull in enumerate(hulls):
        for i in range(0, 200, 7):
            d = distance_to_polygon_mm(centres[i], hull, spacing_mm=sp)
            assert dist[i, j] == pytest.approx(d, abs=1e-9)
            assert eligible[i, j] == (d <= 2.5 or box_overlaps_polygon(boxes[i], hull))
