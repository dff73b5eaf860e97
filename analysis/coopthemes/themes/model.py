"""Cross-lingual cooperation themes: a consensus of seeded UMAP + HDBSCAN fits, named by a codebook.

:class:`ThemeModel` follows scikit-learn's estimator rules: ``__init__``
stores parameters, sub-models are built in :meth:`ThemeModel.fit`, fitted
attributes end in ``_``.

What it does, in order:

1. centres the passage embeddings per language
   (:class:`~coopthemes.embeddings.LanguageCentering`), so that themes gather
   translations rather than languages, and puts them on an exact integer grid
   (:mod:`.numerics`), so that no machine can change a decision;
2. fits ``n_runs`` seeded UMAP + HDBSCAN models on the same exact
   nearest-neighbour graph and forms their consensus (:mod:`.consensus`):
   passages together in at least half of the fits share a theme; each theme
   carries its stability (the share of fits in which it reappears);
3. above ``max_fit_passages``, fits on a seeded sample and assigns the other
   passages by a vote of their nearest fitted neighbours;
4. reassigns outliers to the nearest theme (``outlier_strategy``), keeping
   ``is_outlier``;
5. names themes from the codebook where a theme's centre is close enough to a
   codebook theme's descriptions;
6. describes each theme: top terms per language (c-TF-IDF over that
   language's passages only), language mix and representative passages; and
   keeps a BERTopic model of the themes (:attr:`ThemeModel.bertopic_`) for
   BERTopic's own tools.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import ThemesConfig, config_to_dict
from ..embeddings.base import embedder_identity
from ..schema import validate_assignments, validate_terms, validate_themes
from .codebook import Codebook, codebook_from_dict, codebook_to_dict
from .consensus import fit_consensus
from .labeling import CodebookEvidence, codebook_evidence
from .numerics import (
    canonical, exact_dot, float_to_grid, grid_to_float, nearest, portable_numba, principal_start, umap_curve,
)
from .terms import describe_themes
from .tokenize import make_vectorizer, segment_all

__all__ = ["ThemeModel", "auto_min_cluster_size", "auto_min_samples", "max_cluster_size"]

log = logging.getLogger(__name__)

#: Format of a saved model folder.
MODEL_FORMAT = "coopthemes-theme-model/3"

#: Name of the pseudo-theme of passages without a theme.
OUTLIER_LABEL = "(outlier)"


def auto_min_cluster_size(n_passages: int) -> int:
    """HDBSCAN cluster size scaled to the corpus: 2% of it, within [5, 200]."""
    return int(min(200, max(5, round(0.02 * n_passages))))


def fit_sample(n: int, *, max_passages: int | None, random_state: int) -> np.ndarray:
    """Sorted indices of the passages the model is fitted on: all, or a seeded sample."""
    if max_passages is None or n <= max_passages:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=max_passages, replace=False))


def max_cluster_size(n_passages: int, min_cluster_size: int, share: float | None) -> int:
    """HDBSCAN ``max_cluster_size`` for a share of the passages (0: no limit), never below the minimum."""
    if share is None or share >= 1.0:
        return 0
    return int(max(min_cluster_size, math.ceil(share * n_passages)))


def auto_min_samples(min_cluster_size: int) -> int:
    """HDBSCAN ``min_samples`` for a cluster size: a fifth of it, at least 2."""
    return int(min(min_cluster_size, max(2, round(min_cluster_size / 5))))


def _numba_setup() -> None:
    if "NUMBA_CACHE_DIR" not in os.environ:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        os.environ["NUMBA_CACHE_DIR"] = str(root / "coopthemes" / "numba")
    portable_numba()


def codebook_grid(codebook: Codebook, embedder, centring) -> np.ndarray:
    """One grid vector per codebook theme, shape (n_themes, dim).

    Each description and keyword list is embedded, centred with the mean of
    its own language (when ``centring`` is given), and the theme's vectors are
    summed (exactly) and put on the grid.
    """
    texts, langs, owner = [], [], []
    for i, theme in enumerate(codebook.themes):
        for lang in codebook.languages:
            for text in theme.texts(lang):
                texts.append(text)
                langs.append(lang)
                owner.append(i)
    vecs = np.asarray(embedder.embed(texts), dtype=np.float64)
    Q = canonical(centring.centre(vecs, langs) if centring is not None else vecs)
    owner = np.asarray(owner)
    return canonical(np.stack([Q[owner == i].sum(axis=0) for i in range(len(codebook.themes))]))


def theme_centres(Q: np.ndarray, labels: np.ndarray, n_themes: int) -> np.ndarray:
    """Grid centre of each theme (exact sums of its grid vectors), shape (n_themes, dim)."""
    sums = np.zeros((n_themes, Q.shape[1]))
    for t in range(n_themes):
        sums[t] = Q[labels == t].sum(axis=0)
    return canonical(sums)


def smooth(labels: np.ndarray, neighbours: np.ndarray, similarities: np.ndarray, *, rounds: int) -> np.ndarray:
    """Each passage takes the theme its neighbours hold most (similarity-weighted), ``rounds`` times.

    Passages without a theme (-1) stay without one and do not vote; a
    passage keeps its theme where that theme ties for the most weight.
    """
    labels = labels.copy()
    if rounds <= 0 or not (labels >= 0).any():
        return labels
    n, k = neighbours.shape
    rows = np.arange(n)
    for _ in range(rounds):
        weights = np.zeros((n, int(labels.max()) + 1))
        for j in range(k):  # a fixed order of additions
            nb = labels[neighbours[:, j]]
            ok = nb >= 0
            np.add.at(weights, (rows[ok], nb[ok]), np.maximum(similarities[ok, j], 0.0))
        best = np.argmax(weights, axis=1)
        has = labels >= 0
        keep = weights[rows, np.maximum(labels, 0)] >= weights[rows, best]
        new = np.where(keep, labels, best)
        new[~has] = -1
        new[has & (weights.max(axis=1) <= 0)] = labels[has & (weights.max(axis=1) <= 0)]
        if np.array_equal(new, labels):
            break
        labels = new
    return labels


def _labelled_nearest(Q_new, Q_ref, labels_ref, labelled, k, candidates):
    """The ``k`` nearest labelled reference rows (reference indices, similarities), ties by index.

    From ``candidates`` (each new row's nearest reference rows, labelled or
    not, as :func:`nearest` gives them) where they hold ``k`` labelled rows,
    searching the labelled rows again for the others: the same rows as a
    search of the labelled rows alone, in the same order.
    """
    k = min(k, labelled.size)
    if candidates is None:
        idx, sim = nearest(Q_new, Q_ref[labelled], k)
        return labelled[idx], sim
    cidx, csim = candidates
    ok = labels_ref[cidx] >= 0
    take = ok & (np.cumsum(ok, axis=1) <= k)
    full = take.sum(axis=1) == k
    idx = np.zeros((Q_new.shape[0], k), dtype=np.int64)
    sim = np.zeros((Q_new.shape[0], k), dtype=np.float64)
    idx[full] = cidx[full][take[full]].reshape(-1, k)
    sim[full] = csim[full][take[full]].reshape(-1, k)
    rest = np.flatnonzero(~full)
    if rest.size:
        r_idx, sim[rest] = nearest(Q_new[rest], Q_ref[labelled], k)
        idx[rest] = labelled[r_idx]
    return idx, sim


#: Nearest fitted passages found once per passage left out of the fit, in vote's neighbours.
VOTE_DEPTH = 4


def vote(Q_new: np.ndarray, Q_ref: np.ndarray, labels_ref: np.ndarray, k: int,
         candidates: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Theme of each new row by a similarity-weighted vote of its ``k`` nearest labelled reference rows.

    Reference rows without a theme (-1) do not vote; a row whose neighbours
    all lack one stays -1. Ties go to the smaller theme id. ``candidates``
    (``nearest(Q_new, Q_ref, K)`` for some ``K >= k``, found once for several
    votes on the same rows) only saves time: the result is the same.
    """
    labelled = np.flatnonzero(labels_ref >= 0)
    out = np.full(Q_new.shape[0], -1, dtype=np.int64)
    if Q_new.shape[0] == 0 or labelled.size == 0:
        return out
    idx, sim = _labelled_nearest(Q_new, Q_ref, labels_ref, labelled, k, candidates)
    neighbour_labels = labels_ref[idx]
    n_themes = int(labels_ref.max()) + 1
    weights = np.zeros((Q_new.shape[0], n_themes))
    for j in range(idx.shape[1]):  # a fixed order of additions
        np.add.at(weights, (np.arange(Q_new.shape[0]), neighbour_labels[:, j]), np.maximum(sim[:, j], 0.0))
    out[:] = np.argmax(weights, axis=1)
    out[weights.max(axis=1) <= 0] = -1
    return out


