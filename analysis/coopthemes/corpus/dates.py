"""Dates: the ``date YYYY-MM`` header, full dates inside the text, metadata values.

Only a date that names its year gives a document a year. A date without a
year (``"jeudi 9 janvier"``, ``"November 4"``, ``"ngày 3/4"``) and a bare year
(``"Năm 2023 đánh dấu"``, ``"since 2014"``) are never used: the year is then
missing, not guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from ..safeyaml import short_repr

__all__ = [
    "MONTH_NAMES",
    "DateMatch",
    "find_dates",
    "first_dated",
    "parse_date_value",
    "parse_year_value",
    "strip_date_header",
]

MIN_YEAR, MAX_YEAR = 1900, 2100

_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip
#: English and French month names and abbreviations.
MONTH_NAMES = tuple(sorted(_MONTHS))
_MONTH = "|".join(sorted(_MONTHS, key=lambda m: (-len(m), m)))
_DAY = r"(?P<d>[0-3]?\d)(?:er|st|nd|rd|th)?"
_YEAR = r"(?P<y>(?:19|20)\d\d)"

_PATTERNS = (
    # 17/09/2021, 17-09-2021, 17.09.2021 (day first: vi, fr, en-GB)
    re.compile(rf"(?<![\d/.-]){_DAY}[/.-](?P<m>[01]?\d)[/.-]{_YEAR}(?![\d/])"),
    # 2021-09-17
    re.compile(rf"(?<![\d/-]){_YEAR}-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?![\d-])"),
    # ngày 17 tháng 9 năm 2021
    re.compile(
        rf"(?i:ngày)\s+{_DAY}\s+(?i:tháng)\s+(?P<m>[01]?\d)\s*(?:(?i:năm)\s+|[/,]\s*){_YEAR}(?!\d)"
    ),
    # 6 mars 2023, 1er janvier 2020, 15 September 2021
    re.compile(rf"(?<![\w]){_DAY}\s+(?P<mn>{_MONTH})\.?,?\s+{_YEAR}(?!\d)", re.IGNORECASE),
    # September 15, 2021 / Sept. 15 2021
    re.compile(rf"(?<![\w])(?P<mn>{_MONTH})\.?\s+{_DAY},?\s+{_YEAR}(?!\d)", re.IGNORECASE),
)

_HEADER = re.compile(
    r"^\s*date\s*[:=]?\s*(?P<y>\d{4})-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?(?![\d-])[ \t]*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMatch:
    """A full date found in a text: ISO string, year, and character offset."""

    date: str
    year: int
    start: int


def _iso(year: int, month: int, day: int | None) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR or not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def strip_date_header(text: str) -> tuple[str, str | None]:
    """Remove a leading ``date YYYY-MM[-DD]`` header.

    Returns
    -------
    text : str
        ``text`` without the header.
    date : str or None
        ``"YYYY-MM"`` or ``"YYYY-MM-DD"``; None when there is no valid header.
    """
    m = _HEADER.match(text)
    if not m:
        return text, None
    day = int(m.group("d")) if m.group("d") else None
    iso = _iso(int(m.group("y")), int(m.group("m")), day)
    return (text[m.end() :], iso) if iso else (text, None)


def find_dates(text: str) -> list[DateMatch]:
    """All full dates (day, month and year) in ``text``, by position.

    Recognises ``17/09/2021``, ``2021-09-17``, ``ngày 17 tháng 9 năm 2021``,
    ``6 mars 2023``, ``1er janvier 2020``, ``15 September 2021`` and
    ``September 15, 2021``.
    """
    found: dict[int, DateMatch] = {}
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            month = _MONTHS[groups["mn"].lower()] if groups.get("mn") else int(groups["m"])
            iso = _iso(int(groups["y"]), month, int(groups["d"]))
            if iso and m.start() not in found:
                found[m.start()] = DateMatch(date=iso, year=int(groups["y"]), start=m.start())
    return [found[k] for k in sorted(found)]


def first_dated(texts: list[str]) -> DateMatch | None:
    """The first full date in ``texts`` taken in order (title and lead first)."""
    for text in texts:
        dates = find_dates(text)
        if dates:
            return dates[0]
    return None


def parse_year_value(value: object) -> int | None:
    """A year from a metadata cell (``2021``, ``"2021"``, ``2021.0``); None if empty.

    Raises
    ------
    ValueError
        If the value is present but is not a year between 1900 and 2100.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:\.0+)?", text)
    if not m or not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        raise ValueError(f"{short_repr(text)} is not a year")
    return int(m.group(1))


def parse_date_value(value: object) -> tuple[str | None, int | None]:
    """An ISO date and its year from a metadata cell; ``(None, None)`` if empty.

    A bare year gives ``(None, year)``. Accepts ``YYYY-MM-DD``, ``YYYY-MM``,
    ``YYYY``, ``YYYYMMDD``, ``YYYY/MM/DD``,
    ``DD/MM/YYYY``, ISO timestamps and date/datetime objects.

    Raises
    ------
    ValueError
        If the value is present but is not a date.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None, None
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.strftime("%Y-%m-%d"), value.year
    text = str(value).strip()
    if not text:
        return None, None
    forms = (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", (1, 2, 3)),
        (r"(\d{4})/(\d{1,2})/(\d{1,2})", (1, 2, 3)),
        (r"(\d{4})(\d{2})(\d{2})(?:\.0+)?", (1, 2, 3)),
        (r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", (3, 2, 1)),
        (r"(\d{4})-(\d{1,2})", (1, 2, None)),
    )
    for form, (yi, mi, di) in forms:
        m = re.fullmatch(form, text)
        if m:
            iso = _iso(int(m.group(yi)), int(m.group(mi)), int(m.group(di)) if di else None)
            if iso:
                return iso, int(iso[:4])
            break
    if re.fullmatch(r"\d{4}(?:\.0+)?", text):
        return None, parse_year_value(text)
    raise ValueError(f"{short_repr(text)} is not a date (expected YYYY-MM-DD, YYYY-MM or YYYY)")
