"""A folder of bad inputs loads without crashing, and every input is accounted for."""

from __future__ import annotations

import codecs
import time
import unicodedata

import pandas as pd
import pytest

from coopthemes.corpus import load_corpus
from coopthemes.corpus.decode import DecodeError, decode_bytes

FRENCH = (
    "Coopération franco-vietnamienne\n\n"
    "Le ministre de la Sécurité publique a reçu à Hanoï la délégation française du ministère "
    "de l'Intérieur, chargée de la sécurité intérieure et de la lutte contre la criminalité.\n\n"
    "Les deux parties sont convenues de renforcer l'échange d'informations et la formation "
    "des policiers, a précisé le ministère à l'issue de la réunion.\n"
)
VIETNAMESE = (
    "Hợp tác an ninh Việt Nam - Nhật Bản\n\n"
    "Bộ trưởng Bộ Công an đã tiếp Đại sứ Nhật Bản tại Hà Nội, hai bên nhất trí tăng cường "
    "hợp tác phòng, chống tội phạm xuyên quốc gia và tội phạm mạng.\n\n"
    "Đại sứ khẳng định phía Nhật Bản sẵn sàng hỗ trợ đào tạo nguồn nhân lực cho lực lượng "
    "Công an nhân dân Việt Nam trong thời gian tới.\n"
)
FRENCH_CP1252 = (
    "Visite à Paris\n\n"
    "Le général a été accueilli à Paris par le préfet de police ; les échanges ont porté sur "
    "la sécurité des événements sportifs et la coopération judiciaire entre les deux pays.\n\n"
    "Une délégation française se rendra à Hô Chi Minh-Ville l'été prochain pour poursuivre "
    "les discussions sur la formation des enquêteurs.\n"
)
ENGLISH = (
    "Vietnam and Australia step up police cooperation\n\n"
    "The Minister of Public Security received the Australian Federal Police Commissioner in "
    "Hanoi on 15 September 2021 to discuss cooperation against drug trafficking.\n\n"
    "Both sides agreed to share intelligence and to train officers in cyber security.\n"
)
HTML = """<!doctype html><html><head><title>Vietnam, Japan talks | News site</title>
<style>body { color: red }</style><script>var tracking = "Russia Russia Russia";</script></head>
<body><header>Home | World | Sport</header><nav><a href="/">Menu: Germany news</a></nav>
<article><h1>Vietnam, Japan boost cooperation</h1>
<p>The Minister of Public Security met the Japanese Ambassador in Hanoi on Monday to review cooperation.</p>
<p>Both sides agreed to expand the exchange of information<br>and training.</p></article>
<aside>Most read: Germany wins</aside><footer>Copyright Germany Media</footer>
<noscript>Enable JavaScript</noscript><form>Subscribe to our newsletter</form></body></html>
"""
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese text as Windows-1258 (base letter + separate tone mark)."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(p for p in parts if p in _TONES)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONES))
        out.append(base + tones)
    return "".join(out).encode("cp1258")


def test_to_cp1258_uses_combining_tone_marks():
    data = to_cp1258("Việt")
    assert data == b"Vi\xea\xf2t"
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == "Việt"


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    (root / "a_good_fr.txt").write_text(FRENCH, encoding="utf-8")
    (root / "b_empty.txt").write_bytes(b"")
    (root / "c_binary.txt").write_bytes(bytes(range(256)) * 8)
    (root / "d_utf16.txt").write_bytes(codecs.BOM_UTF16_LE + ENGLISH.encode("utf-16-le"))
    (root / "e_cp1252.txt").write_bytes(FRENCH_CP1252.encode("cp1252"))
    (root / "f_cp1258.txt").write_bytes(to_cp1258(VIETNAMESE))
    (root / "g_page.html").write_text(HTML, encoding="utf-8")
    (root / "h_whitespace.md").write_text("   \n\n \t\n", encoding="utf-8")
    (root / "i_utf16be_nobom.txt").write_bytes(ENGLISH.encode("utf-16-be"))
    (root / "j_bom.txt").write_bytes(codecs.BOM_UTF8 + VIETNAMESE.encode("utf-8"))
    sub = root / "sub"
    sub.mkdir()
    (sub / "k_nested.md").write_text("# Nested title\n\n" + ENGLISH, encoding="utf-8")
    paragraph = "Officers from Vietnam and Japan reviewed case number {} on drug trafficking routes."
    big = "\n\n".join(paragraph.format(i) for i in range(62_000))
    (root / "l_big.txt").write_text(big, encoding="utf-8")
    (root / "metadata.csv").write_text(
        "file,year,partner,title\n"
        "a_good_fr.txt,2019,France; Japon,\n"
        "007.txt,2020,,\n"
        "e_cp1252.txt,2018,France,extra,fields\n"
        "f_cp1258.txt,20x1,,\n",
        encoding="utf-8",
    )
    start = time.perf_counter()
    documents, passages = load_corpus(root)
    return documents.set_index("doc_id"), passages, time.perf_counter() - start, len(big.encode())


