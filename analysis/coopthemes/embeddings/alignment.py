"""Cross-lingual alignment of embeddings by per-language mean centring.

Multilingual sentence embeddings carry a language component: raw
multilingual-e5 vectors of the same sentence in Vietnamese, French and
English lie closer to other sentences of their language than to each other,
so clustering finds languages rather than themes. Subtracting each
language's mean vector removes most of that component (Libovický et al.
2020, "On the language neutrality of pre-trained multilingual
representations").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .base import l2_normalize

__all__ = ["LanguageCentering"]

_FORMAT = "coopthemes-language-centering/1"


def _languages(languages, n: int) -> list[str | None]:
    """Language codes as str, missing values as None; length checked."""
    if isinstance(languages, str):
        raise TypeError("languages must be a sequence with one code per row, not a string")
    values = list(languages)
    if len(values) != n:
        raise ValueError(f"languages has {len(values)} values but X has {n} rows")
    return [None if v is None or pd.isna(v) else str(v) for v in values]


def _matrix(X, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_rows, dim), got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


#: Rows are summed on a grid of ``2**-_MEAN_BITS`` in integers, so that a mean
#: does not depend on the order of summation.
_MEAN_BITS = 40


def _exact_mean(X: np.ndarray) -> np.ndarray:
    """Column means of ``X`` from exact integer sums of its values rounded to ``2**-40``.

    The same bits on any machine, whatever NumPy's reduction order; differs
    from the float mean by less than ``2**-41``.
    """
    scaled = np.rint(X * float(1 << _MEAN_BITS))
    if np.max(np.abs(scaled), initial=0.0) * X.shape[0] >= 2.0**62:
        raise ValueError("values too large to average exactly")
    total = scaled.astype(np.int64).sum(axis=0, dtype=np.int64)
    return total.astype(np.float64) / float(X.shape[0]) / float(1 << _MEAN_BITS)


class LanguageCentering(BaseEstimator):
    """Subtract each language's mean embedding, then re-normalise.

    Parameters
    ----------
    min_count : int, default 10
        A language with fewer rows at fit time gets no mean of its own: its
        rows are centred on the global mean, like rows of an unknown or
        missing language (a mean of very few rows is mostly their content).
    normalize : bool, default True
        Scale the centred rows back to unit L2 norm (zero rows stay zero).

    Attributes
    ----------
    means_ : dict of str -> ndarray of shape (dim,)
        Mean of the fitted rows of each language with at least ``min_count``
        rows, keys in sorted order.
    global_mean_ : ndarray of shape (dim,)
        Mean of all fitted rows.
    counts_ : dict of str -> int
        Fitted rows per language (every language seen, missing excluded).
    n_features_in_ : int
        Embedding dimension.
    """

    def __init__(self, *, min_count: int = 10, normalize: bool = True):
        self.min_count = min_count
        self.normalize = normalize

    def fit(self, X, languages: Sequence[str | None]) -> LanguageCentering:
        """Learn the mean vector of each language.

        Parameters
        ----------
        X : array-like of shape (n_rows, dim)
        languages : sequence of str or missing, length n_rows

        Returns
        -------
        self
        """
        if int(self.min_count) < 1:
            raise ValueError(f"min_count must be a positive integer, got {self.min_count!r}")
        X = _matrix(X)
        if X.shape[0] == 0:
            raise ValueError("X has no rows")
        langs = np.array(["" if v is None else v for v in _languages(languages, X.shape[0])])
        known = sorted(set(langs.tolist()) - {""})
        self.counts_ = {lang: int((langs == lang).sum()) for lang in known}
        self.means_ = {
            lang: _exact_mean(X[langs == lang])
            for lang in known
            if self.counts_[lang] >= self.min_count
        }
        self.global_mean_ = _exact_mean(X)
        self.n_features_in_ = X.shape[1]
        return self

    def centre(self, X, languages: Sequence[str | None]) -> np.ndarray:
        """Rows minus their language's mean, in float64, not normalised.

        Only subtractions of the fitted means: the same bits on any machine
        for the same input.

        Returns
        -------
        ndarray of shape (n_rows, dim), float64
        """
        check_is_fitted(self, ["means_", "global_mean_"])
        X = _matrix(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has dimension {X.shape[1]}, but LanguageCentering was fitted "
                f"on dimension {self.n_features_in_}"
            )
        langs = _languages(languages, X.shape[0])
        offsets = np.zeros_like(X)
        for i, lang in enumerate(langs):
            offsets[i] = self.means_.get(lang, self.global_mean_)
        return X - offsets

    def transform(self, X, languages: Sequence[str | None]) -> np.ndarray:
        """Centre each row on its language's mean (global mean if none).

        Parameters
        ----------
        X : array-like of shape (n_rows, dim)
        languages : sequence of str or missing, length n_rows

        Returns
        -------
        ndarray of shape (n_rows, dim), float32
        """
        centred = self.centre(X, languages)
        if self.normalize:
            return l2_normalize(centred)
        return centred.astype(np.float32)

    def fit_transform(self, X, languages: Sequence[str | None]) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same rows."""
        return self.fit(X, languages).transform(X, languages)

    def save(self, path) -> Path:
        """Write the fitted means to a ``.npz`` file (no pickle).

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        Path
        """
        check_is_fitted(self, ["means_", "global_mean_"])
        path = Path(path)
        langs = sorted(self.means_)
        meta = {
            "format": _FORMAT,
            "params": self.get_params(),
            "counts": self.counts_,
            "languages": langs,
        }
        means = np.zeros((len(langs), self.n_features_in_))
        for i, lang in enumerate(langs):
            means[i] = self.means_[lang]
        with open(path, "wb") as fh:
            meta_json = np.array(json.dumps(meta))
            np.savez(fh, means=means, global_mean=self.global_mean_, meta=meta_json)
        return path

    @classmethod
    def load(cls, path) -> LanguageCentering:
        """Read a file written by :meth:`save`.

        Raises
        ------
        ValueError
            The file is not a saved LanguageCentering or is inconsistent.
        """
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                means, global_mean = data["means"], data["global_mean"]
        except (OSError, KeyError, ValueError) as err:
            raise ValueError(f"{path}: not a saved LanguageCentering ({err})") from err
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ValueError(f"{path}: unknown format {meta.get('format')!r}, expected {_FORMAT}")
        langs = meta["languages"]
        if means.shape != (len(langs), global_mean.shape[0]):
            raise ValueError(
                f"{path}: means have shape {means.shape} for {len(langs)} languages "
                f"of dimension {global_mean.shape[0]}"
            )
        model = cls(**meta["params"])
        model.means_ = {lang: means[i] for i, lang in enumerate(langs)}
        model.global_mean_ = global_mean
        model.counts_ = {k: int(v) for k, v in sorted(meta["counts"].items())}
        model.n_features_in_ = int(global_mean.shape[0])
        return model
