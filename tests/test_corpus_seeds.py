"""Acceptance tests of the corpus stage on the five founding seed documents."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from coopthemes.corpus import load_corpus, summarize_corpus
from coopthemes.schema import DOCUMENT_COLUMNS, PASSAGE_COLUMNS

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
IDS = {
    "000": "000_5ac79f1f7dd44828",
    "001": "001_f33040eb272a2e59",
    "002": "002_a291edcfddda7e59",
    "003": "003_8394bbce6724e067",
    "004": "004_a4934a66a2df4270",
}


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """The seeds loaded without ``metadata.csv``."""
    folder = tmp_path_factory.mktemp("seeds_bare")
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, folder / path.name)
    return load_corpus(folder)


@pytest.fixture(scope="module")
def with_sidecar():
    """The seeds loaded from ``seeds/`` with its ``metadata.csv``."""
    return load_corpus(SEEDS)


def _doc(documents: pd.DataFrame, key: str) -> pd.Series:
    return documents.set_index("doc_id").loc[IDS[key]]


def _kept_text(passages: pd.DataFrame, key: str) -> str:
    kept = passages[(passages["doc_id"] == IDS[key]) & passages["kept"]]
    return "\n".join(kept["text"])


def test_tables_follow_the_contract(bare):
    documents, passages = bare
    assert list(documents.columns) == list(DOCUMENT_COLUMNS)
    assert list(passages.columns) == list(PASSAGE_COLUMNS)
    assert list(documents["doc_id"]) == sorted(IDS.values())
    assert list(passages["passage_id"]) == sorted(passages["passage_id"])
    assert str(documents["year"].dtype) == "Int64"
    assert (documents["status"] == "ok").all()


@pytest.mark.parametrize(
    ("key", "language", "partners", "year", "year_source"),
    [
        ("000", "fr", ["Japan"], 2023, "header"),
        ("001", "vi", ["Japan"], 2023, "header"),
        ("002", "fr", ["Japan"], None, "none"),
        ("003", "en", ["France"], None, "none"),
        ("004", "en", ["China"], 2021, "text"),
    ],
)
def test_language_partner_year_without_sidecar(bare, key, language, partners, year, year_source):
    doc = _doc(bare[0], key)
    assert doc["language"] == language
    assert list(doc["partners"]) == partners
    assert doc["partner_source"] == "text"
    assert doc["year_source"] == year_source
    if year is None:
        assert pd.isna(doc["year"]) and pd.isna(doc["date"])
    else:
        assert doc["year"] == year


def test_dates_without_sidecar(bare):
    documents = bare[0].set_index("doc_id")["date"]
    assert documents[IDS["000"]] == "2023-03"
    assert documents[IDS["001"]] == "2023-04"
    assert documents[IDS["004"]] == "2021-09-17"


@pytest.mark.parametrize(
    ("key", "year", "source", "date"),
    [
        ("000", 2023, "header", "2023-03"),
        ("001", 2023, "header", "2023-04"),
        ("002", 2020, "sidecar", "2020-01-09"),
        ("003", 2021, "sidecar", "2021-11-04"),
        ("004", 2021, "text", "2021-09-17"),
    ],
)
def test_years_with_sidecar(with_sidecar, key, year, source, date):
    doc = _doc(with_sidecar[0], key)
    assert (doc["year"], doc["year_source"], doc["date"]) == (year, source, date)


def test_passage_year_and_partners_copy_the_document(with_sidecar):
    documents, passages = with_sidecar
    merged = passages.merge(documents[["doc_id", "year", "partners"]], on="doc_id", suffixes=("", "_doc"))
    assert (merged["year"] == merged["year_doc"]).all()
    assert all(list(a) == list(b) for a, b in zip(merged["partners"], merged["partners_doc"]))


@pytest.mark.parametrize(
    ("key", "phrase"),
    [
        ("000", "cybercriminalité"),
        ("000", "japonaises"),
        ("000", "les entreprises japonaises d’investir au Vietnam."),
        ("000", "le secrétaire général du Secrétariat de la sécurité nationale (NSS) du Japon, Akiba Takeo"),
        ("000", "dans la prévention et la lutte contre la criminalité."),
        ("001", "JICA"),
        ("002", "gouvernance électronique"),
        ("003", "search and rescue"),
        ("003", "with French Minister"),
        ("003", "Gérald Darmanin on November 4"),
        ("003", "Chinh’s official visit"),
        ("003", "To Lam’s visit"),
        ("004", "transfer of sentenced persons"),
    ],
)
def test_kept_passages_contain(bare, key, phrase):
    assert phrase in _kept_text(bare[1], key)


@pytest.mark.parametrize(
    "furniture",
    [
        "Cambodge-Vietnam-Laos",
        "14e Congrès",
        "Law on Product and Goods Quality",
        "Fortune Southeast Asia 500",
        "Israel or Iran",
        "Indonesia",
        "Neak Chandarith",
        "Ảnh: TTXVN",
        "Photo: VNA",
        " -0",
        "./.",
        "VNA/VI",
        "Voir plus",
        "PSNews",
        "Thứ Sáu, 17/09/2021",
        "ảnh 1",
        "date 2023",
    ],
)
def test_no_kept_passage_contains_furniture(bare, furniture):
    kept = bare[1][bare[1]["kept"]]
    assert not kept["text"].str.contains(furniture, regex=False).any()


def test_drop_reasons_on_seed_004(bare):
    passages = bare[1]
    doc = passages[passages["doc_id"] == IDS["004"]].set_index("position")
    assert doc.loc[1, "text"] == "Thứ Sáu, 17/09/2021, 20:23"
    assert doc.loc[1, "drop_reason"] == "boilerplate"
    repeated = doc[doc["drop_reason"] == "repeated_title"]["text"]
    assert list(repeated) == ["Vietnam, China boost cooperation in crime combat -0"] * 3
    captions = list(doc[doc["drop_reason"] == "caption"]["text"])
    assert captions[0] == "Minister To Lam speaks at the event."
    assert captions[2] == "Overview of the online talk in Hanoi."
    assert doc.iloc[-1]["text"] == "PSNews" and doc.iloc[-1]["drop_reason"] == "boilerplate"


def test_everything_after_an_end_mark_is_boilerplate(bare):
    passages = bare[1]
    doc = passages[passages["doc_id"] == IDS["002"]].reset_index(drop=True)
    cut = doc.index[doc["text"] == "Voir plus"][0]
    assert (doc.loc[cut:, "drop_reason"] == "boilerplate").all()
    assert doc.loc[cut - 1, "text"].endswith("à l’intention du gouvernement.")
    assert doc.loc[cut - 1, "kept"]
    doc3 = passages[passages["doc_id"] == IDS["003"]].reset_index(drop=True)
    last = doc3.index[doc3["kept"]].max()
    assert doc3.loc[last, "text"].endswith("the capacity of firefighting and search and rescue for Vietnam.")
    assert len(doc3) - last - 1 == 21
    assert (doc3.loc[last + 1 :, "drop_reason"] == "boilerplate").all()


def test_titles_outlets_hashes_and_counts(bare):
    documents = bare[0].set_index("doc_id")
    assert pd.isna(documents.loc[IDS["000"], "title"]) and pd.isna(documents.loc[IDS["001"], "title"])
    assert documents.loc[IDS["003"], "title"] == "Vietnam, France beef up security, anti-crime cooperation"
    outlets = documents["outlet"].astype(object).where(documents["outlet"].notna(), None)
    assert outlets.to_dict() == {
        IDS["000"]: "VNA",
        IDS["001"]: None,
        IDS["002"]: "VNA",
        IDS["003"]: "VNA",
        IDS["004"]: "PSNews",
    }
    for key, doc_id in IDS.items():
        raw = (SEEDS / f"{doc_id}.txt").read_bytes()
        assert documents.loc[doc_id, "sha256"] == hashlib.sha256(raw).hexdigest()
        assert documents.loc[doc_id, "source_path"] == f"{doc_id}.txt"
    kept = bare[1].groupby("doc_id")["kept"].sum()
    assert (documents["n_passages"] == kept.reindex(documents.index)).all()


def test_passage_ids_are_stable_across_loads(bare, tmp_path):
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, tmp_path / path.name)
    again_docs, again_passages = load_corpus(tmp_path)
    pd.testing.assert_frame_equal(again_passages, bare[1])
    pd.testing.assert_frame_equal(again_docs, bare[0])
    first = bare[1]
    assert first["passage_id"].iloc[0] == f"{IDS['000']}:000"
    assert (first["passage_id"] == first["doc_id"] + ":" + first["position"].map("{:03d}".format)).all()


def test_seed_files_are_unchanged():
    expected = {
        "000_5ac79f1f7dd44828.txt": "4fcb029c597457e710cc9e988dd753bf3cf74a0e102fa71a1898ac5247e0fe88",
        "004_a4934a66a2df4270.txt": "a9ae8d787e478cad28ed508d2defd323bce9f33c89acd2b65adce7f3660d4240",
    }
    for name, digest in expected.items():
        assert hashlib.sha256((SEEDS / name).read_bytes()).hexdigest() == digest


def test_summarize_corpus(bare):
    summary = summarize_corpus(*bare)
    by_group = summary["documents"]
    assert list(by_group.columns) == ["language", "partner", "year", "n_documents"]
    assert by_group["n_documents"].sum() == 5
    japan_fr = by_group[(by_group["language"] == "fr") & (by_group["partner"] == "Japan")]
    assert japan_fr["year"].iloc[0] == 2023 and pd.isna(japan_fr["year"].iloc[1])
    outcomes = summary["passages"].set_index("outcome")["n_passages"]
    assert outcomes["kept"] == int(bare[1]["kept"].sum())
    assert outcomes["repeated_title"] == 3
    assert outcomes.sum() == len(bare[1])
    assert summary["status"].set_index("status")["n_documents"].to_dict() == {
        "ok": 5,
        "empty": 0,
        "error": 0,
        "missing": 0,
    }
