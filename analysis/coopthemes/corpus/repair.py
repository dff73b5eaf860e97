"""Repair scraped text: whitespace, words and sentences broken across lines, glued words.

Scraped news text breaks in two typical ways. Lines are cut inside a sentence
or a word (``"pour les entreprises\\n\\njapon\\n\\naises d'investir"``), and
spaces are lost between words (``"withFrench"``, ``"Darmaninon"``,
``"officialvisit"``). Both repairs are conservative: a glued word is split only
next to a function word, at a lowercase-to-uppercase boundary after a known
word, or where the same document shows the two words side by side; a word
that the dictionary knows (``"insecurity"``) is never split.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from .lexicon import LEXICON_LANGUAGES, function_words, is_known_word, word_frequency

__all__ = [
    "DocumentVocabulary",
    "ends_sentence",
    "is_continuation",
    "join_broken_lines",
    "normalize_whitespace",
    "repair_glued_words",
    "repair_paragraphs",
    "split_lines",
    "tokens",
]

TOKEN_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_TERMINAL = re.compile(r"[.!?…:;][\"'’”»)\]]*$")
_CONTINUES = "(,.;:)]»”%"
_COMMA_GLUE = re.compile(r"(?<=[^\W\d_])([,;])(?=[^\W\d_])")
_POSSESSIVE = re.compile(r"(.+['’]s)([^\W\d_]{3,})")

#: Minimum dictionary frequency for a split-off part to count as a word.
MIN_PART_FREQUENCY = 100
#: Longest token in which missing spaces are looked for (two glued words are shorter).
MAX_GLUED_TOKEN = 100
#: Characters of a paragraph's end that decide how the next line joins it.
_TAIL = 256


def normalize_whitespace(text: str) -> str:
    """Unify line ends and spaces; strip every line; at most one blank line in a row.

    Non-breaking and other Unicode spaces become plain spaces, zero-width
    characters and soft hyphens are removed, and the text is NFC-normalised.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def split_lines(text: str) -> list[str]:
    """The non-empty lines of ``text`` (already normalised), in order."""
    return [line for line in text.split("\n") if line]