def test_every_input_is_in_the_ledger(bad_corpus):
    documents = bad_corpus[0]
    expected = {
        "a_good_fr", "b_empty", "c_binary", "d_utf16", "e_cp1252", "f_cp1258", "g_page",
        "h_whitespace", "i_utf16be_nobom", "j_bom", "k_nested", "l_big", "007",
    }  # fmt: skip
    assert set(documents.index) == expected


@pytest.mark.parametrize(
    ("doc_id", "status", "reason"),
    [
        ("b_empty", "empty", "empty file"),
        ("c_binary", "error", "binary file (NUL bytes)"),
        ("h_whitespace", "empty", "no text (whitespace only)"),
        ("007", "missing", "listed in metadata.csv but file not found: 007.txt"),
    ],
)
def test_bad_items_have_status_and_reason(bad_corpus, doc_id, status, reason):
    doc = bad_corpus[0].loc[doc_id]
    assert (doc["status"], doc["reason"]) == (status, reason)
    assert doc["n_passages"] == 0


def test_malformed_sidecar_rows_are_reported_on_their_documents(bad_corpus):
    documents = bad_corpus[0]
    cp1252 = documents.loc["e_cp1252"]
    assert cp1252["status"] == "ok"
    assert "metadata.csv: malformed row 3 (line 4): expected 4 fields, found 5" in cp1252["reason"]
    assert cp1252["year_source"] == "none" and pd.isna(cp1252["year"])
    cp1258 = documents.loc["f_cp1258"]
    assert cp1258["status"] == "ok"
    assert "year '20x1' is not a year" in cp1258["reason"]


def test_sidecar_values_override_extraction(bad_corpus):
    doc = bad_corpus[0].loc["a_good_fr"]
    assert (doc["year"], doc["year_source"]) == (2019, "sidecar")
    assert list(doc["partners"]) == ["France", "Japan"]
    assert doc["partner_source"] == "sidecar"


def _kept(passages: pd.DataFrame, doc_id: str) -> str:
    return "\n".join(passages[(passages["doc_id"] == doc_id) & passages["kept"]]["text"])


def test_encodings_are_decoded(bad_corpus):
    documents, passages = bad_corpus[0], bad_corpus[1]
    assert "Une délégation française se rendra à Hô Chi Minh-Ville l'été prochain" in _kept(
        passages, "e_cp1252"
    )
    assert "hợp tác phòng, chống tội phạm xuyên quốc gia" in _kept(passages, "f_cp1258")
    same = passages[passages["doc_id"] == "j_bom"].reset_index(drop=True)
    other = passages[passages["doc_id"] == "f_cp1258"].reset_index(drop=True)
    pd.testing.assert_series_equal(same["text"], other["text"])
    assert set(same["drop_reason"]) == {"duplicate"}
    assert "Australian Federal Police Commissioner" in _kept(passages, "d_utf16")
    be = passages[passages["doc_id"] == "i_utf16be_nobom"].reset_index(drop=True)
    le = passages[passages["doc_id"] == "d_utf16"].reset_index(drop=True)
    pd.testing.assert_series_equal(be["text"], le["text"])
    assert documents.loc["f_cp1258", "language"] == "vi"
    assert list(documents.loc["f_cp1258", "partners"]) == ["Japan"]
    assert documents.loc["d_utf16", "year"] == 2021
    assert list(documents.loc["d_utf16", "partners"]) == ["Australia"]
    assert documents.loc["j_bom", "title"] == "Hợp tác an ninh Việt Nam - Nhật Bản"


