"""Columns of a table corpus that look like metadata but are not used.

A researcher's CSV often holds a date and a country beside the text; when the
column flags are left out, the years and partners are silently missing from
every table. :func:`unused_metadata_columns` names such columns, from their
names and, for dates, from their values, so that the loader can warn.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["unused_metadata_columns"]

#: Column-name patterns of each kind of metadata, and the flag that uses it.
_KINDS = (
    ("date", "--date-column", re.compile(r"(^|_)(date|time|published|pub|created|day|ngay|ngày|datum)($|_)|^year$|^nam$|^năm$", re.I)),
    ("partner", "--partner-column", re.compile(r"(^|_)(country|countries|partner|partners|nation|nations|pays|quoc_gia|quốc_gia|đối_tác|doi_tac)($|_)", re.I)),
    ("language", "--language-column", re.compile(r"^(lang|language|langue|ngon_ngu|ngôn_ngữ)$", re.I)),
    ("title", "--title-column", re.compile(r"^(title|headline|titre|tieu_de|tiêu_đề)$", re.I)),
    ("id", "--id-column", re.compile(r"^(id|doc_id|document_id|article_id|uid|guid)$", re.I)),
)
_DATE_VALUE = re.compile(r"^\s*(1[89]|20)\d\d([-/.]\d{1,2}([-/.]\d{1,2})?)?\s*$|^\s*\d{1,2}[-/.]\d{1,2}[-/.](1[89]|20)\d\d\s*$|^(1[89]|20)\d{6}$")


def _looks_like_dates(rows: Sequence[Mapping], column: str) -> bool:
    sample = []
    for row in rows:
        value = row.get(column)
        if isinstance(value, datetime.date):  # Parquet dates and timestamps
            value = value.isoformat()[:10]
        if value is not None and value == value:  # neither missing nor NaN
            sample.append(str(value)[:40])
            if len(sample) == 50:
                break
    return bool(sample) and sum(bool(_DATE_VALUE.match(v)) for v in sample) >= 0.8 * len(sample)


def unused_metadata_columns(
    columns: Sequence[str], rows: Sequence[Mapping], *, used: Mapping[str, str | None], extra: Iterable[str] = ()
) -> list[tuple[str, str, str]]:
    """``(column, kind, flag)`` for each column that looks like metadata and is not used.

    Parameters
    ----------
    columns : sequence of str
        The table's column names.
    rows : sequence of mapping
        The table's rows, column -> value (dates are recognised from the
        first 50 values present).
    used : mapping of ledger field -> column name (None: not given)
    extra : iterable of str
        Columns carried along with ``extra_columns``.
    """
    taken = {c for c in used.values() if c} | set(extra)
    given = {field for field, c in used.items() if c}
    out = []
    for column in columns:
        name = str(column)
        if name in taken:
            continue
        key = name.strip().replace(" ", "_")
        for kind, flag, pattern in _KINDS:
            field = {"partner": "partner", "date": "date"}.get(kind, kind if kind != "id" else "doc_id")
            if field in given:
                continue
            if pattern.search(key) or (kind == "date" and _looks_like_dates(rows, column)):
                out.append((name, kind, flag))
                break
    return out
