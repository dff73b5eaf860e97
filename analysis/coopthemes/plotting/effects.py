"""The regression's estimates with their intervals, beside the observed shares they summarise."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..schema import select_prevalence
from ._common import TEXT_GREY, hide_unused_panels, panel_grid, theme_order, wrap_label
from .style import palette

__all__ = ["differences_beside_observed", "effects_beside_observed", "effects_plot", "year_effects_beside_observed"]

#: Colours of the model's estimate and of the observed share.
MODEL_COLOR = "#0072B2"
OBSERVED_COLOR = "#D55E00"
#: Background of the panel of a group with fewer documents than the minimum.
SMALL_SHADE = "#EFEFEF"


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


def _observed_rows(prevalence: pd.DataFrame, group: str, unit: str) -> pd.DataFrame:
    rows = select_prevalence(prevalence, unit=unit, breakdown=group)
    return rows.assign(_group=rows[group].astype(str), theme=rows["theme"].astype(str))


def _observed_groups(prevalence: pd.DataFrame, group: str, unit: str) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The observed shares of ``unit``, and each group's documents and small-sample flag."""
    observed = _observed_rows(prevalence, group, unit)
    doc_rows = _observed_rows(prevalence, group, "document") if unit != "document" else observed
    by_group = doc_rows.groupby("_group")
    return observed, by_group["n_group"].max(), by_group["small_group"].max()


def _count_label(ax: Axes, text: str, y: float) -> None:
    """The counts behind an observed value, just right of the panel at height ``y``."""
    ax.annotate(text, xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(2, 0), textcoords="offset points",
                ha="left", va="center", fontsize=5.5, color=TEXT_GREY, annotation_clip=False)


def _legend_handles(model: str, observed: str, small: bool, **observed_style) -> list:
    """Legend entries: the model (filled), the observed value (hollow), and the shading of small samples."""
    handles = [
        Line2D([], [], color=MODEL_COLOR, marker="o", markersize=3, label=model),
        Line2D([], [], color=OBSERVED_COLOR, marker="o", markersize=3, markerfacecolor="white", label=observed,
               **observed_style),
    ]
    if small:
        handles.append(Patch(facecolor=SMALL_SHADE, edgecolor="none", label="small sample (few documents)"))
    return handles


def _panel(ax: Axes, model: pd.DataFrame, observed: pd.DataFrame, themes: Sequence[str], small: bool) -> None:
    """One group: the model's expected share (filled) above the observed share (hollow) of each theme, n/N right."""
    position = {t: i for i, t in enumerate(themes)}
    if small:
        ax.set_facecolor(SMALL_SHADE)
    for part, dy, color, face in ((model, -0.17, MODEL_COLOR, MODEL_COLOR), (observed, 0.17, OBSERVED_COLOR, "white")):
        part = part[part["theme"].isin(position)]
        if part.empty:
            continue
        y = part["theme"].map(position).to_numpy(dtype=float) + dy
        est = part["estimate"].to_numpy(dtype=float) * 100.0
        low = part["ci_low"].to_numpy(dtype=float) * 100.0
        high = part["ci_high"].to_numpy(dtype=float) * 100.0
        ax.errorbar(est, y, xerr=np.vstack([np.maximum(est - low, 0), np.maximum(high - est, 0)]), fmt="o",
                    color=color, markerfacecolor=face, markeredgecolor=color, markersize=3, elinewidth=0.8,
                    capsize=0)
    for row in observed.itertuples(index=False):
        if row.theme in position:
            _count_label(ax, f"{int(row.n)}/{int(row.n_group)}", position[row.theme] + 0.17)
    ax.set_ylim(len(themes) - 0.5, -0.5)
    ax.set_xlim(left=0)
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)


