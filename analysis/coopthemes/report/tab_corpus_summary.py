"""Table ``corpus_summary``: documents by status, language, partner, year; passages kept and dropped."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import TABLES_SUBDIR, load_table, run_script
from coopthemes.tables import corpus_summary_table, write_table

__all__ = ["STEM", "main"]

STEM = "corpus_summary"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Write the corpus summary from ``documents.parquet`` and ``passages.parquet``; ``formats`` is unused."""
    documents = load_table(results_dir, "documents", purpose=f"table {STEM}")
    passages = load_table(results_dir, "passages", purpose=f"table {STEM}")
    if documents is None or passages is None:
        return []
    return write_table(corpus_summary_table(documents, passages), STEM, Path(out_dir) / TABLES_SUBDIR,
                       caption="Corpus: documents by status, language, partner and year; passages kept and dropped.")


if __name__ == "__main__":
    sys.exit(run_script(main))
