"""The validation figure: per-theme measures as dots with interval bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["MEASURE_NAMES", "score_dots"]

#: Legend names of the measures.
MEASURE_NAMES = {
    "kappa": "Coder agreement (kappa)",
    "precision": "Model precision",
    "recall": "Model recall",
    "f1": "Model F1",
    "share_found": "Intruders found",
}


def score_dots(data: pd.DataFrame, *, measures: Sequence[str] = ("kappa", "precision", "recall"),
               label_column: str = "label", reference: float | Mapping[str, float] | None = None,
               colors: Sequence[str] | None = None, ax=None, **kwargs):
    """Dots with 95% interval bars, one row per theme, one marker per measure.

    Parameters
    ----------
    data : DataFrame
        One row per theme: ``label_column`` and, for each measure ``m``,
        ``m`` with optional ``m_low`` and ``m_high``. Rows are drawn top to
        bottom in the order given; missing values are not drawn.
    measures : sequence of str
        Columns to draw (legend names from :data:`MEASURE_NAMES`).
    label_column : str
        Theme labels (wrapped to two lines).
    reference : float or mapping of str -> float, optional
        A dashed vertical line (e.g. the chance level of an intrusion task);
        a mapping gives one per legend name.
    colors : sequence of str, optional
        One per measure (default: the Okabe-Ito palette).
    ax : Axes, optional
        Defaults to ``plt.gca()``.
    **kwargs
        Passed to :meth:`~matplotlib.axes.Axes.errorbar`.

    Returns
    -------
    Axes
    """
    import matplotlib.pyplot as plt

    from ..plotting import wrap_label
    from ..plotting.style import OKABE_ITO

    ax = ax if ax is not None else plt.gca()
    colors = list(colors or ("#000000", *OKABE_ITO[3:5], *OKABE_ITO[:3]))
    n = len(data)
    y = np.arange(n)[::-1].astype(float)
    offsets = np.linspace(0.25, -0.25, len(measures)) if len(measures) > 1 else [0.0]
    markers = ("o", "s", "^", "D", "v")
    for k, measure in enumerate(measures):
        if measure not in data:
            continue
        values = pd.to_numeric(data[measure], errors="coerce").to_numpy(float)
        low = pd.to_numeric(data.get(f"{measure}_low", pd.Series(np.nan, index=data.index)),
                            errors="coerce").to_numpy(float)
        high = pd.to_numeric(data.get(f"{measure}_high", pd.Series(np.nan, index=data.index)),
                             errors="coerce").to_numpy(float)
        shown = ~np.isnan(values)
        err = np.vstack([np.where(np.isnan(low), 0, values - low), np.where(np.isnan(high), 0, high - values)])
        ax.errorbar(values[shown], (y + offsets[k])[shown], xerr=err[:, shown], fmt=markers[k % len(markers)],
                    color=colors[k % len(colors)], markersize=4, capsize=2, elinewidth=0.8,
                    label=MEASURE_NAMES.get(measure, measure), **kwargs)
    if reference is not None:
        refs = reference.items() if isinstance(reference, Mapping) else [("chance", reference)]
        for name, value in refs:
            ax.axvline(float(value), color="#777777", linestyle="--", linewidth=0.8, label=name)
    ax.axvline(0.0, color="#BBBBBB", linewidth=0.6)
    ax.set_yticks(y)
    ax.set_yticklabels([wrap_label(v, width=28) for v in data[label_column]])
    ax.set_ylim(-0.7, n - 0.3)
    lowest = np.nanmin(pd.to_numeric(pd.concat([data[c] for c in data.columns if any(
        c.startswith(m) for m in measures)], ignore_index=True), errors="coerce").to_numpy(float), initial=0.0)
    ax.set_xlim(min(-0.05, lowest - 0.05), 1.05)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(3, len(measures) + (reference is not None)),
              frameon=False, fontsize="small")
    return ax
