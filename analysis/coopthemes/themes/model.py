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
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import ThemesConfig, config_to_dict
from ..embeddings.base import embedder_identity
from ..schema import validate_assignments, validate_terms, validate_themes
from .codebook import Codebook, codebook_from_dict, codebook_to_dict, seed_words
from .terms import describe_themes, theme_centroids
from .tokenize import make_vectorizer, segment_all

__all__ = ["ThemeModel", "auto_min_cluster_size", "auto_min_samples", "max_cluster_size"]

log = logging.getLogger(__name__)

#: Format of a saved model folder.
MODEL_FORMAT = "coopthemes-theme-model/2"


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
        Embeds codebook descriptions; BERTopic sees it through
        :class:`~coopthemes.themes.bertopic_adapter.BertopicEmbedder`, so
        zero-shot and guided modes run.
    codebook : Codebook or None
        Themes to look for; ``None`` discovers themes only.
    options : ThemesConfig
        The theme settings (the ``themes`` section of a configuration).
    random_state : int
        Seed of UMAP and of every other random step.

    Attributes
    ----------
    labels_ : ndarray of int, shape (n_passages,)
        Theme of each fitted passage (-1: outlier, when outliers are kept).
    is_outlier_ : ndarray of bool
        Whether HDBSCAN left the passage out before outlier reduction.
    probabilities_ : ndarray of float
        Assignment strength.
    passage_ids_, languages_, tokens_ : list of str
    embeddings_ : ndarray of shape (n_passages, dim)
        The centred unit vectors the model was fitted on.
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
        n_themes = len(self.themes_)
        return (f"ThemeModel({n_themes} themes over {len(self.passage_ids_)} passages, "
                f"{int(self.is_outlier_.sum())} outliers before reduction, random_state={self.random_state})")

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
            random_state=self.random_state,
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
        from .bertopic_adapter import BertopicEmbedder

        texts, languages, ids = list(texts), [str(v) for v in languages], list(passage_ids)
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
        embedding_model = BertopicEmbedder(self.embedder, self.centring_, cb, self.codebook_vectors_)
        self.tokens_ = segment_all(texts, languages, extra_stop_words=o.extra_stop_words)
        fit_idx = fit_sample(len(texts), max_passages=o.max_fit_passages, random_state=self.random_state)
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
        self.themes_, self.terms_ = self._describe()
        self.theme_map_ = None
        self._source_dir = None
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

    def _describe(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        cb_ids = self._codebook_ids()
        labels = {tid: self.codebook.label_of(cid) for tid, cid in cb_ids.items()}
        return describe_themes(
            labels=self.labels_,
            tokens=self.tokens_,
            languages=self.languages_,
            passage_ids=self.passage_ids_,
            embeddings=self.embeddings_,
            codebook_ids=cb_ids,
            codebook_labels=labels,
            top_n=self.options.top_n_terms,
            n_representative=self.options.n_representative,
        )

    # -- outputs -----------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise RuntimeError("this ThemeModel is not fitted: call fit() or ThemeModel.load()")

    def assignments(self) -> pd.DataFrame:
        """The ``assignments`` table: one row per fitted passage."""
        self._check_fitted()
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
        self._check_fitted()
        return validate_themes(self.themes_.copy())

    def terms(self) -> pd.DataFrame:
        """The ``terms`` table: top terms per theme and language, long."""
        self._check_fitted()
        return validate_terms(self.terms_.copy())

    def theme_map(self, *, max_points: int = 5000) -> pd.DataFrame:
        """2-D coordinates of passages for the theme map (seeded UMAP on the centred vectors).

        Above ``max_points`` passages a seeded sample is drawn: more points only
        overplot the figure, and the map's UMAP would take as long as the theme
        model's own. Computed once, kept (and saved) with the model.

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
        sit in the same space as the training passages.

        Returns
        -------
        theme_ids : ndarray of int, shape (n,)
        probabilities : ndarray of float, shape (n,)
        """
        self._check_fitted()
        X = np.array(embeddings, dtype=np.float32, copy=True)
        X = self.centring_.transform(X, list(languages)) if self.centring_ is not None else _normalise(X)
        tokens = segment_all(list(texts), [str(v) for v in languages], extra_stop_words=self.options.extra_stop_words)
        topics, probs = self.bertopic_.transform(tokens, embeddings=X)
        probs = np.asarray(probs, dtype=float)
        if probs.ndim > 1:
            probs = probs.max(axis=1)
        return np.asarray(topics, dtype=int), np.round(probs, 6)

    # -- persistence -------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Save the whole fitted state to a folder.

        BERTopic (safetensors), the language centring, the codebook and its
        vectors, the fitted passages (ids, languages, tokens, themes,
        outlier flags, strengths), their centred vectors, and the ``themes``,
        ``terms`` and (once computed) theme-map tables. A model that was
        loaded and not changed since is copied file for file, so that a
        reused fit is saved byte for byte as it was stored.
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
            self.bertopic_.save(
                path / "bertopic", serialization="safetensors", save_ctfidf=True, save_embedding_model=False
            )
        finally:
            bertopic_log.setLevel(level)
        if self.centring_ is not None:
            self.centring_.save(path / "centring.npz")
        if self.codebook_vectors_ is not None:
            np.save(path / "codebook_vectors.npy", self.codebook_vectors_, allow_pickle=False)
        np.save(path / "embeddings.npy", np.ascontiguousarray(self.embeddings_, dtype=np.float32), allow_pickle=False)
        fitted = pd.DataFrame({
            "passage_id": pd.array(self.passage_ids_, dtype="string"),
            "language": pd.array(self.languages_, dtype="string"),
            "tokens": pd.array(self.tokens_, dtype="string"),
            "label": self.labels_.astype("int64"),
            "is_outlier": self.is_outlier_.astype(bool),
            "probability": self.probabilities_.astype("float64"),
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
            text (codebook descriptions); without it the model reads and
            assigns precomputed vectors.

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
        cbv = path / "codebook_vectors.npy"
        model.codebook_vectors_ = np.load(cbv, allow_pickle=False) if cbv.exists() else None
        model.min_cluster_size_ = int(config["min_cluster_size"])
        model.n_fit_ = int(config["n_fit"])
        embedding_model = BertopicEmbedder(embedder, model.centring_, codebook, model.codebook_vectors_)
        model.bertopic_ = BERTopic.load(str(path / "bertopic"), embedding_model=embedding_model)
        fitted = pd.read_parquet(path / "passages.parquet")
        model.passage_ids_ = fitted["passage_id"].astype(str).tolist()
        model.languages_ = fitted["language"].astype(str).tolist()
        model.tokens_ = fitted["tokens"].astype(str).tolist()
        model.labels_ = fitted["label"].to_numpy(dtype=int)
        model.is_outlier_ = fitted["is_outlier"].to_numpy(dtype=bool)
        model.probabilities_ = fitted["probability"].to_numpy(dtype=float)
        model.embeddings_ = np.load(path / "embeddings.npy", allow_pickle=False)
        model.themes_ = pd.read_parquet(path / "themes.parquet")
        model.terms_ = pd.read_parquet(path / "terms.parquet")
        tmap = path / "theme_map.parquet"
        model.theme_map_ = pd.read_parquet(tmap) if tmap.exists() else None
        model._source_dir = path
        return model


def _tuples(options: dict) -> dict:
    """JSON lists back to tuples for the configuration dataclass."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}


def _theme_map(model: ThemeModel, *, max_points: int) -> pd.DataFrame:
    _numba_cache()
    from umap import UMAP

    X = model.embeddings_
    n = X.shape[0]
    idx = np.arange(n)
    if n > max_points:
        idx = np.sort(np.random.default_rng(model.random_state).choice(n, max_points, replace=False))
    xy = UMAP(
        n_neighbors=max(2, min(15, len(idx) - 1)),
        n_components=2,
        min_dist=0.1,
        metric="cosine",
        init="pca",
        random_state=model.random_state,
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
