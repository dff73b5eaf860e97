"""Table ``theme_overview``: label, codebook id, size, top terms per language, examples."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import TABLES_SUBDIR, load_table, run_script
from coopthemes.tables import theme_overview_table, write_table

__all__ = ["STEM", "main"]

STEM = "theme_overview"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Write the theme overview (CSV, LaTeX, Markdown) from ``themes.parquet``; ``formats`` is unused."""
    themes = load_table(results_dir, "themes", purpose=f"table {STEM}")
    if themes is None:
        return []
    table = theme_overview_table(themes, n_terms=5, n_passages=3)
    caption = "Themes: codebook id, size in passages, top terms per language, representative passages."
    return write_table(table, STEM, Path(out_dir) / TABLES_SUBDIR, caption=caption)


if __name__ == "__main__":
    sys.exit(run_script(main))
