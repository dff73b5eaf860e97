"""Document codes (themes and partners per article) against the model, with values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coopthemes.results import read_results
from coopthemes.validation import (
    CodeReader,
    ValidationError,
    codebook_for,
    document_labels,
    draw_sample,
    read_document_codes,
    score_document_codes,
    score_sheets,
    theme_choices,
    write_csv,
    write_sample,
)
from test_validation_score import hand_kappa
from validation_helpers import write_hand_results, write_jsonl

TC, TR, HLD, MA = "transnational_crime", "training_capacity", "high_level_dialogue", "maritime_security"
DOCS = ["d1", "d2", "d3", "d4"]
#: doc -> coder -> (themes, partners)
CODES = {
    "d1": {"coder_a": ([TR, HLD], ["Japan"]), "coder_b": ([TR], ["Nhật Bản"])},
    "d2": {"coder_a": ([MA], ["France"]), "coder_b": ([MA], ["France", "Japan"])},
    "d3": {"coder_a": ([TR], []), "coder_b": ([TR, MA], [])},
    "d4": {"coder_a": ([], ["Laos"]), "coder_b": ([], ["Lào"])},
}


def _nested_records():
    return [{"doc_id": d, "text": "not read",
             **{c: {"themes": t, "partners": p, "multilateral": [], "other": ""} for c, (t, p) in by.items()}}
            for d, by in CODES.items()]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    result = read_results(write_hand_results(folder / "results"))
    codes = write_jsonl(folder / "codes.jsonl", _nested_records())
    return folder, result, codes


def test_model_document_themes_follow_the_passage_rule(setup):
    _, result, _ = setup
    labels = document_labels(result).set_index("doc_id")
    assert labels.loc["d1", "model_codes"] == sorted([TC, TR])  # one kept passage of a theme is enough
    assert labels.loc["d2", "model_codes"] == [MA]
    assert labels.loc["d3", "model_codes"] == []  # a discovered theme has no codebook id
    assert labels.loc["d4", "model_codes"] == [] and labels.loc["d4", "n_kept"] == 0
    assert labels.loc["d1", "dominant_code"] in (TC, TR)


def test_document_scores_equal_hand_computed_values(setup):
    _, result, codes = setup
    scores = score_document_codes(result, codes, n_boot=300, seed=0)
    assert scores.kind == "document" and scores.info["coders"] == ["coder_a", "coder_b"]
    by_theme = scores["agreement_by_theme"].set_index("theme")
    assert list(by_theme.index) == [TC, TR, HLD, MA]  # codebook order; TC only predicted
    assert math.isnan(by_theme.loc[TC, "kappa"])  # no coder used it: undefined
    assert by_theme.loc[TR, "kappa"] == pytest.approx(1.0)
    assert by_theme.loc[HLD, "kappa"] == pytest.approx(0.0)  # po 3/4 = pe 3/4
    assert by_theme.loc[MA, "kappa"] == pytest.approx(0.5)  # po 3/4, pe 1/2
    for theme in (TR, HLD, MA):
        a = [theme in CODES[d]["coder_a"][0] for d in DOCS]
        b = [theme in CODES[d]["coder_b"][0] for d in DOCS]
        assert by_theme.loc[theme, "kappa"] == pytest.approx(hand_kappa(a, b))
    assert by_theme.loc[HLD, "ties"] == 1 and by_theme.loc[MA, "ties"] == 1
    pooled_a = [t in CODES[d]["coder_a"][0] for t in (TR, HLD, MA) for d in DOCS]
    pooled_b = [t in CODES[d]["coder_b"][0] for t in (TR, HLD, MA) for d in DOCS]
    overall = scores["agreement"].set_index("measure")["value"]
    assert overall["cohen_kappa"] == pytest.approx(hand_kappa(pooled_a, pooled_b))
    model = scores["model_scores"].set_index("theme")
    # TC: predicted for d1, which both coders left without it -> precision 0/1, recall undefined
    assert model.loc[TC, "precision"] == 0.0 and math.isnan(model.loc[TC, "recall"])
    # TR: agreed on d1 and d3, the model has it for d1 only
    assert model.loc[TR, ["precision", "recall"]].tolist() == pytest.approx([1.0, 0.5])
    # MA: d3 is a tie (left out); agreed on d2, which the model has
    assert model.loc[MA, ["precision", "recall", "n_scored"]].tolist() == pytest.approx([1.0, 1.0, 3])
    assert model.loc["micro", ["tp", "fp", "fn"]].tolist() == [2, 1, 1]
    assert model.loc["micro", ["precision", "recall"]].tolist() == pytest.approx([2 / 3, 2 / 3])
    sets = scores["sets"].set_index("measure")
    assert sets.loc["coders_partners_equal", ["hits", "n"]].tolist() == [3, 4]  # d2 differs; Nhật Bản = Japan
    assert sets.loc["model_partners_exact", ["hits", "n"]].tolist() == [2, 3]  # d4: Laos missed
    assert sets.loc["model_partners_exact", "value"] == pytest.approx(2 / 3)
    assert sets.loc["model_partners_recall", "value"] == pytest.approx(1 / 2)
    assert sets.loc["model_partners_precision", "value"] == pytest.approx(1.0)
    consensus = scores["consensus"].set_index("doc_id")
    assert consensus.loc["d3", "consensus"] == TR and consensus.loc["d3", "ties"] == MA


def test_the_long_table_layout_gives_the_same_scores(setup, tmp_path):
    _, result, codes = setup
    rows = [{"doc_id": d, "coder": c, "themes": "; ".join(t), "partners": ";".join(p)}
            for d, by in CODES.items() for c, (t, p) in by.items()]
    long = tmp_path / "codes.csv"
    write_csv(pd.DataFrame(rows), long)
    first = score_document_codes(result, codes, n_boot=100, seed=1)
    second = score_document_codes(result, long, n_boot=100, seed=1)
    for name in ("agreement", "agreement_by_theme", "model_scores", "sets"):
        pd.testing.assert_frame_equal(first[name].drop(columns=["compared"], errors="ignore"),
                                      second[name].drop(columns=["compared"], errors="ignore"))


def _reader(result):
    return CodeReader(theme_choices(codebook_for(result)))


def test_bad_document_codes_name_the_file_and_record(setup, tmp_path):
    _, result, _ = setup
    records = _nested_records()
    records[1]["coder_b"]["themes"] = ["sea stuff"]
    bad = write_jsonl(tmp_path / "unknown.jsonl", records)
    with pytest.raises(ValidationError, match=r"unknown.jsonl: record 2 \(coder_b, d2\): unknown code 'sea stuff'"):
        read_document_codes(bad, _reader(result))
    records = _nested_records()
    del records[2]["coder_b"]
    lacking = write_jsonl(tmp_path / "lacking.jsonl", records)
    with pytest.raises(ValidationError, match="lacking.jsonl: document d3 is not coded by coder_b"):
        read_document_codes(lacking, _reader(result))
    records = [{"doc_id": "d1", "coder_a": {"themes": []}}]
    single = write_jsonl(tmp_path / "single.jsonl", records)
    with pytest.raises(ValidationError, match="single.jsonl: codes of 1 coder"):
        read_document_codes(single, _reader(result))
    records = _nested_records() + [{"doc_id": "d9", "coder_a": {"themes": []}, "coder_b": {"themes": []}}]
    stranger = write_jsonl(tmp_path / "stranger.jsonl", records)
    with pytest.raises(ValidationError, match=r"1 coded document\(s\) not in the results .* \(first: d9\)"):
        score_document_codes(result, stranger)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"doc_id": "d1"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="broken.jsonl: line 1 is not JSON"):
        read_document_codes(broken, _reader(result))
    table = tmp_path / "table.csv"
    write_csv(pd.DataFrame({"doc_id": ["d1"], "themes": [TR]}), table)
    with pytest.raises(ValidationError, match="table.csv: missing column\\(s\\) coder"):
        read_document_codes(table, _reader(result))


def test_a_document_sample_is_coded_and_scored_like_document_codes(setup, tmp_path):
    _, result, _ = setup
    sample = draw_sample(result, unit="document", per_theme=5, by_partner=True, seed=0)
    assert list(sample.sheet.columns) == ["item_id", "doc_id", "language", "title", "text", "code", "partners",
                                          "note"]
    assert sorted(sample.sheet["doc_id"]) == ["d1", "d2", "d3"]  # d4 has no article text
    write_sample(sample, tmp_path / "s", result=result)
    paths = []
    for coder in ("coder_a", "coder_b"):
        sheet = sample.sheet.copy()
        sheet["code"] = ["; ".join(CODES[d][coder][0]) or "none" for d in sheet["doc_id"]]
        sheet["partners"] = [";".join(CODES[d][coder][1]) for d in sheet["doc_id"]]
        paths.append(write_csv(sheet, tmp_path / "s" / f"{coder}.csv"))
    scores = score_sheets(result, paths, n_boot=100)
    assert scores.kind == "document"
    by_theme = scores["agreement_by_theme"].set_index("theme")
    assert by_theme.loc[MA, "kappa"] == pytest.approx(hand_kappa([False, True, False], [False, True, True]))
    assert "sets" in scores.tables
    assert np.isclose(scores["model_scores"].set_index("theme").loc[TR, "recall"], 0.5)
