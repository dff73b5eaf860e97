"""``coopthemes validate ...`` through the installed console script, on results without partners or years."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT
from coopthemes.validation import read_sheet, write_csv, write_xlsx
from validation_helpers import write_hand_results, write_jsonl

EXE = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
CMD = [EXE] if EXE else [sys.executable, "-m", "coopthemes.cli"]


def run(*args, cwd=None):
    proc = subprocess.run([*CMD, "validate", *map(str, args)], capture_output=True, text=True, timeout=600,
                          cwd=cwd)
    return proc


def ok(proc):
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def one_line_error(proc, *fragments):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A results folder whose corpus has no partners and no years."""
    folder = tmp_path_factory.mktemp("cli")
    return folder, write_hand_results(folder / "results", partners=False, years=False)


def test_sample_and_score_passages(bare):
    folder, results = bare
    out = folder / "sample"
    proc = ok(run("sample", results, "--per-theme", 2, "--by-partner", "--out", out, "--seed", 4))
    assert "answer_key.csv (keep it from the coders)" in proc.stdout
    for name in ("coding_sheet.xlsx", "coding_sheet.csv", "themes.csv", "instructions.md"):
        assert (out / "coders" / name).is_file()
    key = read_sheet(out / "answer_key.csv")
    assert set(key["partner"]) == {"none"}
    sheet = read_sheet(out / "coders" / "coding_sheet.xlsx")
    codes = dict(zip(key["item_id"], key["model_code"]))
    first = sheet.assign(code=[codes[i] for i in sheet["item_id"]])
    second = first.copy()
    second.loc[0, "code"] = "none" if second.loc[0, "code"] != "none" else "maritime_security"
    a = write_xlsx({"items": first}, out / "filled" / "coder_a.xlsx")
    b = write_csv(second, out / "filled" / "coder_b.csv")
    proc = ok(run("score", results, a, b, "--out", folder / "scores", "--n-boot", 100))
    assert "cohen_kappa" in proc.stdout
    tables = folder / "scores" / "tables"
    for name in ("agreement", "agreement_by_theme", "model_scores", "confusion", "consensus"):
        for ext in ("csv", "tex", "md"):
            assert (tables / f"{name}.{ext}").is_file()
    manifest = json.loads((folder / "scores" / "MANIFEST.json").read_text())
    recorded = {e["path"] for e in manifest["artefacts"]}
    assert {"tables/model_scores.csv", "validation_scores.pdf", "validation_scores.png"} <= recorded
    assert manifest["command"].startswith("coopthemes validate score")

    bad = second.drop(columns=["code"])
    one_line_error(run("score", results, a, write_csv(bad, out / "filled" / "nocode.csv"), "--out", folder / "x"),
                   "nocode.csv", "no `code` column")
    unknown = second.assign(code="piracy")
    one_line_error(run("score", results, a, write_csv(unknown, out / "filled" / "odd.csv"), "--out", folder / "x"),
                   "filled/odd.csv, item", "unknown code 'piracy'")


def test_document_sample_intrusion_and_document_codes(bare):
    folder, results = bare
    ok(run("sample", results, "--per-theme", 1, "--unit", "document", "--out", folder / "docs"))
    assert "partners" in read_sheet(folder / "docs" / "coders" / "coding_sheet.csv").columns

    proc = ok(run("intrusion", results, "--out", folder / "intrusion", "--n-terms", 3, "--per-theme", 1))
    assert "word intrusion" in proc.stdout and "theme intrusion" in proc.stdout
    key = read_sheet(folder / "intrusion" / "answer_key.csv")
    sheets = []
    for coder in ("a", "b"):
        sheet = read_sheet(folder / "intrusion" / "coders" / "word_intrusion.csv")
        position = dict(zip(key["item_id"], key["intruder_position"]))
        sheet["code"] = [position[i] if coder == "a" else "1" for i in sheet["item_id"]]
        sheets.append(write_csv(sheet, folder / "intrusion" / f"word_{coder}.csv"))
    proc = ok(run("score", results, *sheets, "--out", folder / "intrusion_scores", "--n-boot", 50))
    assert "intruders found" in proc.stdout
    assert (folder / "intrusion_scores" / "tables" / "intrusion_scores.md").is_file()

    codes = write_jsonl(folder / "codes.jsonl", [
        {"doc_id": d, "coder_a": {"themes": t, "partners": []}, "coder_b": {"themes": t[:1], "partners": []}}
        for d, t in (("d1", ["training_capacity", "transnational_crime"]), ("d2", ["maritime_security"]),
                     ("d3", []), ("d4", []))])
    proc = ok(run("score", results, "--documents", codes, "--out", folder / "doc_scores", "--n-boot", 50))
    assert "model (micro)" in proc.stdout
    assert (folder / "doc_scores" / "tables" / "sets.csv").is_file()


def test_bad_input_gives_one_line(bare, tmp_path):
    folder, results = bare
    one_line_error(run("sample", tmp_path / "nothing", "--per-theme", 2, "--out", tmp_path / "o"),
                   "not a results folder")
    one_line_error(run("score", results, "--out", tmp_path / "o"), "give filled SHEETs or --documents")
    codes = write_jsonl(tmp_path / "codes.jsonl", [{"doc_id": "d1", "coder_a": {"themes": ["x"]},
                                                   "coder_b": {"themes": []}}])
    one_line_error(run("score", results, "--documents", codes, "--out", tmp_path / "o"),
                   "codes.jsonl: record 1 (coder_a, d1): unknown code 'x'")
    stray = write_csv(read_sheet(ROOT / "seeds" / "metadata.csv"), tmp_path / "stray.csv")
    one_line_error(run("score", results, stray, stray, "--out", tmp_path / "o"), "stray.csv: no item_id column")
