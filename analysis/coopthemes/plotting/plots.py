"""Plotting functions for themes, prevalence and the corpus.

Axes-level functions follow seaborn's conventions: the table comes first,
everything else is keyword-only, ``ax=None`` falls back to
:func:`matplotlib.pyplot.gca`, extra ``**kwargs`` go to the underlying
matplotlib call, and the :class:`~matplotlib.axes.Axes` is returned. They never
save or show a figure. Figure-level helpers (:func:`trend_grid`,
:func:`top_terms_figure`, :func:`corpus_overview`) build a
:class:`~matplotlib.figure.Figure` of several axes and return it.

Shares are read from the ``prevalence`` table (proportions in [0, 1]) and
drawn as percentages. Plots only read tables; nothing is computed here that
the prevalence stage already computed.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from coopthemes.plotting.style import (
    LANGUAGE_COLORS,
    LANGUAGE_MARKERS,
    OUTLIER_COLOR,
    PAGE_WIDTH,
    SEQUENTIAL_CMAP,
    palette,
)
from coopthemes.tables import select_prevalence

__all__ = [
    "LANGUAGE_NAMES",
    "THEME_LEGEND_SIDE_MAX",
    "corpus_counts",
    "corpus_overview",
    "effects_plot",
    "partner_dots",
    "prevalence_heatmap",
    "prevalence_trend",
    "theme_map",
    "top_terms",
    "top_terms_figure",
    "trend_grid",
    "wrap_label",
]

#: Display names of language codes.
LANGUAGE_NAMES = {"vi": "Vietnamese", "fr": "French", "en": "English"}

_UNKNOWN = "unknown"
_NO_PARTNER = "none"
_HATCH = "////"
_TEXT_GREY = "#555555"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def wrap_label(label: Any, *, width: int = 24, max_lines: int = 2) -> str:
    """Wrap a label to lines of at most ``width`` characters, truncating with "…".

    Parameters
    ----------
    label : object
        Text to wrap (converted with ``str``; runs of white space collapse).
    width : int
        Maximum characters per line.
    max_lines : int
        Maximum number of lines; the last kept line ends in "…" when text
        was cut.

    Returns
    -------
    str
        The wrapped label, lines joined by ``"\\n"``.
    """
    if width < 2 or max_lines < 1:
        raise ValueError(f"wrap_label: need width >= 2 and max_lines >= 1, got {width}, {max_lines}")
    text = " ".join(str(label).split())
    lines = textwrap.wrap(text, width=width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "\n".join(lines)


def _theme_order(rows: pd.DataFrame) -> list[str]:
    """Themes by mean share over groups that are not small, largest first; ties by label."""
    if "small_group" in rows and not rows["small_group"].astype(bool).all():
        rows = rows.assign(share=rows["share"].where(~rows["small_group"].astype(bool)))
    mean = rows.groupby("theme", sort=True)["share"].mean().fillna(0.0)
    order = sorted(mean.index, key=lambda t: (-float(mean[t]), str(t)))
    return [str(t) for t in order]


def _unit_label(unit: str) -> str:
    return f"Share of {unit}s (%)"


def _group_sizes(rows: pd.DataFrame, column: str) -> dict[Any, int]:
    sizes = rows.groupby(column, sort=True)["n_group"].max()
    return {key: int(value) for key, value in sizes.items()}


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [v for v in list(value) if not (v is None or (isinstance(v, float) and math.isnan(v)))]
    if pd.isna(value):
        return []
    return [value]


def _small_handle(color: str = "black") -> Line2D:
    return Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                  markeredgecolor=color, label="small group (hollow)")


# --------------------------------------------------------------------------
# prevalence
# --------------------------------------------------------------------------


def _annotate_cells(ax: Axes, image: Any, values: np.ndarray, boxed: np.ndarray) -> None:
    """Write each share; cells flagged in ``boxed`` get a backing box so hatching does not cross digits."""
    for (i, j), value in np.ndenumerate(values):
        if np.isnan(value):
            continue
        rgba = image.cmap(image.norm(value))
        luminance = 0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2]
        box = dict(boxstyle="square,pad=0.2", facecolor=rgba, edgecolor="none") if boxed[i, j] else None
        ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=6.5, bbox=box,
                color="white" if luminance < 0.5 else "black", zorder=4)


def prevalence_heatmap(
    data: pd.DataFrame,
    *,
    unit: str = "document",
    group: str = "partner",
    ax: Axes | None = None,
    annotate: bool = True,
    cmap: str = SEQUENTIAL_CMAP,
    label_width: int = 28,
    **kwargs: Any,
) -> Axes:
    """Heatmap of theme shares (%) by partner, with each partner's n.

    Parameters
    ----------
    data : DataFrame
        The long ``prevalence`` table; rows with ``breakdown == group``
        and the given ``unit`` are drawn (columns ``<group>, theme, share,
        n_group`` and optionally ``small_group``).
    unit : {"document", "passage"}
        Unit of the shares.
    group : str
        Breakdown (and grouping column) on the x axis; ``"partner"`` unless
        the run grouped documents by another column.
    ax : Axes, optional
        Axes to draw on; defaults to the current axes.
    annotate : bool
        Write each share (%) in its cell.
    cmap : str
        Sequential colour map.
    label_width : int
        Theme labels wrap at this many characters (two lines at most).
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.imshow` (e.g. ``vmax``).

    Returns
    -------
    Axes
        Rows are themes (largest mean share first), columns partners in
        alphabetical order labelled ``"Japan\\n(n=12)"``; cells of small
        groups are hatched and explained in a legend above the axes.
    """
    rows = select_prevalence(data, unit=unit, breakdown=group)
    ax = plt.gca() if ax is None else ax
    rows = rows.assign(_group=rows[group].astype(str), theme=rows["theme"].astype(str))
    themes = _theme_order(rows)
    partners = sorted(rows["_group"].unique())
    share = rows.pivot(index="theme", columns="_group", values="share").reindex(index=themes, columns=partners)
    small = rows.pivot(index="theme", columns="_group", values="small_group").reindex(index=themes, columns=partners)
    values = share.to_numpy(dtype=float) * 100.0
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", float(np.nanmax(values)) if np.isfinite(values).any() else 1.0)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto", interpolation="nearest", **kwargs)
    sizes = _group_sizes(rows, "_group")
    ax.set_xticks(range(len(partners)), [f"{p}\n(n={sizes[p]})" for p in partners])
    if len(partners) > 4:  # side by side, longer labels would run into each other
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    ax.set_yticks(range(len(themes)), [wrap_label(t, width=label_width, max_lines=3) for t in themes])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    flags = small.astype("boolean").fillna(False).to_numpy(dtype=bool)
    if annotate:
        _annotate_cells(ax, image, values, flags)
    for i, j in zip(*np.nonzero(flags)):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch=_HATCH,
                               edgecolor=_TEXT_GREY, linewidth=0))
    if flags.any():
        handle = Patch(facecolor="white", edgecolor=_TEXT_GREY, hatch=_HATCH, label="small group")
        ax.legend(handles=[handle], loc="lower right", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
    colorbar = ax.figure.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
    colorbar.set_label(_unit_label(unit))
    colorbar.outline.set_visible(False)
    return ax


def prevalence_trend(
    data: pd.DataFrame,
    *,
    theme: str,
    unit: str = "document",
    partner: str | None = None,
    ax: Axes | None = None,
    color: str | None = None,
    note: bool = True,
    **kwargs: Any,
) -> Axes:
    """Share (%) of one theme by year with its 95% interval band.

    Parameters
    ----------
    data : DataFrame
        The long ``prevalence`` table; rows with ``breakdown == "year"``
        (or ``"partner_year"`` when ``partner`` is given).
    theme : str
        Theme label to draw.
    unit : {"document", "passage"}
        Unit of the shares.
    partner : str, optional
        Draw this partner's yearly shares instead of all partners together.
    ax : Axes, optional
        Axes to draw on; defaults to the current axes.
    color : str, optional
        Line and band colour; defaults to the first colour of the cycle.
    note : bool
        Add a legend entry explaining hollow markers when a year is a small
        group.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.plot` for the line.

    Returns
    -------
    Axes
        Years on x (integer ticks), shares in percent on y from 0. The line
        and band join the years that are not small groups; a small group's
        share is a hollow marker on its own, without interval, so that a
        year of two documents neither draws nor widens the trend.
    """
    breakdown = "year" if partner is None else "partner_year"
    rows = select_prevalence(data, unit=unit, breakdown=breakdown)
    if partner is not None:
        rows = rows[rows["partner"].astype(str) == partner]
    rows = rows[rows["theme"].astype(str) == theme]
    if rows.empty:
        known = sorted(map(str, data["theme"].dropna().unique()))
        raise ValueError(f"prevalence_trend: no {breakdown} rows for theme {theme!r}"
                         f"{'' if partner is None else f' and partner {partner!r}'} (themes: {known})")
    ax = plt.gca() if ax is None else ax
    rows = rows.sort_values("year")
    x = rows["year"].astype(int).to_numpy()
    y = rows["share"].to_numpy(dtype=float) * 100.0
    low = rows["ci_low"].to_numpy(dtype=float) * 100.0
    high = rows["ci_high"].to_numpy(dtype=float) * 100.0
    small = rows["small_group"].to_numpy(dtype=bool)
    color = color if color is not None else plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    if (~small).any():
        ax.fill_between(x[~small], low[~small], high[~small], color=color, alpha=0.25, linewidth=0)
    ax.plot(x[~small], y[~small], color=color, **kwargs)
    ax.plot(x[~small], y[~small], linestyle="none", marker="o", color=color)
    ax.plot(x[small], y[small], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor=color)
    years = np.arange(x.min(), x.max() + 1)  # every year of the span, so a gap shows as a gap
    ax.set_xticks(years, [str(v) for v in years])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Year")
    ax.set_ylabel(_unit_label(unit))
    if note and small.any():
        ax.legend(handles=[_small_handle(color)], loc="best")
    return ax


def trend_grid(
    data: pd.DataFrame,
    *,
    themes: Sequence[str] | None = None,
    unit: str = "document",
    ncols: int = 3,
    fig: Figure | None = None,
) -> Figure:
    """Small multiples of :func:`prevalence_trend`, one panel per theme, shared y.

    Parameters
    ----------
    data : DataFrame
        The long ``prevalence`` table (``breakdown == "year"`` rows).
    themes : sequence of str, optional
        Themes to draw, in order; defaults to all, largest mean share first.
    unit : {"document", "passage"}
        Unit of the shares.
    ncols : int
        Panels per row.
    fig : Figure, optional
        Figure to draw into; a new page-wide figure by default.

    Returns
    -------
    Figure
        With a legend under the panels explaining the band and hollow markers.
    """
    rows = select_prevalence(data, unit=unit, breakdown="year")
    themes = list(themes) if themes is not None else _theme_order(rows)
    if not themes or ncols < 1:
        raise ValueError("trend_grid: need at least one theme and ncols >= 1")
    ncols = min(ncols, len(themes))
    nrows = math.ceil(len(themes) / ncols)
    fig = plt.figure(figsize=(PAGE_WIDTH, 1.45 * nrows + 0.5)) if fig is None else fig
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    color = plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    for ax, theme in zip(axes.flat, themes):
        prevalence_trend(rows, theme=theme, unit=unit, ax=ax, color=color, note=False)
        ax.set_title(wrap_label(theme, width=34), fontsize=7, loc="left")
        ax.set_xlabel("")
        ax.set_ylabel("")
    for index, ax in enumerate(axes.flat):
        if index >= len(themes):
            ax.set_visible(False)
            axes.flat[index - ncols].tick_params(labelbottom=True)
    small = rows["small_group"].astype(bool)
    top = max(float(rows.loc[~small, "ci_high"].max() if (~small).any() else 0.0), float(rows["share"].max()))
    axes[0, 0].set_ylim(0, max(top, 0.01) * 105.0)
    fig.supxlabel("Year", fontsize=8)
    fig.supylabel(_unit_label(unit), fontsize=8)
    handles = []
    if (~small).any():  # a line and band are drawn only for groups that are not small
        handles += [Line2D([], [], color=color, marker="o", label="share"),
                    Patch(facecolor=color, alpha=0.25, label="95% interval")]
    if small.any():
        handles.append(_small_handle(color))
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
    return fig


def partner_dots(
    data: pd.DataFrame,
    *,
    unit: str = "document",
    group: str = "partner",
    ax: Axes | None = None,
    colors: Sequence[str] | None = None,
    dodge: float = 0.6,
    label_width: int = 28,
    **kwargs: Any,
) -> Axes:
    """Dots with 95% interval whiskers: one row per theme, one colour per partner.

    Parameters
    ----------
    data : DataFrame
        The long ``prevalence`` table (``breakdown == group`` rows).
    unit : {"document", "passage"}
        Unit of the shares.
    group : str
        Breakdown (and grouping column) drawn as colours; ``"partner"``
        unless the run grouped documents by another column.
    ax : Axes, optional
        Axes to draw on; defaults to the current axes.
    colors : sequence of str, optional
        One colour per partner (alphabetical); defaults to :func:`palette`.
    dodge : float
        Total vertical spread of a theme's partners, in row units.
    label_width : int
        Theme labels wrap at this many characters.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.errorbar`.

    Returns
    -------
    Axes
        Themes top to bottom by mean share; partners in the legend with
        their n; hollow dots flag small groups.
    """
    rows = select_prevalence(data, unit=unit, breakdown=group)
    ax = plt.gca() if ax is None else ax
    rows = rows.assign(_group=rows[group].astype(str), theme=rows["theme"].astype(str))
    themes = _theme_order(rows)
    partners = sorted(rows["_group"].unique())
    colors = list(colors) if colors is not None else palette(len(partners))
    sizes = _group_sizes(rows, "_group")
    position = {theme: i for i, theme in enumerate(themes)}
    kwargs.setdefault("markersize", 3.5)
    kwargs.setdefault("elinewidth", 0.8)
    kwargs.setdefault("capsize", 0)
    for k, partner in enumerate(partners):
        part = rows[rows["_group"] == partner]
        offset = (k - (len(partners) - 1) / 2) * (dodge / max(len(partners), 1))
        y = part["theme"].map(position).to_numpy(dtype=float) + offset
        share = part["share"].to_numpy(dtype=float) * 100.0
        err = np.vstack([share - part["ci_low"].to_numpy(dtype=float) * 100.0,
                         part["ci_high"].to_numpy(dtype=float) * 100.0 - share])
        small = part["small_group"].to_numpy(dtype=bool)
        color = colors[k % len(colors)]
        for mask, face, label in ((~small, color, f"{partner} (n={sizes[partner]})"), (small, "white", None)):
            if mask.any():
                ax.errorbar(share[mask], y[mask], xerr=err[:, mask], fmt="o", color=color,
                            markerfacecolor=face, markeredgecolor=color, label=label, **kwargs)
    ax.set_yticks(range(len(themes)), [wrap_label(t, width=label_width, max_lines=3) for t in themes])
    ax.set_ylim(len(themes) - 0.5, -0.5)
    ax.set_xlim(left=0)
    ax.set_xlabel(_unit_label(unit))
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)
    handles = [Line2D([], [], linestyle="none", marker="o", color=colors[k % len(colors)],
                      label=f"{p} (n={sizes[p]})") for k, p in enumerate(partners)]
    if rows["small_group"].any():
        handles.append(_small_handle())
    ax.legend(handles=handles, title=group.replace("_", " ").capitalize(), loc="upper left",
              bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, handletextpad=0.2, alignment="left")
    return ax


def _effect_rows(data: pd.DataFrame, quantity: str, terms: Sequence[str] | None) -> tuple[pd.DataFrame, list[str]]:
    missing = [c for c in ("theme", "term", "estimate", "ci_low", "ci_high") if c not in data.columns]
    if missing:
        raise ValueError(f"effects: missing column(s) {', '.join(missing)}")
    rows = data[data["quantity"] == quantity] if "quantity" in data.columns else data
    rows = rows.dropna(subset=["term", "estimate", "ci_low", "ci_high"])
    present = sorted(map(str, rows["term"].unique()))
    terms = list(terms) if terms is not None else [t for t in present if t not in ("Intercept", "const")]
    rows = rows[rows["term"].astype(str).isin(terms)]
    if rows.empty:
        raise ValueError(f"effects: no {quantity} rows with an estimate for terms {terms} (terms present: {present})")
    return rows, [t for t in terms if t in set(rows["term"].astype(str))]


def _term_labels(terms: Sequence[str]) -> tuple[str, list[str]]:
    """Legend title and labels: ``partner=Japan`` terms become title "Partner", label "Japan"."""
    heads = {t.split("=", 1)[0] for t in terms if "=" in t}
    if len(heads) == 1 and all("=" in t for t in terms):
        return heads.pop().replace("_", " ").capitalize(), [t.split("=", 1)[1] for t in terms]
    return "Term", [t.replace("=", ": ") for t in terms]


def effects_plot(
    data: pd.DataFrame,
    *,
    quantity: str = "expected_share",
    terms: Sequence[str] | None = None,
    ax: Axes | None = None,
    label_width: int = 28,
    **kwargs: Any,
) -> Axes:
    """Regression results with 95% intervals: one row per theme, one colour per term.

    Parameters
    ----------
    data : DataFrame
        The ``effects`` table: ``theme, term, estimate, ci_low, ci_high`` and
        optionally ``quantity`` (``coefficient``, ``expected_share``,
        ``skipped``); without it every row counts as ``quantity``. Rows
        without an estimate are left out.
    quantity : {"expected_share", "coefficient"}
        Expected shares per level (drawn in percent, e.g. ``partner=Japan``)
        or model coefficients (logit scale, with a reference line at 0).
    terms : sequence of str, optional
        Terms to draw, in order; defaults to all but the intercept.
    ax : Axes, optional
        Axes to draw on; defaults to the current axes.
    label_width : int
        Theme labels wrap at this many characters.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.errorbar`.

    Returns
    -------
    Axes
        Themes top to bottom by mean estimate; terms in a legend on the right.
    """
    rows, terms = _effect_rows(data, quantity, terms)
    ax = plt.gca() if ax is None else ax
    scale = 100.0 if quantity == "expected_share" else 1.0
    mean = rows.groupby(rows["theme"].astype(str), sort=True)["estimate"].mean()
    themes = sorted(mean.index, key=lambda t: (-float(mean[t]), t))
    colors = palette(len(terms))
    title, labels = _term_labels(terms)
    kwargs.setdefault("markersize", 3.5)
    kwargs.setdefault("elinewidth", 0.8)
    kwargs.setdefault("capsize", 0)
    for k, term in enumerate(terms):
        part = rows[rows["term"].astype(str) == term]
        y = np.array([themes.index(str(t)) for t in part["theme"]], dtype=float)
        y += (k - (len(terms) - 1) / 2) * (0.6 / len(terms))
        est = part["estimate"].to_numpy(dtype=float) * scale
        err = np.vstack([est - part["ci_low"].to_numpy(dtype=float) * scale,
                         part["ci_high"].to_numpy(dtype=float) * scale - est])
        ax.errorbar(est, y, xerr=err, fmt="o", color=colors[k], label=labels[k], **kwargs)
    if quantity == "expected_share":
        ax.set_xlim(left=0)
        ax.set_xlabel("Expected share of passages (%), 95% interval")
    else:
        ax.axvline(0.0, color=_TEXT_GREY, linewidth=0.6, linestyle="--")
        ax.set_xlabel("Coefficient (logit scale), 95% interval")
    ax.set_yticks(range(len(themes)), [wrap_label(t, width=label_width, max_lines=3) for t in themes])
    ax.set_ylim(len(themes) - 0.5, -0.5)
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)
    ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              handletextpad=0.2, alignment="left")
    return ax


# --------------------------------------------------------------------------
# theme map
# --------------------------------------------------------------------------


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
    data = data.assign(language=data["language"].astype("string").fillna(_UNKNOWN)).sort_values("passage_id")
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


# --------------------------------------------------------------------------
# top terms
# --------------------------------------------------------------------------

_LINE = 1.0  # one text line, in data units of the term table
_GAP = 0.45  # space between rows, in lines


def _tick_fontsize() -> float:
    """``xtick.labelsize`` in points (it may be a name such as ``"medium"``)."""
    return float(FontProperties(size=plt.rcParams["xtick.labelsize"]).get_size_in_points())


def _chars_for(width_in: float, fontsize: float) -> int:
    """Characters of average width that fit in ``width_in`` inches."""
    return max(8, int(width_in * 72.0 / (0.56 * fontsize)))


def _term_rows(themes: pd.DataFrame, languages: Sequence[str], *, n_terms: int,
               label_chars: int, term_chars: int) -> list[tuple[str, list[str], int]]:
    """(label, cells, height in lines) per theme, theme_id order, outliers left out."""
    missing = [c for c in ("theme_id", "theme", *[f"top_terms_{lang}" for lang in languages])
               if c not in themes.columns]
    if missing:
        raise ValueError(f"themes: missing column(s) {', '.join(missing)}")
    rows = []
    for record in themes[themes["theme_id"] >= 0].sort_values("theme_id").itertuples(index=False):
        record = record._asdict()
        label = wrap_label(record["theme"], width=label_chars, max_lines=3)
        cells = [textwrap.fill(", ".join(map(str, _as_list(record[f"top_terms_{lang}"])[:n_terms])) or "–",
                               width=term_chars) for lang in languages]
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
    themes: pd.DataFrame,
    *,
    language: str | Sequence[str],
    n_terms: int = 8,
    ax: Axes | None = None,
    label_frac: float = 0.24,
    fontsize: float | None = None,
) -> Axes:
    """Top terms per theme as a text table: one row per theme, one column per language.

    Parameters
    ----------
    themes : DataFrame
        The ``themes`` table: ``theme_id, theme`` and ``top_terms_<lang>``
        (lists of str, best first). Outliers (``theme_id < 0``) are left out.
    language : str or sequence of str
        Language code(s) whose terms are shown (``"vi"``, ``"fr"``, ``"en"``).
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
    languages = [language] if isinstance(language, str) else list(language)
    ax = plt.gca() if ax is None else ax
    fontsize = _tick_fontsize() if fontsize is None else fontsize
    width_in = ax.get_position().width * ax.figure.get_figwidth()
    rows = _term_rows(themes, languages, n_terms=n_terms,
                      label_chars=_chars_for(width_in * label_frac * 0.95, fontsize),
                      term_chars=_chars_for(width_in * (1 - label_frac) / len(languages) * 0.95, fontsize))
    _draw_term_table(ax, rows, languages, label_frac, fontsize)
    return ax


