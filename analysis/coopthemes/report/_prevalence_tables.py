"""Prevalence tables of one breakdown, for documents and passages."""

from __future__ import annotations

from pathlib import Path

from coopthemes.report._common import TABLES_SUBDIR, load_table, logger
from coopthemes.tables import prevalence_table, write_table

__all__ = ["write_prevalence_tables"]

_UNITS = {"document": "documents", "passage": "passages"}


def write_prevalence_tables(results_dir: str | Path, out_dir: str | Path, *, breakdown: str, label: str) -> list[Path]:
    """Write ``prevalence_<label>_<unit>`` tables for each unit present in ``prevalence.parquet``."""
    prevalence = load_table(results_dir, "prevalence", purpose=f"prevalence tables by {breakdown}")
    if prevalence is None:
        return []
    paths: list[Path] = []
    for unit in sorted(_UNITS):
        stem = f"prevalence_{label}_{unit}"
        try:
            table = prevalence_table(prevalence, by=breakdown, unit=unit)
        except ValueError as exc:
            logger.warning("skipping table %s: %s", stem, exc)
            continue
        caption = (f"Share of {_UNITS[unit]} in each theme by {breakdown.replace('_', ' and ')} (%), "
                   f"n of N {_UNITS[unit]}, with 95% intervals.")
        paths += write_table(table, stem, Path(out_dir) / TABLES_SUBDIR, caption=caption)
    return paths
