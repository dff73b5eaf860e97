"""Every command through the installed console script, on corpora without dates or partners; a
researcher's own table with its column flags; theme edits and a fixed number of themes without refitting.

Uses the bundled embedding model and BERTopic, with few consensus fits and bootstrap replicates so that
each run stays short.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from conftest import ROOT, SEEDS
from table_corpus import write_news_csv

pytestmark = pytest.mark.integration


def _cmd() -> list[str]:
    exe = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
    return [exe] if exe else [sys.executable, "-m", "coopthemes.cli"]


def _call(*args, cwd=None, timeout=900) -> subprocess.CompletedProcess:
    proc = subprocess.run([*_cmd(), *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _ok(*args, **kwargs) -> subprocess.CompletedProcess:
    proc = _call(*args, **kwargs)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    base = tmp_path_factory.mktemp("steer")
    config = base / "config.yaml"
    config.write_text(f"embeddings:\n  cache_dir: {base / 'cache'}\nthemes:\n  n_runs: 3\n"
                      "prevalence:\n  n_boot: 200\n", encoding="utf-8")
    bare = base / "seeds_bare"
    bare.mkdir()
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, bare / path.name)
    write_news_csv(base / "nodates.csv", 24, seed=2, columns=("text", "label"), name_partners=False)
    write_news_csv(base / "news.csv", 60, seed=1)
    return base, config


def test_version_and_quiet_flags_anywhere(work):
    base, _ = work
    assert _ok("--version").stdout.startswith("coopthemes ")
    out = base / "c_quiet"
    quiet = _ok("corpus", SEEDS, "--out", out, "-q")
    assert "Corpus" not in quiet.stdout and (out / "documents.parquet").is_file()
    assert _ok("-q", "corpus", SEEDS, "--out", out).stdout == quiet.stdout


@pytest.mark.parametrize("corpus", ["seeds_bare", "nodates.csv"])
def test_every_command_on_a_corpus_without_dates_or_partners(work, corpus):
    base, config = work
    src, out = base / corpus, base / f"out_{corpus.replace('.', '_')}"
    proc = _ok("corpus", src, "--out", out / "corpus", "--config", config)
    assert "Corpus" in proc.stdout
    documents = pd.read_parquet(out / "corpus" / "documents.parquet")
    if corpus.endswith(".csv"):
        assert documents["year"].isna().all() and documents["partners"].map(len).eq(0).all()
    assert "Traceback" not in _ok("themes", out / "corpus", "--out", out / "themes", "--config", config).stderr
    assert (out / "themes" / "frex.parquet").is_file()
    proc = _ok("run", "--config", config, "--corpus", src, "--out", out / "run")
    # third-party warnings and font logs stay out of the terminal without -v
    assert "Warning" not in proc.stderr and "findfont" not in proc.stderr and "numba" not in proc.stderr
    results = out / "run" / "results"
    _ok("report", results, "--out", out / "report", "--config", config)
    n_themes = json.loads((results / "run.json").read_text(encoding="utf-8"))["n_themes"]
    _ok("report", results, "--out", out / "two", "--n-themes", min(2, n_themes))
    _ok("validate", "sample", results, "--per-theme", 2, "--out", out / "sample")
    _ok("validate", "intrusion", results, "--out", out / "intrusion")
    if corpus.endswith(".csv"):
        _ok("evaluate", src, "--label-column", "label", "--seeds", 2, "--config", config, "--out", out / "eval")


def test_table_with_column_flags_gives_partner_by_year_results(work):
    base, config = work
    unflagged = _ok("corpus", base / "news.csv", "--out", base / "c_news")
    assert "--date-column date" in unflagged.stderr and "--partner-column country" in unflagged.stderr
    out = base / "news_run"
    proc = _ok("run", "--config", config, "--corpus", base / "news.csv", "--date-column", "date",
               "--partner-column", "country", "--out", out)
    assert "look like metadata" not in proc.stderr
    tables = out / "tables"
    for unit in ("passage", "document"):
        for ext in ("csv", "tex", "md"):
            assert (tables / f"prevalence_partner_year_{unit}.{ext}").is_file()
    table = pd.read_csv(tables / "prevalence_partner_year_document.csv")
    assert set(table["partner"]) == {"Australia", "France", "Japan", "South Korea"}
    assert set(table["year"]) == {2019, 2020, 2021, 2022, 2023}
    assert table["small_group"].isin(["yes", "no"]).all()
    for ext in ("pdf", "png", "svg"):
        assert (out / f"prevalence_partner_year.{ext}").is_file()
    reps = pd.read_csv(tables / "representative_passages.csv")
    assert {"theme", "language", "rank", "text"} <= set(reps.columns) and reps["text"].str.len().gt(40).all()
    overview = pd.read_csv(tables / "theme_overview.csv")
    assert "frex_terms_en" in overview.columns and "top_terms_en" in overview.columns


def test_edits_rename_and_merge_without_refitting(work):
    base, config = work
    results = base / "news_run" / "results"
    if not results.is_dir():
        pytest.skip("needs the run of test_table_with_column_flags_gives_partner_by_year_results")
    themes = pd.read_parquet(results / "themes.parquet").sort_values("theme_id")
    assert len(themes) >= 3
    first, second, third = themes["theme_id"].tolist()[:3]
    absorbed = themes.set_index("theme_id").loc[third, "theme"]
    edits = base / "edits.yaml"
    edits.write_text(f'rename: {{{first}: "Training of police officers"}}\nmerge: [[{second}, {third}]]\n',
                     encoding="utf-8")
    out = base / "edited"
    proc = _ok("report", results, "--out", out, "--edits", edits)
    assert "themes after edits" in proc.stdout
    overview = pd.read_csv(out / "tables" / "theme_overview.csv")
    assert "Training of police officers" in set(overview["theme"]) and third not in set(overview["theme_id"])
    shares = pd.read_csv(out / "tables" / "prevalence_partner_year_document.csv")
    assert "Training of police officers" in set(shares["theme"]) and absorbed not in set(shares["theme"])
    log = pd.read_csv(out / "tables" / "theme_edits.csv")
    assert log["action"].tolist() == ["merge", "rename"]
    manifest = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["edits"]["merge"] == [[second, third]]
    assert manifest["edits"]["sha256"] == hashlib.sha256(edits.read_bytes()).hexdigest()
    # the fit is untouched: the same edits again give the same tables, byte for byte
    again = base / "edited_again"
    _ok("report", out / "results", "--out", again, "--edits", edits)
    for name in ("theme_overview.csv", "prevalence_partner_year_document.csv", "effects.csv"):
        assert (again / "tables" / name).read_bytes() == (out / "tables" / name).read_bytes(), name
    bad = base / "bad_edits.yaml"
    bad.write_text("merge: [[1, 99]]\n", encoding="utf-8")
    proc = _call("report", results, "--out", base / "bad", "--edits", bad)
    assert proc.returncode == 2 and proc.stderr.strip() == (
        f"error: {bad}: merge: no theme 99 in these results (theme ids: "
        f"{', '.join(map(str, sorted(themes['theme_id'])))})")


def test_run_applies_edits_and_n_themes_from_the_config(work):
    base, _ = work
    config = base / "config_edits.yaml"
    config.write_text(f"embeddings:\n  cache_dir: {base / 'cache'}\nthemes:\n  n_runs: 3\n  n_themes: 2\n"
                      f"  edits: {base / 'edits_run.yaml'}\nprevalence:\n  n_boot: 200\n", encoding="utf-8")
    (base / "edits_run.yaml").write_text('rename: {0: "Largest theme"}\n', encoding="utf-8")
    out = base / "news_edited_run"
    proc = _ok("run", "--config", config, "--corpus", base / "news.csv", "--date-column", "date",
               "--partner-column", "country", "--out", out)
    if (base / "news_run").is_dir():  # the same fit as that run's: edits and n_themes never refit
        assert "(reused)" in proc.stdout
    run_json = json.loads((out / "results" / "run.json").read_text(encoding="utf-8"))
    assert run_json["n_themes"] == 2 and run_json["edits"]["rename"] == {"0": "Largest theme"}
    assert pd.read_csv(out / "tables" / "theme_overview.csv")["theme"].tolist()[0] == "Largest theme"
    missing = base / "config_missing_edits.yaml"
    missing.write_text("themes:\n  edits: nowhere.yaml\n", encoding="utf-8")
    proc = _call("run", "--config", missing, "--corpus", base / "news.csv", "--out", base / "never")
    assert proc.returncode == 2 and "nowhere.yaml: theme edits file not found" in proc.stderr
