"""Helpers shared by the plotting modules: labels, theme order, small-group markers."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..schema import LANGUAGE_NAMES
from .style import PAGE_WIDTH

__all__ = ["LANGUAGE_NAMES", "wrap_label"]


UNKNOWN = "unknown"
NO_PARTNER = "none"
HATCH = "////"
TEXT_GREY = "#555555"



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


def theme_order(rows: pd.DataFrame) -> list[str]:
    """Themes by mean share over groups that are not small, largest first; ties by label."""
    if "small_group" in rows and not rows["small_group"].astype(bool).all():
        rows = rows.assign(share=rows["share"].where(~rows["small_group"].astype(bool)))
    mean = rows.groupby("theme", sort=True)["share"].mean().fillna(0.0)
    order = sorted(mean.index, key=lambda t: (-float(mean[t]), str(t)))
    return [str(t) for t in order]


def panel_grid(panels: Sequence, ncols: int, fig: Figure | None, *, row_height: float, extra: float,
               name: str) -> tuple[Figure, np.ndarray]:
    """One panel per item, ``ncols`` to a row, shared axes, ``row_height`` inches a row plus ``extra``.

    ``name`` is the caller, for the error.
    """
    if not len(panels) or ncols < 1:
        raise ValueError(f"{name}: need at least one theme and ncols >= 1")
    ncols = min(ncols, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = plt.figure(figsize=(PAGE_WIDTH, row_height * nrows + extra)) if fig is None else fig
    return fig, fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)


def hide_unused_panels(axes: np.ndarray, n_used: int) -> None:
    """Hide the panels of a grid after the first ``n_used``; the panel above each shows the x tick labels."""
    ncols = axes.shape[1]
    for index, ax in enumerate(axes.flat):
        if index >= n_used:
            ax.set_visible(False)
            axes.flat[index - ncols].tick_params(labelbottom=True)


def unit_label(unit: str) -> str:
    return f"Share of {unit}s (%)"


def group_sizes(rows: pd.DataFrame, column: str) -> dict[Any, int]:
    sizes = rows.groupby(column, sort=True)["n_group"].max()
    return {key: int(value) for key, value in sizes.items()}


def as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [v for v in list(value) if not (v is None or (isinstance(v, float) and math.isnan(v)))]
    if pd.isna(value):
        return []
    return [value]


def small_handle(color: str = "black") -> Line2D:
    return Line2D([], [], linestyle="none", marker="o", markerfacecolor="white",
                  markeredgecolor=color, label="small group (hollow)")


