"""Shared helpers of the figure and table scripts: loading results, the command line."""

from __future__ import annotations

import argparse
import json
import logging
import shlex
from collections.abc import Callable, Sequence
from typing import Any
from pathlib import Path

import pandas as pd

from coopthemes.provenance import FIGURE_FORMATS

__all__ = [
    "TABLES_SUBDIR",
    "group_column",
    "load_run",
    "load_table",
    "on_axes",
    "regenerate_command",
    "render_figure",
    "run_script",
]

logger = logging.getLogger("coopthemes.report")

#: Tables are written under ``out_dir / TABLES_SUBDIR``.
TABLES_SUBDIR = "tables"


def render_figure(stem: str, out_dir: str | Path, formats: Sequence[str], draw: Callable[[], Any]) -> list[Path]:
    """Draw a figure in the paper style and save it; a ``ValueError`` from ``draw`` skips it.

    Parameters
    ----------
    stem : str
        File name without extension.
    out_dir : str or Path
    formats : sequence of str
    draw : callable
        Called without arguments inside :func:`paper_context`; returns the Figure.
    """
    import matplotlib.pyplot as plt

    from coopthemes.plotting import paper_context
    from coopthemes.provenance import save_figure

    with paper_context():
        try:
            fig = draw()
        except ValueError as exc:
            logger.warning("skipping figure %s: %s", stem, exc)
            return []
        try:
            return save_figure(fig, stem, out_dir, formats)
        finally:
            plt.close(fig)


def on_axes(figsize: tuple[float, float], plot: Callable[..., Any]) -> Any:
    """A new figure of ``figsize`` with one Axes, drawn by ``plot(ax=ax)``; returns the Figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize)
    try:
        plot(ax=ax)
    except Exception:
        plt.close(fig)
        raise
    return fig


def load_table(results_dir: str | Path, name: str, *, purpose: str) -> pd.DataFrame | None:
    """Read ``results_dir/<name>.parquet``; log and return None when it is absent.

    Parameters
    ----------
    results_dir : str or Path
        The results folder (must exist).
    name : str
        Table name, e.g. ``"prevalence"``.
    purpose : str
        What the table is needed for (named in the log message).
    """
    folder = Path(results_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"results folder {folder} does not exist")
    path = folder / f"{name}.parquet"
    if not path.is_file():
        logger.warning("skipping %s: %s not found", purpose, path)
        return None
    return pd.read_parquet(path)


def load_run(results_dir: str | Path) -> dict:
    """The ``run.json`` facts of a results folder (empty dict when absent)."""
    path = Path(results_dir) / "run.json"
    if not path.is_file():
        logger.warning("%s not found: manifest will lack config and seed", path)
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc


def group_column(results_dir: str | Path) -> str:
    """The grouping column of the run's prevalence (``"partner"`` unless configured otherwise)."""
    return str(load_run(results_dir).get("group_column") or "partner")


def regenerate_command(module: str, results_dir: str | Path, out_dir: str | Path) -> str:
    """Shell command that reruns one figure or table script."""
    return f"python -m {module} {shlex.quote(str(results_dir))} {shlex.quote(str(out_dir))}"


def run_script(main: Callable[..., list[Path]], argv: Sequence[str] | None = None) -> int:
    """Command-line entry of a figure or table script: ``RESULTS_DIR OUT_DIR [--formats pdf,png]``."""
    import matplotlib

    matplotlib.use("Agg")
    parser = argparse.ArgumentParser(description=(main.__doc__ or "").strip().splitlines()[0])
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--formats", default=",".join(FIGURE_FORMATS), help="comma-separated figure formats")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("coopthemes").setLevel(logging.INFO)
    for path in main(args.results_dir, args.out_dir, formats=tuple(args.formats.split(","))):
        print(path)
    return 0
