"""Dates, language detection, the gazetteer and partner scoring."""

from __future__ import annotations

import pytest

from coopthemes.corpus import GazetteerError, load_gazetteer
from coopthemes.corpus.dates import find_dates, first_dated, parse_date_value, strip_date_header
from coopthemes.corpus.language import detect_languages
from coopthemes.corpus.partners import choose_partners, score_partners


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Thứ Sáu, 17/09/2021, 20:23", "2021-09-17"),
        ("Hà Nội, ngày 17 tháng 9 năm 2021, hai bên", "2021-09-17"),
        ("Le ministre a reçu le 6 mars 2023 la délégation", "2023-03-06"),
        ("à compter du 1er janvier 2020", "2020-01-01"),
        ("talks on September 15, 2021 in Hanoi", "2021-09-15"),
        ("talks on 15 September 2021 in Hanoi", "2021-09-15"),
        ("published 2021-09-17", "2021-09-17"),
    ],
)
def test_full_dates(text, date):
    assert [m.date for m in find_dates(text)] == [date]


@pytest.mark.parametrize(
    "text",
    [
        "jeudi 9 janvier à Hanoi",
        "on November 4 in Paris",
        "ngày 3/4, Đại tướng Tô Lâm",
        "Năm 2023 đánh dấu đặc biệt",
        "cooperation since 2014",
        "on 31/02/2021 nothing",
    ],
)
def test_dates_without_year_are_ignored(text):
    assert find_dates(text) == []


def test_first_dated_prefers_title_and_lead():
    texts = ["Title without date", "Lead on 15 September 2021.", "Body recalls 1 January 2020."]
    assert first_dated(texts).date == "2021-09-15"
    assert first_dated(["no date", "November 4"]) is None


def test_date_header():
    assert strip_date_header(" date 2023-03 Le ministre") == ("Le ministre", "2023-03")
    assert strip_date_header("date 2023-13 x") == ("date 2023-13 x", None)
    assert strip_date_header("Le ministre") == ("Le ministre", None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20201001", ("2020-10-01", 2020)),
        ("2020-01-09", ("2020-01-09", 2020)),
        ("2020-01", ("2020-01", 2020)),
        ("2020", (None, 2020)),
        ("09/01/2020", ("2020-01-09", 2020)),
        (None, (None, None)),
        ("", (None, None)),
    ],
)
def test_parse_date_value(value, expected):
    assert parse_date_value(value) == expected


def test_parse_date_value_rejects_garbage():
    with pytest.raises(ValueError, match="'soon' is not a date"):
        parse_date_value("soon")


def test_detect_languages():
    texts = [
        "Bộ trưởng Bộ Công an đã tiếp Đại sứ Nhật Bản tại Hà Nội.",
        "Le ministre de la Sécurité publique a reçu la délégation japonaise.",
        "The Minister of Public Security received the Japanese delegation.",
        "12345",
    ]
    assert detect_languages(texts, languages=("vi", "fr", "en"), fallback="en") == ["vi", "fr", "en", "en"]
    assert detect_languages(texts[:1], languages=("fr",)) == ["fr"]


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


