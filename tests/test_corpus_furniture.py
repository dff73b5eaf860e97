"""Page furniture: end marks, captions, repeated titles, datelines, headline lists."""

from __future__ import annotations

import pytest

from coopthemes.corpus.furniture import (
    Unit,
    is_caption,
    is_dateline,
    looks_like_title,
    mark_furniture,
    split_end_mark,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("search and rescue for Vietnam./.", ("search and rescue for Vietnam.", "", None)),
        ("la lutte contre la criminalité. -VNA/VI", ("la lutte contre la criminalité.", "", "VNA")),
        ("à l’intention du gouvernement. – VNA", ("à l’intention du gouvernement.", "", "VNA")),
        ("the two countries. - VNA", ("the two countries.", "", "VNA")),
        ("the end./. Prime Minister met X.", ("the end.", "Prime Minister met X.", None)),
        ("talks between Hanoi - VNA", None),
        ("A normal sentence.", None),
    ],
)
def test_split_end_mark(text, expected):
    assert split_end_mark(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đại tướng Tô Lâm (trái) gặp Phó tổng thư ký LDP Fumiaki Kobayashi. Ảnh: TTXVN.", True),
        ("Minister To Lam held talks on November 4. (Photo: VNA)", True),
        ("Le prof. Neak Chandarith. Photo : VNA", True),
        ("Le Vietnam veut coopérer avec le Japon ảnh 1e Premier ministre serre la main. Photo: VGP", True),
        ("Sinh viên ở thư viện (Ảnh minh họa)", True),
        ("Ảnh: NVCC", True),
        ("He said the photo: the whole team was there.", False),
        ("The ministry released photos of the event on Monday.", False),
    ],
)
def test_is_caption(text, expected):
    assert is_caption(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thứ Sáu, 17/09/2021, 20:23", True),
        ("Monday, September 15, 2021 14:20 (GMT+7)", True),
        ("Cập nhật lúc 10:20 ngày 3/4/2023", True),
        ("Publié le 6 mars 2023 à 10h30", True),
        ("jeudi 9 janvier à Hanoi", False),
        ("Năm 2023 đánh dấu đặc biệt", False),
    ],
)
def test_is_dateline(text, expected):
    assert is_dateline(text) is expected


def test_looks_like_title():
    assert looks_like_title("Vietnam, France beef up security, anti-crime cooperation")
    assert looks_like_title("Will the talks succeed?")
    assert not looks_like_title("Việt Nam cam kết hợp tác chặt chẽ với Nhật Bản.")
    assert not looks_like_title("x" * 201)


def test_mark_furniture_full_page():
    paragraphs = [
        "Vietnam, China boost cooperation in crime combat",
        "Thứ Sáu, 17/09/2021, 20:23",
        "Paris (VNA) – Minister To Lam held talks with his counterpart on security cooperation.",
        "Vietnam, China boost cooperation in crime combat -0",
        "Minister To Lam speaks at the event.",
        "The two sides agreed to sign an agreement on the transfer of sentenced persons.",
        "Xem thêm: Bộ Công an triển khai kế hoạch mới",
        "They also discussed border management and cyber security in detail.",
        "PSNews",
    ]
    units, outlet = mark_furniture(paragraphs, title=paragraphs[0])
    assert [u.drop_reason for u in units] == [
        None, "boilerplate", None, "repeated_title", "caption", None, "boilerplate", None, "boilerplate",
    ]  # fmt: skip
    assert units[2].text == "Minister To Lam held talks with his counterpart on security cooperation."
    assert outlet == "PSNews"
    assert all(u.in_article for u in units)


def test_more_link_cuts_the_rest():
    paragraphs = ["Title of the story", "The article body is here and it is long enough.", "Voir plus",
                  "Other story headline", "Another story text with a period."]  # fmt: skip
    units, outlet = mark_furniture(paragraphs, title="Title of the story")
    assert units[2:] == [
        Unit("Voir plus", "boilerplate", in_article=False),
        Unit("Other story headline", "boilerplate", in_article=False),
        Unit("Another story text with a period.", "boilerplate", in_article=False),
    ]
    assert outlet is None


def test_closing_headline_list():
    paragraphs = [
        "Title of the story",
        "The article body is here and it is long enough to be a real paragraph.",
        "- a bullet item without a period",
        "Vietnam and Laos review border security cooperation",
        "Police seize 100 kg of drugs at the border",
        "Ministry launches new cyber security campaign",
    ]
    units, _ = mark_furniture(paragraphs, title=paragraphs[0])
    assert [u.drop_reason for u in units] == [
        None,
        None,
        None,
        "headline_list",
        "headline_list",
        "headline_list",
    ]


def test_headline_like_lines_inside_the_article_are_kept():
    paragraphs = ["Title", "Body paragraph one is long enough.", "Sub heading one", "Sub heading two",
                  "Sub heading three", "A closing paragraph with a full stop."]  # fmt: skip
    units, _ = mark_furniture(paragraphs, title="Title")
    assert [u.drop_reason for u in units] == [None] * 6
