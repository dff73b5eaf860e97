"""Table ``effects``: regression of theme share on partner and year (optional)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import TABLES_SUBDIR, load_table, run_script
from coopthemes.tables import effects_table, write_table

__all__ = ["STEM", "main"]

STEM = "effects"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Write regression estimates from ``effects.parquet`` when present; ``formats`` is unused."""
    effects = load_table(results_dir, "effects", purpose=f"table {STEM} (no regression in this run)")
    if effects is None:
        return []
    return write_table(effects_table(effects), STEM, Path(out_dir) / TABLES_SUBDIR,
                       caption="Regression of theme share on partner and year: coefficients (logit scale) "
                               "and expected shares (proportions), with 95% intervals.")


if __name__ == "__main__":
    sys.exit(run_script(main))
