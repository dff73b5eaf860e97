"""Every figure and table of the paper, drawn from a results folder.

One registry of figures and one of tables (:mod:`.registry`; the functions in
:mod:`.figures` and :mod:`.tables`), so that a paper can say exactly which
command made each artefact::

    python -m coopthemes.report all RESULTS_DIR OUT_DIR
    python -m coopthemes.report figure theme_map RESULTS_DIR OUT_DIR
    python -m coopthemes.report table prevalence RESULTS_DIR OUT_DIR

:func:`build_report` draws them all, writes the explorer page (:mod:`coopthemes.explore`)
and ``MANIFEST.json``.

Outputs
-------
Figures as ``out_dir/<stem>.{pdf,png,svg}``, tables as
``out_dir/tables/<stem>.{csv,tex,md}``, and ``out_dir/MANIFEST.json``.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Sequence
from pathlib import Path

from ..config import FIGURE_FORMATS
from ..explore import write_report_page
from ..provenance import write_manifest
from ..provenance import MANIFEST_NAME
from ..results import CHECKSUMS, RUN_JSON, RunResult, read_results, verify_results
from . import figures as _figures  # noqa: F401  (registers the figures)
from . import tables as _tables  # noqa: F401  (registers the tables)
from .registry import FIGURES, TABLES, Skip, entries

__all__ = [
    "FIGURES",
    "TABLES",
    "TABLES_SUBDIR",
    "ResultsChanged",
    "build_report",
    "changed_summary",
    "check_results",
    "draw_figures",
    "write_tables",
]

logger = logging.getLogger(__name__)

#: Tables are written under ``out_dir / TABLES_SUBDIR``.
TABLES_SUBDIR = "tables"


def _progress(items: list, desc: str):
    """``items`` with a progress bar on a terminal."""
    import sys

    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit="file", leave=False, disable=not sys.stderr.isatty())


def _command(kind: str, name: str, results_dir, out_dir) -> str:
    return (f"python -m coopthemes.report {kind} {name} "
            f"{shlex.quote(str(results_dir))} {shlex.quote(str(out_dir))}")


def draw_figures(results: RunResult, out_dir: str | Path, *, names: Sequence[str] | None = None,
                 formats: Sequence[str] = FIGURE_FORMATS) -> dict[Path, str]:
    """Draw registered figures (all when ``names`` is None) in the paper style and save them.

    Returns
    -------
    dict of Path -> str
        Each file written and the command that redraws it.
    """
    import matplotlib.pyplot as plt

    from ..plotting import paper_context, save_figure

    written: dict[Path, str] = {}
    for entry in _progress(list(entries(FIGURES, names)), "figures"):
        with paper_context():
            try:
                fig = entry.func(results)
            except Skip as why:
                logger.info("figure %s not drawn: %s", entry.name, why)
                continue
            try:
                paths = save_figure(fig, entry.stem(results), out_dir, formats)
            finally:
                plt.close(fig)
        for path in paths:
            written[path] = _command("figure", entry.name, results.results_dir, out_dir)
    return written


def write_tables(results: RunResult, out_dir: str | Path, *, names: Sequence[str] | None = None) -> dict[Path, str]:
    """Write registered tables (all when ``names`` is None) as CSV, LaTeX and Markdown under ``out_dir/tables``.

    Returns
    -------
    dict of Path -> str
        Each file written and the command that rewrites it.
    """
    from ..tables import write_table

    written: dict[Path, str] = {}
    for entry in _progress(list(entries(TABLES, names)), "tables"):
        try:
            outs = list(entry.func(results))
        except Skip as why:
            logger.info("table %s not written: %s", entry.name, why)
            continue
        for out in outs:
            for path in write_table(out.data, out.stem, Path(out_dir) / TABLES_SUBDIR, caption=out.caption):
                written[path] = _command("table", entry.name, results.results_dir, out_dir)
    return written


def _inputs(results_dir: Path) -> list[Path]:
    return sorted(
        p for pattern in ("*.parquet", RUN_JSON, CHECKSUMS) for p in results_dir.glob(pattern) if p.is_file()
    )


class ResultsChanged(ValueError):
    """Files of a results folder differ from what the run recorded; ``problems`` has one line per file."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def check_results(results_dir: str | Path, out_dir: str | Path | None = None) -> tuple[str | None, list[str]]:
    """Verify a results folder before drawing from it (see :func:`coopthemes.results.verify_results`).

    The folder's ``SHA256SUMS``, and the ``MANIFEST.json`` of ``out_dir`` and
    of the folder's parent (where ``coopthemes run`` writes it) when they
    record this run.

    Returns
    -------
    source, problems
        What the files were checked against (None: nothing records them)
        and one line per file that does not match.
    """
    results_dir = Path(results_dir)
    manifests = [results_dir.parent / MANIFEST_NAME]
    if out_dir is not None:
        manifests.insert(0, Path(out_dir) / MANIFEST_NAME)
    return verify_results(results_dir, manifests=tuple(manifests))


