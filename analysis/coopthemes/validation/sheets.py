"""Coding sheets as files: spreadsheet-safe CSV and XLSX out, filled sheets back in.

Spreadsheet safety
------------------
A spreadsheet program reads a cell that starts with ``=``, ``+``, ``-`` or
``@`` (their full-width forms, and in some programs a tab or a carriage
return) as a formula, so a scraped passage such as ``=HYPERLINK(...)`` or
``+84 ...`` could run or be mangled when a coder opens the sheet (OWASP, "CSV
injection"); :data:`coopthemes.tables.FORMULA_STARTS` lists them, for these
sheets and the publication tables alike. What is written:

* **CSV** (UTF-8 with a byte-order mark, so that spreadsheet programs read
  Vietnamese correctly): every text cell that starts with one of those
  characters, a number too, gets a leading apostrophe ``'``, which spreadsheet programs
  show as text and formulas never evaluate. The apostrophe is visible in a
  plain-text editor; :func:`unsafe_text` removes it again.
* **XLSX** (openpyxl): every cell is written as an explicit text cell
  (``inlineStr``), never a formula, and a cell that starts with one of those
  characters also carries the *quote prefix* style, the flag a spreadsheet
  program sets when a user types ``'=...``: the text is shown exactly as it
  is, stays text when edited, and reads back unchanged. Control characters
  that XML cannot hold (other than tab and line breaks) are dropped, and a
  cell is cut at :data:`MAX_CELL` characters (the XLSX limit is 32,767).

Reading a filled sheet (:func:`read_sheet`) accepts the XLSX as written, or a
CSV saved back by a spreadsheet program (UTF-8 with or without a byte-order
mark, else cp1252; comma, semicolon or tab as separator).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..tables import FORMULA_STARTS, neutralise_formula
from ._common import ValidationError

__all__ = [
    "FORMULA_STARTS",
    "MAX_CELL",
    "SheetError",
    "read_sheet",
    "safe_text",
    "unsafe_text",
    "write_csv",
    "write_xlsx",
]

#: Longest text written into one cell (the XLSX limit is 32,767 characters).
MAX_CELL = 32000
_CUT_MARK = " [...]"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class SheetError(ValidationError):
    """A sheet cannot be read or does not have the expected layout; the message names the file."""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - len(_CUT_MARK)] + _CUT_MARK


def safe_text(value) -> str:
    """A cell's text for CSV: missing values are empty, a formula-like start gets a leading ``'``."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    return neutralise_formula(_clip(str(value)), keep_numbers=False)


def unsafe_text(text: str) -> str:
    """Undo :func:`safe_text`: drop the apostrophe it put before a formula-like start."""
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as a spreadsheet-safe CSV (UTF-8 with BOM, every cell text, ``\\n`` line ends)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_text(c) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        writer.writerow([safe_text(v) for v in row])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
    return path


def _xlsx_cell(ws, row: int, col: int, value, *, bold: bool = False) -> None:
    from openpyxl.styles import Alignment, Font

    text = "" if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)) else str(value)
    text = _clip(_ILLEGAL_XML.sub("", text))
    cell = ws.cell(row=row, column=col)
    cell.value = text
    cell.data_type = "s"  # text, never a formula
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    if bold:
        cell.font = Font(bold=True)
    if "\n" in text or len(text) > 60:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | Path, *,
               widths: Mapping[str, Mapping[str, float]] | None = None) -> Path:
    """Write one worksheet per table; every cell is a text cell (see the module notes).

    Parameters
    ----------
    sheets : mapping of str -> DataFrame
        Worksheet name (at most 31 characters) -> table, in order; the
        first is the one a spreadsheet program opens.
    path : str or Path
        The ``.xlsx`` file.
    widths : mapping, optional
        Worksheet name -> column name -> width in characters.
    """
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        for j, column in enumerate(df.columns, start=1):
            _xlsx_cell(ws, 1, j, column, bold=True)
            width = (widths or {}).get(name, {}).get(str(column), 14)
            ws.column_dimensions[get_column_letter(j)].width = width
        for i, row in enumerate(df.itertuples(index=False, name=None), start=2):
            for j, value in enumerate(row, start=1):
                _xlsx_cell(ws, i, j, value)
        ws.freeze_panes = "A2"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _cell_text(value) -> str:
    """A cell read back as text: numbers typed by a coder (``3`` or ``3.0``) become ``"3"``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unsafe_text(str(value)).strip()


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError(f"{path}: not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        ws = wb[sheet] if sheet and sheet in wb.sheetnames else wb.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    rows = [r for r in rows if any(r)]
    if not rows:
        raise SheetError(f"{path}: the worksheet is empty")
    header, body = rows[0], rows[1:]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in body]
    return pd.DataFrame(body, columns=header, dtype=object)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(f"{path}: neither UTF-8 nor cp1252 text")


def _read_csv(path: Path) -> pd.DataFrame:
    text = _decode(path)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise SheetError(f"{path}: not a readable CSV ({exc})") from None
    rows = [[_cell_text(v) for v in r] for r in rows if any(v.strip() for v in r)]
    if not rows:
        raise SheetError(f"{path}: the file is empty")
    header, body = rows[0], rows[1:]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in body]
    return pd.DataFrame(body, columns=header, dtype=object)


def read_sheet(path: str | Path, *, sheet: str | None = None) -> pd.DataFrame:
    """Read a filled sheet (``.csv`` or ``.xlsx``) as a table of texts.

    Parameters
    ----------
    path : str or Path
        The file.
    sheet : str, optional
        XLSX worksheet to read (default: the named one when present, else
        the first).

    Returns
    -------
    DataFrame
        One row per non-empty line, every cell a stripped ``str`` (missing
        cells are ``""``); the apostrophe of :func:`safe_text` is removed.

    Raises
    ------
    SheetError
        When the file is missing, of another type, or unreadable.
    """
    path = Path(path)
    if not path.is_file():
        raise SheetError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        df = _read_xlsx(path, sheet)
    elif suffix in (".csv", ".tsv", ".txt"):
        df = _read_csv(path)
    else:
        raise SheetError(f"{path}: expected a .csv or .xlsx sheet")
    df.columns = [str(c).strip() for c in df.columns]
    return df
