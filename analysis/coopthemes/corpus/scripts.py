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
"""

from __future__ import annotations

import unicodedata
from collections import Counter

__all__ = ["LANGUAGE_SCRIPTS", "garbled_reason", "letter_scripts"]

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
