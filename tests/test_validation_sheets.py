"""Coding sheets open safely in a spreadsheet program and read back unchanged."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from coopthemes.results import read_results
from coopthemes.validation import (
    SheetError,
    draw_sample,
    read_sheet,
    safe_text,
    unsafe_text,
    write_csv,
    write_sample,
    write_xlsx,
)
from validation_helpers import PASSAGES, write_hand_results

FORMULA_LIKE = {p[0]: p[4] for p in PASSAGES if p[4][0] in "=+-@"}


@pytest.mark.parametrize("text", ["=1+1", "+84 912", "-5", "@SUM(A1)", "\tx", "\rx", "＝1+1", "＠SUM(A1)"])
def test_formula_like_text_gets_an_apostrophe_that_reads_back(text):
    assert safe_text(text) == "'" + text
    assert unsafe_text(safe_text(text)) == text


@pytest.mark.parametrize("text", ["plain", "'quoted", "a=b", "", "Bộ Công an"])
def test_other_text_is_left_alone(text):
    assert safe_text(text) == text
    assert unsafe_text(text) == text


def test_missing_values_are_empty_cells():
    assert safe_text(None) == "" and safe_text(float("nan")) == "" and safe_text(pd.NA) == ""


@pytest.fixture(scope="module")
def written_sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sheets")
    result = read_results(write_hand_results(folder / "results"))
    sample = draw_sample(result, per_theme=10, seed=0)
    write_sample(sample, folder / "sample", result=result)
    return folder / "sample", sample


def test_the_coding_xlsx_keeps_formula_like_passages_as_text(written_sample):
    from openpyxl import load_workbook

    folder, sample = written_sample
    assert len(FORMULA_LIKE) == 4
    wb = load_workbook(folder / "coders" / "coding_sheet.xlsx")
    assert wb.sheetnames == ["items", "themes", "instructions"]
    for ws in wb.worksheets:
        assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)
    ws = wb["items"]
    header = [c.value for c in ws[1]]
    col_id, col_text = header.index("passage_id"), header.index("text")
    seen = 0
    for row in ws.iter_rows(min_row=2):
        pid = row[col_id].value
        if pid in FORMULA_LIKE:
            cell = row[col_text]
            assert cell.value == FORMULA_LIKE[pid]
            assert cell.data_type == "s" and cell.quotePrefix
            seen += 1
    assert seen == len(FORMULA_LIKE)


def test_the_coding_csv_keeps_formula_like_passages_as_text(written_sample):
    folder, _ = written_sample
    raw = (folder / "coders" / "coding_sheet.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark, for spreadsheet programs
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    cells = [value for row in rows for value in row.values()]
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in cells)
    by_id = {r["passage_id"]: r["text"] for r in rows}
    for pid, text in FORMULA_LIKE.items():
        assert by_id[pid] == "'" + text
    back = read_sheet(folder / "coders" / "coding_sheet.csv").set_index("passage_id")["text"]
    for pid, text in FORMULA_LIKE.items():
        assert back[pid] == text


def test_the_coders_files_hold_no_model_label(written_sample):
    folder, sample = written_sample
    from validation_helpers import THEMES

    labels = {t[1] for t in THEMES} | {t[2] for t in THEMES if t[2]}
    sheet = read_sheet(folder / "coders" / "coding_sheet.xlsx")
    assert list(sheet.columns) == ["item_id", "passage_id", "language", "context_before", "text",
                                   "context_after", "code", "note"]
    assert not labels & set(sheet.to_numpy().ravel())
    assert set(sheet["code"]) == {""}
    key = read_sheet(folder / "answer_key.csv")
    assert {"model_code", "theme"} <= set(key.columns)
    assert not (folder / "coders" / "answer_key.csv").exists()


def test_read_sheet_accepts_a_semicolon_cp1252_csv_and_typed_numbers(tmp_path):
    path = tmp_path / "saved.csv"
    path.write_bytes("item_id;code;note\np12345678-0001;3;caf\xe9\n".encode("cp1252"))
    df = read_sheet(path)
    assert df.to_dict(orient="records") == [{"item_id": "p12345678-0001", "code": "3", "note": "café"}]
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["item_id", "code"])
    wb.active.append(["p12345678-0001", 3.0])
    wb.save(tmp_path / "typed.xlsx")
    assert read_sheet(tmp_path / "typed.xlsx")["code"].tolist() == ["3"]


def test_read_sheet_names_the_file_when_it_cannot_read_it(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SheetError, match="broken.xlsx: not a readable XLSX"):
        read_sheet(bad)
    with pytest.raises(SheetError, match="no such file"):
        read_sheet(tmp_path / "absent.csv")
    other = tmp_path / "codes.ods"
    other.write_text("x")
    with pytest.raises(SheetError, match="expected a .csv or .xlsx"):
        read_sheet(other)


def test_write_xlsx_and_csv_round_trip_every_cell(tmp_path):
    df = pd.DataFrame({"a": ["=x", "tội phạm", "line\nbreak", None], "b": ["+1", "-", "@", "ok"]})
    write_xlsx({"items": df}, tmp_path / "t.xlsx")
    write_csv(df, tmp_path / "t.csv")
    expected = df.fillna("").to_dict(orient="list")
    for name in ("t.xlsx", "t.csv"):
        back = read_sheet(tmp_path / name)
        got = back.to_dict(orient="list")
        got["b"] = [v if v else "" for v in got["b"]]
        assert got["a"][:3] == expected["a"][:3]
        assert got["b"] == ["+1", "-", "@", "ok"]
