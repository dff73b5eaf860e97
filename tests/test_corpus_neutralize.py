"""Partner-neutral text: countries, organisations and personal names are masked, activities stay."""

from __future__ import annotations

import pytest

from coopthemes.corpus.gazetteer import load_gazetteer
from coopthemes.corpus.neutralize import PLACEHOLDER, neutralize


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.mark.parametrize(
    ("text", "language", "gone", "kept"),
    [
        ("Đại tướng Phan Văn Giang tiếp Bộ trưởng Quốc phòng Pháp Sébastien Lecornu tại Hà Nội.", "vi",
         ["Phan Văn Giang", "Pháp", "Sébastien", "Lecornu", "Hà Nội"], ["Đại tướng", "tiếp", "Bộ trưởng"]),
        ("Hai bên nhất trí tăng cường hợp tác đào tạo cán bộ giữa Việt Nam và Nhật Bản.", "vi",
         ["Việt Nam", "Nhật Bản"], ["đào tạo cán bộ", "hợp tác"]),
        ("Le ministre français des Armées a rencontré son homologue vietnamien à Paris.", "fr",
         ["français", "vietnamien", "Paris"], ["ministre", "rencontré", "homologue"]),
        ("Prime Minister Pham Minh Chinh met Japanese Prime Minister Fumio Kishida in Tokyo.", "en",
         ["Pham Minh Chinh", "Japanese", "Fumio", "Kishida", "Tokyo"], ["Prime Minister", "met"]),
        ("The two sides agreed to boost training of police officers and fight cybercrime.", "en",
         [], ["The two sides agreed to boost training of police officers and fight cybercrime."]),
    ],
)
def test_identity_goes_and_activity_stays(gazetteer, text, language, gone, kept):
    out = neutralize(text, language, gazetteer=gazetteer)
    for word in gone:
        assert word not in out, out
    for words in kept:
        assert words in out, out
    if gone:
        assert PLACEHOLDER in out


def test_sentence_start_capitals_are_not_names(gazetteer):
    assert neutralize("Training Programmes start in June.", "en", gazetteer=gazetteer) == \
        "Training Programmes start in June."
