"""Figure ``corpus_overview``: documents by partner, year and language."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.plotting import corpus_overview, paper_context
from analysis.provenance import FIGURE_FORMATS, save_figure
from analysis.report._common import load_table, run_script

__all__ = ["STEM", "main"]

STEM = "corpus_overview"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw kept documents by partner, year and language from ``documents.parquet``."""
    documents = load_table(results_dir, "documents", purpose=f"figure {STEM}")
    if documents is None:
        return []
    with paper_context():
        fig = corpus_overview(documents)
        try:
            return save_figure(fig, STEM, out_dir, formats)
        finally:
            plt.close(fig)


if __name__ == "__main__":
    sys.exit(run_script(main))
