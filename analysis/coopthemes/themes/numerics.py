"""Numbers that feed the theme model's decisions, computed so that no machine can change them.

UMAP and HDBSCAN turn differences in the last bits of their input into other
themes: a kNN list that swaps two near-equal neighbours, a PCA start whose
eigenvectors differ by one ulp, and the layout drifts. Such bits differ
between machines because BLAS picks kernels by CPU (another blocking,
another summation order, FMA or not), NumPy dispatches SIMD loops by CPU, and
numba compiles for the host CPU. Here:

* unit vectors are put on a fixed integer grid (:func:`canonical`): every
  coordinate becomes an integer multiple of ``2**-14``, computed with exact
  integer arithmetic (the norm from an exact integer sum of squares);
* dot products of grid vectors are exact (:func:`exact_dot`): with
  ``|q| <= 2**14`` and at most 4,096 dimensions every partial sum is an
  integer below ``2**53``, so a float64 matrix product returns the exact
  integer in any summation order, with or without FMA, on any kernel and any
  number of threads;
* nearest neighbours (:func:`nearest`) rank those exact similarities and break
  ties by index;
* the UMAP start (:func:`principal_start`) is a principal subspace found by
  subspace iteration in exact integer arithmetic, re-quantised at each step;
* numba code (UMAP, pynndescent) is compiled for the generic x86-64 target
  (:func:`portable_numba`), the same machine code on every CPU.

What remains (elementwise IEEE operations, numba's generic code, HDBSCAN's
compiled C, SciPy's linkage) gives the same bits on any x86-64 CPU for the
same package versions.
"""

from __future__ import annotations

import functools
import logging
import os
import sys

import numpy as np

__all__ = [
    "GRID_BITS", "canonical", "exact_dot", "float_to_grid", "grid_to_float", "nearest", "portable_numba",
    "principal_start", "umap_curve",
]

log = logging.getLogger(__name__)

#: Unit vectors are stored as integer multiples of ``2**-GRID_BITS``.
GRID_BITS = 14
_GRID = float(1 << GRID_BITS)
#: Largest dimension for which :func:`exact_dot` is exact.
MAX_DIM = 4096
#: Rows per block in :func:`nearest` (bounds memory, not results).
_BLOCK = 2048


def portable_numba() -> None:
    """Check that numba compiles for the generic x86-64 (or aarch64) target.

    ``import coopthemes`` sets ``NUMBA_CPU_NAME=generic`` unless the caller
    set it; this sets it too (for code that reached here otherwise) and warns
    when numba was imported earlier with host-specific code generation,
    because UMAP's layout then depends on the CPU.
    """
    os.environ.setdefault("NUMBA_CPU_NAME", "generic")
    if "numba" in sys.modules:
        import numba

        wanted = os.environ["NUMBA_CPU_NAME"]
        if getattr(numba.config, "CPU_NAME", None) != wanted:
            log.warning("numba was imported before coopthemes set NUMBA_CPU_NAME=%s: theme layouts may then "
                        "differ between CPUs (import coopthemes first, or set it yourself)", wanted)


@functools.lru_cache(maxsize=32)
def umap_curve(min_dist: float, spread: float = 1.0) -> tuple[float, float]:
    """UMAP's ``a`` and ``b`` for ``min_dist``, rounded to 7 significant digits.

    UMAP fits them with SciPy on NumPy's ``power``, whose SIMD loops differ in
    the last bits between CPUs (AVX-512, AVX2, SSE); the layout would inherit
    the difference. Rounded, they are the same everywhere.
    """
    from umap.umap_ import find_ab_params

    a, b = find_ab_params(spread, min_dist)
    return float(f"{float(a):.7g}"), float(f"{float(b):.7g}")


def canonical(X: np.ndarray) -> np.ndarray:
    """Unit vectors on the integer grid, as float64 integers in ``[-2**14, 2**14]``.

    Parameters
    ----------
    X : ndarray of shape (n, dim)
        Any real rows; zero rows stay zero.

    Returns
    -------
    ndarray of shape (n, dim), float64
        ``round(x / |x| * 2**14)`` per row, where ``|x|`` comes from an exact
        integer sum of squares of ``x`` rounded to ``2**-20`` of its largest
        coordinate; every value is an integer.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] > MAX_DIM:
        raise ValueError(f"expected a 2-D array with at most {MAX_DIM} columns, got shape {X.shape}")
    scale = np.max(np.abs(X), axis=1, keepdims=True)
    scale[scale == 0] = 1.0
    fine = np.rint(X / scale * float(1 << 20))  # integers, |v| <= 2**20
    squares = (fine.astype(np.int64) ** 2).sum(axis=1, dtype=np.int64)  # exact: < 2**52
    norm = np.sqrt(squares.astype(np.float64))[:, None]
    norm[norm == 0] = 1.0
    return np.rint(fine / norm * _GRID)


def grid_to_float(Q: np.ndarray) -> np.ndarray:
    """Grid integers back to unit-scale float32 (exact: every grid value is a float32)."""
    return (np.asarray(Q, dtype=np.float64) / _GRID).astype(np.float32)


def float_to_grid(X: np.ndarray) -> np.ndarray:
    """The grid integers of vectors stored by :func:`grid_to_float` (exact inverse)."""
    return np.rint(np.asarray(X, dtype=np.float64) * _GRID)


def exact_dot(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B.T / 2**28`` for grid rows, exactly.

    Parameters
    ----------
    A : ndarray of shape (n, dim), float64 grid integers (:func:`canonical`)
    B : ndarray of shape (m, dim), float64 grid integers

    Returns
    -------
    ndarray of shape (n, m), float64
        Cosine similarities of the grid vectors, the same bits on any machine.
    """
    return (np.asarray(A, dtype=np.float64) @ np.asarray(B, dtype=np.float64).T) / (_GRID * _GRID)


