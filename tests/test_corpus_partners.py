"""Counterparts: partner countries and multilateral organisations, from small vi/fr/en texts."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from coopthemes.config import ConfigError, CorpusConfig
from coopthemes.corpus import GazetteerError, load_corpus, load_gazetteer, summarize_corpus
from coopthemes.corpus.gazetteer import fold_tones
from coopthemes.corpus.partners import find_counterparts, sentence_evidence
from coopthemes.corpus.relations import load_relation_cues
from coopthemes.schema import SCOPE_COLUMNS, validate_documents

HOME = "Vietnam"


@pytest.fixture(scope="module")
def gazetteer():
    return load_gazetteer()


@pytest.fixture(scope="module")
def cues():
    return load_relation_cues()


def _find(gazetteer, cues, language, *paragraphs, **options):
    passages = [(p, language) for p in paragraphs]
    return find_counterparts(passages, gazetteer=gazetteer, cues=cues, home_country=HOME, **options)


# -- gazetteer and cue lexicon ------------------------------------------------------------------


def test_find_gives_offsets_and_kinds(gazetteer):
    text = "Phái đoàn Việt Nam tại Liên hợp quốc và Hội nghị Cấp cao ASEAN-Australia"
    found = gazetteer.find(text, language="vi")
    assert [(m.name, m.kind) for m in found] == [
        ("Vietnam", "country"), ("UN", "organisation"), ("ASEAN", "organisation"), ("Australia", "country"),
    ]  # fmt: skip
    assert [text[m.start : m.end] for m in found] == ["Việt Nam", "Liên hợp quốc", "ASEAN", "Australia"]
    assert gazetteer.mentions(text, language="vi") == ["Vietnam", "Australia"]


def test_organisations_and_their_organs(gazetteer):
    assert "ASEAN" in gazetteer.organisations and "UN" in gazetteer.organisations
    assert "ASEAN" not in gazetteer.countries
    found = gazetteer.find("the ADMM-Plus, the Security Council and UNESCO", language="en")
    assert [m.name for m in found] == ["ASEAN", "UN", "UNESCO"]
    assert gazetteer.canonical_organisation("Nations unies") == "UN"
    assert gazetteer.canonical_organisation("Narnia League") is None


def test_tone_placement_and_short_name_of_the_home_country(gazetteer):
    assert fold_tones("Cộng hòa Ủy ban") == fold_tones("Cộng hoà Uỷ ban")
    assert gazetteer.mentions("Cộng hoà Pháp", language="vi") == ["France"]
    assert gazetteer.mentions("quan hệ Việt - Mỹ", language="vi") == ["Vietnam", "United States"]
    assert gazetteer.mentions("ông Nguyễn Việt Hà", language="vi") == []
    assert gazetteer.mentions("9 giờ (giờ Việt Nam)", language="vi") == []


def test_gazetteer_rejects_a_name_that_is_country_and_organisation(tmp_path):
    bad = tmp_path / "g.yaml"
    bad.write_text(
        "countries:\n  Vietnam:\n    names: {en: [Vietnam]}\n"
        "organisations:\n  Vietnam:\n    names: {en: [Viet League]}\n",
        encoding="utf-8",
    )
    with pytest.raises(GazetteerError, match="both as countries and as organisations"):
        load_gazetteer(bad)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Hai bên tiếp tục phối hợp trong dự án", "vi", {"bilateral": 1, "relation": 1}),
        (
            "Le ministre s'est entretenu avec son homologue laotien", "fr",
            {"encounter": 1, "relation": 1, "two_countries": 1},
        ),
        ("The two sides signed a memorandum", "en", {"bilateral": 1, "encounter": 1, "relation": 1}),
        ("a significant rise in thư ký prices", "en", {}),
        ("Thư ký tòa soạn đăng ký dự án", "vi", {}),
    ],
)
def test_relation_cues(cues, text, language, expected):
    assert cues.find(text, language=language) == expected


def test_relation_cue_file_errors(tmp_path):
    bad = tmp_path / "cues.yaml"
    bad.write_text("relations:\n  en: [meet]\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"unknown section\(s\) \['relations'\]"):
        load_relation_cues(bad)
    with pytest.raises(GazetteerError, match="relation cue file not found"):
        load_relation_cues(tmp_path / "none.yaml")


# -- partners -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "paragraphs"),
    [
        ("en", [
            "Israel strikes Gaza as Washington pushes for a ceasefire",
            "Israeli forces struck targets in Gaza on Monday while US Secretary of State Antony Blinken "
            "met Prime Minister Benjamin Netanyahu in Tel Aviv to discuss a ceasefire.",
            "The two sides failed to agree on the terms of a hostage exchange.",
        ]),
        ("vi", [
            "Canada và Mexico ký thỏa thuận thương mại nông sản",
            "Tối 20/6 (giờ Việt Nam), Bộ trưởng Thương mại Canada đã hội đàm với người đồng cấp Mexico "
            "tại Ottawa và ký thỏa thuận về xuất khẩu nông sản giữa hai nước.",
        ]),
        ("fr", [
            "Le Mexique et les États-Unis renforcent leur coopération contre le trafic de drogue",
            "Le président mexicain a reçu jeudi à Mexico le secrétaire d'État américain pour des "
            "entretiens sur la sécurité à la frontière.",
        ]),
    ],
)
def test_world_news_has_no_partner(gazetteer, cues, language, paragraphs):
    found = _find(gazetteer, cues, language, *paragraphs)
    assert found.partners == () and found.multilateral == ()
    assert found.home_mentions == 0


@pytest.mark.parametrize(
    ("language", "paragraphs", "partner"),
    [
        ("vi", [
            "Bộ trưởng Phan Văn Giang tiếp Đại sứ Australia",
            "Chiều 5/3, tại Hà Nội, Đại tướng Phan Văn Giang tiếp Đại sứ Australia tại Việt Nam.",
            "Hai bên nhất trí tiếp tục thúc đẩy hợp tác quốc phòng song phương.",
        ], "Australia"),
        ("fr", [
            "Le Vietnam et la France renforcent leur coopération",
            "Le ministre de la Sécurité publique a reçu le 6 mars 2023 à Hanoï une délégation du "
            "ministère français de l'Intérieur.",
        ], "France"),
        ("en", [
            "Vietnam, Japan hold defence policy dialogue",
            "Deputy Minister of National Defence Hoang Xuan Chien and his Japanese counterpart co-chaired "
            "the tenth Vietnam-Japan defence policy dialogue in Hanoi on Tuesday.",
        ], "Japan"),
    ],
)
def test_bilateral_meeting_gives_its_partner(gazetteer, cues, language, paragraphs, partner):
    found = _find(gazetteer, cues, language, *paragraphs)
    assert found.partners == (partner,)
    assert found.evidence and all(e.name == partner for e in found.evidence)


def test_multi_country_article_gives_several_partners(gazetteer, cues):
    found = _find(
        gazetteer, cues, "en",
        "Minister receives ambassadors of Laos and Cambodia",
        "Minister of Public Security To Lam on Monday received the ambassadors of Laos and Cambodia "
        "in Hanoi and thanked them for their support.",
        "He called for closer cooperation between Vietnam and Thailand against drug trafficking "
        "along the Mekong, and will visit Bangkok next month.",
    )  # fmt: skip
    assert found.partners == ("Cambodia", "Laos", "Thailand")


def test_multilateral_meeting_gives_the_organisation(gazetteer, cues):
    found = _find(
        gazetteer, cues, "vi",
        "Thủ tướng dự Hội nghị Cấp cao ASEAN lần thứ 44",
        "Thủ tướng Phạm Minh Chính đã tham dự Hội nghị Cấp cao ASEAN lần thứ 44, đề nghị các nước "
        "thành viên tăng cường đoàn kết.",
        "Việt Nam cam kết cùng các nước ASEAN thúc đẩy hợp tác kinh tế.",
    )  # fmt: skip
    assert found.multilateral == ("ASEAN",)
    assert found.partners == ()


def test_organisation_as_a_topic_of_a_bilateral_relation_is_not_a_counterpart(gazetteer, cues):
    found = _find(
        gazetteer, cues, "fr",
        "Le Vietnam et l'Italie renforcent leur coopération en matière de défense",
        "Les deux parties ont convenu de coopérer dans le maintien de la paix de l'ONU et la "
        "formation, lors du dialogue entre le Vietnam et l'Italie à Rome.",
    )  # fmt: skip
    assert found.partners == ("Italy",)
    assert found.multilateral == ()


def test_passing_mention_in_a_domestic_report_is_not_a_partner(gazetteer, cues):
    domestic = "Các đơn vị hoàn thành kế hoạch bảo dưỡng trang bị, luyện tập và kiểm tra định kỳ. " * 3
    found = _find(
        gazetteer, cues, "vi",
        "Hội nghị tổng kết công tác kỹ thuật năm 2022 của Quân chủng Phòng không",
        domestic,
        domestic,
        "Trong năm, đơn vị cũng tham gia chương trình hợp tác đào tạo kỹ thuật viên Việt Nam-Lào.",
        domestic,
    )  # fmt: skip
    assert found.partners == ()
    assert found.scores == {"Laos": 1.0}


def test_two_country_sentences_weigh_for_the_one_partner(gazetteer, cues):
    passages = [
        "Le général Phan Van Giang a reçu mardi le ministre cambodgien de la Défense à Hanoï.",
        "Un communiqué a été publié.",
        "Les deux pays ont convenu de renforcer la coopération.",
    ]
    found = _find(gazetteer, cues, "fr", *passages, lead_passages=1)
    rules = [(e.rule, e.weight) for e in found.evidence]
    assert ("two countries", 1.0) in rules
    assert found.partners == ("Cambodia",)


def test_lists_share_the_evidence_of_a_sentence(gazetteer, cues):
    evidence = sentence_evidence(
        "Bộ Công an ký kết thỏa thuận với Singapore, sau đó sẽ mở rộng tới Brunei, Myanmar và Philippines.",
        "vi", gazetteer=gazetteer, cues=cues, home_country=HOME,
    )  # fmt: skip
    assert {name: weight for name, _, _, weight in evidence} == {
        "Brunei": 1.0, "Myanmar": 1.0, "Philippines": 1.0, "Singapore": 1.0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Bộ Quốc phòng hợp tác chặt chẽ với Nhật Bản.", "vi", ["Japan"]),
        ("Bộ Quốc phòng Campuchia hợp tác chặt chẽ với Nhật Bản.", "vi", []),
        ("Le ministère de la Défense du Cambodge coopère avec le Japon.", "fr", []),
        ("Japan's Ministry of Defence signed an agreement with Australia.", "en", []),
        ("The Ministry of Public Security signed an agreement with Australia.", "en", ["Australia"]),
    ],
)
def test_home_ministries_named_without_a_country(gazetteer, cues, text, language, expected):
    evidence = sentence_evidence(text, language, gazetteer=gazetteer, cues=cues, home_country=HOME)
    assert [name for name, kind, _, _ in evidence if kind == "country"] == expected


def test_a_dash_needs_a_relation_cue(gazetteer, cues):
    match = sentence_evidence(
        "Lịch thi đấu trận Việt Nam - Indonesia tại vòng loại.", "vi",
        gazetteer=gazetteer, cues=cues, home_country=HOME,
    )  # fmt: skip
    talks = sentence_evidence(
        "Đối thoại chính sách quốc phòng Việt Nam - Indonesia.", "vi",
        gazetteer=gazetteer, cues=cues, home_country=HOME,
    )  # fmt: skip
    assert match == []
    assert [(n, rule) for n, _, rule, _ in talks] == [("Indonesia", "pair")]


# -- through load_corpus ------------------------------------------------------------------------

TEXTS = {
    "bilateral": (
        "vi",
        "Việt Nam và Lào tăng cường hợp tác quốc phòng\n"
        "Sáng 12/3, tại Hà Nội, Đại tướng Phan Văn Giang đã hội đàm với Bộ trưởng Quốc phòng Lào. "
        "Hai bên nhất trí tăng cường hợp tác trong đào tạo và bảo vệ biên giới.\n",
    ),
    "world": (
        "en",
        "Mexico elects a new president\n"
        "Mexicans voted on Sunday in an election marked by violence, with the ruling party's candidate "
        "leading in the polls, officials in Mexico City said.\n",
    ),
    "domestic": (
        "fr",
        "Un incendie maîtrisé dans une forêt de Dà Nang\n"
        "Les pompiers et les habitants ont maîtrisé en deux heures un incendie qui a détruit deux "
        "hectares de forêt naturelle dans la commune de Hoà Phu, ont indiqué les autorités locales.\n",
    ),
    "summit": (
        "en",
        "Prime Minister attends the 44th ASEAN Summit\n"
        "Prime Minister Pham Minh Chinh attended the 44th ASEAN Summit on Wednesday and called on ASEAN "
        "member states to strengthen solidarity. Vietnam will cooperate with ASEAN partners on the "
        "digital economy.\n",
    ),
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    path = tmp_path_factory.mktemp("partners") / "news.jsonl"
    rows = [{"id": key, "body": text, "lang": lang} for key, (lang, text) in TEXTS.items()]
    given = "Mexico City hosts a trade fair\nThe fair opened on Monday with exhibitors from 40 countries.\n"
    rows.append({"id": "given", "body": given, "lang": "en", "country": "Mexique"})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    documents, passages = load_corpus(
        path, text_column="body", id_column="id", language_column="lang", partner_column="country"
    )
    return documents.set_index("doc_id"), passages


def test_documents_carry_partners_organisations_and_scope(loaded):
    documents, _ = loaded
    assert list(documents.columns[-3:]) == list(SCOPE_COLUMNS)
    assert str(documents["in_scope"].dtype) == "boolean"
    assert list(documents.loc["bilateral", "partners"]) == ["Laos"]
    assert documents.loc["bilateral", "partner_source"] == "text"
    assert list(documents.loc["summit", "multilateral"]) == ["ASEAN"]
    assert list(documents.loc["summit", "partners"]) == []
    assert documents.loc[["bilateral", "summit"], "in_scope"].tolist() == [True, True]
    assert documents.loc["summit", "scope_reason"] == "Vietnam deals with ASEAN"


def test_out_of_scope_documents_stay_in_the_ledger_with_their_passages(loaded):
    documents, passages = loaded
    for key in ("world", "domestic"):
        assert documents.loc[key, "status"] == "ok"
        assert not documents.loc[key, "in_scope"]
        assert passages.loc[passages["doc_id"] == key, "kept"].any()
    assert documents.loc["world", "scope_reason"].startswith("other countries' affairs: names Mexico")
    assert documents.loc["domestic", "scope_reason"].startswith("no foreign country or organisation named")


def test_sidecar_partners_override_the_text(loaded):
    documents, _ = loaded
    doc = documents.loc["given"]
    assert list(doc["partners"]) == ["Mexico"] and doc["partner_source"] == "sidecar"
    assert doc["in_scope"] and "sidecar" in doc["scope_reason"]


def test_summary_counts_scope(loaded):
    documents, passages = loaded
    scope = summarize_corpus(documents.reset_index(), passages)["scope"]
    assert scope.to_dict("list") == {"scope": ["in scope", "out of scope"], "n_documents": [3, 2]}
    older = documents.reset_index().drop(columns=["in_scope"])
    assert summarize_corpus(older, passages)["scope"].to_dict("list") == {
        "scope": ["not decided"], "n_documents": [5],
    }  # fmt: skip


def test_validation_accepts_tables_without_scope_columns(loaded):
    documents, _ = loaded
    older = documents.reset_index().drop(columns=list(SCOPE_COLUMNS))
    assert validate_documents(older) is older
    broken = documents.reset_index().assign(in_scope=["yes"] * len(documents))
    with pytest.raises(ValueError, match="in_scope must be True, False or missing"):
        validate_documents(broken)


def test_options_validate_the_new_fields():
    with pytest.raises(ConfigError, match="corpus.partner_min_evidence"):
        CorpusConfig(partner_min_evidence=0)
    with pytest.raises(ConfigError, match="corpus.capture_min_furniture_share"):
        CorpusConfig(capture_min_furniture_share=1.5)
    with pytest.raises(ConfigError, match="corpus.capture_min_words"):
        CorpusConfig(capture_min_words=0)
    with pytest.raises(ConfigError, match="corpus.relation_cues"):
        CorpusConfig(relation_cues=3)


def test_custom_relation_cues(tmp_path):
    cues = tmp_path / "cues.yaml"
    cues.write_text("relation:\n  en: [frobnicate*]\n", encoding="utf-8")
    text = tmp_path / "t.csv"
    pd.DataFrame({"text": [
        "Vietnam and Laos frobnicated together\nVietnam frobnicates with Laos in Vientiane every year.\n"
    ]}).to_csv(text, index=False)  # fmt: skip
    documents, _ = load_corpus(text, language_column=None, relation_cues=str(cues))
    assert list(documents.loc[0, "partners"]) == ["Laos"]


def test_seeds_have_their_partners_and_are_in_scope(tmp_path):
    from conftest import SEEDS

    for path in sorted(SEEDS.glob("*.txt")):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    documents, _ = load_corpus(tmp_path)
    expected = [["Japan"], ["Japan"], ["Japan"], ["France"], ["China"]]
    assert [list(p) for p in documents["partners"]] == expected
    assert [list(m) for m in documents["multilateral"]] == [[]] * 5
    assert documents["in_scope"].tolist() == [True] * 5
