"""The numbers behind the theme model's decisions are exact: no BLAS kernel, SIMD unit or thread count
can change them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from coopthemes.themes.consensus import match_runs, run_seeds
from coopthemes.themes.numerics import (
    GRID_BITS,
    canonical,
    exact_dot,
    float_to_grid,
    grid_to_float,
    nearest,
    principal_start,
)
from conftest import ROOT, numpy_without


def _vectors(n=300, dim=384, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, dim)).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def test_grid_vectors_are_integers_of_unit_length():
    Q = canonical(_vectors())
    assert np.array_equal(Q, np.rint(Q)) and np.abs(Q).max() <= 2**GRID_BITS
    np.testing.assert_allclose(np.linalg.norm(Q, axis=1) / 2**GRID_BITS, 1.0, atol=1e-3)
    assert np.array_equal(float_to_grid(grid_to_float(Q)), Q)
    assert not canonical(np.zeros((1, 5))).any()


def test_exact_dot_equals_the_integer_product_bit_for_bit():
    Q = canonical(_vectors(200))
    reference = (Q.astype(np.int64) @ Q.astype(np.int64).T).astype(np.float64) / 2.0**(2 * GRID_BITS)
    assert np.array_equal(exact_dot(Q, Q), reference)
    # any order of summation gives the same bits: sum the products column by column
    by_column = np.zeros((50, 50))
    for j in range(Q.shape[1]):
        by_column += np.outer(Q[:50, j], Q[:50, j])
    assert np.array_equal(by_column / 2.0**(2 * GRID_BITS), exact_dot(Q[:50], Q[:50]))


def test_nearest_breaks_ties_by_index():
    base = canonical(_vectors(5, 16, seed=1))
    B = np.vstack([base[2], base[0], base[2], base[1], base[2]])  # rows 0, 2 and 4 are the same vector
    idx, sim = nearest(base[2:3], B, 3)
    assert idx.tolist() == [[0, 2, 4]] and np.all(sim == sim[0, 0])
    idx, _ = nearest(B, B, 2, exclude_self=True)
    assert idx[0].tolist() == [2, 4] and idx[2].tolist() == [0, 4]


def test_principal_start_is_deterministic_and_spans_the_main_directions():
    X = _vectors(400, 64)
    X[:, 0] += 3.0 * np.sign(np.arange(400) % 2 - 0.5)  # one strong direction
    Q = canonical(X)
    a, b = principal_start(Q, 3), principal_start(Q.copy(), 3)
    assert np.array_equal(a, b) and a.shape == (400, 3) and a.dtype == np.float32
    assert abs(np.corrcoef(a[:, 0], X[:, 0])[0, 1]) > 0.95


def test_run_seeds_and_matching():
    assert run_seeds(0, 3) == run_seeds(0, 3) and run_seeds(0, 3) != run_seeds(1, 3)
    labels = np.array([0, 0, 0, 0, 1, 1, 1, -1])
    runs = np.array([[5, 5, 5, 5, 2, 2, 2, -1],      # both themes found
                     [1, 1, 1, 1, 1, 1, 1, 1],       # one blob: theme 0 overlaps 4/8
                     [3, 3, -1, -1, 4, 4, 4, 4]])    # theme 0 overlaps 2/4, theme 1 3/4
    run_themes, stability = match_runs(runs, labels)
    assert stability.tolist() == pytest.approx([1.0, 2 / 3])
    assert run_themes[0].tolist() == [0, 0, 0, 0, 1, 1, 1, -1]
    assert run_themes[1].tolist() == [0] * 8
    assert run_themes[2].tolist() == [0, 0, -1, -1, 1, 1, 1, 1]




def test_umap_layout_leaves_a_read_only_graph_with_disconnected_passages_alone():
    """UMAP writes -1 into the index array for neighbours at distance >= 1; a joblib worker's graph is read-only.

    Past about a megabyte (some 8,000 passages) joblib hands the fits the shared graph as a read-only
    memory map, and a passage whose neighbours are all at cosine distance >= 1 made every fit fail.
    """
    from coopthemes.themes.consensus import _umap_layout
    from coopthemes.themes.numerics import canonical, grid_to_float, nearest, principal_start

    rng = np.random.default_rng(3)
    Q = canonical(rng.normal(size=(60, 8)).astype(np.float32))
    idx, sim = nearest(Q, Q, 7, exclude_self=True)
    knn_idx = np.hstack([np.arange(60)[:, None], idx])
    knn_dist = np.hstack([np.zeros((60, 1)), np.maximum(0.0, 1.0 - sim)]).astype(np.float32)
    knn_dist[0, 1:] = 1.0  # passage 0 is disconnected
    before = knn_idx.copy(), knn_dist.copy()
    for a in (knn_idx, knn_dist):
        a.flags.writeable = False
    Y = _umap_layout(grid_to_float(Q), (knn_idx, knn_dist), principal_start(Q, 2), seed=0, n_neighbors=8,
                     n_components=2, min_dist=0.0)
    assert Y.shape == (60, 2)
    assert np.array_equal(knn_idx, before[0]) and np.array_equal(knn_dist, before[1])


def test_consensus_beyond_the_linkage_limit_follows_the_fits_votes(monkeypatch):
    """Past MAX_LINKAGE passages the linkage runs on a sample; the others join the theme most fits give them."""
    from coopthemes.themes import consensus

    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1, 2], [50, 30, 20])
    runs = []
    for _ in range(9):  # each fit: the true groups with a tenth of the passages in a wrong group or outliers
        run = truth.copy()
        flip = rng.random(truth.size) < 0.1
        run[flip] = rng.integers(-1, 3, size=flip.sum())
        runs.append(run * 7 + 3)  # cluster ids differ from theme ids
    runs = np.array(runs)
    runs[runs < 0] = -1
    full = consensus._consensus_labels(runs, 5, 0.5, random_state=0)
    monkeypatch.setattr(consensus, "MAX_LINKAGE", 40)
    sampled = consensus._consensus_labels(runs, 5, 0.5, random_state=0)
    assert sorted(set(full.tolist())) == sorted(set(sampled.tolist())) == [0, 1, 2]
    assert (full == truth).mean() >= 0.97 and (sampled == full).mean() >= 0.97
    assert np.array_equal(sampled, consensus._consensus_labels(runs, 5, 0.5, random_state=0))


_HDBSCAN = """
import json, numpy as np
from coopthemes.themes.consensus import _hdbscan
# three blobs: hdbscan's own estimator gives other clusters for seeds 0 and 3 when NumPy sorts with SSE
for seed in range(6):
    rng = np.random.default_rng(seed)
    Y = np.concatenate([rng.standard_normal((20, 2)) * s + c for s, c in ((1, (0, 0)), (0.5, (5, 0)), (2, (0, 6)))])
    print(json.dumps(_hdbscan(Y, min_cluster_size=5, min_samples=5, max_cluster_size=0).tolist()))
