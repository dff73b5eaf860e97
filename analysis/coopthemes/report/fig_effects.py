"""Figure ``effects``: expected theme share by partner from the regression (optional)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from coopthemes.plotting import PAGE_WIDTH, effects_plot
from coopthemes.provenance import FIGURE_FORMATS
from coopthemes.report._common import group_column, load_table, on_axes, render_figure, run_script

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
    size = (PAGE_WIDTH * 0.62, 0.45 * max(drawable["theme"].nunique(), 1) + 0.9)
    return render_figure(STEM, out_dir, formats, lambda: on_axes(
        size, lambda ax: effects_plot(effects, quantity=quantity, terms=terms, ax=ax)))

if __name__ == "__main__":
    sys.exit(run_script(main))
