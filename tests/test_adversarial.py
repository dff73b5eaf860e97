"""Bad input never stalls, crashes or silently loses data: the library side.

Every input is generated here (nothing large is committed). Each test states
one promise: the ledger names every input, a malformed one with its problem;
pathological inputs cost time linear in their size; configuration files
cannot expand; caches and results are checked before they are trusted; CSV
cells cannot run as spreadsheet formulas. ``test_adversarial_cli.py`` makes
the same attacks through the ``coopthemes`` command.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coopthemes.config import ConfigError, CorpusConfig, load_config
from coopthemes.corpus import load_corpus
from coopthemes.corpus.extract import html_to_text, markdown_to_text
from coopthemes.corpus.gazetteer import GazetteerError, load_gazetteer
from coopthemes.corpus.passages import chunk_paragraph
from coopthemes.corpus.relations import load_relation_cues
from coopthemes.corpus.repair import repair_paragraphs
from coopthemes.results import RunResult, verify_results, write_results
from coopthemes.safeyaml import short_repr
from coopthemes.tables import latex_unsupported, neutralise_formula, to_csv, write_table
from coopthemes.themes.codebook import CodebookError, load_codebook

from adversarial_inputs import BOMB, ENGLISH, FRENCH, damaged_parquet

VIETNAMESE = ("Bộ trưởng Bộ Công an đã tiếp Đại sứ Nhật Bản tại Hà Nội, hai bên nhất trí tăng cường hợp tác "
              "phòng, chống tội phạm xuyên quốc gia.")
RUSSIAN = ("Министр общественной безопасности Вьетнама встретился с послом Франции в Ханое. Стороны обсудили "
           "сотрудничество в борьбе с преступностью и терроризмом. ") * 4
JAPANESE = ("ベトナム公安大臣はハノイで日本大使と会談し、国境を越える犯罪との戦いにおける協力について話し合った。"
            "両国は情報交換を強化することで合意した。") * 4
CHINESE = "越南公安部长在河内会见了法国大使。双方讨论了打击跨国犯罪和恐怖主义的合作。双方同意加强信息交流和培训合作。" * 4


def _ledger(path, **settings) -> pd.DataFrame:
    return load_corpus(path, show_progress=False, **settings)[0].set_index("doc_id")


# --------------------------------------------------------------------------
# malformed tables
# --------------------------------------------------------------------------


def test_csv_row_with_extra_fields_is_reported_not_shifted(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text(f'id,text\na,"{FRENCH}"\nb,"{VIETNAMESE}",stray\nc,"{ENGLISH}"\n', encoding="utf-8")
    docs = _ledger(path, id_column="id")
    assert docs.loc["a", "status"] == docs.loc["c", "status"] == "ok"
    bad = docs.loc["news.csv:bad001"]
    assert bad["status"] == "error"
    assert bad["reason"] == ("news.csv: line 3: 3 fields where the header has 2 (a comma outside quotes?); "
                             "row not read")


def test_csv_unbalanced_quote_loses_only_its_row(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text(f'id,text\na,"{FRENCH}\nb,"{VIETNAMESE}"\nc,"{ENGLISH}"\n', encoding="utf-8")
    docs = _ledger(path, id_column="id")
    assert set(docs.index) == {"b", "c", "news.csv:bad001"}
    assert docs.loc["b", "status"] == docs.loc["c", "status"] == "ok"
    reason = docs.loc["news.csv:bad001", "reason"]
    assert reason.startswith("news.csv: lines 2-3: not valid CSV") and "quote left open" in reason


def test_csv_quote_open_to_the_end_is_reported(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text(f'id,text\na,"{FRENCH}"\nb,"{ENGLISH}\n', encoding="utf-8")
    docs = _ledger(path, id_column="id")
    assert docs.loc["a", "status"] == "ok"
    assert "line 3: not valid CSV: unexpected end of data" in docs.loc["news.csv:bad001", "reason"]


def test_csv_multiline_cells_and_doubled_quotes_still_read(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text(f'id,text\na,"{FRENCH}\n\nIl a dit ""merci""."\nb,"{ENGLISH}"\n', encoding="utf-8")
    docs, passages = load_corpus(path, id_column="id", show_progress=False)
    assert docs["status"].tolist() == ["ok", "ok"]
    assert 'Il a dit "merci".' in " ".join(passages["text"])


def test_zero_byte_and_header_only_tables_are_named(tmp_path):
    (tmp_path / "zero.csv").write_bytes(b"")
    with pytest.raises(ValueError, match=r"zero\.csv: empty file \(no header row, no rows\)"):
        load_corpus(tmp_path / "zero.csv")
    (tmp_path / "head.csv").write_text("id,text\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"head\.csv: no rows"):
        load_corpus(tmp_path / "head.csv")


def test_nul_byte_in_one_cell_keeps_the_table(tmp_path):
    path = tmp_path / "news.csv"
    path.write_bytes(f'id,text\na,"{FRENCH}"\nb,"{ENGLISH[:40]}\x00{ENGLISH[40:]}"\n'.encode())
    docs, passages = load_corpus(path, id_column="id", show_progress=False)
    docs = docs.set_index("doc_id")
    assert docs["status"].tolist() == ["ok", "ok"]
    assert docs.loc["b", "reason"] == "1 NUL character(s) removed from the text"
    assert "\x00" not in "".join(passages["text"])


def test_damaged_parquet_is_named(tmp_path):
    path = damaged_parquet(tmp_path / "news.parquet")
    with pytest.raises(ValueError, match=r"news\.parquet: not a readable Parquet file"):
        load_corpus(path)


def test_repeated_ids_are_renamed_without_collision(tmp_path):
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    for name, text in (("a.txt", FRENCH), ("sub/a.txt", ENGLISH), ("sub__a.txt.txt", VIETNAMESE)):
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "metadata.csv").write_text("file,doc_id\na.txt,sub__a.txt\n", encoding="utf-8")
    docs = _ledger(folder)
    assert docs.index.is_unique and len(docs) == 3
    path = tmp_path / "news.csv"
    pd.DataFrame({"id": ["x", "x", "x~row00001", "y", "y~2"],
                  "text": [FRENCH, ENGLISH, VIETNAMESE, FRENCH + " 2", ENGLISH + " 2"]}).to_csv(path, index=False)
    docs = _ledger(path, id_column="id")
    assert docs.index.is_unique and len(docs) == 5
    assert "id 'x' repeats row 0" in docs.loc["x~row00001~3", "reason"]


# --------------------------------------------------------------------------
# pathological sizes and nesting: linear time
# --------------------------------------------------------------------------


def _seconds(func, *args, **kwargs) -> float:
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        func(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best


def _repeat(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _clean(text: str) -> None:
    paragraphs = repair_paragraphs(text, language="fr")
    for p in paragraphs:
        chunk_paragraph(p, language="fr", max_chars=1200)


PATHOLOGICAL = {
    "one line of words": (_clean, lambda n: _repeat("police coopération sécurité formation ", n)),
    "one word": (_clean, lambda n: _repeat("coopération", n)),
    "a letter on every line": (_clean, lambda n: "x\n" * (n // 2)),
    "abbreviations only": (_clean, lambda n: _repeat("Mr. Dr. ", n)),
    "markdown '*a '": (markdown_to_text, lambda n: "*a " * (n // 3) + "a"),
    "markdown open links": (markdown_to_text, lambda n: "![a](b [c " * (n // 10) + "a"),
    "nested <div>": (html_to_text, lambda n: "<div>" * (n // 11) + "x" + "</div>" * (n // 11)),
    "unclosed comments": (html_to_text, lambda n: _repeat("<!-- a <a ", n)),
    "unclosed tags and quotes": (html_to_text, lambda n: _repeat("<p><b a='x>", n)),
}


@pytest.mark.parametrize("case", sorted(PATHOLOGICAL))
def test_text_steps_are_linear(case):
    func, make = PATHOLOGICAL[case]
    small, large = make(25_000), make(100_000)
    t_small, t_large = _seconds(func, small), _seconds(func, large)
    # linear: 4x the input, about 4x the time; the quadratic versions took 16x (minutes at 1 MB)
    assert t_large < 10 * t_small + 0.3, f"{case}: {t_small:.3f} s -> {t_large:.3f} s"


def test_html_of_100000_nested_elements():
    page = "<html><body>" + "<div>" * 100_000 + "<p>Hợp tác an ninh.</p>" + "</div>" * 100_000 + "</body></html>"
    t0 = time.perf_counter()
    text, title = html_to_text(page)
    assert text == "Hợp tác an ninh." and title is None
    assert time.perf_counter() - t0 < 20


def test_documents_over_the_size_limit_are_dropped_with_the_reason(tmp_path):
    (tmp_path / "long.txt").write_text(FRENCH * 100, encoding="utf-8")
    (tmp_path / "huge.txt").write_bytes(b"x" * 25_000)
    (tmp_path / "fine.txt").write_text(ENGLISH, encoding="utf-8")
    docs = _ledger(tmp_path, max_document_chars=5000)
    assert docs.loc["fine", "status"] == "ok"
    assert docs.loc["long", "status"] == "error"
    assert docs.loc["long", "reason"].startswith(
        "too long: 17,000 characters, more than corpus.max_document_chars (5,000)")
    assert docs.loc["huge", "reason"].startswith("too large: 25,000 bytes")
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"text": FRENCH * 100}) + "\n" + json.dumps({"text": ENGLISH}) + "\n")
    docs = _ledger(table, max_document_chars=5000)
    assert docs["status"].tolist() == ["error", "ok"]


# --------------------------------------------------------------------------
# encodings outside the supported set, other scripts
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "codec", "reason"), [
    (JAPANESE, "shift_jis", "garbled text"),
    (RUSSIAN, "koi8_r", "garbled text"),
    (CHINESE, "gb18030", "garbled text"),
    (RUSSIAN, "cp1251", "garbled text"),
    (RUSSIAN, "utf-8", "text in another writing system"),
    (CHINESE, "utf-8", "text in another writing system"),
])  # fmt: skip
def test_garbled_text_is_flagged_not_kept_as_vietnamese(tmp_path, text, codec, reason):
    (tmp_path / "odd.txt").write_bytes(text.encode(codec))
    (tmp_path / "vi.txt").write_text(VIETNAMESE + "\n\n" + VIETNAMESE.replace("Nhật Bản", "Pháp"), encoding="utf-8")
    (tmp_path / "fr.txt").write_bytes((FRENCH + "\n\n" + FRENCH.replace("Hanoï", "Paris")).encode("cp1252"))
    docs = _ledger(tmp_path)
    assert docs.loc["odd", "status"] == "error"
    assert docs.loc["odd", "reason"].startswith(reason)
    assert docs.loc["vi", "status"] == docs.loc["fr", "status"] == "ok"


GERMAN = ("Der Minister für öffentliche Sicherheit traf den japanischen Botschafter in Hanoi, um die "
          "Zusammenarbeit gegen Drogenhandel und Cyberkriminalität zu besprechen. Beide Seiten vereinbarten, "
          "Informationen auszutauschen und gemeinsame Schulungen für Ermittler zu organisieren. ") * 3
VIETNAMESE_PLAIN = ("Bo truong Bo Cong an da tiep Dai su Nhat Ban tai Ha Noi, hai ben nhat tri tang cuong hop tac "
                    "phong, chong toi pham xuyen quoc gia va trao doi thong tin ve an ninh mang. ") * 3


def test_another_language_in_the_same_script_is_flagged(tmp_path):
    (tmp_path / "de.txt").write_text(GERMAN, encoding="utf-8")
    (tmp_path / "plain.txt").write_text(VIETNAMESE_PLAIN, encoding="utf-8")  # Vietnamese without diacritics
    (tmp_path / "en.txt").write_text((ENGLISH + " ") * 3, encoding="utf-8")
    (tmp_path / "fr.txt").write_text((FRENCH + " ") * 3, encoding="utf-8")
    docs = _ledger(tmp_path)
    assert docs["status"].to_dict() == {"de": "error", "en": "ok", "fr": "ok", "plain": "ok"}
    assert docs.loc["de", "reason"].startswith("text in another language: detected as German (de")
    assert docs.loc["plain", "language"] == "vi"
    assert _ledger(tmp_path, languages=("de", "en", "fr", "vi"))["status"].eq("ok").all()
    assert _ledger(tmp_path, check_garbled=False)["status"].eq("ok").all()


def test_other_script_is_accepted_when_configured(tmp_path):
    (tmp_path / "ru.txt").write_text(RUSSIAN, encoding="utf-8")
    (tmp_path / "sjis.txt").write_bytes(JAPANESE.encode("shift_jis"))
    docs = _ledger(tmp_path, languages=("ru", "en"), home_country="Vietnam")
    assert docs.loc["ru", "status"] != "error" and docs.loc["sjis", "status"] == "error"
    docs = _ledger(tmp_path, check_garbled=False)
    assert docs.loc["sjis", "status"] != "error"


# --------------------------------------------------------------------------
# folders: symbolic links, other files, emptiness
# --------------------------------------------------------------------------


def test_symlinks_leaving_the_folder_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Secret: " + ENGLISH, encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(FRENCH, encoding="utf-8")
    (corpus / "inner.txt").symlink_to(corpus / "a.txt")
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    (corpus / "folder").symlink_to(outside, target_is_directory=True)
    docs, passages = load_corpus(corpus, show_progress=False)
    docs = docs.set_index("doc_id")
    assert set(docs.index) == {"a", "inner", "leak", "gone", "folder"}
    assert docs.loc["leak", "status"] == "error"
    assert "outside the corpus folder; not followed" in docs.loc["leak", "reason"]
    assert docs.loc["gone", "status"] == "missing"
    assert docs.loc["gone", "reason"].startswith("dangling symbolic link")
    assert docs.loc["folder", "reason"].startswith("symbolic link to")
    assert docs.loc["inner", "status"] == "ok"
    assert "Secret" not in " ".join(passages["text"])


def test_a_pipe_does_not_block_the_reader(tmp_path):
    (tmp_path / "a.txt").write_text(FRENCH, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "metadata.csv")
    docs = _ledger(tmp_path)
    assert docs.loc["pipe", "status"] == "error"
    assert docs.loc["pipe", "reason"].startswith("not a regular file")
    assert docs.loc["metadata.csv:001", "reason"].startswith("metadata.csv: not a regular file")


def test_sidecar_leaving_the_folder_is_not_read(tmp_path):
    (tmp_path / "meta.csv").write_text("file,year\na.txt,2001\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(FRENCH, encoding="utf-8")
    (corpus / "metadata.csv").symlink_to(tmp_path / "meta.csv")
    docs = _ledger(corpus)
    assert docs.loc["a", "year_source"] != "sidecar"
    assert "outside the corpus folder; not followed" in docs.loc["metadata.csv:001", "reason"]


def test_empty_folder_and_other_file_types(tmp_path):
    with pytest.raises(ValueError, match="empty folder: no documents"):
        load_corpus(tmp_path)
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "notes.docx").write_bytes(b"PK")
    docs = _ledger(tmp_path)
    assert docs["status"].tolist() == ["error", "error"]
    assert docs.loc["report.pdf", "reason"].startswith("file type '.pdf' is not read")


def test_extra_columns_absent_from_the_sidecar_are_named(tmp_path):
    (tmp_path / "a.txt").write_text(FRENCH, encoding="utf-8")
    with pytest.raises(ValueError, match="corpus.extra_columns: 'label' given, but .* has no metadata.csv"):
        load_corpus(tmp_path, extra_columns=("label",))
    (tmp_path / "metadata.csv").write_text("file,year\na.txt,2020\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"no column 'label' in .*metadata.csv \(columns: file, year\)"):
        load_corpus(tmp_path, extra_columns=("label",))


# --------------------------------------------------------------------------
# YAML bombs and odd YAML
# --------------------------------------------------------------------------

@pytest.mark.parametrize(("loader", "text", "error"), [
    (load_config, BOMB + "seed: *h\n", ConfigError),
    (load_codebook, BOMB + "themes:\n- id: t\n  label: T\n  descriptions: {en: x}\n  keywords: {en: *h}\n",
     CodebookError),
    (load_gazetteer, "countries:\n  Vietnam: {names: {en: [Vietnam]}}\n  X: {names: {en: &x [a]}}\n"
                     "  Y: {names: {en: *x}}\n", GazetteerError),
    (load_relation_cues, BOMB.replace("a: &a", "relation:\n  en: &a").split("\nb:")[0] + "\n  fr: *a\n",
     GazetteerError),
])  # fmt: skip
def test_yaml_aliases_are_refused_fast(tmp_path, loader, text, error):
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    t0 = time.perf_counter()
    with pytest.raises(error) as info:
        loader(path)
    assert time.perf_counter() - t0 < 5
    message = str(info.value)
    assert message.startswith(str(path)) and "aliases" in message and len(message) < 300


def test_codebook_keywords_as_a_string_and_unknown_fields(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text("themes:\n- id: t\n  label: T\n  descriptions: {en: x}\n  keywords: {en: drugs}\n")
    with pytest.raises(CodebookError, match="keywords.en: expected a list of words, got a string"):
        load_codebook(path)
    path.write_text("themse: []\nthemes:\n- id: t\n  label: T\n  descriptions: {en: x}\n")
    with pytest.raises(CodebookError, match=r"unknown field\(s\) \['themse'\]"):
        load_codebook(path)


def test_short_repr_never_builds_a_huge_value():
    value = ["lol"] * 9
    for _ in range(8):
        value = [value] * 9  # 43 million leaves
    t0 = time.perf_counter()
    text = short_repr(value)
    assert time.perf_counter() - t0 < 1 and len(text) <= 60


# --------------------------------------------------------------------------
# corrupt and swapped caches
# --------------------------------------------------------------------------


def test_swapped_theme_cache_entries_are_refitted(tmp_path, monkeypatch):
    from coopthemes.themes import cache as theme_cache

    monkeypatch.setattr(theme_cache.ThemeModel, "load", staticmethod(lambda *a, **k: "fit"))
    store = theme_cache.ThemeFitCache(tmp_path)
    for key in ("a" * 64, "b" * 64):
        entry = tmp_path / key
        (entry / "model").mkdir(parents=True)
        (entry / "model" / "m.json").write_text(key)
        record = {"key": key, "files": theme_cache._file_digests(entry)}
        (entry / "entry.json").write_text(json.dumps(record))
    assert store.load("a" * 64, embedder=None) == "fit"
    (tmp_path / ("a" * 64)).rename(tmp_path / "tmp")
    (tmp_path / ("b" * 64)).rename(tmp_path / ("a" * 64))
    (tmp_path / "tmp").rename(tmp_path / ("b" * 64))
    assert store.load("a" * 64, embedder=None) is None
    assert store.load("b" * 64, embedder=None) is None


def test_embedding_cache_survives_folders_files_and_lying_headers(tmp_path, fake_embedder):
    from coopthemes.embeddings.cache import EmbeddingCache

    texts, ids = [f"text {i} về hợp tác" for i in range(40)], [f"p{i}" for i in range(40)]
    cache = EmbeddingCache(tmp_path / "cache", chunk_size=8)
    reference = cache.embed(fake_embedder, texts, ids)
    entries = sorted((tmp_path / "cache").rglob("*.npy"))
    entries[0].unlink()
    entries[0].mkdir()  # a folder in a file's place
    with open(entries[1], "wb") as fh:  # a header that claims 10**12 rows: refused before any allocation
        np.lib.format.write_array_header_1_0(fh, {"descr": "<f4", "fortran_order": False, "shape": (10**12, 64)})
        fh.write(b"\0" * 64)
    again = EmbeddingCache(tmp_path / "cache", chunk_size=8)
    np.testing.assert_array_equal(again.embed(fake_embedder, texts, ids), reference)
    assert again.cache_stats.rejected == 2 and again.cache_stats.unwritten == 1
    (tmp_path / "file").write_text("not a folder")
    blocked = EmbeddingCache(tmp_path / "file" / "cache", chunk_size=8)
    np.testing.assert_array_equal(blocked.embed(fake_embedder, texts, ids), reference)
    assert blocked.cache_stats.unwritten == blocked.cache_stats.misses > 0


# --------------------------------------------------------------------------
# tampered results
# --------------------------------------------------------------------------


@pytest.fixture
def results(tmp_path) -> Path:
    from coopthemes.report.synthetic import synthetic_results

    tables = synthetic_results(seed=1, n_documents=20)
    info = tables.pop("run")
    return write_results(RunResult(tables=tables, info=info), tmp_path / "results")


def test_results_record_their_checksums(results):
    assert verify_results(results) == (str(results / "SHA256SUMS"), [])
    lines = (results / "SHA256SUMS").read_text().splitlines()
    names = [line.split("  ")[1] for line in lines]
    assert "run.json" in names and "prevalence.parquet" in names
    assert all(len(line.split("  ")[0]) == 64 for line in lines)


def test_edited_missing_and_added_results_are_named(results):
    prevalence = pd.read_parquet(results / "prevalence.parquet")
    prevalence.loc[0, "share"] = 0.99
    prevalence.to_parquet(results / "prevalence.parquet", index=False)
    (results / "effects.parquet").unlink()
    pd.DataFrame({"x": [1]}).to_parquet(results / "extra.parquet")
    source, problems = verify_results(results)
    assert problems == [
        f"{results / 'effects.parquet'}: missing (recorded in {source})",
        f"{results / 'extra.parquet'}: not written by the run (not recorded in {source})",
        f"{results / 'prevalence.parquet'}: changed since the run (its sha256 differs from {source})",
    ]


def test_results_without_checksums_are_checked_against_the_manifest(results, tmp_path):
    from coopthemes.provenance import write_manifest

    (results / "SHA256SUMS").unlink()
    manifest = write_manifest(results.parent, artefacts=[], config={}, corpus_hash=None, seed=0, command="x",
                              inputs=sorted(results.glob("*.parquet")) + [results / "run.json"])
    assert verify_results(results, manifests=(manifest,)) == (str(manifest), [])
    (results / "run.json").write_text("{}")
    assert verify_results(results, manifests=(manifest,))[1] == [
        f"{results / 'run.json'}: changed since the run (its sha256 differs from {manifest})"]
    assert verify_results(results) == (None, [])


def _rewrite_checksums(results: Path) -> None:
    """Rewrite SHA256SUMS for the files as they are now (as ``sha256sum *.parquet run.json`` would)."""
    import hashlib

    files = sorted([*results.glob("*.parquet"), results / "run.json"])
    (results / "SHA256SUMS").write_text("".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
                                                for p in files))


def test_a_manifest_of_the_same_run_finds_tables_edited_with_their_checksums(results):
    from coopthemes.provenance import write_manifest

    inputs = sorted([*results.glob("*.parquet"), results / "run.json", results / "SHA256SUMS"])
    manifest = write_manifest(results.parent, artefacts=[], config={}, corpus_hash=None, seed=0, command="x",
                              inputs=inputs)
    assert verify_results(results, manifests=(manifest,)) == (str(results / "SHA256SUMS"), [])
    prevalence = pd.read_parquet(results / "prevalence.parquet")
    prevalence.loc[0, "share"] = 0.99
    prevalence.to_parquet(results / "prevalence.parquet", index=False)
    _rewrite_checksums(results)
    assert verify_results(results) == (str(results / "SHA256SUMS"), [])
    assert verify_results(results, manifests=(manifest,))[1] == [
        f"{results / 'SHA256SUMS'}: changed since the run (its sha256 differs from {manifest})",
        f"{results / 'prevalence.parquet'}: changed since the run (its sha256 differs from {manifest})",
    ]
    # a manifest of another run (another run.json) says nothing about these tables
    (results / "run.json").write_text(json.dumps({"seed": 7}))
    _rewrite_checksums(results)
    assert verify_results(results, manifests=(manifest,)) == (str(results / "SHA256SUMS"), [])


# --------------------------------------------------------------------------
# formula cells and LaTeX
# --------------------------------------------------------------------------


def test_formula_cells_are_neutralised_and_numbers_kept(tmp_path):
    table = pd.DataFrame({
        "title": ['=HYPERLINK("http://x","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "Hợp tác"],
        "=partner": ["-0.5", "+3", "-1e-05", "12%", "−1", "-"],
        "share": [-0.5, 1.25, -2.0, 0.0, 3.5, -10.0],
    })  # fmt: skip
    rows = to_csv(table).splitlines()
    assert rows[0] == "title,'=partner,share"
    assert rows[1] == """"'=HYPERLINK(""http://x"",""click"")",-0.5,-0.50"""
    assert rows[2].startswith("'+cmd|' /C calc'!A0,+3,")
    assert rows[3] == "'-2+3,-1e-05,-2.00" and rows[4].startswith("'@SUM(A1),12%,")
    assert rows[6] == "Hợp tác,'-,-10.00"
    assert neutralise_formula("\r=1") == "'\r=1" and neutralise_formula("＝1+1") == "'＝1+1"


def test_latex_keeps_vietnamese_and_warns_on_other_scripts(tmp_path, caplog):
    fine = pd.DataFrame({"theme": ["Hợp tác phòng, chống tội phạm", "Coopération judiciaire «entraide»"]})
    assert latex_unsupported(fine) == []
    odd = pd.DataFrame({"theme": ["Сотрудничество", "合作\x07"]})
    assert latex_unsupported(odd) == sorted(set("Сотрудничество合作"))
    with caplog.at_level("WARNING", logger="coopthemes.tables"):
        paths = write_table(odd, "odd", tmp_path)
    assert "pdfLaTeX cannot typeset" in caplog.text
    assert "\x07" not in paths[1].read_text(encoding="utf-8")
