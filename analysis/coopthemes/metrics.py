"""Evaluation metrics for theme models.

Pure functions on label arrays and term lists. Conventions shared by every
function here:

* ``labels`` are the predicted theme ids of the passages, one per passage,
  with ``-1`` marking an outlier (BERTopic's convention).
* Label arrays must be one-dimensional, non-empty and free of missing values;
  arrays that are compared must have the same length. Bad input raises
  ``ValueError`` (or ``TypeError``) naming the argument and the problem.
* A metric that is undefined for valid input (no non-outlier passage, no
  parallel group, no theme with two known terms) is ``nan``;
  :func:`summarize_metrics` reports it as ``None`` so the result is valid JSON.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

__all__ = [
    "OUTLIER",
    "Coherence",
    "ari",
    "coherence_by_language",
    "coherence_npmi",
    "coherence_overall",
    "crosslingual_consistency",
    "language_mix",
    "language_purity",
    "nmi",
    "outlier_rate",
    "stability",
    "summarize_metrics",
    "topic_diversity",
]

#: Label of a passage that belongs to no theme.
OUTLIER = -1

#: Number of decimals kept by :func:`summarize_metrics`.
_DECIMALS = 6

#: Top terms per theme used by :func:`summarize_metrics` for coherence and diversity.
_COHERENCE_TOP_N = 10
_DIVERSITY_TOP_N = 25


class Coherence(NamedTuple):
    """NPMI coherence of a set of themes.

    Attributes
    ----------
    per_theme : dict
        Theme key -> mean NPMI of its pairs of top terms (``nan`` when fewer
        than two of its top terms occur in the corpus), in input order.
    mean : float
        Unweighted mean of the finite per-theme values (``nan`` if none).
    """

    per_theme: dict
    mean: float


# --------------------------------------------------------------------------
# input checks


def _as_labels(values, name: str, *, allow_missing: bool = False) -> np.ndarray:
    """Return ``values`` as a 1-D numpy array after checking shape and gaps."""
    if np.ndim(values) != 1:
        raise ValueError(f"{name}: expected a one-dimensional array, got {np.ndim(values)} dimensions")
    series = pd.Series(values)
    if series.empty:
        raise ValueError(f"{name}: is empty")
    if not allow_missing and series.isna().any():
        first = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise ValueError(f"{name}: missing value at position {first}")
    return series.to_numpy()


def _check_same_length(**arrays: np.ndarray) -> None:
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"arrays differ in length: {described}")


def _as_tokenized(tokenized_docs, name: str) -> list:
    """Return the corpus as a list after checking it holds token collections."""
    if isinstance(tokenized_docs, str | bytes) or not hasattr(tokenized_docs, "__iter__"):
        raise TypeError(f"{name}: expected a list of token lists, got {type(tokenized_docs).__name__}")
    docs = list(tokenized_docs)
    if not docs:
        raise ValueError(f"{name}: the corpus is empty")
    for i, doc in enumerate(docs):
        if isinstance(doc, str | bytes) or not hasattr(doc, "__iter__"):
            raise TypeError(f"{name}[{i}]: expected a list of tokens, got {type(doc).__name__}")
    return docs


def _finite_or_none(value) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), _DECIMALS)


# --------------------------------------------------------------------------
# outliers and agreement with gold labels


def outlier_rate(labels) -> float:
    """Share of passages labelled as outliers.

    Parameters
    ----------
    labels : array-like of shape (n_passages,)
        Predicted theme ids, ``-1`` for an outlier.

    Returns
    -------
    float
        ``count(labels == -1) / n_passages``.
    """
    arr = _as_labels(labels, "labels")
    return float(np.mean(arr == OUTLIER))


def _gold_and_pred(labels_true, labels_pred) -> tuple[np.ndarray, np.ndarray]:
    true = _as_labels(labels_true, "labels_true")
    pred = _as_labels(labels_pred, "labels_pred")
    _check_same_length(labels_true=true, labels_pred=pred)
    return true, pred


def nmi(labels_true, labels_pred, *, drop_outliers: bool = False) -> float:
    """Normalised mutual information with gold labels (arithmetic average).

    Parameters
    ----------
    labels_true : array-like of shape (n_passages,)
        Gold theme labels (any hashable values).
    labels_pred : array-like of shape (n_passages,)
        Predicted theme ids, ``-1`` for an outlier.
    drop_outliers : bool, default False
        By default the outliers form one class of their own, so a model is
        not rewarded for declining to assign passages. With ``True`` the rows
        *predicted* ``-1`` are removed first (``nmi_no_outliers``); gold
        labels are never used to drop rows.

    Returns
    -------
    float
        ``MI / mean(H(true), H(pred))`` in [0, 1]; ``nan`` when every row is
        dropped.
    """
    true, pred = _gold_and_pred(labels_true, labels_pred)
    if drop_outliers:
        keep = pred != OUTLIER
        true, pred = true[keep], pred[keep]
        if len(pred) == 0:
            return float("nan")
    return float(normalized_mutual_info_score(true, pred, average_method="arithmetic"))


def ari(labels_true, labels_pred) -> float:
    """Adjusted Rand index with gold labels; outliers (``-1``) form one class.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_passages,)
        Gold labels and predicted theme ids.

    Returns
    -------
    float
        ARI: 1 for identical partitions, about 0 for chance, negative below.
    """
    true, pred = _gold_and_pred(labels_true, labels_pred)
    return float(adjusted_rand_score(true, pred))


# --------------------------------------------------------------------------
# coherence


def _doc_term_matrix(terms: Sequence[str], tokenized_docs) -> sparse.csr_matrix:
    """Binary matrix of shape (n_docs, n_terms): does document d contain term t."""
    index = {term: j for j, term in enumerate(terms)}
    rows, cols = [], []
    for d, doc in enumerate(tokenized_docs):
        present = sorted({index[tok] for tok in doc if tok in index})
        rows.extend([d] * len(present))
        cols.extend(present)
    data = np.ones(len(rows), dtype=np.float64)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(tokenized_docs), len(terms)))


def _npmi(p1: float, p2: float, p12: float, eps: float) -> float:
    if p12 <= 0.0:
        return -1.0
    denom = -math.log(p12)
    if denom <= eps:
        return 1.0
    return math.log(p12 / (p1 * p2)) / denom


def _theme_terms(terms: Sequence[str], top_n: int, known: Mapping[str, int]) -> list[str]:
    """The first ``top_n`` distinct terms, then those absent from the corpus removed."""
    head = list(dict.fromkeys(terms))[:top_n]
    return [t for t in head if t in known]


def coherence_npmi(top_terms: Mapping[Hashable, Sequence[str]], tokenized_docs, *,
                   top_n: int = 10, eps: float = 1e-12) -> Coherence:
    """NPMI coherence of each theme's top terms, counted on the corpus itself.

    Each document is the set of its tokens. With ``N`` documents,
    ``p(w) = #docs containing w / N`` and ``p(w1, w2) = #docs containing both
    / N``; ``NPMI = log(p12 / (p1 p2)) / -log(p12)``, ``-1`` for a pair that
    never co-occurs and ``1`` when ``p12 = 1`` (``-log p12 <= eps``). A
    theme's value is the mean NPMI over the pairs of its top terms.

    Terms are matched as whole tokens, so a multi-word token such as the
    Vietnamese word ``"tội phạm"`` matches only the token ``"tội phạm"``
    (never the syllables ``"tội"``, ``"phạm"``). Matching is exact (no case
    folding): ``tokenized_docs`` must come from the tokenizer that produced
    the terms, e.g. the topic model's vectorizer analyzer.

    A theme's terms are de-duplicated and cut to the first ``top_n``; terms
    that occur in no document are then skipped (not replaced by lower-ranked
    terms). A theme left with fewer than two terms scores ``nan`` and does not
    enter the mean.

    Parameters
    ----------
    top_terms : mapping of theme -> list of str
        Ranked top terms of each theme (exclude the outlier theme).
    tokenized_docs : list of list of str
        The corpus, one token list per document, length ``n_docs``.
    top_n : int, default 10
        Number of top terms per theme.
    eps : float, default 1e-12
        Tolerance under which ``-log p12`` counts as zero.

    Returns
    -------
    Coherence
        ``per_theme`` (dict theme -> float) and ``mean`` (float).
    """
    if top_n < 2:
        raise ValueError(f"top_n: must be at least 2, got {top_n}")
    tokenized_docs = _as_tokenized(tokenized_docs, "tokenized_docs")
    wanted = sorted({t for terms in top_terms.values() for t in list(terms)[:top_n]})
    matrix = _doc_term_matrix(wanted, tokenized_docs)
    n_docs = matrix.shape[0]
    doc_freq = np.asarray(matrix.sum(axis=0)).ravel()
    co_freq = (matrix.T @ matrix).toarray()
    known = {t: j for j, t in enumerate(wanted) if doc_freq[j] > 0}
    per_theme = {}
    for theme, terms in top_terms.items():
        idx = [known[t] for t in _theme_terms(terms, top_n, known)]
        scores = [_npmi(doc_freq[i] / n_docs, doc_freq[j] / n_docs, co_freq[i, j] / n_docs, eps)
                  for i, j in itertools.combinations(idx, 2)]
        per_theme[theme] = float(np.mean(scores)) if scores else float("nan")
    finite = [v for v in per_theme.values() if math.isfinite(v)]
    return Coherence(per_theme=per_theme, mean=float(np.mean(finite)) if finite else float("nan"))


def _coherence_per_language(themes_terms_by_lang, tokenized_docs_by_lang, *,
                            top_n: int) -> dict[str, Coherence]:
    missing = sorted(set(themes_terms_by_lang) - set(tokenized_docs_by_lang))
    if missing:
        raise ValueError(f"tokenized_docs_by_lang: no documents for language(s) {missing}")
    return {lang: coherence_npmi(themes_terms_by_lang[lang], tokenized_docs_by_lang[lang], top_n=top_n)
            for lang in sorted(themes_terms_by_lang)}


def _weighted_mean(results: Mapping[str, Coherence]) -> float:
    values = [v for res in results.values() for v in res.per_theme.values() if math.isfinite(v)]
    return float(np.mean(values)) if values else float("nan")


def coherence_by_language(themes_terms_by_lang: Mapping[str, Mapping[Hashable, Sequence[str]]],
                          tokenized_docs_by_lang: Mapping[str, Sequence[Sequence[str]]], *,
                          top_n: int = 10) -> dict[str, float]:
    """Mean NPMI coherence per language, each on that language's own corpus.

    Parameters
    ----------
    themes_terms_by_lang : mapping of language -> (mapping of theme -> list of str)
        Top terms of each theme in each language.
    tokenized_docs_by_lang : mapping of language -> list of list of str
        Tokenized corpus of each language; every language of
        ``themes_terms_by_lang`` must be present.
    top_n : int, default 10

    Returns
    -------
    dict of str -> float
        Language (sorted) -> :attr:`Coherence.mean` of its themes.
    """
    results = _coherence_per_language(themes_terms_by_lang, tokenized_docs_by_lang, top_n=top_n)
    return {lang: res.mean for lang, res in results.items()}


def coherence_overall(themes_terms_by_lang: Mapping[str, Mapping[Hashable, Sequence[str]]],
                      tokenized_docs_by_lang: Mapping[str, Sequence[Sequence[str]]], *,
                      top_n: int = 10) -> float:
    """Mean of the per-language coherences weighted by their number of themes.

    Equal to the plain mean over every (language, theme) value; themes that
    score ``nan`` (fewer than two known terms) carry no weight.

    Parameters
    ----------
    themes_terms_by_lang, tokenized_docs_by_lang, top_n
        As in :func:`coherence_by_language`.

    Returns
    -------
    float
    """
    return _weighted_mean(_coherence_per_language(themes_terms_by_lang, tokenized_docs_by_lang,
                                                  top_n=top_n))


# --------------------------------------------------------------------------
# diversity


def _diversity_counts(top_terms: Mapping[Hashable, Sequence[str]], top_n: int) -> tuple[int, int]:
    pooled = [t for terms in top_terms.values() for t in list(terms)[:top_n]]
    return len(set(pooled)), len(pooled)


def topic_diversity(top_terms: Mapping[Hashable, Sequence[str]], *, top_n: int = 25) -> float:
    """Share of unique terms among all themes' top ``top_n`` (Dieng et al. 2020).

    Parameters
    ----------
    top_terms : mapping of theme -> list of str
        Ranked top terms of each theme.
    top_n : int, default 25
        Terms taken from each theme (fewer if a theme has fewer).

    Returns
    -------
    float
        ``#unique terms / #terms``: 1 when no theme shares a term with
        another, ``1 / n_themes`` when all themes have the same terms; ``nan``
        when there is no term.
    """
    if top_n < 1:
        raise ValueError(f"top_n: must be at least 1, got {top_n}")
    unique, total = _diversity_counts(top_terms, top_n)
    return unique / total if total else float("nan")


# --------------------------------------------------------------------------
# languages


def _labels_and_languages(labels, languages) -> pd.DataFrame:
    lab = _as_labels(labels, "labels")
    lang = _as_labels(languages, "languages")
    _check_same_length(labels=lab, languages=lang)
    return pd.DataFrame({"label": lab, "language": lang})


def language_purity(labels, languages) -> float:
    """Size-weighted mean share of the majority language in each theme.

    Parameters
    ----------
    labels : array-like of shape (n_passages,)
        Predicted theme ids, ``-1`` for an outlier (outliers are ignored).
    languages : array-like of shape (n_passages,)
        Language code of each passage.

    Returns
    -------
    float
        ``sum over themes of max_lang count / n_non_outliers``. 1.0 when every
        theme is monolingual; about 1/3 for ideal cross-lingual themes over
        three balanced languages; ``nan`` when all passages are outliers.
    """
    df = _labels_and_languages(labels, languages)
    df = df[df["label"] != OUTLIER]
    if df.empty:
        return float("nan")
    counts = df.groupby(["label", "language"], sort=True).size()
    majority = counts.groupby(level="label", sort=True).max()
    return float(majority.sum() / len(df))


def language_mix(labels, languages, *, include_outliers: bool = True) -> pd.DataFrame:
    """Share of each language within each theme.

    Parameters
    ----------
    labels, languages : array-like of shape (n_passages,)
        As in :func:`language_purity`.
    include_outliers : bool, default True
        Keep the row of the outlier label ``-1``.

    Returns
    -------
    DataFrame
        Index ``theme_id`` (sorted labels), one float column per language
        (sorted) holding shares that sum to 1 across a row, then ``n`` (int64,
        passages in the theme).
    """
    df = _labels_and_languages(labels, languages)
    if not include_outliers:
        df = df[df["label"] != OUTLIER]
    counts = pd.crosstab(df["label"], df["language"]).sort_index().sort_index(axis=1)
    n = counts.sum(axis=1)
    mix = counts.div(n, axis=0).astype("float64")
    mix["n"] = n.astype("int64")
    mix.index.name = "theme_id"
    mix.columns = pd.Index([str(c) for c in mix.columns], dtype=object)
    return mix


def crosslingual_consistency(labels, groups) -> float:
    """Share of parallel groups whose members all fall in one theme.

    A parallel group is a set of passages that translate one another (e.g. a
    sentence in vi, fr and en), identified by a shared group id.

    Parameters
    ----------
    labels : array-like of shape (n_passages,)
        Predicted theme ids, ``-1`` for an outlier.
    groups : array-like of shape (n_passages,)
        Group id of each passage; a missing id means the passage belongs to
        no group and is ignored.

    Returns
    -------
    float
        ``#consistent groups / #groups with at least two members``. A group is
        consistent when all its members share one label and that label is not
        ``-1``; a group with any outlier member is therefore inconsistent.
        Groups of one passage are excluded from the denominator. ``nan`` when
        no group has two members.
    """
    lab = _as_labels(labels, "labels")
    grp = _as_labels(groups, "groups", allow_missing=True)
    _check_same_length(labels=lab, groups=grp)
    df = pd.DataFrame({"label": lab, "group": grp}).dropna(subset=["group"])
    by_group = df.groupby("group", sort=True)["label"]
    summary = pd.DataFrame({"size": by_group.size(), "n_labels": by_group.nunique(),
                            "first": by_group.first()})
    summary = summary[summary["size"] >= 2]
    if summary.empty:
        return float("nan")
    consistent = (summary["n_labels"] == 1) & (summary["first"] != OUTLIER)
    return float(consistent.mean())


# --------------------------------------------------------------------------
# stability


def stability(label_runs: Sequence) -> float:
    """Mean pairwise adjusted Rand index between runs (e.g. seeds).

    Parameters
    ----------
    label_runs : list of array-like of shape (n_passages,)
        Labels of the same passages from at least two runs. ``-1`` counts as
        a class; label names do not matter.

    Returns
    -------
    float
        Mean ARI over all ``k (k - 1) / 2`` pairs of runs.
    """
    if len(label_runs) < 2:
        raise ValueError(f"label_runs: need at least two runs, got {len(label_runs)}")
    runs = [_as_labels(run, f"label_runs[{i}]") for i, run in enumerate(label_runs)]
    _check_same_length(**{f"label_runs[{i}]": run for i, run in enumerate(runs)})
    scores = [adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)]
    return float(np.mean(scores))


# --------------------------------------------------------------------------
# summary


def _pooled_diversity(top_terms_by_lang: Mapping[str, Mapping[Hashable, Sequence[str]]]) -> float:
    """Diversity with uniqueness counted within each language, pooled over languages."""
    counts = [_diversity_counts(top_terms_by_lang[lang], _DIVERSITY_TOP_N)
              for lang in sorted(top_terms_by_lang)]
    unique, total = sum(c[0] for c in counts), sum(c[1] for c in counts)
    return unique / total if total else float("nan")


def summarize_metrics(labels, *, labels_true=None, languages=None, top_terms_by_lang=None,
                      tokenized_docs_by_lang=None, groups=None, label_runs=None) -> dict:
    """All metrics of one theme model, as a JSON-ready dict.

    Parameters
    ----------
    labels : array-like of shape (n_passages,)
        Predicted theme ids, ``-1`` for an outlier.
    labels_true : array-like of shape (n_passages,), optional
        Gold labels; without them ``nmi``, ``nmi_no_outliers`` and ``ari``
        are ``None``.
    languages : array-like of shape (n_passages,), optional
        Passage languages, for ``language_purity``.
    top_terms_by_lang : mapping of language -> (mapping of theme -> list of str), optional
        Top terms per language, for coherence (top 10) and diversity (top 25).
        Diversity counts a term as repeated only within one language.
    tokenized_docs_by_lang : mapping of language -> list of list of str, optional
        Tokenized corpus per language, for coherence.
    groups : array-like of shape (n_passages,), optional
        Parallel group ids, for ``crosslingual_consistency``.
    label_runs : list of array-like, optional
        Labels from repeated runs, for ``stability``.

    Returns
    -------
    dict
        Keys ``n_themes`` (int, non-outlier themes), ``outlier_rate``, ``nmi``,
        ``nmi_no_outliers``, ``ari``, ``coherence_npmi`` (weighted by number
        of themes per language), ``coherence_npmi_by_language`` (dict),
        ``diversity``, ``language_purity``, ``crosslingual_consistency``,
        ``stability``. Floats are Python floats rounded to 6 decimals; a
        metric not computed or undefined is ``None``.
    """
    pred = _as_labels(labels, "labels")
    has_gold = labels_true is not None
    coherence = {}
    if top_terms_by_lang is not None and tokenized_docs_by_lang is not None:
        coherence = _coherence_per_language(top_terms_by_lang, tokenized_docs_by_lang,
                                            top_n=_COHERENCE_TOP_N)
    return {
        "n_themes": int(len(np.unique(pred[pred != OUTLIER]))),
        "outlier_rate": _finite_or_none(outlier_rate(pred)),
        "nmi": _finite_or_none(nmi(labels_true, pred)) if has_gold else None,
        "nmi_no_outliers": _finite_or_none(nmi(labels_true, pred, drop_outliers=True)) if has_gold else None,
        "ari": _finite_or_none(ari(labels_true, pred)) if has_gold else None,
        "coherence_npmi": _finite_or_none(_weighted_mean(coherence)) if coherence else None,
        "coherence_npmi_by_language": {lang: _finite_or_none(res.mean) for lang, res in coherence.items()},
        "diversity": (_finite_or_none(_pooled_diversity(top_terms_by_lang))
                      if top_terms_by_lang is not None else None),
        "language_purity": (_finite_or_none(language_purity(pred, languages))
                            if languages is not None else None),
        "crosslingual_consistency": (_finite_or_none(crosslingual_consistency(pred, groups))
                                     if groups is not None else None),
        "stability": _finite_or_none(stability(label_runs)) if label_runs is not None else None,
    }
