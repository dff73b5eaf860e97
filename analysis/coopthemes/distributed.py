"""Run the per-document and per-chunk work on Dask workers.

A scheduler is named as ``local:N`` (a cluster of N worker processes started
here, one thread each) or ``tcp://HOST:PORT`` (a running Dask scheduler whose
workers have this package installed). Results are those of a run in one
process:

- corpus: ``load_corpus(..., map_func=client_mapper(client))`` cleans the
  documents (repair, furniture, passages) on the workers; reading, language
  detection and the steps across documents (duplicate flags, the ledger)
  stay here, and :func:`map_ordered` returns results in input order.
- embeddings: :func:`embed_distributed` computes the chunks missing from the
  :class:`~coopthemes.embeddings.EmbeddingCache` on the workers and writes them
  here, with the chunk boundaries and keys of a run in one process, so either
  kind of run hits the other's cache. Each worker builds an embedder once
  and keeps it for the life of its process.

>>> with dask_client("local:2") as client:                           # doctest: +SKIP
...     documents, passages = load_corpus("seeds", map_func=client_mapper(client))
...     X = embed_distributed(client, "e5-small-q4", texts, ids, cache=cache)

Dask is an optional dependency (``pip install 'coopthemes[dask]'``),
imported only when a cluster is used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import numpy as np

__all__ = [
    "SchedulerSpec",
    "client_mapper",
    "dask_client",
    "embed_distributed",
    "map_ordered",
    "parse_scheduler",
    "worker_embedder_builds",
]

_DASK_HINT = "pip install 'coopthemes[dask]'"
_SCHEDULER_FORMS = "expected 'local:N' (N >= 1 worker processes) or 'tcp://HOST:PORT'"


@dataclass(frozen=True)
class SchedulerSpec:
    """A parsed ``--scheduler`` value.

    Attributes
    ----------
    kind : {"local", "tcp"}
    n_workers : int or None
        Worker processes of a local cluster.
    address : str or None
        Scheduler address (``tcp://HOST:PORT``).
    """

    kind: str
    n_workers: int | None = None
    address: str | None = None


def _parse_local(spec: str, count: str) -> SchedulerSpec:
    if not count.strip().isdigit() or int(count) < 1:
        raise ValueError(
            f"scheduler {spec!r}: the number of workers must be an integer >= 1; {_SCHEDULER_FORMS}"
        )
    return SchedulerSpec("local", n_workers=int(count))


def _parse_tcp(spec: str) -> SchedulerSpec:
    parts = urlsplit(spec)
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or port < 1 or parts.path or parts.query or parts.fragment:
        raise ValueError(f"scheduler {spec!r}: a host and a port (1-65535) are needed; {_SCHEDULER_FORMS}")
    return SchedulerSpec("tcp", address=spec)


def parse_scheduler(spec: str | None) -> SchedulerSpec | None:
    """Validate a scheduler specification.

    Parameters
    ----------
    spec : str or None
        ``"local:N"``, ``"tcp://HOST:PORT"`` (IPv6 hosts in brackets), or
        None for a run in one process. Surrounding spaces are ignored.

    Returns
    -------
    SchedulerSpec or None

    Raises
    ------
    ValueError
        For any other value, naming it.
    """
    if spec is None:
        return None
    if not isinstance(spec, str):
        raise TypeError(f"scheduler must be a string or None, got {type(spec).__name__} ({spec!r})")
    text = spec.strip()
    kind, sep, rest = text.partition(":")
    if kind == "local" and sep:
        return _parse_local(spec, rest)
    if text.startswith("tcp://"):
        return _parse_tcp(text)
    raise ValueError(f"scheduler {spec!r}: {_SCHEDULER_FORMS}")


def _require_dask():
    """The ``distributed`` module, or an ImportError naming the extra to install."""
    try:
        import distributed
    except ImportError as err:
        raise ImportError(f"running on Dask workers needs dask.distributed: {_DASK_HINT}") from err
    return distributed


@contextlib.contextmanager
def dask_client(spec: str | None):
    """A Dask client for ``spec``, closed (with its local cluster) on exit.

    Parameters
    ----------
    spec : str or None
        See :func:`parse_scheduler`. ``local:N`` starts N worker processes
        with one thread each, no dashboard and quiet logs; ``tcp://...``
        connects to a running scheduler and leaves it running on exit (start
        its workers with ``distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_``
        set to null in their Dask configuration: see ``_LOCAL_CLUSTER_CONFIG``).

    Yields
    ------
    distributed.Client or None
        None when ``spec`` is None (run in this process).
    """
    parsed = parse_scheduler(spec)
    if parsed is None:
        yield None
        return
    distributed = _require_dask()
    if parsed.kind == "tcp":
        with distributed.Client(parsed.address) as client:
            yield client
        return
    cluster = _local_cluster(distributed, parsed.n_workers)
    try:
        with distributed.Client(cluster) as client:
            yield client
    finally:
        cluster.close()


#: Dask settings of a local cluster. Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_``
#: in the workers, which turns off glibc's adaptive mmap threshold: every large
#: NumPy temporary in a task thread is then mapped and unmapped again, and the
#: e5 encoder took 55% more CPU time per text (measured). The sampling profiler
#: only feeds the dashboard, which is off.
_LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
}


def _local_cluster(distributed, n_workers: int):
    """A LocalCluster of ``n_workers`` processes, one thread each, quiet, no dashboard.

    The nanny sets ``OMP_NUM_THREADS=1`` and the like in this process's
    environment before it starts the workers; the environment is restored.
    """
    import dask

    saved = dict(os.environ)
    try:
        with dask.config.set(_LOCAL_CLUSTER_CONFIG):
            return distributed.LocalCluster(
                n_workers=n_workers, threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.ERROR,
            )  # fmt: skip
    finally:
        for key in sorted(set(os.environ) - set(saved)):
            del os.environ[key]
        os.environ.update(saved)


def _apply_chunk(func: Callable, chunk: list) -> list:
    """Worker side of :func:`map_ordered`: ``func`` over one chunk of items."""
    return [func(item) for item in chunk]


def _apply_chunk_shared(func: Callable, chunk: list, shared) -> list:
    """Worker side of :func:`map_ordered` with a ``shared`` object."""
    return [func(item, shared) for item in chunk]


def _progress_bar(total: int, show: bool | None, desc: str):
    show = sys.stderr.isatty() if show is None else show
    if not show or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="item", leave=False)


def _iter_ordered(client, func, items, *, chunk_size: int, shared=None, show_progress=None) -> Iterator:
    """Results of :func:`map_ordered`, yielded in input order as they arrive."""
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    items = list(items)
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    if not chunks:
        return
    if shared is None:
        futures = client.map(partial(_apply_chunk, func), chunks, pure=False)
    else:
        scattered = client.scatter(shared, broadcast=True, hash=False)
        run = partial(_apply_chunk_shared, func)
        futures = client.map(run, chunks, [scattered] * len(chunks), pure=False)
    name = getattr(getattr(func, "func", func), "__name__", "tasks").strip("_")
    bar = _progress_bar(len(items), show_progress, name)
    try:
        for future, chunk in zip(futures, chunks):
            results = future.result()
            future.release()
            if bar is not None:
                bar.update(len(chunk))
            yield from results
    finally:
        client.cancel(futures)
        if bar is not None:
            bar.close()


def map_ordered(
    client, func: Callable, items: Sequence, *, chunk_size: int = 16, shared=None, show_progress=None
) -> list:
    """``[func(item) for item in items]`` computed on Dask workers.

    Items are sent in chunks of ``chunk_size`` (one task each); results come
    back in input order whatever order the tasks finish in.

    Parameters
    ----------
    client : distributed.Client
    func : callable
        A function of one item (of ``(item, shared)`` when ``shared`` is
        given), importable on the workers (it is pickled by reference); an
        exception it raises is raised here.
    items : sequence
        Picklable items.
    chunk_size : int, default 16
        Items per task.
    shared : object or None, default None
        Sent once to every worker (not once per task) and passed to ``func``
        as its second argument, e.g. a fitted model.
    show_progress : bool or None, default None
        Progress bar over items; None shows one only when stderr is a terminal.

    Returns
    -------
    list
        One result per item, in input order.
    """
    return list(
        _iter_ordered(
            client, func, items, chunk_size=chunk_size, shared=shared, show_progress=show_progress
        )
    )


def client_mapper(client, *, chunk_size: int = 16) -> Callable[[Callable, list], list]:
    """A ``map_func`` for :func:`coopthemes.corpus.load_corpus` that runs on ``client``'s workers.

    Parameters
    ----------
    client : distributed.Client
    chunk_size : int, default 16
        Documents per task.

    Returns
    -------
    callable
        ``map_func(func, items) -> list``, see :func:`map_ordered`.
    """
    return partial(map_ordered, client, chunk_size=chunk_size)


# --- embeddings ------------------------------------------------------------------------------

#: Worker side: embedders built in this process, by source key, and how often each was built.
_WORKER_EMBEDDERS: dict[str, object] = {}
_WORKER_BUILDS: Counter = Counter()
_WORKER_LOCK = threading.Lock()

_IDENTITY_FIELDS = ("name", "model_id", "version", "prefix")


def _source_key(source) -> str:
    """Key of an embedder source: a backend spec, or a shipped embedder's identity."""
    if isinstance(source, str):
        return f"spec:{source}"
    fields = [str(getattr(source, a, "")) for a in (*_IDENTITY_FIELDS, "batch_size")]
    return f"{type(source).__module__}.{type(source).__qualname__}:" + "|".join(fields)


def _worker_embedder(source):
    """The embedder of ``source`` in this worker process, built on first use only."""
    key = _source_key(source)
    with _WORKER_LOCK:
        embedder = _WORKER_EMBEDDERS.get(key)
        if embedder is None:
            if isinstance(source, str):
                from .embeddings.backends import get_embedder

                embedder = get_embedder(source, show_progress=False, num_threads=_worker_threads())
            else:
                embedder = source
            _WORKER_EMBEDDERS[key] = embedder
            _WORKER_BUILDS[key] += 1
    return embedder


def _worker_threads() -> int | None:
    """CPU threads for one model call on a worker: ``OMP_NUM_THREADS``, else None (every core).

    Dask's nanny sets ``OMP_NUM_THREADS`` to 1 in the worker processes it
    starts: the parallelism comes from the tasks, one per worker thread.
    """
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def worker_embedder_builds() -> dict[str, int]:
    """How many times this process built each embedder (run it with ``client.run``).

    Returns
    -------
    dict of str to int
        Source key (``spec:<backend>`` or the shipped embedder's identity) to
        count; a worker builds each embedder once.
    """
    with _WORKER_LOCK:
        return {key: _WORKER_BUILDS[key] for key in sorted(_WORKER_BUILDS)}


def _embedder_identity(source) -> dict:
    """Worker side: identity, dimension and batch size of the embedder of ``source``."""
    embedder = _worker_embedder(source)
    fields = {f: getattr(embedder, f) for f in _IDENTITY_FIELDS}
    return {**fields, "dim": int(embedder.dim), "batch_size": getattr(embedder, "batch_size", None)}


def _embed_texts(texts: list[str], source) -> np.ndarray:
    """Worker side: vectors of some texts, ``ndarray of shape (len(texts), dim)``."""
    from .embeddings.base import Embedder

    embedder = _worker_embedder(source)
    if isinstance(embedder, Embedder):
        vectors = embedder.embed(texts, show_progress=False)
    else:
        vectors = embedder.embed(texts)
    return np.ascontiguousarray(vectors, dtype=np.float32)


@dataclass(frozen=True)
class _WorkerEmbedder:
    """Client-side stand-in with the workers' embedder identity; it never embeds."""

    name: str
    model_id: str
    version: str
    prefix: str
    dim: int
    batch_size: int | None

    def embed(self, texts):
        raise RuntimeError(f"{self.name} runs on the Dask workers, not in the client")


def _identity_on_workers(client, spec: str) -> _WorkerEmbedder:
    """Build ``spec`` on every worker (once) and check that they agree on its identity."""
    workers = sorted(client.ncores())
    if not workers:
        raise RuntimeError("the Dask scheduler has no workers")
    futures = [
        client.submit(_embedder_identity, spec, workers=[w], allow_other_workers=False, pure=False)
        for w in workers
    ]
    identities = dict(zip(workers, client.gather(futures)))
    distinct = sorted({tuple(sorted(i.items())) for i in identities.values()})
    if len(distinct) > 1:
        listing = "; ".join(f"{w}: {identities[w]}" for w in workers)
        raise RuntimeError(
            f"Dask workers disagree on embedder {spec!r} (install the same versions): {listing}"
        )
    return _WorkerEmbedder(**identities[workers[0]])


def embed_distributed(client, embedder, texts: Sequence[str], ids: Sequence[str], *, cache) -> np.ndarray:
    """Embed texts through ``cache``, the missing chunks computed on Dask workers.

    Parameters
    ----------
    client : distributed.Client
    embedder : str or Embedder
        A backend spec for :func:`coopthemes.embeddings.get_embedder` (e.g.
        ``"e5-small-q4"``): only the spec and the texts (one batch per task)
        are sent, each worker builds the backend once, and every worker must
        report the same identity (name, model id, version, prefix, dim, batch
        size). Or an embedder object,
        e.g. a fitted ``tfidf-svd``: pickled (without a loaded model) and sent
        once to every worker.
    texts : sequence of str, length n
    ids : sequence of str, length n
        Unique passage ids.
    cache : EmbeddingCache
        Read and written here, as by ``cache.embed(embedder, texts, ids)``;
        its ``cache_stats`` count one model call per computed chunk.

    Returns
    -------
    ndarray of shape (n, dim), float32
        Equal to the result of ``cache.embed`` in one process.

    Raises
    ------
    ValueError
        ``"tfidf-svd"`` named by spec: it must be fitted on the corpus first.
    RuntimeError
        Workers that disagree on the embedder's identity.
    """
    if isinstance(embedder, str) and embedder.strip().partition(":")[0] == "tfidf-svd":
        raise ValueError(
            "embedder 'tfidf-svd' is fitted on the corpus: fit it here "
            "(get_embedder('tfidf-svd').fit(texts)) and pass the fitted embedder, not its name"
        )
    _require_dask()
    if isinstance(embedder, str):
        local, source = _identity_on_workers(client, embedder), embedder
    else:
        int(embedder.dim)  # an unfitted model fails here, not on the workers
        local, source = embedder, embedder

    def map_chunks(chunks: list[list[str]]) -> Iterator[np.ndarray]:
        pieces = _pieces(chunks, size=getattr(local, "batch_size", None))
        vectors = _iter_ordered(
            client, _embed_texts, [texts for _, texts in pieces], chunk_size=1,
            shared=source, show_progress=cache.show_progress,
        )  # fmt: skip
        return _regroup(vectors, [chunk for chunk, _ in pieces])

    return cache.embed(local, texts, ids, map_chunks=map_chunks)


def _pieces(chunks: list[list[str]], *, size: int | None) -> list[tuple[int, list[str]]]:
    """``(chunk index, texts)``: each cache chunk cut into tasks of ``size`` texts.

    A chunk embedded in one process is embedded in batches of the embedder's
    batch size from its first text; tasks of exactly one batch keep those
    batches, so even a backend whose vectors depend on the batch gives the
    same vectors, while the many small tasks keep every worker busy.
    """
    if not size:
        return list(enumerate(chunks))
    return [(i, chunk[s : s + size]) for i, chunk in enumerate(chunks) for s in range(0, len(chunk), size)]


def _regroup(vectors: Iterator[np.ndarray], chunk_of: list[int]) -> Iterator[np.ndarray]:
    """The pieces' vectors, stacked back into one matrix per chunk, in order."""
    parts: list[np.ndarray] = []
    for i, piece in enumerate(vectors):
        parts.append(piece)
        if i + 1 == len(chunk_of) or chunk_of[i + 1] != chunk_of[i]:
            yield np.concatenate(parts, axis=0)
            parts = []
