"""Helpers shared by the plotting modules: labels, theme order, small-group markers."""

from __future__ import annotations

import math
import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from ..schema import LANGUAGE_NAMES

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


