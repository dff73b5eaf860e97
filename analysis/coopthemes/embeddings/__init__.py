"""Embeddings: backends, an on-disk cache, cross-lingual alignment.

>>> from coopthemes.embeddings import get_embedder, EmbeddingCache, LanguageCentering
>>> embedder = get_embedder("e5-small-q4")                     # doctest: +SKIP
>>> cache = EmbeddingCache(".cache/embeddings")                # doctest: +SKIP
>>> X = cache.embed(embedder, passages["text"], passages["passage_id"])  # doctest: +SKIP
>>> Z = LanguageCentering().fit_transform(X, passages["language"])       # doctest: +SKIP

Modules: :mod:`.base` (the embedder interface and identity), :mod:`.backends`
(the backends by name), :mod:`.fast_e5` (the NumPy engine of the bundled e5
model), :mod:`.cache` (content-addressed vectors on disk), :mod:`.alignment`
(per-language centring). None of them imports BERTopic.
"""

from .alignment import LanguageCentering
from .backends import (
    BACKENDS,
    DEFAULT_BACKEND,
    E5Embedder,
    SentenceTransformerEmbedder,
    TfidfSvdEmbedder,
    get_embedder,
)
from .base import Embedder, EmbedderIdentity, embedder_identity, l2_normalize
from .cache import CacheStats, EmbeddingCache, chunk_bounds, chunk_key, embed_cached, text_hash

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "CacheStats",
    "E5Embedder",
    "Embedder",
    "EmbedderIdentity",
    "EmbeddingCache",
    "LanguageCentering",
    "SentenceTransformerEmbedder",
    "TfidfSvdEmbedder",
    "chunk_bounds",
    "chunk_key",
    "embed_cached",
    "embedder_identity",
    "get_embedder",
    "l2_normalize",
    "text_hash",
]
