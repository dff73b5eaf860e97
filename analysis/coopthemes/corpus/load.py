"""Read a folder of documents (with an optional ``metadata.csv``) or a table.

Every input becomes one :class:`RawDocument`, including the ones that cannot
be read: those carry ``status`` (``empty``, ``error``, ``missing``) and a
``reason`` naming the problem, so that the ledger accounts for every input:
files of other types, symbolic links leaving the folder or pointing nowhere,
malformed table rows (with their line), documents longer than the size limit.
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

from ..safeyaml import short_repr
from .csvtable import read_csv_records
from .decode import DecodeError, decode_bytes
from .extract import html_to_text, markdown_to_text
from .folder import DOCUMENT_SUFFIXES, FolderEntry, list_folder, outside_link
from .gazetteer import Gazetteer
from .record import RawDocument, add_note, unique_ids
from .sidecar import SIDECAR_NAME, apply_metadata, read_sidecar

log = logging.getLogger(__name__)

__all__ = [
    "DOCUMENT_SUFFIXES",
    "TABLE_SUFFIXES",
    "read_directory",
    "read_file",
    "read_table",
]

TABLE_SUFFIXES = (".csv", ".jsonl", ".parquet")
#: Default of ``corpus.max_document_chars``.
MAX_DOCUMENT_CHARS = 10_000_000


def too_long(n_chars: int, max_chars: int) -> str:
    """The reason given for a document over the size limit."""
    return (f"too long: {n_chars:,} characters, more than corpus.max_document_chars ({max_chars:,}); "
            "not read (raise the limit to read it)")


def read_file(
    path: Path, *, doc_id: str, source_path: str, max_chars: int = MAX_DOCUMENT_CHARS
) -> RawDocument:
    """Read and decode one document file; problems become status and reason.

    A file that cannot hold fewer than ``max_chars`` characters (more than
    four bytes per character) is not read at all; one that decodes to more
    is dropped with the reason.
    """
    doc = RawDocument(doc_id=doc_id, source_path=source_path)
    try:
        size = path.stat().st_size
        if size > 4 * max_chars + 4:
            return replace(doc, status="error", reason=(
                f"too large: {size:,} bytes, more than corpus.max_document_chars ({max_chars:,} characters) "
                "can hold; not read (raise the limit to read it)"))  # fmt: skip
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
    del data
    if len(text) > max_chars:
        return replace(doc, status="error", reason=too_long(len(text), max_chars))
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


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _file_ids(entries: list[FolderEntry]) -> dict[str, str]:
    """Relative path -> doc_id: the file stem of a document (its path when stems collide); other files' path.

    Entries named like documents (``.txt``...) take a stem whether or not
    they can be read, so that a broken link keeps the id its file would have.
    """
    named = [e for e in entries if Path(e.rel).suffix.lower() in DOCUMENT_SUFFIXES]
    wanted = {}
    used: set[str] = set()
    for entry in named:
        stem = Path(entry.rel).stem
        wanted[entry.rel] = stem if stem not in used else entry.rel.replace("/", "__")
        used.add(stem)
    others = [e for e in entries if e.rel not in wanted]
    for entry in others:
        wanted[entry.rel] = entry.rel.replace("/", "__")
    order = [e.rel for e in named] + [e.rel for e in others]
    return dict(zip(order, unique_ids([wanted[rel] for rel in order])))


def _sidecar_lookup(rel_paths: list[str]) -> dict[str, str]:
    """Names a sidecar may use for a file (relative path, file name) -> relative path."""
    by_name: dict[str, list[str]] = {}
    for rel in rel_paths:
        by_name.setdefault(rel.rsplit("/", 1)[-1], []).append(rel)
    lookup = {name: rels[0] for name, rels in by_name.items() if len(rels) == 1}
    lookup.update({rel: rel for rel in rel_paths})
    return lookup


def read_directory(
    root: Path,
    *,
    gazetteer: Gazetteer,
    extra_columns: tuple[str, ...] = (),
    max_chars: int = MAX_DOCUMENT_CHARS,
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
    max_chars : int
        Documents longer than this are not read (status ``error``).

    Returns
    -------
    list of RawDocument
        One per file, plus one record per entry that is not read (a file of
        another type, a symbolic link leaving the folder or pointing nowhere),
        one ``missing`` record per sidecar row naming a file that does not
        exist, and one ``error`` record for sidecar problems that concern no
        particular file.

    Raises
    ------
    ValueError
        When the folder holds nothing at all, or a column of
        ``extra_columns`` is not in the sidecar (or there is no sidecar).
    """
    entries = list_folder(root, skip=(SIDECAR_NAME,))
    sidecar_path = root / SIDECAR_NAME
    has_sidecar = sidecar_path.is_symlink() or (sidecar_path.exists() and not sidecar_path.is_dir())
    if not entries and not has_sidecar:
        raise ValueError(f"{root}: empty folder: no documents ({', '.join(DOCUMENT_SUFFIXES)}) to read")
    ids = _file_ids(entries)
    docs: dict[str, RawDocument] = {}
    for entry in entries:
        if entry.status != "ok":
            docs[entry.rel] = RawDocument(doc_id=ids[entry.rel], source_path=entry.rel, status=entry.status,
                                          reason=entry.reason)
            continue
        docs[entry.rel] = read_file(entry.path, doc_id=ids[entry.rel], source_path=entry.rel, max_chars=max_chars)
        if ids[entry.rel] != Path(entry.rel).stem:
            docs[entry.rel] = add_note(
                docs[entry.rel], f"doc_id {Path(entry.rel).stem!r} already used; using {ids[entry.rel]!r}"
            )
    if not has_sidecar:
        if extra_columns:
            raise ValueError(f"corpus.extra_columns: {', '.join(map(repr, extra_columns))} given, but {root} "
                             f"has no {SIDECAR_NAME} to take them from")
        return [docs[rel] for rel in sorted(docs)]
    why = outside_link(sidecar_path, root)
    if why is None and not sidecar_path.is_file():
        why = "not a regular file (a pipe, socket or device); not read"
    sidecar = read_sidecar(sidecar_path, refused=why)
    if sidecar.header is not None:
        absent = [c for c in extra_columns if c not in sidecar.header]
        if absent:
            raise ValueError(f"corpus.extra_columns: no column {', '.join(map(repr, absent))} in {sidecar_path} "
                             f"(columns: {', '.join(sidecar.header)})")
    lookup = _sidecar_lookup(sorted(docs))
    extras: list[RawDocument] = []
    for row in sidecar.rows:
        rel = lookup.get(row.file)
        origin = f"{SIDECAR_NAME} row for {_cut(row.file)!r} (line {row.line})"
        if rel is None:
            missing = RawDocument(
                doc_id=row.values.get("doc_id") or Path(row.file).stem,
                source_path=row.file,
                status="missing",
                reason=f"listed in {SIDECAR_NAME} but file not found: {_cut(row.file)}",
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


#: A table as read: its columns, its rows (column -> value), and ``(line, problem)`` per bad record.
_Table = tuple[list[str], list[dict], list[tuple[int, str]]]


def _read_jsonl(path: Path) -> _Table:
    """Rows of a JSON-lines file, and ``(line number, problem)`` for bad lines."""
    rows, bad, columns = [], [], {}
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                bad.append((number, f"{path.name}: line {number} is not valid JSON: {short_repr(str(exc), 200)}"))
                continue
            except RecursionError:
                bad.append((number, f"{path.name}: line {number} is nested too deeply"))
                continue
            if not isinstance(record, dict):
                bad.append((number, f"{path.name}: line {number} is not a JSON object"))
                continue
            columns.update(dict.fromkeys(record))
            rows.append(record)
    return list(columns), rows, bad


def _read_csv(path: Path) -> _Table:
    """Rows of a CSV file (encoding detected), and ``(line, problem)`` for malformed records."""
    data = path.read_bytes()
    if not data.strip():
        raise ValueError(f"{path}: empty file (no header row, no rows)")
    try:
        text, _ = decode_bytes(data, tolerate_nul=True)
    except DecodeError as exc:
        raise ValueError(f"{path}: {exc}") from None
    del data
    try:
        table = read_csv_records(text)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    rows, bad = [], []
    for line, fields, problem in table.rows:
        if fields is None:
            bad.append((line, f"{path.name}: {problem}"))
        else:
            rows.append({h: (v if v != "" else None) for h, v in zip(table.header, fields)})
    return table.header, rows, bad


def _read_parquet(path: Path) -> _Table:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # a damaged file raises errors of pyarrow, OSError, ValueError...
        detail = short_repr(str(exc).splitlines()[0] if str(exc) else "", 120)
        raise ValueError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {detail})") from None
    columns = [str(c) for c in frame.columns]
    return columns, frame.to_dict("records"), []


