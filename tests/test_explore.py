"""The explorer page: its data, its safety as HTML, its bytes, and `coopthemes explore`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from coopthemes.explore import EXPLORER_NAME, embed_json, explorer_data, render_page, write_explorer
from coopthemes.plotting.style import palette
from coopthemes.report.synthetic import write_synthetic_results
from coopthemes.results import read_results
from coopthemes.schema import THEME_EVIDENCE_COLUMNS
from conftest import ROOT, SEEDS

HOSTILE = '</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)> & \u2028 tội phạm'


@pytest.fixture
def results_dir(tmp_path):
    return write_synthetic_results(tmp_path / "out" / "results", seed=4, n_documents=40)


def _embedded(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page, flags=re.S)
    assert match, "no data element in the page"
    return json.loads(match.group(1))


def _rewrite(results_dir, name, func):
    path = results_dir / f"{name}.parquet"
    func(pd.read_parquet(path)).to_parquet(path, index=False)


def test_embed_json_escapes_markup_and_round_trips():
    data = {"text": HOSTILE, "b": [1, None, 2.5]}
    text = embed_json(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert "tội phạm" in text  # UTF-8 kept, not \\u escapes
    assert json.loads(text) == data


def test_hostile_passage_text_cannot_leave_the_data_element(results_dir):
    _rewrite(results_dir, "passages", lambda p: p.assign(text=HOSTILE + " " + p["text"]))
    page = render_page(explorer_data(read_results(results_dir)))
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "alert(1)" in page and "<script>alert" not in page and "<img" not in page
    assert all(t.startswith(HOSTILE) for t in _embedded(page)["passages"]["text"])


def test_page_makes_no_network_reference(results_dir):
    page = render_page(explorer_data(read_results(results_dir)))
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, flags=re.I)
    assert not re.search(r"@import|url\(|fetch\(|XMLHttpRequest|WebSocket|sendBeacon|EventSource", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert '<meta charset="utf-8">' in page


def test_data_hold_every_theme_passage_and_breakdown(results_dir):
    results = read_results(results_dir)
    data = explorer_data(results)
    labels = [t["label"] for t in data["themes"]]
    assert set(labels) == set(results.themes["theme"]) | {"(outlier)"}
    assert len(data["passages"]["id"]) == len(results.assignments)
    by_id = dict(zip(data["passages"]["id"], data["passages"]["theme"], strict=True))
    for row in results.assignments.itertuples():
        assert labels[by_id[row.passage_id]] == row.theme
    assert {(b["unit"], b["breakdown"]) for b in data["prevalence"]} == {
        (u, b) for u in ("document", "passage") for b in ("partner", "year", "partner+year")}
    assert len(data["map"]["x"]) == len(results.theme_map) and max(data["map"]["x"]) == 1000
    regular = [t for t in data["themes"] if not t["outlier"]]
    assert [t["color"] for t in regular] == palette(len(regular))
    assert all(t["terms"]["vi"] for t in regular)
    assert "discusses" not in data["passages"] and "evidence" not in data["passages"]


def test_label_confidence_stability_and_unstable_flag_when_present(results_dir):
    data = explorer_data(read_results(results_dir))
    assert [c["column"] for c in data["theme_columns"]] == ["label_confidence", "stability"]
    by_id = {t["id"]: t for t in data["themes"]}
    assert by_id[0]["extra"] == {"label_confidence": 0.9, "stability": 1.0}
    assert by_id[4]["extra"] == {"label_confidence": None, "stability": 0.3}
    assert [t["id"] for t in data["themes"] if t["unstable"]] == [4]
    assert data["min_stability"] is None  # the synthetic run.json does not record it
    run = json.loads((results_dir / "run.json").read_text(encoding="utf-8"))
    run["config"]["themes"] = {"min_stability": 0.5}
    (results_dir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    assert explorer_data(read_results(results_dir))["min_stability"] == 0.5
    # results written before these columns existed
    _rewrite(results_dir, "themes", lambda t: t.drop(columns=list(THEME_EVIDENCE_COLUMNS)))
    data = explorer_data(read_results(results_dir))
    assert data["theme_columns"] == [] and not any(t["unstable"] for t in data["themes"])
    assert all(t["extra"] == {} for t in data["themes"])


def test_codebook_evidence_of_passages_and_share_ranges_over_fits(results_dir):
    themes = pd.read_parquet(results_dir / "themes.parquet")
    other = dict(zip(themes["theme_id"], themes["theme"], strict=True))

    def discusses(a):
        also = [[other[(t + 1) % len(other)], "no such theme"] if i % 3 == 0 and t >= 0 else []
                for i, t in enumerate(a["theme_id"])]
        evidence = [f"{other[t]}: {t} word" if i % 2 == 0 and t >= 0 else "" for i, t in enumerate(a["theme_id"])]
        return a.assign(also_discusses=also, evidence=pd.array(evidence, dtype="string"))

    _rewrite(results_dir, "assignments", discusses)
    _rewrite(results_dir, "prevalence", lambda p: p.assign(share_min=p["share"] * 0.5, share_max=p["share"]))
    results = read_results(results_dir)
    data = explorer_data(results)
    labels = [t["label"] for t in data["themes"]]
    a = results.assignments.set_index("passage_id")
    for i, pid in enumerate(data["passages"]["id"]):
        row = a.loc[pid]
        assert [labels[k] for k in data["passages"]["discusses"][i]] == [x for x in row["also_discusses"]
                                                                          if x != "no such theme"]
        assert data["passages"]["evidence"][i] == (row["evidence"] or None)
    assert any(data["passages"]["discusses"]) and any(data["passages"]["evidence"])
    block = data["prevalence"][0]
    assert block["extra"] == ["share_min", "share_max"]
    assert all(abs(r[-2] - r[-1] * 0.5) < 1e-4 for r in block["rows"])


def test_theme_edits_are_shown_when_recorded(results_dir):
    run = json.loads((results_dir / "run.json").read_text(encoding="utf-8"))
    run["edits"] = [{"action": "rename", "theme_id": 4, "to": "Drugs"}]
    (results_dir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    data = explorer_data(read_results(results_dir))
    assert data["edits"] == [{"action": "rename", "theme_id": 4, "to": "Drugs"}]
    assert "edits" not in data["provenance"]["run"]
    run.pop("edits")
    (results_dir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    merge = {"theme_edits": [{"action": "merge", "themes": [1, 2]}]}
    assert explorer_data(read_results(results_dir), manifest=merge)["edits"] == merge["theme_edits"]
    assert explorer_data(read_results(results_dir))["edits"] is None


def test_the_edit_log_of_edited_results_is_shown_step_by_step(results_dir):
    log = pd.DataFrame({"step": [2, 1], "action": ["rename", "merge"], "theme_id": [0, 1],
                        "detail": ["D0: a -> Training", "2 (D2: b) joins 1 (D1: c)"]})
    log.to_parquet(results_dir / "theme_edits.parquet", index=False)
    run = json.loads((results_dir / "run.json").read_text(encoding="utf-8"))
    run["edits"] = {"file": "edits.yaml", "merge": [[1, 2]], "rename": {"0": "Training"}}
    (results_dir / "run.json").write_text(json.dumps(run), encoding="utf-8")
    assert explorer_data(read_results(results_dir))["edits"] == [
        {"step": 1, "action": "merge", "theme_id": 1, "detail": "2 (D2: b) joins 1 (D1: c)"},
        {"step": 2, "action": "rename", "theme_id": 0, "detail": "D0: a -> Training"},
    ]


def test_same_results_give_identical_bytes(results_dir, tmp_path):
    first = write_explorer(results_dir, tmp_path / "a.html").read_bytes()
    copy = shutil.copytree(results_dir, tmp_path / "copy" / "results")
    second = write_explorer(copy, tmp_path / "b.html").read_bytes()
    assert first == second


def test_manifest_found_missing_or_describing_other_results(results_dir, tmp_path):
    from coopthemes.report import build_report

    assert explorer_data(read_results(results_dir))["provenance"]["manifest"] == "missing"
    build_report(results_dir, results_dir.parent, formats=("png",), command="coopthemes report")
    manifest = json.loads((results_dir.parent / "MANIFEST.json").read_text(encoding="utf-8"))
    data = _embedded(write_explorer(results_dir, tmp_path / "e.html").read_text(encoding="utf-8"))
    assert data["provenance"]["manifest"] == "found"
    assert data["provenance"]["packages"] == manifest["packages"]
    assert data["provenance"]["git"] == manifest["git"]
    _rewrite(results_dir, "themes", lambda t: t.assign(size=t["size"] + 1))
    assert explorer_data(read_results(results_dir), manifest=manifest)["provenance"]["manifest"] == "mismatch"


def test_report_lists_the_page_in_its_manifest_and_its_command_remakes_it(results_dir, tmp_path):
    import shlex

    from coopthemes.cli import main
    from coopthemes.provenance import file_sha256
    from coopthemes.report import build_report

    out = tmp_path / "report"
    written = build_report(results_dir, out, formats=("png",), command="coopthemes report x")
    page = out / EXPLORER_NAME
    assert page in written and written[-1].name == "MANIFEST.json"
    manifest = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
    entry = next(a for a in manifest["artefacts"] if a["path"] == EXPLORER_NAME)
    assert entry["sha256"] == file_sha256(page)
    data = _embedded(page.read_text(encoding="utf-8"))
    assert data["provenance"]["manifest"] == "found" and "command" not in data["provenance"]
    assert data["provenance"]["packages"] == manifest["packages"]
    before = page.read_bytes()
    page.unlink()
    argv = shlex.split(entry["command"])
    assert argv[:2] == ["coopthemes", "explore"]
    assert main(argv[1:]) == 0
    assert page.read_bytes() == before


def test_results_without_partners_years_or_prevalence(results_dir):
    _rewrite(results_dir, "documents", lambda d: d.assign(partners=[[] for _ in range(len(d))],
                                                           year=pd.array([pd.NA] * len(d), dtype="Int64")))
    _rewrite(results_dir, "passages", lambda p: p.assign(partners=[[] for _ in range(len(p))],
                                                          year=pd.array([pd.NA] * len(p), dtype="Int64")))
    (results_dir / "prevalence.parquet").unlink()
    (results_dir / "theme_map.parquet").unlink()
    data = explorer_data(read_results(results_dir))
    assert data["partners"] == [] and data["prevalence"] == [] and data["map"]["x"] == []
    assert set(data["passages"]["year"]) == {None}
    assert "</html>" in render_page(data)


def test_explore_command_through_the_console_script(results_dir, tmp_path):
    _rewrite(results_dir, "documents", lambda d: d.assign(partners=[[] for _ in range(len(d))],
                                                           year=pd.array([pd.NA] * len(d), dtype="Int64")))
    _rewrite(results_dir, "passages", lambda p: p.assign(partners=[[] for _ in range(len(p))],
                                                          year=pd.array([pd.NA] * len(p), dtype="Int64")))
    _rewrite(results_dir, "prevalence", lambda p: p.iloc[0:0])
    cmd = _console_script()
    proc = subprocess.run([*cmd, "explore", str(results_dir), "--out", str(tmp_path / "x.html")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "x.html" in proc.stdout
    proc = subprocess.run([*cmd, "explore", str(results_dir)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (results_dir.parent / EXPLORER_NAME).is_file()
    proc = subprocess.run([*cmd, "explore", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "not a results folder" in proc.stderr and "Traceback" not in proc.stderr


def _console_script() -> list[str]:
    exe = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
    return [exe] if exe else [sys.executable, "-m", "coopthemes.cli"]


@pytest.mark.integration
def test_run_and_explore_on_seeds_without_metadata(tmp_path, tmp_path_factory):
    corpus = tmp_path / "seeds"
    corpus.mkdir()
    for path in sorted(SEEDS.glob("*.txt")):
        shutil.copy(path, corpus / path.name)
    cache = tmp_path_factory.getbasetemp() / "explore-cache" / "embeddings"  # shared with the browser test
    config = tmp_path / "config.yaml"
    config.write_text(f"embeddings:\n  cache_dir: {cache}\nprevalence:\n  n_boot: 200\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([*_console_script(), "run", "--config", str(config), "--corpus", str(corpus),
                           "--out", str(out)], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and (out / EXPLORER_NAME).is_file()
    documents = read_results(out / "results").documents
    assert documents["year"].isna().any()  # no sidecar: two documents have no year
    proc = subprocess.run([*_console_script(), "explore", str(out / "results"), "--out", str(tmp_path / "p.html")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    data = _embedded((tmp_path / "p.html").read_text(encoding="utf-8"))
    assert data["provenance"]["manifest"] == "found"
    assert (tmp_path / "p.html").read_bytes() == (out / EXPLORER_NAME).read_bytes()
