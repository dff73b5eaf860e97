"""On-disk cache of embeddings, addressed by content.

Layout
------
The texts are cut into content-defined chunks (:func:`chunk_bounds`): a chunk
ends after a text whose hash falls on a boundary, so inserting or removing a
passage changes only the chunk that holds it, and the chunks of an
interrupted run are kept. Each chunk is stored under the key::

    sha256(backend, model_id, version, prefix, sha256(text) for each text in order)

as three files in ``<root>/<backend>/``::

    <key>.npy        float32 vectors, shape (n, dim)
    <key>.ids.json   the passage ids of the rows, in order
    <key>.json       header: backend, model_id, version, prefix, dim, n,
                     digests of the text hashes, of the ids and of the vector
                     bytes; written last, so it marks a complete entry

Every file is written to a temporary name and moved into place with
:func:`os.replace`. An entry is used only if its header parses, names the
same model, and every digest matches; otherwise (truncated file, bad
checksum, bad JSON, other ids, other dimension, a folder in a file's place)
it is recomputed and rewritten, never trusted. A cache hit makes no model
call. A cache that cannot be written (a full disk, a file or folder in the
way, no permission) costs the reuse only: the vectors are returned, and a
warning names the problem once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "CACHE_FORMAT",
    "CacheStats",
    "EmbeddingCache",
    "chunk_bounds",
    "chunk_key",
    "embed_cached",
    "text_hash",
]

#: Format tag written into every header.
CACHE_FORMAT = "coopthemes-embeddings/1"

log = logging.getLogger(__name__)


def text_hash(text: str) -> str:
    """Hex sha256 of a text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(items: Sequence[str]) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(item.encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


def _identity(embedder) -> dict:
    from .base import embedder_identity

    ident = embedder_identity(embedder)
    return {"backend": ident.backend, "model_id": ident.model, "version": ident.version, "prefix": ident.prefix}


def chunk_key(identity: dict, hashes: Sequence[str]) -> str:
    """Cache key of one chunk.

    Parameters
    ----------
    identity : dict
        ``backend``, ``model_id``, ``version``, ``prefix`` of the embedder.
    hashes : sequence of str
        :func:`text_hash` of each text of the chunk, in order.

    Returns
    -------
    str
        Hex sha256.
    """
    head = [identity[k] for k in ("backend", "model_id", "version", "prefix")]
    return _digest([*head, *hashes])


def chunk_bounds(hashes: Sequence[str], *, chunk_size: int = 256) -> list[tuple[int, int]]:
    """Cut a sequence of texts into content-defined chunks.

    A chunk ends after a text whose hash, read as an integer, is a multiple
    of ``chunk_size``, once the chunk holds at least ``chunk_size // 4``
    texts; it ends in any case at ``2 * chunk_size`` texts. Chunks hold
    about ``chunk_size`` texts on average, and their boundaries depend on the
    texts, not their positions: an insertion upstream does not shift them.

    Parameters
    ----------
    hashes : sequence of str
        Hex :func:`text_hash` of each text, in order.
    chunk_size : int, default 256

    Returns
    -------
    list of (start, stop)
        Half-open row ranges covering ``range(len(hashes))`` in order.
    """
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    min_len, max_len = max(1, chunk_size // 4), 2 * chunk_size
    bounds, start = [], 0
    for i, h in enumerate(hashes):
        length = i + 1 - start
        at_boundary = int(h[:16], 16) % chunk_size == 0 and length >= min_len
        if at_boundary or length >= max_len:
            bounds.append((start, i + 1))
            start = i + 1
    if start < len(hashes):
        bounds.append((start, len(hashes)))
    return bounds


@dataclasses.dataclass
class CacheStats:
    """Counts of an :class:`EmbeddingCache` since it was created.

    Attributes
    ----------
    hits, misses : int
        Chunks read from disk / computed.
    rejected : int
        Entries found on disk but corrupt or mismatched (recomputed).
    unwritten : int
        Chunks that could not be written to disk (computed, not cached).
    model_calls : int
        Calls to the embedder's ``embed``.
    texts_cached, texts_embedded : int
        Texts served from disk / by the model.
    """

    hits: int = 0
    misses: int = 0
    rejected: int = 0
    unwritten: int = 0
    model_calls: int = 0
    texts_cached: int = 0
    texts_embedded: int = 0

    def summary(self) -> str:
        """One line for logs and run reports."""
        if self.model_calls == 0 and self.hits:
            return f"hit the cache (no model call): {self.texts_cached} texts in {self.hits} chunks"
        return (
            f"embedded {self.texts_embedded} texts in {self.misses} chunks "
            f"({self.model_calls} model calls), {self.texts_cached} texts from the cache"
            + (f", {self.rejected} bad entries recomputed" if self.rejected else "")
            + (f", {self.unwritten} chunks not cached (write failed)" if self.unwritten else "")
        )


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Invalid(Exception):
    """A cache entry that must not be used."""


def _load_matrix(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The float32 matrix in ``path``, read only once its header shows the expected shape.

    A damaged header that claims billions of rows is refused before any
    memory is allocated.
    """
    with open(path, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in readers:
            raise _Invalid(f"unexpected .npy version {version}")
        found, fortran, dtype = readers[version](fh)
        if tuple(found) != shape or fortran or dtype != np.dtype(np.float32):
            raise _Invalid(f"vectors have dtype {dtype} and shape {found}, expected float32 {shape}")
        data = fh.read(shape[0] * shape[1] * 4 + 1)
    if len(data) != shape[0] * shape[1] * 4:
        raise _Invalid(f"vector file holds {len(data)} bytes, expected {shape[0] * shape[1] * 4}")
    return np.frombuffer(data, dtype=np.float32).reshape(shape).copy()


class EmbeddingCache:
    """Embeddings on disk under ``root``, one entry per chunk of texts.

    Parameters
    ----------
    root : str or Path
        Cache folder (created on first write).
    chunk_size : int, default 256
        Average texts per chunk (see :func:`chunk_bounds`).
    show_progress : bool or None, default None
        Progress bar over texts to embed; ``None`` shows one only when
        stderr is a terminal.

    Attributes
    ----------
    cache_stats : CacheStats
        Counts since creation (a copy; see :meth:`reset_stats`).
    """

    def __init__(self, root, *, chunk_size: int = 256, show_progress: bool | None = None):
        if int(chunk_size) < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        self.root = Path(root)
        self.chunk_size = int(chunk_size)
        self.show_progress = show_progress
        self._stats = CacheStats()

    @property
    def cache_stats(self) -> CacheStats:
        return dataclasses.replace(self._stats)

    def reset_stats(self) -> None:
        """Set every count back to zero."""
        self._stats = CacheStats()

    def _paths(self, backend: str, key: str) -> tuple[Path, Path, Path]:
        folder = self.root / (re.sub(r"[^A-Za-z0-9._-]+", "_", backend) or "backend")
        return folder / f"{key}.npy", folder / f"{key}.ids.json", folder / f"{key}.json"

    def _read(self, paths, *, header_expected: dict, ids: list[str]) -> np.ndarray:
        vec_path, ids_path, head_path = paths
        shape = (header_expected["n"], header_expected["dim"])
        try:
            header = json.loads(head_path.read_text(encoding="utf-8"))
            if not isinstance(header, dict):
                raise _Invalid("header is not a JSON object")
            for field, value in header_expected.items():
                if header.get(field) != value:
                    raise _Invalid(f"{field} is {str(header.get(field))[:80]!r}, expected {value!r}")
            stored_ids = json.loads(ids_path.read_text(encoding="utf-8"))
            if stored_ids != ids or header.get("ids_sha256") != _digest(ids):
                raise _Invalid("passage ids differ")
            vectors = _load_matrix(vec_path, shape)
        except (OSError, ValueError, EOFError, RecursionError) as err:  # JSONDecodeError is a ValueError
            raise _Invalid(f"unreadable: {err}") from err
        if vectors.dtype != np.float32 or vectors.shape != shape:
            raise _Invalid(f"vectors have dtype {vectors.dtype} and shape {vectors.shape}")
        if hashlib.sha256(vectors.tobytes()).hexdigest() != header.get("vectors_sha256"):
            raise _Invalid("vector checksum differs")
        return vectors

    def _write(self, paths, *, header: dict, ids: list[str], vectors: np.ndarray) -> None:
        vec_path, ids_path, head_path = paths
        vec_path.parent.mkdir(parents=True, exist_ok=True)
        header = {**header, "ids_sha256": _digest(ids)}
        header["vectors_sha256"] = hashlib.sha256(vectors.tobytes()).hexdigest()
        _atomic_write(vec_path, lambda fh: np.save(fh, vectors, allow_pickle=False))
        _atomic_write(ids_path, lambda fh: fh.write(json.dumps(ids).encode("utf-8")))
        text = json.dumps(header, indent=1, sort_keys=True)
        _atomic_write(head_path, lambda fh: fh.write(text.encode("utf-8")))

    def _compute(self, embedder, texts: list[str]) -> np.ndarray:
        from .base import Embedder

        self._stats.model_calls += 1
        if isinstance(embedder, Embedder):
            vectors = embedder.embed(texts, show_progress=False)
        else:
            vectors = embedder.embed(texts)
        return _as_matrix(vectors, n=len(texts), embedder=embedder)

    def _entry(self, *, identity: dict, dim: int, hashes: list[str]) -> tuple[tuple, dict]:
        """Paths and expected header of the entry of one chunk."""
        key = chunk_key(identity, hashes)
        expected = {
            "format": CACHE_FORMAT,
            **identity,
            "key": key,
            "n": len(hashes),
            "dim": dim,
            "texts_sha256": _digest(hashes),
        }
        return self._paths(identity["backend"], key), expected

    def _lookup(self, paths, *, expected: dict, ids: list[str]) -> np.ndarray | None:
        """Vectors of a valid entry, or None (absent, or rejected and counted)."""
        if not paths[2].exists():
            return None
        try:
            vectors = self._read(paths, header_expected=expected, ids=ids)
        except _Invalid:
            self._stats.rejected += 1
            return None
        self._stats.hits += 1
        self._stats.texts_cached += len(ids)
        return vectors

    def _store(self, paths, *, expected: dict, ids: list[str], vectors: np.ndarray, embedder) -> None:
        if vectors.shape[1] != expected["dim"]:
            raise ValueError(
                f"embedder {embedder!r} returned dimension {vectors.shape[1]}, "
                f"but its dim attribute is {expected['dim']}"
            )
        self._stats.misses += 1
        self._stats.texts_embedded += len(ids)
        try:
            self._write(paths, header=expected, ids=ids, vectors=vectors)
        except OSError as err:
            if not self._stats.unwritten:
                log.warning("embedding cache %s cannot be written (%s: %s); continuing without caching",
                            self.root, getattr(err, "filename", None) or paths[0].parent, err.strerror or err)
            self._stats.unwritten += 1

    def _chunk(self, embedder, *, identity, dim, texts, ids, hashes) -> np.ndarray:
        """Vectors of one chunk, from disk if a valid entry exists, else computed."""
        paths, expected = self._entry(identity=identity, dim=dim, hashes=hashes)
        vectors = self._lookup(paths, expected=expected, ids=ids)
        if vectors is None:
            vectors = self._compute(embedder, texts)
            self._store(paths, expected=expected, ids=ids, vectors=vectors, embedder=embedder)
        return vectors

    def _embed_mapped(self, embedder, map_chunks, *, texts, ids, hashes, bounds) -> np.ndarray:
        """Vectors from the cache, the missing chunks computed by ``map_chunks``.

        The missing chunks are handed to ``map_chunks`` in one call; each
        result is checked and written as soon as the returned iterable yields it.
        """
        identity, dim = _identity(embedder), int(embedder.dim)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        todo = []
        for start, stop in bounds:
            paths, expected = self._entry(identity=identity, dim=dim, hashes=hashes[start:stop])
            vectors = self._lookup(paths, expected=expected, ids=ids[start:stop])
            if vectors is None:
                todo.append((start, stop, paths, expected))
            else:
                out[start:stop] = vectors
        if not todo:
            return out
        results = map_chunks([texts[start:stop] for start, stop, _, _ in todo])
        for (start, stop, paths, expected), vectors in zip(todo, results, strict=True):
            self._stats.model_calls += 1
            vectors = _as_matrix(vectors, n=stop - start, embedder=embedder)
            self._store(paths, expected=expected, ids=ids[start:stop], vectors=vectors, embedder=embedder)
            out[start:stop] = vectors
        return out

    def embed(self, embedder, texts: Sequence[str], ids: Sequence[str], *, map_chunks=None) -> np.ndarray:
        """Embed texts, reading and writing the cache chunk by chunk.

        Parameters
        ----------
        embedder : Embedder
            Any object with ``name``, ``model_id``, ``version``, ``prefix``,
            ``dim`` and ``embed(texts)``.
        texts : sequence of str, length n
        ids : sequence of str, length n
            Unique passage ids of the texts, stored beside the vectors and
            checked on load.
        map_chunks : callable or None, default None
            Computes the chunks missing from the cache elsewhere (e.g. on
            Dask workers, :func:`coopthemes.distributed.embed_distributed`):
            called once with the list of the missing chunks' texts, it returns
            an iterable of one ``ndarray of shape (len(chunk), dim)`` per
            chunk, in the same order. ``embedder.embed`` is then never
            called; the chunks, keys and entries are those of a run without
            ``map_chunks``. None embeds in this process.

        Returns
        -------
        ndarray of shape (n, dim), float32
        """
        texts, ids = _check_inputs(texts, ids)
        identity = _identity(embedder)
        dim = int(embedder.dim)
        hashes = [text_hash(t) for t in texts]
        bounds = chunk_bounds(hashes, chunk_size=self.chunk_size)
        if map_chunks is not None:
            return self._embed_mapped(
                embedder, map_chunks, texts=texts, ids=ids, hashes=hashes, bounds=bounds
            )
        out = np.zeros((len(texts), dim), dtype=np.float32)
        bar = self._progress(len(texts), identity["backend"])
        try:
            for start, stop in bounds:
                out[start:stop] = self._chunk(
                    embedder,
                    identity=identity,
                    dim=dim,
                    texts=texts[start:stop],
                    ids=ids[start:stop],
                    hashes=hashes[start:stop],
                )
                if bar is not None:
                    bar.update(stop - start)
        finally:
            if bar is not None:
                bar.close()
        return out

    def stored(self, identity: dict, texts: Sequence[str], ids: Sequence[str]) -> np.ndarray:
        """Vectors of texts from the cache alone: nothing is computed.

        Parameters
        ----------
        identity : dict
            ``backend``, ``model``, ``version``, ``prefix`` of the embedder
            that made them (:meth:`EmbedderIdentity.as_dict`, as ``run.json``
            records it).
        texts, ids : sequence of str, length n
            As given to :meth:`embed`.

        Returns
        -------
        ndarray of shape (n, dim), float32

        Raises
        ------
        LookupError
            A chunk has no entry, or its entry fails a check; the message
            names the entry's file and the reason.
        """
        texts, ids = _check_inputs(texts, ids)
        ident = {"backend": identity["backend"], "model_id": identity["model"], "version": identity["version"],
                 "prefix": identity["prefix"]}
        hashes = [text_hash(t) for t in texts]
        parts, dim = [], None
        for start, stop in chunk_bounds(hashes, chunk_size=self.chunk_size):
            paths, _ = self._entry(identity=ident, dim=0, hashes=hashes[start:stop])
            if not paths[2].is_file():
                raise LookupError(f"{paths[2]}: no cache entry for passages {ids[start]} to {ids[stop - 1]}")
            try:
                header = json.loads(paths[2].read_text(encoding="utf-8"))
                dim = int(header["dim"]) if dim is None else dim
                _, expected = self._entry(identity=ident, dim=dim, hashes=hashes[start:stop])
                parts.append(self._read(paths, header_expected=expected, ids=ids[start:stop]))
            except (_Invalid, OSError, ValueError, TypeError, KeyError) as err:
                raise LookupError(f"{paths[2]}: cache entry not usable ({err})") from None
        return np.concatenate(parts) if parts else np.zeros((0, dim or 0), dtype=np.float32)

    def _progress(self, total: int, backend: str):
        show = self.show_progress
        if show is None:
            show = sys.stderr.isatty() if hasattr(sys.stderr, "isatty") else False
        if not show or total == 0:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=f"embeddings ({backend}, cached)", unit="text", leave=False)


def _as_matrix(vectors, *, n: int, embedder) -> np.ndarray:
    """``vectors`` as a C-contiguous float32 matrix of ``n`` rows, or a ValueError."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != n:
        raise ValueError(f"embedder {embedder!r} returned shape {vectors.shape} for {n} texts")
    return vectors


def _check_inputs(texts, ids) -> tuple[list[str], list[str]]:
    if isinstance(texts, str) or isinstance(ids, str):
        raise TypeError("texts and ids must be sequences of strings, not single strings")
    texts, ids = list(texts), list(ids)
    if len(texts) != len(ids):
        raise ValueError(f"texts and ids differ in length ({len(texts)} vs {len(ids)})")
    for name, values in (("texts", texts), ("ids", ids)):
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise TypeError(f"{name}[{i}] is {type(v).__name__} ({v!r}), expected str")
    if len(set(ids)) != len(ids):
        seen, dup = set(), []
        for i in ids:
            if i in seen:
                dup.append(i)
            seen.add(i)
        raise ValueError(f"ids are not unique (repeated: {', '.join(sorted(set(dup))[:5])})")
    return texts, ids


def embed_cached(
    embedder,
    texts: Sequence[str],
    ids: Sequence[str],
    *,
    cache_dir,
    chunk_size: int = 256,
) -> np.ndarray:
    """Embed texts through an :class:`EmbeddingCache` at ``cache_dir``.

    Parameters
    ----------
    embedder : Embedder
    texts : sequence of str, length n
    ids : sequence of str, length n
        Unique passage ids.
    cache_dir : str or Path
    chunk_size : int, default 256

    Returns
    -------
    ndarray of shape (n, dim), float32

    See Also
    --------
    EmbeddingCache : keeps :attr:`EmbeddingCache.cache_stats` across calls.
    """
    return EmbeddingCache(cache_dir, chunk_size=chunk_size).embed(embedder, texts, ids)
