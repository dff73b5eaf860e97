"""The report's figures: one registered function per figure (load results, draw; the report saves)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..plotting import (
    PAGE_WIDTH,
    corpus_overview,
    differences_beside_observed,
    effects_beside_observed,
    effects_plot,
    group_dots,
    group_year_grid,
    prevalence_heatmap,
    theme_map,
    top_terms_figure,
    trend_grid,
    year_effects_beside_observed,
)
from ..plotting.themes import THEME_LEGEND_SIDE_MAX
from ..schema import Breakdown
from .registry import Skip, figure

__all__ = ["UNSTABLE_MARK", "flag_unstable", "group_of", "languages_of", "prevalence_rows"]


def group_of(results) -> str:
    """The run's grouping column (``partner`` unless configured otherwise)."""
    return str(results.info.get("group_column") or "partner")


def languages_of(results) -> list[str] | None:
    """The corpus languages present in the terms table, in the configured order (None: the table's order)."""
    configured = results.info.get("languages")
    terms = results.tables.get("terms")
    if not configured or terms is None:
        return None
    present = set(terms["language"].astype(str))
    ordered = [lang for lang in configured if lang in present]
    return ordered + sorted(present - set(ordered))


#: Appended to the label of a theme that reappears in too few of the consensus fits.
UNSTABLE_MARK = " (unstable)"


def flag_unstable(results, table: pd.DataFrame | None) -> pd.DataFrame | None:
    """``table`` with the ``theme`` label of each unstable theme marked, for drawing."""
    themes = results.tables.get("themes")
    if table is None or themes is None or "unstable" not in themes.columns:
        return table
    unstable = set(themes.loc[themes["unstable"].astype("boolean").fillna(False), "theme"].astype(str))
    if not unstable:
        return table
    return table.assign(theme=[f"{t}{UNSTABLE_MARK}" if str(t) in unstable else t for t in table["theme"]])


def prevalence_rows(results, breakdown: Breakdown, unit: str = "document") -> pd.DataFrame:
    """The prevalence table (unstable themes marked), or Skip when the run has no row of a breakdown."""
    prevalence = results.tables.get("prevalence")
    if prevalence is None:
        raise Skip("the run has no prevalence table")
    rows = prevalence[(prevalence["breakdown"] == breakdown.name) & (prevalence["unit"] == unit)]
    if rows.empty:
        raise Skip(f"no document has a known {breakdown.title}")
    return flag_unstable(results, prevalence)


def _on_axes(figsize: tuple[float, float], plot) -> Figure:
    fig, ax = plt.subplots(figsize=figsize)
    try:
        plot(ax=ax)
    except BaseException:
        plt.close(fig)
        raise
    return fig


@figure("corpus_overview")
def corpus_overview_figure(results) -> Figure:
    """Kept documents by partner, year and language."""
    return corpus_overview(results["documents"])


@figure("prevalence_heatmap")
def prevalence_heatmap_figure(results) -> Figure:
    """Document-level theme shares by group (partner unless configured otherwise)."""
    group = group_of(results)
    prevalence = prevalence_rows(results, Breakdown((group,)))
    rows = prevalence[prevalence["breakdown"] == group]
    size = (PAGE_WIDTH * (0.62 if rows[group].nunique() <= 4 else 1.0), 0.42 * rows["theme"].nunique() + 0.9)
    return _on_axes(size, lambda ax: prevalence_heatmap(prevalence, unit="document", group=group, ax=ax))


@figure("prevalence_group", stem=lambda results: f"prevalence_{group_of(results)}")
def prevalence_group_figure(results) -> Figure:
    """Document-level theme shares by group with 95% intervals (``prevalence_<group>``)."""
    group = group_of(results)
    prevalence = prevalence_rows(results, Breakdown((group,)))
    size = (PAGE_WIDTH * 0.62, 0.45 * prevalence["theme"].nunique() + 0.9)
    return _on_axes(size, lambda ax: group_dots(prevalence, unit="document", group=group, ax=ax))