"""


def test_hdbscan_clusters_do_not_depend_on_numpys_sort_loops():
    """Equal mutual-reachability weights are ordered the same with NumPy's AVX-512, AVX2 or SSE sort."""
    outs = []
    for disabled in ("", numpy_without("avx2"), numpy_without("sse")):
        env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": disabled}
        proc = subprocess.run([sys.executable, "-c", _HDBSCAN], capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append([json.loads(line) for line in proc.stdout.strip().splitlines()])
    assert outs[0] == outs[1] == outs[2]
    assert all(len(set(labels) - {-1}) >= 2 for labels in outs[0])


_FIT = """
import json, sys, numpy as np
sys.path.insert(0, {tests!r})
from conftest import FakeEmbedder
from test_themes import parallel_corpus, _synonyms
from coopthemes.config import ThemesConfig
from coopthemes.themes import fit_themes
corpus = parallel_corpus()
emb = FakeEmbedder(synonyms=_synonyms(), offset=3.0)
X = emb.embed(corpus["text"].tolist())
m = fit_themes(corpus, X, embedder=emb, options=ThemesConfig(codebook_mode="off", min_cluster_size=20, n_runs=3))
print(json.dumps({{"labels": m.labels_.tolist(), "runs": m.run_labels_.tolist(), "prob": m.probabilities_.tolist(),
                  "map": m.theme_map()[["x", "y"]].to_numpy().tolist()}}))
"""


@pytest.mark.integration
def test_theme_fit_is_identical_across_threads_and_simd_dispatch(tmp_path):
    """The same fit with 1 and 2 BLAS threads and with NumPy's AVX-512 and AVX2 loops switched off."""
    code = _FIT.format(tests=str(ROOT / "tests"))
    outs = []
    for extra in ({"OPENBLAS_NUM_THREADS": "1"}, {"OPENBLAS_NUM_THREADS": "2"},
                  {"OPENBLAS_NUM_THREADS": "2", "NPY_DISABLE_CPU_FEATURES": numpy_without("sse")}):
        env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), **extra}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=900)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert outs[0] == outs[1] == outs[2]


@pytest.mark.integration
def test_whole_run_gives_identical_tables_with_one_or_two_threads_and_without_avx512(tmp_path):
    """`coopthemes run` on seeds/ twice, in processes that differ in every thread count and in NumPy's SIMD
    dispatch; every table, the assignments and the themes are the same bytes."""
    import shutil

    exe = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
    outs = []
    for name, threads, env in (("one", 1, {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}),
                               ("two", 2, {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2",
                                           "NPY_DISABLE_CPU_FEATURES": numpy_without("sse")})):
        config = tmp_path / f"{name}.yaml"
        config.write_text(f"embeddings:\n  cache_dir: {tmp_path / name / 'cache'}\n  num_threads: {threads}\n"
                          f"themes:\n  n_jobs: {threads}\nprevalence:\n  n_boot: 300\n", encoding="utf-8")
        full_env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / name / "numba"), **env}
        proc = subprocess.run([exe, "run", "--config", str(config), "--corpus", str(ROOT / "seeds"),
                               "--out", str(tmp_path / name / "out")], capture_output=True, text=True,
                              env=full_env, timeout=1800)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outs.append(tmp_path / name / "out")
    files = sorted(p.relative_to(outs[0]) for p in (outs[0] / "tables").iterdir())
    files += [p.relative_to(outs[0]) for p in sorted((outs[0] / "results").glob("*.parquet"))]
    assert len(files) > 20
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel


def test_vote_from_candidates_found_once_equals_a_search_of_the_labelled_rows():
    """The extension's votes reuse one neighbour search for every fit; the themes must not change."""
    from coopthemes.themes.model import vote
    from coopthemes.themes.numerics import canonical, nearest

    rng = np.random.default_rng(11)
    ref = canonical(rng.normal(size=(300, 16)).astype(np.float32))
    ref[150:160] = ref[140:150]  # exact ties, settled by index
    new = np.vstack([canonical(rng.normal(size=(120, 16)).astype(np.float32)), ref[140:145]])
    candidates = nearest(new, ref, 20)
    for share_unlabelled in (0.0, 0.5, 0.97):  # with most rows unlabelled the candidates run short
        labels = rng.integers(0, 6, size=300)
        labels[rng.random(300) < share_unlabelled] = -1
        expected = vote(new, ref, labels, 5)
        assert np.array_equal(vote(new, ref, labels, 5, candidates), expected)
    assert np.array_equal(vote(new, ref, np.full(300, -1), 5, candidates), np.full(new.shape[0], -1))
