"""Theme figures: the 2-D theme map and the top terms per language."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D

from ._common import LANGUAGE_NAMES, UNKNOWN, wrap_label
from .style import LANGUAGE_MARKERS, OUTLIER_COLOR, PAGE_WIDTH, palette

__all__ = ["THEME_LEGEND_SIDE_MAX", "term_languages", "theme_map", "top_terms", "top_terms_figure"]




def _theme_labels(data: pd.DataFrame) -> dict[int, str]:
    pairs = data[["theme_id", "theme"]].drop_duplicates().sort_values(["theme_id", "theme"])
    labels: dict[int, str] = {}
    for theme_id, theme in zip(pairs["theme_id"], pairs["theme"]):
        labels.setdefault(int(theme_id), str(theme))
    return labels


def theme_map(
    data: pd.DataFrame,
    *,
    ax: Axes | None = None,
    colors: Sequence[str] | None = None,
    s: float = 6.0,
    legend: bool = True,
    label_width: int = 30,
    **kwargs: Any,
) -> Axes:
    """Passages on the 2-D theme map, coloured by theme, marker by language.

    Parameters
    ----------
    data : DataFrame
        The ``theme_map`` table: ``passage_id, x, y, theme_id, theme,
        language``. ``theme_id == -1`` marks outliers (drawn light grey,
        underneath).
    ax : Axes, optional
        Axes to draw on; defaults to the current axes.
    colors : sequence of str, optional
        One colour per theme in ``theme_id`` order; defaults to :func:`palette`.
    s : float
        Marker area in points squared.
    legend : bool
        Draw a theme legend and a language legend to the right of the axes.
    label_width : int
        Theme labels in the legend wrap at this many characters.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.scatter` (e.g. ``alpha``).

    Returns
    -------
    Axes
        Markers: ``o`` Vietnamese, ``s`` French, ``^`` English, ``D`` other.
    """
    missing = [c for c in ("passage_id", "x", "y", "theme_id", "theme", "language") if c not in data.columns]
    if missing:
        raise ValueError(f"theme_map: missing column(s) {', '.join(missing)}")
    ax = plt.gca() if ax is None else ax
    data = data.assign(language=data["language"].astype("string").fillna(UNKNOWN)).sort_values("passage_id")
    labels = _theme_labels(data)
    theme_ids = [t for t in sorted(labels) if t >= 0]
    colors = list(colors) if colors is not None else palette(len(theme_ids))
    color_of = {t: colors[i % len(colors)] for i, t in enumerate(theme_ids)}
    color_of.update({t: OUTLIER_COLOR for t in sorted(labels) if t < 0})
    languages = sorted(data["language"].unique())
    kwargs.setdefault("linewidths", 0.2)
    kwargs.setdefault("edgecolors", "white")
    for theme_id in sorted(labels):
        for language in languages:
            part = data[(data["theme_id"] == theme_id) & (data["language"] == language)]
            if len(part):
                ax.scatter(part["x"], part["y"], s=s, c=color_of[theme_id],
                           marker=LANGUAGE_MARKERS.get(language, "D"), **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("Map dimension 1")
    ax.set_ylabel("Map dimension 2")
    if legend:
        _theme_map_legends(ax, labels, color_of, languages, label_width)
    return ax


#: Up to this many legend entries the theme legend is one column right of the map; beyond, three below it.
THEME_LEGEND_SIDE_MAX = 14


def _theme_map_legends(ax: Axes, labels: dict[int, str], color_of: dict[int, str],
                       languages: list[str], label_width: int) -> None:
    """Language markers in one row above the map; themes to the right (few) or below in 3 columns (many)."""
    themes = [Line2D([], [], linestyle="none", marker="o", color=color_of[t],
                     label=wrap_label(labels[t] if t >= 0 else "Outlier (no theme)", width=label_width))
              for t in sorted(labels, key=lambda t: (t < 0, t))]
    if len(themes) <= THEME_LEGEND_SIDE_MAX:
        place = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1)
    else:
        place = dict(loc="upper left", bbox_to_anchor=(0.0, -0.08), ncols=3)
    first = ax.legend(handles=themes, title="Theme", borderaxespad=0.0, alignment="left", labelspacing=0.6,
                      **place)
    ax.add_artist(first)
    first.set_clip_on(False)  # add_artist clips to the axes patch, which drops it from tight layouts
    markers = [Line2D([], [], linestyle="none", marker=LANGUAGE_MARKERS.get(lang, "D"), markerfacecolor="none",
                      markeredgecolor="black", label=LANGUAGE_NAMES.get(lang, lang)) for lang in languages]
    ax.legend(handles=markers, title="Language", loc="lower left", bbox_to_anchor=(0.0, 1.01),
              borderaxespad=0.0, ncols=len(markers), alignment="left")



_LINE = 1.0  # one text line, in data units of the term table
_GAP = 0.45  # space between rows, in lines


def _tick_fontsize() -> float:
    """``xtick.labelsize`` in points (it may be a name such as ``"medium"``)."""
    return float(FontProperties(size=plt.rcParams["xtick.labelsize"]).get_size_in_points())


def _chars_for(width_in: float, fontsize: float) -> int:
    """Characters of average width that fit in ``width_in`` inches."""
    return max(8, int(width_in * 72.0 / (0.56 * fontsize)))


def term_languages(terms: pd.DataFrame) -> list[str]:
    """Languages of a ``terms`` table, the one with most terms first (ties by code)."""
    counts = terms["language"].astype(str).value_counts()
    return sorted(counts.index, key=lambda lang: (-int(counts[lang]), lang))


def _term_rows(terms: pd.DataFrame, themes: pd.DataFrame, languages: Sequence[str], *, n_terms: int,
               label_chars: int, term_chars: int) -> list[tuple[str, list[str], int]]:
    """(label, cells, height in lines) per theme, theme_id order, outliers left out."""
    for name, table, needed in (("terms", terms, ("theme_id", "language", "rank", "term")),
                                ("themes", themes, ("theme_id", "theme"))):
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")
    ordered = terms.sort_values(["theme_id", "language", "rank"])
    words = {(int(t), str(lang)): part["term"].astype(str).tolist()
             for (t, lang), part in ordered.groupby(["theme_id", "language"], sort=True)}
    rows = []
    for record in themes[themes["theme_id"] >= 0].sort_values("theme_id").itertuples(index=False):
        tid = int(record.theme_id)
        label = wrap_label(record.theme, width=label_chars, max_lines=3)
        cells = [textwrap.fill(", ".join(words.get((tid, lang), [])[:n_terms]) or "–", width=term_chars)
                 for lang in languages]
        height = max(text.count("\n") + 1 for text in [label, *cells])
        rows.append((label, cells, height))
    if not rows:
        raise ValueError("themes: no theme with theme_id >= 0")
    return rows


def _draw_term_table(ax: Axes, rows: list[tuple[str, list[str], int]], languages: Sequence[str],
                     label_frac: float, fontsize: float) -> None:
    column = (1.0 - label_frac) / len(languages)
    xs = [label_frac + k * column for k in range(len(languages))]
    header = ["Theme", *[LANGUAGE_NAMES.get(lang, lang) for lang in languages]]
    for x, text in zip([0.0, *xs], header):
        ax.text(x, 0.0, text, ha="left", va="top", fontsize=fontsize, fontweight="bold")
    y = _LINE + _GAP / 2
    ax.plot([0.0, 1.0], [y, y], color="black", linewidth=0.6)
    y += _GAP / 2
    for label, cells, height in rows:
        for x, text in zip([0.0, *xs], [label, *cells]):
            ax.text(x, y, text, ha="left", va="top", fontsize=fontsize, linespacing=1.15)
        y += height * _LINE * 1.15 + _GAP
    ax.plot([0.0, 1.0], [y - _GAP / 2, y - _GAP / 2], color="black", linewidth=0.6)
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(y, 0.0)
    ax.axis("off")


def top_terms(
    terms: pd.DataFrame,
    *,
    themes: pd.DataFrame,
    languages: str | Sequence[str] | None = None,
    n_terms: int = 8,
    ax: Axes | None = None,
    label_frac: float = 0.24,
    fontsize: float | None = None,
) -> Axes:
    """Top terms per theme as a text table: one row per theme, one column per language.

    Parameters
    ----------
    terms : DataFrame
        The ``terms`` table (``theme_id, language, rank, term``).
    themes : DataFrame
        The ``themes`` table (``theme_id, theme``): the row labels. Outliers
        (``theme_id < 0``) are left out.
    languages : str or sequence of str, optional
        Language code(s) whose terms are shown, in order; defaults to every
        language of ``terms``, the one with most terms first.
    n_terms : int
        Terms per cell.
    ax : Axes, optional
        Axes to draw on; defaults to the current axes. Its height should
        allow for the wrapped rows (see :func:`top_terms_figure`).
    label_frac : float
        Fraction of the axes width given to the theme label column.
    fontsize : float, optional
        Text size; defaults to ``xtick.labelsize``.

    Returns
    -------
    Axes
        With the axis turned off; cells wrap to the column width.
    """
    languages = _languages(terms, languages)
    ax = plt.gca() if ax is None else ax
    fontsize = _tick_fontsize() if fontsize is None else fontsize
    width_in = ax.get_position().width * ax.figure.get_figwidth()
    rows = _term_rows(terms, themes, languages, n_terms=n_terms,
                      label_chars=_chars_for(width_in * label_frac * 0.95, fontsize),
                      term_chars=_chars_for(width_in * (1 - label_frac) / len(languages) * 0.95, fontsize))
    _draw_term_table(ax, rows, languages, label_frac, fontsize)
    return ax


def _languages(terms: pd.DataFrame, languages) -> list[str]:
    languages = term_languages(terms) if languages is None else languages
    languages = [languages] if isinstance(languages, str) else list(languages)
    if not languages:
        raise ValueError("top terms: no language to show (the terms table is empty)")
    return languages


def top_terms_figure(
    terms: pd.DataFrame,
    *,
    themes: pd.DataFrame,
    languages: Sequence[str] | None = None,
    n_terms: int = 8,
    width: float = PAGE_WIDTH,
    fig: Figure | None = None,
) -> Figure:
    """A figure holding :func:`top_terms`, sized so that every wrapped row fits.

    Parameters
    ----------
    terms, themes : DataFrame
        The ``terms`` and ``themes`` tables.
    languages : sequence of str, optional
        Language columns, in order; defaults to every language of ``terms``.
    n_terms : int
        Terms per cell.
    width : float
        Figure width in inches (used when ``fig`` is None).
    fig : Figure, optional
        Figure to draw into; a new one by default.

    Returns
    -------
    Figure
    """
    languages = _languages(terms, languages)
    fontsize = _tick_fontsize()
    label_frac = 0.24
    rows = _term_rows(terms, themes, languages, n_terms=n_terms,
                      label_chars=_chars_for(width * label_frac * 0.95, fontsize),
                      term_chars=_chars_for(width * (1 - label_frac) / len(languages) * 0.95, fontsize))
    lines = 1 + _GAP + sum(h * 1.15 + _GAP for _, _, h in rows)
    height = lines * fontsize * 1.2 / 72.0 + 0.1
    fig = plt.figure(figsize=(width, height)) if fig is None else fig
    engine = fig.get_layout_engine()
    if engine is not None and "w_pad" in engine.get():
        engine.set(w_pad=0.01, h_pad=0.01, wspace=0.0, hspace=0.0)
    _draw_term_table(fig.add_subplot(), rows, languages, label_frac, fontsize)
    return fig
