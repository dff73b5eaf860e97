"""The whole chain on seeds/ with the bundled model: reproducible, cached, offline."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from coopthemes.config import load_config
from coopthemes.pipeline import run, themes_cache_dir
from coopthemes.report import build_report
from coopthemes.themes.tokenize import stop_words
from conftest import ROOT, SEEDS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two runs with the same config into two folders, sharing one embedding cache.

    The stored theme fit of the first run is removed before the second, so that
    both fit their themes; a third run (``c``) reuses the fit of the second.
    """
    base = tmp_path_factory.mktemp("runs")
    config = load_config(data={"corpus": {"path": str(SEEDS)},
                               "embeddings": {"cache_dir": str(base / "cache" / "embeddings")}})
    out = []
    for name in ("a", "b", "c"):
        if name == "b":
            shutil.rmtree(themes_cache_dir(config))
        result = run(config, results_dir=base / name / "results")
        written = build_report(base / name / "results", base / name, command="coopthemes run")
        out.append((result, base / name, written))
    return out


def test_second_run_hits_the_cache_and_gives_identical_assignments(two_runs):
    (first, _, _), (second, _, _), _ = two_runs
    assert first.embedding_cache["model_calls"] >= 1
    assert second.embedding_cache["model_calls"] == 0
    assert first.theme_fit == second.theme_fit == "fitted"
    for name in ("assignments", "themes", "prevalence", "documents", "passages"):
        pd.testing.assert_frame_equal(first.tables[name], second.tables[name])


