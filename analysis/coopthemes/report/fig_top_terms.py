"""Figure ``top_terms``: top terms of each theme in Vietnamese, French and English."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.plotting import top_terms_figure
from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import load_table, render_figure, run_script

__all__ = ["STEM", "main"]

STEM = "top_terms"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw the top-terms table figure from ``themes.parquet``."""
    themes = load_table(results_dir, "themes", purpose=f"figure {STEM}")
    if themes is None:
        return []
    return render_figure(STEM, out_dir, formats,
                         lambda: top_terms_figure(themes, languages=("vi", "fr", "en"), n_terms=6))

if __name__ == "__main__":
    sys.exit(run_script(main))
