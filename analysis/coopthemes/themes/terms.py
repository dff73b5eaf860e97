"""Describe fitted themes: top terms per language, language mix, representatives.

Top terms form a long table (``theme_id, language, rank, term, weight``,
:data:`~coopthemes.schema.TERM_COLUMNS`) so that any set of languages works:
c-TF-IDF is counted separately on each language's passages, so that a
theme's Vietnamese terms come from its Vietnamese passages only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..schema import TERM_COLUMNS, THEME_COLUMNS
from .numerics import exact_dot
from .tokenize import make_vectorizer

__all__ = ["corpus_languages", "describe_themes", "discovered_label", "language_top_terms", "top_terms_by_language"]

#: Language code of passages whose language is unknown; they get no terms of their own.
UNKNOWN_LANGUAGE = "und"


def corpus_languages(languages: Sequence[str]) -> list[str]:
    """Languages of the passages, most frequent first (ties by code), unknown left out."""
    values, counts = np.unique(np.asarray([str(v) for v in languages]), return_counts=True)
    order = sorted(zip(values.tolist(), counts.tolist()), key=lambda vc: (-vc[1], vc[0]))
    return [v for v, _ in order if v != UNKNOWN_LANGUAGE]


def language_top_terms(
    tokens: Sequence[str],
    labels: np.ndarray,
    languages: Sequence[str],
    *,
    language: str,
    top_n: int = 10,
) -> dict[int, list[tuple[str, float]]]:
    """Top c-TF-IDF terms of each theme, counted on one language's passages.

    c-TF-IDF (BERTopic's ``ClassTfidfTransformer``) treats the passages of a
    theme in ``language`` as one document; the other themes' passages in the
    same language are the background. Themes without a passage in
    ``language`` are left out.

    Returns
    -------
    dict of theme_id -> list of (term, weight), best first; ties broken alphabetically.
    """
    from bertopic.vectorizers import ClassTfidfTransformer

    langs = np.asarray(languages)
    mask = (langs == language) & (labels != -1)
    themes = sorted(set(labels[mask].tolist()))
    if not themes:
        return {}
    tokens = np.asarray(tokens, dtype=object)
    docs = [" ".join(tokens[mask & (labels == t)]) for t in themes]
    vec = make_vectorizer()
    try:
        counts = vec.fit_transform(docs)
    except ValueError:  # no words at all in this language
        return {t: [] for t in themes}
    weights = ClassTfidfTransformer().fit_transform(counts).toarray()
    vocab = np.asarray(vec.get_feature_names_out())
    out = {}
    for row, tid in enumerate(themes):
        w = np.round(weights[row], 6)
        order = np.lexsort((vocab, -w))
        out[tid] = [(str(vocab[j]), float(w[j])) for j in order[:top_n] if w[j] > 0]
    return out


def _language_mix(langs: np.ndarray) -> str:
    values, counts = np.unique(langs, return_counts=True)
    shares = {str(v): round(float(c) / len(langs), 4) for v, c in zip(values, counts)}
    return json.dumps(shares, sort_keys=True)


def _representatives(Q, labels, ids, tid, centre, k) -> list[str]:
    """The ``k`` passages of a theme nearest its centre (exact similarities; ties by passage id)."""
    idx = np.flatnonzero(labels == tid)
    sims = exact_dot(Q[idx], centre[None, :])[:, 0]
    order = np.lexsort((np.asarray(ids, dtype=object)[idx].astype(str), -sims))
    return [str(ids[idx[j]]) for j in order[:k]]


def top_terms_by_language(terms: pd.DataFrame, theme_id: int) -> dict[str, list[str]]:
    """A theme's terms from the long ``terms`` table: language -> terms, best first."""
    rows = terms[terms["theme_id"] == theme_id].sort_values(["language", "rank"])
    return {str(lang): part["term"].astype(str).tolist() for lang, part in rows.groupby("language", sort=True)}


def discovered_label(tid: int, terms: Mapping[str, list[str]], languages: Sequence[str]) -> str:
    """``"D<id>: <two top terms of each language>"``, at most four terms."""
    words: list[str] = []
    for lang in languages:
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
    grid: np.ndarray,
    centres: np.ndarray,
    codebook_ids: Mapping[int, str],
    codebook_labels: Mapping[int, str],
    top_n: int = 10,
    n_representative: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the ``themes`` and ``terms`` tables.

    ``grid`` holds the passages' grid vectors and ``centres`` each theme's
    (:mod:`.numerics`): representatives are ranked by exact similarity.

    Returns
    -------
    themes : DataFrame
        Columns of :data:`coopthemes.schema.THEME_COLUMNS`, one row per
        non-outlier theme, sorted by ``theme_id``. Discovered themes are named
        ``"D<id>: <top terms>"``.
    terms : DataFrame
        Columns of :data:`coopthemes.schema.TERM_COLUMNS`: each theme's top
        terms in each language of its passages, ``rank`` from 1, ``weight``
        the c-TF-IDF value (6 decimals); sorted by theme, language, rank.
    """
    labels = np.asarray(labels)
    langs = np.asarray([str(v) for v in languages])
    order = corpus_languages(langs)
    by_lang = {lang: language_top_terms(tokens, labels, langs, language=lang, top_n=top_n) for lang in order}
    term_rows = [
        {"theme_id": int(tid), "language": lang, "rank": rank, "term": term, "weight": weight}
        for lang in sorted(by_lang)
        for tid, pairs in sorted(by_lang[lang].items())
        for rank, (term, weight) in enumerate(pairs, start=1)
    ]
    terms = pd.DataFrame(term_rows, columns=list(TERM_COLUMNS)).astype(
        {"theme_id": "int64", "language": "string", "rank": "int64", "term": "string", "weight": "float64"}
    )
    terms = terms.sort_values(["theme_id", "language", "rank"], ignore_index=True)
    rows = []
    for tid in sorted(set(labels.tolist()) - {-1}):
        words = {lang: [t for t, _ in by_lang[lang].get(tid, [])] for lang in order}
        rows.append({
            "theme_id": int(tid),
            "theme": codebook_labels.get(tid) or discovered_label(tid, words, order),
            "codebook_id": codebook_ids.get(tid),
            "label_confidence": np.nan,
            "size": int((labels == tid).sum()),
            "stability": np.nan,
            "unstable": False,
            "language_mix": _language_mix(langs[labels == tid]),
            "representative_passages": _representatives(
                grid, labels, list(passage_ids), tid, centres[tid], n_representative
            ),
        })
    themes = pd.DataFrame(rows, columns=list(THEME_COLUMNS))
    themes["codebook_id"] = themes["codebook_id"].astype("string")
    return themes, terms
