"""Consensus of several seeded UMAP + HDBSCAN fits (evidence accumulation).

One UMAP + HDBSCAN fit depends on its seed: on SIB-200 the mean pairwise ARI
of five seeds' themes is 0.67. Here ``n_runs`` fits, each seeded from the
run's seed, share the same exact nearest-neighbour graph and the same
deterministic start (:mod:`.numerics`); passages are grouped by average
linkage on the share of fits that separate them, cut where they are together
in at least ``min_share`` of the fits on average (Fred & Jain 2005,
"Combining multiple clusterings using evidence accumulation"). A group
smaller than the minimum theme size is left as outliers. The fits are
independent and run in parallel processes; each is seeded and single-threaded,
so the result does not depend on how many run at once.

Each consensus theme carries its stability: the share of the fits in which
a cluster reappears with a Jaccard overlap of at least 0.5 of its passages
(Hennig 2007). Each fit's clusters are mapped to the consensus theme they
overlap most (Jaccard >= 0.5), so that shares can be recomputed per fit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .numerics import grid_to_float, nearest, portable_numba, principal_start, umap_curve

__all__ = ["ConsensusFit", "JACCARD_MATCH", "MAX_LINKAGE", "fit_consensus", "match_runs", "run_seeds"]

log = logging.getLogger(__name__)

#: Jaccard overlap from which a fit's cluster is the same theme.
JACCARD_MATCH = 0.5


@dataclass
class ConsensusFit:
    """The consensus of several fits on the same passages.

    Attributes
    ----------
    neighbours : ndarray of int, shape (n, k)
        Each passage's nearest passages (itself excluded), most similar first.
    similarities : ndarray of float, shape (n, k)
        Their exact similarities.
    labels : ndarray of int, shape (n,)
        Consensus theme of each passage, numbered by size (largest 0); -1 none.
    runs : ndarray of int, shape (n_runs, n)
        Each fit's HDBSCAN clusters (-1 outliers).
    run_themes : ndarray of int, shape (n_runs, n)
        Each fit's clusters mapped to consensus themes (-1: outlier, or a
        cluster that matches no theme).
    stability : ndarray of float, shape (n_themes,)
        Share of fits in which each theme reappears.
    """

    labels: np.ndarray
    runs: np.ndarray
    run_themes: np.ndarray
    stability: np.ndarray
    neighbours: np.ndarray
    similarities: np.ndarray


def run_seeds(random_state: int, n_runs: int) -> list[int]:
    """The seeds of the fits, derived from the run's seed."""
    rng = np.random.default_rng(random_state)
    return [int(s) for s in rng.integers(0, 2**31 - 1, size=n_runs)]


def _umap_layout(X: np.ndarray, knn: tuple[np.ndarray, np.ndarray], start: np.ndarray, *, seed: int,
                 n_neighbors: int, n_components: int, min_dist: float) -> np.ndarray:
    portable_numba()
    import warnings

    from umap import UMAP

    a, b = umap_curve(min_dist)
    # UMAP marks neighbours at distance >= 1 (cosine) by writing -1 into the
    # index array it is given: give it its own copy, never the shared (and,
    # in a joblib worker, read-only memory-mapped) graph.
    knn = (np.array(knn[0], dtype=np.int64, copy=True), np.array(knn[1], dtype=np.float32, copy=True))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*knn_search_index.*")
        warnings.filterwarnings("ignore", message=".*n_jobs value.*")
        return UMAP(
            n_neighbors=n_neighbors, n_components=n_components, min_dist=min_dist, a=a, b=b, metric="cosine",
            init=start, random_state=seed, n_jobs=1, precomputed_knn=(knn[0], knn[1], None),
        ).fit_transform(X)


def _hdbscan(Y: np.ndarray, *, min_cluster_size: int, min_samples: int, max_cluster_size: int) -> np.ndarray:
    """HDBSCAN's clusters (euclidean, excess of mass) of the layout ``Y``, -1 for outliers.

    hdbscan's own estimator sorts the minimum spanning tree's edges with
    NumPy's default sort, which orders equal weights differently in its
    AVX-512, AVX2 and SSE loops; mutual reachability makes equal weights
    common (every edge of a point to a closer neighbour weighs its core
    distance), and another order of them builds another hierarchy. This is the
    same algorithm (hdbscan's Prim tree on its k-d tree core distances, its
    condensed tree and cluster selection) with the edges sorted stably.
    """
    from hdbscan._hdbscan_linkage import label, mst_linkage_core_vector
    from hdbscan.dist_metrics import DistanceMetric
    from hdbscan.hdbscan_ import _tree_to_labels
    from sklearn.neighbors import KDTree

    X = np.ascontiguousarray(Y, dtype=np.float64)
    tree = KDTree(X, metric="euclidean", leaf_size=40)
    core = tree.query(X, k=min_samples + 1, dualtree=True, breadth_first=True)[0][:, -1].copy(order="C")
    edges = mst_linkage_core_vector(X, core, DistanceMetric.get_metric("euclidean"), 1.0)
    edges = edges[np.argsort(edges[:, 2], kind="stable")]
    labels = _tree_to_labels(
        X, label(edges), min_cluster_size=min_cluster_size, cluster_selection_method="eom",
        allow_single_cluster=False, max_cluster_size=max_cluster_size,
    )[0]
    return np.asarray(labels, dtype=np.int64)


