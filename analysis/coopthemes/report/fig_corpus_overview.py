"""Figure ``corpus_overview``: documents by partner, year and language."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.plotting import corpus_overview
from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import load_table, render_figure, run_script

__all__ = ["STEM", "main"]

STEM = "corpus_overview"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw kept documents by partner, year and language from ``documents.parquet``."""
    documents = load_table(results_dir, "documents", purpose=f"figure {STEM}")
    if documents is None:
        return []
    return render_figure(STEM, out_dir, formats, lambda: corpus_overview(documents))

if __name__ == "__main__":
    sys.exit(run_script(main))
