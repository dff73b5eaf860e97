"""Figure ``effects``: expected theme share by partner from the regression (optional)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.plotting import PAGE_WIDTH, effects_plot, paper_context
from analysis.provenance import FIGURE_FORMATS, save_figure
from analysis.report._common import group_column, load_table, logger, run_script

__all__ = ["STEM", "main"]

STEM = "effects"


def main(results_dir: str | Path, out_dir: str | Path, *, formats: Sequence[str] = FIGURE_FORMATS) -> list[Path]:
    """Draw expected shares by partner (or coefficients) from ``effects.parquet`` when present."""
    effects = load_table(results_dir, "effects", purpose=f"figure {STEM} (no regression in this run)")
    if effects is None:
        return []
    prefix = f"{group_column(results_dir)}="
    quantity = "expected_share" if "quantity" in effects.columns else "coefficient"
    terms = sorted({str(t) for t in effects["term"].dropna() if str(t).startswith(prefix)}) or None
    drawable = effects.dropna(subset=["estimate", "ci_low", "ci_high"])
    if "quantity" in drawable.columns:
        drawable = drawable[drawable["quantity"] == quantity]
    n_themes = max(drawable["theme"].nunique(), 1)
    with paper_context():
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH * 0.62, 0.45 * n_themes + 0.9))
        try:
            effects_plot(effects, quantity=quantity, terms=terms, ax=ax)
            return save_figure(fig, STEM, out_dir, formats)
        except ValueError as exc:
            logger.warning("skipping figure %s: %s", STEM, exc)
            return []
        finally:
            plt.close(fig)


if __name__ == "__main__":
    sys.exit(run_script(main))
