"""Every figure and table of the paper, drawn from a results folder.

One module per artefact (the showyourwork pattern): ``fig_*`` modules draw a
figure, ``tab_*`` modules write a table; each has
``main(results_dir, out_dir, *, formats) -> list[Path]`` (load results, draw,
save) and runs as ``python -m coopthemes.report.<module> RESULTS_DIR OUT_DIR``.
:func:`build_report` runs them all and writes ``MANIFEST.json``.

Results folder contract
-----------------------
Parquet tables ``documents``, ``passages``, ``assignments``, ``themes``,
``theme_map`` (``passage_id, x, y, theme_id, theme, language``),
``prevalence`` (long: ``unit, partner, year, theme, n, n_group, share,
ci_low, ci_high, small_group, breakdown``), optionally ``effects``, and
``run.json`` (``config``, ``seed``, ``corpus_hash``, ``group_column``, notes).
A script whose input table is missing logs a warning and writes nothing.

Outputs
-------
Figures as ``out_dir/<stem>.{pdf,png,svg}``, tables as
``out_dir/tables/<stem>.{csv,tex,md}``, and ``out_dir/MANIFEST.json``.
"""

from __future__ import annotations

import importlib
import logging
import shlex
from collections.abc import Sequence
from pathlib import Path

from coopthemes.provenance import FIGURE_FORMATS, corpus_hash, write_manifest
from coopthemes.report._common import load_run, load_table, regenerate_command

__all__ = ["FIGURE_MODULES", "TABLE_MODULES", "build_report"]

logger = logging.getLogger(__name__)

#: Figure scripts, in the order they run.
FIGURE_MODULES = (
    "fig_corpus_overview",
    "fig_prevalence_heatmap",
    "fig_partner_dots",
    "fig_prevalence_trends",
    "fig_theme_map",
    "fig_top_terms",
    "fig_effects",
)
#: Table scripts, in the order they run.
TABLE_MODULES = (
    "tab_corpus_summary",
    "tab_metadata_audit",
    "tab_theme_overview",
    "tab_prevalence_partner",
    "tab_prevalence_year",
    "tab_effects",
)
_RESULT_FILES = ("*.parquet", "run.json")


def _inputs(results_dir: Path) -> list[Path]:
    return sorted(p for pattern in _RESULT_FILES for p in results_dir.glob(pattern) if p.is_file())


def _corpus_hash(results_dir: Path, run: dict) -> str | None:
    if run.get("corpus_hash"):
        return str(run["corpus_hash"])
    documents = load_table(results_dir, "documents", purpose="the corpus hash")
    return None if documents is None else corpus_hash(documents)


def build_report(
    results_dir: str | Path,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FIGURE_FORMATS,
    command: str | None = None,
) -> list[Path]:
    """Draw every figure and write every table of a results folder, then the manifest.

    Parameters
    ----------
    results_dir : str or Path
        Results folder written by the pipeline (see the module docstring).
    out_dir : str or Path
        Folder for figures; tables go to ``out_dir/tables``.
    formats : sequence of {"pdf", "png", "svg"}
        Figure formats.
    command : str, optional
        Command line recorded as regenerating the whole set; defaults to
        ``python -m coopthemes.report RESULTS_DIR OUT_DIR``.

    Returns
    -------
    list of Path
        Files written, figures then tables, ``MANIFEST.json`` last. Each
        artefact's manifest entry names the script that regenerates it.
    """
    results, out = Path(results_dir), Path(out_dir)
    if not results.is_dir():
        raise FileNotFoundError(f"results folder {results} does not exist")
    artefacts: dict[Path, str] = {}
    for name in (*FIGURE_MODULES, *TABLE_MODULES):
        module = importlib.import_module(f"{__name__}.{name}")
        for path in module.main(results, out, formats=tuple(formats)):
            artefacts[path] = regenerate_command(module.__name__, results_dir, out_dir)
    run = load_run(results)
    manifest = write_manifest(
        out,
        artefacts=artefacts,
        inputs=_inputs(results),
        config=run.get("config", {}),
        corpus_hash=_corpus_hash(results, run),
        seed=run.get("seed"),
        command=command or f"python -m {__name__} {shlex.quote(str(results_dir))} {shlex.quote(str(out_dir))}",
    )
    logger.info("wrote %d artefacts and %s", len(artefacts), manifest)
    return [*artefacts, manifest]
