"""Passages: sentence splitting, chunking, merging tiny fragments, duplicates.

A passage is a paragraph of the repaired article; a paragraph longer than
``max_chars`` is split on sentence boundaries, and a fragment shorter than
``min_chars`` is merged into its neighbour. Exact and near-duplicate passages
(word-shingle Jaccard, candidates found with MinHash banding) are flagged on
the later copy, in ``(doc_id, position)`` order, so results are deterministic.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import defaultdict

import numpy as np

from .furniture import Unit

__all__ = [
    "build_passages",
    "chunk_paragraph",
    "flag_duplicates",
    "passage_id",
    "shingles",
    "split_sentences",
]

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen lt col maj capt sgt st no vs jan feb mar apr jun jul aug sep sept "
    "oct nov dec e.g i.e u.s u.k m mm mme mlle me art al inc ltd co corp jr sr fig p pp vol "
    "dept gov sen rep assoc approx av bd ave cf env ex".split()
)
_BOUNDARY = re.compile(r"[.!?…]+[\"'’”»)]*\s+(?=[\"'“«(]?[A-ZÀ-ỸĐ0-9])")
_WORD = re.compile(r"\w+")

_PRIME = np.uint64(4294967311)
_N_HASHES, _BANDS = 128, 32
#: Representatives kept per MinHash bucket: bounds the work on templated text.
_BUCKET_CAP = 16


def passage_id(doc_id: str, position: int) -> str:
    """Stable passage id ``"<doc_id>:<position:03d>"``."""
    return f"{doc_id}:{position:03d}"


def _last_word(text: str, start: int, end: int, window: int = 200) -> str:
    """The last whitespace-separated word of ``text[start:end]``, looking back at most ``window`` characters."""
    words = text[max(start, end - window) : end].split()
    return words[-1] if words else ""


def split_sentences(text: str, *, language: str | None) -> list[str]:
    """Split a paragraph into sentences.

    Vietnamese uses underthesea's ``sent_tokenize``; other languages a regex
    splitter that does not split after abbreviations (``Mr.``, ``Dr.``,
    ``M.``, ``Jan.``, ``U.S.``) or initials. Time is linear in the length of
    the paragraph.
    """
    if language == "vi":
        from underthesea import sent_tokenize

        return [s.strip() for s in sent_tokenize(text) if s.strip()]
    sentences, start = [], 0
    for m in _BOUNDARY.finditer(text):
        word = _last_word(text, start, m.start())
        last = re.sub(r"^\W+", "", word).rstrip(".").split("-")[-1].lower()
        if text[m.start()] == "." and (last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
            continue
        sentences.append(text[start : m.end()].strip())
        start = m.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


_SPACE_RUN = re.compile(r"\s*")


def _hard_wrap(text: str, max_chars: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_chars``, at the last space before the limit.

    Offsets into ``text`` are moved forward, never the rest copied: linear in
    ``len(text)``.
    """
    pieces = []
    end = len(text.rstrip())
    start = _SPACE_RUN.match(text).end()
    while end - start > max_chars:
        limit = start + max_chars
        cut = text.rfind(" ", start, limit)
        cut = cut if cut - start > max_chars // 2 else limit
        pieces.append(text[start:cut].strip())
        start = _SPACE_RUN.match(text, cut).end()
    rest = text[start:end]
    return pieces + ([rest] if rest else [])


def chunk_paragraph(text: str, *, language: str | None, max_chars: int) -> list[str]:
    """Split a paragraph longer than ``max_chars`` into chunks of whole sentences.

    Sentences are grouped greedily; a single sentence longer than ``max_chars``
    is cut at the last space before the limit.
    """
    if len(text) <= max_chars:
        return [text]
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text, language=language):
        for piece in _hard_wrap(sentence, max_chars):
            if current and len(current) + 1 + len(piece) > max_chars:
                chunks.append(current)
                current = piece
            else:
                current = f"{current} {piece}" if current else piece
    return chunks + ([current] if current else [])


