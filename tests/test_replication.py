"""Replication packages on seeds/ with the lexical backend: export, replicate, and every kind of tampering.

The command-line round trip with the bundled e5 model is in
``test_replication_cli.py`` (integration).
"""

from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from coopthemes.config import load_config
from coopthemes.embeddings import EmbeddingCache, get_embedder
from coopthemes.pipeline import run
from coopthemes.provenance import file_sha256
from coopthemes.replication import (
    ReplicationError,
    export_package,
    replicate_package,
)
from coopthemes.report import build_report
from conftest import SEEDS


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A quick run on seeds/ (tf-idf vectors, two fits, PNG only), its report and its package."""
    base = tmp_path_factory.mktemp("replication")
    config = load_config(data={
        "corpus": {"path": str(SEEDS)},
        "embeddings": {"backend": "tfidf-svd", "cache_dir": str(base / "cache" / "embeddings")},
        "themes": {"n_runs": 2, "n_jobs": 1, "cache": False},
        "prevalence": {"n_boot": 20},
        "report": {"formats": ["png"]},
    })
    run(config, results_dir=base / "run" / "results")
    build_report(base / "run" / "results", base / "run", command="coopthemes run")
    result = export_package(base / "run" / "results", base / "replication.zip")
    return base, config, result


def _rezip(src, dst, change):
    """A copy of a zip with ``change(name, data) -> data`` applied to each entry."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, change(info.filename, zin.read(info)))
    return dst


def test_the_package_is_deterministic_and_holds_what_a_replication_archive_needs(exported, tmp_path):
    base, _, result = exported
    again = export_package(base / "run" / "results", tmp_path / "again.zip")
    assert again.path.read_bytes() == result.path.read_bytes()
    with zipfile.ZipFile(result.path) as zf:
        names = zf.namelist()
        desc = json.loads(zf.read("replication/replication.json"))
        readme = zf.read("replication/README.md").decode("utf-8")
        manifest = zf.read("replication/MANIFEST.json")
    assert names == sorted(names) and all(n.startswith("replication/") for n in names)
    assert manifest == (base / "run" / "MANIFEST.json").read_bytes()
    for name in ("results/documents.parquet", "results/passages.parquet", "results/model/config.json",
                 "embeddings/vectors.npy", "embeddings/passage_ids.json", "config.yaml", "requirements.lock",
                 "packages.txt", "inputs/codebook.yaml", "inputs/gazetteer.yaml", "tables/theme_overview.csv"):
        assert f"replication/{name}" in names, name
    assert desc["embeddings"]["embedder"]["backend"] == "tfidf-svd"
    assert desc["settings"]["themes.codebook"] == {"value": None, "file": "inputs/codebook.yaml",
                                                   "source": "codebook/cooperation.yaml"}
    assert set(desc["files"]) == {n.removeprefix("replication/") for n in names} - {"replication.json"}
    assert "coopthemes replicate replication.zip --out" in readme and "--require-hashes" in readme
    assert result.files == len(names)


def test_replicate_refits_and_every_file_matches(exported, tmp_path):
    base, _, result = exported
    report = replicate_package(result.path, tmp_path / "again")
    assert report.ok, [str(c) for c in report.mismatches]
    kinds = report.counts()
    assert kinds["table"][1] == 33 and kinds["model"][0] == kinds["model"][1] > 5
    assert kinds["results"][1] >= 9 and kinds["figure"][1] >= 5
    for table in sorted((base / "run" / "tables").iterdir()):
        assert (tmp_path / "again" / "tables" / table.name).read_bytes() == table.read_bytes(), table.name
    saved = json.loads((tmp_path / "again" / "REPLICATION.json").read_text(encoding="utf-8"))
    assert saved["ok"] is True and saved["mismatches"] == []
    with pytest.raises(ReplicationError, match="exists and is not an empty folder"):
        replicate_package(result.path, tmp_path / "again")


def test_the_explorer_page_is_compared_as_the_recorded_installation_wrote_it(exported, tmp_path, monkeypatch):
    """The page shows the git state, versions and platform of the report's installation; elsewhere they differ."""
    import platform

    import coopthemes.provenance

    _, _, result = exported
    monkeypatch.setattr(platform, "platform", lambda *args, **kwargs: "Elsewhere-1.0-x86_64")
    monkeypatch.setattr(coopthemes.provenance, "git_state", lambda *args, **kwargs: {"commit": "f" * 40,
                                                                                     "dirty": True})
    report = replicate_package(result.path, tmp_path / "elsewhere")
    assert report.ok, [str(c) for c in report.mismatches]
    assert [c.kind for c in report.checks if c.file == "explorer.html"] == ["report"]
    page = (tmp_path / "elsewhere" / "explorer.html").read_text(encoding="utf-8")
    assert "Elsewhere-1.0-x86_64" in page and "f" * 40 in page  # the page shows where it was regenerated
    manifest = json.loads((tmp_path / "elsewhere" / "MANIFEST.json").read_text(encoding="utf-8"))
    listed = {e["path"]: e["sha256"] for e in manifest["artefacts"]}
    assert listed["explorer.html"] == file_sha256(tmp_path / "elsewhere" / "explorer.html")


