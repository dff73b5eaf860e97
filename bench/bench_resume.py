"""An embedding run interrupted half way, then resumed: what is recomputed.

::

    python bench/bench_resume.py [--docs 120] [--signal INT] [--out bench/RESULTS.md]

Takes the first ``--docs`` articles of ``../shared/data/unc_vi.jsonl`` (by
``doc_id``), runs the corpus stage, and embeds the kept passages with the
default backend through the pipeline's embedding stage (``embed_stage``: the
on-disk cache, chunks of about 256 passages written as they finish) in a child
process. When half of the chunks are on disk, the child gets ``--signal``
(``INT``, as Ctrl-C; or ``KILL``). A second child then embeds the same
passages. Reported: chunks in all, chunks finished before the interruption,
chunks the second run computed and read, whether any finished chunk's file was
rewritten (sha256 and modification time before and after), and whether the
resumed vectors equal those of an uninterrupted run (a third child, into a
fresh cache). Writes its section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "unc_vi.jsonl"
MARKER = "## Interrupted and resumed embedding"


def _config(corpus: str, cache_dir: str):
    from coopthemes.config import load_config

    return load_config(data={
        "corpus": {"path": corpus, "id_column": "doc_id", "date_column": "date"},
        "embeddings": {"cache_dir": cache_dir},
    })  # fmt: skip


def child(corpus_dir: str, cache_dir: str, vectors_out: str) -> None:
    """Embed the kept passages of ``corpus_dir`` through the cache; print the cache counts."""
    from coopthemes.pipeline import embed_stage

    kept = pd.read_parquet(Path(corpus_dir) / "kept.parquet")
    config = _config(str(Path(corpus_dir) / "corpus.parquet"), cache_dir)
    t0 = time.perf_counter()
    embedded = embed_stage(kept, config, show_progress=False)
    np.save(vectors_out, embedded.vectors)
    print(json.dumps({**embedded.cache, "seconds": round(time.perf_counter() - t0, 1)}), flush=True)


def _files(cache_dir: Path) -> dict[str, tuple[str, int]]:
    """Finished chunks: vector file name -> (sha256, mtime in ns)."""
    from coopthemes.provenance import file_sha256

    out = {}
    for path in sorted(cache_dir.rglob("*.npy")):
        out[path.name] = (file_sha256(path), path.stat().st_mtime_ns)
    return out


def _spawn(corpus_dir: Path, cache_dir: Path, vectors_out: Path) -> subprocess.Popen:
    cmd = [sys.executable, __file__, "--child", str(corpus_dir), str(cache_dir), str(vectors_out)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _finish(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}): {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=120, help="first N UNC articles (default 120)")
    parser.add_argument("--signal", default="INT", choices=("INT", "KILL"))
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0

    from coopthemes.embeddings.cache import chunk_bounds, text_hash
    from coopthemes.pipeline import corpus_stage, kept_passages

    command = "python bench/bench_resume.py " + " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    work = Path(tempfile.mkdtemp(prefix="coopthemes-resume-"))
    table = pd.read_json(DATA, lines=True, dtype=False).sort_values("doc_id", kind="stable").head(args.docs)
    table.to_parquet(work / "corpus.parquet", index=False)
    _, passages = corpus_stage(_config(str(work / "corpus.parquet"), str(work / "unused")), show_progress=False)
    kept = kept_passages(passages)
    kept.to_parquet(work / "kept.parquet", index=False)
    n_chunks = len(chunk_bounds([text_hash(t) for t in kept["text"]]))
    print(f"{len(kept)} kept passages of {args.docs} articles, {n_chunks} chunks", flush=True)

    cache = work / "cache"
    proc = _spawn(work, cache, work / "interrupted.npy")
    t0 = time.perf_counter()
    while proc.poll() is None and len(_files(cache)) < n_chunks // 2:
        time.sleep(0.2)
    if proc.poll() is not None:
        raise RuntimeError("the first run ended before half of its chunks were written")
    proc.send_signal(getattr(signal, f"SIG{args.signal}"))
    proc.communicate()
    interrupted_after = time.perf_counter() - t0
    before = _files(cache)
    print(f"interrupted (SIG{args.signal}) after {interrupted_after:.1f} s, exit {proc.returncode}, "
          f"{len(before)} of {n_chunks} chunks on disk", flush=True)

    resumed = _finish(_spawn(work, cache, work / "resumed.npy"))
    after = _files(cache)
    rewritten = sorted(name for name, (sha, mtime) in before.items() if after.get(name) != (sha, mtime))
    fresh = _finish(_spawn(work, work / "fresh-cache", work / "fresh.npy"))
    identical = bool(np.array_equal(np.load(work / "resumed.npy"), np.load(work / "fresh.npy")))
    print(json.dumps({"resumed": resumed, "uninterrupted": fresh, "rewritten": rewritten, "identical": identical}))

    rows = [
        ("passages (kept)", len(kept)),
        ("chunks in all", n_chunks),
        (f"chunks on disk when SIG{args.signal} arrived ({interrupted_after:.0f} s in)", len(before)),
        ("resumed run: chunks read from the cache", resumed["hits"]),
        ("resumed run: chunks computed", resumed["misses"]),
        ("finished chunks recomputed or rewritten", len(rewritten)),
        ("resumed run: seconds", resumed["seconds"]),
        ("uninterrupted run: seconds", fresh["seconds"]),
        ("resumed vectors equal to the uninterrupted run's", "yes" if identical else "NO"),
    ]
    section = "\n".join([
        MARKER, "",
        f"Generated by `{command}` on {dt.date.today().isoformat()}: the first {args.docs} UNC articles, "
        "embedded with the default backend by the pipeline's embedding stage in a child process that is "
        f"sent SIG{args.signal} once half of its chunks are on disk, then run again.", "",
        "| | |", "|---|---:|", *[f"| {k} | {v} |" for k, v in rows], "",
    ])  # fmt: skip
    from compare_bertopic import _write_section

    _write_section(Path(args.out), "# Benchmarks\n\n" + section, marker=MARKER)
    print(f"wrote {args.out}")
    return 0 if identical and not rewritten and resumed["misses"] == n_chunks - len(before) else 1


if __name__ == "__main__":
    sys.exit(main())
