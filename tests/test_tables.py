"""Tests of the table builders and their CSV / LaTeX / Markdown formatting."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coopthemes.report.synthetic import synthetic_results
from coopthemes.schema import Breakdown, select_prevalence
from coopthemes.tables import (
    LATEX_PREAMBLE,
    corpus_summary_table,
    effects_table,
    format_interval,
    latex_escape,
    metadata_audit_table,
    prevalence_table,
    round_half_up,
    theme_overview_table,
    to_csv,
    to_latex,
    to_markdown,
    write_table,
)

CRIME = "Phòng chống tội phạm"
CYBER = "An ninh mạng"


# ---------------------------------------------------------------- values


def test_round_half_up_and_intervals():
    assert round_half_up(0.25, 1) == 0.3  # built-in round gives 0.2
    assert round_half_up(2.675, 2) == 2.68  # built-in round gives 2.67
    assert round_half_up(-0.125, 2) == -0.13
    assert np.isnan(round_half_up(pd.NA, 1))
    assert format_interval(8.14, 17.0) == "[8.1, 17.0]"
    assert format_interval(0.0005, 0.25, decimals=3) == "[0.001, 0.250]"
    assert format_interval(pd.NA, 3.0) is pd.NA


def test_latex_escape_every_special_character():
    assert latex_escape("& % $ # _ { } ~ ^ \\") == (
        r"\& \% \$ \# \_ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    assert latex_escape("phòng cháy chữa cháy – 100%") == r"phòng cháy chữa cháy – 100\%"


def test_a_breakdown_is_a_value_of_columns():
    assert Breakdown.parse("partner").columns == ("partner",)
    assert Breakdown.parse("partner+year").columns == ("partner", "year")
    both = Breakdown(("fiscal_year", "year"))
    assert both.name == "fiscal_year+year" and Breakdown.parse(both.name) == both
    assert Breakdown.parse("fiscal_year").columns == ("fiscal_year",)
    assert both.stem == "fiscal_year_year" and both.title == "fiscal year and year"
    with pytest.raises(ValueError, match="without"):
        Breakdown(("a+b",))
    with pytest.raises(ValueError, match="repeats"):
        Breakdown(("year", "year"))


# ---------------------------------------------------------------- formatting


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame({
        "theme": pd.array([CYBER, "Crime & drugs_1"], dtype="string"),
        "n": pd.array([3, 12], dtype="Int64"),
        "share_pct": [12.5, 3.0],
        "ci_95": pd.array(["[8.1, 17.0]", pd.NA], dtype="string"),
        "small_group": [True, False],
    })


def test_to_csv_exact(small):
    assert to_csv(small) == (
        "theme,n,share_pct,ci_95,small_group\n"
        'An ninh mạng,3,12.5,"[8.1, 17.0]",yes\n'
        "Crime & drugs_1,12,3.0,,no\n"
    )


def test_to_markdown_exact(small):
    assert to_markdown(small) == (
        "| Theme           |   n | Share (%) | 95% CI      | Small group |\n"
        "| --------------- | --: | --------: | ----------- | ----------- |\n"
        "| An ninh mạng    |   3 |      12.5 | [8.1, 17.0] | yes         |\n"
        "| Crime & drugs_1 |  12 |       3.0 |             | no          |\n"
    )


def test_to_markdown_escapes_pipes():
    df = pd.DataFrame({"title": ["a | b"]})
    assert to_markdown(df).splitlines()[2] == "| a \\| b |"


def test_to_latex_exact_booktabs(small):
    assert to_latex(small) == (
        "\\begin{tabular}{lrrll}\n"
        "\\toprule\n"
        "Theme & n & Share (\\%) & 95\\% CI & Small group \\\\\n"
        "\\midrule\n"
        "An ninh mạng & 3 & 12.5 & {}[8.1, 17.0] & yes \\\\\n"
        "Crime \\& drugs\\_1 & 12 & 3.0 &  & no \\\\\n"
        "\\bottomrule\n"
        "\\end{tabular}\n"
    )


def test_to_latex_caption_label_and_shielded_bracket():
    df = pd.DataFrame({"theme": ["[outlier]"], "n": [1]})
    text = to_latex(df, caption="Shares (%) by partner_year", label="tab:x", headers={"theme": "Chủ đề"})
    assert text.splitlines()[:4] == [
        "\\begin{table}[htbp]", "\\centering", "\\caption{Shares (\\%) by partner\\_year}", "\\label{tab:x}",
    ]
    assert "Chủ đề & n \\\\" in text
    assert "{}[outlier] & 1 \\\\" in text
    assert text.endswith("\\end{tabular}\n\\end{table}\n")


def test_float_columns_share_one_number_of_decimals():
    df = pd.DataFrame({"a": [0.5, 2.0, 0.125], "b": [1.0, 2.0, np.nan]})
    assert to_csv(df) == "a,b\n0.500,1.0\n2.000,2.0\n0.125,\n"


# ---------------------------------------------------------------- builders


def _prev_row(breakdown, theme, n, n_group, low, high, *, partner=pd.NA, year=pd.NA, small=False, unit="document"):
    return {"unit": unit, "partner": partner, "year": year, "theme": theme, "n": n, "n_group": n_group,
            "share": n / n_group, "ci_low": low, "ci_high": high, "small_group": small, "breakdown": breakdown}


@pytest.fixture
def prevalence() -> pd.DataFrame:
    rows = [
        _prev_row("partner", CRIME, 3, 12, 0.1, 0.5, partner="Japan"),
        _prev_row("partner", CYBER, 9, 12, 0.5, 1.0, partner="Japan"),
        _prev_row("partner", CRIME, 1, 8, 0.0125, 0.4, partner="France", small=True),
        _prev_row("partner", CYBER, 1, 3, 0.02, 0.8, partner="France", small=True),
        _prev_row("partner", CYBER, 5, 40, 0.05, 0.2, partner="Japan", unit="passage"),
        _prev_row("year", CRIME, 1, 8, 0.02, 0.4, year=2021),
        _prev_row("year", CRIME, 2, 8, 0.05, 0.6, year=2020),
        _prev_row("partner+year", CRIME, 1, 2, 0.0, 1.0, partner="Japan", year=2020),
    ]
    return pd.DataFrame(rows).astype({"partner": "string", "year": "Int64"})


def test_prevalence_table_by_partner_exact(prevalence):
    table = prevalence_table(prevalence, by="partner", unit="document")
    assert list(table.columns) == ["theme", "partner", "n", "n_group", "share_pct", "ci_95", "small_group"]
    assert table.to_dict("list") == {
        "theme": [CYBER, CYBER, CRIME, CRIME],
        "partner": ["France", "Japan", "France", "Japan"],
        "n": [1, 9, 1, 3],
        "n_group": [3, 12, 8, 12],
        "share_pct": [33.3, 75.0, 12.5, 25.0],
        "ci_95": ["[2.0, 80.0]", "[50.0, 100.0]", "[1.3, 40.0]", "[10.0, 50.0]"],
        "small_group": [True, False, True, False],
    }


def test_prevalence_table_by_year_and_partner_year(prevalence):
    by_year = prevalence_table(prevalence, by="year")
    assert by_year["year"].tolist() == [2020, 2021]
    assert by_year["share_pct"].tolist() == [25.0, 12.5]
    both = prevalence_table(prevalence, by="partner+year")
    assert list(both.columns[:3]) == ["theme", "partner", "year"]
    assert both[["partner", "year", "share_pct"]].values.tolist() == [["Japan", 2020, 50.0]]


def test_prevalence_table_orders_numbered_themes_as_numbers(prevalence):
    one = prevalence[(prevalence["breakdown"] == "partner") & (prevalence["unit"] == "document")].head(1)
    labels = ["D10: dịch", "D2: phim", "D1: trường", "Cybercrime"]
    many = pd.concat([one.assign(theme=label) for label in labels], ignore_index=True)
    table = prevalence_table(many, by="partner")
    assert table["theme"].tolist() == ["Cybercrime", "D1: trường", "D2: phim", "D10: dịch"]


def test_select_prevalence_by_breakdown(prevalence):
    rows = select_prevalence(prevalence, unit="document", breakdown=Breakdown(("year",)))
    assert sorted(rows["year"].tolist()) == [2020, 2021]
    with pytest.raises(ValueError, match="no rows with unit='passage' and breakdown 'year'"):
        prevalence_table(prevalence, by="year", unit="passage")


def _terms(words: dict) -> pd.DataFrame:
    rows = [{"theme_id": t, "language": lang, "rank": r, "term": w, "weight": 1.0 / r}
            for (t, lang), ws in words.items() for r, w in enumerate(ws, start=1)]
    return pd.DataFrame(rows)


def test_theme_overview_table(tmp_path):
    themes = pd.DataFrame({
        "theme_id": [2, 0],
        "theme": ["D2: ma tuý, drogue", "Transnational crime"],
        "codebook_id": pd.array([pd.NA, "transnational_crime"], dtype="string"),
        "size": [7, 40],
        "language_mix": ['{"vi": 1.0}', '{"en": 0.5, "vi": 0.5}'],
        "representative_passages": [["vi-1:000", "vi-1:001", "vi-2:000", "vi-3:000"], ["en-1:002"]],
    })
    terms = _terms({(2, "vi"): ["ma tuý", "biên giới", "heroin"], (0, "vi"): ["tội phạm", "rửa tiền"],
                    (2, "fr"): ["drogue"], (0, "fr"): ["criminalité", "blanchiment"], (0, "en"): ["crime"]})
    table = theme_overview_table(themes, terms, languages=["vi", "fr", "en"], n_terms=2)
    assert table["codebook_id"].fillna("-").tolist() == ["transnational_crime", "-"]
    assert table.drop(columns="codebook_id").to_dict("list") == {
        "theme_id": [0, 2],
        "theme": ["Transnational crime", "D2: ma tuý, drogue"],
        "size": [40, 7],
        "top_terms_vi": ["tội phạm, rửa tiền", "ma tuý, biên giới"],
        "top_terms_fr": ["criminalité, blanchiment", "drogue"],
        "top_terms_en": ["crime", ""],
        "representative_passages": ["en-1:002", "vi-1:000; vi-1:001; vi-2:000"],
    }
    # any set of languages: the columns follow the terms table, most terms first
    german = _terms({(0, "de"): ["Polizei", "Ausbildung"], (0, "en"): ["police"], (2, "de"): ["Grenze"]})
    table = theme_overview_table(themes, german, n_terms=2)
    assert [c for c in table.columns if c.startswith("top_terms_")] == ["top_terms_de", "top_terms_en"]
    assert table["top_terms_de"].tolist() == ["Polizei, Ausbildung", "Grenze"]
    assert "Top terms (German)" in to_markdown(table)


def _documents() -> pd.DataFrame:
    rows = [
        ("a", "vi", 2020, ["Japan"], "ok", pd.NA),
        ("b", "vi", pd.NA, ["Japan", "France"], "ok", pd.NA),
        ("c", "fr", 2021, [], "ok", pd.NA),
        ("d", "en", 2020, ["France"], "empty", "no text left"),
        ("e", "en", pd.NA, [], "error", "could not decode file"),
    ]
    docs = pd.DataFrame(rows, columns=["doc_id", "language", "year", "partners", "status", "reason"])
    docs = docs.assign(
        source_path=[f"corpus/{d}.txt" for d in docs["doc_id"]], sha256=["0" * 64] * 5,
        title=["Bộ Công an tiếp Nhật Bản", "Tội phạm", "Coopération", "Meeting", "Broken"],
        date=pd.NA, outlet="TTXVN", n_passages=[2, 2, 1, 0, 0],
        year_source=["header", "none", "text", "sidecar", "none"],
        partner_source=["text", "text", "none", "text", "none"],
    )
    return docs.astype({"year": "Int64", "reason": "string"})


def _passages() -> pd.DataFrame:
    return pd.DataFrame({
        "passage_id": ["a:000", "a:001", "b:000", "b:001", "c:000"],
        "doc_id": ["a", "a", "b", "b", "c"], "position": [0, 1, 0, 1, 0],
        "text": ["x", "Ảnh: TTXVN", "y", "Xem thêm", "Photo"], "language": ["vi", "vi", "vi", "vi", "fr"],
        "partners": [["Japan"]] * 2 + [["Japan", "France"]] * 2 + [[]],
        "year": pd.array([2020, 2020, pd.NA, pd.NA, 2021], dtype="Int64"),
        "kept": [True, False, True, False, False],
        "drop_reason": pd.array([pd.NA, "caption", pd.NA, "boilerplate", "caption"], dtype="string"),
    })


def test_corpus_summary_table_exact():
    table = corpus_summary_table(_documents(), _passages())
    assert table.values.tolist() == [
        ["documents by status", "empty", 1],
        ["documents by status", "error", 1],
        ["documents by status", "ok", 3],
        ["documents by language", "fr", 1],
        ["documents by language", "vi", 2],
        ["documents by partner", "France", 1],
        ["documents by partner", "Japan", 2],
        ["documents by partner", "none", 1],
        ["documents by year", "2020", 1],
        ["documents by year", "2021", 1],
        ["documents by year", "unknown", 1],
        ["passages", "kept", 2],
        ["passages", "dropped", 3],
        ["passages dropped by reason", "boilerplate", 1],
        ["passages dropped by reason", "caption", 2],
    ]


def test_metadata_audit_table_exact():
    table = metadata_audit_table(_documents())
    assert list(table.columns) == ["doc_id", "title", "missing", "year_source", "partner_source", "status", "reason"]
    assert table.fillna("<NA>").values.tolist() == [
        ["b", "Tội phạm", "year", "none", "text", "ok", "<NA>"],
        ["c", "Coopération", "partner", "text", "none", "ok", "<NA>"],
        ["e", "Broken", "year, partner", "none", "none", "error", "could not decode file"],
    ]


def test_builders_reject_broken_tables():
    with pytest.raises(ValueError, match="documents: missing column"):
        metadata_audit_table(_documents().drop(columns="partner_source"))
    with pytest.raises(ValueError, match="effects: missing column"):
        effects_table(pd.DataFrame({"theme": ["x"]}))


def test_effects_table_rounding_and_order():
    effects = pd.DataFrame({
        "theme": [CYBER, CYBER, CYBER, CRIME],
        "quantity": ["expected_share", "coefficient", "coefficient", "skipped"],
        "term": pd.array(["partner=Japan", "partner=Japan", "Intercept", pd.NA], dtype="string"),
        "estimate": [0.12345, 0.0005, -1.0, np.nan],
        "std_error": [0.01, 0.2, 0.3, np.nan],
        "ci_low": [0.1, -0.3915, -1.588, np.nan],
        "ci_high": [0.15, 0.3925, -0.412, np.nan],
        "p_value": [np.nan, 0.00005, 0.0009, np.nan],
        "n_documents": [40, 40, 40, 3],
        "note": pd.array([pd.NA, pd.NA, pd.NA, "theme is in no document"], dtype="string"),
    })
    table = effects_table(effects)
    assert table["theme"].tolist() == [CYBER, CYBER, CYBER, CRIME]
    assert table["quantity"].tolist() == ["coefficient", "coefficient", "expected_share", "skipped"]
    assert table["term"].fillna("-").tolist() == ["Intercept", "partner=Japan", "partner=Japan", "-"]
    cyber = table[table["theme"] == CYBER]
    assert cyber["estimate"].tolist() == [-1.0, 0.001, 0.123]
    assert cyber["ci_95"].tolist() == ["[-1.588, -0.412]", "[-0.392, 0.393]", "[0.100, 0.150]"]
    assert cyber["p_value"].tolist()[:2] == [0.0009, 0.0001]
    assert to_csv(table).splitlines()[4] == f"{CRIME},skipped,,,,,,3,theme is in no document"


# ---------------------------------------------------------------- files


def test_write_table_files_are_deterministic(tmp_path, small):
    paths = write_table(small, "shares", tmp_path / "a", caption="Shares")
    assert [p.name for p in paths] == ["shares.csv", "shares.tex", "shares.md"]
    again = write_table(small, "shares", tmp_path / "b", caption="Shares")
    for first, second in zip(paths, again):
        assert first.read_bytes() == second.read_bytes()
        assert b"\r" not in first.read_bytes()
    assert paths[0].read_text(encoding="utf-8") == to_csv(small)
    assert paths[2].read_text(encoding="utf-8") == to_markdown(small)
    assert "\\label{tab:shares}" in paths[1].read_text(encoding="utf-8")
    assert "An ninh mạng".encode() in paths[1].read_bytes()


def test_write_table_sort_and_bad_stem(tmp_path, small):
    path = write_table(small, "sorted", tmp_path, sort_by=["n"])[0]
    assert path.read_text(encoding="utf-8").splitlines()[1].startswith("An ninh mạng,3")
    path = write_table(small.iloc[::-1], "sorted", tmp_path, sort_by=["theme"])[0]
    assert path.read_text(encoding="utf-8").splitlines()[1].startswith("An ninh mạng,3")
    with pytest.raises(ValueError, match="plain file name"):
        write_table(small, "../x", tmp_path)


# ---------------------------------------------------------------- LaTeX compilation


def _all_tables() -> dict[str, pd.DataFrame]:
    results = synthetic_results(seed=1, n_documents=40)
    prev = results["prevalence"]
    specials = pd.DataFrame({"text": ["[x] & % $ # _ { } ~ ^ \\", "phòng cháy chữa cháy – ça, Noël, œuvre"]})
    return {
        "theme_overview": theme_overview_table(results["themes"], results["terms"]),
        "prevalence_partner": prevalence_table(prev, by="partner"),
        "prevalence_year": prevalence_table(prev, by="year", unit="passage"),
        "corpus_summary": corpus_summary_table(results["documents"], results["passages"]),
        "metadata_audit": metadata_audit_table(results["documents"]),
        "effects": effects_table(results["effects"]),
        "specials": specials,
    }


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex not on PATH (apt-get install texlive-latex-base "
                           "texlive-latex-recommended texlive-lang-other)")
@pytest.mark.parametrize("name", sorted(_all_tables()))
def test_generated_latex_compiles(tmp_path, name):
    table = _all_tables()[name]
    tex = write_table(table, name, tmp_path, caption=f"Table {name}")[1]
    document = tmp_path / "doc.tex"
    document.write_text(
        "\\documentclass{article}\n" + LATEX_PREAMBLE
        + f"\\begin{{document}}\n\\input{{{tex.name}}}\n\\end{{document}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", document.name],
        cwd=tmp_path, capture_output=True, timeout=120, check=False,
    )
    log = (tmp_path / "doc.log").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, log[-3000:]
    assert "Missing character" not in log
    assert Path(tmp_path / "doc.pdf").stat().st_size > 1000
