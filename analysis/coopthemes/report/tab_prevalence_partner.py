"""Tables ``prevalence_partner_document`` and ``prevalence_partner_passage``: theme shares by partner."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import group_column, run_script
from coopthemes.report._prevalence_tables import write_prevalence_tables

__all__ = ["main"]


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Write theme shares by partner (CSV, LaTeX, Markdown) from ``prevalence.parquet``; ``formats`` is unused."""
    group = group_column(results_dir)
    return write_prevalence_tables(results_dir, out_dir, breakdown=group, label=group)


if __name__ == "__main__":
    sys.exit(run_script(main))
