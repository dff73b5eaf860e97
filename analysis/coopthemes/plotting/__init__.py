"""Publication figures: a scoped paper style and axes-level plotting functions."""

from coopthemes.plotting.plots import (
    corpus_counts,
    corpus_overview,
    effects_plot,
    partner_dots,
    prevalence_heatmap,
    prevalence_trend,
    theme_map,
    top_terms,
    top_terms_figure,
    trend_grid,
    wrap_label,
)
from coopthemes.plotting.style import COLUMN_WIDTH, PAGE_WIDTH, paper_context, palette

__all__ = [
    "COLUMN_WIDTH",
    "PAGE_WIDTH",
    "corpus_counts",
    "corpus_overview",
    "effects_plot",
    "palette",
    "paper_context",
    "partner_dots",
    "prevalence_heatmap",
    "prevalence_trend",
    "theme_map",
    "top_terms",
    "top_terms_figure",
    "trend_grid",
    "wrap_label",
]
