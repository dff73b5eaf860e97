"""Figure ``prevalence_partner_dots``: theme shares by partner with 95% intervals."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.plotting import PAGE_WIDTH, partner_dots
from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import group_column, load_table, on_axes, render_figure, run_script

__all__ = ["STEM", "main"]

STEM = "prevalence_partner_dots"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw document-level theme shares by partner, with intervals, from ``prevalence.parquet``."""
    prevalence = load_table(results_dir, "prevalence", purpose=f"figure {STEM}")
    if prevalence is None:
        return []
    group = group_column(results_dir)
    size = (PAGE_WIDTH * 0.62, 0.45 * prevalence["theme"].nunique() + 0.9)
    return render_figure(STEM, out_dir, formats, lambda: on_axes(
        size, lambda ax: partner_dots(prevalence, unit="document", group=group, ax=ax)))

if __name__ == "__main__":
    sys.exit(run_script(main))
