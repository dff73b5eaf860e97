"""Publication figures: a scoped paper style, axes-level plotting functions, reproducible saving.

Modules by subject: :mod:`.prevalence` (heatmap, year trends, shares by
group), :mod:`.effects` (the regression), :mod:`.themes` (theme map, top
terms), :mod:`.corpus` (documents by group, year and language); :mod:`.style`
(palettes, :func:`paper_context`) and :mod:`.save` (:func:`save_figure`,
byte-reproducible files). Plots only read tables; they never save or show.
"""

from ._common import LANGUAGE_NAMES, wrap_label
from .corpus import corpus_counts, corpus_overview
from .effects import differences_beside_observed, effects_beside_observed, effects_plot, year_effects_beside_observed
from .prevalence import group_dots, group_year_grid, prevalence_heatmap, prevalence_trend, trend_grid
from .save import save_figure
from .style import COLUMN_WIDTH, PAGE_WIDTH, paper_context, palette
from .themes import term_languages, theme_map, top_terms, top_terms_figure

__all__ = [
    "COLUMN_WIDTH",
    "LANGUAGE_NAMES",
    "PAGE_WIDTH",
    "corpus_counts",
    "corpus_overview",
    "differences_beside_observed",
    "effects_beside_observed",
    "effects_plot",
    "group_dots",
    "group_year_grid",
    "palette",
    "paper_context",
    "prevalence_heatmap",
    "prevalence_trend",
    "save_figure",
    "term_languages",
    "theme_map",
    "top_terms",
    "top_terms_figure",
    "trend_grid",
    "wrap_label",
    "year_effects_beside_observed",
]