class ThemeModel:
    """Cross-lingual themes of passages.

    Parameters
    ----------
    embedder : coopthemes.embeddings.Embedder
        Embeds codebook descriptions (and, through BERTopic's view of it,
        anything BERTopic's tools embed).
    codebook : Codebook or None
        Themes to look for; ``None`` discovers themes only.
    options : ThemesConfig
        The theme settings (the ``themes`` section of a configuration).
    random_state : int
        The seed from which every fit's seed is derived.

    Attributes
    ----------
    labels_ : ndarray of int, shape (n_passages,)
        Theme of each fitted passage (-1: outlier, when outliers are kept).
    is_outlier_ : ndarray of bool
        Whether the consensus left the passage out before outlier reduction.
    probabilities_ : ndarray of float
        Assignment strength: cosine similarity to the theme's centre.
    run_labels_ : ndarray of int, shape (n_runs, n_passages)
        Each fit's themes, mapped to the consensus themes and processed as
        the consensus is (extended to unfitted passages, outliers reduced):
        the basis of the share ranges across fits.
    stability_ : ndarray of float, shape (n_themes,)
        Share of the fits in which each theme reappears (Jaccard >= 0.5).
    passage_ids_, languages_, tokens_ : list of str
    embeddings_ : ndarray of shape (n_passages, dim), float32
        The centred unit vectors on the model's grid.
    themes_, terms_ : DataFrame
        The ``themes`` and ``terms`` tables.
    min_cluster_size_, n_fit_ : int
    """

    def __init__(self, *, embedder, codebook: Codebook | None = None, options: ThemesConfig | None = None,
                 random_state: int = 0):
        self.embedder = embedder
        self.codebook = codebook
        self.options = options if options is not None else ThemesConfig()
        self.random_state = random_state

    def __repr__(self) -> str:
        if not hasattr(self, "labels_"):
            return f"ThemeModel(unfitted, random_state={self.random_state})"
        return (f"ThemeModel({len(self.themes_)} themes over {len(self.passage_ids_)} passages, consensus of "
                f"{self.run_labels_.shape[0]} fits, {int(self.is_outlier_.sum())} outliers before reduction, "
                f"random_state={self.random_state})")

    # -- fitting -----------------------------------------------------------
    def _grid(self, embeddings, languages) -> np.ndarray:
        X = np.asarray(embeddings, dtype=np.float64)
        return canonical(self.centring_.centre(X, languages) if self.centring_ is not None else X)

    def fit(self, texts, embeddings, languages, passage_ids, *, lead=None, documents=None, fit_on=None,
            progress=None):
        """Fit themes on passages.

        Parameters
        ----------
        texts : sequence of str, length n_passages
        embeddings : ndarray of shape (n_passages, dim)
            Vectors from ``embedder``; not modified.
        languages : sequence of str, length n_passages
        passage_ids : sequence of str, length n_passages
        lead : ndarray of bool, optional
            The passages that open their document (title and lead), where
            keyword evidence for a codebook theme needs a looser agreement.
        documents : sequence of str, optional
            Each passage's document: a lead passage that names the codebook's
            ``context`` puts its document in the codebook's domain.
        fit_on : ndarray of bool, optional
            The passages the consensus is fitted on (default all); the
            others take the vote of their nearest fitted neighbours.
        progress : callable, optional
            Called with the number of finished fits (for a progress bar).

        Returns
        -------
        self
        """
        from ..embeddings import LanguageCentering

        _numba_setup()
        texts, languages, ids = list(texts), [str(v) for v in languages], list(passage_ids)
        X0 = np.array(embeddings, dtype=np.float64, copy=True)
        if not (len(texts) == len(languages) == len(ids) == X0.shape[0]):
            raise ValueError("texts, embeddings, languages and passage_ids differ in length")
        if len(texts) < 3:
            raise ValueError(f"at least 3 passages are needed to fit themes, got {len(texts)}")
        o = self.options
        self.centring_ = LanguageCentering().fit(X0, languages) if o.align else None
        Q = self._grid(X0, languages)
        self.tokens_ = segment_all(texts, languages, extra_stop_words=o.extra_stop_words,
                                   n_jobs=o.n_jobs or os.cpu_count() or 1)
        eligible = np.ones(len(texts), dtype=bool) if fit_on is None else np.asarray(fit_on, dtype=bool).copy()
        mcs = o.min_cluster_size or auto_min_cluster_size(
            min(int(eligible.sum()), o.max_fit_passages or len(texts)))
        self.min_cluster_size_ = int(mcs)
        self.codebook_grid_ = (codebook_grid(self.codebook, self.embedder, self.centring_)
                               if self.codebook is not None and o.codebook_mode != "off" else None)
        lead = np.zeros(len(texts), dtype=bool) if lead is None else np.asarray(lead, dtype=bool)
        coded, evidence = self._codebook_labels(texts, languages, Q, o.min_theme_size, lead, documents)
        pool = np.flatnonzero((coded == -1) & eligible)
        if pool.size < 3:
            raise ValueError(f"at least 3 passages are needed to fit themes, got {pool.size} to fit on")
        fit_idx = pool[fit_sample(pool.size, max_passages=o.max_fit_passages, random_state=self.random_state)]
        self.n_fit_ = int(fit_idx.size)
        Q_fit = Q[fit_idx]
        consensus = fit_consensus(
            Q_fit, n_runs=o.n_runs, random_state=self.random_state, n_neighbors=o.n_neighbors,
            n_components=o.n_components, min_dist=o.min_dist, min_cluster_size=mcs,
            min_samples=o.min_samples or auto_min_samples(mcs),
            max_cluster_size=max_cluster_size(self.n_fit_, mcs, o.max_cluster_share),
            min_share=o.consensus_min_share, n_jobs=o.n_jobs or os.cpu_count() or 1, progress=progress,
        )
        free = coded == -1
        n_found = int(consensus.labels.max()) + 1 if (consensus.labels >= 0).any() else 0
        fit_centres = theme_centres(Q_fit, consensus.labels, n_found)
        # the free passages left out of the fit, and their nearest fitted passages, found once for every vote
        rest = np.setdiff1d(np.flatnonzero(free), fit_idx)
        Q_rest = Q[rest]
        candidates = nearest(Q_rest, Q_fit, VOTE_DEPTH * o.n_neighbors) if rest.size else None

        def extend(labels_fit: np.ndarray) -> np.ndarray:
            """Themes of the free passages: fitted ones as fitted, the others by a vote of their fitted neighbours."""
            labels = np.full(Q.shape[0], -1, dtype=np.int64)
            labels[fit_idx] = labels_fit
            if rest.size:
                labels[rest] = vote(Q_rest, Q_fit, labels_fit, o.n_neighbors, candidates)
            return labels

        def settle(labels_fit: np.ndarray) -> np.ndarray:
            """One fit's themes on all passages: outliers reduced, smoothed, extended, outliers reduced."""
            fitted = self._reduce_outliers(Q_fit, labels_fit, fit_centres)
            fitted = smooth(fitted, consensus.neighbours, consensus.similarities, rounds=o.smoothing_rounds)
            return self._reduce_outliers(Q, extend(fitted), centres, free)

        raw = extend(consensus.labels)
        centres = theme_centres(Q, raw, n_found)
        discovered = settle(consensus.labels)
        runs = [settle(r) for r in consensus.run_themes]
        number, self.codebook_of_ = self._numbering(coded, discovered, n_found)
        number_or_none = np.append(number, -1)  # the last entry: no theme

        def combine(d: np.ndarray) -> np.ndarray:
            slot = np.where(coded >= 0, n_found + coded, np.where(d >= 0, d, len(number)))
            return number_or_none[slot]

        self.labels_ = combine(discovered)
        self.is_outlier_ = free & (raw == -1)
        self.run_labels_ = np.stack([combine(r) for r in runs])
        stability = np.ones(len(self.codebook_of_))
        for k in range(n_found):
            if number[k] >= 0:
                stability[number[k]] = consensus.stability[k]
        self.stability_ = np.round(stability, 6)
        theme_of = {j: t for t, j in enumerate(self.codebook_of_) if j is not None}
        self.discusses_ = [tuple(theme_of[j] for j in ls[1:] if j in theme_of) for ls in evidence.labels] \
            if evidence is not None else [()] * len(texts)
        self.evidence_ = [self._evidence_text(ph) for ph in evidence.phrases] \
            if evidence is not None else [""] * len(texts)
        self.label_confidence_ = np.array([evidence.confidence(j) if j is not None else np.nan
                                           for j in self.codebook_of_])
        self.centres_ = theme_centres(Q, self.labels_, len(self.codebook_of_))
        self.probabilities_ = self._strength(Q, self.labels_, self.centres_)
        self.passage_ids_, self.languages_ = ids, languages
        self.embeddings_ = grid_to_float(Q)
        self.bertopic_ = self._bertopic()
        self.themes_, self.terms_ = self._describe()
        self.theme_map_ = None
        self._source_dir = None
        return self

    def _codebook_labels(self, texts, languages, Q, min_size, lead,
                         documents=None) -> tuple[np.ndarray, CodebookEvidence | None]:
        """Codebook theme each passage belongs to on evidence (-1: none), and the evidence.

        Codebook themes that fewer than ``min_size`` passages discuss are dropped.
        """
        n = Q.shape[0]
        if self.codebook_grid_ is None:
            return np.full(n, -1, dtype=np.int64), None
        o = self.options
        ev = codebook_evidence(
            texts, languages, Q, self.codebook_grid_, self.codebook, lead=lead, documents=documents,
            lead_rank=o.codebook_lead_rank,
            body_rank=o.codebook_body_rank, list_themes=o.codebook_list_themes,
            list_segments=o.codebook_list_segments, list_item_words=o.codebook_list_item_words,
        )
        counts = np.zeros(len(self.codebook.themes), dtype=np.int64)
        for labels in ev.labels:
            counts[list(labels)] += 1
        ev = ev.keep({int(t) for t in np.flatnonzero(counts >= min_size)})
        return ev.label, ev

    def _evidence_text(self, phrases: dict) -> str:
        """``"label: phrase, phrase; label: phrase"`` for the codebook themes a passage discusses."""
        return "; ".join(f"{self.codebook.themes[j].label}: {', '.join(words)}" for j, words in phrases.items())

    @staticmethod
    def _numbering(coded: np.ndarray, discovered: np.ndarray, n_found: int) -> tuple[np.ndarray, list]:
        """Theme ids by size (ties: the earlier first passage): discovered themes 0.. and codebook themes.

        Returns ``number`` (discovered theme k -> id at ``k``, codebook theme j -> id at
        ``n_found + j``; -1 for a theme without passages) and the codebook index of each id.
        """
        n_codebook = int(coded.max()) + 1 if (coded >= 0).any() else 0
        keys = []
        for k in range(n_found):
            members = np.flatnonzero((coded == -1) & (discovered == k))
            if members.size:
                keys.append((-members.size, int(members[0]), k, None))
        for j in range(n_codebook):
            members = np.flatnonzero(coded == j)
            if members.size:
                keys.append((-members.size, int(members[0]), n_found + j, j))
        keys.sort()
        number = np.full(n_found + n_codebook, -1, dtype=np.int64)
        codebook_of = []
        for new, (_, _, old, j) in enumerate(keys):
            number[old] = new
            codebook_of.append(j)
        return number, codebook_of

    def _reduce_outliers(self, Q: np.ndarray, labels: np.ndarray, centres: np.ndarray,
                         free: np.ndarray | None = None) -> np.ndarray:
        """Outliers to the discovered theme with the nearest centre (``outlier_strategy: embeddings``).

        Only passages without a codebook theme (``free``, default all) are
        outliers; one joins a theme when its similarity reaches ``outlier_threshold``.
        """
        o = self.options
        out = labels.copy()
        missing = np.flatnonzero((labels == -1) & (np.ones(len(labels), bool) if free is None else free))
        if o.outlier_strategy == "none" or missing.size == 0 or centres.shape[0] == 0:
            return out
        S = exact_dot(Q[missing], centres)
        best = np.argmax(S, axis=1)
        ok = S[np.arange(missing.size), best] >= o.outlier_threshold
        out[missing[ok]] = best[ok]
        return out

    @staticmethod
    def _strength(Q: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> np.ndarray:
        out = np.zeros(Q.shape[0])
        has = np.flatnonzero(labels >= 0)
        if has.size:
            out[has] = np.einsum("ij,ij->i", Q[has], centres[labels[has]]) / float(1 << 28)
        return np.round(out, 6)

    def _bertopic(self):
        """BERTopic fitted on the consensus themes (no clustering of its own), for BERTopic's tools."""
        from bertopic import BERTopic
        from bertopic.cluster import BaseCluster
        from bertopic.dimensionality import BaseDimensionalityReduction

        from .bertopic_adapter import BertopicEmbedder

        model = BERTopic(
            language="multilingual",
            embedding_model=BertopicEmbedder(self.embedder, self.centring_, None, None),
            umap_model=BaseDimensionalityReduction(),
            hdbscan_model=BaseCluster(),
            vectorizer_model=make_vectorizer(),
            top_n_words=self.options.top_n_terms,
            calculate_probabilities=False,
            verbose=False,
        )
        if not (self.labels_ >= 0).any():
            return model
        model.fit(self.tokens_, embeddings=self.embeddings_.copy(), y=self.labels_.copy())
        return model

    # -- description -------------------------------------------------------
    def _describe(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        cb_ids = {t: self.codebook.themes[j].id for t, j in enumerate(self.codebook_of_) if j is not None}
        labels = {t: self.codebook.label_of(cid) for t, cid in cb_ids.items()}
        themes, terms = describe_themes(
            labels=self.labels_,
            tokens=self.tokens_,
            languages=self.languages_,
            passage_ids=self.passage_ids_,
            grid=float_to_grid(self.embeddings_),
            centres=self.centres_,
            codebook_ids=cb_ids,
            codebook_labels=labels,
            top_n=self.options.top_n_terms,
            n_representative=self.options.n_representative,
        )
        ids = themes["theme_id"].to_numpy()
        themes["label_confidence"] = [float(self.label_confidence_[t]) for t in ids]
        themes["stability"] = [float(self.stability_[t]) for t in ids]
        themes["unstable"] = themes["stability"] < self.options.min_stability
        return themes, terms

    # -- outputs -----------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise RuntimeError("this ThemeModel is not fitted: call fit() or ThemeModel.load()")

    def _names(self) -> dict[int, str]:
        return {int(t): str(n) for t, n in zip(self.themes_["theme_id"], self.themes_["theme"])}

    def assignments(self) -> pd.DataFrame:
        """The ``assignments`` table: one row per fitted passage."""
        self._check_fitted()
        names = self._names()
        df = pd.DataFrame(
            {
                "passage_id": self.passage_ids_,
                "theme_id": self.labels_.astype("int64"),
                "theme": [names.get(int(t), OUTLIER_LABEL) for t in self.labels_],
                "probability": self.probabilities_,
                "is_outlier": self.is_outlier_.astype(bool),
                "also_discusses": [[names[t] for t in ts] for ts in self.discusses_],
                "evidence": pd.array(self.evidence_, dtype="string"),
            }
        )
        return validate_assignments(df.sort_values("passage_id", ignore_index=True))

    def run_assignments(self) -> pd.DataFrame:
        """Each fit's themes (mapped to the consensus themes): ``run, passage_id, theme_id, theme, also_discusses``."""
        self._check_fitted()
        names = self._names()
        n_runs, n = self.run_labels_.shape
        labels = self.run_labels_.reshape(-1)
        discusses = [[names[t] for t in ts] for ts in self.discusses_]
        return pd.DataFrame({
            "run": np.repeat(np.arange(n_runs), n),
            "passage_id": np.tile(np.asarray(self.passage_ids_, dtype=object), n_runs),
            "theme_id": labels.astype("int64"),
            "theme": [names.get(int(t), OUTLIER_LABEL) for t in labels],
            "also_discusses": discusses * n_runs,
        })

    def themes(self) -> pd.DataFrame:
        """The ``themes`` table."""
        self._check_fitted()
        return validate_themes(self.themes_.copy())

    def terms(self) -> pd.DataFrame:
        """The ``terms`` table: top terms per theme and language, long."""
        self._check_fitted()
        return validate_terms(self.terms_.copy())

    def theme_map(self, *, max_points: int = 5000) -> pd.DataFrame:
        """2-D coordinates of passages for the theme map (seeded UMAP on the grid vectors).

        Above ``max_points`` passages a seeded sample is drawn: more points only
        overplot the figure. Computed once, kept (and saved) with the model.

        Returns
        -------
        DataFrame
            ``passage_id, x, y, theme_id, theme, language``.
        """
        self._check_fitted()
        if getattr(self, "theme_map_", None) is None:
            self.theme_map_ = _theme_map(self, max_points=max_points)
            self._source_dir = None
        return self.theme_map_.copy()

    def transform(self, texts, embeddings, languages) -> tuple[np.ndarray, np.ndarray]:
        """Assign new passages to the fitted themes.

        Embeddings are centred with the fitted language means, so new passages
        sit in the same space as the fitted ones; each takes the vote of its
        nearest fitted passages, then outliers are reduced as in the fit.

        Returns
        -------
        theme_ids : ndarray of int, shape (n,)
        probabilities : ndarray of float, shape (n,)
        """
        self._check_fitted()
        texts = list(texts)
        Q = self._grid(embeddings, [str(v) for v in languages])
        if Q.shape[0] != len(texts):
            raise ValueError("texts and embeddings differ in length")
        labels = vote(Q, float_to_grid(self.embeddings_), self.labels_, self.options.n_neighbors)
        labels = self._reduce_outliers(Q, labels, self.centres_)
        return labels, self._strength(Q, labels, self.centres_)

    # -- persistence -------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save the whole fitted state to a folder.

        BERTopic (safetensors), the language centring, the codebook and its
        grid vectors, the fitted passages (ids, languages, tokens, themes,
        outlier flags, strengths), every fit's themes, their grid vectors, and
        the ``themes``, ``terms`` and (once computed) theme-map tables. A model
        that was loaded and not changed since is copied file for file, so that
        a reused fit is saved byte for byte as it was stored.
        """
        self._check_fitted()
        path = Path(path)
        source = getattr(self, "_source_dir", None)
        if source is not None and Path(source).resolve() != path.resolve():
            if path.exists():
                shutil.rmtree(path)
            shutil.copytree(source, path)
            return path
        path.mkdir(parents=True, exist_ok=True)
        # BERTopic warns that no embedding model is saved: on purpose, the
        # embedder's identity is saved instead and checked on load.
        bertopic_log = logging.getLogger("BERTopic")
        level = bertopic_log.level
        bertopic_log.setLevel(logging.ERROR)
        try:
            if self.bertopic_.topics_ is not None:  # not fitted when no passage has a theme
                self.bertopic_.save(
                    path / "bertopic", serialization="safetensors", save_ctfidf=True, save_embedding_model=False
                )
        finally:
            bertopic_log.setLevel(level)
        if self.centring_ is not None:
            self.centring_.save(path / "centring.npz")
        if self.codebook_grid_ is not None:
            np.save(path / "codebook_grid.npy", self.codebook_grid_, allow_pickle=False)
        np.save(path / "embeddings.npy", np.ascontiguousarray(self.embeddings_, dtype=np.float32), allow_pickle=False)
        np.save(path / "run_labels.npy", np.ascontiguousarray(self.run_labels_, dtype=np.int64), allow_pickle=False)
        fitted = pd.DataFrame({
            "passage_id": pd.array(self.passage_ids_, dtype="string"),
            "language": pd.array(self.languages_, dtype="string"),
            "tokens": pd.array(self.tokens_, dtype="string"),
            "label": self.labels_.astype("int64"),
            "is_outlier": self.is_outlier_.astype(bool),
            "probability": self.probabilities_.astype("float64"),
            "evidence": pd.array(self.evidence_, dtype="string"),
            "discusses": [list(map(int, ts)) for ts in self.discusses_],
        })
        fitted.to_parquet(path / "passages.parquet", index=False)
        self.themes_.to_parquet(path / "themes.parquet", index=False)
        self.terms_.to_parquet(path / "terms.parquet", index=False)
        if getattr(self, "theme_map_", None) is not None:
            self.theme_map_.to_parquet(path / "theme_map.parquet", index=False)
        config = {
            "format": MODEL_FORMAT,
            "options": config_to_dict(self.options),
            "random_state": int(self.random_state),
            "min_cluster_size": int(self.min_cluster_size_),
            "n_fit": int(self.n_fit_),
            "stability": [float(v) for v in self.stability_],
            "codebook_of": list(self.codebook_of_),
            "label_confidence": [None if np.isnan(v) else float(v) for v in self.label_confidence_],
            "embedder": embedder_identity(self.embedder).as_dict() if self.embedder is not None else None,
            "codebook": codebook_to_dict(self.codebook) if self.codebook is not None else None,
        }
        (path / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path, *, embedder=None) -> ThemeModel:
        """Load a model saved with :meth:`save`, with all its fitted state.

        Parameters
        ----------
        path : str or Path
        embedder : Embedder, optional
            Must have the saved model's identity; needed only to embed new
            text; without it the model reads and assigns precomputed vectors.

        Raises
        ------
        ValueError
            The folder is not a saved model, or ``embedder`` differs from the saved one.
        """
        from bertopic import BERTopic

        from ..embeddings import LanguageCentering
        from .bertopic_adapter import BertopicEmbedder

        path = Path(path)
        try:
            config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: not a saved theme model ({err})") from None
        if config.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path}: saved theme model of format {config.get('format')!r}, expected {MODEL_FORMAT}")
        if embedder is not None and embedder_identity(embedder).as_dict() != config["embedder"]:
            raise ValueError(f"{path}: saved with embedder {config['embedder']}, "
                             f"given {embedder_identity(embedder).as_dict()}")
        codebook = codebook_from_dict(config["codebook"]) if config["codebook"] is not None else None
        model = cls(embedder=embedder, codebook=codebook, options=ThemesConfig(**_tuples(config["options"])),
                    random_state=int(config["random_state"]))
        centring = path / "centring.npz"
        model.centring_ = LanguageCentering.load(centring) if centring.exists() else None
        grid = path / "codebook_grid.npy"
        model.codebook_grid_ = np.load(grid, allow_pickle=False) if grid.exists() else None
        model.min_cluster_size_ = int(config["min_cluster_size"])
        model.n_fit_ = int(config["n_fit"])
        model.stability_ = np.asarray(config["stability"], dtype=float)
        model.codebook_of_ = list(config["codebook_of"])
        model.label_confidence_ = np.array([np.nan if v is None else v for v in config["label_confidence"]],
                                           dtype=float)
        fitted = pd.read_parquet(path / "passages.parquet")
        model.passage_ids_ = fitted["passage_id"].astype(str).tolist()
        model.languages_ = fitted["language"].astype(str).tolist()
        model.tokens_ = fitted["tokens"].astype(str).tolist()
        model.labels_ = fitted["label"].to_numpy(dtype=np.int64)
        model.is_outlier_ = fitted["is_outlier"].to_numpy(dtype=bool)
        model.probabilities_ = fitted["probability"].to_numpy(dtype=float)
        model.evidence_ = fitted["evidence"].fillna("").astype(str).tolist()
        model.discusses_ = [tuple(int(t) for t in ts) for ts in fitted["discusses"]]
        model.embeddings_ = np.load(path / "embeddings.npy", allow_pickle=False)
        model.run_labels_ = np.load(path / "run_labels.npy", allow_pickle=False)
        if (path / "bertopic").exists():
            model.bertopic_ = BERTopic.load(str(path / "bertopic"),
                                            embedding_model=BertopicEmbedder(embedder, model.centring_, None, None))
        else:  # saved without passages in a theme: BERTopic was never fitted
            model.bertopic_ = model._bertopic()
        model.themes_ = pd.read_parquet(path / "themes.parquet")
        model.terms_ = pd.read_parquet(path / "terms.parquet")
        model.centres_ = theme_centres(float_to_grid(model.embeddings_), model.labels_, len(model.codebook_of_))
        tmap = path / "theme_map.parquet"
        model.theme_map_ = pd.read_parquet(tmap) if tmap.exists() else None
        model._source_dir = path
        return model


def _tuples(options: dict) -> dict:
    """JSON lists back to tuples for the configuration dataclass."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}


def _theme_map(model: ThemeModel, *, max_points: int) -> pd.DataFrame:
    """A seeded 2-D UMAP of (a sample of) the passages, from the exact neighbour graph and start."""
    import warnings

    _numba_setup()
    from umap import UMAP

    Q = float_to_grid(model.embeddings_)
    n = Q.shape[0]
    idx = np.arange(n)
    if n > max_points:
        idx = np.sort(np.random.default_rng(model.random_state).choice(n, max_points, replace=False))
    Q = Q[idx]
    k = max(2, min(15, len(idx) - 1))
    near, sim = nearest(Q, Q, k - 1, exclude_self=True)
    knn = (np.hstack([np.arange(len(idx))[:, None], near]),
           np.hstack([np.zeros((len(idx), 1)), np.maximum(0.0, 1.0 - sim)]).astype(np.float32), None)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*knn_search_index.*")
        a, b = umap_curve(0.1)
        xy = UMAP(n_neighbors=k, n_components=2, min_dist=0.1, a=a, b=b, metric="cosine",
                  init=principal_start(Q, 2), random_state=model.random_state, n_jobs=1,
                  precomputed_knn=knn).fit_transform(grid_to_float(Q))
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