#: Most passages whose co-association is clustered; the others join the themes by their fits' votes.
MAX_LINKAGE = 6000


def _coassociation_linkage(runs: np.ndarray, min_size: int, min_share: float = 0.5) -> np.ndarray:
    """Average linkage on the share of fits that separate two passages, cut at ``1 - min_share``.

    Memory: one byte per pair for the counts and eight per pair for SciPy's
    condensed distances (no index arrays).
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    n_runs, n = runs.shape
    together = np.zeros((n, n), dtype=np.uint8 if n_runs < 256 else np.uint16)
    for labels in runs:
        for c in np.unique(labels[labels >= 0]):
            members = np.flatnonzero(labels == c)
            together[np.ix_(members, members)] += 1
    condensed = np.empty(n * (n - 1) // 2, dtype=np.float64)
    start = 0
    for i in range(n - 1):
        row = together[i, i + 1:]
        np.subtract(1.0, row / float(n_runs), out=condensed[start:start + row.size])
        start += row.size
    del together
    groups = fcluster(linkage(condensed, method="average"), t=1.0 - min_share, criterion="distance") - 1
    return _number_by_size(groups, min_size)


def _consensus_labels(runs: np.ndarray, min_size: int, min_share: float, random_state: int) -> np.ndarray:
    """Consensus themes of all passages; linkage on at most :data:`MAX_LINKAGE` of them.

    Beyond that many passages, the linkage runs on a seeded sample (minimum
    size scaled to it); each fit's clusters then take the consensus theme of
    most of their sampled members (where that is at least half of them), and
    every other passage joins the theme most fits give it, when at least
    ``min_share`` of the fits do.
    """
    n_runs, n = runs.shape
    if n <= MAX_LINKAGE:
        return _coassociation_linkage(runs, min_size, min_share)
    core = np.sort(np.random.default_rng(random_state).choice(n, size=MAX_LINKAGE, replace=False))
    core_min = max(2, int(np.ceil(min_size * MAX_LINKAGE / n)))
    core_labels = _coassociation_linkage(runs[:, core], core_min, min_share)
    n_core_themes = int(core_labels.max()) + 1 if (core_labels >= 0).any() else 0
    votes = np.zeros((n, n_core_themes + 1), dtype=np.int32)  # last column: no theme
    for run in runs:
        mapped = np.full(n, n_core_themes, dtype=np.int64)
        for c in np.unique(run[run >= 0]):
            members = run == c
            inside = core_labels[members[core]]
            inside = inside[inside >= 0]
            if inside.size:
                counts = np.bincount(inside, minlength=n_core_themes)
                best = int(np.argmax(counts))  # ties: the lower theme
                if counts[best] * 2 >= int(members[core].sum()):
                    mapped[members] = best
        votes[np.arange(n), mapped] += 1
    theme_votes = votes[:, :n_core_themes]
    best = np.argmax(theme_votes, axis=1) if n_core_themes else np.zeros(n, dtype=np.int64)
    enough = (theme_votes[np.arange(n), best] >= min_share * n_runs) if n_core_themes else np.zeros(n, bool)
    labels = np.where(enough, best, -1)
    labels[core] = core_labels
    return _number_by_size(labels, min_size)


def _number_by_size(groups: np.ndarray, min_size: int) -> np.ndarray:
    """Groups of at least ``min_size`` numbered by size (then by first member); the rest -1."""
    ids, first, counts = np.unique(groups, return_index=True, return_counts=True)
    keep = [(int(c), int(f), int(g)) for g, f, c in zip(ids, first, counts) if g >= 0 and c >= min_size]
    keep.sort(key=lambda t: (-t[0], t[1]))
    number = {g: i for i, (_, _, g) in enumerate(keep)}
    return np.array([number.get(int(g), -1) for g in groups], dtype=np.int64)


def match_runs(runs: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map each fit's clusters to consensus themes; the stability of each theme.

    Returns
    -------
    run_themes : ndarray of int, shape (n_runs, n)
    stability : ndarray of float, shape (n_themes,)
    """
    n_themes = int(labels.max()) + 1 if (labels >= 0).any() else 0
    themes = [labels == t for t in range(n_themes)]
    found = np.zeros(n_themes)
    run_themes = np.full(runs.shape, -1, dtype=np.int64)
    for k, run in enumerate(runs):
        for c in np.unique(run[run >= 0]):
            members = run == c
            overlaps = [np.sum(members & t) / np.sum(members | t) for t in themes]
            if overlaps and max(overlaps) >= JACCARD_MATCH:
                best = int(np.argmax(overlaps))
                run_themes[k, members] = best
        for t, theme in enumerate(themes):
            best = max((np.sum((run == c) & theme) / np.sum((run == c) | theme) for c in np.unique(run[run >= 0])),
                       default=0.0)
            found[t] += best >= JACCARD_MATCH
    return run_themes, found / max(len(runs), 1)


