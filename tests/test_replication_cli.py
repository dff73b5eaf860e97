"""``coopthemes run``, ``export`` and ``replicate`` through the installed command, on seeds/ with the bundled model."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT, SEEDS

pytestmark = pytest.mark.integration


def _command() -> list[str]:
    exe = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
    return [exe] if exe else [sys.executable, "-m", "coopthemes.cli"]


def _run(*args, cwd, timeout=900):
    return subprocess.run([*_command(), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """``coopthemes run`` on seeds/ (its default configuration, a fresh cache) and ``coopthemes export``."""
    base = tmp_path_factory.mktemp("cli-replication")
    config = base / "config.yaml"
    config.write_text(f"embeddings:\n  cache_dir: {base / 'cache' / 'embeddings'}\n", encoding="utf-8")
    proc = _run("run", "--config", config, "--corpus", SEEDS, "--out", base / "figures", cwd=base)
    assert proc.returncode == 0, proc.stderr
    proc = _run("export", base / "figures" / "results", "--out", base / "replication.zip", cwd=base)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and "replication.zip" in proc.stdout
    return base


def test_replicate_in_a_fresh_folder_gives_every_table_byte_for_byte(package, tmp_path):
    proc = _run("replicate", package / "replication.zip", "--out", tmp_path / "again", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every file matches" in proc.stdout
    tables = sorted((package / "figures" / "tables").iterdir())
    assert len(tables) == 33
    for table in tables:
        assert (tmp_path / "again" / "tables" / table.name).read_bytes() == table.read_bytes(), table.name
    for name in ("assignments", "themes", "terms", "prevalence", "effects"):
        again = tmp_path / "again" / "results" / f"{name}.parquet"
        assert again.read_bytes() == (package / "figures" / "results" / f"{name}.parquet").read_bytes(), name
    report = json.loads((tmp_path / "again" / "REPLICATION.json").read_text(encoding="utf-8"))
    assert report["ok"] and report["counts"]["table"] == {"match": 33, "compared": 33}
    assert report["counts"]["model"]["match"] == report["counts"]["model"]["compared"]


def test_a_tampered_table_is_reported_by_name_with_a_failing_status(package, tmp_path):
    tampered = tmp_path / "tampered.zip"
    target = "replication/tables/prevalence_year_document.csv"
    with zipfile.ZipFile(package / "replication.zip") as zin, zipfile.ZipFile(tampered, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == target:
                lines = data.decode("utf-8").splitlines(keepends=True)
                lines[1] = lines[1].replace(",", ",9", 1)
                data = "".join(lines).encode("utf-8")
            zout.writestr(info, data)
    proc = _run("replicate", tampered, "--out", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "DIFFERS package/replication/tables/prevalence_year_document.csv: shipped file differs from " \
           "MANIFEST.json" in proc.stdout
    assert "1 file(s) differ" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_an_unsafe_or_foreign_zip_is_refused_with_status_2(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../outside.txt", "x")
    proc = _run("replicate", evil, "--out", tmp_path / "out", cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    assert "evil.zip: entry '../outside.txt' refused ('..' in the path)" in proc.stderr
    assert not (tmp_path / "outside.txt").exists()
