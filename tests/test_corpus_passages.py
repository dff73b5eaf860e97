"""Sentence splitting, chunking, merging and duplicate flags."""

from __future__ import annotations

import pytest

from coopthemes.config import ConfigError, CorpusConfig
from coopthemes.corpus.furniture import Unit
from coopthemes.corpus.passages import (
    build_passages,
    chunk_paragraph,
    flag_duplicates,
    passage_id,
    split_sentences,
)


def test_regex_splitter_respects_abbreviations():
    text = "Mr. Guo met Dr. Lam in the U.S. on Sept. 5. He said hi! Then J. Smith left. The end"
    assert split_sentences(text, language="en") == [
        "Mr. Guo met Dr. Lam in the U.S. on Sept. 5.",
        "He said hi!",
        "Then J. Smith left.",
        "The end",
    ]
    french = "M. Darmanin a reçu le prof. associé-Dr. Neak Chandarith. Ils ont parlé."
    assert split_sentences(french, language="fr") == [
        "M. Darmanin a reçu le prof. associé-Dr. Neak Chandarith.",
        "Ils ont parlé.",
    ]


def test_vietnamese_splitter():
    text = "Bộ trưởng Tô Lâm đã tiếp ông A. Hai bên nhất trí tăng cường hợp tác. TP.HCM có 10 triệu dân."
    assert split_sentences(text, language="vi") == [
        "Bộ trưởng Tô Lâm đã tiếp ông A. Hai bên nhất trí tăng cường hợp tác.",
        "TP.HCM có 10 triệu dân.",
    ]


def test_chunk_paragraph_keeps_whole_sentences_under_the_limit():
    sentences = [f"Sentence number {i} talks about police cooperation with partners." for i in range(40)]
    chunks = chunk_paragraph(" ".join(sentences), language="en", max_chars=300)
    assert all(len(c) <= 300 for c in chunks)
    assert " ".join(chunks) == " ".join(sentences)
    assert all(c.endswith("partners.") for c in chunks)
    assert len(chunks) == 10
    assert chunk_paragraph("short", language="en", max_chars=300) == ["short"]


def test_overlong_sentence_is_cut_at_a_space():
    words = " ".join(["cooperation"] * 100)
    chunks = chunk_paragraph(words, language="en", max_chars=120)
    assert all(len(c) <= 120 for c in chunks)
    assert " ".join(chunks) == words


def test_build_passages_merges_tiny_fragments_and_keeps_positions():
    units = [
        Unit("Short title"),
        Unit("The lead paragraph is long enough to stand alone as a passage."),
        Unit("Ảnh: TTXVN", "caption"),
        Unit("Tiny bit."),
        Unit("Another paragraph that is certainly long enough to stand."),
        Unit("End."),
        Unit("Related news", "boilerplate", in_article=False),
    ]
    assert build_passages(units, language="en", min_chars=40, max_chars=1200) == [
        ("Short title The lead paragraph is long enough to stand alone as a passage.", None),
        ("Ảnh: TTXVN", "caption"),
        ("Tiny bit. Another paragraph that is certainly long enough to stand. End.", None),
        ("Related news", "boilerplate"),
    ]


def test_fragment_that_cannot_merge_is_too_short():
    units = [Unit("Ảnh: TTXVN", "caption"), Unit("Only this."), Unit("PSNews", "boilerplate")]
    assert build_passages(units, language="en") == [
        ("Ảnh: TTXVN", "caption"),
        ("Only this.", "too_short"),
        ("PSNews", "boilerplate"),
    ]


def test_flag_duplicates_exact_and_near():
    base = (
        "At the end of their talks in Paris, the two ministers signed a letter of intent on the "
        "French ministry's help to improve the capacity of firefighting, search and rescue for "
        "Vietnam, and agreed to meet again next year in Hanoi"
    )
    texts = [
        base + ".",
        base.upper() + "!!",
        base.replace("signed", "have signed") + ".",
        "A completely different passage about drug trafficking across the northern border.",
        base.replace("firefighting", "firefighting training") + ".",
    ]
    assert flag_duplicates(texts) == [None, "duplicate", "near_duplicate", None, "near_duplicate"]
    assert flag_duplicates(texts, threshold=0.95) == [None, "duplicate", None, None, None]
    assert flag_duplicates(texts) == flag_duplicates(list(texts))


def test_passage_id_and_options():
    assert passage_id("000_abc", 7) == "000_abc:007"
    with pytest.raises(ConfigError, match="corpus.near_duplicate_threshold"):
        CorpusConfig(near_duplicate_threshold=1.5)
    with pytest.raises(ConfigError, match="corpus.max_passage_chars: must be at least twice"):
        CorpusConfig(min_passage_chars=100, max_passage_chars=150)
