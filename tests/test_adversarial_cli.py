"""Bad input through the ``coopthemes`` console script: exit status, one line, no traceback.

Each attack runs the installed command in a temporary folder and checks the
promise of the command line: exit status 2 for bad input with one
``error:`` line naming the file and the problem (a report from changed
results: one line per file), 130 with one line after Ctrl-C, never a
traceback, and every input in the ledger when the command writes one.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adversarial_inputs import BOMB, ENGLISH, FRENCH, damaged_parquet

ROOT = Path(__file__).resolve().parents[1]
EXE = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
COMMAND = [EXE] if EXE else [sys.executable, "-m", "coopthemes"]


def cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([*COMMAND, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)


def errors(proc: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return [line for line in proc.stderr.splitlines() if line.startswith("error:")]


def one_error(proc: subprocess.CompletedProcess, *fragments: str, status: int = 2) -> str:
    """The single ``error:`` line of a failed command, checked for ``fragments``."""
    lines = errors(proc)
    assert proc.returncode == status, (proc.returncode, proc.stderr[-2000:])
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def test_version(tmp_path):
    proc = cli("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("coopthemes ")


def test_malformed_csv_rows_are_in_the_ledger(tmp_path):
    table = tmp_path / "news.csv"
    table.write_text(f'id,text\na,"{FRENCH}"\nb,"{ENGLISH}",stray\nc,"{FRENCH}\nd,"{ENGLISH}"\n'
                     f'e,"{FRENCH}\x00"\n', encoding="utf-8")
    proc = cli("corpus", table, "--id-column", "id", "--out", "out", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and not errors(proc)
    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet").set_index("doc_id")
    assert docs.loc["a", "status"] == docs.loc["d", "status"] == docs.loc["e", "status"] == "ok"
    assert docs.loc["e", "reason"].endswith("1 NUL character(s) removed from the text")
    reasons = sorted(docs.loc[docs.index.str.startswith("news.csv:bad"), "reason"])
    assert reasons[0].startswith("news.csv: line 3: 3 fields where the header has 2")
    assert reasons[1].startswith("news.csv: lines 4-5: not valid CSV")


@pytest.mark.parametrize(("name", "data", "fragment"), [
    ("zero.csv", b"", "zero.csv: empty file (no header row, no rows)"),
    ("head.csv", b"id,text\n", "head.csv: no rows"),
    ("bad.jsonl", b"{not json\n", "none of the 1 inputs has article text"),
    ("missing.csv", None, "missing.csv: no such file or folder"),
])  # fmt: skip
def test_unusable_tables_end_in_one_line(tmp_path, name, data, fragment):
    if data is not None:
        (tmp_path / name).write_bytes(data)
    one_error(cli("corpus", name, "--out", "out", cwd=tmp_path), fragment)


def test_damaged_parquet_corpus_and_passages(tmp_path):
    path = damaged_parquet(tmp_path / "news.parquet")
    one_error(cli("corpus", path, "--out", "out", cwd=tmp_path), "news.parquet: not a readable Parquet file")
    (tmp_path / "corpus").mkdir()
    shutil.copy(path, tmp_path / "corpus" / "passages.parquet")
    one_error(cli("themes", "corpus", "--out", "t", cwd=tmp_path), "passages.parquet: not a readable Parquet table")


def test_empty_and_unreadable_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    one_error(cli("corpus", "empty", "--out", "out", cwd=tmp_path), "empty: empty folder: no documents")
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    (pdfs / "a.pdf").write_bytes(b"%PDF-1.4")
    (pdfs / "b.docx").write_bytes(b"PK")
    (pdfs / "c.txt").symlink_to(tmp_path / "nowhere.txt")
    one_error(cli("corpus", "pdfs", "--out", "out", "-q", cwd=tmp_path),
              "pdfs: none of the 3 inputs has article text (error 2, missing 1)")
    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet")
    assert sorted(docs["doc_id"]) == ["a.pdf", "b.docx", "c"]


def test_symlinks_leaving_the_folder_are_listed_not_read(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("Secret: " + ENGLISH, encoding="utf-8")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text(FRENCH, encoding="utf-8")
    (tmp_path / "c" / "leak.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    (tmp_path / "c" / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    proc = cli("corpus", "c", "--out", "out", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and not errors(proc), proc.stderr
    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet").set_index("doc_id")
    assert docs["status"].to_dict() == {"a": "ok", "gone": "missing", "leak": "error"}
    assert "outside the corpus folder; not followed" in docs.loc["leak", "reason"]
    passages = pd.read_parquet(tmp_path / "out" / "passages.parquet")
    assert "Secret" not in " ".join(passages["text"])


def test_foreign_encodings_and_languages_are_listed_not_kept(tmp_path):
    japanese = "ベトナム公安大臣はハノイで日本大使と会談し、国境を越える犯罪との戦いにおける協力について話し合った。" * 4
    russian = "Министр общественной безопасности Вьетнама встретился с послом Франции в Ханое. " * 4
    chinese = "越南公安部长在河内会见了法国大使。双方讨论了打击跨国犯罪和恐怖主义的合作。" * 4
    german = ("Der Minister für öffentliche Sicherheit traf den japanischen Botschafter in Hanoi, um die "
              "Zusammenarbeit gegen Drogenhandel und Cyberkriminalität zu besprechen. ") * 4
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "sjis.txt").write_bytes(japanese.encode("shift_jis"))
    (tmp_path / "c" / "koi8.txt").write_bytes(russian.encode("koi8_r"))
    (tmp_path / "c" / "gb.txt").write_bytes(chinese.encode("gb18030"))
    (tmp_path / "c" / "de.txt").write_text(german, encoding="utf-8")
    (tmp_path / "c" / "fr.txt").write_text(FRENCH, encoding="utf-8")
    proc = cli("corpus", "c", "--out", "out", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and not errors(proc), proc.stderr
    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet").set_index("doc_id")
    assert docs["status"].to_dict() == {"de": "error", "fr": "ok", "gb": "error", "koi8": "error", "sjis": "error"}
    assert docs.loc["sjis", "reason"].startswith("garbled text")
    assert docs.loc["de", "reason"].startswith("text in another language: detected as German")


def test_pathological_documents_do_not_stall_the_corpus_command(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "nested.html").write_text("<html><body>" + "<div>" * 100_000 + "<p>" + FRENCH + "</p>"
                                                + "</div>" * 100_000 + "</body></html>", encoding="utf-8")
    words = "police coopération sécurité formation drogue frontière enquête accord échange douane "
    (tmp_path / "c" / "line.txt").write_text(words * 10_000, encoding="utf-8")  # 1 MB, no punctuation
    (tmp_path / "c" / "emphasis.md").write_text("*a " * 32_000 + "\n\n" + ENGLISH, encoding="utf-8")
    t0 = time.perf_counter()
    proc = cli("corpus", "c", "--out", "out", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and not errors(proc), proc.stderr
    assert time.perf_counter() - t0 < 120
    docs = pd.read_parquet(tmp_path / "out" / "documents.parquet").set_index("doc_id")
    assert sorted(docs.index) == ["emphasis", "line", "nested"]
    assert docs.loc["nested", "status"] == docs.loc["line", "status"] == "ok"
    # 32,000 times "a" is no text of vi, fr or en: the garbled-text check drops it, with the reason
    assert docs.loc["emphasis", "status"] == "error" and docs.loc["emphasis", "reason"].startswith("garbled text")


def test_yaml_bomb_config_is_refused_at_once(tmp_path):
    (tmp_path / "bomb.yaml").write_text(BOMB + "seed: *h\n", encoding="utf-8")
    t0 = time.perf_counter()
    proc = cli("corpus", ROOT / "seeds", "--out", "out", "--config", "bomb.yaml", cwd=tmp_path)
    assert time.perf_counter() - t0 < 60 and len(proc.stderr) < 500
    one_error(proc, "bomb.yaml: line 2: YAML aliases (*a) are not accepted")


@pytest.mark.parametrize(("config", "fragment"), [
    ("prevalence: {group_column: nonexistent}\n", "prevalence.group_column: 'nonexistent' is not a documents column"),
    ("seed: 1\nseed: 2\n", "line 2: key 'seed' is given twice"),
    ("themes: {top_n_terms: -5}\n", "themes.top_n_terms: must be >= 1"),
    ("corpus: {extra_columns: [label]}\n", "no column(s) 'label'"),
    ("[]\n", "config: expected a mapping of settings, got []"),
    ("themes: {min_dist: .nan}\n", "themes.min_dist: expected a finite number"),
    ("seed: -1\n", "config.yaml: seed: must be >= 0"),
    ("corpus:\n  home_country: Vi\xeat Nam\n".encode("latin-1"), "config.yaml: not UTF-8 text"),
])  # fmt: skip
def test_bad_configs_end_in_one_line(tmp_path, config, fragment):
    path = tmp_path / "config.yaml"
    path.write_bytes(config) if isinstance(config, bytes) else path.write_text(config, encoding="utf-8")
    table = tmp_path / "news.csv"
    pd.DataFrame({"text": [FRENCH, ENGLISH]}).to_csv(table, index=False)
    one_error(cli("corpus", table, "--out", "out", "--config", "config.yaml", cwd=tmp_path), fragment)


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is not None,
                    reason="sentence-transformers is installed")
def test_missing_backend_extra_is_named_before_any_work(tmp_path):
    (tmp_path / "config.yaml").write_text("embeddings: {backend: 'sentence-transformers:some/model'}\n")
    pd.DataFrame({"text": [FRENCH, ENGLISH], "label": ["a", "b"]}).to_csv(tmp_path / "l.csv", index=False)
    (tmp_path / "corpus").mkdir()
    commands = (
        ("run", "--corpus", ROOT / "seeds", "--out", "out"),
        ("themes", "corpus", "--out", "out"),
        ("evaluate", "l.csv", "--label-column", "label", "--out", "out"),
    )
    for command in commands:
        t0 = time.perf_counter()
        proc = cli(*command, "--config", "config.yaml", cwd=tmp_path)
        one_error(proc, "config.yaml: embeddings.backend",
                  "needs the optional extra: pip install 'coopthemes[sentence-transformers]'")
        assert time.perf_counter() - t0 < 60 and not (tmp_path / "out").exists(), command


def test_evaluate_seeds_out_of_range(tmp_path):
    pd.DataFrame({"text": [FRENCH, ENGLISH], "label": ["a", "b"]}).to_csv(tmp_path / "l.csv", index=False)
    for seeds in ("0", "1000"):
        one_error(cli("evaluate", "l.csv", "--label-column", "label", "--seeds", seeds, "--out", "e", cwd=tmp_path),
                  "--seeds: give 1 to 100 seeds")


def test_ctrl_c_ends_in_one_line(tmp_path):
    paragraph = "Officers from Vietnam and Japan reviewed case number {} on drug trafficking routes."
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "big.txt").write_text("\n\n".join(paragraph.format(i) for i in range(40_000)))
    # as from a terminal: a test runner started in the background ignores SIGINT, and its children would too
    proc = subprocess.Popen([*COMMAND, "corpus", "c", "--out", "out"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        "interrupted: nothing was written (the tables are written at the end); run the same command again"]


#: Values of the synthetic results given a formula start: a theme label, partners, a top term.
HOSTILE = {"Transnational crime": "=Transnational crime", "China": "@China", "France": "-France", "crime": "+crime"}


def _hostile(value):
    if isinstance(value, str):
        return HOSTILE.get(value, value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_hostile(v) for v in value]
    return value


def _results(tmp_path: Path) -> Path:
    """Synthetic results whose titles, ids, partners, a theme label and a term start like formulas."""
    from coopthemes.report.synthetic import synthetic_results
    from coopthemes.results import RunResult, write_results

    tables = synthetic_results(seed=2, n_documents=20)
    info = tables.pop("run")
    for name, df in tables.items():
        for column in df.columns:
            if df[column].dtype == object or isinstance(df[column].dtype, pd.StringDtype):
                df[column] = df[column].map(_hostile).astype(df[column].dtype)
        if "doc_id" in df:
            df["doc_id"] = ("-" + df["doc_id"]).astype(df["doc_id"].dtype)
    docs = tables["documents"]
    docs["title"] = [f'=HYPERLINK("http://example.invalid","{i}")' if i % 2 else f"@SUM(A{i})"
                     for i in range(len(docs))]
    return write_results(RunResult(tables=tables, info=info), tmp_path / "out" / "results")


def test_report_refuses_changed_results_and_writes_safe_csv(tmp_path):
    results = _results(tmp_path)
    (tmp_path / "png.yaml").write_text("report: {formats: [png]}\n")
    proc = cli("report", results, "--config", "png.yaml", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and not errors(proc), proc.stderr
    tables = {csv.stem: csv.read_text(encoding="utf-8") for csv in (tmp_path / "out" / "tables").glob("*.csv")}
    assert len(tables) >= 5
    for name, text in tables.items():
        for cell in pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).to_numpy().ravel():
            assert not cell.startswith(("=", "+", "@")), (name, cell)
            assert not cell.startswith("-") or cell.replace(".", "", 1).lstrip("-").isdigit(), (name, cell)
    text = "\n".join(tables.values())
    for value in [*HOSTILE.values(), "=HYPERLINK", "@SUM(A"]:
        assert f"'{value}" in text, value  # each kind of cell is in some table, neutralised
    assert "\n'-vi-" in tables["metadata_audit"]  # document ids
    prevalence = pd.read_parquet(results / "prevalence.parquet")
    prevalence.loc[0, "share"] = 0.99
    prevalence.to_parquet(results / "prevalence.parquet", index=False)
    (results / "run.json").write_text(json.dumps({"seed": 7}))
    proc = cli("report", results, "--config", "png.yaml", cwd=tmp_path)
    lines = errors(proc)
    assert proc.returncode == 2 and len(lines) == 3, proc.stderr
    assert lines[0].endswith("prevalence.parquet: changed since the run (its sha256 differs from "
                             f"{results / 'SHA256SUMS'})")
    assert "run.json: changed since the run" in lines[1]
    assert "2 file(s) differ from what the run recorded; nothing drawn" in lines[2]
    proc = cli("report", results, "--config", "png.yaml", "--force", "-q", cwd=tmp_path)
    assert proc.returncode == 0 and not errors(proc)
    assert proc.stderr.count("warning:") == 2


def test_report_checks_the_manifest_when_the_checksums_were_rewritten(tmp_path):
    import hashlib

    results = _results(tmp_path)
    (tmp_path / "png.yaml").write_text("report: {formats: [png]}\n")
    assert cli("report", results, "--config", "png.yaml", "-q", cwd=tmp_path).returncode == 0
    manifest = tmp_path / "out" / "MANIFEST.json"
    prevalence = pd.read_parquet(results / "prevalence.parquet")
    prevalence.loc[0, "share"] = 0.99
    prevalence.to_parquet(results / "prevalence.parquet", index=False)
    files = sorted([*results.glob("*.parquet"), results / "run.json"])
    (results / "SHA256SUMS").write_text("".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
                                                for p in files))
    proc = cli("report", results, "--config", "png.yaml", cwd=tmp_path)
    lines = errors(proc)
    assert proc.returncode == 2 and len(lines) == 3, proc.stderr
    assert lines[0] == f"error: {results / 'SHA256SUMS'}: changed since the run (its sha256 differs from {manifest})"
    assert lines[1] == (f"error: {results / 'prevalence.parquet'}: changed since the run "
                        f"(its sha256 differs from {manifest})")
    redraw = subprocess.run([sys.executable, "-m", "coopthemes.report", "all", str(results), str(tmp_path / "out")],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert redraw.returncode == 2 and redraw.stderr.splitlines()[:2] == lines[:2], redraw.stderr


def test_report_from_a_damaged_table_ends_in_one_line(tmp_path):
    results = _results(tmp_path)
    data = bytearray((results / "themes.parquet").read_bytes())
    for i in range(100, 300):
        data[i] ^= 0xFF
    (results / "themes.parquet").write_bytes(bytes(data))
    proc = cli("report", results, "--out", "r", cwd=tmp_path)
    lines = errors(proc)
    assert proc.returncode == 2 and len(lines) == 2, proc.stderr
    assert lines[0].endswith("themes.parquet: changed since the run (its sha256 differs from "
                             f"{results / 'SHA256SUMS'})")
    proc = cli("report", results, "--out", "r", "--force", cwd=tmp_path)
    one_error(proc, "themes.parquet")


def test_unexpected_errors_are_one_line(tmp_path, monkeypatch, capsys):
    from coopthemes import cli as cli_module

    def broken(args):
        raise RuntimeError("something broke\nover two lines")

    monkeypatch.setattr(cli_module, "cmd_corpus", broken)
    assert cli_module.main(["corpus", str(tmp_path), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "error: unexpected RuntimeError: something broke over two lines (rerun with -v for the traceback)"]
    assert cli_module.main(["-v", "corpus", str(tmp_path), "--out", str(tmp_path / "o")]) == 1
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.integration
def test_ctrl_c_while_embedding_keeps_chunks_and_resumes(tmp_path):
    words = "police coopération sécurité formation drogue frontière enquête accord échange douane".split()
    rows = [" ".join(words[(i + k) % len(words)] for k in range(60)) + f" dossier {i}." for i in range(1500)]
    pd.DataFrame({"text": rows}).to_csv(tmp_path / "news.csv", index=False)
    assert cli("corpus", "news.csv", "--out", "c", "-q", cwd=tmp_path).returncode == 0
    proc = subprocess.Popen([*COMMAND, "themes", "c", "--out", "t"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    cache = tmp_path / ".cache" / "embeddings"
    deadline = time.time() + 300
    while time.time() < deadline and not list(cache.glob("*/*.json")):
        time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("interrupted: ") and "embedding chunk(s) finished in this run are kept in" in last
    assert last.endswith("run the same command again to resume from them")
    proc = cli("themes", "c", "--out", "t", cwd=tmp_path, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _short_documents(path: Path, n: int = 30) -> Path:
    """``n`` short documents on three subjects, with a label column."""
    subjects = ("police cooperation against drug trafficking at the border",
                "a trade agreement on rice exports and tariffs",
                "scholarships for students of the police academy")
    rows = [{"text": f"{subjects[i % 3].capitalize()}, meeting {i} in Hanoi.", "label": f"s{i % 3}"}
            for i in range(n)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.integration
def test_tfidf_svd_on_30_short_documents_writes_only_where_documented(tmp_path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    _short_documents(work / "news.csv")
    (work / "tfidf.yaml").write_text("embeddings: {backend: tfidf-svd}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "MPLCONFIGDIR")}
    env["NUMBA_CACHE_DIR"] = os.environ.get("NUMBA_CACHE_DIR") or str(Path.home() / ".cache" / "coopthemes" / "numba")
    proc = subprocess.run([*COMMAND, "run", "--corpus", "news.csv", "--out", "out", "--config", "tfidf.yaml", "-q"],
                          cwd=work, env={**env, "HOME": str(home)}, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0 and not errors(proc), proc.stderr[-2000:]
    assert len(pd.read_parquet(work / "out" / "results" / "documents.parquet")) == 30
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    documented = ("work/out/", "work/.cache/embeddings/", "work/.cache/themes/", "home/.cache/matplotlib/")
    assert {p for p in written if not p.startswith(documented)} == {"work/news.csv", "work/tfidf.yaml"}


@pytest.mark.integration
def test_swapped_theme_fits_and_a_folder_in_the_cache_are_not_trusted(tmp_path):
    _short_documents(tmp_path / "news.csv")
    for seed in (0, 1):
        (tmp_path / f"seed{seed}.yaml").write_text(f"seed: {seed}\nembeddings: {{backend: tfidf-svd}}\n")
    assert cli("corpus", "news.csv", "--out", "c", "-q", cwd=tmp_path).returncode == 0
    for seed in (0, 1):
        proc = cli("themes", "c", "--out", f"t{seed}", "--config", f"seed{seed}.yaml", "-q", cwd=tmp_path,
                   timeout=1200)
        assert proc.returncode == 0, proc.stderr[-2000:]
    cache = tmp_path / ".cache"
    fits = sorted(p for p in (cache / "themes").iterdir() if not p.name.startswith("."))
    assert len(fits) == 2
    fits[0].rename(cache / "swap")
    fits[1].rename(fits[0])
    (cache / "swap").rename(fits[1])
    vectors = next((cache / "embeddings").rglob("*.npy"))
    vectors.unlink()
    vectors.mkdir()  # a folder in a file's place
    proc = cli("themes", "c", "--out", "again", "--config", "seed0.yaml", cwd=tmp_path, timeout=1200)
    assert proc.returncode == 0 and not errors(proc), proc.stderr[-2000:]
    assert "not its own); refitting" in proc.stderr
    for table in ("assignments", "themes"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "again" / f"{table}.parquet"),
                                      pd.read_parquet(tmp_path / "t0" / f"{table}.parquet"))


@pytest.mark.integration
def test_evaluate_twice_into_one_folder(tmp_path):
    _short_documents(tmp_path / "l.csv")
    (tmp_path / "tfidf.yaml").write_text("embeddings: {backend: tfidf-svd}\n")
    command = ("evaluate", "l.csv", "--label-column", "label", "--seeds", "2", "--config", "tfidf.yaml", "--out", "e")
    first = cli(*command, cwd=tmp_path, timeout=1200)
    assert first.returncode == 0 and not errors(first), first.stderr[-2000:]
    metrics = (tmp_path / "e" / "metrics.json").read_text()
    second = cli(*command, cwd=tmp_path, timeout=1200)
    assert second.returncode == 0 and not errors(second), second.stderr[-2000:]
    assert (tmp_path / "e" / "metrics.json").read_text() == metrics
