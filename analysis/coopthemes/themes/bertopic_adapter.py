"""BERTopic's view of a coopthemes embedder (the only module that subclasses BERTopic's classes)."""

from __future__ import annotations

import numpy as np
from bertopic.backend import BaseEmbedder

from .codebook import Codebook, seed_words

__all__ = ["BertopicEmbedder"]


class BertopicEmbedder(BaseEmbedder):
    """BERTopic's embedding model: a coopthemes embedder that knows the codebook.

    BERTopic embeds zero-shot topic labels and guided seed words with its
    embedding model. Those texts map to the codebook's theme vectors (built
    from every language's descriptions, each centred with its language's
    mean); any other text is embedded with ``embedder`` and centred with the
    corpus mean, so it lives in the same space as the passages.

    Parameters
    ----------
    embedder : coopthemes.embeddings.Embedder or None
        None for a model loaded only to read or assign precomputed vectors;
        asking it to embed text then raises.
    centring : LanguageCentering or None
    codebook : Codebook or None
    vectors : ndarray of shape (n_codebook_themes, dim) or None
    """

    def __init__(self, embedder, centring, codebook: Codebook | None, vectors: np.ndarray | None):
        super().__init__()
        self.embedder = embedder
        self.centring = centring
        self.lookup: dict[str, np.ndarray] = {}
        if codebook is not None and vectors is not None:
            for theme, vec in zip(codebook.themes, vectors, strict=True):
                self.lookup[theme.label] = vec
                self.lookup[" ".join(seed_words(theme))] = vec

    def embed(self, documents, verbose: bool = False) -> np.ndarray:
        docs = list(documents)
        todo = [i for i, d in enumerate(docs) if d not in self.lookup]
        fresh = {}
        if todo:
            if self.embedder is None:
                raise RuntimeError("this theme model was loaded without an embedder: pass embeddings")
            vecs = np.asarray(self.embedder.embed([docs[i] for i in todo]), dtype=np.float32)
            if self.centring is not None:
                vecs = self.centring.transform(vecs, [None] * len(todo))
            fresh = dict(zip(todo, vecs))
        rows = [self.lookup[d] if i not in fresh else fresh[i] for i, d in enumerate(docs)]
        return np.vstack(rows).astype(np.float32)