@figure("prevalence_trends")
def prevalence_trends_figure(results) -> Figure:
    """Document-level theme shares by year, one panel per theme."""
    prevalence = prevalence_rows(results, Breakdown(("year",)))
    return trend_grid(prevalence, unit="document", ncols=3)


@figure("prevalence_group_year", stem=lambda results: f"prevalence_{group_of(results)}_year")
def prevalence_group_year_figure(results) -> Figure:
    """Document-level theme shares by group and year with 95% intervals, one panel per theme."""
    group = group_of(results)
    prevalence = prevalence_rows(results, Breakdown((group, "year")))
    return group_year_grid(prevalence, unit="document", group=group, ncols=3)


@figure("theme_map")
def theme_map_figure(results) -> Figure:
    """Passages on the 2-D theme map, coloured by theme, marker by language."""
    data = flag_unstable(results, results.tables.get("theme_map"))
    if data is None or data.empty:
        raise Skip("the run has no theme map")
    n_entries = data["theme_id"].nunique()
    height = 3.6 if n_entries <= THEME_LEGEND_SIDE_MAX else 3.6 + 0.32 * math.ceil(n_entries / 3)
    return _on_axes((PAGE_WIDTH, height), lambda ax: theme_map(data, ax=ax))


@figure("top_terms")
def top_terms_fig(results) -> Figure:
    """Top terms of each theme in each language of the corpus."""
    terms = results.tables.get("terms")
    if terms is None or terms.empty:
        raise Skip("no theme has terms")
    return top_terms_figure(terms, themes=flag_unstable(results, results["themes"]), languages=languages_of(results),
                            n_terms=6)


@figure("effects")
def effects_figure(results) -> Figure:
    """Expected shares by group from the regression, beside the observed shares and their n."""
    effects = flag_unstable(results, results.tables.get("effects"))
    if effects is None:
        raise Skip("no regression in this run")
    group = group_of(results)
    prefix = f"{group}="
    drawable = effects.dropna(subset=["estimate", "ci_low", "ci_high"])
    if "quantity" in drawable.columns:
        shares = drawable[(drawable["quantity"] == "expected_share")
                          & drawable["term"].astype(str).str.startswith(prefix)]
        if not shares.empty:
            prevalence = prevalence_rows(results, Breakdown((group,)), unit="passage")
            return effects_beside_observed(effects, prevalence, group=group, unit="passage")
        drawable = drawable[drawable["quantity"] == "coefficient"]
    if drawable.empty:
        raise Skip("the regression estimated nothing")
    size = (PAGE_WIDTH * 0.62, 0.45 * max(drawable["theme"].nunique(), 1) + 0.9)
    return _on_axes(size, lambda ax: effects_plot(effects, quantity="coefficient", ax=ax))


@figure("effects_difference")
def effects_difference_figure(results) -> Figure:
    """Differences between groups' expected shares from the regression, beside the observed differences."""
    effects = flag_unstable(results, results.tables.get("effects"))
    if effects is None or "quantity" not in effects.columns:
        raise Skip("no regression in this run")
    drawable = effects.dropna(subset=["estimate", "ci_low", "ci_high"])
    if drawable[drawable["quantity"] == "difference"].empty:
        raise Skip("the regression estimated no difference between groups")
    group = group_of(results)
    prevalence = prevalence_rows(results, Breakdown((group,)), unit="passage")
    return differences_beside_observed(effects, prevalence, group=group, unit="passage")


@figure("effects_year")
def effects_year_figure(results) -> Figure:
    """Expected shares by year from the regression, beside the observed yearly shares, one panel per theme."""
    effects = flag_unstable(results, results.tables.get("effects"))
    if effects is None:
        raise Skip("no regression in this run")
    if "quantity" not in effects.columns:
        raise Skip("the regression table has no expected shares")
    drawable = effects.dropna(subset=["estimate", "ci_low", "ci_high"])
    years = drawable[(drawable["quantity"] == "expected_share") & drawable["term"].astype(str).str.match(r"^year=\d+$")]
    if years.empty:
        raise Skip("the regression estimated no share by year")
    prevalence = prevalence_rows(results, Breakdown(("year",)), unit="passage")
    return year_effects_beside_observed(effects, prevalence, unit="passage")
