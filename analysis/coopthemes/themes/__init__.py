"""Cross-lingual cooperation themes (BERTopic + UMAP + HDBSCAN, guided by a codebook).

Modules: :mod:`.model` (:class:`ThemeModel`: fit, assign, describe, save and
load), :mod:`.codebook` (the editable codebook), :mod:`.tokenize` (words and
stop words per language), :mod:`.terms` (top terms, language mix,
representative passages), :mod:`.cache` (reuse of an identical fit),
:mod:`.bertopic_adapter` (BERTopic's view of an embedder).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import ThemesConfig
from .codebook import Codebook, CodebookError, load_codebook
from .model import ThemeModel, auto_min_cluster_size, auto_min_samples, max_cluster_size

__all__ = [
    "Codebook",
    "CodebookError",
    "ThemeModel",
    "auto_min_cluster_size",
    "auto_min_samples",
    "max_cluster_size",
    "fit_themes",
    "load_codebook",
]


def fit_themes(
    passages: pd.DataFrame,
    embeddings: np.ndarray,
    *,
    embedder,
    codebook: Codebook | None = None,
    options: ThemesConfig | None = None,
    random_state: int = 0,
    fit_on: np.ndarray | None = None,
    progress=None,
) -> ThemeModel:
    """Fit themes on kept passages.

    Parameters
    ----------
    passages : DataFrame
        Rows to model (``passage_id, text, language``), in the order of
        ``embeddings``; normally the kept rows of the ``passages`` table.
    embeddings : ndarray of shape (n_passages, dim)
        Not modified.
    embedder : coopthemes.embeddings.Embedder
        The model that made ``embeddings`` (it also embeds the codebook).
    codebook : Codebook, optional
    options : ThemesConfig, optional
    random_state : int
    fit_on : ndarray of bool, optional
        The passages the model is fitted on (default all); the others are
        assigned to the fitted themes.
    progress : callable, optional
        Called with the number of finished fits.

    Returns
    -------
    ThemeModel
        Fitted: ``assignments()``, ``themes()``, ``terms()``, ``theme_map()``,
        ``save(folder)``.
    """
    model = ThemeModel(embedder=embedder, codebook=codebook, options=options, random_state=random_state)
    return model.fit(
        passages["text"].tolist(),
        embeddings,
        passages["language"].fillna("und").tolist(),
        passages["passage_id"].tolist(),
        lead=lead_passages(passages, model.options.codebook_lead_passages),
        documents=passages["doc_id"].astype(str).tolist() if "doc_id" in passages else None,
        fit_on=fit_on,
        progress=progress,
    )


def lead_passages(passages: pd.DataFrame, n: int) -> np.ndarray:
    """Whether each passage is among the first ``n`` of its document (by ``position``; none without it)."""
    if n <= 0 or "doc_id" not in passages or "position" not in passages:
        return np.zeros(len(passages), dtype=bool)
    rank = passages.groupby("doc_id", sort=False)["position"].rank(method="first")
    return (rank <= n).to_numpy(dtype=bool)
