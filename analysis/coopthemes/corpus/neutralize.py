"""Partner-neutral text: what is done, without whom.

Clustering news passages as they are gathers them by named entity (a country,
a minister, a visit) rather than by activity: a theme x partner table built
on such themes is circular. Before passages are embedded for theme fitting
and before their words are counted for top terms, :func:`neutralize` masks
the identity of the counterparts:

* every country and multilateral organisation the gazetteer finds (names,
  demonyms, capitals, institutions and office-holders that stand for a
  country), the home country included, so that "Việt Nam - Lào" and
  "Việt Nam - Nhật Bản" read the same;
* personal names: in Vietnamese, a run of capitalised syllables that starts
  with one of the common Vietnamese surnames ("Phan Văn Giang"), and a run of
  capitalised words that cannot be Vietnamese syllables ("Sébastien
  Lecornu"); in other languages, a run of two or more capitalised words that
  are not titles or institution words, away from the start of a sentence.

Each masked span becomes ``X``: the sentence keeps its shape for the
encoder, and the one-letter placeholder never becomes a top term. The text
shown to readers (the ``passages`` table) is not changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .gazetteer import Gazetteer

__all__ = ["PLACEHOLDER", "neutralize", "neutralize_all"]

#: What a masked span becomes.
PLACEHOLDER = "X"

#: Common Vietnamese surnames (they open the personal names of nearly all Vietnamese).
_VI_SURNAMES = frozenset("""
Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Tô Đinh Lương Trịnh Mai Đào Cao Lâm
Hà Đoàn Vương Trương Tạ Chu Quách Thái Lưu Văn Tôn Thân Kiều Khổng Mạc Nghiêm Phùng Triệu Từ Tăng Lục
Lại Đồng Châu Quan Giang Tống Đàm Hứa Âu Doãn Khúc Kim Nông Thạch Diệp Hầu Ông Lò Mẫn Vi Quang Cù
""".split())

#: Capitalised words that are titles, ranks or institutions rather than names (fr, en).
_TITLE_WORDS = frozenset(w.lower() for w in """
Minister Ministers Ministry Prime President Vice Deputy General Lieutenant Colonel Major Senior Colonel
Admiral Commander Chief Head Director Secretary Ambassador Chairman Chairwoman Chair Party Central
Committee National Assembly Public Security Defence Defense Foreign Affairs Army Navy Police People
People's Republic Socialist Government State Council Office Department Agency Force Forces Command
Mr Mrs Ms Dr Prof Sir Madam His Her Excellency Gen Lt Col Maj Adm Staff Academy University Institute
Ministre Ministère Premier Président Présidente Vice Général Lieutenant Colonel Amiral Commandant Chef
Directeur Directrice Secrétaire Ambassadeur Ambassadrice Parti Comité Central Assemblée Nationale
Sécurité Publique Défense Affaires Étrangères Armée Marine Police Peuple République Gouvernement État
Conseil Bureau Département Agence Force Forces Commandement Monsieur Madame Académie Université Institut
Le La Les The A An Un Une Des Du De Of And Et In En At Au Aux For Pour On Sur With Avec
""".split())

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
#: A Vietnamese syllable: an optional initial cluster, a vowel nucleus, an optional final consonant.
_VI_INITIAL = "(?:ngh|ng|nh|ch|tr|th|ph|kh|gh|gi|qu|[bcdđghklmnpqrstvx])?"
_VI_FINAL = "(?:ng|nh|ch|[cmnpt])?"
_VI_VOWELS = "aăâeêioôơuưy"
_VI_SYLLABLE = re.compile(rf"^{_VI_INITIAL}[{_VI_VOWELS}]{{1,3}}{_VI_FINAL}$")


def _base(word: str) -> str:
    """Lower case without tone marks (keeps ă â ê ô ơ ư đ), for the syllable check."""
    out = []
    for ch in unicodedata.normalize("NFD", word.lower()):
        if unicodedata.category(ch) == "Mn" and ch not in "\u0306\u0302\u031b":  # breve, circumflex, horn
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _vi_syllable(word: str) -> bool:
    return bool(_VI_SYLLABLE.match(_base(word)))


def _capitalised(word: str) -> bool:
    """Capitalised, not an acronym (acronyms that stand for a country are in the gazetteer)."""
    return word[:1].isupper() and not (len(word) > 1 and word.isupper())


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;\"“«(\n"


def _name_spans(text: str, language: str | None) -> list[tuple[int, int]]:
    """Character spans of personal names (see the module docstring)."""
    words = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
    spans, i = [], 0
    while i < len(words):
        j = i
        while j < len(words) and _capitalised(words[j][0]) and (j == i or text[words[j - 1][2]:words[j][1]].strip() == ""):
            j += 1
        run = words[i:j]
        if len(run) >= 2:
            span = _name_in_run(text, run, language)
            if span is not None:
                spans.append(span)
        i = max(j, i + 1)
    return spans


def _name_in_run(text: str, run: list[tuple[str, int, int]], language: str | None) -> tuple[int, int] | None:
    if language == "vi":
        for k, (word, start, _) in enumerate(run):
            rest = run[k:]
            if word in _VI_SURNAMES and len(rest) >= 2:
                return start, rest[min(len(rest), 4) - 1][2]
            if len(rest) >= 2 and not all(_vi_syllable(w) for w, _, _ in rest):
                return start, rest[-1][2]
        return None
    names = [(w, s, e) for w, s, e in run if w.lower() not in _TITLE_WORDS]
    if len(names) < 2 or run.index(names[0]) != len(run) - len(names):
        return None
    if names[0][1] == run[0][1] and _sentence_start(text, run[0][1]) and len(names) < 3:
        return None
    return names[0][1], names[-1][2]


def neutralize(text: str, language: str | None, *, gazetteer: Gazetteer) -> str:
    """``text`` with countries, organisations and personal names replaced by :data:`PLACEHOLDER`.

    Parameters
    ----------
    text : str
    language : str or None
        ISO 639-1 code of the passage (gazetteer scoping and name rules).
    gazetteer : Gazetteer

    Returns
    -------
    str
        The same text with the spans masked; runs of placeholders joined by
        punctuation or spaces collapse into one.
    """
    spans = [(m.start, m.end) for m in gazetteer.find(text, language=language)]
    spans += _name_spans(text, language)
    if not spans:
        return text
    spans.sort()
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out.append(text[last:start])
        out.append(PLACEHOLDER)
        last = end
    out.append(text[last:])
    return "".join(out)


def neutralize_all(texts: Sequence[str], languages: Sequence[str | None], *, gazetteer: Gazetteer) -> list[str]:
    """:func:`neutralize` each text with its language."""
    return [neutralize(t, lang, gazetteer=gazetteer) for t, lang in zip(texts, languages, strict=True)]
