"""The raw document record passed from the readers to the cleaning stage."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

__all__ = ["RawDocument", "add_note", "unique_ids"]


@dataclass(frozen=True)
class RawDocument:
    """One input document before cleaning, with any researcher-supplied metadata.

    Attributes
    ----------
    doc_id, source_path : str
        Identifier and where the document came from (path relative to the
        corpus folder, or ``"<table>#<row>"``).
    sha256 : str or None
        Hash of the raw bytes (files) or of the raw text cell (tables).
    text : str or None
        Decoded text; None when the document could not be read.
    status, reason : str, str or None
        ``ok|empty|error|missing`` and why, for documents that failed to load.
    title, language, date, year, partners, outlet
        Metadata from a sidecar, table columns or HTML (``title``); None when
        not given. ``date``/``year`` given here have source ``sidecar``.
    notes : tuple of str
        Problems that did not stop loading (a bad sidecar row, a bad date);
        they end up in the ledger's ``reason``.
    extra : mapping
        Extra columns requested by the researcher (``label``, ``url``...).
    """

    doc_id: str
    source_path: str
    sha256: str | None = None
    text: str | None = None
    status: str = "ok"
    reason: str | None = None
    title: str | None = None
    language: str | None = None
    date: str | None = None
    year: int | None = None
    partners: tuple[str, ...] | None = None
    outlet: str | None = None
    notes: tuple[str, ...] = ()
    extra: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


def add_note(doc: RawDocument, note: str) -> RawDocument:
    """A copy of ``doc`` with ``note`` appended to its notes."""
    return replace(doc, notes=(*doc.notes, note))


def unique_ids(ids: Sequence[str], *, suffix: Callable[[int], str] | None = None) -> list[str]:
    """Make ids unique: a repeated id is renamed to one that no input id uses.

    Parameters
    ----------
    ids : sequence of str
    suffix : callable or None
        ``suffix(position)`` appended to a repeated id (``"~row00007"``);
        None appends ``~2``, ``~3``... (the occurrence number).

    Returns
    -------
    list of str
        The first occurrence of an id keeps it. A later one gets the suffix,
        then ``~3``, ``~4``... until the result is neither an input id nor an
        id given before: renaming never collides.
    """
    taken = set(ids)
    seen: set[str] = set()
    out = []
    for i, doc_id in enumerate(ids):
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
            continue
        base = doc_id + suffix(i) if suffix else doc_id
        k = 2
        candidate = base if suffix else f"{doc_id}~{k}"
        while candidate in taken or candidate in seen:
            k += 1
            candidate = f"{base}~{k}"
        seen.add(candidate)
        taken.add(candidate)
        out.append(candidate)
    return out
