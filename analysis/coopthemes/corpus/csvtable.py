"""CSV read record by record: every malformed record is reported with its line, none is lost silently.

A scraped CSV breaks in two typical ways: a row holds more (or fewer) fields
than the header, because a comma was not quoted; or a quote is left open, so
that a quoted field runs on over the following rows. A lenient reader shifts
the first into other columns and swallows the second's following rows into
one cell. :func:`read_csv_records` parses strictly, reports such a record
with the line it starts on, and resumes on the next line, so that the rows
after an unbalanced quote are read as rows. Time is linear in the input: a
line is read again at most once, after the record it belonged to failed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..safeyaml import short_repr

__all__ = ["CsvRecords", "read_csv_records"]

#: Largest field the reader accepts (the size limit of documents is applied later, with a reason).
_FIELD_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class CsvRecords:
    """A CSV table as read.

    Attributes
    ----------
    header : list of str
        Column names (the first record).
    rows : list of (int, list of str or None, str or None)
        One per data record, in order: the line it starts on, its fields
        (None when malformed) and the problem (None when well formed).
    """

    header: list[str]
    rows: list[tuple[int, list[str] | None, str | None]]


class _Lines:
    """Lines of a text, with the lines of the current record kept for replay after an error."""

    def __init__(self, text: str):
        self._source = iter(io.StringIO(text, newline=""))
        self._replay: deque[tuple[int, str]] = deque()
        self._next_number = 1
        self.taken: list[tuple[int, str]] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._replay:
            number, line = self._replay.popleft()
        else:
            line = next(self._source)
            number = self._next_number
            self._next_number += 1
        self.taken.append((number, line))
        return line

    def start_record(self) -> None:
        self.taken = []

    def first_line(self) -> int:
        return self.taken[0][0] if self.taken else self._next_number

    def replay_after_first(self) -> None:
        """Read again every line of the failed record but its first."""
        self._replay.extendleft(reversed(self.taken[1:]))
        self.taken = []


@contextmanager
def _field_limit(limit: int):
    old = csv.field_size_limit(limit)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _records(text: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """``(first line, fields or None, problem or None)`` per record; blank lines skipped."""
    lines = _Lines(text)
    while True:
        reader = csv.reader(lines, strict=True)
        lines.start_record()
        try:
            for fields in reader:
                first = lines.first_line()
                lines.start_record()
                if fields:
                    yield first, fields, None
            return
        except csv.Error as exc:
            first = lines.first_line()
            span = lines.taken[-1][0] if lines.taken else first
            where = f"line {first}" if span == first else f"lines {first}-{span}"
            problem = str(exc)
            if "expected after" in problem or "end of data" in problem:
                problem += " (a quote left open?)"
            yield first, None, f"{where}: not valid CSV: {problem}"
            lines.replay_after_first()


def read_csv_records(text: str) -> CsvRecords:
    """Read CSV text strictly, record by record.

    A record whose number of fields differs from the header's, and a record
    the strict parser rejects (a quote left open or followed by text), is
    returned with ``fields=None`` and its problem; reading resumes on the
    line after the line it started on.

    Returns
    -------
    CsvRecords

    Raises
    ------
    ValueError
        When there is no header (an empty text) or the header is not valid
        CSV or repeats a column name.
    """
    with _field_limit(_FIELD_LIMIT):
        records = _records(text)
        first = next(records, None)
        if first is None:
            raise ValueError("empty table: no header row")
        line, header, problem = first
        if header is None:
            raise ValueError(f"the header is not valid CSV ({problem})")
        header = [h.strip() for h in header]
        repeated = sorted(h for h, n in Counter(header).items() if n > 1)
        if repeated:
            shown = ", ".join(short_repr(h) for h in repeated[:5]) + (", ..." if len(repeated) > 5 else "")
            raise ValueError(f"the header names column(s) {shown} twice")
        rows = []
        for line, fields, problem in records:
            if fields is not None and len(fields) != len(header):
                problem = (f"line {line}: {len(fields)} fields where the header has {len(header)} "
                           "(a comma outside quotes?); row not read")
                fields = None
            rows.append((line, fields, problem))
    return CsvRecords(header=header, rows=rows)
