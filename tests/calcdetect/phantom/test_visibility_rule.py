"""The visibility classes, checked by simulating the observer they are derived for.

Derivation (docs/phantom-truth.md): a full-field image has ~10⁵–10⁶
independent positions; an ideal observer thresholds each (unit-variance noise)
at t σ and calls a cluster where at least three exceedances lie within a disc
of 1 cm² (radius 5.64 mm) — the rule of the detector (DBSCAN core points).  At
~10⁶ positions, t ≈ 4.1 gives ~0.1 false clusters per image; a three-member
cluster whose members all have d′ = 6 is then found ≥ 90 % of the time, at
d′ = 5 about half the time, at d′ = 4 rarely.  Hence visible: ≥ 3 members
with d′ ≥ 6; subtle: third-strongest 4 ≤ d′ < 6; occult: below.

Here the observer is simulated, independently of the generator: Gaussian
noise, a threshold, and the cluster rule written with scipy's k-d tree.
Exceedances of N independent positions are Bernoulli(Q(t)) each, so an image
is drawn as Binomial(N, Q(t)) uniformly placed exceedances (the first test
checks that against real Gaussian pixels).
"""

import math

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.stats import norm

from calcdetect.phantom.visibility import classify_cluster

RADIUS_MM = math.sqrt(100.0 / math.pi)  # disc of 1 cm²
SIDE_MM = math.sqrt(150.0 * 100.0)  # 150 cm² of breast
POSITIONS = 10**6
THRESHOLD = 4.1


def clusters_of(points: np.ndarray) -> list[np.ndarray]:
    """Groups of core points (>= 3 points within RADIUS_MM, itself included), joined when closer than it."""
    if len(points) < 3:
        return []
    tree = cKDTree(points)
    core = np.array([len(n) >= 3 for n in tree.query_ball_point(points, RADIUS_MM)])
    if not core.any():
        return []
    pairs = tree.query_pairs(RADIUS_MM, output_type="ndarray").reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(points),) * 2)
    _, label = connected_components(graph, directed=False)
    groups = []
    for lab in set(label[core]):
        members = np.flatnonzero(label == lab)
        groups.append(members)
    return groups


def noise_exceedances(rng, n_positions=POSITIONS, t=THRESHOLD):
    k = rng.binomial(n_positions, norm.sf(t))
    return rng.uniform(0, SIDE_MM, (k, 2))


def test_exceedances_of_gaussian_pixels_match_the_binomial_shortcut():
    rng = np.random.default_rng(7)
    counts = [(rng.standard_normal(POSITIONS, dtype=np.float32) > THRESHOLD).sum() for _ in range(4)]
    expected = POSITIONS * norm.sf(THRESHOLD)  # 20.7 per image
    assert abs(np.mean(counts) - expected) < 4 * math.sqrt(expected / 4)


def test_false_clusters_per_image_near_one_tenth_at_4_1_sigma():
    rng = np.random.default_rng(11)
    n_images = 1500
    false = sum(len(clusters_of(noise_exceedances(rng))) for _ in range(n_images)) / n_images
    assert 0.05 <= false <= 0.2
    # the threshold matters steeply: 0.3 sigma lower gives many more
    lower = sum(len(clusters_of(noise_exceedances(rng, t=3.8))) for _ in range(300)) / 300
    assert lower > 1.0


def detection_rate(d_prime: float, rng, trials: int) -> float:
    """Fraction of three-member clusters (members within 2 mm, all at ``d_prime``) the observer finds."""
    found = 0
    for _ in range(trials):
        centre = rng.uniform(20, SIDE_MM - 20, 2)
        members = centre + rng.uniform(-2, 2, (3, 2))
        seen = members[d_prime + rng.standard_normal(3) > THRESHOLD]
        pts = np.vstack([seen, noise_exceedances(rng)])
        groups = clusters_of(pts)
        found += any((g < len(seen)).any() for g in groups)
    return found / trials


@pytest.mark.parametrize(("d_prime", "lo", "hi"), [(6.0, 0.90, 1.0), (5.0, 0.35, 0.7), (4.0, 0.0, 0.2)])
def test_detection_rate_of_inserted_clusters(d_prime, lo, hi):
    # Q(4.1 - d')^3 by hand: d' 6 -> 0.971^3 = 0.916; 5 -> 0.816^3 = 0.54; 4 -> 0.46^3 = 0.10
    rate = detection_rate(d_prime, np.random.default_rng(int(d_prime * 10)), 1500)
    assert lo <= rate <= hi


def test_classes_follow_the_third_strongest_member():
    assert classify_cluster([20.0, 6.0, 6.0]) == "visible"
    assert classify_cluster([20.0, 20.0, 5.99, 30.0]) == "visible"  # three members >= 6 among four
    assert classify_cluster([20.0, 20.0, 5.99]) == "subtle"
    assert classify_cluster([6.0, 6.0, 4.0]) == "subtle"
    assert classify_cluster([50.0, 50.0, 3.99]) == "occult"
    assert classify_cluster([50.0, 50.0]) == "occult"  # two calcifications are not a cluster
