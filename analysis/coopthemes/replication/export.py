"""``coopthemes export``: a results folder as a replication package (a deterministic zip).

What goes in is described in :mod:`.package`. Before anything is written,
the export checks that the package will replicate: every table and figure
still has the sha256 that ``MANIFEST.json`` records, the codebook is the one
the model was fitted with, and the embedding cache holds the vectors the run
used (the fitted model's input is recomputed from them and compared).
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ..provenance import MANIFEST_NAME, file_sha256, package_versions
from .archive import safe_name, write_archive
from .package import (
    FORMAT,
    INPUT_SETTINGS,
    PACKAGE_DIR,
    REPLICATION_JSON,
    RESERVED,
    ReplicationError,
    ids_digest,
    texts_digest,
)

__all__ = ["ExportResult", "bundled_file", "export_package"]

log = logging.getLogger(__name__)


@dataclass
class ExportResult:
    """What :func:`export_package` wrote.

    Attributes
    ----------
    path : Path
        The zip.
    files : int
        Files in the package.
    size : int
        Bytes of the zip.
    notes : list of str
        What a reader of the package should know (versions that differ from the run's).
    """

    path: Path
    files: int
    size: int
    notes: list[str] = field(default_factory=list)


def _manifest(results_dir: Path, manifest: str | Path | None) -> tuple[Path, dict]:
    path = Path(manifest) if manifest is not None else results_dir.parent / MANIFEST_NAME
    if not path.is_file():
        raise ReplicationError(f"{path}: no {MANIFEST_NAME} (write the report first, `coopthemes report "
                               f"{results_dir}`, or give its manifest with --manifest)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data.get("artefacts"), list) or not isinstance(data.get("inputs"), list):
            raise ValueError("no 'artefacts' and 'inputs' lists")
    except (UnicodeDecodeError, ValueError, AttributeError) as err:
        raise ReplicationError(f"{path}: not a coopthemes manifest ({err})") from None
    return path, data


def _recorded(manifest_path: Path, results_dir: Path, manifest: dict) -> tuple[dict[str, Path], dict[str, Path]]:
    """Package name -> file of every input (results) and artefact (report) of the manifest, each checked."""
    inputs, artefacts, problems = {}, {}, []
    base = manifest_path.parent
    for entry in manifest["inputs"]:
        path = Path(os.path.normpath(base / entry["path"]))
        if path.parent.resolve() != results_dir.resolve():
            problems.append(f"{manifest_path}: input {entry['path']} is not in the results folder {results_dir}")
        elif not path.is_file():
            problems.append(f"{path}: missing (recorded in {manifest_path})")
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{path}: changed since the report (its sha256 differs from {manifest_path}; "
                            "run the report again)")
        inputs[f"results/{path.name}"] = path
    for entry in manifest["artefacts"]:
        name, path = entry["path"], base / entry["path"]
        why = safe_name(name)
        if why is not None or name.split("/")[0] in RESERVED:
            problems.append(f"{manifest_path}: artefact {name!r} cannot be packaged ({why or 'a reserved name'})")
        elif not path.is_file():
            problems.append(f"{path}: missing (recorded in {manifest_path})")
        elif file_sha256(path) != entry["sha256"]:
            problems.append(f"{path}: changed since the report (its sha256 differs from {manifest_path})")
        artefacts[name] = path
    written = {p.name for p in [*results_dir.glob("*.parquet"), results_dir / "run.json"] if p.is_file()}
    for name in sorted(written - {Path(n).name for n in inputs}):
        problems.append(f"{results_dir / name}: not recorded in {manifest_path}")
    if problems:
        raise ReplicationError("\n".join(problems))
    return inputs, artefacts


def bundled_file(setting: str) -> Path | None:
    """The bundled file a run reads when ``setting`` (``section.field``) is null; None when there is none."""
    if setting == "corpus.gazetteer":
        from ..corpus.gazetteer import BUNDLED_GAZETTEER

        return BUNDLED_GAZETTEER
    if setting == "corpus.relation_cues":
        from ..corpus.relations import BUNDLED_RELATION_CUES

        return BUNDLED_RELATION_CUES
    if setting == "themes.codebook":
        from ..themes.codebook import DEFAULT_CODEBOOK

        return Path(str(resources.files("coopthemes.codebook").joinpath(DEFAULT_CODEBOOK)))
    return None


def _setting_value(config, setting: str):
    section, name = setting.split(".")
    return getattr(getattr(config, section), name)


def _input_files(config, results_dir: Path) -> tuple[dict[str, Path], dict[str, dict]]:
    """The files the configuration names (or the bundled ones), and their ``settings`` records."""
    files, settings = {}, {}
    for setting, name in INPUT_SETTINGS.items():
        if setting == "themes.codebook" and config.themes.codebook_mode == "off":
            continue
        value = _setting_value(config, setting)
        path = Path(value) if value is not None else bundled_file(setting)
        if path is None:
            continue
        if not path.is_file():
            raise ReplicationError(f"{path}: not found ({setting} of the run's configuration; the export reads it "
                                   "from the current folder, as the run did)")
        files[f"inputs/{name}"] = path
        settings[setting] = {"value": value, "file": f"inputs/{name}"}
    if "themes.codebook" in settings:
        settings["themes.codebook"]["source"] = _check_codebook(config, results_dir, files["inputs/codebook.yaml"])
    return files, settings


def _check_codebook(config, results_dir: Path, path: Path) -> str:
    """The codebook's source name, after checking it is the one the model was fitted with."""
    from ..themes.codebook import codebook_to_dict, load_codebook

    model_config = results_dir / "model" / "config.json"
    try:
        recorded = json.loads(model_config.read_text(encoding="utf-8"))["codebook"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ReplicationError(f"{model_config}: not readable ({err})") from None
    codebook = load_codebook(config.themes.codebook, languages=config.corpus.languages)
    if recorded is not None and codebook_to_dict(codebook) != recorded:
        raise ReplicationError(f"{path}: differs from the codebook the theme model was fitted with "
                               f"({model_config}); it was edited after the run")
    return codebook.source


def _embeddings(results, config, gazetteer: Path, cache_dir: str | Path | None):
    """The kept passages' ids, theme texts and the vectors the run used, from the embedding cache."""
    from ..corpus.gazetteer import load_gazetteer
    from ..embeddings import EmbeddingCache
    from ..pipeline import kept_passages, theme_texts

    kept = kept_passages(results["passages"])
    ids = kept["passage_id"].astype(str).tolist()
    texts = theme_texts(kept, config, gazetteer=load_gazetteer(gazetteer))
    root = Path(cache_dir) if cache_dir is not None else Path(config.embeddings.cache_dir)
    try:
        vectors = EmbeddingCache(root).stored(results.info["embedder"], texts, ids)
    except LookupError as err:
        raise ReplicationError(f"{err}: the run's embeddings are not in the cache {root} (give the cache the run "
                               "used with --cache-dir, or run `coopthemes run` again with its configuration)") from None
    return kept, ids, texts, vectors


def _check_vectors(results_dir: Path, kept, vectors: np.ndarray) -> None:
    """The fitted model's input, recomputed from ``vectors``, must be the one it stored."""
    from ..themes import ThemeModel
    from ..themes.numerics import grid_to_float

    model = ThemeModel.load(results_dir / "model")
    if model.passage_ids_ != kept["passage_id"].astype(str).tolist():
        raise ReplicationError(f"{results_dir / 'model'}: fitted on other passages than the kept ones of "
                               f"{results_dir / 'passages.parquet'}")
    grid = grid_to_float(model._grid(vectors, model.languages_))
    differ = int((grid != np.asarray(model.embeddings_, dtype=np.float32)).any(axis=1).sum())
    if differ:
        raise ReplicationError(f"{results_dir / 'model' / 'embeddings.npy'}: the cached vectors of {differ} of "
                               f"{len(grid)} passages do not give the model's input; the cache holds other "
                               "vectors than the run used (run `coopthemes run` again, then export)")


def _packages_txt() -> bytes:
    lines = sorted({f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
                    if d.metadata["Name"]}, key=str.casefold)
    return ("# every distribution installed when this package was exported\n" + "\n".join(lines) + "\n").encode()


def _config_yaml(config: dict) -> bytes:
    import yaml

    head = "# The run's configuration (results/run.json), every setting spelled out.\n"
    return (head + yaml.safe_dump(config, sort_keys=True, allow_unicode=True, default_flow_style=False)).encode()


def _version_notes(manifest: dict) -> list[str]:
    recorded = manifest.get("packages") or {}
    installed = package_versions(tuple(sorted(recorded)))
    return [f"{name}: the run used {recorded[name]}, {installed[name] or 'not installed'} is installed here"
            for name in sorted(recorded) if recorded[name] != installed[name]]


def export_package(results_dir: str | Path, out: str | Path, *, manifest: str | Path | None = None,
                   cache_dir: str | Path | None = None) -> ExportResult:
    """Bundle a results folder, its report and what reruns them into a replication package.

    Parameters
    ----------
    results_dir : str or Path
        Written by ``coopthemes run`` (``OUT/results``) and reported.
    out : str or Path
        The zip to write.
    manifest : str or Path, optional
        The report's ``MANIFEST.json`` (default: beside the results folder,
        where ``coopthemes run`` writes it).
    cache_dir : str or Path, optional
        The embedding cache that holds the run's vectors (default: the
        run's ``embeddings.cache_dir``, from the current folder).

    Returns
    -------
    ExportResult

    Raises
    ------
    ReplicationError
        One line per file that does not match its record, or the missing
        embeddings; nothing is written then.
    """
    from .. import __version__
    from ..config import load_config
    from ..environment import lock_path
    from ..results import read_results
    from .readme import package_readme

    results_dir = Path(results_dir)
    results = read_results(results_dir)
    missing = [key for key in ("config", "embedder") if not isinstance(results.info.get(key), dict)]
    if missing:
        raise ReplicationError(f"{results_dir / 'run.json'}: no {' or '.join(missing)} recorded (written by an "
                               "older version? run `coopthemes run` again)")
    manifest_path, manifest_data = _manifest(results_dir, manifest)
    inputs, artefacts = _recorded(manifest_path, results_dir, manifest_data)
    for name in ("documents", "passages"):
        if name not in results.tables:
            raise ReplicationError(f"{results_dir / (name + '.parquet')}: missing")
    config = load_config(data=results.info["config"])
    input_files, settings = _input_files(config, results_dir)
    kept, ids, texts, vectors = _embeddings(results, config, input_files["inputs/gazetteer.yaml"], cache_dir)
    _check_vectors(results_dir, kept, vectors)

    entries: dict[str, Path | bytes] = {**inputs, **artefacts, **input_files}
    model_dir = results_dir / "model"
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        entries[f"results/model/{path.relative_to(model_dir).as_posix()}"] = path
    vector_bytes = _npy_bytes(vectors)
    entries["embeddings/vectors.npy"] = vector_bytes
    entries["embeddings/passage_ids.json"] = (json.dumps(ids, ensure_ascii=False, indent=0) + "\n").encode("utf-8")
    entries[MANIFEST_NAME] = manifest_path
    entries["config.yaml"] = _config_yaml(results.info["config"])
    entries["packages.txt"] = _packages_txt()
    lock = lock_path()
    if lock is not None:
        entries["requirements.lock"] = lock
    notes = _version_notes(manifest_data)
    recorded_lock = (manifest_data.get("lock") or {}).get("sha256")
    if lock is not None and recorded_lock and file_sha256(lock) != recorded_lock:
        notes.append("requirements.lock: the lock shipped is not the one the run recorded in MANIFEST.json")
    description = {
        "format": FORMAT,
        "coopthemes": __version__,
        "embeddings": {
            "vectors": "embeddings/vectors.npy", "passage_ids": "embeddings/passage_ids.json",
            "embedder": results.info["embedder"], "n": int(vectors.shape[0]), "dim": int(vectors.shape[1]),
            "texts": "the passages' partner-neutral text" if config.themes.neutralize else "the passages' text",
            "ids_sha256": ids_digest(ids), "texts_sha256": texts_digest(texts),
            "vectors_sha256": _sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes()),
        },
        "settings": settings,
        "inputs": {entry["path"]: f"results/{Path(entry['path']).name}" for entry in manifest_data["inputs"]},
        "notes": notes,
    }  # fmt: skip
    entries["README.md"] = package_readme(manifest_data, description).encode("utf-8")
    description["files"] = {name: {"sha256": _entry_sha256(src), "size": _entry_size(src)}
                            for name, src in sorted(entries.items())}
    entries[REPLICATION_JSON] = (json.dumps(description, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    path = write_archive({f"{PACKAGE_DIR}/{name}": src for name, src in entries.items()}, out)
    for note in notes:
        log.warning("%s", note)
    return ExportResult(path=path, files=len(entries), size=path.stat().st_size, notes=notes)


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _entry_sha256(source: Path | bytes) -> str:
    return _sha256(source) if isinstance(source, bytes) else file_sha256(source)


def _entry_size(source: Path | bytes) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size
