"""Prevalence figures: heatmap, year trends, shares by group with intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..schema import Breakdown, select_prevalence
from ._common import (
    HATCH, TEXT_GREY, group_sizes, hide_unused_panels, panel_grid, small_handle, theme_order, unit_label,
    wrap_label,
)
from .style import SEQUENTIAL_CMAP, palette

__all__ = ["group_dots", "group_year_grid", "largest_groups", "prevalence_heatmap", "prevalence_trend", "trend_grid"]




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
    """Heatmap of theme shares (%) by group (partner by default), with each group's n.

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
        Rows are themes (largest mean share first), columns groups in
        alphabetical order labelled ``"Japan\\n(n=12)"``; cells of small
        groups are hatched and explained in a legend above the axes.
    """
    rows = select_prevalence(data, unit=unit, breakdown=group)
    ax = plt.gca() if ax is None else ax
    rows = rows.assign(_group=rows[group].astype(str), theme=rows["theme"].astype(str))
    themes = theme_order(rows)
    groups = sorted(rows["_group"].unique())
    share = rows.pivot(index="theme", columns="_group", values="share").reindex(index=themes, columns=groups)
    small = rows.pivot(index="theme", columns="_group", values="small_group").reindex(index=themes, columns=groups)
    values = share.to_numpy(dtype=float) * 100.0
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", float(np.nanmax(values)) if np.isfinite(values).any() else 1.0)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto", interpolation="nearest", **kwargs)
    sizes = group_sizes(rows, "_group")
    ax.set_xticks(range(len(groups)), [f"{g}\n(n={sizes[g]})" for g in groups])
    if len(groups) > 4:  # side by side, longer labels would run into each other
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
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch=HATCH,
                               edgecolor=TEXT_GREY, linewidth=0))
    if flags.any():
        handle = Patch(facecolor="white", edgecolor=TEXT_GREY, hatch=HATCH, label="small group")
        ax.legend(handles=[handle], loc="lower right", bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
    colorbar = ax.figure.colorbar(image, ax=ax, shrink=0.8, pad=0.02)
    colorbar.set_label(unit_label(unit))
    colorbar.outline.set_visible(False)
    return ax


def prevalence_trend(
    data: pd.DataFrame,
    *,
    theme: str,
    unit: str = "document",
    group: str | None = None,
    value: Any = None,
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
        (or ``group`` and year when ``group`` is given).
    theme : str
        Theme label to draw.
    unit : {"document", "passage"}
        Unit of the shares.
    group, value : str and object, optional
        Draw the yearly shares of the documents whose ``group`` column is
        ``value`` (``group="partner", value="Japan"``) instead of all
        documents together.
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
    breakdown = Breakdown(("year",) if group is None else (group, "year"))
    rows = select_prevalence(data, unit=unit, breakdown=breakdown)
    if group is not None:
        rows = rows[rows[group].astype(str) == str(value)]
    rows = rows[rows["theme"].astype(str) == theme]
    if rows.empty:
        known = sorted(map(str, data["theme"].dropna().unique()))
        raise ValueError(f"prevalence_trend: no {breakdown.name} rows for theme {theme!r}"
                         f"{'' if group is None else f' and {group} {value!r}'} (themes: {known})")
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
    ax.set_ylabel(unit_label(unit))
    if note and small.any():
        ax.legend(handles=[small_handle(color)], loc="best")
    return ax


def _finish_panels(fig: Figure, axes: np.ndarray, n_themes: int, rows: pd.DataFrame, unit: str) -> None:
    """Hide unused panels (ticks on the panel above), y from 0 past the highest interval, axis labels."""
    hide_unused_panels(axes, n_themes)
    small = rows["small_group"].astype(bool)
    top = max(float(rows.loc[~small, "ci_high"].max() if (~small).any() else 0.0), float(rows["share"].max()))
    axes[0, 0].set_ylim(0, max(top, 0.01) * 105.0)
    fig.supxlabel("Year", fontsize=8)
    fig.supylabel(unit_label(unit), fontsize=8)


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
    themes = list(themes) if themes is not None else theme_order(rows)
    fig, axes = panel_grid(themes, ncols, fig, row_height=1.45, extra=0.5, name="trend_grid")
    color = plt.rcParams["axes.prop_cycle"].by_key()["color"][0]
    for ax, theme in zip(axes.flat, themes):
        prevalence_trend(rows, theme=theme, unit=unit, ax=ax, color=color, note=False)
        ax.set_title(wrap_label(theme, width=34), fontsize=7, loc="left")
        ax.set_xlabel("")
        ax.set_ylabel("")
    _finish_panels(fig, axes, len(themes), rows, unit)
    small = rows["small_group"].astype(bool)
    handles = []
    if (~small).any():  # a line and band are drawn only for groups that are not small
        handles += [Line2D([], [], color=color, marker="o", label="share"),
                    Patch(facecolor=color, alpha=0.25, label="95% interval")]
    if small.any():
        handles.append(small_handle(color))
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
    return fig


def group_dots(
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
    """Dots with 95% interval whiskers: one row per theme, one colour per group (partner by default).

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
        One colour per group (alphabetical); defaults to :func:`palette`.
    dodge : float
        Total vertical spread of a theme's groups, in row units.
    label_width : int
        Theme labels wrap at this many characters.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.errorbar`.

    Returns
    -------
    Axes
        Themes top to bottom by mean share; groups in the legend with
        their n; hollow dots flag small groups.
    """
    rows = select_prevalence(data, unit=unit, breakdown=group)
    ax = plt.gca() if ax is None else ax
    rows = rows.assign(_group=rows[group].astype(str), theme=rows["theme"].astype(str))
    themes = theme_order(rows)
    groups = sorted(rows["_group"].unique())
    colors = list(colors) if colors is not None else palette(len(groups))
    sizes = group_sizes(rows, "_group")
    position = {theme: i for i, theme in enumerate(themes)}
    kwargs.setdefault("markersize", 3.5)
    kwargs.setdefault("elinewidth", 0.8)
    kwargs.setdefault("capsize", 0)
    for k, name in enumerate(groups):
        part = rows[rows["_group"] == name]
        offset = (k - (len(groups) - 1) / 2) * (dodge / max(len(groups), 1))
        y = part["theme"].map(position).to_numpy(dtype=float) + offset
        share = part["share"].to_numpy(dtype=float) * 100.0
        err = np.vstack([share - part["ci_low"].to_numpy(dtype=float) * 100.0,
                         part["ci_high"].to_numpy(dtype=float) * 100.0 - share])
        small = part["small_group"].to_numpy(dtype=bool)
        color = colors[k % len(colors)]
        for mask, face, label in ((~small, color, f"{name} (n={sizes[name]})"), (small, "white", None)):
            if mask.any():
                ax.errorbar(share[mask], y[mask], xerr=err[:, mask], fmt="o", color=color,
                            markerfacecolor=face, markeredgecolor=color, label=label, **kwargs)
    ax.set_yticks(range(len(themes)), [wrap_label(t, width=label_width, max_lines=3) for t in themes])
    ax.set_ylim(len(themes) - 0.5, -0.5)
    ax.set_xlim(left=0)
    ax.set_xlabel(unit_label(unit))
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)
    handles = [Line2D([], [], linestyle="none", marker="o", color=colors[k % len(colors)],
                      label=f"{g} (n={sizes[g]})") for k, g in enumerate(groups)]
    if rows["small_group"].any():
        handles.append(small_handle())
    ax.legend(handles=handles, title=group.replace("_", " ").capitalize(), loc="upper left",
              bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, handletextpad=0.2, alignment="left")
    return ax


def largest_groups(rows: pd.DataFrame, group: str, max_groups: int) -> list[str]:
    """The ``max_groups`` groups with the most documents over all years (ties by name), in name order."""
    firsts = rows.drop_duplicates([group, "year"])
    totals = firsts.groupby(firsts[group].astype(str), sort=True)["n_group"].sum()
    chosen = sorted(totals.index, key=lambda g: (-int(totals[g]), g))[:max_groups]
    return sorted(chosen)


def _group_year_panel(ax: Axes, rows: pd.DataFrame, groups: Sequence[str], colors: Sequence[str],
                      group: str, width: float) -> None:
    """One theme's yearly shares, one colour per group, dodged so intervals do not overlap."""
    for k, name in enumerate(groups):
        part = rows[rows["_group"] == name].sort_values("year")
        if part.empty:
            continue
        x = part["year"].astype(int).to_numpy() + (k - (len(groups) - 1) / 2) * width
        y = part["share"].to_numpy(dtype=float) * 100.0
        low = part["ci_low"].to_numpy(dtype=float) * 100.0
        high = part["ci_high"].to_numpy(dtype=float) * 100.0
        small = part["small_group"].to_numpy(dtype=bool)
        color = colors[k % len(colors)]
        big = ~small
        if big.any():
            ax.plot(x[big], y[big], color=color, linewidth=0.8)
            ax.errorbar(x[big], y[big], yerr=np.vstack([y[big] - low[big], high[big] - y[big]]), fmt="o",
                        color=color, markersize=2.8, elinewidth=0.7, capsize=0)
        if small.any():
            ax.plot(x[small], y[small], linestyle="none", marker="o", markersize=2.8, markerfacecolor="white",
                    markeredgecolor=color, markeredgewidth=0.7)


def group_year_grid(
    data: pd.DataFrame,
    *,
    unit: str = "document",
    group: str = "partner",
    themes: Sequence[str] | None = None,
    max_groups: int = 6,
    ncols: int = 3,
    fig: Figure | None = None,
) -> Figure:
    """Small multiples of theme shares by group and year: one panel per theme, one colour per group.

    Parameters
    ----------
    data : DataFrame
        The long ``prevalence`` table (``breakdown == "<group>+year"`` rows).
    unit : {"document", "passage"}
        Unit of the shares.
    group : str
        The grouping column (``"partner"`` unless the run grouped by another).
    themes : sequence of str, optional
        Themes to draw, in order; defaults to all, largest mean share first.
    max_groups : int
        Groups drawn: those with the most documents (the table has them all;
        the figure says how many are left out).
    ncols : int
        Panels per row.
    fig : Figure, optional
        Figure to draw into; a new page-wide figure by default.

    Returns
    -------
    Figure
        Shares (%) with 95% intervals, joined across years within a group;
        a group-year with fewer documents than the minimum is a hollow
        marker without interval or line (``small_group``). Shared axes; the
        legend names each group with its documents (n) over all years.
    """
    rows = select_prevalence(data, unit=unit, breakdown=Breakdown((group, "year")))
    rows = rows.assign(_group=rows[group].astype(str), theme=rows["theme"].astype(str))
    all_groups = sorted(rows["_group"].unique())
    groups = largest_groups(rows, "_group", max_groups)
    rows = rows[rows["_group"].isin(groups)]
    themes = list(themes) if themes is not None else theme_order(rows)
    fig, axes = panel_grid(themes, ncols, fig, row_height=1.55, extra=0.8, name="group_year_grid")
    colors = palette(len(groups))
    years = sorted(int(y) for y in rows["year"].unique())
    width = min(0.5 / max(len(groups), 1), 0.15)
    for ax, theme in zip(axes.flat, themes):
        _group_year_panel(ax, rows[rows["theme"] == theme], groups, colors, group, width)
        ax.set_title(wrap_label(theme, width=34), fontsize=7, loc="left")
        ax.grid(axis="y", color="#E5E5E5")
        ax.set_axisbelow(True)
    span = np.arange(years[0], years[-1] + 1)
    step = max(1, math.ceil(len(span) / 6))
    axes[0, 0].set_xticks(span[::step], [str(v) for v in span[::step]])
    axes[0, 0].set_xlim(years[0] - 0.5, years[-1] + 0.5)
    _finish_panels(fig, axes, len(themes), rows, unit)
    small = rows["small_group"].astype(bool)
    sizes = rows.drop_duplicates(["_group", "year"]).groupby("_group")["n_group"].sum()
    handles = [Line2D([], [], color=colors[k], marker="o", markersize=3, label=f"{g} (n={int(sizes[g])})")
               for k, g in enumerate(groups)]
    if small.any():
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=3, markerfacecolor="white",
                              markeredgecolor="black", label="small group (hollow, no interval)"))
    title = group.replace("_", " ").capitalize()
    if len(all_groups) > len(groups):
        title += f" ({len(groups)} of {len(all_groups)} with most documents)"
    fig.legend(handles=handles, loc="outside upper center", ncols=min(len(handles), 5), title=title)
    return fig