def nearest(A: np.ndarray, B: np.ndarray, k: int, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``B`` most similar to each row of ``A``, ties broken by index.

    Parameters
    ----------
    A, B : ndarray of grid integers (:func:`canonical`)
    k : int
    exclude_self : bool
        ``A`` and ``B`` are the same rows: leave each row out of its own list.

    Returns
    -------
    indices : ndarray of shape (n, k), int64
        Most similar first.
    similarities : ndarray of shape (n, k), float64
    """
    n, m = A.shape[0], B.shape[0]
    k = min(k, m - (1 if exclude_self else 0))
    idx = np.zeros((n, k), dtype=np.int64)
    sim = np.zeros((n, k), dtype=np.float64)
    for start in range(0, n, _BLOCK):
        S = exact_dot(A[start:start + _BLOCK], B)
        if exclude_self:
            rows = np.arange(S.shape[0])
            S[rows, start + rows] = -np.inf
        top = np.argpartition(-S, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (S.shape[0], 1))
        # exact ties at the cut are settled by index: take every column whose value ties the k-th
        kth = np.take_along_axis(S, top, axis=1).min(axis=1, keepdims=True)
        for r in range(S.shape[0]):
            cand = np.flatnonzero(S[r] >= kth[r, 0])
            order = cand[np.lexsort((cand, -S[r, cand]))][:k]
            idx[start + r] = order
            sim[start + r] = S[r, order]
    return idx, sim


def principal_start(Q: np.ndarray, n_components: int, *, iterations: int = 30) -> np.ndarray:
    """A deterministic principal subspace of grid rows, as a UMAP start.

    Subspace iteration on the exact second-moment matrix ``Q.T @ Q``, from a
    fixed start, with the basis re-quantised to integers after every step, so
    that every product is exact; the columns are ordered by their variance
    and signed so that their largest coordinate is positive.

    Returns
    -------
    ndarray of shape (n, n_components), float32
        The rows projected on the subspace (unit scale).
    """
    Q = np.asarray(Q, dtype=np.float64)
    dim = Q.shape[1]
    M = Q.T @ Q  # exact integers: n * 2**28 < 2**53 for n < 2**25
    M = np.rint(M / max(1.0, float(np.max(np.abs(M)))) * float(1 << 20))  # integers <= 2**20
    rng = np.random.default_rng(20260401)
    V = np.rint(rng.standard_normal((dim, n_components)) * float(1 << 16))
    for _ in range(iterations):
        W = M @ V  # exact: dim * 2**36 < 2**53
        V = _orthonormal_grid(W)
    proj = Q @ V  # exact: dim * 2**30 < 2**53
    variance = (proj * proj).sum(axis=0)
    order = np.lexsort((np.arange(n_components), -variance))
    proj, V = proj[:, order], V[:, order]
    signs = np.where(V[np.argmax(np.abs(V), axis=0), np.arange(n_components)] < 0, -1.0, 1.0)
    return (proj * signs / (_GRID * float(1 << 16))).astype(np.float32)


def _orthonormal_grid(W: np.ndarray) -> np.ndarray:
    """Gram-Schmidt on integer columns, each result re-quantised to ``2**16``.

    Every dot product is between integer vectors (exact in any order); the
    other steps are elementwise IEEE operations, rounded back to integers.
    """
    out = np.zeros_like(W)
    for j in range(W.shape[1]):
        top = float(np.max(np.abs(W[:, j])))
        v = np.rint(W[:, j] / top * float(1 << 20)) if top > 0 else np.zeros(W.shape[0])
        for i in range(j):
            u = out[:, i]
            uu = float(u @ u)
            if uu > 0:
                v = np.rint(v - (float(v @ u) / uu) * u)
        norm = np.sqrt(float(v @ v))
        out[:, j] = np.rint(v / norm * float(1 << 16)) if norm > 0 else 0.0
    return out