def _read_any_table(path: Path) -> _Table:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path)
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    raise ValueError(f"{path}: unsupported table format {suffix!r} (use {', '.join(TABLE_SUFFIXES)})")


def _plain(value: object) -> object | None:
    """A cell as a plain value: lists for arrays, None for missing, NUL characters removed from text."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if value is None or (not isinstance(value, (str, dict)) and pd.isna(value)):
        return None
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "")
    return value


def _cell(row: Mapping, column: str | None) -> object | None:
    return None if column is None else _plain(row.get(column))


def _table_document(
    row: Mapping, index: int, *, path: Path, columns: Mapping[str, str | None], gazetteer: Gazetteer,
    extra_columns: tuple[str, ...], max_chars: int,
) -> RawDocument:  # fmt: skip
    raw_id = _cell(row, columns.get("doc_id"))
    doc_id = str(raw_id).strip() if raw_id is not None and str(raw_id).strip() else f"row{index:05d}"
    raw_text = row.get(columns["text"])
    text = _cell(row, columns["text"])
    text = " ".join(map(str, text)) if isinstance(text, list) else text
    text = "" if text is None else str(text)
    doc = RawDocument(
        doc_id=doc_id if len(doc_id) <= 200 else f"row{index:05d}",
        source_path=f"{path.name}#{index}",
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text if text.strip() else None,
        status="ok" if text.strip() else "empty",
        reason=None if text.strip() else f"no text in column {columns['text']!r}",
    )
    if len(doc_id) > 200:
        doc = add_note(doc, f"id of {len(doc_id):,} characters in column {columns['doc_id']!r} not used")
    if isinstance(raw_text, str) and "\x00" in raw_text:
        doc = add_note(doc, f"{raw_text.count(chr(0))} NUL character(s) removed from the text")
    if len(text) > max_chars:
        doc = replace(doc, text=None, status="error", reason=too_long(len(text), max_chars))
    values = {key: _cell(row, col) for key, col in columns.items() if key not in ("text", "doc_id") and col}
    values.update({c: _cell(row, c) for c in extra_columns})
    return apply_metadata(
        doc, values, gazetteer=gazetteer, origin=f"{path.name} row {index}", extra_columns=extra_columns
    )


def _warn_unused_columns(present, rows, path: Path, columns, extra_columns) -> None:
    from .columns import unused_metadata_columns

    unused = unused_metadata_columns(present, rows, used=columns, extra=extra_columns)
    if unused:
        names = ", ".join(f"{short_repr(c)} ({kind})" for c, kind, _ in unused)
        flags = " ".join(f"{flag} {c}" for c, _, flag in unused)
        log.warning("%s: column(s) %s look like metadata but are not used; to use them: %s", path.name, names, flags)


def read_table(
    path: Path,
    *,
    columns: Mapping[str, str | None],
    gazetteer: Gazetteer,
    extra_columns: tuple[str, ...] = (),
    max_chars: int = MAX_DOCUMENT_CHARS,
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
    max_chars : int
        Texts longer than this are not read (status ``error``).

    Returns
    -------
    list of RawDocument
        One per row (``row00000``... without an id column; repeated ids
        renamed, with a note), then one ``error`` record per malformed row
        or line (``<file>:bad001``...), whose reason names the line.

    Raises
    ------
    ValueError
        If the table cannot be read at all (empty, damaged, a header that is
        not CSV), has no rows, or lacks a configured column (naming the
        file, the column and the columns present).
    """
    present, rows, bad = _read_any_table(path)
    wanted = [c for c in (*columns.values(), *extra_columns) if c is not None]
    missing = [c for c in wanted if c not in present]
    if missing and rows:
        shown = ", ".join(map(str, present)) if len(present) <= 50 else ", ".join(map(str, present[:50])) + ", ..."
        raise ValueError(f"{path.name}: no column(s) {', '.join(map(repr, missing))} (columns: {shown})")
    if not rows and not bad:
        raise ValueError(f"{path}: no rows (a header only)")
    _warn_unused_columns(present, rows, path, columns, extra_columns)
    docs = [
        _table_document(
            row, index, path=path, columns=columns, gazetteer=gazetteer, extra_columns=extra_columns,
            max_chars=max_chars,
        )
        for index, row in enumerate(rows)
    ]  # fmt: skip
    first: dict[str, int] = {}
    for i, doc in enumerate(docs):
        first.setdefault(doc.doc_id, i)
    renamed = unique_ids([doc.doc_id for doc in docs], suffix=lambda i: f"~row{i:05d}")
    for i, (doc, new_id) in enumerate(zip(docs, renamed)):
        if new_id != doc.doc_id:
            note = f"id {short_repr(doc.doc_id)} repeats row {first[doc.doc_id]}"
            docs[i] = add_note(replace(doc, doc_id=new_id), note)
    for k, (_, message) in enumerate(bad):
        docs.append(
            RawDocument(
                doc_id=f"{path.name}:bad{k + 1:03d}", source_path=path.name, status="error", reason=message
            )
        )
    return docs
