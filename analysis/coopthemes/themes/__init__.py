"""Cross-lingual cooperation themes (BERTopic + UMAP + HDBSCAN, guided by a codebook)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codebook import Codebook, CodebookError, load_codebook
from .model import ThemeModel, ThemeOptions, auto_min_cluster_size, auto_min_samples, max_cluster_size

__all__ = [
    "Codebook",
    "CodebookError",
    "ThemeModel",
    "ThemeOptions",
    "auto_min_cluster_size",
    "auto_min_samples",
    "max_cluster_size",
    "fit_themes",
    "load_codebook",
    "theme_map",
]


def fit_themes(
    passages: pd.DataFrame,
    embeddings: np.ndarray,
    *,
    embedder,
    codebook: Codebook | None = None,
    options: ThemeOptions = ThemeOptions(),
) -> tuple[pd.DataFrame, pd.DataFrame, ThemeModel]:
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
    options : ThemeOptions

    Returns
    -------
    assignments : DataFrame
        ``passage_id, theme_id, theme, probability, is_outlier``.
    themes : DataFrame
        See :data:`coopthemes.schema.THEME_COLUMNS`.
    model : ThemeModel
        Fitted; ``model.save(folder)`` persists it.
    """
    model = ThemeModel(embedder=embedder, codebook=codebook, options=options).fit(
        passages["text"].tolist(),
        embeddings,
        passages["language"].fillna("und").tolist(),
        passages["passage_id"].tolist(),
    )
    return model.assignments(), model.themes(), model


def theme_map(model: ThemeModel, *, random_state: int = 0, max_points: int = 5000) -> pd.DataFrame:
    """2-D coordinates of passages for the theme map (seeded UMAP on centred vectors).

    Above ``max_points`` passages a seeded sample is drawn: more points only
    overplot the figure, and the map's UMAP would take as long as the theme
    model's own.

    Returns
    -------
    DataFrame
        ``passage_id, x, y, theme_id, theme, language``.
    """
    from umap import UMAP

    X = model.embeddings_
    n = X.shape[0]
    idx = np.arange(n)
    if n > max_points:
        idx = np.sort(np.random.default_rng(random_state).choice(n, max_points, replace=False))
    xy = UMAP(
        n_neighbors=max(2, min(15, len(idx) - 1)),
        n_components=2,
        min_dist=0.1,
        metric="cosine",
        init="pca",
        random_state=random_state,
        n_jobs=1,
    ).fit_transform(X[idx])
    a = model.assignments().set_index("passage_id")
    ids = [model.passage_ids_[i] for i in idx]
    return pd.DataFrame(
        {
            "passage_id": ids,
            "x": np.round(xy[:, 0].astype(float), 5),
            "y": np.round(xy[:, 1].astype(float), 5),
            "theme_id": a.loc[ids, "theme_id"].to_numpy(),
            "theme": a.loc[ids, "theme"].to_numpy(),
            "language": [model.languages_[i] for i in idx],
        }
    ).sort_values("passage_id", ignore_index=True)
