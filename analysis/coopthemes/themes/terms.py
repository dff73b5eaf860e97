"""Describe fitted themes: top terms per language, language mix, representatives.

Top terms form a long table (``theme_id, language, rank, term, weight``,
:data:`~coopthemes.schema.TERM_COLUMNS`) so that any set of languages works:
c-TF-IDF is counted separately on each language's passages, so that a
theme's Vietnamese terms come from its Vietnamese passages only. Beside them,
:func:`frex_terms` weighs terms by frequency and exclusivity (stm's FREX), and
:func:`representatives_by_language` picks each theme's most typical passages
in each language (stm's ``findThoughts``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..schema import TERM_COLUMNS, THEME_COLUMNS
from .numerics import exact_dot
from .tokenize import make_vectorizer

__all__ = [
    "REPRESENTATIVE_COLUMNS",
    "class_tfidf",
    "corpus_languages",
    "describe_themes",
    "discovered_label",
    "frex_terms",
    "language_top_terms",
    "representatives_by_language",
    "terms_table",
    "top_terms_by_language",
]

#: Language code of passages whose language is unknown; they get no terms of their own.
UNKNOWN_LANGUAGE = "und"


def corpus_languages(languages: Sequence[str]) -> list[str]:
    """Languages of the passages, most frequent first (ties by code), unknown left out."""
    values, counts = np.unique(np.asarray([str(v) for v in languages]), return_counts=True)
    order = sorted(zip(values.tolist(), counts.tolist()), key=lambda vc: (-vc[1], vc[0]))
    return [v for v, _ in order if v != UNKNOWN_LANGUAGE]


def class_tfidf(counts: np.ndarray) -> np.ndarray:
    """c-TF-IDF weights of a themes x terms count matrix (BERTopic's ``ClassTfidfTransformer``).

    Each row (the passages of one theme, joined) is L1-normalised and
    multiplied by ``log(1 + A / f_w)``, where ``A`` is the mean number of
    words per theme (as an integer) and ``f_w`` the frequency of term ``w``
    over all themes: the same operations in the same order as BERTopic 0.17,
    without importing it.

    Parameters
    ----------
    counts : ndarray of shape (n_themes, n_terms), integers

    Returns
    -------
    ndarray of shape (n_themes, n_terms), float64
    """
    counts = np.asarray(counts, dtype=np.float64)
    frequency = counts.sum(axis=0)
    average = int(counts.sum(axis=1).mean())
    totals = counts.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):  # a term in no theme: weight NaN, never ranked
        idf = np.log((average / frequency) + 1)
        return (counts / totals) * idf[None, :]


def _language_counts(tokens, labels, languages, language) -> tuple[list[int], np.ndarray, np.ndarray] | None:
    """Themes with passages in ``language``, their term counts (themes x terms) and the sorted vocabulary."""
    langs = np.asarray(languages)
    mask = (langs == language) & (labels != -1)
    themes = sorted(set(labels[mask].tolist()))
    if not themes:
        return None
    tokens = np.asarray(tokens, dtype=object)
    docs = [" ".join(tokens[mask & (labels == t)]) for t in themes]
    vec = make_vectorizer()
    try:
        counts = vec.fit_transform(docs)
    except ValueError:  # no words at all in this language
        return themes, np.zeros((len(themes), 0)), np.asarray([], dtype=object)
    return themes, counts.toarray(), np.asarray(vec.get_feature_names_out())


def _ranked(vocab: np.ndarray, scores: np.ndarray, present: np.ndarray, top_n: int) -> list[tuple[str, float]]:
    """Terms by score (rounded to 6 decimals), best first, ties alphabetical; only ``present`` terms."""
    w = np.round(scores, 6)
    order = np.lexsort((vocab, -w))
    return [(str(vocab[j]), float(w[j])) for j in order if present[j]][:top_n]


def language_top_terms(
    tokens: Sequence[str],
    labels: np.ndarray,
    languages: Sequence[str],
    *,
    language: str,
    top_n: int = 10,
) -> dict[int, list[tuple[str, float]]]:
    """Top c-TF-IDF terms of each theme, counted on one language's passages.

    c-TF-IDF (:func:`class_tfidf`) treats the passages of a theme in
    ``language`` as one document; the other themes' passages in the same
    language are the background. Themes without a passage in ``language``
    are left out.

    Returns
    -------
    dict of theme_id -> list of (term, weight), best first; ties broken alphabetically.
    """
    labels = np.asarray(labels)
    found = _language_counts(tokens, labels, languages, language)
    if found is None:
        return {}
    themes, counts, vocab = found
    if not vocab.size:
        return {t: [] for t in themes}
    weights = class_tfidf(counts)
    return {tid: _ranked(vocab, weights[row], weights[row] > 0, top_n) for row, tid in enumerate(themes)}


def _shrunk_exclusivity(share: np.ndarray, count: float) -> np.ndarray:
    """James-Stein shrinkage of one term's shares over themes toward uniform (stm's ``js.estimate``)."""
    uniform = np.full(share.shape, 1.0 / share.size)
    if count <= 1:
        return uniform
    deviation = float(((share - uniform) ** 2).sum())
    if deviation == 0.0:
        return share
    shrink = min(max(float((share * (1.0 - share) / (count - 1)).sum()) / deviation, 0.0), 1.0)
    return shrink * uniform + (1.0 - shrink) * share


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1 (smallest) with ties sharing their average rank, like R's ``frank``."""
    from scipy.stats import rankdata

    return rankdata(values, method="average")