def top_terms_figure(
    themes: pd.DataFrame,
    *,
    languages: Sequence[str] = ("vi", "fr", "en"),
    n_terms: int = 8,
    width: float = PAGE_WIDTH,
    fig: Figure | None = None,
) -> Figure:
    """A figure holding :func:`top_terms`, sized so that every wrapped row fits.

    Parameters
    ----------
    themes : DataFrame
        The ``themes`` table.
    languages : sequence of str
        Language columns, in order.
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
    fontsize = _tick_fontsize()
    label_frac = 0.24
    rows = _term_rows(themes, list(languages), n_terms=n_terms,
                      label_chars=_chars_for(width * label_frac * 0.95, fontsize),
                      term_chars=_chars_for(width * (1 - label_frac) / len(languages) * 0.95, fontsize))
    lines = 1 + _GAP + sum(h * 1.15 + _GAP for _, _, h in rows)
    height = lines * fontsize * 1.2 / 72.0 + 0.1
    fig = plt.figure(figsize=(width, height)) if fig is None else fig
    engine = fig.get_layout_engine()
    if engine is not None and "w_pad" in engine.get():
        engine.set(w_pad=0.01, h_pad=0.01, wspace=0.0, hspace=0.0)
    _draw_term_table(fig.add_subplot(), rows, list(languages), label_frac, fontsize)
    return fig


# --------------------------------------------------------------------------
# corpus
# --------------------------------------------------------------------------


def _corpus_long(documents: pd.DataFrame, by: str) -> pd.DataFrame:
    """One row per (document, category) with its language; partners exploded."""
    language = documents["language"].astype("string").fillna(_UNKNOWN).astype(str)
    if by == "partner":
        values = [_as_list(v) or [_NO_PARTNER] for v in documents["partners"]]
        long = pd.DataFrame({"language": language.to_numpy(), "category": values}).explode("category")
        return long.assign(category=long["category"].astype(str))
    if by == "year":
        years = documents["year"].astype("Int64")
        category = years.astype("string").fillna(_UNKNOWN).astype(str)
    elif by == "language":
        category = language
    else:
        raise ValueError(f"corpus_counts: by must be 'partner', 'year' or 'language', got {by!r}")
    return pd.DataFrame({"language": language.to_numpy(), "category": category.to_numpy()})


def _category_order(categories: Sequence[str], by: str) -> list[str]:
    rest = sorted(c for c in set(categories) if c not in (_UNKNOWN, _NO_PARTNER))
    if by == "year":
        rest = sorted(rest, key=int)
    return rest + [c for c in (_NO_PARTNER, _UNKNOWN) if c in set(categories)]


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