def build_passages(
    units: list[Unit], *, language: str | None, min_chars: int = 40, max_chars: int = 1200
) -> list[tuple[str, str | None]]:
    """Turn marked paragraphs into passages.

    Parameters
    ----------
    units : list of Unit
        Paragraphs with their drop reasons, in document order.
    language : str or None
        Document language, for the sentence splitter.
    min_chars, max_chars : int
        Article text shorter than ``min_chars`` is merged into the next
        passage (or the previous one when nothing follows); what cannot be
        merged is dropped as ``too_short``. Longer than ``max_chars`` is split.

    Returns
    -------
    list of (text, drop_reason)
        Passages in order; the list index is the passage position.
    """
    out: list[tuple[str, str | None]] = []
    pending = ""

    def flush_pending() -> None:
        nonlocal pending
        if pending and out and out[-1][1] is None:
            out[-1] = (f"{out[-1][0]} {pending}", None)
        elif pending:
            out.append((pending, "too_short"))
        pending = ""

    for unit in units:
        if unit.drop_reason is not None:
            flush_pending()
            out.append((unit.text, unit.drop_reason))
            continue
        for chunk in chunk_paragraph(unit.text, language=language, max_chars=max_chars):
            text = f"{pending} {chunk}" if pending else chunk
            pending = ""
            if len(text) < min_chars:
                pending = text
            else:
                out.append((text, None))
    flush_pending()
    return out


def _normalise(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def shingles(text: str, *, size: int = 3) -> frozenset[int]:
    """Hashed word ``size``-grams of the casefolded text (one shingle if shorter)."""
    words = _normalise(text)
    if not words:
        return frozenset()
    grams = [" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))]
    return frozenset(zlib.crc32(g.encode("utf-8")) for g in grams)


def _signature(items: frozenset[int], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    values = np.fromiter(sorted(items), dtype=np.uint64, count=len(items))
    return ((a[:, None] * values[None, :] + b[:, None]) % _PRIME).min(axis=1)


def flag_duplicates(texts: list[str], *, threshold: float = 0.8, shingle_size: int = 3) -> list[str | None]:
    """Flag repeated passages, keeping the first copy.

    Parameters
    ----------
    texts : list of str
        Candidate passages in priority order (sorted by ``doc_id``, then position).
    threshold : float
        Jaccard similarity of word shingles at or above which a passage is a
        near duplicate of an earlier kept passage.
    shingle_size : int
        Words per shingle.

    Returns
    -------
    list of (str or None)
        Per text: ``"duplicate"`` (same words as an earlier passage, ignoring
        case and punctuation), ``"near_duplicate"``, or None.

    Notes
    -----
    Candidates come from MinHash banding (128 hashes, 32 bands of 4 rows) and
    are confirmed by exact Jaccard similarity. Each band bucket keeps at most
    16 earlier passages, so heavily templated text stays linear in time.
    """
    rng = np.random.default_rng(20240611)
    a = rng.integers(1, 2**31 - 1, size=_N_HASHES, dtype=np.int64).astype(np.uint64)
    b = rng.integers(0, 2**31 - 1, size=_N_HASHES, dtype=np.int64).astype(np.uint64)
    rows = _N_HASHES // _BANDS
    seen: dict[str, int] = {}
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    sets: dict[int, frozenset[int]] = {}
    flags: list[str | None] = []
    for j, text in enumerate(texts):
        key = " ".join(_normalise(text))
        if key in seen:
            flags.append("duplicate")
            continue
        seen[key] = j
        grams = shingles(text, size=shingle_size)
        if not grams:
            flags.append(None)
            continue
        sig = _signature(grams, a, b)
        keys = [(band, sig[band * rows : (band + 1) * rows].tobytes()) for band in range(_BANDS)]
        candidates = sorted({i for k in keys for i in buckets.get(k, ())})
        similar = any(len(grams & sets[i]) / len(grams | sets[i]) >= threshold for i in candidates)
        if similar:
            flags.append("near_duplicate")
            continue
        flags.append(None)
        sets[j] = grams
        for k in keys:
            if len(buckets[k]) < _BUCKET_CAP:
                buckets[k].append(j)
    return flags
