"""Tests of reproducible figure files, corpus hashes, the manifest and the report build."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from coopthemes.plotting import paper_context, save_figure  # noqa: E402
from coopthemes.provenance import (  # noqa: E402
    PACKAGES,
    corpus_hash,
    file_sha256,
    git_state,
    package_versions,
    write_manifest,
)
from coopthemes.report import FIGURES, TABLES, build_report  # noqa: E402
from coopthemes.report.synthetic import write_synthetic_results  # noqa: E402

VIETNAMESE = "Bộ Công an – tội phạm, an ninh mạng, phòng cháy chữa cháy"
FIGURE_STEMS = ["corpus_overview", "effects", "effects_difference", "prevalence_heatmap", "prevalence_partner", "prevalence_partner_year",
                "prevalence_trends", "theme_map", "top_terms"]
TABLE_STEMS = ["corpus_summary", "effects", "metadata_audit", "prevalence_partner_document",
               "prevalence_partner_passage", "prevalence_partner_year_document", "prevalence_partner_year_passage",
               "prevalence_year_document", "prevalence_year_passage", "theme_overview"]


# ---------------------------------------------------------------- hashes and versions


def test_corpus_hash_is_order_independent_and_exact():
    docs = pd.DataFrame({"doc_id": ["b", "a"], "sha256": ["22", "11"]})
    # sha256 of "a\t11\nb\t22\n"
    expected = "de2307a877c94fe702cf64d2ceb00def323dea6c8dcca6b071b7b449ea6e26d0"
    assert corpus_hash(docs) == expected
    assert corpus_hash(docs.iloc[::-1]) == expected
    assert corpus_hash(docs.assign(sha256=["22", "12"])) != expected
    with pytest.raises(ValueError, match="sha256"):
        corpus_hash(docs.drop(columns="sha256"))


def test_file_sha256(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_package_versions():
    versions = package_versions()
    assert sorted(versions) == sorted(PACKAGES)
    assert versions["numpy"] == np.__version__
    assert versions["matplotlib"] == matplotlib.__version__
    assert package_versions(["no-such-distribution-xyz"]) == {"no-such-distribution-xyz": None}


def test_git_state_outside_a_repository(tmp_path):
    assert git_state(tmp_path) == {"commit": None, "dirty": None}


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_state_commit_and_dirty_flag(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "init")
    state = git_state(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{40}", state["commit"]) and state["dirty"] is False
    (tmp_path / "a.txt").write_text("b", encoding="utf-8")
    assert git_state(tmp_path)["dirty"] is True
    # only the given folder counts: changes beside it leave it clean
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "m.py").write_text("x = 1", encoding="utf-8")
    git("add", "code/m.py")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-am", "code")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "f.png").write_bytes(b"png")
    assert git_state(tmp_path / "code")["dirty"] is False
    assert git_state(tmp_path)["dirty"] is True
    (tmp_path / "code" / "new.py").write_text("y = 2", encoding="utf-8")
    assert git_state(tmp_path / "code")["dirty"] is True


# ---------------------------------------------------------------- figures


def _figure():
    with paper_context():
        fig, ax = plt.subplots(figsize=(3.5, 2.0))
        ax.plot([2020, 2021, 2022], [0.1, 0.4, 0.3], marker="o")
        ax.set_title(VIETNAMESE)
        ax.fill_between([2020, 2022], [0, 0], [0.2, 0.5], alpha=0.3)
    return fig


def test_save_figure_is_byte_identical_across_saves(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    fig = _figure()
    with paper_context():
        first = save_figure(fig, "trend", tmp_path / "a")
        second = save_figure(_figure(), "trend", tmp_path / "b")
    assert [p.name for p in first] == ["trend.pdf", "trend.png", "trend.svg"]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert "SOURCE_DATE_EPOCH" not in os.environ  # restored
    pdf, png, svg = (p.read_bytes() for p in first)
    assert b"CreationDate" not in pdf and b"ModDate" not in pdf
    assert b"/Producer (matplotlib " in pdf and b"/Creator (coopthemes" in pdf
    assert b"<dc:date>" not in svg
    assert VIETNAMESE.encode() in svg  # svg.fonttype "none": text stays text
    assert b"coopthemes" in png[:400]  # Software tEXt chunk
    plt.close("all")


def test_save_figure_honours_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    save_figure(_figure(), "x", tmp_path, formats=("pdf",))
    assert os.environ["SOURCE_DATE_EPOCH"] == "1700000000"
    plt.close("all")


def test_save_figure_rejects_bad_arguments(tmp_path):
    fig = _figure()
    with pytest.raises(ValueError, match="unsupported format"):
        save_figure(fig, "x", tmp_path, formats=("jpg",))
    with pytest.raises(ValueError, match="plain file name"):
        save_figure(fig, "sub/x", tmp_path)
    plt.close("all")


# ---------------------------------------------------------------- manifest


def test_write_manifest_contents_and_stability(tmp_path):
    out = tmp_path / "figures"
    (out / "tables").mkdir(parents=True)
    (out / "a.pdf").write_bytes(b"pdf")
    (out / "tables" / "t.csv").write_text("x\n", encoding="utf-8")
    results = tmp_path / "results"
    results.mkdir()
    (results / "run.json").write_text("{}", encoding="utf-8")
    kwargs = dict(
        artefacts={out / "tables" / "t.csv": "python -m coopthemes.report.tab_x R O", out / "a.pdf": "cmd-a"},
        config={"seed": 3, "corpus": {"path": Path("seeds")}, "languages": {"vi", "fr", "en"}},
        corpus_hash="c" * 64, seed=np.int64(3), command="coopthemes run", inputs=[results / "run.json"],
    )
    path = write_manifest(out, **kwargs)
    text = path.read_text(encoding="utf-8")
    manifest = json.loads(text)
    assert path == out / "MANIFEST.json"
    assert sorted(manifest) == ["artefacts", "command", "config", "corpus_hash", "edits", "git", "inputs", "lock",
                                "packages", "platform", "python", "seed"]
    assert manifest["artefacts"] == [
        {"command": "cmd-a", "path": "a.pdf", "sha256": file_sha256(out / "a.pdf"), "size": 3},
        {"command": "python -m coopthemes.report.tab_x R O", "path": "tables/t.csv",
         "sha256": file_sha256(out / "tables" / "t.csv"), "size": 2},
    ]
    assert manifest["inputs"] == [{"path": "../results/run.json", "sha256": file_sha256(results / "run.json"),
                                   "size": 2}]
    assert manifest["config"] == {"corpus": {"path": "seeds"}, "languages": ["en", "fr", "vi"], "seed": 3}
    assert manifest["seed"] == 3 and manifest["corpus_hash"] == "c" * 64
    assert manifest["packages"]["pandas"] == pd.__version__
    assert text == json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)  # no timestamps
    assert write_manifest(out, **kwargs).read_text(encoding="utf-8") == text


def test_write_manifest_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="artefact .*missing.pdf does not exist"):
        write_manifest(tmp_path, artefacts=[tmp_path / "missing.pdf"], config={}, corpus_hash=None, seed=None,
                       command="x")
    with pytest.raises(TypeError, match="not JSON serialisable"):
        write_manifest(tmp_path, artefacts=[], config={"bad": object()}, corpus_hash=None, seed=None, command="x")


# ---------------------------------------------------------------- the whole report


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory) -> Path:
    return write_synthetic_results(tmp_path_factory.mktemp("run") / "results", seed=5, n_documents=50)


@pytest.fixture(scope="module")
def report(results_dir, tmp_path_factory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("figures")
    return out, build_report(results_dir, out)


def test_build_report_writes_every_artefact(report):
    out, written = report
    expected = [out / f"{s}.{f}" for s in FIGURE_STEMS for f in ("pdf", "png", "svg")]
    expected += [out / "tables" / f"{s}.{f}" for s in TABLE_STEMS for f in ("csv", "tex", "md")]
    expected += [out / "explorer.html"]
    assert sorted(written[:-1]) == sorted(expected)
    assert written[-1] == out / "MANIFEST.json"
    manifest = json.loads(written[-1].read_text(encoding="utf-8"))
    assert len(manifest["artefacts"]) == len(expected)
    entry = next(a for a in manifest["artefacts"] if a["path"] == "theme_map.svg")
    assert entry["command"].startswith("python -m coopthemes.report figure theme_map ")
    assert entry["sha256"] == file_sha256(out / "theme_map.svg")
    assert manifest["seed"] == 5 and manifest["config"]["seed"] == 5
    assert [i["path"].rsplit("/", 1)[1] for i in manifest["inputs"]] == sorted(
        ["assignments.parquet", "documents.parquet", "effects.parquet", "passages.parquet",
         "prevalence.parquet", "run.json", "terms.parquet", "theme_map.parquet", "themes.parquet"])
    assert len(FIGURES) == 10 and len(TABLES) == 7


def test_build_report_reruns_are_byte_identical(report, results_dir, tmp_path):
    out, written = report
    again = build_report(results_dir, tmp_path, command="coopthemes report")
    for first, second in zip(written[:-1], again[:-1]):
        assert first.relative_to(out) == second.relative_to(tmp_path)
        assert first.read_bytes() == second.read_bytes(), first.name
    manifest = again[-1].read_text(encoding="utf-8")
    assert json.loads(manifest)["command"] == "coopthemes report"
    assert build_report(results_dir, tmp_path, command="coopthemes report")[-1].read_text(encoding="utf-8") == manifest


def test_build_report_skips_missing_optional_tables(results_dir, tmp_path, caplog):
    partial = tmp_path / "results"
    shutil.copytree(results_dir, partial)
    (partial / "effects.parquet").unlink()
    (partial / "theme_map.parquet").unlink()
    with caplog.at_level(logging.INFO, logger="coopthemes.report"):
        written = build_report(partial, tmp_path / "out", formats=("png",))
    names = sorted(p.name for p in written)
    assert "effects.png" not in names and "theme_map.png" not in names and "effects.csv" not in names
    assert "prevalence_heatmap.png" in names and "theme_overview.tex" in names
    assert any("figure effects not drawn: no regression" in r.getMessage() for r in caplog.records)
    assert any("figure theme_map not drawn" in r.getMessage() for r in caplog.records)


def test_a_plotting_error_fails_loudly(results_dir, tmp_path, monkeypatch):
    from coopthemes.report import figures

    def broken(*args, **kwargs):
        raise ValueError("a bug in the plot")

    monkeypatch.setattr(figures, "trend_grid", broken)
    with pytest.raises(ValueError, match="a bug in the plot"):
        build_report(results_dir, tmp_path / "out", formats=("png",))


def test_build_report_needs_an_existing_results_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        build_report(tmp_path / "nowhere", tmp_path / "out")


def test_one_figure_and_one_table_from_the_command_line(results_dir, tmp_path):
    def report(*args):
        return subprocess.run([sys.executable, "-m", "coopthemes.report", *args], capture_output=True, text=True,
                              timeout=300, check=False, cwd=tmp_path)

    result = report("figure", "prevalence_heatmap", str(results_dir), str(tmp_path), "--formats", "png")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "prevalence_heatmap.png")
    result = report("table", "theme_overview", str(results_dir), str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "tables" / f"theme_overview.{e}") for e in ("csv", "tex", "md")]
    result = report("figure", "no_such_figure", str(results_dir), str(tmp_path))
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_unstable_themes_are_flagged_in_tables_and_figures(report, results_dir):
    from coopthemes.report.figures import UNSTABLE_MARK, flag_unstable
    from coopthemes.results import read_results

    out, _ = report
    overview = pd.read_csv(out / "tables" / "theme_overview.csv")
    assert {"label_confidence", "stability", "unstable"} <= set(overview.columns)
    assert overview.loc[overview["unstable"] == "yes", "theme_id"].tolist() == [4]
    results = read_results(results_dir)
    marked = flag_unstable(results, results.prevalence)
    unstable = results.themes.loc[results.themes["unstable"], "theme"].iloc[0]
    assert (marked.loc[results.prevalence["theme"] == unstable, "theme"] == unstable + UNSTABLE_MARK).all()
    svg = (out / "prevalence_heatmap.svg").read_text(encoding="utf-8")
    assert "(unstable)" in svg