def test_tampered_files_are_reported_by_name(exported, tmp_path):
    _, _, result = exported

    def tamper(name, data):
        if name == "replication/tables/prevalence_partner_document.csv":
            return data.replace(b"100.0", b"99.0", 1)
        if name == "replication/MANIFEST.json":
            manifest = json.loads(data)
            for entry in manifest["artefacts"]:
                if entry["path"] in ("tables/theme_overview.md", "explorer.html"):
                    entry["sha256"] = "0" * 64
            return json.dumps(manifest, indent=2, sort_keys=True).encode()
        return data

    report = replicate_package(_rezip(result.path, tmp_path / "t.zip", tamper), tmp_path / "out")
    assert not report.ok
    problems = {c.file: c.problem for c in report.mismatches}
    assert problems["package/replication/tables/prevalence_partner_document.csv"] == \
        "shipped file differs from MANIFEST.json"
    assert problems["tables/theme_overview.md"].startswith("regenerated file differs from MANIFEST.json")
    assert problems["explorer.html"].startswith("regenerated page differs from MANIFEST.json")
    assert "package/replication/MANIFEST.json" in problems  # against replication.json
    assert not any(name.startswith("tables/prevalence") for name in problems)


def test_a_changed_passage_stops_the_replication_at_the_vectors(exported, tmp_path):
    _, _, result = exported

    def tamper(name, data):
        if name != "replication/results/passages.parquet":
            return data
        import io

        df = pd.read_parquet(io.BytesIO(data))
        i = int(np.flatnonzero(df["kept"].to_numpy())[0])
        df.loc[i, "text"] = df.loc[i, "text"] + " (edited)"
        out = io.BytesIO()
        df.to_parquet(out, index=False)
        return out.getvalue()

    report = replicate_package(_rezip(result.path, tmp_path / "p.zip", tamper), tmp_path / "out")
    problems = {c.file: c.problem for c in report.mismatches}
    assert problems["package/replication/results/passages.parquet"] == "shipped file differs from MANIFEST.json"
    assert "made from other texts than the shipped passages give" in \
        problems["package/replication/embeddings/vectors.npy"]
    assert not (tmp_path / "out" / "tables").exists()


def test_export_refuses_what_would_not_replicate(exported, tmp_path):
    base, config, _ = exported
    copy = tmp_path / "run"
    shutil.copytree(base / "run", copy)
    results = copy / "results"
    with pytest.raises(ReplicationError, match="no MANIFEST.json"):
        export_package(results, tmp_path / "x.zip", manifest=tmp_path / "MANIFEST.json")
    table = copy / "tables" / "effects.csv"
    table.write_bytes(table.read_bytes() + b"\n")
    with pytest.raises(ReplicationError, match=r"tables/effects.csv: changed since the report"):
        export_package(results, tmp_path / "x.zip")
    build_report(results, copy)
    with pytest.raises(ReplicationError, match=r"no cache entry for passages .*--cache-dir"):
        export_package(results, tmp_path / "x.zip", cache_dir=tmp_path / "empty-cache")
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text((SEEDS.parent / "analysis" / "coopthemes" / "codebook" / "cooperation.yaml")
                        .read_text(encoding="utf-8").replace("label: ", "label: X ", 1), encoding="utf-8")
    info = json.loads((results / "run.json").read_text(encoding="utf-8"))
    info["config"]["themes"]["codebook"] = str(codebook)
    (results / "run.json").write_text(json.dumps(info), encoding="utf-8")
    build_report(results, copy)
    with pytest.raises(ReplicationError, match="codebook.yaml: differs from the codebook the theme model was fitted"):
        export_package(results, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_the_cache_serves_stored_vectors_without_computing(tmp_path):
    embedder = get_embedder("tfidf-svd").fit(["alpha beta", "gamma delta", "beta gamma"] * 5)
    cache = EmbeddingCache(tmp_path)
    texts, ids = ["alpha beta", "gamma delta"], ["d:000", "d:001"]
    vectors = cache.embed(embedder, texts, ids)
    stored = cache.stored(embedder.identity.as_dict(), texts, ids)
    assert np.array_equal(stored, vectors)
    with pytest.raises(LookupError, match=r"\.json: no cache entry for passages d:000 to d:000"):
        cache.stored(embedder.identity.as_dict(), ["alpha beta"], ["d:000"])
    with pytest.raises(LookupError, match="passage ids differ"):
        cache.stored(embedder.identity.as_dict(), texts, ["d:000", "d:009"])


def test_edited_results_ship_their_edits_file_and_replicate(exported, tmp_path, monkeypatch):
    from coopthemes.pipeline import redo_results

    base, _, _ = exported
    monkeypatch.chdir(tmp_path)
    themes = pd.read_parquet(base / "run" / "results" / "themes.parquet")
    first = int(themes["theme_id"].min())
    (tmp_path / "edits.yaml").write_text(f'rename: {{{first}: "Renamed by hand"}}\n', encoding="utf-8")
    redo_results(base / "run" / "results", tmp_path / "edited" / "results", edits="edits.yaml")
    build_report(tmp_path / "edited" / "results", tmp_path / "edited", command="coopthemes report")
    package = export_package(tmp_path / "edited" / "results", tmp_path / "edited.zip")
    with zipfile.ZipFile(package.path) as zf:
        desc = json.loads(zf.read("replication/replication.json"))
        assert zf.read("replication/inputs/edits.yaml") == (tmp_path / "edits.yaml").read_bytes()
    assert desc["settings"]["themes.edits"] == {"value": "edits.yaml", "file": "inputs/edits.yaml"}
    (tmp_path / "edits.yaml").unlink()  # the package's copy is the one read
    report = replicate_package(package.path, tmp_path / "again")
    assert report.ok, [str(c) for c in report.mismatches]
    overview = (tmp_path / "again" / "tables" / "theme_overview.csv").read_text(encoding="utf-8")
    assert "Renamed by hand" in overview
