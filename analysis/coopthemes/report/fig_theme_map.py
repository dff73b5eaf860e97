"""Figure ``theme_map``: passages on the 2-D map, coloured by theme, marker by language."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.plotting import PAGE_WIDTH, theme_map
from coopthemes.plotting.plots import THEME_LEGEND_SIDE_MAX
from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import load_table, on_axes, render_figure, run_script

__all__ = ["STEM", "main"]

STEM = "theme_map"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw the theme map from ``theme_map.parquet``."""
    data = load_table(results_dir, "theme_map", purpose=f"figure {STEM}")
    if data is None:
        return []
    n_entries = data["theme_id"].nunique()
    height = 3.6 if n_entries <= THEME_LEGEND_SIDE_MAX else 3.6 + 0.32 * math.ceil(n_entries / 3)
    return render_figure(STEM, out_dir, formats, lambda: on_axes(
        (PAGE_WIDTH, height), lambda ax: theme_map(data, ax=ax)))

if __name__ == "__main__":
    sys.exit(run_script(main))
