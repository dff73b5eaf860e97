"""Table ``metadata_audit``: documents with a missing year or partner, and why."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import TABLES_SUBDIR, load_table, run_script
from coopthemes.tables import metadata_audit_table, write_table

__all__ = ["STEM", "main"]

STEM = "metadata_audit"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Write the metadata audit from ``documents.parquet``; ``formats`` is unused."""
    documents = load_table(results_dir, "documents", purpose=f"table {STEM}")
    if documents is None:
        return []
    return write_table(metadata_audit_table(documents), STEM, Path(out_dir) / TABLES_SUBDIR,
                       caption="Documents without a year or a partner, with the source of each value.")


if __name__ == "__main__":
    sys.exit(run_script(main))