def _one_fit(X, knn, start, seed, umap_args, hdbscan_args) -> np.ndarray:
    """One seeded UMAP layout and its HDBSCAN clusters (picklable, for worker processes)."""
    Y = _umap_layout(X, knn, start, seed=seed, **umap_args)
    return _hdbscan(Y, **hdbscan_args)


#: Below this many passages the fits run in this process (a worker's start-up would cost more).
_PARALLEL_FROM = 1500


def _run_fits(X, knn, start, seeds, umap_args, hdbscan_args, *, n_jobs: int, progress) -> list[np.ndarray]:
    """The fits, in the order of ``seeds``; in joblib worker processes when there are several jobs."""
    if n_jobs <= 1 or len(seeds) <= 1 or X.shape[0] < _PARALLEL_FROM:
        results = (_one_fit(X, knn, start, seed, umap_args, hdbscan_args) for seed in seeds)
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=min(n_jobs, len(seeds)), backend="loky", return_as="generator")(
            delayed(_one_fit)(X, knn, start, seed, umap_args, hdbscan_args) for seed in seeds)
    out = []
    for labels in results:
        out.append(labels)
        if progress is not None:
            progress(len(out))
    return out


def fit_consensus(
    Q: np.ndarray,
    *,
    n_runs: int,
    random_state: int,
    n_neighbors: int,
    n_components: int,
    min_dist: float,
    min_cluster_size: int,
    min_samples: int,
    max_cluster_size: int,
    min_share: float = 0.5,
    n_jobs: int = 1,
    progress=None,
) -> ConsensusFit:
    """Fit ``n_runs`` seeded UMAP + HDBSCAN models on grid vectors and form their consensus.

    Parameters
    ----------
    Q : ndarray of shape (n, dim)
        Grid vectors (:func:`~coopthemes.themes.numerics.canonical`).
    n_runs, random_state : int
        Number of fits; the run's seed, from which theirs are derived.
    n_neighbors, n_components, min_dist : UMAP settings.
    min_cluster_size, min_samples, max_cluster_size : HDBSCAN settings.
    min_share : float
        Passages are grouped where they are together in at least this share
        of the fits (average linkage on the co-association).
    n_jobs : int
        Fits run at once in worker processes (the result does not depend on it).
    progress : callable, optional
        Called with the number of finished fits.
    """
    n = Q.shape[0]
    k = max(2, min(n_neighbors, n - 1))
    idx, sim = nearest(Q, Q, k - 1, exclude_self=True)
    knn_idx = np.hstack([np.arange(n)[:, None], idx])
    knn_dist = np.hstack([np.zeros((n, 1)), np.maximum(0.0, 1.0 - sim)]).astype(np.float32)
    components = min(n_components, max(2, n - 2))
    start = principal_start(Q, components)
    X = grid_to_float(Q)
    umap_args = {"n_neighbors": k, "n_components": components, "min_dist": min_dist}
    hdbscan_args = {"min_cluster_size": min_cluster_size, "min_samples": min_samples,
                    "max_cluster_size": max_cluster_size}
    runs = _run_fits(X, (knn_idx, knn_dist), start, run_seeds(random_state, n_runs), umap_args, hdbscan_args,
                     n_jobs=n_jobs, progress=progress)
    runs = np.asarray(runs, dtype=np.int64)
    labels = _consensus_labels(runs, min_cluster_size, min_share, random_state) if n_runs > 1 else _number_by_size(
        runs[0], min_cluster_size)
    run_themes, stability = match_runs(runs, labels)
    return ConsensusFit(labels=labels, runs=runs, run_themes=run_themes, stability=stability, neighbours=idx,
                        similarities=sim)
