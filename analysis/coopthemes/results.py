"""The results folder: the tables between stages, the fitted model and ``run.json``.

Layout (written by :func:`write_results`, read by :func:`read_results`)::

    documents.parquet  passages.parquet      the corpus (every input in the ledger)
    assignments.parquet                      passage -> theme
    themes.parquet  terms.parquet            the themes; top terms per language (long)
    frex.parquet                             FREX terms per theme and language (long, as terms)
    representatives.parquet                  each theme's most typical passages per language
    theme_map.parquet                        2-D coordinates of (a sample of) passages
    theme_edits.parquet                      the theme edits applied (when any)
    prevalence.parquet  excluded.parquet     shares by breakdown; what each breakdown left out
    effects.parquet                          the regression (when fitted)
    model/                                   the fitted ThemeModel (ThemeModel.load)
    run.json                                 facts of the run (below)
    SHA256SUMS                               sha256 of the tables and run.json (``sha256sum -c`` reads it)

``run.json`` holds: ``config`` (the whole configuration), ``seed``,
``corpus_hash``, ``group_column``, ``languages`` (the corpus languages, in the
configured order), ``embedder`` (backend, model, version, prefix),
``min_cluster_size``, ``themes_fitted_on``, ``n_documents``,
``n_passages_kept``, ``n_themes_fitted``, ``n_themes`` (after edits),
``edits`` (the edits applied: file, sha256, rename, merge, drop, codebook,
n_themes and its merges; null without), ``language_purity``. It records nothing
that changes between reruns (no times, no paths of the machine), so two runs
with the same inputs write identical files.

:func:`verify_results` checks the tables and ``run.json`` against
``SHA256SUMS`` and against the ``inputs`` of a report's ``MANIFEST.json`` of
the same run (for a folder written without ``SHA256SUMS``, of the first
manifest that lists them), so that a report is never drawn from tables
edited after the run without saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = [
    "CHECKSUMS",
    "MODEL_DIR",
    "RESULT_TABLES",
    "RUN_JSON",
    "RunResult",
    "read_results",
    "verify_results",
    "write_results",
]

#: Tables of a results folder, in the order of the data flow.
RESULT_TABLES = (
    "documents", "passages", "assignments", "themes", "terms", "frex", "representatives", "theme_map",
    "theme_edits", "prevalence", "excluded", "effects",
)  # fmt: skip
#: File of the run's facts.
RUN_JSON = "run.json"
#: Folder of the fitted theme model.
MODEL_DIR = "model"
#: File of the sha256 of the tables and ``run.json``, in the format of ``sha256sum``.
CHECKSUMS = "SHA256SUMS"


@dataclass
class RunResult:
    """Tables and facts of one run.

    Attributes
    ----------
    tables : dict of str -> DataFrame
        See :data:`RESULT_TABLES`; also reachable as attributes
        (``result.themes``) and items (``result["prevalence"]``).
    info : dict
        The facts recorded in ``run.json``.
    results_dir : Path or None
        Where the run was written.
    timings : dict of str -> float
        Seconds per stage (not written, so that reruns give identical files).
    embedding_cache : dict or None
        Cache hits, misses and model calls of the embedding stage.
    theme_fit : {"fitted", "reused"} or None
        Whether the theme model was fitted or reused from the theme-fit cache.
    """

    tables: dict[str, pd.DataFrame]
    info: dict = field(default_factory=dict)
    results_dir: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    embedding_cache: dict | None = None
    theme_fit: str | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.tables or self.tables[name] is None:
            raise KeyError(f"no table {name!r} in these results (tables: {', '.join(sorted(self.available))})")
        return self.tables[name]

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name in RESULT_TABLES:
            return self[name]
        raise AttributeError(name)

    @property
    def available(self) -> list[str]:
        """Names of the tables present."""
        return [n for n, df in self.tables.items() if df is not None]

    def prevalence_by(self, breakdown, *, unit: str = "document") -> pd.DataFrame:
        """Prevalence rows of one breakdown (``"partner"``, ``"year"``, ``"partner+year"``) and unit."""
        from .schema import select_prevalence

        return select_prevalence(self["prevalence"], unit=unit, breakdown=breakdown)

    def model(self, *, embedder=None):
        """The fitted :class:`~coopthemes.ThemeModel` saved with these results."""
        from .themes import ThemeModel

        if self.results_dir is None:
            raise ValueError("these results were not written to a folder")
        return ThemeModel.load(self.results_dir / MODEL_DIR, embedder=embedder)

    def __repr__(self) -> str:
        info = self.info
        docs = self.tables.get("documents")
        kept_docs = int((docs["status"] == "ok").sum()) if docs is not None else None
        themes = self.tables.get("themes")
        lines = [
            f"RunResult: {info.get('n_documents', '?')} documents ({kept_docs} with article text), "
            f"{info.get('n_passages_kept', '?')} kept passages, {info.get('n_themes', '?')} themes"
        ]
        if themes is not None and len(themes):
            names = [f"{t}" for t in themes.sort_values("size", ascending=False)["theme"].head(5)]
            more = f" (+{len(themes) - 5} more)" if len(themes) > 5 else ""
            lines.append("  largest themes: " + "; ".join(names) + more)
        if self.results_dir is not None:
            lines.append(f"  written to {self.results_dir}")
        if self.timings:
            lines.append("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in self.timings.items()))
        lines.append(f"  tables: {', '.join(self.available)}")
        return "\n".join(lines)


def write_results(result: RunResult, results_dir: str | Path) -> Path:
    """Write the run's tables (Parquet) and facts (``run.json``); a table set to None is removed."""
    out = Path(results_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in RESULT_TABLES:
        df = result.tables.get(name)
        path = out / f"{name}.parquet"
        if df is None:
            path.unlink(missing_ok=True)
            continue
        df.to_parquet(path, index=False)
    for name, df in sorted(result.tables.items()):
        if name not in RESULT_TABLES and df is not None:
            df.to_parquet(out / f"{name}.parquet", index=False)
    text = json.dumps(result.info, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n"
    (out / RUN_JSON).write_text(text, encoding="utf-8")
    sums = "".join(f"{_sha256(path)}  {path.name}\n" for path in _checked_files(out))
    (out / CHECKSUMS).write_text(sums, encoding="utf-8", newline="\n")
    result.results_dir = out
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked_files(folder: Path) -> list[Path]:
    """The files of a results folder that a report reads: the tables and ``run.json``."""
    return sorted(p for p in [*folder.glob("*.parquet"), folder / RUN_JSON] if p.is_file())


def _recorded_in_checksums(folder: Path) -> tuple[dict[str, str], list[str]]:
    """File name -> sha256 from ``SHA256SUMS``, and problems with its lines."""
    recorded, problems = {}, []
    for number, line in enumerate((folder / CHECKSUMS).read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name or "/" in name:
            problems.append(f"{folder / CHECKSUMS}: line {number} is not '<sha256>  <file name>'")
            continue
        recorded[name] = digest
    return recorded, problems


def _recorded_in_manifest(folder: Path, manifest: Path) -> dict[str, str] | None:
    """File name -> sha256 of the manifest's inputs that lie in ``folder``; None when it lists none."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        inputs = data.get("inputs") or []
        recorded = {}
        for entry in inputs:
            path = Path(os.path.normpath(manifest.parent / entry["path"]))
            if path.parent.resolve() == folder.resolve():
                recorded[path.name] = str(entry["sha256"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return recorded or None


def _run_json_record(recorded: dict[str, str], folder: Path) -> bool:
    """Whether ``recorded`` holds the sha256 of the folder's ``run.json`` as it is now."""
    path = folder / RUN_JSON
    return RUN_JSON in recorded and path.is_file() and _sha256(path) == recorded[RUN_JSON]


def verify_results(results_dir: str | Path, *, manifests: tuple[str | Path, ...] = ()) -> tuple[str | None, list[str]]:
    """Check a results folder's tables and ``run.json`` against the sha256 recorded for them.

    The folder's ``SHA256SUMS`` is the record of the run. A ``MANIFEST.json``
    (written with a report) records the files the report was drawn from; it
    is checked too when it records the same ``run.json`` as the folder holds,
    so that a table edited after the run is found even if ``SHA256SUMS`` was
    rewritten with it. A manifest of another run (another ``run.json``) is
    not used. A folder without ``SHA256SUMS`` (written by an older version)
    is checked against the first manifest that lists its files.

    Parameters
    ----------
    results_dir : str or Path
    manifests : tuple of path
        ``MANIFEST.json`` files to check against, in order.

    Returns
    -------
    source : str or None
        The record the files were checked against first (``".../SHA256SUMS"``,
        a manifest), or None when nothing records them.
    problems : list of str
        One line per file that differs, is missing, or is not recorded,
        naming the file and the record it differs from; empty when every
        file matches.
    """
    folder = Path(results_dir)
    present = {p.name for p in _checked_files(folder)}
    records: list[tuple[str, dict[str, str]]] = []
    problems: list[str] = []
    if (folder / CHECKSUMS).is_file():
        recorded, problems = _recorded_in_checksums(folder)
        records.append((str(folder / CHECKSUMS), recorded))
    for manifest in dict.fromkeys(Path(m) for m in manifests):
        recorded = _recorded_in_manifest(folder, manifest) if manifest.is_file() else None
        if recorded is not None and (not records or _run_json_record(recorded, folder)):
            records.append((str(manifest), recorded))
    if not records:
        return None, []
    named: dict[str, str] = {}
    for source, recorded in records:
        for name in sorted(set(recorded) | present):
            path = folder / name
            if name in named:
                continue
            if not path.is_file():
                named[name] = f"{path}: missing (recorded in {source})"
            elif name not in recorded:
                if name != CHECKSUMS:
                    named[name] = f"{path}: not written by the run (not recorded in {source})"
            elif _sha256(path) != recorded[name]:
                named[name] = f"{path}: changed since the run (its sha256 differs from {source})"
    return records[0][0], problems + [named[name] for name in sorted(named)]


def read_results(results_dir: str | Path) -> RunResult:
    """Read a results folder written by :func:`write_results`.

    Raises
    ------
    FileNotFoundError
        When the folder has no ``run.json``.
    ValueError
        When ``run.json`` or a table cannot be read (the file is named).
    """
    src = Path(results_dir)
    run_json = src / RUN_JSON
    if not run_json.is_file():
        raise FileNotFoundError(f"{src}: not a results folder (no {RUN_JSON})")
    try:
        info = json.loads(run_json.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{run_json}: not valid JSON ({exc})") from None
    tables = {}
    for path in sorted(src.glob("*.parquet")):
        try:
            tables[path.stem] = pd.read_parquet(path)
        except Exception as exc:  # a damaged Parquet file raises many kinds of error
            raise ValueError(f"{path}: not a readable Parquet table ({type(exc).__name__})") from None
    return RunResult(tables=tables, info=info, results_dir=src)
