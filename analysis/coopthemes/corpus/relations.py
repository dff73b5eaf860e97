"""Relation cue words: which sentences tell of parties dealing with each other.

The cue lexicon (``relations.yaml`` beside this module, or the researcher's own
copy) lists per language the words of a relation (``relation``) and of an
encounter (``encounter``: talks, visit, reception), the words that name both
parties at once (``bilateral``: "the two sides"; ``two_countries``: "hai
nước", "les deux pays"), the words of taking part in an event
(``attendance``) or in an organisation's work (``participation``), an
organisation's events (``meeting``: summit, conference), the home country's
own ministries named without a country (``home_actor``: "Bộ Quốc phòng",
"le ministère de la Défense", as a domestic outlet writes them) and
exclusions. Matching works on lowercased word tokens: a cue never matches
inside a longer word, a cue ending in ``*`` matches any word it begins, and the
longest cue wins where cues overlap (so the exclusion "tiếp tục", "continue",
hides the cue "tiếp" inside it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping


from ..safeyaml import read_yaml, short_repr
from .gazetteer import GazetteerError, fold_tones

__all__ = ["BUNDLED_RELATION_CUES", "CUE_KINDS", "RelationCues", "load_relation_cues"]

BUNDLED_RELATION_CUES = Path(__file__).with_name("relations.yaml")

#: Kinds of cue, as the sections of the YAML file (``exclude`` aside).
CUE_KINDS = (
    "relation", "encounter", "bilateral", "two_countries", "attendance", "participation", "meeting",
    "home_actor",
)  # fmt: skip
_SECTIONS = (*CUE_KINDS, "exclude")
_WORD = re.compile(r"\w+")

#: One cue: its tokens, the last one a prefix when ``prefix`` is True.
_Cue = tuple[tuple[str, ...], bool]


def _tokens(text: str) -> list[str]:
    return [fold_tones(w) for w in _WORD.findall(unicodedata.normalize("NFC", text).casefold())]



@dataclass(frozen=True)
class RelationCues:
    """Cue words compiled for matching.

    Attributes
    ----------
    cues : mapping of str to mapping of str to tuple
        Language -> first token -> ``((tokens, prefix, kinds), ...)``, longest
        first; ``kinds`` is a tuple of members of :data:`CUE_KINDS` (a cue may
        be listed in several sections), empty for an exclusion. A cue made of
        one prefix token is stored under the key ``""``.
    source : str
        Path of the YAML file.
    """

    cues: Mapping[str, Mapping[str, tuple[tuple[tuple[str, ...], bool, tuple[str, ...]], ...]]]
    source: str

    def spans(self, text: str, *, language: str | None) -> list[tuple[str, int, int]]:
        """``(kind, start, end)`` of every cue in ``text``, in order (a cue of several kinds once per kind).

        Parameters
        ----------
        text : str
            A sentence, NFC-normalised (offsets are into it).
        language : str or None
            ISO 639-1 code; only that language's cues count (none for None).
        """
        table = self.cues.get(language or "")
        if not table:
            return []
        tokens = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        words = [fold_tones(text[a:b].casefold()) for a, b in tokens]
        out: list[tuple[str, int, int]] = []
        i = 0
        while i < len(words):
            hit = _longest(table, words, i)
            if hit is None:
                i += 1
                continue
            n, kinds = hit
            out += [(kind, tokens[i][0], tokens[i + n - 1][1]) for kind in kinds]
            i += n
        return out

    def find(self, text: str, *, language: str | None) -> dict[str, int]:
        """How many cues of each kind ``text`` holds (kinds without cues left out).

        Parameters
        ----------
        text : str
            A sentence.
        language : str or None
            ISO 639-1 code; only that language's cues count (none for None).
        """
        counts: dict[str, int] = {}
        for kind, _, _ in self.spans(unicodedata.normalize("NFC", text), language=language):
            counts[kind] = counts.get(kind, 0) + 1
        return counts


def _matches(cue: tuple[str, ...], prefix: bool, words: list[str], i: int) -> bool:
    n = len(cue)
    if i + n > len(words):
        return False
    if prefix:
        return words[i : i + n - 1] == list(cue[:-1]) and words[i + n - 1].startswith(cue[-1])
    return words[i : i + n] == list(cue)


def _longest(table: Mapping, words: list[str], i: int) -> tuple[int, tuple[str, ...]] | None:
    """``(number of tokens, kinds)`` of the longest cue starting at token ``i``, or None.

    Of two cues of the same length, the exact one wins over the prefix one.
    """
    best: tuple[int, bool, tuple[str, ...]] | None = None
    candidates = table.get(words[i], ()) + table.get("", ())
    for cue, prefix, kinds in candidates:
        better = best is None or (len(cue), not prefix) > (best[0], not best[1])
        if better and _matches(cue, prefix, words, i):
            best = (len(cue), prefix, kinds)
    return None if best is None else (best[0], best[2])


def _parse(term: str, where: str) -> _Cue:
    prefix = term.endswith("*")
    tokens = tuple(_tokens(term.rstrip("*")))
    if not tokens:
        raise GazetteerError(f"{where}: cue {short_repr(term)} has no word")
    return tokens, prefix


def _longest_first(entry: tuple) -> tuple:
    cue, prefix, _ = entry
    return (-len(cue), prefix, cue)


def _compile(data: object, source: str) -> RelationCues:
    if not isinstance(data, dict):
        raise GazetteerError(f"{source}: expected a mapping with sections {', '.join(_SECTIONS)}")
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise GazetteerError(f"{source}: unknown section(s) {unknown}")
    kinds: dict[str, dict[_Cue, set[str]]] = {}
    for section in _SECTIONS:
        by_language = data.get(section) or {}
        if not isinstance(by_language, dict):
            raise GazetteerError(f"{source}: {section}: expected a mapping of language -> list")
        for lang in sorted(by_language):
            terms = by_language[lang] or []
            if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
                raise GazetteerError(f"{source}: {section}.{lang}: expected a list of non-empty strings")
            for term in terms:
                cue = _parse(term.strip(), f"{source}: {section}.{lang}")
                kinds.setdefault(str(lang), {}).setdefault(cue, set()).add(section)
    tables: dict[str, dict[str, list]] = {}
    for lang, entries in kinds.items():
        for (cue, prefix), sections in sorted(entries.items()):
            found = () if "exclude" in sections else tuple(k for k in CUE_KINDS if k in sections)
            key = "" if prefix and len(cue) == 1 else cue[0]
            tables.setdefault(lang, {}).setdefault(key, []).append((cue, prefix, found))
    frozen = {
        lang: MappingProxyType({k: tuple(sorted(v, key=_longest_first)) for k, v in table.items()})
        for lang, table in sorted(tables.items())
    }
    return RelationCues(cues=MappingProxyType(frozen), source=source)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> RelationCues:
    data = read_yaml(path, what="relation cue file", error=GazetteerError)
    return _compile(data, path)


def load_relation_cues(path: str | Path | None = None) -> RelationCues:
    """Load a relation cue YAML file (the bundled one when ``path`` is None).

    Raises
    ------
    GazetteerError
        If the file is missing, not YAML, or does not follow the layout
        described at the top of ``relations.yaml``.
    """
    file = Path(path) if path is not None else BUNDLED_RELATION_CUES
    if not file.is_file():
        raise GazetteerError(f"{file}: relation cue file not found")
    return _load_cached(str(file.resolve()), file.stat().st_mtime_ns)
