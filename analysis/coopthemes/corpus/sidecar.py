"""The optional ``metadata.csv`` beside a folder of documents, and metadata values.

The sidecar has a ``file`` column plus any of ``doc_id, title, date, year,
partner, language, source, url``; ``partner`` may list several countries
separated by ``;``. A malformed sidecar never stops loading: its problems are
returned with the file they concern (or none), and the documents load from
the files with the metadata extracted from their text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from ..safeyaml import short_repr
from .dates import parse_date_value, parse_year_value
from .decode import DecodeError, decode_bytes
from .gazetteer import Gazetteer
from .record import RawDocument, add_note

__all__ = [
    "SIDECAR_COLUMNS",
    "SIDECAR_NAME",
    "Sidecar",
    "SidecarRow",
    "apply_metadata",
    "parse_partners",
    "read_sidecar",
]

SIDECAR_NAME = "metadata.csv"
SIDECAR_COLUMNS = ("file", "doc_id", "title", "date", "year", "partner", "language", "source", "url")


@dataclass(frozen=True)
class SidecarRow:
    """One data row: its line number, the ``file`` it describes, and its non-empty values."""

    line: int
    file: str
    values: Mapping[str, str]


@dataclass(frozen=True)
class Sidecar:
    """Parsed sidecar rows and the problems found, as ``(file or None, message)``.

    ``header`` holds the column names (lowercased), None when the file could not be read.
    """

    rows: tuple[SidecarRow, ...] = ()
    problems: tuple[tuple[str | None, str], ...] = ()
    header: tuple[str, ...] | None = None


#: Largest sidecar read (a row per document: 50 MB is a million documents).
MAX_SIDECAR_BYTES = 50_000_000


def read_sidecar(path: Path, *, refused: str | None = None) -> Sidecar:
    """Read ``metadata.csv``; never raises on malformed content.

    Rows with the wrong number of fields, a missing ``file`` value or a
    repeated file are skipped and reported in ``problems``. ``refused``
    (e.g. the sidecar is a link leaving the corpus folder) is reported
    instead of reading the file.
    """
    if refused is not None:
        return Sidecar(problems=((None, f"{path.name}: {refused}"),))
    try:
        if path.stat().st_size > MAX_SIDECAR_BYTES:
            return Sidecar(problems=((None, f"{path.name}: larger than {MAX_SIDECAR_BYTES:,} bytes; not read"),))
        text, _ = decode_bytes(path.read_bytes())
    except (OSError, DecodeError) as exc:
        return Sidecar(problems=((None, f"{path.name}: unreadable: {exc}"),))
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        return Sidecar(problems=((None, f"{path.name}: not valid CSV: {exc}"),))
    records = [(i + 1, r) for i, r in enumerate(records) if any(cell.strip() for cell in r)]
    if not records:
        return Sidecar(problems=((None, f"{path.name}: empty file"),))
    header = [cell.strip().lower() for cell in records[0][1]]
    if "file" not in header:
        cols = ", ".join(header)
        cols = cols if len(cols) <= 200 else cols[:199] + "…"
        return Sidecar(problems=((None, f"{path.name}: no 'file' column (columns: {cols})"),), header=tuple(header))
    at = header.index("file")
    rows, problems, seen = [], [], set()
    for number, (line, cells) in enumerate(records[1:], start=1):
        name = cells[at].strip() if at < len(cells) else ""
        where = f"{path.name}: malformed row {number} (line {line})"
        if len(cells) != len(header):
            problems.append((name or None, f"{where}: expected {len(header)} fields, found {len(cells)}"))
        elif not name:
            problems.append((None, f"{where}: empty 'file' value"))
        elif name in seen:
            problems.append((name, f"{where}: repeats file {short_repr(name)}; the first row is used"))
        else:
            seen.add(name)
            values = {h: c.strip() for h, c in zip(header, cells) if h != "file" and c.strip()}
            rows.append(SidecarRow(line=line, file=name, values=MappingProxyType(values)))
    return Sidecar(rows=tuple(rows), problems=tuple(problems), header=tuple(header))


def parse_partners(value: object, *, gazetteer: Gazetteer) -> tuple[str, ...]:
    """Partner names from a cell (``"Japan; France"``, a list), canonical English names.

    Names the gazetteer knows (``"Japon"``, ``"Nhật Bản"``) become its English
    name; others are kept as written. Order is kept, repeats removed.
    """
    if value is None or (not isinstance(value, (str, list, tuple)) and pd.isna(value)):
        return ()
    items = value.split(";") if isinstance(value, str) else [str(v) for v in value]
    names = [gazetteer.canonical(v) or v.strip() for v in items if str(v).strip()]
    return tuple(dict.fromkeys(names))


def apply_metadata(
    doc: RawDocument,
    values: Mapping[str, object],
    *,
    gazetteer: Gazetteer,
    origin: str,
    extra_columns: tuple[str, ...] = (),
) -> RawDocument:
    """Override ``doc``'s metadata with researcher-supplied ``values``.

    Parameters
    ----------
    doc : RawDocument
        The document as read.
    values : mapping
        Keys among ``doc_id, title, date, year, partner, language, source``
        plus ``extra_columns``; empty values are ignored.
    gazetteer : Gazetteer
        Used to canonicalise partner names.
    origin : str
        Where the values come from, for notes (``"metadata.csv row 3"``).
    extra_columns : tuple of str
        Columns carried into the ledger unchanged.
    """

    def given(key: str) -> object | None:
        value = values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, (str, list, tuple)) and pd.isna(value):
            return None
        return value.strip() if isinstance(value, str) else value

    changes: dict[str, object] = {}
    for key, attr in (("doc_id", "doc_id"), ("title", "title"), ("source", "outlet")):
        if given(key) is not None:
            changes[attr] = str(given(key))
    if given("language") is not None:
        changes["language"] = str(given("language")).lower()
    if given("partner") is not None:
        changes["partners"] = parse_partners(given("partner"), gazetteer=gazetteer)
    extra = dict(doc.extra)
    extra.update({c: given(c) for c in extra_columns if c in values})
    changes["extra"] = MappingProxyType(extra)
    doc = replace(doc, **changes)
    date = year = None
    try:
        date, year = parse_date_value(given("date"))
    except ValueError as exc:
        doc = add_note(doc, f"{origin}: date {exc}")
    if year is None:
        try:
            year = parse_year_value(given("year"))
        except ValueError as exc:
            doc = add_note(doc, f"{origin}: year {exc}")
    if year is not None:
        doc = replace(doc, date=date, year=year)
    return doc
