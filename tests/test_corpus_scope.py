"""Scope (a relation of the home country, or not) and failed captures (no article at all)."""

from __future__ import annotations

import pandas as pd
import pytest

from coopthemes.corpus import load_corpus, load_gazetteer
from coopthemes.corpus.furniture import (
    Unit,
    failed_capture,
    is_counter_line,
    is_menu_line,
    is_site_line,
    mark_furniture,
)
from coopthemes.corpus.partners import Counterparts, find_counterparts
from coopthemes.corpus.relations import load_relation_cues
from coopthemes.corpus.scope import decide_scope

VIDEO_PAGE = "\n".join(
    [f"0{d} / 02 / 2023 {n}" for d, n in zip(range(1, 10), (12, 950, 31, 4400, 7, 268, 1893, 45, 610))]
    + ["10 / 02 / 2023 77"]
    + [
        "© 2023 Bản quyền thuộc về Tạp chí Sông Xanh Online.",
        "Cơ quan chủ quản: Hội Văn nghệ Sông Xanh; Tổng biên tập Trần Thị B.",
        "Hotline: 0912 000 111 - 028 3800 0000",
        "Không được sao chép nội dung khi chưa có sự đồng ý của tòa soạn.",
        "Địa chỉ: 5 Đường Số 9, Quận 3, TP Hồ Chí Minh",
        "Email: lienhe@songxanh.example",
    ]
)
SHARE_PAGE = "\n".join(
    [
        "Accueil | Politique | Monde | Économie | Vidéos",
        "Lượt xem: 1.204",
        "Chia sẻ Facebook Zalo",
        "Bộ Quốc phòng Việt Nam tham dự triển lãm",
        "12 views · 3 comments",
        "Tous droits réservés © Le Journal 2024",
        "Adresse : 5 rue de la Paix, Paris",
        "Tél. : +33 1 23 45 67 89",
        "Giấy phép số 123/GP-BTTTT do Bộ Thông tin và Truyền thông cấp",
    ]
)
ARTICLE = (
    "Ngày 15/5, tại Hà Nội, Bộ trưởng Bộ Công an đã tiếp Đại sứ Nhật Bản tại Việt Nam. Hai bên nhất trí "
    "tăng cường hợp tác phòng, chống tội phạm xuyên quốc gia và trao đổi thông tin.\n"
    "Bộ trưởng đề nghị phía Nhật Bản tiếp tục hỗ trợ đào tạo cán bộ và chia sẻ kinh nghiệm về "
    "chuyển đổi số trong quản lý hành chính.\n"
)


@pytest.mark.parametrize(
    ("text", "counter", "site"),
    [
        ("03 / 02 / 2023 950", True, False),
        ("Lượt xem: 1.234", True, False),
        ("Chia sẻ Facebook Zalo", True, False),
        ("12 views · 3 comments", True, False),
        ("© Bản quyền thuộc về Tạp chí Sông Xanh.", False, True),
        ("Địa chỉ: 5 Đường Số 9, Quận 3", False, True),
        ("Tous droits réservés", False, True),
        ("Tél. : +33 1 23 45 67 89", False, True),
        ("Năm 2023 đánh dấu đặc biệt", False, False),
        ("Ngày 15/5, Bộ trưởng tiếp Đại sứ Nhật Bản.", False, False),
        ("Le ministre a reçu 12 délégations en 2023.", False, False),
    ],
)
def test_counter_and_site_lines(text, counter, site):
    assert is_counter_line(text) is counter
    assert is_site_line(text) is site


def test_a_site_notice_before_the_article_is_furniture():
    paragraphs = [
        "Quý độc giả muốn đặt mua tạp chí in hằng tháng xin liên hệ với chúng tôi như sau:",
        "Điện thoại: (84) 28 3800 0000",
        "Trân trọng cảm ơn!",
        "Sáng 12/3, Bộ trưởng đã tiếp Đại sứ Lào. Hai bên nhất trí tăng cường hợp tác.",
        "Người dân cần hỗ trợ xin liên hệ theo số điện thoại sau:",
        "Bộ trưởng đề nghị tăng cường trao đổi đoàn.",
    ]
    units, _ = mark_furniture(paragraphs, title=None)
    assert [u.drop_reason for u in units] == ["boilerplate"] * 3 + [None] * 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trang chủ | Thời sự | Thế giới | Kinh tế", True),
        ("Accueil › Monde › Asie", True),
        ("A | B", False),
        ("Giá vàng > 80 triệu | tăng mạnh | kỷ lục mới trong tuần qua khi thị trường biến động.", False),
    ],
)
def test_menu_lines(text, expected):
    assert is_menu_line(text) is expected


