"""Read a folder of documents (with an optional ``metadata.csv``) or a table.

Every input becomes one :class:`RawDocument`, including the ones that cannot
be read: those carry ``status`` (``empty``, ``error``, ``missing``) and a
``reason`` naming the problem, so that the ledger accounts for every input.
"""

from __future__ import annotations

import hashlib
import logging
import json
from dataclasses import replace
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from .decode import DecodeError, decode_bytes
from .extract import html_to_text, markdown_to_text
from .gazetteer import Gazetteer
from .record import RawDocument, add_note
from .sidecar import SIDECAR_NAME, apply_metadata, read_sidecar

log = logging.getLogger(__name__)

__all__ = [
    "DOCUMENT_SUFFIXES",
    "TABLE_SUFFIXES",
    "read_directory",
    "read_file",
    "read_table",
]

DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm")
TABLE_SUFFIXES = (".csv", ".jsonl", ".parquet")


def read_file(path: Path, *, doc_id: str, source_path: str) -> RawDocument:
    """Read and decode one document file; problems become status and reason."""
    doc = RawDocument(doc_id=doc_id, source_path=source_path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return replace(doc, status="error", reason=f"unreadable file: {exc.strerror or exc}")
    doc = replace(doc, sha256=hashlib.sha256(data).hexdigest())
    if not data:
        return replace(doc, status="empty", reason="empty file")
    try:
        text, _ = decode_bytes(data)
    except DecodeError as exc:
        return replace(doc, status="error", reason=str(exc))
    title = None
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        text, title = html_to_text(text)
    elif suffix == ".md":
        text, title = markdown_to_text(text)
    if not text.strip():
        what = "no text in the HTML body" if suffix in (".html", ".htm") else "no text (whitespace only)"
        return replace(doc, status="empty", reason=what, title=title)
    return replace(doc, text=text, title=title)


def _document_files(root: Path) -> list[tuple[str, Path]]:
    """``(relative posix path, path)`` of document files under ``root``, sorted."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in DOCUMENT_SUFFIXES:
            found.append((rel.as_posix(), path))
    return sorted(found)


def _unique_ids(files: list[tuple[str, Path]]) -> dict[str, str]:
    """Relative path -> doc_id: the file stem, or the path when stems collide."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for rel, path in files:
        candidate = path.stem
        if candidate in used:
            candidate = rel.replace("/", "__")
        ids[rel] = candidate
        used.add(candidate)
    return ids


def _sidecar_lookup(rel_paths: list[str]) -> dict[str, str]:
    """Names a sidecar may use for a file (relative path, file name) -> relative path."""
    by_name: dict[str, list[str]] = {}
    for rel in rel_paths:
        by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
    lookup = {name: rels[0] for name, rels in by_name.items() if len(rels) == 1}
    lookup.update({rel: rel for rel in rel_paths})
    return lookup


def read_directory(
    root: Path, *, gazetteer: Gazetteer, extra_columns: tuple[str, ...] = ()
) -> list[RawDocument]:
    """Read every ``.txt/.md/.html/.htm`` file under ``root`` (recursively, by name).

    Parameters
    ----------
    root : Path
        The corpus folder; an optional ``metadata.csv`` directly inside it
        overrides metadata per file.
    gazetteer : Gazetteer
        Used to canonicalise sidecar partner names.
    extra_columns : tuple of str
        Sidecar columns carried into the ledger.

    Returns
    -------
    list of RawDocument
        One per file, plus one ``missing`` record per sidecar row naming a
        file that does not exist, plus one ``error`` record for sidecar
        problems that concern no particular file.
    """
    files = _document_files(root)
    ids = _unique_ids(files)
    docs = {rel: read_file(path, doc_id=ids[rel], source_path=rel) for rel, path in files}
    for rel in docs:
        if ids[rel] != Path(rel).stem:
            docs[rel] = add_note(docs[rel], f"doc_id {Path(rel).stem!r} already used; using {ids[rel]!r}")
    sidecar_path = root / SIDECAR_NAME
    if not sidecar_path.is_file():
        return [docs[rel] for rel in sorted(docs)]
    sidecar = read_sidecar(sidecar_path)
    lookup = _sidecar_lookup(sorted(docs))
    extras: list[RawDocument] = []
    for row in sidecar.rows:
        rel = lookup.get(row.file)
        origin = f"{SIDECAR_NAME} row for {row.file!r} (line {row.line})"
        if rel is None:
            missing = RawDocument(
                doc_id=row.values.get("doc_id") or Path(row.file).stem,
                source_path=row.file,
                status="missing",
                reason=f"listed in {SIDECAR_NAME} but file not found: {row.file}",
            )
            extras.append(missing)
            continue
        docs[rel] = apply_metadata(
            docs[rel], row.values, gazetteer=gazetteer, origin=origin, extra_columns=extra_columns
        )
    for i, (name, message) in enumerate(sidecar.problems):
        rel = lookup.get(name) if name else None
        if rel is not None:
            docs[rel] = add_note(docs[rel], message)
        else:
            extras.append(
                RawDocument(
                    doc_id=f"{SIDECAR_NAME}:{i + 1:03d}",
                    source_path=SIDECAR_NAME,
                    status="error",
                    reason=message,
                )
            )
    return [docs[rel] for rel in sorted(docs)] + extras


def _read_jsonl(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Rows of a JSON-lines file, and ``(line number, problem)`` for bad lines."""
    rows, bad = [], []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                bad.append((number, f"{path.name}: line {number} is not valid JSON: {exc}"))
                continue
            if not isinstance(record, dict):
                bad.append((number, f"{path.name}: line {number} is not a JSON object"))
                continue
            rows.append(record)
    return pd.DataFrame.from_records(rows), bad


def _read_csv(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """Rows of a CSV file (encoding detected), and problems for malformed rows."""
    import io

    text, _ = decode_bytes(path.read_bytes())
    bad: list[tuple[int, str]] = []

    def on_bad(fields: list[str]) -> None:
        start = fields[0][:40] if fields else ""
        bad.append((len(bad), f"{path.name}: malformed row with {len(fields)} fields, starting {start!r}"))
        return None

    frame = pd.read_csv(
        io.StringIO(text), dtype=object, keep_default_na=False, na_values=[""],
        engine="python", on_bad_lines=on_bad,
    )  # fmt: skip
    return frame, bad


def _read_any_table(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".parquet":
        return pd.read_parquet(path), []
    raise ValueError(f"{path}: unsupported table format {suffix!r} (use {', '.join(TABLE_SUFFIXES)})")


def _cell(row: pd.Series, column: str | None) -> object | None:
    if column is None:
        return None
    value = row[column]
    if isinstance(value, (list, tuple, np.ndarray)):
        return [v for v in value]
    return None if pd.isna(value) else value


def _table_document(
    row: pd.Series, index: int, *, path: Path, columns: Mapping[str, str | None], gazetteer: Gazetteer,
    extra_columns: tuple[str, ...],
) -> RawDocument:  # fmt: skip
    raw_id = _cell(row, columns.get("doc_id"))
    doc_id = str(raw_id).strip() if raw_id is not None and str(raw_id).strip() else f"row{index:05d}"
    text = _cell(row, columns["text"])
    text = " ".join(map(str, text)) if isinstance(text, list) else text
    text = "" if text is None else str(text)
    doc = RawDocument(
        doc_id=doc_id,
        source_path=f"{path.name}#{index}",
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text if text.strip() else None,
        status="ok" if text.strip() else "empty",
        reason=None if text.strip() else f"no text in column {columns['text']!r}",
    )
    values = {key: _cell(row, col) for key, col in columns.items() if key not in ("text", "doc_id") and col}
    values.update({c: _cell(row, c) for c in extra_columns})
    return apply_metadata(
        doc, values, gazetteer=gazetteer, origin=f"{path.name} row {index}", extra_columns=extra_columns
    )


def _warn_unused_columns(frame, path: Path, columns, extra_columns) -> None:
    from .columns import unused_metadata_columns

    unused = unused_metadata_columns(frame, used=columns, extra=extra_columns)
    if unused:
        names = ", ".join(f"{c!r} ({kind})" for c, kind, _ in unused)
        flags = " ".join(f"{flag} {c}" for c, _, flag in unused)
        log.warning("%s: column(s) %s look like metadata but are not used; to use them: %s", path.name, names, flags)


def read_table(
    path: Path,
    *,
    columns: Mapping[str, str | None],
    gazetteer: Gazetteer,
    extra_columns: tuple[str, ...] = (),
) -> list[RawDocument]:
    """Read a ``.csv``, ``.jsonl`` or ``.parquet`` table, one document per row.

    Parameters
    ----------
    path : Path
        The table.
    columns : mapping of str to (str or None)
        Ledger field -> column name; ``text`` is required, others optional
        (``doc_id``, ``title``, ``language``, ``date``, ``partner``).
    gazetteer : Gazetteer
        Used to canonicalise partner names.
    extra_columns : tuple of str
        Columns carried into the ledger unchanged.

    Raises
    ------
    ValueError
        If a configured column is absent from the table (naming the file,
        the column and the columns present).
    """
    frame, bad = _read_any_table(path)
    wanted = [c for c in (*columns.values(), *extra_columns) if c is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing and len(frame):
        present = ", ".join(map(str, frame.columns))
        raise ValueError(f"{path.name}: no column(s) {', '.join(map(repr, missing))} (columns: {present})")
    _warn_unused_columns(frame, path, columns, extra_columns)
    docs = []
    for index, (_, row) in enumerate(frame.iterrows()):
        docs.append(
            _table_document(
                row, index, path=path, columns=columns, gazetteer=gazetteer, extra_columns=extra_columns
            )
        )
    seen: dict[str, int] = {}
    for i, doc in enumerate(docs):
        if doc.doc_id in seen:
            new_id = f"{doc.doc_id}~row{i:05d}"
            docs[i] = add_note(
                replace(doc, doc_id=new_id), f"id {doc.doc_id!r} repeats row {seen[doc.doc_id]}"
            )
        else:
            seen[doc.doc_id] = i
    for k, (_, message) in enumerate(bad):
        docs.append(
            RawDocument(
                doc_id=f"{path.name}:bad{k + 1:03d}", source_path=path.name, status="error", reason=message
            )
        )
    return docs
