"""Prototype: clusters where k calcifications fit in a disc of radius R placed anywhere."""
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

def disc_labels(pts, radius, k):
    n = len(pts)
    tree = cKDTree(pts)
    pairs = tree.query_pairs(2 * radius, output_type="ndarray")
    edges = []
    core = np.zeros(n, bool)
    # discs centred on a point
    for i, nb in enumerate(tree.query_ball_point(pts, radius)):
        if len(nb) >= k:
            core[nb] = True; edges += [(i, j) for j in nb]
    if len(pairs):
        a, b = pts[pairs[:, 0]], pts[pairs[:, 1]]
        mid = (a + b) / 2; d = b - a; L = np.hypot(d[:, 0], d[:, 1])
        h = np.sqrt(np.maximum(radius**2 - (L / 2) ** 2, 0.0))
        perp = np.stack([-d[:, 1], d[:, 0]], 1) / np.maximum(L, 1e-12)[:, None]
        for centres in (mid + perp * h[:, None], mid - perp * h[:, None]):
            for nb in tree.query_ball_point(centres, radius * (1 + 1e-9)):
                if len(nb) >= k:
                    core[nb] = True; edges += [(nb[0], j) for j in nb]
    if not core.any():
        return np.full(n, -1)
    e = np.array(edges)
    # core points within the radius of each other are linked too (as DBSCAN does)
    cp = pairs[(np.hypot(*(pts[pairs[:, 0]] - pts[pairs[:, 1]]).T) <= radius)] if len(pairs) else np.zeros((0, 2), int)
    cp = cp[core[cp[:, 0]] & core[cp[:, 1]]]
    e = np.vstack([e, cp])
    g = coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    label = np.where(core, comp, -1)
    for i in np.flatnonzero(~core):
        d, j = tree.query(pts[i], k=min(n, 64), distance_upper_bound=radius)
        for dist, idx in zip(np.atleast_1d(d), np.atleast_1d(j)):
            if np.isfinite(dist) and idx < n and core[idx]:
                label[i] = label[idx]; break
    return label
