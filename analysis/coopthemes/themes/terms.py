"""Describe fitted themes: top terms per language, language mix, representatives."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .tokenize import make_vectorizer

__all__ = ["describe_themes", "language_top_terms", "theme_centroids"]

TERM_LANGUAGES = ("vi", "fr", "en")


def theme_centroids(X: np.ndarray, labels: np.ndarray) -> dict[int, np.ndarray]:
    """Unit mean vector of each non-outlier theme.

    Parameters
    ----------
    X : ndarray of shape (n_passages, dim)
    labels : ndarray of int, shape (n_passages,)
    """
    out = {}
    for tid in sorted(set(labels.tolist()) - {-1}):
        m = X[labels == tid].mean(axis=0)
        n = np.linalg.norm(m)
        out[tid] = m / n if n > 0 else m
    return out


def language_top_terms(
    tokens: Sequence[str],
    labels: np.ndarray,
    languages: Sequence[str],
    *,
    language: str,
    top_n: int = 10,
) -> dict[int, list[str]]:
    """Top c-TF-IDF terms of each theme, counted on one language's passages.

    c-TF-IDF (BERTopic's ``ClassTfidfTransformer``) treats the passages of a
    theme in ``language`` as one document; the other themes' passages in the
    same language are the background. Themes without a passage in
    ``language`` get an empty list.

    Returns
    -------
    dict of theme_id -> list of str, best first; ties broken alphabetically.
    """
    from bertopic.vectorizers import ClassTfidfTransformer

    langs = np.asarray(languages)
    mask = (langs == language) & (labels != -1)
    themes = sorted(set(labels[mask].tolist()))
    if not themes:
        return {}
    docs = [" ".join(np.asarray(tokens, dtype=object)[mask & (labels == t)]) for t in themes]
    vec = make_vectorizer()
    try:
        counts = vec.fit_transform(docs)
    except ValueError:  # no words at all in this language
        return {t: [] for t in themes}
    weights = ClassTfidfTransformer().fit_transform(counts).toarray()
    vocab = np.asarray(vec.get_feature_names_out())
    out = {}
    for row, tid in enumerate(themes):
        w = weights[row]
        order = np.lexsort((vocab, -w))
        out[tid] = [str(vocab[j]) for j in order[:top_n] if w[j] > 0]
    return out


def _language_mix(langs: np.ndarray) -> str:
    values, counts = np.unique(langs, return_counts=True)
    shares = {str(v): round(float(c) / len(langs), 4) for v, c in zip(values, counts)}
    return json.dumps(shares, sort_keys=True)


def _representatives(X, labels, ids, tid, centre, k) -> list[str]:
    idx = np.flatnonzero(labels == tid)
    sims = X[idx] @ centre
    order = np.lexsort((np.asarray(ids, dtype=object)[idx].astype(str), -np.round(sims, 6)))
    return [str(ids[idx[j]]) for j in order[:k]]


def _discovered_label(tid: int, terms: Mapping[str, list[str]]) -> str:
    words = []
    for lang in TERM_LANGUAGES:
        for w in terms.get(lang, [])[:2]:
            if w not in words:
                words.append(w)
    tail = ", ".join(words[:4]) if words else "no terms"
    return f"D{tid}: {tail}"


def describe_themes(
    *,
    labels: np.ndarray,
    tokens: Sequence[str],
    languages: Sequence[str],
    passage_ids: Sequence[str],
    embeddings: np.ndarray,
    codebook_ids: Mapping[int, str],
    codebook_labels: Mapping[int, str],
    top_n: int = 10,
    n_representative: int = 3,
) -> pd.DataFrame:
    """Build the ``themes`` table.

    Returns
    -------
    DataFrame
        Columns of :data:`coopthemes.schema.THEME_COLUMNS`, one row per
        non-outlier theme, sorted by ``theme_id``. Discovered themes are named
        ``"D<id>: <top terms>"``.
    """
    labels = np.asarray(labels)
    langs = np.asarray(languages)
    terms = {lang: language_top_terms(tokens, labels, languages, language=lang, top_n=top_n)
             for lang in TERM_LANGUAGES}
    cents = theme_centroids(embeddings, labels)
    rows = []
    for tid in sorted(cents):
        t_terms = {lang: terms[lang].get(tid, []) for lang in TERM_LANGUAGES}
        rows.append(
            {
                "theme_id": int(tid),
                "theme": codebook_labels.get(tid) or _discovered_label(tid, t_terms),
                "codebook_id": codebook_ids.get(tid),
                "size": int((labels == tid).sum()),
                "top_terms_vi": t_terms["vi"],
                "top_terms_fr": t_terms["fr"],
                "top_terms_en": t_terms["en"],
                "language_mix": _language_mix(langs[labels == tid]),
                "representative_passages": _representatives(
                    embeddings, labels, list(passage_ids), tid, cents[tid], n_representative
                ),
            }
        )
    df = pd.DataFrame(rows, columns=[
        "theme_id", "theme", "codebook_id", "size", "top_terms_vi", "top_terms_fr",
        "top_terms_en", "language_mix", "representative_passages",
    ])
    df["codebook_id"] = df["codebook_id"].astype("string")
    return df
