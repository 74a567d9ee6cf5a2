"""Clustering rules on hand-placed calcifications (no image needed)."""

from __future__ import annotations

import pytest

from calcdetect.detector.cluster import cluster_calcifications, cluster_radius_mm
from calcdetect.config import DetectorConfig
from calcdetect.results import Calcification

CFG = DetectorConfig(snr_threshold=5.0)


def _calcs(points_mm, p=0.5, spacing=0.1):
    return [Calcification(row_px=y / spacing, col_px=x / spacing, diameter_mm=0.3, contrast=1.0, snr=10.0,
                          probability=p) for y, x in points_mm]


def test_radius_is_that_of_a_one_cm2_disc():
    assert cluster_radius_mm(CFG) == pytest.approx(5.6419, abs=1e-3)


@pytest.mark.parametrize("n, expected", [(1, 0), (2, 0), (3, 1), (5, 1)])
def test_count_rule(n, expected):
    pts = [(10.0 + i, 10.0 + 0.5 * i) for i in range(n)]
    _, clusters = cluster_calcifications(_calcs(pts), spacing_mm=(0.1, 0.1), config=CFG)
    assert len(clusters) == expected


def test_configurable_count_and_area():
    pts = [(10.0, 10.0), (11.0, 10.0), (10.0, 11.0)]
    cfg5 = CFG.replace(cluster_min_count=5)
    assert cluster_calcifications(_calcs(pts), spacing_mm=(0.1, 0.1), config=cfg5)[1] == ()
    far = [(10.0, 10.0), (17.0, 10.0), (10.0, 17.0)]  # 7 mm apart: too far for 1 cm2
    assert cluster_calcifications(_calcs(far), spacing_mm=(0.1, 0.1), config=CFG)[1] == ()
    big = CFG.replace(cluster_area_mm2=400.0)  # radius 11.3 mm
    assert len(cluster_calcifications(_calcs(far), spacing_mm=(0.1, 0.1), config=big)[1]) == 1


def test_two_groups_are_two_clusters_sorted_by_score():
    a = [(10.0, 10.0), (11.0, 10.0), (10.0, 11.0)]
    b = [(40.0, 40.0), (41.0, 40.0), (40.0, 41.0), (41.0, 41.0)]
    calcs, clusters = cluster_calcifications(_calcs(a) + _calcs(b, p=0.9), spacing_mm=(0.1, 0.1), config=CFG)
    assert [c.n_calcifications for c in clusters] == [4, 3]
    assert [c.cluster_id for c in calcs] == [1, 1, 1, 0, 0, 0, 0]
    big = clusters[0]
    assert (big.row_px, big.col_px) == pytest.approx((405.0, 405.0))
    assert big.bbox_px == (400, 400, 410, 410)
    assert big.area_mm2 == pytest.approx(1.0)


def test_score_is_the_sum_of_the_k_most_probable_members():
    pts = [(10.0, 10.0), (11.0, 10.0), (10.0, 11.0), (11.0, 11.0)]
    calcs = [Calcification(row_px=y * 10, col_px=x * 10, diameter_mm=0.3, contrast=1.0, snr=10.0, probability=p)
             for (y, x), p in zip(pts, [0.9, 0.8, 0.1, 0.05])]
    cl = cluster_calcifications(calcs, spacing_mm=(0.1, 0.1), config=CFG)[1][0]
    assert cl.score == pytest.approx(1.8)  # two sure spots and a doubtful one: below three sure ones (3.0)
    cl4 = cluster_calcifications(calcs, spacing_mm=(0.1, 0.1), config=CFG.replace(cluster_min_count=4))[1][0]
    assert cl4.score == pytest.approx(1.85)
    snr_scored = cluster_calcifications(calcs, spacing_mm=(0.1, 0.1), config=CFG,
                                        member_scores=[5.0, 4.0, 3.0, 2.0])[1][0]
    assert snr_scored.score == pytest.approx(12.0)


def test_anisotropic_spacing_uses_mm():
    # 3 points 4 mm apart along columns at 0.05 mm col spacing = 80 px
    calcs = [Calcification(row_px=100.0, col_px=c, diameter_mm=0.3, contrast=1.0, snr=9.0, probability=0.5) for c in (100.0, 180.0, 260.0)]
    assert len(cluster_calcifications(calcs, spacing_mm=(0.1, 0.05), config=CFG)[1]) == 1
    assert cluster_calcifications(calcs, spacing_mm=(0.1, 0.1), config=CFG)[1] == ()  # 8 mm apart
