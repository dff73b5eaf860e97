"""Figure ``prevalence_heatmap``: share of documents in each theme by partner."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.plotting import PAGE_WIDTH, prevalence_heatmap
from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import group_column, load_table, on_axes, render_figure, run_script

__all__ = ["STEM", "main"]

STEM = "prevalence_heatmap"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw document-level theme shares by partner from ``prevalence.parquet``."""
    prevalence = load_table(results_dir, "prevalence", purpose=f"figure {STEM}")
    if prevalence is None:
        return []
    group = group_column(results_dir)
    n_groups = prevalence.loc[prevalence["breakdown"] == group, group].nunique()
    size = (PAGE_WIDTH * (0.62 if n_groups <= 4 else 1.0), 0.42 * prevalence["theme"].nunique() + 0.9)
    return render_figure(STEM, out_dir, formats, lambda: on_axes(
        size, lambda ax: prevalence_heatmap(prevalence, unit="document", group=group, ax=ax)))

if __name__ == "__main__":
    sys.exit(run_script(main))
