"""Per-stage time and peak memory of `coopthemes run` on UNC at growing sizes.

For each size (about 1k, 5k and all kept passages of ``../shared/data/unc_vi.jsonl``,
taken as the first articles by ``doc_id``), two runs in fresh processes:

- cold: empty embedding cache;
- warm: the same corpus and config again: embeddings, and the theme fit, from the cache.

The theme settings are the defaults (codebook on, consensus of 15 fits on a
sample of at most 10,000 passages). Reported per run: seconds per stage
(corpus, embeddings, themes, prevalence, report), total, peak resident memory
after each stage, the ratios of the theme stage and of the total to the
embedding time (cold), and the warm speed-up. A linear fit of cold time and
peak memory against passages extrapolates to 100k passages.

Usage::

    python bench/bench_scale.py [--sizes 1000,5000,all] [--n-boot 2000] [--out bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "unc_vi.jsonl"
STAGES = ("corpus", "embeddings", "themes", "prevalence", "report")
MARKER = "## Scale: UNC at growing sizes"


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(corpus: str, work: str, n_boot: int) -> None:
    """One run in this process; prints a JSON line of timings and memory."""
    from coopthemes import pipeline
    from coopthemes.results import RunResult, write_results
    from coopthemes.config import load_config
    from coopthemes.report import build_report

    config = load_config(data={
        "corpus": {"path": corpus, "id_column": "doc_id", "date_column": "date", "extra_columns": ["label"]},
        "embeddings": {"cache_dir": str(Path(work) / "cache")},
        "prevalence": {"group_column": "label", "n_boot": n_boot},
    })
    out = Path(work) / f"out-{time.time_ns()}"
    t0 = time.perf_counter()
    memory = {}
    timings = {}
    t = time.perf_counter()
    documents, passages = pipeline.corpus_stage(config)
    timings["corpus"], memory["corpus"] = time.perf_counter() - t, _peak_mib()
    kept = pipeline.kept_passages(passages)
    t = time.perf_counter()
    embedded = pipeline.embed_stage(kept, config)
    embedder, cache = embedded.embedder, embedded.cache
    timings["embeddings"], memory["embeddings"] = time.perf_counter() - t, _peak_mib()
    t = time.perf_counter()
    model = pipeline.themes_stage(embedded, config)
    timings["themes"], memory["themes"] = time.perf_counter() - t, _peak_mib()
    t = time.perf_counter()
    assignments = model.assignments()
    prev = pipeline.prevalence_stage(assignments, passages, documents, config)
    result = RunResult(tables={
        "documents": documents, "passages": passages, "assignments": assignments, "themes": model.themes(),
        "terms": model.terms(), "theme_map": model.theme_map(), "prevalence": prev.prevalence,
        "excluded": prev.excluded, "effects": prev.effects,
    }, info={"group_column": "label", "seed": 0, "config": {}, "corpus_hash": None, "languages": ["vi"]})
    write_results(result, out / "results")
    timings["prevalence"], memory["prevalence"] = time.perf_counter() - t, _peak_mib()
    t = time.perf_counter()
    build_report(out / "results", out, command="bench")
    timings["report"], memory["report"] = time.perf_counter() - t, _peak_mib()
    print(json.dumps({
        "passages": int(len(kept)), "documents": int(len(documents)), "n_fit": int(model.n_fit_),
        "timings": {k: round(v, 2) for k, v in timings.items()},
        "total": round(time.perf_counter() - t0, 2), "peak_mib": memory,
        "model_calls": cache.get("model_calls"), "engine": str(getattr(embedder, "version", "")),
    }))


def _subset(n_docs: int | None, folder: Path) -> Path:
    table = pd.read_json(DATA, lines=True, dtype=False).sort_values("doc_id", kind="stable")
    if n_docs is not None:
        table = table.head(n_docs)
    path = folder / f"unc_{n_docs or 'all'}.parquet"
    table.to_parquet(path, index=False)
    return path


def _docs_for(target: int) -> int:
    """Articles needed for about ``target`` kept passages (first articles by doc_id)."""
    from coopthemes.corpus import load_corpus

    _, passages = load_corpus(DATA, id_column="doc_id", date_column="date")
    per_doc = passages[passages["kept"]].groupby("doc_id").size().sort_index()
    return int(np.searchsorted(per_doc.cumsum().to_numpy(), target) + 1)


def _run(corpus: Path, work: Path, n_boot: int) -> dict:
    cmd = [sys.executable, __file__, "--child", str(corpus), str(work), str(n_boot)]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(ROOT / ".cache" / "numba")}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _table(rows: list[dict]) -> str:
    head = ["passages", "run", *STAGES, "total s", "peak MiB", "themes / embeddings", "total / embeddings",
            "warm speed-up"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        cells = [str(r["passages"]), r["run"], *[f"{r['timings'][s]:.1f}" for s in STAGES],
                 f"{r['total']:.1f}", f"{max(r['peak_mib'].values()):.0f}",
                 r.get("theme_ratio", ""), r.get("ratio", ""), r.get("speedup", "")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _extrapolate(cold: list[dict], target: int = 100_000) -> str:
    n = np.array([r["passages"] for r in cold], dtype=float)
    if len(n) < 2:
        return ""
    t = np.array([r["total"] for r in cold])
    m = np.array([max(r["peak_mib"].values()) for r in cold])
    tb, ta = np.polyfit(n, t, 1)
    mb, ma = np.polyfit(n, m, 1)
    return (f"Linear fits over {len(n)} sizes: cold time = {ta:.1f} s + {tb * 1000:.2f} s per 1k passages; "
            f"peak memory = {ma:.0f} MiB + {mb * 1000:.1f} MiB per 1k passages. At {target:,} passages: about "
            f"{(ta + tb * target) / 60:.0f} min cold and {ma + mb * target:.0f} MiB peak (themes are fitted on a "
            f"seeded sample of at most 10,000 passages, so memory grows slowly past that).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,all")
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--work", help="folder for corpora and caches (default: a new temporary folder)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    command = "python bench/bench_scale.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    rows, cold = [], []
    tmp = Path(args.work) if args.work else Path(tempfile.mkdtemp())
    tmp.mkdir(parents=True, exist_ok=True)
    for size in args.sizes.split(","):
        n_docs = None if size == "all" else _docs_for(int(size))
        corpus = _subset(n_docs, tmp)
        work = tmp / f"work-{size}"
        shutil.rmtree(work, ignore_errors=True)  # cold means an empty cache
        first = _run(corpus, work, args.n_boot)
        second = _run(corpus, work, args.n_boot)
        first["run"], second["run"] = "cold", "warm"
        first["ratio"] = f"{first['total'] / first['timings']['embeddings']:.2f}"
        first["theme_ratio"] = f"{first['timings']['themes'] / first['timings']['embeddings']:.2f}"
        second["speedup"] = f"{first['total'] / second['total']:.1f}x"
        rows += [first, second]
        cold.append(first)
        print(json.dumps(first), json.dumps(second), flush=True)
    engine = rows[0]["engine"] if rows else ""
    section = "\n".join([
        MARKER, "",
        f"Generated by `{command}` on {dt.date.today().isoformat()} ({os.cpu_count()} cores; embedding engine "
        f"`{engine}`). Each run is a fresh process; `warm` reruns with the embedding cache of `cold`; "
        "model calls on warm runs: " + ", ".join(str(r["model_calls"]) for r in rows if r["run"] == "warm") + ".",
        "", _table(rows), "", _extrapolate(cold), "",
    ])
    sys.path.insert(0, str(ROOT / "bench"))
    from compare_bertopic import _write_section

    _write_section(Path(args.out), "# Benchmarks\n\n" + section, marker=MARKER)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
