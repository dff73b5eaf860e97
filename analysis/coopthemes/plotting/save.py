"""Saving figures so that their bytes depend only on the figure.

PDF: no creation or modification date, fixed Creator/Producer. SVG: no date,
ids salted with :data:`~coopthemes.plotting.style.SVG_HASHSALT`. PNG: fixed
Software tag and dpi. ``SOURCE_DATE_EPOCH`` is honoured when set and fixed to
0 while saving otherwise.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure

from ..config import FIGURE_FORMATS
from ..provenance import package_versions
from .style import SVG_HASHSALT

__all__ = ["FIGURE_FORMATS", "save_figure"]

#: ``SOURCE_DATE_EPOCH`` used while saving when the caller has not set one.
DEFAULT_SOURCE_DATE_EPOCH = "0"


def _software() -> str:
    version = package_versions(("coopthemes",))["coopthemes"]
    return f"coopthemes {version or 'unknown'} (matplotlib {mpl.__version__})"


def _metadata(fmt: str) -> dict[str, Any]:
    if fmt == "pdf":
        return {"Creator": _software(), "Producer": f"matplotlib {mpl.__version__}",
                "CreationDate": None, "ModDate": None}
    if fmt == "svg":
        return {"Creator": _software(), "Date": None}
    return {"Software": _software()}


@contextlib.contextmanager
def _source_date_epoch() -> Iterator[None]:
    """Set ``SOURCE_DATE_EPOCH`` when unset, restoring the environment afterwards."""
    was_set = "SOURCE_DATE_EPOCH" in os.environ
    if not was_set:
        os.environ["SOURCE_DATE_EPOCH"] = DEFAULT_SOURCE_DATE_EPOCH
    try:
        yield
    finally:
        if not was_set:
            os.environ.pop("SOURCE_DATE_EPOCH", None)


def save_figure(
    fig: Figure,
    stem: str,
    out_dir: str | Path,
    formats: Sequence[str] = FIGURE_FORMATS,
    *,
    dpi: int = 300,
) -> list[Path]:
    """Save a figure as ``stem.<format>`` files whose bytes depend only on the figure.

    Parameters
    ----------
    fig : Figure
        The figure.
    stem : str
        File name without extension (no path separators).
    out_dir : str or Path
        Folder, created if needed.
    formats : sequence of {"pdf", "png", "svg"}
        Formats to write, in order.
    dpi : int
        Resolution of the PNG (and of any raster parts of PDF/SVG).

    Returns
    -------
    list of Path
        One path per format.

    Notes
    -----
    PDF: no creation or modification date, fixed Creator/Producer. SVG: no
    date, ids salted with :data:`~coopthemes.plotting.style.SVG_HASHSALT`. PNG:
    fixed Software tag and dpi. ``SOURCE_DATE_EPOCH`` is honoured when set and
    fixed to 0 while saving otherwise.
    """
    bad = [f for f in formats if f not in FIGURE_FORMATS]
    if bad:
        raise ValueError(f"save_figure: unsupported format(s) {bad}; expected some of {list(FIGURE_FORMATS)}")
    if not stem or Path(stem).name != stem:
        raise ValueError(f"save_figure: stem must be a plain file name, got {stem!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with _source_date_epoch(), mpl.rc_context({"svg.hashsalt": SVG_HASHSALT}):
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            fig.savefig(path, format=fmt, dpi=dpi, metadata=_metadata(fmt),
                        bbox_inches="tight", pad_inches=0.02)
            paths.append(path)
    return paths


