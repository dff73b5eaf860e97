"""Word lists used to repair broken and glued words.

English and French word frequencies come from the dictionaries bundled with
``pyspellchecker`` (no download). Function words are short curated lists: a
glued word is split only next to one of them, or where the document itself
shows the two words side by side (see :mod:`coopthemes.corpus.repair`).
"""

from __future__ import annotations

from functools import lru_cache

__all__ = [
    "FUNCTION_WORDS",
    "LEXICON_LANGUAGES",
    "function_words",
    "is_known_word",
    "word_frequency",
]

#: Languages with a bundled frequency dictionary.
LEXICON_LANGUAGES = ("en", "fr")

#: Function words that glue to a neighbour in scraped text (``withthe``,
#: ``Darmaninon``, ``lalutte``) and that a paragraph cannot end with. Only
#: words of two letters or more: a one-letter split is never safe.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of on in at to for with by from as into onto its their his her "
        "is are was were has have had that this these those or two three four five".split()
    ),
    "fr": frozenset(
        "le la les de des du et en dans pour avec sur par au aux un une ou "
        "ce ces cette son sa ses leur leurs entre vers contre sans sous".split()
    ),
    "vi": frozenset(
        "của và với các những cho trong tại về là được để từ theo một này đã "
        "sẽ đang như khi do bởi giữa".split()
    ),
}


@lru_cache(maxsize=None)
def _frequencies(language: str) -> dict[str, int]:
    if language not in LEXICON_LANGUAGES:
        return {}
    from spellchecker import SpellChecker

    checker = SpellChecker(language=language, distance=1)
    return dict(checker.word_frequency.dictionary)


def word_frequency(word: str, language: str) -> int:
    """Corpus frequency of a lowercased ``word`` in ``language`` (0 if unknown).

    Parameters
    ----------
    word : str
        The word; it is lowercased before the look-up.
    language : str
        ISO 639-1 code; languages without a dictionary always give 0.
    """
    return _frequencies(language).get(word.lower(), 0)


def is_known_word(word: str, languages: tuple[str, ...] = LEXICON_LANGUAGES) -> bool:
    """Whether ``word`` (any case) is in the dictionary of any of ``languages``."""
    return any(word_frequency(word, lang) > 0 for lang in languages)


def function_words(language: str | None) -> frozenset[str]:
    """The function words of ``language`` (empty for an unknown language)."""
    return FUNCTION_WORDS.get(language or "", frozenset())