def effects_beside_observed(
    effects: pd.DataFrame,
    prevalence: pd.DataFrame,
    *,
    group: str = "partner",
    unit: str = "passage",
    max_groups: int = 6,
    ncols: int = 3,
    label_width: int = 26,
    fig: Figure | None = None,
) -> Figure:
    """The regression's expected share of each theme per group, beside the observed share and its n.

    In the manner of stm's ``plot.estimateEffect`` (point estimates with
    intervals per covariate level), but never a model estimate alone: each
    estimate sits above the share observed in the group's passages with its
    95% bootstrap interval and its count (``n/N``: the theme's passages over
    the group's kept passages), so that a share fitted on two documents shows
    as what it is. Groups with fewer documents than the run's minimum are
    shaded and flagged in their title.

    Parameters
    ----------
    effects : DataFrame
        The ``effects`` table (``quantity == "expected_share"`` rows with
        terms ``<group>=<level>``).
    prevalence : DataFrame
        The long ``prevalence`` table (``breakdown == group`` rows of ``unit``).
    group : str
        The grouping column of the regression.
    unit : {"passage", "document"}
        Observed shares to show; the regression models passage shares.
    max_groups : int
        Groups drawn: those with the most documents.
    ncols : int
        Panels per row at most (one panel per group; four groups make two rows of two).
    label_width : int
        Theme labels wrap at this many characters.
    fig : Figure, optional

    Returns
    -------
    Figure
        One panel per group, themes top to bottom by mean observed share.
    """
    rows, _ = _effect_rows(effects, "expected_share", None)
    prefix = f"{group}="
    model = rows[rows["term"].astype(str).str.startswith(prefix)]
    if model.empty:
        raise ValueError(f"effects: no expected shares for {group} (terms present: "
                         f"{sorted(map(str, rows['term'].unique()))})")
    model = model.assign(_group=model["term"].astype(str).str[len(prefix):], theme=model["theme"].astype(str))
    observed, documents, small = _observed_groups(prevalence, group, unit)
    levels = sorted(set(model["_group"]), key=lambda g: (-int(documents.get(g, 0)), g))[:max_groups]
    levels = sorted(levels)
    themes = theme_order(observed[observed["_group"].isin(levels)])
    themes = [t for t in themes if t in set(model["theme"])] or sorted(set(model["theme"]))
    ncols = 2 if len(levels) == 4 and ncols >= 2 else ncols
    fig, axes = panel_grid(levels, ncols, fig, row_height=0.3 * len(themes) + 0.55, extra=0.7,
                           name="effects_beside_observed")
    for ax, level in zip(axes.flat, levels):
        flagged = bool(small.get(level, False))
        _panel(ax, model[model["_group"] == level], observed[observed["_group"] == level]
               .rename(columns={"share": "estimate"}), themes, flagged)
        n_docs = int(documents.get(level, 0))
        ax.set_title(f"{level} ({n_docs} document{'s' if n_docs != 1 else ''})"
                     + (", small sample" if flagged else ""), fontsize=7, loc="left",
                     color="#A01010" if flagged else "black")
    hide_unused_panels(axes, len(levels))
    axes[0, 0].set_yticks(range(len(themes)), [wrap_label(t, width=label_width, max_lines=2) for t in themes])
    fig.supxlabel("Share of passages (%), 95% interval", fontsize=8)
    handles = _legend_handles("model: expected share", "observed share (n/N passages at right)",
                              any(bool(small.get(level, False)) for level in levels))
    left_out = len(set(model["_group"])) - len(levels)
    title = group.replace("_", " ").capitalize() + (f" ({len(levels)} with most documents shown)" if left_out else "")
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles), title=title)
    return fig


def _year_panel(ax: Axes, model: pd.DataFrame, observed: pd.DataFrame, small_years: set[int]) -> None:
    """One theme: the model's expected share by year (line and band) and the observed share (hollow, dodged)."""
    for year in sorted(small_years):
        ax.axvspan(year - 0.5, year + 0.5, color=SMALL_SHADE, linewidth=0, zorder=0)
    if not model.empty:
        m = model.sort_values("_year")
        x = m["_year"].to_numpy(dtype=float)
        ax.fill_between(x, m["ci_low"].to_numpy(dtype=float) * 100.0, m["ci_high"].to_numpy(dtype=float) * 100.0,
                        color=MODEL_COLOR, alpha=0.2, linewidth=0)
        ax.plot(x, m["estimate"].to_numpy(dtype=float) * 100.0, color=MODEL_COLOR, marker="o", markersize=2.8)
    if not observed.empty:
        o = observed.sort_values("_year")
        x = o["_year"].to_numpy(dtype=float) + 0.15
        y = o["share"].to_numpy(dtype=float) * 100.0
        err = np.vstack([np.maximum(y - o["ci_low"].to_numpy(dtype=float) * 100.0, 0),
                         np.maximum(o["ci_high"].to_numpy(dtype=float) * 100.0 - y, 0)])
        ax.errorbar(x, y, yerr=err, fmt="o", color=OBSERVED_COLOR, markerfacecolor="white", markersize=2.8,
                    elinewidth=0.7, capsize=0)
    ax.grid(axis="y", color="#E5E5E5")
    ax.set_axisbelow(True)


