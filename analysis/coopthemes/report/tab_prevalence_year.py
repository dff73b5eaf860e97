"""Tables ``prevalence_year_document`` and ``prevalence_year_passage``: theme shares by year."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import run_script
from coopthemes.report._prevalence_tables import write_prevalence_tables

__all__ = ["main"]


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Write theme shares by year (CSV, LaTeX, Markdown) from ``prevalence.parquet``; ``formats`` is unused."""
    return write_prevalence_tables(results_dir, out_dir, breakdown="year", label="year")


if __name__ == "__main__":
    sys.exit(run_script(main))