def test_gazetteer_covers_the_partners(gazetteer):
    required = {
        "Japan", "China", "France", "United States", "Russia", "United Kingdom", "Germany",
        "Australia", "South Korea", "Laos", "Cambodia", "Thailand", "Singapore", "Indonesia",
        "Malaysia", "Philippines", "Myanmar", "India", "Israel", "Iran", "Cuba", "Belarus",
        "Kazakhstan", "Hungary", "Czechia", "Italy", "Spain", "Canada", "New Zealand",
        "Netherlands", "Belgium", "Vietnam",
    }  # fmt: skip
    assert required <= set(gazetteer.countries)
    assert len(gazetteer.countries) >= 31


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("la partie japonaise et les entreprises japonaises", "fr", ["Japan", "Japan"]),
        ("le secrétaire général du Secrétariat de la sécurité nationale (NSS) du Japon", "fr", ["Japan"]),
        ("secrétaire général de la NSS du Japon", "fr", ["Japan"]),
        ("Takaichi Sanae, JICA, NPA and the LDP", "en", ["Japan"] * 4),
        ("Nhật Bản và Trung Quốc", "vi", ["Japan", "China"]),
        ("the Communist Party of China (CPC) Central Committee Guo Shengkun", "en", ["China"] * 3),
        ("Zhao Kezhi visited", "en", ["China"]),
        ("French Ministry of the Interior and Darmanin", "en", ["France", "France"]),
        ("cơ quan thực thi pháp luật, tư pháp hình sự, hợp pháp", "vi", []),
        ("Báo Pháp luật và Bộ Tư pháp", "vi", []),
        ("hợp tác với Pháp và Đức", "vi", ["France", "Germany"]),
        ("Phó Thủ tướng Vũ Đức Đam và TP Thủ Đức", "vi", []),
        ("Bộ Lao động và tỉnh Lào Cai", "vi", []),
        ("Lao officials met in Vientiane", "en", ["Laos", "Laos"]),
        ("the npa and jica", "en", []),
        ("Vietnam and the Vietnamese side", "en", ["Vietnam", "Vietnam"]),
        ("VIỆT NAM - NHẬT BẢN", "vi", ["Vietnam", "Japan"]),
    ],
)
def test_mentions(gazetteer, text, language, expected):
    assert gazetteer.mentions(text, language=language) == expected


def test_french_adjective_only_in_french(gazetteer):
    assert gazetteer.mentions("người lao động", language="vi") == []
    assert gazetteer.mentions("le président lao", language="fr") == ["Laos"]
    assert gazetteer.mentions("le président lao", language="vi") == []


def test_canonical_names(gazetteer):
    assert gazetteer.canonical("Japon") == "Japan"
    assert gazetteer.canonical(" nhật bản ") == "Japan"
    assert gazetteer.canonical("Narnia") is None


def test_custom_gazetteer_and_errors(tmp_path):
    good = tmp_path / "g.yaml"
    good.write_text(
        "countries:\n  Vietnam:\n    names: {en: [Vietnam]}\n"
        "  Atlantis:\n    names: {en: [Atlantis]}\n    people: [King Triton]\n",
        encoding="utf-8",
    )
    gaz = load_gazetteer(good)
    assert gaz.countries == ("Atlantis", "Vietnam")
    assert gaz.mentions("King Triton of Atlantis", language="en") == ["Atlantis", "Atlantis"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("countries:\n  A:\n    names: {en: [X]}\n  B:\n    names: {en: [X]}\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match="term 'X' is listed for both 'A' and 'B'"):
        load_gazetteer(bad)
    bad.write_text("countries:\n  A:\n    nmaes: {en: [X]}\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"countries.A: unknown field\(s\) \['nmaes'\]"):
        load_gazetteer(bad)
    with pytest.raises(GazetteerError, match="gazetteer file not found"):
        load_gazetteer(tmp_path / "none.yaml")


def test_partner_scoring(gazetteer):
    passages = [
        ("Vietnam, Japan boost cooperation", "en"),
        ("The minister met the Japanese ambassador.", "en"),
        ("France and China were also mentioned.", "en"),
        ("China again.", "en"),
    ]
    scores = score_partners(passages, gazetteer=gazetteer, home_country="Vietnam")
    assert scores == {"Japan": 6.0, "France": 1.0, "China": 2.0}
    assert choose_partners(scores, min_share=0.5) == ["Japan"]
    assert choose_partners(scores, min_share=0.3) == ["Japan", "China"]
    flat = score_partners(passages, gazetteer=gazetteer, home_country="Vietnam", lead_weight=1.0)
    assert choose_partners(flat, min_share=1.0) == ["China", "Japan"]
    assert score_partners(passages[:1], gazetteer=gazetteer, home_country="Japan") == {"Vietnam": 3.0}
