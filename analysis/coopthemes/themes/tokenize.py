"""Word segmentation and stop words for c-TF-IDF, in any language.

CountVectorizer's default token pattern splits Vietnamese words into
syllables ("tội phạm" -> "tội", "phạm") and drops one-letter syllables. Here
Vietnamese is segmented into words with underthesea; other languages are
split on letters (hyphenated words stay whole; French verb-subject
inversions lose their pronoun); everything is lower-cased and the language's
stop words (stopwordsiso, which covers 58 languages) are removed. A language
stopwordsiso does not know keeps all its words, and a warning says so once.

Segmented passages are stored as one string with words separated by spaces
and the syllables of a word joined by ``_`` (``"tội_phạm an_ninh"``), which is
what BERTopic's c-TF-IDF joins per theme; :func:`split_tokens` is the
vectorizer's analyzer and turns ``_`` back into spaces.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from sklearn.feature_extraction.text import CountVectorizer

__all__ = [
    "make_vectorizer",
    "segment",
    "segment_all",
    "split_tokens",
    "stop_words",
]

log = logging.getLogger(__name__)

_WORD_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_HAS_LETTER = re.compile(r"[^\W\d_]")


@lru_cache(maxsize=None)
def stop_words(language: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """Stop words of ``language`` (stopwordsiso), lower-cased, plus ``extra``.

    A language stopwordsiso does not know has no stop words but ``extra``.
    """
    return _language_stop_words(language) | {w.lower() for w in extra}


@lru_cache(maxsize=None)
def _language_stop_words(language: str) -> frozenset[str]:
    import stopwordsiso

    if not language or not stopwordsiso.has_lang(language):
        if language and language != "und":
            log.warning("no stop-word list for language %r: its top terms keep every word", language)
        return frozenset()
    return frozenset(w.lower() for w in stopwordsiso.stopwords(language))


#: Parts of French verb-subject inversions ("a-t-il", "a-t-elle indiqué"):
#: the euphonic "t" and subject pronouns, dropped from hyphenated words.
_FR_INVERSION = frozenset({"t", "il", "elle", "ils", "elles", "on", "je", "tu", "nous", "vous", "ce"})


def _fr_word(word: str) -> str:
    """Drop inversion parts: ``"a-t-il"`` -> ``"a"``, ``"a-t-indiqué"`` -> ``"indiqué"``."""
    parts = word.split("-")
    if len(parts) < 2 or not (set(p.lower() for p in parts[1:]) & _FR_INVERSION):
        return word
    kept = [p for i, p in enumerate(parts) if i == 0 or p.lower() not in _FR_INVERSION]
    return kept[-1] if len(kept) > 1 and len(kept[0]) <= 2 else "-".join(kept)


def _vi_words(text: str) -> list[str]:
    from underthesea import word_tokenize

    return word_tokenize(text, format="text").split()


def _keep(token: str, stops: frozenset[str]) -> bool:
    return (
        len(token) >= 2
        and _HAS_LETTER.search(token) is not None
        and token not in stops
    )


def segment(text: str, language: str, *, extra_stop_words: tuple[str, ...] = ()) -> list[str]:
    """Words of ``text`` for counting: lower-cased, stop words removed.

    Parameters
    ----------
    text : str
    language : str
        ISO 639-1 code; ``"vi"`` is segmented into multi-syllable words.
    extra_stop_words : tuple of str
        Removed as well (e.g. words common to the whole corpus).

    Returns
    -------
    list of str
        Words; syllables of a Vietnamese word are separated by a space
        (``"tội phạm"``).
    """
    stops = stop_words(language, tuple(extra_stop_words))
    if language == "vi":
        raw = [w.replace("_", " ") for w in _vi_words(text)]
        raw = [" ".join(_WORD_RE.findall(w)) for w in raw]
    elif language == "fr":
        raw = [_fr_word(w) for w in _WORD_RE.findall(text)]
    else:
        raw = _WORD_RE.findall(text)
    words = [w.lower() for w in raw if w]
    return [w for w in words if _keep(w, stops)]


def _segment_chunk(texts: Sequence[str], languages: Sequence[str], extra: tuple[str, ...]) -> list[str]:
    return [
        " ".join(w.replace(" ", "_") for w in segment(t, lang, extra_stop_words=extra))
        for t, lang in zip(texts, languages, strict=True)
    ]


#: Passages from which segmentation is shared among worker processes (a worker's start-up costs more below).
PARALLEL_SEGMENT_FROM = 4000


def segment_all(
    texts: Sequence[str],
    languages: Sequence[str],
    *,
    extra_stop_words: Iterable[str] = (),
    n_jobs: int = 1,
) -> list[str]:
    """Segment each passage and encode it as one space-separated string.

    Parameters
    ----------
    texts, languages : sequences of str
    extra_stop_words : iterable of str
    n_jobs : int
        Worker processes for large inputs (from :data:`PARALLEL_SEGMENT_FROM`
        passages); each passage is segmented on its own, so the result does
        not depend on it.

    Returns
    -------
    list of str
        One string per passage, words separated by spaces, the syllables of a
        word joined by ``_``; the input of :func:`split_tokens`.
    """
    extra = tuple(sorted(set(extra_stop_words)))
    texts, languages = list(texts), list(languages)
    if len(texts) != len(languages):
        raise ValueError("texts and languages differ in length")
    if n_jobs <= 1 or len(texts) < PARALLEL_SEGMENT_FROM:
        return _segment_chunk(texts, languages, extra)
    from joblib import Parallel, delayed

    step = -(-len(texts) // (4 * n_jobs))
    chunks = Parallel(n_jobs=n_jobs, backend="loky")(
        delayed(_segment_chunk)(texts[i:i + step], languages[i:i + step], extra) for i in range(0, len(texts), step))
    return [doc for chunk in chunks for doc in chunk]


def split_tokens(document: str) -> list[str]:
    """Analyzer for segmented strings: split on spaces, ``_`` back to spaces."""
    return [w.replace("_", " ") for w in document.split()]


def make_vectorizer(*, min_df: int = 1) -> CountVectorizer:
    """A CountVectorizer over strings produced by :func:`segment_all`."""
    return CountVectorizer(analyzer=split_tokens, min_df=min_df)
