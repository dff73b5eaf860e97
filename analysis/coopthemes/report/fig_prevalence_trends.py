"""Figure ``prevalence_trends``: share of documents in each theme by year, one panel per theme."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.plotting import trend_grid
from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import load_table, render_figure, run_script

__all__ = ["STEM", "main"]

STEM = "prevalence_trends"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw document-level theme shares by year from ``prevalence.parquet``."""
    prevalence = load_table(results_dir, "prevalence", purpose=f"figure {STEM}")
    if prevalence is None:
        return []
    return render_figure(STEM, out_dir, formats, lambda: trend_grid(prevalence, unit="document", ncols=3))

if __name__ == "__main__":
    sys.exit(run_script(main))
