"""The raw document record passed from the readers to the cleaning stage."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

__all__ = ["RawDocument", "add_note"]


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