def year_effects_beside_observed(
    effects: pd.DataFrame,
    prevalence: pd.DataFrame,
    *,
    unit: str = "passage",
    ncols: int = 3,
    fig: Figure | None = None,
) -> Figure:
    """The regression's expected share of each theme by year, beside the observed yearly share.

    One panel per theme (stm's ``plot.estimateEffect`` over a time
    covariate): the model's expected share (line, 95% band) and the share
    observed in that year's passages (hollow, with its bootstrap interval).
    Each year's tick gives its documents; years with fewer documents than the
    run's minimum are shaded.

    Parameters
    ----------
    effects : DataFrame
        The ``effects`` table (``expected_share`` rows with terms ``year=<year>``).
    prevalence : DataFrame
        The long ``prevalence`` table (``breakdown == "year"`` rows).
    unit : {"passage", "document"}
        Observed shares to show; the regression models passage shares.
    ncols : int
        Panels per row.
    fig : Figure, optional

    Returns
    -------
    Figure
    """
    rows, _ = _effect_rows(effects, "expected_share", None)
    model = rows[rows["term"].astype(str).str.match(r"^year=\d+$")]
    if model.empty:
        raise ValueError("effects: no expected shares by year (the regression has no categorical year)")
    model = model.assign(_year=model["term"].astype(str).str[5:].astype(int), theme=model["theme"].astype(str))
    observed = select_prevalence(prevalence, unit=unit, breakdown="year")
    observed = observed.assign(_year=observed["year"].astype(int), theme=observed["theme"].astype(str))
    per_doc = select_prevalence(prevalence, unit="document", breakdown="year")
    documents = per_doc.groupby(per_doc["year"].astype(int))["n_group"].max()
    small_years = {int(y) for y, s in per_doc.groupby(per_doc["year"].astype(int))["small_group"].max().items() if s}
    themes = [t for t in theme_order(observed) if t in set(model["theme"])] or sorted(set(model["theme"]))
    fig, axes = panel_grid(themes, ncols, fig, row_height=1.5, extra=0.9, name="year_effects_beside_observed")
    for ax, theme in zip(axes.flat, themes):
        _year_panel(ax, model[model["theme"] == theme], observed[observed["theme"] == theme], small_years)
        ax.set_title(wrap_label(theme, width=34), fontsize=7, loc="left")
    hide_unused_panels(axes, len(themes))
    years = sorted(set(model["_year"]) | set(observed["_year"]))
    step = max(1, math.ceil(len(years) / 6))
    shown = years[::step]
    axes[0, 0].set_xticks(shown, [f"{y}\n({int(documents.get(y, 0))})" for y in shown])
    axes[0, 0].set_xlim(years[0] - 0.6, years[-1] + 0.6)
    axes[0, 0].set_ylim(bottom=0)
    fig.supxlabel("Year (documents)", fontsize=8)
    fig.supylabel("Share of passages (%)", fontsize=8)
    handles = _legend_handles("model: expected share, 95% band", "observed share, 95% interval", bool(small_years))
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
    return fig


def _difference_panel(ax: Axes, model: pd.DataFrame, observed: dict[str, tuple[float, str]],
                      themes: Sequence[str], small: bool) -> None:
    """One pair: the model's difference (filled, interval) above the observed difference (hollow), counts right."""
    position = {t: i for i, t in enumerate(themes)}
    if small:
        ax.set_facecolor(SMALL_SHADE)
    ax.axvline(0.0, color=TEXT_GREY, linewidth=0.6, linestyle="--")
    part = model[model["theme"].isin(position)]
    if not part.empty:
        y = part["theme"].map(position).to_numpy(dtype=float) - 0.17
        est = part["estimate"].to_numpy(dtype=float) * 100.0
        err = np.vstack([est - part["ci_low"].to_numpy(dtype=float) * 100.0,
                         part["ci_high"].to_numpy(dtype=float) * 100.0 - est])
        ax.errorbar(est, y, xerr=np.maximum(err, 0), fmt="o", color=MODEL_COLOR, markersize=3, elinewidth=0.8,
                    capsize=0)
    for theme in themes:
        if theme not in observed:
            continue
        diff, counts = observed[theme]
        ax.plot([diff * 100.0], [position[theme] + 0.17], "o", color=OBSERVED_COLOR, markerfacecolor="white",
                markersize=3)
        _count_label(ax, counts, position[theme] + 0.17)
    ax.set_ylim(len(themes) - 0.5, -0.5)
    ax.grid(axis="x", color="#DDDDDD")
    ax.set_axisbelow(True)