def tokens(text: str) -> list[str]:
    """Word tokens of ``text``: runs of letters with internal apostrophes."""
    return TOKEN_RE.findall(text)


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends with terminal punctuation (``. ! ? … : ;``)."""
    text = text.rstrip()
    return bool(_TERMINAL.search(text, max(0, len(text) - _TAIL)))


def is_continuation(previous: str, following: str, *, language: str | None) -> bool:
    """Whether line ``following`` continues the sentence of line ``previous``.

    It does when ``previous`` ends without terminal punctuation and either
    ``following`` starts in lowercase or with ``( , . ; : )``, or ``previous``
    ends with a function word (``du``, ``of``, ``của``) that no sentence ends with.
    """
    if not previous or not following or ends_sentence(previous):
        return False
    if following[0].islower() or following[0] in _CONTINUES:
        return True
    last = tokens(previous[-40:])
    return bool(last) and last[-1].lower() in function_words(language) and following[0].isalpha()


def _separator(previous: str, following: str, language: str | None) -> str:
    """What joins two continuation lines: nothing where a word was cut in two, else a space.

    Only the end of ``previous`` is read (its last 40 characters).
    """
    if following[0] in _CONTINUES and following[0] != "(":
        return ""
    if language in LEXICON_LANGUAGES and previous[-1].isalpha() and following[0].islower():
        last, first = tokens(previous[-40:]), tokens(following[:40])
        if last and first and previous.endswith(last[-1]) and following.startswith(first[0]):
            head = last[-1]
            if len(head) >= 2 and head.lower() not in function_words(language):
                if is_known_word(head + first[0], (language,)):
                    return ""
    return " "


def join_broken_lines(lines: list[str], *, language: str | None) -> list[str]:
    """Rejoin sentences and words broken across lines.

    Parameters
    ----------
    lines : list of str
        Non-empty, whitespace-normalised lines in document order.
    language : str or None
        ISO 639-1 code of the document; selects function words and the
        dictionary that decides whether two pieces form one word.

    Returns
    -------
    list of str
        Paragraphs; ``["la prévention et la", "lutte contre la criminalité", ". -VNA/VI"]``
        becomes ``["la prévention et la lutte contre la criminalité. -VNA/VI"]`` and
        ``["les entreprises", "japon", "aises d'investir"]`` becomes
        ``["les entreprises japonaises d'investir"]``.

    Notes
    -----
    Whether a line continues a paragraph depends on the paragraph's end
    only, so each paragraph is kept as a list of pieces and its last
    characters: time is linear in the length of the text, however many
    lines a paragraph has.
    """
    paragraphs: list[str] = []
    pieces: list[str] = []
    tail = ""
    for line in lines:
        if pieces and is_continuation(tail, line, language=language):
            sep = _separator(tail, line, language)
            pieces += [sep, line]
            tail = (tail + sep + line)[-_TAIL:]
            continue
        if pieces:
            paragraphs.append("".join(pieces))
        pieces, tail = [line], line[-_TAIL:]
    if pieces:
        paragraphs.append("".join(pieces))
    return paragraphs


@dataclass(frozen=True)
class DocumentVocabulary:
    """Word counts and adjacent word pairs of one document (evidence for splits)."""

    counts: Counter = field(default_factory=Counter)
    bigrams: frozenset = frozenset()

    @classmethod
    def from_texts(cls, texts: list[str]) -> DocumentVocabulary:
        counts: Counter = Counter()
        pairs: set[tuple[str, str]] = set()
        for text in texts:
            words = tokens(text)
            counts.update(words)
            pairs.update((a.lower(), b.lower()) for a, b in zip(words, words[1:]))
        return cls(counts=counts, bigrams=frozenset(pairs))


def _is_word(part: str, language: str, fws: frozenset[str]) -> bool:
    return part.lower() in fws or word_frequency(part, language) >= MIN_PART_FREQUENCY


def _split_lowercase(token: str, language: str, vocab: DocumentVocabulary) -> str | None:
    """Split an unknown lowercase token into two words, or return None."""
    fws = function_words(language)
    best: tuple | None = None
    for i in range(2, len(token) - 1):
        left, right = token[:i], token[i:]
        if (left, right) in vocab.bigrams:
            rank = (0, i)
        elif left in fws and (right in fws or (len(right) >= 3 and _is_word(right, language, fws))):
            rank = (1, -min(word_frequency(left, language), word_frequency(right, language)))
        elif right in fws and len(left) >= 3 and _is_word(left, language, fws):
            rank = (1, -min(word_frequency(left, language), word_frequency(right, language)))
        else:
            continue
        if best is None or rank < best[0]:
            best = (rank, f"{left} {right}")
    return None if best is None else best[1]


def _split_token(token: str, language: str, vocab: DocumentVocabulary) -> str:
    """Restore the missing space(s) inside one token, conservatively (tokens up to MAX_GLUED_TOKEN)."""
    if len(token) < 5 or len(token) > MAX_GLUED_TOKEN or (token.islower() and vocab.counts[token] > 1):
        return token
    fws = function_words(language)
    if language == "en" and (m := _POSSESSIVE.fullmatch(token)):
        if m.group(2).islower() and _is_word(m.group(2), language, fws):
            return f"{m.group(1)} {_split_token(m.group(2), language, vocab)}"
    cut = None if token.islower() else next((i for i, ch in enumerate(token) if ch.isupper()), None)
    if cut and cut >= 2 and token[:cut].islower() and token[cut + 1 : cut + 2].islower():
        if _is_word(token[:cut], language, fws):
            return f"{token[:cut]} {_split_token(token[cut:], language, vocab)}"
    if not token.isalpha() or len(token) < 5 or is_known_word(token) or vocab.counts[token] > 1:
        return token
    if token[0].isupper() and token[1:].islower():
        for fw in sorted(fws, key=lambda w: (-len(w), w)):
            head = token[: -len(fw)]
            if token.endswith(fw) and len(head) >= 3 and vocab.counts[head] > 0:
                return f"{head} {fw}"
        return token
    if token.islower():
        return _split_lowercase(token, language, vocab) or token
    return token


def repair_glued_words(text: str, *, language: str | None, vocabulary: DocumentVocabulary) -> str:
    """Restore spaces lost between words in one paragraph.

    Parameters
    ----------
    text : str
        One paragraph.
    language : str or None
        ISO 639-1 code of the document. Word splitting needs a dictionary
        (``en``, ``fr``); in other languages only a missing space after a
        comma between letters is restored.
    vocabulary : DocumentVocabulary
        Word counts and word pairs of the whole document.

    Returns
    -------
    str
        ``"withFrench Minister"`` -> ``"with French Minister"``,
        ``"Gérald Darmaninon November 4"`` -> ``"Gérald Darmanin on November 4"``,
        ``"officialvisit"`` -> ``"official visit"`` (when the document also writes
        ``"official visit"``); ``"insecurity"``, ``"Vietnamese"``, ``"McDonald"`` unchanged.
    """
    text = _COMMA_GLUE.sub(r"\1 ", text)
    if language not in LEXICON_LANGUAGES:
        return text
    return TOKEN_RE.sub(lambda m: _split_token(m.group(0), language, vocabulary), text)


def repair_paragraphs(text: str, *, language: str | None) -> list[str]:
    """Normalise ``text``, rejoin broken lines and restore glued words.

    Returns
    -------
    list of str
        The repaired paragraphs in document order.
    """
    paragraphs = join_broken_lines(split_lines(normalize_whitespace(text)), language=language)
    vocabulary = DocumentVocabulary.from_texts(paragraphs)
    return [repair_glued_words(p, language=language, vocabulary=vocabulary) for p in paragraphs]
