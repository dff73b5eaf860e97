"""A self-contained HTML page to browse a run: themes, passages, prevalence, map, provenance.

``coopthemes run`` and ``coopthemes report`` write ``OUT/explorer.html`` (through
:func:`coopthemes.build_report`, which lists it in ``MANIFEST.json``);
``coopthemes explore RESULTS_DIR --out FILE`` writes one from any results
folder. The page is one file with every script, style and datum inside it:
it opens offline, from a USB stick or an e-mail attachment, and makes no
network request. Same results, same bytes.

Modules: :mod:`.data` (results -> the page's data), :mod:`.page` (the HTML
with its assets under ``assets/``), :mod:`.cli` (the command).
"""

from __future__ import annotations

import json
import logging
import platform
import shlex
from pathlib import Path

from .data import FORMAT, explorer_data, provenance_record
from .page import EXPLORER_NAME, embed_json, page_bytes, render_page, write_page

__all__ = [
    "ENVIRONMENT_KEYS",
    "EXPLORER_NAME",
    "FORMAT",
    "embed_json",
    "explorer_data",
    "find_manifest",
    "page_bytes",
    "provenance_record",
    "render_page",
    "report_page_data",
    "write_explorer",
    "write_page",
    "write_report_page",
]

logger = logging.getLogger(__name__)

_MANIFEST = "MANIFEST.json"

#: What a report's page shows of the installation that wrote it, under the keys of ``MANIFEST.json``.
ENVIRONMENT_KEYS = ("git", "packages", "platform", "python")


def find_manifest(results_dir: str | Path) -> Path | None:
    """The ``MANIFEST.json`` beside a results folder (its parent, as ``coopthemes run`` writes it), or in it."""
    results_dir = Path(results_dir)
    for candidate in (results_dir.parent / _MANIFEST, results_dir / _MANIFEST):
        if candidate.is_file():
            return candidate
    return None


def _read_manifest(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        logger.warning("explorer: %s not read (%s); the page shows run.json only", path, exc)
        return None
    return manifest if isinstance(manifest, dict) else None


def write_explorer(results_dir: str | Path, path: str | Path, *, manifest: str | Path | None = None) -> Path:
    """Write the explorer page of a results folder.

    Parameters
    ----------
    results_dir : str or Path
        Results folder written by ``coopthemes run`` (it holds ``run.json``).
    path : str or Path
        The HTML file to write; its folder is created.
    manifest : str or Path, optional
        ``MANIFEST.json`` whose provenance the page shows; default:
        :func:`find_manifest`. A manifest that does not describe these
        results is shown with a warning.

    Returns
    -------
    Path
        ``path``.
    """
    from ..results import read_results

    results = read_results(results_dir)
    manifest_path = Path(manifest) if manifest is not None else find_manifest(results_dir)
    data = explorer_data(results, manifest=_read_manifest(manifest_path))
    out = write_page(data, path)
    logger.info("wrote %s (%d bytes)", out, out.stat().st_size)
    return out


def report_page_data(results, environment: dict | None = None) -> dict:
    """The data of a report's page: the results with the provenance of the report's manifest.

    Parameters
    ----------
    results : RunResult
    environment : mapping, optional
        The git state, package versions, platform and Python the page shows
        (:data:`ENVIRONMENT_KEYS`; other keys are ignored): those recorded in
        another report's ``MANIFEST.json``, to render the page as that
        installation wrote it. Default: this installation's, as
        :func:`coopthemes.provenance.write_manifest` records them.

    Returns
    -------
    dict
        As :func:`explorer_data`.
    """
    if environment is None:
        from ..provenance import git_state, package_versions

        environment = {"git": git_state(), "packages": package_versions(), "platform": platform.platform(),
                       "python": platform.python_version()}
    info = results.info or {}
    manifest = {"config": info.get("config", {}), "corpus_hash": info.get("corpus_hash"), "seed": info.get("seed"),
                **{key: environment.get(key) for key in ENVIRONMENT_KEYS}}
    return explorer_data(results, manifest=manifest)


def write_report_page(results, out_dir: str | Path) -> dict[Path, str]:
    """Write ``out_dir/explorer.html`` for :func:`coopthemes.build_report`, before its manifest.

    The page shows the provenance that the manifest about to be written will
    hold (the same package versions, git state, platform and config; not its
    command, which names the output folder; see :func:`report_page_data`),
    so that the page can be listed in that manifest with its hash, and
    ``coopthemes explore`` with the manifest gives the same bytes again.

    Parameters
    ----------
    results : RunResult
        Read from a results folder (``results.results_dir`` is set).
    out_dir : str or Path
        The report's folder (where ``MANIFEST.json`` goes).

    Returns
    -------
    dict of Path -> str
        The page and the command that regenerates it alone.
    """
    from ..provenance import MANIFEST_NAME

    out = Path(out_dir)
    path = write_page(report_page_data(results), out / EXPLORER_NAME)
    regenerate = (f"coopthemes explore {shlex.quote(str(results.results_dir))} --out {shlex.quote(str(path))} "
                  f"--manifest {shlex.quote(str(out / MANIFEST_NAME))}")
    return {path: regenerate}
