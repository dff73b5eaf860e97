"""Figure ``prevalence_heatmap``: share of documents in each theme by partner."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.plotting import PAGE_WIDTH, paper_context, prevalence_heatmap
from analysis.provenance import FIGURE_FORMATS, save_figure
from analysis.report._common import group_column, load_table, logger, run_script

__all__ = ["STEM", "main"]

STEM = "prevalence_heatmap"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw document-level theme shares by partner from ``prevalence.parquet``."""
    prevalence = load_table(results_dir, "prevalence", purpose=f"figure {STEM}")
    if prevalence is None:
        return []
    group = group_column(results_dir)
    n_themes = prevalence["theme"].nunique()
    with paper_context():
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH * 0.62, 0.42 * n_themes + 0.9))
        try:
            prevalence_heatmap(prevalence, unit="document", group=group, ax=ax)
            return save_figure(fig, STEM, out_dir, formats)
        except ValueError as exc:
            logger.warning("skipping figure %s: %s", STEM, exc)
            return []
        finally:
            plt.close(fig)


if __name__ == "__main__":
    sys.exit(run_script(main))
