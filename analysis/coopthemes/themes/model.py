"""Cross-lingual cooperation themes: BERTopic + UMAP + HDBSCAN, guided by a codebook.

:class:`ThemeModel` follows scikit-learn's estimator rules: ``__init__``
stores parameters, sub-models are built in :meth:`ThemeModel.fit`, fitted
attributes end in ``_``.

What it does, in order:

1. copies the passage embeddings (BERTopic's guided mode overwrites its input);
2. centres them per language (:class:`~coopthemes.embeddings.LanguageCentering`),
   so that themes gather translations rather than languages;
3. builds one vector per codebook theme from its descriptions and keywords in
   every language, each centred with its own language's mean;
4. fits BERTopic with ``language="multilingual"``, a seeded UMAP, HDBSCAN, a
   vectorizer that segments Vietnamese into words, and the codebook as
   zero-shot topics (or as guided seed topics): passages close enough to a
   codebook theme take it, the rest are clustered into discovered themes;
5. reduces outliers with a configurable strategy, keeping ``is_outlier``;
6. describes each theme: top terms per language (c-TF-IDF over that
   language's passages only), language mix and representative passages.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import validate_assignments, validate_themes
from .codebook import Codebook
from .terms import describe_themes, theme_centroids
from .tokenize import make_vectorizer, segment_all
from .codebook import seed_words

__all__ = ["ThemeModel", "ThemeOptions", "OUTLIER_STRATEGIES", "auto_min_cluster_size", "auto_min_samples", "max_cluster_size"]

log = logging.getLogger(__name__)

OUTLIER_STRATEGIES = ("embeddings", "c-tf-idf", "distributions", "none")
CODEBOOK_MODES = ("zeroshot", "guided", "off")


@dataclass(frozen=True)
class ThemeOptions:
    """Settings of the theme model.

    Attributes
    ----------
    min_cluster_size : int or None
        HDBSCAN's ``min_cluster_size``; ``None`` scales it to the corpus
        (:func:`auto_min_cluster_size`).
    min_samples : int or None
        HDBSCAN's ``min_samples``; ``None`` uses :func:`auto_min_samples` (a
        fifth of the cluster size: HDBSCAN's own default, equal to the
        cluster size, leaves many outliers and merges themes into a few
        large clusters).
    max_cluster_share : float or None
        Largest share of the passages one HDBSCAN cluster may hold (HDBSCAN's
        ``max_cluster_size``), default one half; ``None`` sets no limit. With
        large cluster sizes, HDBSCAN's excess-of-mass selection can keep the
        root split and return two clusters for a whole corpus (on 8,178 UNC
        passages: 2 clusters, NMI 0.10; with the limit: 13, NMI 0.26); the
        limit makes it select the clusters below such a split instead.
    n_neighbors, n_components, min_dist : UMAP settings.
    align : bool
        Centre embeddings per language before clustering.
    codebook_mode : {"zeroshot", "guided", "off"}
        How the codebook guides BERTopic.
    codebook_threshold : float
        Minimum cosine similarity (of centred vectors) between a passage and a
        codebook theme for the passage to take that theme.
    outlier_strategy : {"embeddings", "c-tf-idf", "distributions", "none"}
        BERTopic's ``reduce_outliers`` strategy; ``"none"`` keeps outliers.
    outlier_threshold : float
        Minimum similarity for an outlier to be reassigned.
    top_n_terms : int
        Top terms kept per theme and language.
    n_representative : int
        Representative passages per theme.
    extra_stop_words : tuple of str
        Removed from top terms in addition to stopwordsiso's lists.
    max_fit_passages : int or None
        Above this many passages, BERTopic is fitted on a seeded sample of
        this size and the other passages are assigned with ``transform``
        (``n_fit_`` says how many were fitted); ``None`` fits on all.
    random_state : int
        Seed of UMAP (and everything else stochastic). UMAP starts from a PCA
        layout: its default spectral start is not reproducible, even seeded,
        when the neighbour graph has several components.
    """

    min_cluster_size: int | None = None
    min_samples: int | None = None
    max_cluster_share: float | None = 0.5
    n_neighbors: int = 15
    n_components: int = 5
    min_dist: float = 0.0
    align: bool = True
    codebook_mode: str = "zeroshot"
    codebook_threshold: float = 0.20
    outlier_strategy: str = "embeddings"
    outlier_threshold: float = 0.0
    top_n_terms: int = 10
    n_representative: int = 3
    extra_stop_words: tuple[str, ...] = field(default_factory=tuple)
    max_fit_passages: int | None = 20_000
    random_state: int = 0

    def __post_init__(self):
        if self.codebook_mode not in CODEBOOK_MODES:
            raise ValueError(f"codebook_mode: must be one of {list(CODEBOOK_MODES)}, got {self.codebook_mode!r}")
        if self.outlier_strategy not in OUTLIER_STRATEGIES:
            raise ValueError(
                f"outlier_strategy: must be one of {list(OUTLIER_STRATEGIES)}, got {self.outlier_strategy!r}"
            )
        if self.min_cluster_size is not None and self.min_cluster_size < 2:
            raise ValueError("min_cluster_size: must be at least 2")
        if self.max_cluster_share is not None and not 0.0 < self.max_cluster_share <= 1.0:
            raise ValueError(f"max_cluster_share: must lie in (0, 1] (or null), got {self.max_cluster_share!r}")
        if not -1.0 <= self.codebook_threshold <= 1.0:
            raise ValueError("codebook_threshold: must lie in [-1, 1]")
        if self.max_fit_passages is not None and self.max_fit_passages < 100:
            raise ValueError("max_fit_passages: must be at least 100 (or null)")
        if self.n_components < 2 or self.n_neighbors < 2:
            raise ValueError("n_components, n_neighbors: must be at least 2")


def auto_min_cluster_size(n_passages: int) -> int:
    """HDBSCAN cluster size scaled to the corpus: 2% of it, within [5, 200]."""
    return int(min(200, max(5, round(0.02 * n_passages))))


def fit_sample(n: int, *, max_passages: int | None, random_state: int) -> np.ndarray:
    """Sorted indices of the passages BERTopic is fitted on: all, or a seeded sample."""
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


def _numba_cache() -> None:
    if "NUMBA_CACHE_DIR" not in os.environ:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        os.environ["NUMBA_CACHE_DIR"] = str(root / "coopthemes" / "numba")


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def codebook_vectors(codebook: Codebook, embedder, centring) -> np.ndarray:
    """One unit vector per codebook theme, shape (n_themes, dim).

    Each description and keyword list is embedded, centred with the mean of
    its own language (when ``centring`` is given), and the theme's vectors are
    averaged.
    """
    texts, langs, owner = [], [], []
    for i, theme in enumerate(codebook.themes):
        for lang in codebook.languages:
            for text in theme.texts(lang):
                texts.append(text)
                langs.append(lang)
                owner.append(i)
    vecs = np.asarray(embedder.embed(texts), dtype=np.float32)
    if centring is not None:
        vecs = centring.transform(vecs, langs)
    owner = np.asarray(owner)
    out = np.stack([vecs[owner == i].mean(axis=0) for i in range(len(codebook.themes))])
    return _normalise(out).astype(np.float32)


class ThemeModel:
    """Cross-lingual themes of passages.

    Parameters
    ----------
    embedder : coopthemes.embeddings.Embedder
        Embeds codebook descriptions; it is also BERTopic's embedding model
        (through :class:`CodebookEmbedder`), so zero-shot and guided modes run.
    codebook : Codebook or None
        Themes to look for; ``None`` discovers themes only.
    options : ThemeOptions
    """

    def __init__(self, *, embedder, codebook: Codebook | None = None, options: ThemeOptions = ThemeOptions()):
        self.embedder = embedder
        self.codebook = codebook
        self.options = options

    # -- fitting -----------------------------------------------------------
    def _build_bertopic(self, n: int, embedding_model):
        _numba_cache()
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from umap import UMAP

        o = self.options
        mcs = o.min_cluster_size or auto_min_cluster_size(n)
        self.min_cluster_size_ = mcs
        umap_model = UMAP(
            n_neighbors=max(2, min(o.n_neighbors, n - 1)),
            n_components=min(o.n_components, max(2, n - 2)),
            min_dist=o.min_dist,
            metric="cosine",
            init="pca",
            random_state=o.random_state,
            n_jobs=1,
        )
        hdbscan_model = HDBSCAN(
            min_cluster_size=mcs,
            min_samples=o.min_samples or auto_min_samples(mcs),
            max_cluster_size=max_cluster_size(n, mcs, o.max_cluster_share),
            metric="euclidean",
            cluster_selection_method="eom",
            prediction_data=True,
        )
        cb = self.codebook if o.codebook_mode != "off" else None
        return BERTopic(
            language="multilingual",
            embedding_model=embedding_model,
            umap_model=umap_model,
            hdbscan_model=hdbscan_model,
            vectorizer_model=make_vectorizer(),
            top_n_words=o.top_n_terms,
            zeroshot_topic_list=[t.label for t in cb.themes] if cb and o.codebook_mode == "zeroshot" else None,
            zeroshot_min_similarity=o.codebook_threshold,
            seed_topic_list=[seed_words(t) for t in cb.themes] if cb and o.codebook_mode == "guided" else None,
            calculate_probabilities=False,
            verbose=False,
        )

    def fit(self, texts, embeddings, languages, passage_ids):
        """Fit themes on passages.

        Parameters
        ----------
        texts : sequence of str, length n_passages
        embeddings : ndarray of shape (n_passages, dim)
            Unit vectors from ``embedder``; not modified.
        languages : sequence of str, length n_passages
        passage_ids : sequence of str, length n_passages

        Returns
        -------
        self
        """
        from ..embeddings import LanguageCentering
        from .embedder import CodebookEmbedder

        texts, languages, ids = list(texts), list(languages), list(passage_ids)
        X0 = np.array(embeddings, dtype=np.float32, copy=True)
        if not (len(texts) == len(languages) == len(ids) == X0.shape[0]):
            raise ValueError("texts, embeddings, languages and passage_ids differ in length")
        if len(texts) < 3:
            raise ValueError(f"at least 3 passages are needed to fit themes, got {len(texts)}")
        o = self.options
        self.centring_ = LanguageCentering().fit(X0, languages) if o.align else None
        X = self.centring_.transform(X0, languages) if o.align else _normalise(X0)
        cb = self.codebook if o.codebook_mode != "off" else None
        self.codebook_vectors_ = codebook_vectors(cb, self.embedder, self.centring_) if cb else None
        embedding_model = CodebookEmbedder(self.embedder, self.centring_, cb, self.codebook_vectors_)
        self.tokens_ = segment_all(texts, languages, extra_stop_words=o.extra_stop_words)
        fit_idx = fit_sample(len(texts), max_passages=o.max_fit_passages, random_state=o.random_state)
        self.n_fit_ = int(fit_idx.size)
        self.bertopic_ = self._build_bertopic(self.n_fit_, embedding_model)
        topics, probs = self.bertopic_.fit_transform(
            [self.tokens_[i] for i in fit_idx], embeddings=X[fit_idx].copy()
        )
        raw, probs = self._assign_rest(fit_idx, topics, probs, X)
        final = self._reduce_outliers(raw, X)
        self.labels_ = final
        self.is_outlier_ = raw == -1
        self.probabilities_ = self._probabilities(raw, final, probs, X)
        self.passage_ids_ = ids
        self.languages_ = languages
        self.embeddings_ = X
        self.themes_ = self._describe(texts, languages, ids, X)
        return self

    def _assign_rest(self, fit_idx, topics, probs, X) -> tuple[np.ndarray, np.ndarray]:
        """Themes of all passages: fitted ones as fitted, the others by ``transform``."""
        n = X.shape[0]
        raw = np.full(n, -1, dtype=int)
        out = np.zeros(n, dtype=float)
        probs = np.asarray(probs, dtype=float)
        raw[fit_idx] = np.asarray(topics, dtype=int)
        out[fit_idx] = probs if probs.ndim == 1 else probs.max(axis=1)
        rest = np.setdiff1d(np.arange(n), fit_idx)
        for start in range(0, rest.size, 10_000):
            chunk = rest[start:start + 10_000]
            t, p = self.bertopic_.transform([self.tokens_[i] for i in chunk], embeddings=X[chunk])
            p = np.asarray(p, dtype=float)
            raw[chunk] = np.asarray(t, dtype=int)
            out[chunk] = p if p.ndim == 1 else p.max(axis=1)
        return raw, out

    def _reduce_outliers(self, raw: np.ndarray, X: np.ndarray) -> np.ndarray:
        o = self.options
        if o.outlier_strategy == "none" or not (raw == -1).any() or (raw == -1).all():
            return raw.copy()
        new = self.bertopic_.reduce_outliers(
            self.tokens_,
            raw.tolist(),
            strategy=o.outlier_strategy,
            embeddings=X,
            threshold=o.outlier_threshold,
        )
        return np.asarray(new, dtype=int)

    def _probabilities(self, raw, final, probs, X) -> np.ndarray:
        """Assignment strength; cosine to the theme vector for reassigned outliers."""
        out = probs.reshape(len(raw)) if probs.ndim <= 1 else probs.max(axis=1)
        out = out.astype(float).copy()
        moved = (raw == -1) & (final != -1)
        if moved.any():
            cents = theme_centroids(X, final)
            out[moved] = [float(X[i] @ cents[final[i]]) for i in np.flatnonzero(moved)]
        out[final == -1] = 0.0
        return np.round(out, 6)

    # -- description -------------------------------------------------------
    def _codebook_ids(self) -> dict[int, str]:
        bt = self.bertopic_
        if self.codebook is None or self.options.codebook_mode == "off":
            return {}
        if self.options.codebook_mode == "zeroshot":
            mapping = getattr(bt, "_topic_id_to_zeroshot_topic_idx", {}) or {}
            return {int(k): self.codebook.themes[int(v)].id for k, v in sorted(mapping.items())}
        # guided: a theme takes a codebook id when its centroid is closest to
        # that codebook vector and above the threshold
        cents = theme_centroids(self.embeddings_, self.labels_)
        out = {}
        for tid in sorted(cents):
            sims = self.codebook_vectors_ @ cents[tid]
            j = int(np.argmax(sims))
            if sims[j] >= self.options.codebook_threshold:
                out[tid] = self.codebook.themes[j].id
        return out

    def _describe(self, texts, languages, ids, X) -> pd.DataFrame:
        cb_ids = self._codebook_ids()
        labels = {}
        for tid in sorted(set(self.labels_.tolist()) - {-1}):
            if tid in cb_ids:
                labels[tid] = self.codebook.label_of(cb_ids[tid])
        return describe_themes(
            labels=self.labels_,
            tokens=self.tokens_,
            languages=languages,
            passage_ids=ids,
            embeddings=X,
            codebook_ids=cb_ids,
            codebook_labels=labels,
            top_n=self.options.top_n_terms,
            n_representative=self.options.n_representative,
        )

    # -- outputs -----------------------------------------------------------
    def assignments(self) -> pd.DataFrame:
        """The ``assignments`` table: one row per fitted passage."""
        names = dict(zip(self.themes_["theme_id"], self.themes_["theme"]))
        df = pd.DataFrame(
            {
                "passage_id": self.passage_ids_,
                "theme_id": self.labels_.astype("int64"),
                "theme": [names.get(int(t), "(outlier)") for t in self.labels_],
                "probability": self.probabilities_,
                "is_outlier": self.is_outlier_.astype(bool),
            }
        )
        return validate_assignments(df.sort_values("passage_id", ignore_index=True))

    def themes(self) -> pd.DataFrame:
        """The ``themes`` table."""
        return validate_themes(self.themes_.copy())

    def transform(self, texts, embeddings, languages) -> tuple[np.ndarray, np.ndarray]:
        """Assign new passages to the fitted themes.

        Embeddings are centred with the fitted language means, so new passages
        sit in the same space as the training passages.

        Returns
        -------
        theme_ids : ndarray of int, shape (n,)
        probabilities : ndarray of float, shape (n,)
        """
        X = np.array(embeddings, dtype=np.float32, copy=True)
        X = self.centring_.transform(X, list(languages)) if self.centring_ is not None else _normalise(X)
        tokens = segment_all(list(texts), list(languages), extra_stop_words=self.options.extra_stop_words)
        topics, probs = self.bertopic_.transform(tokens, embeddings=X)
        probs = np.asarray(probs, dtype=float)
        if probs.ndim > 1:
            probs = probs.max(axis=1)
        return np.asarray(topics, dtype=int), np.round(probs, 6)

    # -- persistence -------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save to a folder: BERTopic (safetensors), centring, config, theme table."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.bertopic_.save(
            path / "bertopic", serialization="safetensors", save_ctfidf=True, save_embedding_model=False
        )
        if self.centring_ is not None:
            self.centring_.save(path / "centring")
        if self.codebook_vectors_ is not None:
            np.save(path / "codebook_vectors.npy", self.codebook_vectors_)
        config = {
            "options": asdict(self.options),
            "min_cluster_size": int(self.min_cluster_size_),
            "n_fit": int(self.n_fit_),
            "embedder": _embedder_meta(self.embedder),
            "codebook": None if self.codebook is None else self.codebook.source,
            "codebook_ids": [t.id for t in self.codebook.themes] if self.codebook else None,
        }
        (path / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        self.themes_.to_parquet(path / "themes.parquet", index=False)
        return path

    @classmethod
    def load(cls, path: str | Path, *, embedder, codebook: Codebook | None = None) -> "ThemeModel":
        """Load a model saved with :meth:`save`; ``embedder`` must match the saved one."""
        from bertopic import BERTopic

        from ..embeddings import LanguageCentering
        from .embedder import CodebookEmbedder

        path = Path(path)
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        meta = _embedder_meta(embedder)
        if meta != config["embedder"]:
            raise ValueError(f"{path}: saved with embedder {config['embedder']}, given {meta}")
        opts = dict(config["options"])
        opts["extra_stop_words"] = tuple(opts.get("extra_stop_words") or ())
        model = cls(embedder=embedder, codebook=codebook, options=replace(ThemeOptions(), **opts))
        model.centring_ = LanguageCentering.load(path / "centring") if (path / "centring.npz").exists() or (path / "centring").exists() else None
        cbv = path / "codebook_vectors.npy"
        model.codebook_vectors_ = np.load(cbv) if cbv.exists() else None
        model.min_cluster_size_ = config["min_cluster_size"]
        model.n_fit_ = config.get("n_fit")
        embedding_model = CodebookEmbedder(embedder, model.centring_, codebook, model.codebook_vectors_)
        model.bertopic_ = BERTopic.load(str(path / "bertopic"), embedding_model=embedding_model)
        model.themes_ = pd.read_parquet(path / "themes.parquet")
        return model


def _embedder_meta(embedder) -> dict:
    return {k: str(getattr(embedder, k, "")) for k in ("name", "model_id", "version", "prefix")}
