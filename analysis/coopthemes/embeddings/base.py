"""The embedder interface: what every backend provides, and its identity.

An embedder turns texts into rows of unit L2 norm. :class:`Embedder` does the
batching, progress, input checks and normalisation; a backend implements
``_embed_batch`` (and ``_dim``). Nothing here depends on BERTopic: the theme
model wraps an embedder in its own adapter where BERTopic needs one
(:mod:`coopthemes.themes.bertopic_adapter`).

An embedder's identity, :class:`EmbedderIdentity` (backend, model, version,
prefix), is what makes two sets of vectors comparable: it keys the embedding
cache and the theme-fit cache, and a saved theme model records it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Embedder", "EmbedderIdentity", "check_texts", "embedder_identity", "l2_normalize"]


@dataclass(frozen=True)
class EmbedderIdentity:
    """What computed a set of vectors.

    Attributes
    ----------
    backend : str
        Backend name (``e5-small-q4``, ``sentence-transformers``, ``tfidf-svd``).
    model : str
        The model's identifier (hub id, folder, or description).
    version : str
        Version of the code and weights that compute the vectors.
    prefix : str
        Text prepended to every input (``"query: "`` for e5).
    """

    backend: str
    model: str
    version: str
    prefix: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def embedder_identity(embedder) -> EmbedderIdentity:
    """The identity of any object with ``name``, ``model_id``, ``version`` and ``prefix`` strings."""
    values = {}
    for attr in ("name", "model_id", "version", "prefix"):
        value = getattr(embedder, attr, None)
        if not isinstance(value, str):
            raise TypeError(f"embedder.{attr} must be a string, got {type(value).__name__}")
        values[attr] = value
    return EmbedderIdentity(values["name"], values["model_id"], values["version"], values["prefix"])


def l2_normalize(x: np.ndarray) -> np.ndarray:
    """Scale each row to unit L2 norm; all-zero rows stay zero.

    Parameters
    ----------
    x : ndarray of shape (n, dim)

    Returns
    -------
    ndarray of shape (n, dim), float32
    """
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def check_texts(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list, or TypeError naming the first item that is not a string."""
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not a single string")
    texts = list(texts)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] is {type(t).__name__}, expected str")
    return texts


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class Embedder:
    """An embedding backend.

    Subclasses implement :meth:`_embed_batch` (and :meth:`_dim` when the
    dimension is known only from the model); this class batches, shows
    progress, checks input and normalises the output.

    Parameters
    ----------
    model_id : str
        The model's identifier (hub id, folder, or description).
    version : str
        Version of the code and weights that compute the vectors; part of the
        cache key, so a change invalidates cached vectors.
    prefix : str, default ""
        Text prepended to every input (e5 models expect ``"query: "``).
    batch_size : int, default 32
        Texts per model call.
    show_progress : bool or None, default None
        Progress bar over batches; ``None`` shows one only when stderr is a
        terminal.

    Attributes
    ----------
    name : str
        Backend name (``e5-small-q4``, ``sentence-transformers``, ``tfidf-svd``).
    dim : int
        Embedding dimension.
    identity : EmbedderIdentity
    """

    name = "base"

    def __init__(
        self,
        *,
        model_id: str,
        version: str,
        prefix: str = "",
        batch_size: int = 32,
        show_progress: bool | None = None,
    ):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.model_id = model_id
        self.version = version
        self.prefix = prefix
        self.batch_size = int(batch_size)
        self.show_progress = show_progress

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, model_id={self.model_id!r}, "
            f"version={self.version!r}, prefix={self.prefix!r})"
        )

    @property
    def identity(self) -> EmbedderIdentity:
        return embedder_identity(self)

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        return self._dim()

    def _dim(self) -> int:
        raise NotImplementedError

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def fit(self, texts: Sequence[str]) -> Embedder:
        """Learn from the corpus; a no-op for pretrained models.

        Returns
        -------
        self
        """
        check_texts(texts)
        return self

    def embed(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        """Embed texts in batches.

        Parameters
        ----------
        texts : sequence of str
        show_progress : bool or None, default None
            Overrides the instance setting for this call.

        Returns
        -------
        ndarray of shape (n_texts, dim), float32, rows of unit L2 norm
        """
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        show = self.show_progress if show_progress is None else show_progress
        if show is None:
            show = _stderr_is_tty()
        starts = range(0, len(texts), self.batch_size)
        if show:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=f"embedding ({self.name})", unit="batch", leave=False)
        parts = [np.asarray(self._embed_batch(texts[s : s + self.batch_size])) for s in starts]
        return l2_normalize(np.concatenate(parts, axis=0))
