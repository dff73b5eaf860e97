"""Garbled text: a decoding that yields no text of the configured languages.

A file in an encoding the toolkit does not read (Shift-JIS, GB18030, KOI8-R,
EUC-KR...) still decodes, as Windows-1252, into a string of accented letters
and symbols ("ÐÒÅÚÉÄÅÎÔ", "ƒxƒgƒiƒ€"); language detection restricted to the
configured languages then calls it Vietnamese. :func:`garbled_reason` tells
such a document by three signs, measured on its first characters:

- undecodable bytes: replacement characters (``U+FFFD``) in more than 1% of
  the characters;
- mojibake: charset-normalizer's mess ratio (suspicious runs of accents,
  symbols and mixed scripts) above 0.2, where decoded news text scores
  below 0.05;
- another writing system: more than ``max_share`` of the letters outside the
  scripts of the configured languages (a Russian or Chinese article in a
  Vietnamese, French and English corpus).

:func:`foreign_language_reasons` adds a fourth, for text in the configured
languages' script: language detection restricted to the configured languages
always answers one of them (a German article is "English" with confidence
1.0), so the document is also weighed against every language lingua knows;
when another language wins and the configured ones together get a confidence
below :data:`MAX_CONFIGURED_CONFIDENCE`, it is text in another language.
Vietnamese without diacritics keeps a confidence of 0.1-0.2 and stays.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache

__all__ = ["LANGUAGE_SCRIPTS", "foreign_language_reasons", "garbled_reason", "letter_scripts"]

#: Writing systems (the first word of Unicode character names) by ISO 639-1 code.
LANGUAGE_SCRIPTS = {
    **{code: ("LATIN",) for code in (
        "vi", "fr", "en", "de", "es", "it", "pt", "nl", "id", "ms", "tl", "pl", "cs", "sk", "ro", "hu",
        "sv", "da", "no", "nb", "fi", "tr", "ca", "hr", "sl", "et", "lv", "lt", "sq", "sw", "af", "eu",
    )},  # fmt: skip
    **{code: ("CYRILLIC",) for code in ("ru", "uk", "bg", "be", "mk", "kk", "mn")},
    "sr": ("CYRILLIC", "LATIN"),
    "zh": ("CJK",),
    "ja": ("CJK", "HIRAGANA", "KATAKANA"),
    "ko": ("HANGUL", "CJK"),
    "th": ("THAI",),
    "lo": ("LAO",),
    "km": ("KHMER",),
    "my": ("MYANMAR",),
    "ar": ("ARABIC",),
    "fa": ("ARABIC",),
    "ur": ("ARABIC",),
    "he": ("HEBREW",),
    "el": ("GREEK",),
    "hi": ("DEVANAGARI",),
    "bn": ("BENGALI",),
    "ka": ("GEORGIAN",),
    "hy": ("ARMENIAN",),
}
#: Characters of a document examined.
SAMPLE_CHARS = 5000
#: Mess ratio above which decoded text is taken for mojibake.
MAX_MESS = 0.2
#: Share of replacement characters above which the bytes did not decode.
MAX_REPLACEMENT = 0.01
#: Fewer letters than this: too little to judge.
MIN_LETTERS = 20


def letter_scripts(text: str) -> Counter:
    """Letters of ``text`` by writing system (``Counter({"LATIN": 812, "CYRILLIC": 3})``)."""
    names: dict[str, str] = {}
    counts: Counter = Counter()
    for ch in text:
        if not ch.isalpha():
            continue
        script = names.get(ch)
        if script is None:
            script = names[ch] = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
        counts[script] += 1
    return counts


def _mess(text: str) -> float:
    from charset_normalizer.md import mess_ratio

    return float(mess_ratio(text, 1.0))


def garbled_reason(text: str, *, languages: tuple[str, ...], max_share: float = 0.3) -> str | None:
    """Why ``text`` is not text of ``languages`` as decoded, or None.

    Parameters
    ----------
    text : str
        A decoded document.
    languages : tuple of str
        The configured ISO 639-1 codes; the script check is skipped when one
        of them is not in :data:`LANGUAGE_SCRIPTS`.
    max_share : float
        Largest share of letters allowed outside the languages' scripts.

    Returns
    -------
    str or None
        ``"garbled text: ..."`` or ``"text in another writing system: ..."``.
    """
    sample = text[:SAMPLE_CHARS]
    if not sample.strip():
        return None
    hint = "an encoding the toolkit does not read (e.g. Shift-JIS, GB18030, KOI8-R)? Convert it to UTF-8"
    replaced = sample.count("\ufffd")
    if replaced > MAX_REPLACEMENT * len(sample):
        return f"garbled text: {replaced} of its first {len(sample)} characters could not be decoded ({hint})"
    scripts = letter_scripts(sample)
    letters = sum(scripts.values())
    if letters < MIN_LETTERS:
        return None
    known = [LANGUAGE_SCRIPTS.get(code) for code in languages]
    if all(known):
        expected = {s for group in known for s in group}
        foreign = {s: n for s, n in scripts.items() if s not in expected}
        if sum(foreign.values()) > max_share * letters:
            main = max(sorted(foreign), key=lambda s: foreign[s]).title()
            share = sum(foreign.values()) / letters
            return (f"text in another writing system: {share:.0%} of its letters are not in the scripts of "
                    f"{', '.join(languages)} (mostly {main}); wrong language or {hint}")
    mess = _mess(sample)
    if mess > MAX_MESS:
        return (f"garbled text: it decodes to mojibake (mess ratio {mess:.2f}, text scores below 0.05); "
                f"{hint}")
    return None


#: Letters a document needs before its language is weighed against every language.
MIN_LANGUAGE_LETTERS = 200
#: Confidence of the configured languages together (out of 1 over every language) below which
#: a document in another language is taken for that language.
MAX_CONFIGURED_CONFIDENCE = 0.05


@lru_cache(maxsize=1)
def _any_language_detector():
    """A lingua detector of every language it knows (low-accuracy mode: trigrams, models loaded as needed)."""
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()


def foreign_language_reasons(texts: list[str], *, languages: tuple[str, ...]) -> list[str | None]:
    """For each text, why it is taken for text in a language other than ``languages``, or None.

    Texts with fewer than :data:`MIN_LANGUAGE_LETTERS` letters in their first
    :data:`SAMPLE_CHARS` characters are not judged.
    """
    samples = [text[:SAMPLE_CHARS] for text in texts]
    judged = [i for i, sample in enumerate(samples) if sum(ch.isalpha() for ch in sample) >= MIN_LANGUAGE_LETTERS]
    out: list[str | None] = [None] * len(texts)
    if not judged:
        return out
    wanted = set(languages)
    values = _any_language_detector().compute_language_confidence_values_in_parallel([samples[i] for i in judged])
    for i, ranked in zip(judged, values):
        if not ranked:
            continue
        top = ranked[0].language
        code = top.iso_code_639_1.name.lower()
        configured = sum(v.value for v in ranked if v.language.iso_code_639_1.name.lower() in wanted)
        if code not in wanted and configured < MAX_CONFIGURED_CONFIDENCE:
            out[i] = (f"text in another language: detected as {top.name.title()} ({code}, confidence "
                      f"{ranked[0].value:.2f}), not one of {', '.join(languages)}; add it to corpus.languages "
                      "to keep such documents")
    return out
