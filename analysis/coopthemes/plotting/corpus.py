"""Corpus figures: documents by group, year and language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._common import LANGUAGE_NAMES, NO_PARTNER, UNKNOWN, as_list
from .style import LANGUAGE_COLORS, OUTLIER_COLOR, PAGE_WIDTH, palette

__all__ = ["corpus_counts", "corpus_overview"]




def _corpus_long(documents: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per (document, category) with its language; partners exploded."""
    language = documents["language"].astype("string").fillna(UNKNOWN).astype(str)
    if by == "partner":
        values = [as_list(v) or [NO_PARTNER] for v in documents["partners"]]
        long = pd.DataFrame({"language": language.to_numpy(), "category": values}).explode("category")
        return long.assign(category=long["category"].astype(str))
    if by == "year":
        years = documents["year"].astype("Int64")
        category = years.astype("string").fillna(UNKNOWN).astype(str)
    elif by == "language":
        category = language
    else:
        raise ValueError(f"corpus_counts: by must be 'partner', 'year' or 'language', got {by!r}")
    return pd.DataFrame({"language": language.to_numpy(), "category": category.to_numpy()})


def _category_order(categories: Sequence[str], by: str) -> list[str]:
    rest = sorted(c for c in set(categories) if c not in (UNKNOWN, NO_PARTNER))
    if by == "year":
        rest = sorted(rest, key=int)
    return rest + [c for c in (NO_PARTNER, UNKNOWN) if c in set(categories)]


def corpus_counts(
    documents: pd.DataFrame,
    *,
    by: str = "partner",
    status: str | None = "ok",
    ax: Axes | None = None,
    legend: bool = True,
    **kwargs: Any,
) -> Axes:
    """Bar chart of documents by partner, year or language, stacked by language.

    Parameters
    ----------
    documents : DataFrame
        The ``documents`` table (``language, year, partners, status``).
        A document naming two partners counts once for each; missing values
        are shown as ``"unknown"`` (year, language) or ``"none"`` (partner).
    by : {"partner", "year", "language"}
        Category on the x axis.
    status : str or None
        Count only documents with this status (``"ok"``: kept); None for all.
    ax : Axes, optional
        Axes to draw on; defaults to the current axes.
    legend : bool
        Add a language legend.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.bar`.

    Returns
    -------
    Axes
    """
    missing = [c for c in ("language", "year", "partners", "status") if c not in documents.columns]
    if missing:
        raise ValueError(f"documents: missing column(s) {', '.join(missing)}")
    docs = documents if status is None else documents[documents["status"] == status]
    ax = plt.gca() if ax is None else ax
    long = _corpus_long(docs, by)
    counts = pd.crosstab(long["category"], long["language"])
    order = _category_order(list(counts.index), by)
    counts = counts.reindex(index=order, columns=sorted(counts.columns), fill_value=0)
    x = np.arange(len(order))
    bottom = np.zeros(len(order))
    extra = iter(palette(len(counts.columns) + 3)[3:])
    for language in counts.columns:
        color = LANGUAGE_COLORS.get(language) or next(extra, OUTLIER_COLOR)
        values = counts[language].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, color=color, label=LANGUAGE_NAMES.get(language, language),
               width=0.75, **kwargs)
        bottom += values
    labels = [LANGUAGE_NAMES.get(c, c) for c in order] if by == "language" else order
    tilt = sum(len(label) for label in labels) > 5 * len(labels) + 6  # long labels would touch
    ax.set_xticks(x, labels, rotation=30 if tilt else 0, ha="right" if tilt else "center")
    ax.set_ylabel("Documents")
    ax.set_ylim(0, max(float(bottom.max()), 1.0) * 1.05)  # zero-height stacked bars would pin the top
    ax.yaxis.get_major_locator().set_params(integer=True)
    if legend:
        ax.legend(title="Language")
    return ax


def corpus_overview(documents: pd.DataFrame, *, status: str | None = "ok", fig: Figure | None = None) -> Figure:
    """Three panels: documents by partner, by year and by language.

    Parameters
    ----------
    documents : DataFrame
        The ``documents`` table.
    status : str or None
        Count only documents with this status; None for all.
    fig : Figure, optional
        Figure to draw into; a new page-wide figure by default.

    Returns
    -------
    Figure
        With one shared language legend below the panels.
    """
    fig = plt.figure(figsize=(PAGE_WIDTH, 2.3)) if fig is None else fig
    axes = fig.subplots(1, 3, width_ratios=[1.2, 1.2, 0.7])
    for ax, by, title in zip(axes, ("partner", "year", "language"), ("By partner", "By year", "By language")):
        corpus_counts(documents, by=by, status=status, ax=ax, legend=False)
        ax.set_title(title, loc="left")
    for ax in axes[1:]:
        ax.set_ylabel("")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="Language", loc="outside right center")
    return fig
