"""The regression's estimates with their intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from ._common import TEXT_GREY, wrap_label
from .style import palette

__all__ = ["effects_plot"]


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
        ax.axvline(0.0, color=TEXT_GREY, linewidth=0.6, linestyle="--")
        ax.set_xlabel("Coefficient (logit scale), 95% interval")
    ax.set_yticks(range(len(themes)), [wrap_label(t, width=label_width, max_lines=3) for t in themes])
    ax.set_ylim(len(themes) - 0.5, -0.5)
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)
    ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              handletextpad=0.2, alignment="left")
    return ax