def test_good_documents_are_unaffected(bad_corpus, tmp_path):
    (tmp_path / "a_good_fr.txt").write_text(FRENCH, encoding="utf-8")
    alone_docs, alone_passages = load_corpus(tmp_path)
    passages = bad_corpus[1]
    mine = passages[passages["doc_id"] == "a_good_fr"].reset_index(drop=True)
    pd.testing.assert_series_equal(mine["text"], alone_passages["text"])
    assert bad_corpus[0].loc["a_good_fr", "language"] == alone_docs.loc[0, "language"] == "fr"


def test_html_text_only(bad_corpus):
    documents, passages = bad_corpus[0], bad_corpus[1]
    text = "\n".join(passages[passages["doc_id"] == "g_page"]["text"])
    assert documents.loc["g_page", "title"] == "Vietnam, Japan boost cooperation"
    assert "expand the exchange of information and training." in text
    for noise in ("tracking", "Menu", "Most read", "Copyright", "JavaScript", "Subscribe", "color"):
        assert noise not in text
    assert list(documents.loc["g_page", "partners"]) == ["Japan"]


def test_nested_markdown_and_big_file(bad_corpus):
    documents, passages, _seconds, size = bad_corpus
    assert documents.loc["k_nested", "source_path"] == "sub/k_nested.md"
    assert documents.loc["k_nested", "title"] == "Nested title"
    assert size > 5_000_000
    big = passages[passages["doc_id"] == "l_big"]
    assert len(big) == 62_000
    assert documents.loc["l_big", "status"] == "ok"


def test_malformed_sidecar_never_crashes(tmp_path):
    (tmp_path / "one.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "metadata.csv").write_bytes(b"name,year\n\x00\x01\x02 one.txt,2020\n")
    documents, passages = load_corpus(tmp_path)
    documents = documents.set_index("doc_id")
    assert documents.loc["one", "status"] == "ok"
    assert documents.loc["one", "year"] == 2021
    warning = documents.loc["metadata.csv:001"]
    assert warning["status"] == "error"
    assert warning["reason"].startswith("metadata.csv: unreadable: binary file")
    (tmp_path / "metadata.csv").write_text("name,year\none.txt,2020\n", encoding="utf-8")
    documents = load_corpus(tmp_path)[0].set_index("doc_id")
    assert (
        documents.loc["metadata.csv:001", "reason"] == "metadata.csv: no 'file' column (columns: name, year)"
    )
    assert documents.loc["one", "year_source"] == "text"


def test_decode_bytes_refuses_binary_and_prefers_cp1258_for_vietnamese():
    with pytest.raises(DecodeError, match="NUL bytes"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert decode_bytes(to_cp1258("Bộ Công an Việt Nam"))[0] == "Bộ Công an Việt Nam"
    assert decode_bytes(to_cp1258("Bộ Công an Việt Nam"))[1] == "cp1258"
    assert decode_bytes("Sécurité publique à Hanoï".encode("cp1252")) == (
        "Sécurité publique à Hanoï",
        "cp1252",
    )
    assert decode_bytes(codecs.BOM_UTF8 + "é".encode()) == ("é", "utf-8-sig")


def test_missing_input_and_unknown_format(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        load_corpus(tmp_path / "nope")
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    with pytest.raises(ValueError, match="expected a folder or a .csv, .jsonl, .parquet table"):
        load_corpus(tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="home_country: 'Narnia' is not a country"):
        load_corpus(tmp_path, home_country="Narnia")


def test_sidecar_columns_and_extra_columns(tmp_path):
    (tmp_path / "one.txt").write_text(ENGLISH, encoding="utf-8")
    (tmp_path / "two.txt").write_text(FRENCH, encoding="utf-8")
    (tmp_path / "metadata.csv").write_text(
        "file,doc_id,title,language,source,url,partner,date\n"
        "one.txt,vn-au-2021,Police talks,en,VNA,https://example.org/1,Úc; Nhật Bản,2021-09\n",
        encoding="utf-8",
    )
    documents = load_corpus(tmp_path, extra_columns=("url",))[0].set_index("doc_id")
    assert list(documents.index) == ["two", "vn-au-2021"]
    doc = documents.loc["vn-au-2021"]
    assert (doc["title"], doc["language"], doc["outlet"]) == ("Police talks", "en", "VNA")
    assert (doc["date"], doc["year"], doc["year_source"]) == ("2021-09", 2021, "sidecar")
    assert list(doc["partners"]) == ["Australia", "Japan"]
    assert doc["url"] == "https://example.org/1"
    assert pd.isna(documents.loc["two", "url"])
    assert documents.loc["two", "title"] == "Coopération franco-vietnamienne"