def test_third_run_reuses_the_theme_fit_with_identical_results(two_runs):
    _, (_, b, _), (third, c, _) = two_runs
    assert third.theme_fit == "reused"
    # MANIFEST.json names its own folder; everything else must match byte for byte
    files = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "MANIFEST.json")
    assert any(f.parts[:2] == ("results", "model") for f in files)
    for rel in files:
        assert (c / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_a_damaged_theme_fit_is_refitted(two_runs, tmp_path):
    (first, a, _), _, _ = two_runs
    config = load_config(data={"corpus": {"path": str(SEEDS)},
                               "embeddings": {"cache_dir": str(a.parent / "cache" / "embeddings")}})
    [entry] = [p for p in themes_cache_dir(config).iterdir() if not p.name.startswith(".")]
    table = entry / "model" / "passages.parquet"
    table.write_bytes(table.read_bytes()[:-100])
    again = run(config, results_dir=tmp_path / "results")
    assert again.theme_fit == "fitted"
    pd.testing.assert_frame_equal(again.tables["assignments"], first.tables["assignments"])


def test_evaluate_twice_with_the_same_config_reuses_the_fit(two_runs, tmp_path):
    from coopthemes.evaluation import evaluate_labels, load_labelled

    (_, a, _), _, _ = two_runs
    config = load_config(data={"embeddings": {"cache_dir": str(a.parent / "cache" / "embeddings")}})
    table = tmp_path / "labelled.csv"
    docs = sorted(SEEDS.glob("*.txt"))
    pd.DataFrame({"doc_id": [p.stem for p in docs], "text": [p.read_text(encoding="utf-8") for p in docs],
                  "label": ["a", "b", "a", "b", "a"]}).to_csv(table, index=False)
    data = load_labelled(table, config, label_column="label", id_column="doc_id")
    first, themes1, _ = evaluate_labels(data, config, seeds=(0, 1))
    second, themes2, _ = evaluate_labels(data, config, seeds=(0, 1))
    assert first == second
    pd.testing.assert_frame_equal(themes1, themes2)


def test_tables_and_figures_are_byte_identical_across_runs(two_runs):
    (_, a, written), (_, b, _), _ = two_runs
    files = sorted(p.relative_to(a) for p in written if p.suffix in {".csv", ".tex", ".md", ".pdf", ".svg", ".png"})
    assert len([f for f in files if f.suffix == ".csv"]) >= 6
    assert len([f for f in files if f.suffix == ".png"]) >= 6
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_manifest_records_every_artefact(two_runs):
    (result, a, written), _, _ = two_runs
    manifest = json.loads((a / "MANIFEST.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest)
    for path in written:
        if path.name != "MANIFEST.json":
            assert str(path.relative_to(a)) in text
    assert result.info["corpus_hash"] in text


def test_codebook_themes_are_earned_and_never_smaller_than_the_minimum(two_runs, tmp_path):
    (result, a, _), _, _ = two_runs
    themes = result.tables["themes"]
    minimum = result.info["config"]["themes"]["min_theme_size"]
    coded = themes[themes["codebook_id"].notna()]
    assert (coded["size"] >= minimum).all()
    assignments = result.tables["assignments"]
    labelled = assignments.merge(themes[["theme_id", "codebook_id"]], on="theme_id")
    labelled = labelled[labelled["codebook_id"].notna()]
    assert (labelled["evidence"].str.len() > 0).all()
    # five articles hold no theme that five passages discuss; with a minimum of one, evidence names them
    config = load_config(data={"corpus": {"path": str(SEEDS)}, "themes": {"min_theme_size": 1},
                               "embeddings": {"cache_dir": str(a.parent / "cache" / "embeddings")}})
    small = run(config, results_dir=tmp_path / "results")
    p = small.tables["passages"]
    pid = p.loc[p["kept"] & p["text"].str.contains("transfer of sentenced persons"), "passage_id"].iloc[0]
    row = small.tables["assignments"].set_index("passage_id").loc[pid]
    cb = small.tables["themes"].set_index("theme")["codebook_id"]
    assert cb[row["theme"]] == "judicial_assistance" and "transfer of sentenced persons" in row["evidence"]


def test_top_terms_are_words_without_stop_words(two_runs):
    (result, _, _), _, _ = two_runs
    terms = result.tables["terms"]
    vi_terms = terms.loc[terms["language"] == "vi", "term"].tolist()
    assert any(" " in t for t in vi_terms), "multi-syllable Vietnamese words stay whole"
    assert {"tội phạm", "an ninh"} & set(vi_terms)
    assert set(terms["language"]) == {"vi", "fr", "en"}
    for lang in ("vi", "fr", "en"):
        words = terms.loc[terms["language"] == lang, "term"]
        assert not set(words) & stop_words(lang)
        assert all(any(ch.isalpha() for ch in t) for t in words)


def test_themes_mix_languages(two_runs):
    (result, _, _), _, _ = two_runs
    assert result.info["language_purity"] < 0.9
    mixes = [json.loads(m) for m in result.tables["themes"]["language_mix"]]
    assert sum(len(m) >= 2 for m in mixes) >= len(mixes) // 2


def test_core_install_has_no_torch():
    assert importlib.util.find_spec("torch") is None


def test_command_line_run_and_report(tmp_path):
    exe = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
    cmd = [exe] if exe else [sys.executable, "-m", "coopthemes.cli"]
    cfg = tmp_path / "config.yaml"
    cfg.write_text(f"embeddings:\n  cache_dir: {tmp_path / 'cache'}\nprevalence:\n  n_boot: 200\n", encoding="utf-8")
    out = tmp_path / "fig"
    proc = subprocess.run([*cmd, "run", "--config", str(cfg), "--corpus", str(SEEDS), "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert (out / "prevalence_heatmap.png").is_file() and (out / "tables" / "theme_overview.tex").is_file()
    before = (out / "tables" / "prevalence_partner_document.csv").read_bytes()
    proc = subprocess.run([*cmd, "report", str(out / "results"), "--out", str(out)], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "tables" / "prevalence_partner_document.csv").read_bytes() == before
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  min_cluster_sise: 3\n", encoding="utf-8")
    proc = subprocess.run([*cmd, "run", "--config", str(bad)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "themes.min_cluster_sise: unknown setting (did you mean 'min_cluster_size'?)" in proc.stderr
    assert "Traceback" not in proc.stderr
