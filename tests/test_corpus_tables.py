"""Table inputs (CSV, JSONL, Parquet) and duplicate detection across documents."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coopthemes.config import CorpusConfig
from coopthemes.corpus import load_corpus

STORY = (
    "Vietnam, Japan agree to boost cooperation against cybercrime\n"
    "Hanoi (VNA) – Minister of Public Security To Lam held talks with the Commissioner General "
    "of Japan's National Police Agency in Hanoi on March 6, 2023, agreeing to step up the "
    "exchange of information on cybercrime and drug trafficking.\n"
    "The two sides will also expand training for Vietnamese police officers in Japan and "
    "cooperate in protecting Japanese citizens and businesses in Vietnam./.\n"
    "Related news\n"
    "Vietnam and Laos review border security cooperation\n"
)
REPUBLISHED = STORY.replace("step up the", "strengthen the").replace(
    "Related news\nVietnam and Laos review border security cooperation\n", "Theo TTXVN\n"
)
FRENCH = (
    "Le Vietnam et la France renforcent leur coopération\n"
    "Le ministre de la Sécurité publique a reçu le 6 mars 2023 à Hanoï une délégation du "
    "ministère français de l'Intérieur pour discuter de la lutte contre la criminalité.\n"
)
VIETNAMESE = (
    "Việt Nam - Trung Quốc tăng cường hợp tác phòng chống tội phạm\n"
    "Ngày 17 tháng 9 năm 2021, Bộ trưởng Bộ Công an đã hội đàm trực tuyến với Bí thư Ủy ban "
    "Chính trị - Pháp luật Trung ương Đảng Cộng sản Trung Quốc về hợp tác an ninh.\n"
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "article_id": ["b-story", "a-story", "c-fr", "d-vi", "e-empty"],
            "body": [REPUBLISHED, STORY, FRENCH, VIETNAMESE, ""],
            "lang": ["en", "en", "fr", "vi", "en"],
            "published": ["20230307", "2023-03-06", None, "17/09/2021", "2022"],
            "country": [None, None, "France; Japon", None, None],
            "label": ["wire", "wire", "diplomacy", "police", "none"],
        }
    )


COLUMNS = dict(
    text_column="body", id_column="article_id", language_column="lang",
    date_column="published", partner_column="country", extra_columns=("label",),
)  # fmt: skip


def _write(frame: pd.DataFrame, path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for record in frame.to_dict(orient="records"):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        frame.to_parquet(path, index=False)


@pytest.fixture(scope="module", params=[".csv", ".jsonl", ".parquet"])
def loaded(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("table") / f"articles{request.param}"
    _write(_frame(), path)
    documents, passages = load_corpus(path, **COLUMNS)
    return documents.set_index("doc_id"), passages


def test_long_table_with_custom_columns(loaded):
    documents, _ = loaded
    assert list(documents.index) == ["a-story", "b-story", "c-fr", "d-vi", "e-empty"]
    assert documents["language"].tolist() == ["en", "en", "fr", "vi", "en"]
    assert documents["date"].astype(object).where(documents["date"].notna(), None).tolist() == [
        "2023-03-06", "2023-03-07", "2023-03-06", "2021-09-17", None,
    ]  # fmt: skip
    assert documents.loc["c-fr", "year_source"] == "text"
    assert documents.loc["c-fr", "year"] == 2023
    assert documents.loc["a-story", "year_source"] == "sidecar"
    assert [list(p) for p in documents["partners"]] == [
        ["Japan"],
        ["Japan"],
        ["France", "Japan"],
        ["China"],
        [],
    ]
    assert documents["partner_source"].tolist() == ["text", "text", "sidecar", "text", "none"]
    assert documents["label"].tolist() == ["wire", "wire", "diplomacy", "police", "none"]
    assert list(documents.columns)[-1] == "label"


def test_empty_text_cell(loaded):
    doc = loaded[0].loc["e-empty"]
    assert (doc["status"], doc["reason"], doc["n_passages"]) == ("empty", "no text in column 'body'", 0)
    assert doc["year"] == 2022


def test_republished_story_is_flagged_on_the_later_doc_id(loaded):
    documents, passages = loaded
    story = passages[passages["doc_id"] == "b-story"].set_index("position")
    assert story.loc[0, "drop_reason"] == "duplicate"
    assert story.loc[1, "drop_reason"] == "near_duplicate"
    assert story.loc[2, "drop_reason"] == "duplicate"
    first = passages[passages["doc_id"] == "a-story"]
    assert first["kept"].tolist() == [True, True, True, False, False]
    assert documents.loc["b-story", "n_passages"] == 0
    assert documents.loc["b-story", "status"] == "ok"
    assert documents.loc["b-story", "reason"].startswith("every passage repeats an earlier document")
    assert documents.loc["b-story", "outlet"] == "VNA"


def test_threshold_is_configurable(tmp_path):
    path = tmp_path / "t.csv"
    _write(_frame(), path)
    strict = CorpusConfig(near_duplicate_threshold=0.99, **COLUMNS)
    _, passages = load_corpus(path, config=strict)
    story = passages[passages["doc_id"] == "b-story"].set_index("position")
    assert story.loc[1, "kept"] and pd.isna(story.loc[1, "drop_reason"])


def test_row_ids_without_id_column(tmp_path):
    path = tmp_path / "plain.csv"
    pd.DataFrame({"text": [FRENCH, VIETNAMESE, STORY]}).to_csv(path, index=False)
    documents, passages = load_corpus(path)
    assert documents["doc_id"].tolist() == ["row00000", "row00001", "row00002"]
    assert documents["source_path"].tolist() == ["plain.csv#0", "plain.csv#1", "plain.csv#2"]
    assert passages["passage_id"].iloc[0] == "row00000:000"


def test_missing_column_is_a_clear_error(tmp_path):
    path = tmp_path / "plain.csv"
    pd.DataFrame({"content": [FRENCH]}).to_csv(path, index=False)
    with pytest.raises(ValueError, match=r"plain.csv: no column\(s\) 'text' \(columns: content\)"):
        load_corpus(path)


def test_bad_jsonl_line_is_reported(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps({"text": FRENCH}) + "\n{not json\n" + json.dumps({"text": STORY}) + "\n")
    documents = load_corpus(path)[0].set_index("doc_id")
    assert documents.loc["row00000", "status"] == "ok"
    assert documents.loc["row00001", "status"] == "ok"
    bad = documents.loc["x.jsonl:bad001"]
    assert bad["status"] == "error"
    assert bad["reason"].startswith("x.jsonl: line 2 is not valid JSON")