def differences_beside_observed(
    effects: pd.DataFrame,
    prevalence: pd.DataFrame,
    *,
    group: str = "partner",
    unit: str = "passage",
    max_pairs: int = 6,
    ncols: int = 2,
    label_width: int = 26,
    fig: Figure | None = None,
) -> Figure:
    """Differences between groups' expected shares (stm's ``method = "difference"``), beside the observed ones.

    One panel per pair of groups ("Japan - China"): for each theme the
    regression's difference of expected shares in percentage points with its
    95% interval (per comparison, not adjusted for multiplicity), above the
    difference of the shares observed in the two groups' passages, with the
    counts behind it (``nA/NA - nB/NB``). A pair with a group smaller than
    the run's minimum is shaded and flagged in its title.

    Parameters
    ----------
    effects : DataFrame
        The ``effects`` table (``quantity == "difference"`` rows, terms
        ``<group>=<A> - <group>=<B>``).
    prevalence : DataFrame
        The long ``prevalence`` table (``breakdown == group`` rows).
    group : str
        The grouping column of the regression.
    unit : {"passage", "document"}
        Observed shares to difference; the regression models passage shares.
    max_pairs : int
        Pairs drawn, in the table's order.
    ncols : int
        Panels per row at most.
    label_width : int
        Theme labels wrap at this many characters.
    fig : Figure, optional

    Returns
    -------
    Figure
    """
    rows, _ = _effect_rows(effects, "difference", None)
    prefix = f"{group}="
    pairs = []
    listed = effects.loc[effects["quantity"] == "difference", "term"].dropna().astype(str)  # the table's order
    for term in (t for t in dict.fromkeys(listed) if t in set(rows["term"].astype(str))):
        a, sep, b = term.partition(" - ")
        if sep and a.startswith(prefix) and b.startswith(prefix):
            pairs.append((term, a[len(prefix):], b[len(prefix):]))
    if not pairs:
        raise ValueError(f"effects: no differences between levels of {group}")
    pairs = pairs[:max_pairs]
    observed_rows, documents, small = _observed_groups(prevalence, group, unit)
    levels = sorted({lv for _, a, b in pairs for lv in (a, b)})
    model = rows.assign(theme=rows["theme"].astype(str))
    themes = theme_order(observed_rows[observed_rows["_group"].isin(levels)])
    themes = [t for t in themes if t in set(model["theme"])] or sorted(set(model["theme"]))
    fig, axes = panel_grid(pairs, ncols, fig, row_height=0.3 * len(themes) + 0.75, extra=0.8,
                           name="differences_beside_observed")
    by_group = {g: part.set_index("theme") for g, part in observed_rows.groupby("_group", sort=True)}
    any_small = False
    for ax, (term, a, b) in zip(axes.flat, pairs):
        observed = {}
        if a in by_group and b in by_group:
            for theme in themes:
                if theme in by_group[a].index and theme in by_group[b].index:
                    ra, rb = by_group[a].loc[theme], by_group[b].loc[theme]
                    observed[theme] = (float(ra["share"]) - float(rb["share"]),
                                       f"{int(ra['n'])}/{int(ra['n_group'])} - {int(rb['n'])}/{int(rb['n_group'])}")
        flagged = bool(small.get(a, False)) or bool(small.get(b, False))
        any_small |= flagged
        _difference_panel(ax, model[model["term"].astype(str) == term], observed, themes, flagged)
        na, nb = int(documents.get(a, 0)), int(documents.get(b, 0))
        ax.set_title(f"{a} - {b}\n{na} and {nb} documents" + (", small sample" if flagged else ""), fontsize=7,
                     loc="left", color="#A01010" if flagged else "black")
    hide_unused_panels(axes, len(pairs))
    axes[0, 0].set_yticks(range(len(themes)), [wrap_label(t, width=label_width, max_lines=2) for t in themes])
    fig.supxlabel("Difference in share of passages (percentage points), 95% interval per comparison", fontsize=8)
    handles = _legend_handles("model: difference of expected shares",
                              "observed difference (n/N - n/N passages at right)", any_small, linestyle="none")
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles),
               title=group.replace("_", " ").capitalize() + " differences")
    return fig
