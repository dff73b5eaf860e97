"""Language identification with lingua, restricted to the configured languages.

The detector is built once per set of languages (module-level cache), with
its models preloaded and low-accuracy mode off.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["detect_language", "detect_languages", "get_detector"]


@lru_cache(maxsize=8)
def get_detector(languages: tuple[str, ...]):
    """A lingua detector for ``languages`` (ISO 639-1 codes), cached.

    Raises
    ------
    ValueError
        If a code is not a language lingua knows.
    """
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    members = []
    for code in languages:
        try:
            members.append(Language.from_iso_code_639_1(IsoCode639_1.from_str(code)))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"languages: {code!r} is not an ISO 639-1 code lingua knows") from exc
    return LanguageDetectorBuilder.from_languages(*members).with_preloaded_language_models().build()


def _code(language) -> str | None:
    return None if language is None else language.iso_code_639_1.name.lower()


def detect_languages(
    texts: list[str], *, languages: tuple[str, ...], fallback: str | None = None
) -> list[str | None]:
    """Detect the language of each text (batched, in parallel).

    Parameters
    ----------
    texts : list of str
        Texts of any length.
    languages : tuple of str
        ISO 639-1 codes to choose from, e.g. ``("vi", "fr", "en")``.
    fallback : str or None
        Returned for a text whose language cannot be told (empty, digits only).

    Returns
    -------
    list of (str or None)
        One ISO 639-1 code per text.
    """
    if not texts:
        return []
    if len(languages) == 1:
        return [languages[0]] * len(texts)
    detected = get_detector(tuple(languages)).detect_languages_in_parallel_of(list(texts))
    return [_code(lang) or fallback for lang in detected]


def detect_language(text: str, *, languages: tuple[str, ...], fallback: str | None = None) -> str | None:
    """Detect the language of one text; see :func:`detect_languages`."""
    return detect_languages([text], languages=languages, fallback=fallback)[0]
