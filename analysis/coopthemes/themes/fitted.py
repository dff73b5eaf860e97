"""A fitted theme model's passage-level state, read without BERTopic.

Theme edits (:mod:`.edits`) and the descriptions beside the top terms (FREX
terms, representative passages per language) need what a fit decided for
each passage (its theme, grid vector, tokens, language, the fits of the
consensus), not the model's machinery. :class:`FittedThemes` holds exactly
that, from a :class:`~coopthemes.ThemeModel` in memory or from its saved
folder (``results/model``), which it reads with pandas and NumPy alone: a
report redone with edits does not import BERTopic, UMAP or HDBSCAN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import validate_themes
from .numerics import float_to_grid

__all__ = ["FittedThemes", "OTHER_LABEL", "OUTLIER_LABEL"]

#: Name of the pseudo-theme of passages without a theme (as in :mod:`.model`).
OUTLIER_LABEL = "(outlier)"
#: Name of the pseudo-theme of the passages of dropped themes.
OTHER_LABEL = "(other)"


@dataclass(frozen=True)
class FittedThemes:
    """What a theme fit decided, passage by passage.

    Attributes
    ----------
    passage_ids, languages, tokens : list of str, length n_passages
        ``tokens``: the passage's words as counted for top terms (space
        separated, ``_`` inside a word).
    labels : ndarray of int, shape (n_passages,)
        Theme id of each passage (-1: none).
    is_outlier : ndarray of bool
        Left out by the consensus before outlier reduction.
    probabilities : ndarray of float
        Similarity of each passage to its theme's centre.
    discusses : list of tuple of int
        Codebook themes (ids) each passage shows evidence of besides its own.
    evidence : list of str
    grid : ndarray of shape (n_passages, dim)
        Grid vectors (:mod:`.numerics`): exact sums and similarities.
    run_labels : ndarray of int, shape (n_runs, n_passages)
        Each fit of the consensus, mapped to the consensus themes.
    themes, terms : DataFrame
        The fit's ``themes`` and ``terms`` tables.
    theme_map : DataFrame or None
    codebook : dict or None
        The codebook the fit used (:func:`~coopthemes.themes.codebook.codebook_to_dict`).
    top_n_terms, n_representative : int
    min_stability : float
    """

    passage_ids: list
    languages: list
    tokens: list
    labels: np.ndarray
    is_outlier: np.ndarray
    probabilities: np.ndarray
    discusses: list
    evidence: list
    grid: np.ndarray
    run_labels: np.ndarray
    themes: pd.DataFrame
    terms: pd.DataFrame
    theme_map: pd.DataFrame | None
    codebook: dict | None
    top_n_terms: int
    n_representative: int
    min_stability: float

    @classmethod
    def from_model(cls, model) -> FittedThemes:
        """The state of a fitted :class:`~coopthemes.ThemeModel`."""
        from .codebook import codebook_to_dict

        o = model.options
        return cls(
            passage_ids=[str(v) for v in model.passage_ids_], languages=[str(v) for v in model.languages_],
            tokens=list(model.tokens_), labels=np.asarray(model.labels_, dtype=np.int64),
            is_outlier=np.asarray(model.is_outlier_, dtype=bool),
            probabilities=np.asarray(model.probabilities_, dtype=float),
            discusses=[tuple(int(t) for t in ts) for ts in model.discusses_], evidence=list(model.evidence_),
            grid=float_to_grid(model.embeddings_), run_labels=np.asarray(model.run_labels_, dtype=np.int64),
            themes=model.themes(), terms=model.terms(), theme_map=getattr(model, "theme_map_", None),
            codebook=codebook_to_dict(model.codebook) if model.codebook is not None else None,
            top_n_terms=int(o.top_n_terms), n_representative=int(o.n_representative),
            min_stability=float(o.min_stability),
        )

    @classmethod
    def load(cls, path: str | Path) -> FittedThemes:
        """Read a model folder saved by :meth:`~coopthemes.ThemeModel.save` (no BERTopic needed).

        Raises
        ------
        FileNotFoundError
            When ``path`` holds no saved model.
        ValueError
            When a file of the model cannot be read (the file is named).
        """
        path = Path(path)
        config_file = path / "config.json"
        if not config_file.is_file():
            raise FileNotFoundError(f"{path}: no saved theme model (no config.json); run `coopthemes run` again")
        try:
            config = json.loads(config_file.read_text(encoding="utf-8"))
            options = config.get("options", {})
            fitted = pd.read_parquet(path / "passages.parquet")
            grid = float_to_grid(np.load(path / "embeddings.npy", allow_pickle=False))
            run_labels = np.load(path / "run_labels.npy", allow_pickle=False).astype(np.int64)
            themes = validate_themes(pd.read_parquet(path / "themes.parquet"))
            terms = pd.read_parquet(path / "terms.parquet")
            tmap = path / "theme_map.parquet"
            theme_map = pd.read_parquet(tmap) if tmap.exists() else None
        except (OSError, ValueError, KeyError) as err:
            raise ValueError(f"{path}: saved theme model cannot be read ({type(err).__name__}: {err})") from None
        except Exception as err:  # a damaged Parquet or NumPy file raises many kinds of error
            raise ValueError(f"{path}: saved theme model cannot be read ({type(err).__name__})") from None
        return cls(
            passage_ids=fitted["passage_id"].astype(str).tolist(), languages=fitted["language"].astype(str).tolist(),
            tokens=fitted["tokens"].astype(str).tolist(), labels=fitted["label"].to_numpy(dtype=np.int64),
            is_outlier=fitted["is_outlier"].to_numpy(dtype=bool),
            probabilities=fitted["probability"].to_numpy(dtype=float),
            discusses=[tuple(int(t) for t in ts) for ts in fitted["discusses"]],
            evidence=fitted["evidence"].fillna("").astype(str).tolist(), grid=grid, run_labels=run_labels,
            themes=themes, terms=terms, theme_map=theme_map, codebook=config.get("codebook"),
            top_n_terms=int(options.get("top_n_terms", 10)), n_representative=int(options.get("n_representative", 3)),
            min_stability=float(options.get("min_stability", 0.5)),
        )

    @property
    def theme_ids(self) -> list[int]:
        """Ids of the fitted themes, sorted."""
        return sorted(int(t) for t in self.themes["theme_id"])

    def codebook_labels(self) -> dict[str, str]:
        """Codebook theme id -> label, from the codebook the fit used (empty without one)."""
        if not self.codebook:
            return {}
        return {str(t["id"]): str(t["label"]) for t in self.codebook.get("themes", [])}
