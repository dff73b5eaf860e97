"""Shared fixtures: a fast fake embedder and the repository's paths."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"

os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
os.environ.setdefault("MPLBACKEND", "Agg")


def _word_vector(word: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim)


class FakeEmbedder:
    """Deterministic bag-of-words embedder for unit tests.

    A text's vector is the sum of its words' hashed random vectors plus a
    strong offset for its language (guessed from marker words), so that raw
    vectors cluster by language, as real multilingual models' do, until they
    are centred per language. Words listed in ``synonyms`` share one vector:
    that is how translations land close together.
    """

    name = "fake"
    model_id = "fake-bow"
    version = "1"
    prefix = ""

    def __init__(self, *, dim: int = 64, synonyms: dict[str, str] | None = None, offset: float = 3.0):
        self.dim = dim
        self.synonyms = synonyms or {}
        self.offset = offset
        self.calls = 0

    def _language(self, words: list[str]) -> str:
        if any(w in {"và", "các", "của"} for w in words):
            return "vi"
        if any(w in {"et", "les", "des"} for w in words):
            return "fr"
        return "en"

    def embed(self, texts, verbose: bool = False) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim))
        for i, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            for w in words:
                out[i] += _word_vector(self.synonyms.get(w, w), self.dim)
            out[i] /= max(1, len(words)) ** 0.5
            out[i] += self.offset * _word_vector("<lang:" + self._language(words) + ">", self.dim)
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out.astype(np.float32)


@pytest.fixture
def fake_embedder():
    return FakeEmbedder()


def cpu_features() -> dict:
    """NumPy's view of this CPU's features."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # NumPy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return dict(__cpu_features__)


def numpy_without(level: str) -> str:
    """NPY_DISABLE_CPU_FEATURES value that leaves NumPy at AVX2 (``"avx2"``) or below it (``"sse"``)."""
    names = cpu_features()
    if "X86_V4" in names:  # NumPy >= 2.4 groups features by x86-64 levels
        avx512 = ["X86_V4", "AVX512_ICL", "AVX512_SPR"]
        avx2 = ["X86_V3"]
    else:
        avx512 = ["AVX512F", "AVX512CD", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL",
                  "AVX512_ICL", "AVX512_SPR"]  # fmt: skip
        avx2 = ["AVX2", "FMA3"]
    wanted = avx512 + (avx2 if level == "sse" else [])
    return " ".join(n for n in wanted if names.get(n))