def test_failed_capture_needs_furniture_and_no_prose():
    units, _ = mark_furniture(VIDEO_PAGE.split("\n"), title=None)
    reason = failed_capture(units)
    assert reason.startswith("failed capture: no article text, only page furniture")
    assert "10 counter or date lines" in reason and "6 footer lines" in reason
    article, _ = mark_furniture(ARTICLE.strip().split("\n") + VIDEO_PAGE.split("\n")[-6:], title=None)
    assert failed_capture(article) is None
    captions = [Unit("Đội múa lân biểu diễn trên phố đi bộ tối rằm tháng Tám. (Ảnh: Minh An)", "caption")] * 5
    assert failed_capture(captions) is None  # a photo story is an article
    assert failed_capture([]) is None


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    path = tmp_path_factory.mktemp("captures") / "pages.csv"
    pd.DataFrame(
        {
            "id": ["video", "share", "article", "short"],
            "text": [VIDEO_PAGE, SHARE_PAGE, ARTICLE + VIDEO_PAGE, "Hà Nội mưa to."],
            "lang": ["vi", "fr", "vi", "vi"],
        }
    ).to_csv(path, index=False)
    documents, passages = load_corpus(path, id_column="id", language_column="lang")
    return documents.set_index("doc_id"), passages


def test_failed_capture_is_an_empty_document_with_its_reason(loaded):
    documents, passages = loaded
    for key in ("video", "share"):
        doc = documents.loc[key]
        assert doc["status"] == "empty"
        assert doc["reason"].startswith("failed capture: no article text")
        assert doc["n_passages"] == 0
        assert list(doc["partners"]) == [] and pd.isna(doc["in_scope"])
        rows = passages[passages["doc_id"] == key]
        assert len(rows) and not rows["kept"].any()
        assert set(rows["drop_reason"]) == {"boilerplate"}


def test_an_article_with_a_footer_keeps_its_text_and_drops_the_footer(loaded):
    documents, passages = loaded
    doc = documents.loc["article"]
    assert doc["status"] == "ok" and list(doc["partners"]) == ["Japan"] and doc["in_scope"]
    kept = " ".join(passages.loc[(passages["doc_id"] == "article") & passages["kept"], "text"])
    assert "Đại sứ Nhật Bản" in kept
    assert "Bản quyền" not in kept and "15 / 05 / 2024" not in kept


def test_a_short_text_without_furniture_is_not_a_failed_capture(loaded):
    doc = loaded[0].loc["short"]
    assert doc["status"] == "empty" and doc["reason"].startswith("no article text: every passage dropped")
    assert pd.isna(doc["in_scope"]) and pd.isna(doc["scope_reason"])


@pytest.fixture(scope="module")
def lexicons():
    return load_gazetteer(), load_relation_cues()


def _scope(lexicons, language, *paragraphs):
    gazetteer, cues = lexicons
    found = find_counterparts(
        [(p, language) for p in paragraphs], gazetteer=gazetteer, cues=cues, home_country="Vietnam"
    )
    return decide_scope(
        list(found.partners), found, home_country="Vietnam", partner_source="text", min_evidence=2.0
    )


def test_scope_reasons(lexicons):
    assert _scope(lexicons, "vi", ARTICLE) == (True, "Vietnam deals with Japan")
    assert _scope(lexicons, "en", "Floods hit the north", "Heavy rain flooded three provinces.") == (
        False, "no foreign country or organisation named (domestic news)",
    )  # fmt: skip
    assert _scope(lexicons, "en", "Iran: a fireworks blast kills one in Tehran") == (
        False, "other countries' affairs: names Iran, not Vietnam",
    )  # fmt: skip
    in_scope, reason = _scope(
        lexicons, "vi",
        "Bộ đội Biên phòng tổng kết năm 2023",
        "Năm qua, lực lượng đã duy trì nghiêm chế độ trực sẵn sàng chiến đấu và huấn luyện.",
        "Đơn vị tuần tra bảo vệ đường biên giới Việt Nam - Lào, hợp tác giữ gìn an ninh trật tự.",
    )  # fmt: skip
    assert not in_scope
    assert reason == "too little evidence of a relation: Laos 1 < 2 (names Laos)"
    assert _scope(lexicons, "vi", "Giá vàng tại Việt Nam và Mỹ cùng tăng mạnh trong tuần.") == (
        False, "names United States but no sentence relates them to Vietnam",
    )  # fmt: skip


def test_sidecar_partners_put_a_document_in_scope():
    scope = decide_scope(["Japan"], Counterparts(), home_country="Vietnam", partner_source="sidecar", min_evidence=2)
    assert scope == (True, "Vietnam deals with Japan (partners from the sidecar)")