def changed_summary(results_dir: str | Path, problems: Sequence[str]) -> str:
    """The line that ends the list of changed files: nothing drawn, and what to do."""
    return (f"{results_dir}: {len(problems)} file(s) differ from what the run recorded; nothing drawn. "
            "Rerun `coopthemes run` to remake them, or pass --force to report from them as they are")


def build_report(
    results_dir: str | Path,
    out_dir: str | Path,
    *,
    formats: Sequence[str] | None = None,
    command: str | None = None,
    verify: bool = False,
) -> list[Path]:
    """Draw every figure and write every table of a results folder, then the manifest.

    Parameters
    ----------
    results_dir : str or Path
        Results folder written by :func:`coopthemes.run` (see :mod:`coopthemes.results`).
    out_dir : str or Path
        Folder for figures; tables go to ``out_dir/tables``.
    formats : sequence of {"pdf", "png", "svg"}, optional
        Figure formats; default: the run's ``report.formats``.
    command : str, optional
        Command line recorded as regenerating the whole set; defaults to
        ``python -m coopthemes.report all RESULTS_DIR OUT_DIR``.
    verify : bool
        Check the results against their recorded sha256 first
        (:func:`check_results`) and raise :class:`ResultsChanged` when a
        file differs; ``coopthemes report`` does, unless ``--force``.

    Returns
    -------
    list of Path
        Files written, figures then tables, the explorer page
        (``explorer.html``), ``MANIFEST.json`` last. Each
        artefact's manifest entry names the command that regenerates it.
    """
    results_dir, out = Path(results_dir), Path(out_dir)
    if not results_dir.is_dir():
        raise FileNotFoundError(f"results folder {results_dir} does not exist")
    if verify:
        source, problems = check_results(results_dir, out)
        if problems:
            raise ResultsChanged(problems)
        if source is None:
            logger.warning("%s: no %s or manifest records its files; not verified", results_dir, CHECKSUMS)
    results = read_results(results_dir)
    config = results.info.get("config", {})
    if formats is None:
        formats = tuple(config.get("report", {}).get("formats") or FIGURE_FORMATS)
    artefacts = {**draw_figures(results, out, formats=formats), **write_tables(results, out)}
    artefacts.update(write_report_page(results, out))
    edits = results.info.get("edits")
    manifest = write_manifest(
        out,
        artefacts=artefacts,
        inputs=_inputs(results_dir),
        edits=edits,
        config=config,
        corpus_hash=results.info.get("corpus_hash"),
        seed=results.info.get("seed"),
        command=command or f"python -m coopthemes.report all {shlex.quote(str(results_dir))} {shlex.quote(str(out))}",
    )
    logger.info("wrote %d artefacts and %s", len(artefacts), manifest)
    return [*artefacts, manifest]
