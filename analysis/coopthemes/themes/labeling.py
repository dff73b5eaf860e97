"""Codebook labels that are earned: keyword evidence that the embedding agrees with.

Embedding similarity alone is a weak judge of what a passage is about: on the
hand-coded Nhan Dan dev set (``bench/RESULTS.md``), giving each passage its
most similar codebook theme above a threshold reached a document-level
precision of about 0.3 at any threshold, and keyword matching alone about
0.4. Coders code a theme when an article *discusses* it, not when a word of it
stands in a list of fields. A passage therefore discusses a codebook theme
only when both hold:

* **keyword evidence**: one of the theme's keyword phrases (the codebook's
  ``keywords``, in the passage's language; a phrase ending in ``*`` matches
  any word it begins) stands in a sentence of the passage that is not a list:
  a sentence naming the keywords of ``list_themes`` or more themes is left
  out ("cooperation in defence, economy, training..."), and so is a keyword
  in a short item (``list_item_words`` words or fewer) of a sentence cut into
  ``list_segments`` or more items by commas, semicolons or colons;
* **the embedding agrees**: the theme is the codebook theme most similar to
  the passage (``body_rank`` 0), or among the ``lead_rank + 1`` most similar
  in the first ``lead_passages`` passages of a document (the title and lead,
  where an article says what it is about). Similarities are exact, between
  the centred grid vectors of the passage and of the codebook themes, the
  codebook vectors centred on their mean so that what every theme shares
  ("cooperation between the two countries") does not decide.

* **the domain**: where the codebook lists ``context`` phrases for the
  passage's language (cooperation, partners, the security forces: "hợp
  tác", "bilateral", "police"), a theme whose keywords stand alone in a
  passage that names none of them needs two different keyword phrases of the
  theme in the passage. The opening passages of a document (its title and
  lead) that name one put the whole document in the domain. A single
  "visit", "university" or "COVID-19" in a tourism, science or sports story
  is not cooperation on visits, education or the pandemic.

A passage may discuss several codebook themes; it *belongs* to the one with
the most keyword phrases (then the most similar). An article discusses a
theme when one of its passages does. Each codebook theme's confidence is the
mean over the passages that discuss it of ``min(1, phrases / 2)``: 1.0 when
every one shows two phrases or more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..corpus.gazetteer import fold_tones
from .codebook import Codebook
from .numerics import exact_dot

__all__ = ["CodebookEvidence", "KeywordMatcher", "codebook_evidence"]

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def _tokens(text: str) -> list[str]:
    return [fold_tones(w) for w in _WORD.findall(unicodedata.normalize("NFC", text).casefold())]


class KeywordMatcher:
    """The codebook's keyword phrases compiled per language, indexed by their first word.

    Parameters
    ----------
    codebook : Codebook
    """

    def __init__(self, codebook: Codebook):
        self.exact: dict[str, dict[str, list[tuple[int, str, tuple[str, ...], bool]]]] = {}
        self.prefix_words: dict[str, list[tuple[int, str, str]]] = {}
        for t, theme in enumerate(codebook.themes):
            self._add(t, theme.keywords)

    @classmethod
    def of_phrases(cls, phrases: dict[str, tuple[str, ...]]) -> KeywordMatcher:
        """A matcher of one list of phrases per language (reported as theme 0)."""
        matcher = cls.__new__(cls)
        matcher.exact, matcher.prefix_words = {}, {}
        matcher._add(0, phrases)
        return matcher

    def _add(self, t: int, keywords: dict[str, tuple[str, ...]]) -> None:
        for lang, words in sorted(keywords.items()):
            for phrase in words:
                prefix = phrase.endswith("*")
                tokens = tuple(_tokens(phrase.rstrip("*")))
                if not tokens:
                    continue
                if prefix and len(tokens) == 1:
                    self.prefix_words.setdefault(lang, []).append((t, phrase, tokens[0]))
                else:
                    self.exact.setdefault(lang, {}).setdefault(tokens[0], []).append((t, phrase, tokens, prefix))

    def sentence(self, text: str, language: str | None) -> dict[int, set[str]]:
        """Theme index -> the keyword phrases of that theme found in one sentence."""
        words = _tokens(text)
        exact = self.exact.get(language or "", {})
        prefixes = self.prefix_words.get(language or "", [])
        found: dict[int, set[str]] = {}
        for i, word in enumerate(words):
            for t, phrase, tokens, prefix in exact.get(word, ()):
                n = len(tokens)
                if i + n > len(words) or list(tokens[1:n - 1]) != words[i + 1:i + n - 1]:
                    continue
                last = words[i + n - 1]
                if n == 1 or (last.startswith(tokens[-1]) if prefix else last == tokens[-1]):
                    found.setdefault(t, set()).add(phrase)
            for t, phrase, stem in prefixes:
                if word.startswith(stem):
                    found.setdefault(t, set()).add(phrase)
        return found


@dataclass
class CodebookEvidence:
    """Codebook evidence of each passage.

    Attributes
    ----------
    labels : list of tuple of int
        Indices of the codebook themes each passage discusses, the one it
        belongs to first (empty: none).
    phrases : list of dict
        Codebook theme index -> the keyword phrases found for it.
    """

    labels: list
    phrases: list

    @property
    def label(self) -> np.ndarray:
        """The codebook theme each passage belongs to (-1: none)."""
        return np.array([ls[0] if ls else -1 for ls in self.labels], dtype=np.int64)

    def keep(self, themes: set[int]) -> CodebookEvidence:
        """The evidence restricted to some codebook themes (the order of each passage's themes kept)."""
        labels = [tuple(t for t in ls if t in themes) for ls in self.labels]
        phrases = [{t: w for t, w in ph.items() if t in themes} for ph in self.phrases]
        return CodebookEvidence(labels=labels, phrases=phrases)

    def confidence(self, theme: int) -> float:
        """Mean of ``min(1, phrases / 2)`` over the passages that discuss ``theme`` (NaN for none)."""
        values = [min(1.0, len(ph[theme]) / 2.0) for ls, ph in zip(self.labels, self.phrases) if theme in ls]
        return round(float(np.mean(values)), 6) if values else float("nan")


_SEGMENT = re.compile(r"[,;:•]|\s[-–—]\s")


def _sentence_evidence(sentence: str, language: str | None, matcher: KeywordMatcher, *, list_themes: int,
                       list_segments: int, list_item_words: int) -> dict[int, set[str]]:
    hits = matcher.sentence(sentence, language)
    if not hits or len(hits) >= list_themes:
        return {}
    items = [x for x in _SEGMENT.split(sentence) if x.strip()]
    if len(items) < list_segments:
        return hits
    kept: dict[int, set[str]] = {}
    for item in items:
        if len(item.split()) > list_item_words:
            for t, words in matcher.sentence(item, language).items():
                if t in hits:
                    kept.setdefault(t, set()).update(words)
    return kept


def _in_domain(texts, languages, codebook: Codebook, lead: np.ndarray, documents) -> np.ndarray:
    """Whether each passage, or a lead passage of its document, names a ``context`` phrase of its language.

    A passage in a language without context phrases is always in the domain.
    """
    if not codebook.context:
        return np.ones(len(texts), dtype=bool)
    domain = KeywordMatcher.of_phrases(codebook.context)
    own = np.array([lang not in codebook.context or bool(domain.sentence(text, lang))
                    for text, lang in zip(texts, languages, strict=True)], dtype=bool)
    if documents is None:
        return own
    docs = np.asarray(list(documents), dtype=object)
    opened = {d for d, ok, first in zip(docs, own, lead) if ok and first}
    return own | np.array([d in opened for d in docs], dtype=bool)


def codebook_evidence(
    texts: Sequence[str],
    languages: Sequence[str],
    grid: np.ndarray,
    codebook_grid: np.ndarray,
    codebook: Codebook,
    *,
    lead: np.ndarray | None = None,
    documents: Sequence[str] | None = None,
    lead_rank: int = 3,
    body_rank: int = 0,
    list_themes: int = 3,
    list_segments: int = 4,
    list_item_words: int = 6,
) -> CodebookEvidence:
    """Which codebook themes each passage discusses, on what evidence (see the module docstring).

    Parameters
    ----------
    texts, languages : sequences of str, length n
    grid : ndarray of shape (n, dim)
        The passages' grid vectors.
    codebook_grid : ndarray of shape (n_codebook_themes, dim)
        The codebook themes' grid vectors (centred on their mean here).
    codebook : Codebook
    lead : ndarray of bool, optional
        The passages that open their document (title and lead).
    documents : sequence of str, optional
        Each passage's document: a lead passage in the codebook's domain puts
        its whole document there (default: each passage on its own).
    lead_rank, body_rank, list_themes, list_segments, list_item_words : see the module docstring.
    """
    from ..corpus.passages import split_sentences
    from .numerics import canonical

    matcher = KeywordMatcher(codebook)
    centred = canonical(codebook_grid - codebook_grid.sum(axis=0) / codebook_grid.shape[0])
    S = exact_dot(grid, centred)
    order = np.argsort(-S, axis=1, kind="stable")
    lead = np.zeros(len(texts), dtype=bool) if lead is None else np.asarray(lead, dtype=bool)
    in_domain = _in_domain(texts, languages, codebook, lead, documents)
    labels, phrases = [], []
    for i, (text, lang) in enumerate(zip(texts, languages, strict=True)):
        found: dict[int, set[str]] = {}
        for sentence in split_sentences(text, language=lang):
            for t, words in _sentence_evidence(sentence, lang, matcher, list_themes=list_themes,
                                               list_segments=list_segments,
                                               list_item_words=list_item_words).items():
                found.setdefault(t, set()).update(words)
        if found and not in_domain[i]:
            found = {t: words for t, words in found.items() if len(words) >= 2}
        allowed = set(order[i, :(lead_rank if lead[i] else body_rank) + 1].tolist())
        themes = sorted((t for t in found if t in allowed), key=lambda t: (-len(found[t]), -S[i, t], t))
        labels.append(tuple(themes))
        phrases.append({t: tuple(sorted(found[t])) for t in themes})
    return CodebookEvidence(labels=labels, phrases=phrases)
