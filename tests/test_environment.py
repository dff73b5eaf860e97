"""The lock of exact versions: read, compared with what is installed, recorded in the manifest."""

from __future__ import annotations

import importlib.metadata
import json
import logging

import pytest

from coopthemes.environment import (
    LockError,
    lock_differences,
    lock_path,
    lock_record,
    read_lock,
    warn_if_unlocked,
)
from coopthemes.provenance import PACKAGES, write_manifest
from conftest import ROOT

NUMPY = importlib.metadata.version("numpy")
PANDAS = importlib.metadata.version("pandas")


def _lock(tmp_path, body: str):
    path = tmp_path / "requirements.lock"
    path.write_text(body, encoding="utf-8")
    return path


def test_the_lock_ships_with_the_package_and_pins_bertopic_without_torch():
    path = lock_path()
    assert path is not None and path.name == "requirements.lock"
    assert path.resolve() == (ROOT / "analysis" / "coopthemes" / "requirements.lock").resolve()
    pins = read_lock()
    assert pins["bertopic"] == "0.17.4"
    assert "torch" not in pins and "sentence-transformers" not in pins
    text = path.read_text(encoding="utf-8")
    # every pin carries hashes: pip installs it with --require-hashes
    blocks = [b for b in text.split("\n") if "==" in b and not b.startswith("#")]
    assert all(b.rstrip().endswith("\\") for b in blocks)


def test_make_installed_the_locked_versions():
    assert lock_differences() == []


def test_markers_pins_and_names(tmp_path):
    path = _lock(tmp_path, (
        "# comment\n"
        f"NumPy=={NUMPY} \\\n    --hash=sha256:{'0' * 64}\n    # via coopthemes\n"
        "appnope==1.0.0 ; sys_platform == 'no-such-platform' \\\n    --hash=sha256:" + "1" * 64 + "\n"
        "et_xmlfile==2.0.0 ; python_version >= '3' \\\n    --hash=sha256:" + "2" * 64 + "\n"
    ))
    assert read_lock(path) == {"et-xmlfile": "2.0.0", "numpy": NUMPY}


def test_a_bad_line_is_named(tmp_path):
    path = _lock(tmp_path, "numpy>=1.0\n")
    with pytest.raises(LockError, match=r"requirements.lock: line 1: expected 'name==version'"):
        read_lock(path)
    with pytest.raises(LockError, match="not found"):
        read_lock(tmp_path / "absent.lock")


def test_differences_name_the_packages_and_the_run_warns(tmp_path, caplog):
    path = _lock(tmp_path, (
        "numpy==0.0.1\n"
        f"pandas=={PANDAS}\n"
        "statsmodels==0.0.2\n"           # relevant: reported even where not installed
        "no-such-dist-xyz==1.0\n"        # locked, absent, not relevant: not a difference
    ))
    diffs = lock_differences(path)
    assert [(d.package, d.locked) for d in diffs] == [("numpy", "0.0.1"), ("statsmodels", "0.0.2")]
    assert str(diffs[0]) == f"numpy {NUMPY} (locked 0.0.1)"
    with caplog.at_level(logging.WARNING, logger="coopthemes"):
        warn_if_unlocked(path)
    assert f"numpy {NUMPY} (locked 0.0.1)" in caplog.text and "statsmodels" in caplog.text
    assert "pandas" not in caplog.text


def test_the_manifest_records_the_lock_and_the_relevant_versions(tmp_path):
    art = tmp_path / "a.txt"
    art.write_text("x", encoding="utf-8")
    manifest = json.loads(write_manifest(tmp_path, artefacts=[art], config={}, corpus_hash=None, seed=0,
                                         command="c").read_text(encoding="utf-8"))
    record = lock_record()
    assert manifest["lock"] == record and record["file"] == "requirements.lock" and len(record["sha256"]) == 64
    assert record["differences"] == []
    assert {"numpy", "scipy", "numba", "pyarrow", "matplotlib", "bertopic"} <= set(manifest["packages"])
    assert sorted(manifest["packages"]) == sorted(PACKAGES)