def frex_terms(
    tokens: Sequence[str],
    labels: np.ndarray,
    languages: Sequence[str],
    *,
    language: str,
    top_n: int = 10,
    weight: float = 0.5,
) -> dict[int, list[tuple[str, float]]]:
    """Terms of each theme by frequency and exclusivity (FREX), on one language's passages.

    FREX (Bischof and Airoldi 2012; Roberts et al. 2014, stm's
    ``labelTopics``) is the weighted harmonic mean of a term's rank in the
    theme by frequency and by exclusivity, each as a share of the
    vocabulary: ``1 / (weight / rank_excl + (1 - weight) / rank_freq)``.
    Frequency is the term's share of the theme's words; exclusivity is that
    share over the sum of the term's shares in all themes, shrunk toward
    uniform by the term's count (James-Stein, as stm does), so that a word
    seen once is not taken as exclusive.

    Returns
    -------
    dict of theme_id -> list of (term, FREX score in (0, 1]), best first;
    only terms that occur in the theme; ties broken alphabetically.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"frex weight: expected a number in [0, 1], got {weight!r}")
    labels = np.asarray(labels)
    found = _language_counts(tokens, labels, languages, language)
    if found is None:
        return {}
    themes, counts, vocab = found
    if not vocab.size:
        return {t: [] for t in themes}
    totals = counts.sum(axis=1, keepdims=True)
    totals[totals == 0] = 1.0
    beta = counts / totals
    mass = beta.sum(axis=0)
    mass[mass == 0] = 1.0
    exclusivity = beta / mass[None, :]
    term_counts = counts.sum(axis=0)
    for j in range(exclusivity.shape[1]):
        exclusivity[:, j] = _shrunk_exclusivity(exclusivity[:, j], float(term_counts[j]))
    size = float(vocab.size)
    out = {}
    for row, tid in enumerate(themes):
        freq = _average_ranks(beta[row]) / size
        excl = _average_ranks(exclusivity[row]) / size
        frex = 1.0 / (weight / excl + (1.0 - weight) / freq)
        out[tid] = _ranked(vocab, frex, counts[row] > 0, top_n)
    return out


#: Columns of the table returned by :func:`representatives_by_language`.
REPRESENTATIVE_COLUMNS = ("theme_id", "language", "rank", "passage_id", "similarity")


def representatives_by_language(
    grid: np.ndarray,
    labels: np.ndarray,
    passage_ids: Sequence[str],
    languages: Sequence[str],
    centres: np.ndarray,
    *,
    k: int = 3,
) -> pd.DataFrame:
    """Each theme's ``k`` passages nearest its centre in each language (stm's ``findThoughts``, per language).

    Parameters
    ----------
    grid : ndarray of shape (n_passages, dim)
        The passages' grid vectors (:mod:`.numerics`).
    labels : ndarray of int, shape (n_passages,)
        Theme of each passage (-1: none).
    passage_ids, languages : sequence of str, length n_passages
    centres : ndarray of shape (n_ids, dim)
        Grid centre of each theme id.
    k : int
        Passages per theme and language.

    Returns
    -------
    DataFrame
        :data:`REPRESENTATIVE_COLUMNS`: ``similarity`` is the exact cosine
        similarity of the passage to its theme's centre; ranked by it, ties
        by passage id; sorted by theme, language, rank.
    """
    labels = np.asarray(labels)
    langs = np.asarray([str(v) for v in languages], dtype=object)
    ids = np.asarray([str(v) for v in passage_ids], dtype=object)
    rows = []
    for tid in sorted(set(labels.tolist()) - {-1}):
        for lang in sorted(set(langs[labels == tid].tolist())):
            idx = np.flatnonzero((labels == tid) & (langs == lang))
            sims = exact_dot(grid[idx], centres[tid][None, :])[:, 0]
            order = np.lexsort((ids[idx].astype(str), -sims))[:k]
            rows += [{"theme_id": int(tid), "language": lang, "rank": rank, "passage_id": str(ids[idx[j]]),
                      "similarity": round(float(sims[j]), 6)} for rank, j in enumerate(order, start=1)]
    out = pd.DataFrame(rows, columns=list(REPRESENTATIVE_COLUMNS))
    return out.astype({"theme_id": "int64", "language": "string", "rank": "int64", "passage_id": "string",
                       "similarity": "float64"})


def terms_table(by_lang: Mapping[str, Mapping[int, list[tuple[str, float]]]]) -> pd.DataFrame:
    """The long terms table (:data:`~coopthemes.schema.TERM_COLUMNS`) of language -> theme -> (term, weight)."""
    term_rows = [
        {"theme_id": int(tid), "language": lang, "rank": rank, "term": term, "weight": weight}
        for lang in sorted(by_lang)
        for tid, pairs in sorted(by_lang[lang].items())
        for rank, (term, weight) in enumerate(pairs, start=1)
    ]
    terms = pd.DataFrame(term_rows, columns=list(TERM_COLUMNS)).astype(
        {"theme_id": "int64", "language": "string", "rank": "int64", "term": "string", "weight": "float64"}
    )
    return terms.sort_values(["theme_id", "language", "rank"], ignore_index=True)


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
    terms = terms_table(by_lang)
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
