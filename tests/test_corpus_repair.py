"""Repair of broken lines, glued words and whitespace."""

from __future__ import annotations

import pytest

from coopthemes.corpus.repair import (
    DocumentVocabulary,
    join_broken_lines,
    normalize_whitespace,
    repair_glued_words,
    repair_paragraphs,
)


def test_word_broken_across_lines_is_rejoined():
    lines = ["opportunités pour les entreprises", "japon", "aises d’investir au Vietnam."]
    assert join_broken_lines(lines, language="fr") == [
        "opportunités pour les entreprises japonaises d’investir au Vietnam."
    ]


def test_sentence_broken_before_end_mark_is_one_sentence():
    lines = ["notamment dans la prévention et la", "lutte contre la criminalité", ". -VNA/VI"]
    assert join_broken_lines(lines, language="fr") == [
        "notamment dans la prévention et la lutte contre la criminalité. -VNA/VI"
    ]


def test_paragraph_ending_with_function_word_continues():
    lines = [
        "a reçu le secrétaire général du",
        "Secrétariat de la sécurité nationale",
        "(NSS) du Japon, Akiba Takeo, au cours de laquelle il a proposé.",
        "Le ministre To Lam a demandé.",
    ]
    assert join_broken_lines(lines, language="fr") == [
        "a reçu le secrétaire général du Secrétariat de la sécurité nationale (NSS) du Japon, "
        "Akiba Takeo, au cours de laquelle il a proposé.",
        "Le ministre To Lam a demandé.",
    ]


def test_titles_and_complete_paragraphs_stay_apart():
    lines = ["Vietnam, China boost cooperation in crime combat", "Thứ Sáu, 17/09/2021, 20:23", "Done."]
    assert join_broken_lines(lines, language="en") == lines


def test_continuation_after_function_word_keeps_the_space():
    assert join_broken_lines(["collaboration in", "security and order."], language="en") == [
        "collaboration in security and order."
    ]


def _repair(text: str, language: str = "en", context: str = "") -> str:
    vocab = DocumentVocabulary.from_texts([text, context])
    return repair_glued_words(text, language=language, vocabulary=vocab)


@pytest.mark.parametrize(
    ("glued", "fixed"),
    [
        ("talks withFrench Minister", "talks with French Minister"),
        ("equipment forVietnam’s firefighters", "equipment for Vietnam’s firefighters"),
        ("Gérald Darmaninon November 4", "Gérald Darmanin on November 4"),
        ("firefightingand search", "firefighting and search"),
        ("such aseconomic crimes", "such as economic crimes"),
        ("safety ofmaritime", "safety of maritime"),
        ("the twoministries", "the two ministries"),
        ("a letterof intent", "a letter of intent"),
        ("General To Lam’svisit", "General To Lam’s visit"),
        ("transnational crime,especially", "transnational crime, especially"),
    ],
)
def test_glued_words_are_split(glued, fixed):
    assert _repair(glued, context="Minister Darmanin and Lam") == fixed


def test_two_content_words_split_only_with_evidence_in_the_document():
    assert _repair("Chinh’s officialvisit to France") == "Chinh’s officialvisit to France"
    evidence = "He made an official visit last year."
    assert _repair("Chinh’s officialvisit to France", context=evidence) == "Chinh’s official visit to France"


@pytest.mark.parametrize(
    "correct",
    [
        "collaboration insecurity and order",
        "Vietnamese and Indonesian officials",
        "McDonald opened in Indonesia",
        "the iPhone and YouTube",
        "cybersecurity and counterterrorism",
        "makingactive contribution",
        "Washington and Lebanon",
    ],
)
def test_correct_or_unprovable_words_are_not_split(correct):
    assert _repair(correct) == correct


def test_french_compound_is_not_split():
    text = "la lutte contre la cybercriminalité et les délégations japonaises"
    assert _repair(text, language="fr") == text


def test_vietnamese_text_is_left_alone():
    text = "Bộ trưởng Tô Lâm nhấn mạnh Bộ Công an Việt Nam cam kết hợp tác chặt chẽ,với Nhật Bản"
    assert _repair(text, language="vi") == text.replace(",với", ", với")


def test_normalize_whitespace():
    raw = "\ufeffLe\u00a0ministre \u200ba  reçu\r\n\r\n\r\n\r\n\t la délégation. \n"
    assert normalize_whitespace(raw) == "Le ministre a reçu\n\nla délégation."


def test_repair_paragraphs_end_to_end():
    text = " Le ministre a reçu le\n\nchef\n\nde la police japonaise.\u00a0\n\nIl a salué les entreprises\n\njapon\n\naises."
    assert repair_paragraphs(text, language="fr") == [
        "Le ministre a reçu le chef de la police japonaise.",
        "Il a salué les entreprises japonaises.",
    ]
