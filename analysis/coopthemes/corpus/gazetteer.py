"""Load the partner-country gazetteer and find country and organisation mentions in text.

The gazetteer (``gazetteer.yaml`` beside this module, or the researcher's own
copy) lists per country its names, adjectives, institutions, office-holders
and exclusions in Vietnamese, French and English, and in the same layout the
multilateral organisations (ASEAN, UN...). Matching works on word tokens, so a
term never matches inside a longer word, and the longest term wins where terms
overlap; exclusions are terms that mean no country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from ..safeyaml import read_yaml, short_repr


__all__ = [
    "BUNDLED_GAZETTEER",
    "Gazetteer",
    "GazetteerError",
    "Mention",
    "fold_tones",
    "load_gazetteer",
    "term_tokens",
]

BUNDLED_GAZETTEER = Path(__file__).with_name("gazetteer.yaml")
_SECTIONS_BY_LANGUAGE = ("names", "adjectives")
_SECTIONS_PLAIN = ("institutions", "people", "exclude", "standalone")
_WORD = re.compile(r"\w+")


class GazetteerError(ValueError):
    """The gazetteer file is missing or malformed."""


#: Vietnamese writes the tone of "oa", "oe", "uy" on either vowel ("hòa"/"hoà",
#: "Ủy"/"Uỷ"); matching folds both spellings to the tone on the second vowel.
_TONE_FOLD = {
    f"{first}{second}": f"{base}{toned}"
    for base, second_base, pairs in (
        ("o", "a", ("òà", "óá", "ỏả", "õã", "ọạ")),
        ("o", "e", ("òè", "óé", "ỏẻ", "õẽ", "ọẹ")),
        ("u", "y", ("ùỳ", "úý", "ủỷ", "ũỹ", "ụỵ")),
    )
    for first, toned in pairs
    for second in (second_base,)
}
_TONE_FOLD.update({k[0].upper() + k[1:]: v[0].upper() + v[1:] for k, v in list(_TONE_FOLD.items())})
_TONE_PATTERN = re.compile("|".join(sorted(_TONE_FOLD)))


def fold_tones(word: str) -> str:
    """One spelling for Vietnamese tone placement (``"hòa"`` -> ``"hoà"``, ``"Ủy"`` -> ``"Uỷ"``)."""
    return _TONE_PATTERN.sub(lambda m: _TONE_FOLD[m.group(0)], word)


def term_tokens(text: str) -> tuple[str, ...]:
    """Word tokens used for matching (``"Ô-xtrây-li-a"`` -> ``("Ô", "xtrây", "li", "a")``).

    Vietnamese tone placement is folded (see :func:`fold_tones`).
    """
    return tuple(fold_tones(w) for w in _WORD.findall(text))


@dataclass(frozen=True)
class Mention:
    """One matched term: the country or organisation it names and where.

    ``start`` and ``end`` are character offsets into the matched text;
    ``kind`` is ``"country"`` or ``"organisation"``.
    """

    name: str
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Gazetteer:
    """Country terms compiled for matching.

    Attributes
    ----------
    countries : tuple of str
        English names of the countries, sorted.
    organisations : tuple of str
        Names of the multilateral organisations (``"ASEAN"``, ``"UN"``), sorted.
    terms : mapping of token tuple to (str or None)
        Terms matched in every language; None marks an exclusion.
    scoped : mapping of str to mapping
        Per language, terms matched only in passages of that language:
        adjectives, Vietnamese names, and terms written in lowercase.
    standalone : frozenset of token tuple
        Terms that count only when no capitalised word stands right next to
        them (``"Đức"`` is Germany, ``"Vũ Đức Đam"`` a person).
    aliases : mapping of str to str
        Lowercased name or adjective -> English name, to canonicalise
        researcher-supplied partner names.
    organisation_aliases : mapping of str to str
        Lowercased name of an organisation -> its name in the gazetteer.
    source : str
        Path of the YAML file.
    longest : int
        Number of tokens of the longest term.
    starts : mapping of str to tuple of int
        First token of any term -> the term lengths (in tokens) starting with
        it, longest first; makes matching a dictionary look-up per token.
    """

    countries: tuple[str, ...]
    terms: Mapping[tuple[str, ...], str | None]
    scoped: Mapping[str, Mapping[tuple[str, ...], str | None]]
    aliases: Mapping[str, str]
    source: str
    longest: int = 1
    standalone: frozenset = frozenset()
    starts: Mapping[str, tuple[int, ...]] = field(default_factory=lambda: MappingProxyType({}))
    organisations: tuple[str, ...] = ()
    organisation_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def find(self, text: str, *, language: str | None = None) -> list[Mention]:
        """Every country and organisation mention in ``text``, in order, with its offsets.

        Parameters
        ----------
        text : str
            A passage or a sentence.
        language : str or None
            ISO 639-1 code of the text; enables that language's scoped terms.
        """
        spans = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)]
        words = tuple(fold_tones(w) for w, _, _ in spans)
        scoped = self.scoped.get(language or "", {})
        found: list[Mention] = []
        i = 0
        while i < len(words):
            for n in self.starts.get(words[i], ()):
                if i + n > len(words):
                    continue
                key = words[i : i + n]
                hit = scoped.get(key, self.terms.get(key, False))
                if hit is not False:
                    if hit is not None and (key not in self.standalone or _alone(text, spans, i)):
                        kind = "organisation" if hit in self.organisations else "country"
                        found.append(Mention(hit, kind, spans[i][1], spans[i + n - 1][2]))
                    i += n
                    break
            else:
                i += 1
        return found

    def mentions(self, text: str, *, language: str | None = None) -> list[str]:
        """Countries mentioned in ``text``, one entry per mention, in order.

        Parameters
        ----------
        text : str
            A passage.
        language : str or None
            ISO 639-1 code of the passage; enables that language's scoped terms.
        """
        return [m.name for m in self.find(text, language=language) if m.kind == "country"]

    def canonical(self, name: str) -> str | None:
        """The English country name for ``name`` (any listed name, any case), or None."""
        return self.aliases.get(name.strip().lower())

    def canonical_organisation(self, name: str) -> str | None:
        """The gazetteer's name of the organisation ``name`` (any listed name, any case), or None."""
        return self.organisation_aliases.get(name.strip().lower())


def _alone(text: str, spans: list[tuple[str, int, int]], i: int) -> bool:
    """No capitalised word one space before or after token ``i``."""
    _, start, end = spans[i]
    if i > 0 and spans[i - 1][0][0].isupper() and text[spans[i - 1][2] : start] == " ":
        return False
    if i + 1 < len(spans) and spans[i + 1][0][0].isupper() and text[end : spans[i + 1][1]] == " ":
        return False
    return True


def _variants(term: str) -> list[str]:
    forms = [term]
    if term[:1].islower():
        forms.append(term[0].upper() + term[1:])
    forms += [f.upper() for f in list(forms) if len(f) >= 4 and f.upper() != f]
    return forms


def _as_terms(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GazetteerError(f"{where}: expected a list of non-empty strings, got {short_repr(value)}")
    return [v.strip() for v in value]


def _country_terms(country: str, entry: object, where: str) -> list[tuple[str | None, str, str | None, str]]:
    """``(language or None, term, country or None, section)`` rows for one country entry."""
    if not isinstance(entry, dict):
        raise GazetteerError(f"{where}: expected a mapping with names/adjectives/..., got {short_repr(entry)}")
    unknown = sorted(set(entry) - set(_SECTIONS_BY_LANGUAGE) - set(_SECTIONS_PLAIN))
    if unknown:
        raise GazetteerError(f"{where}: unknown field(s) {unknown}")
    rows: list[tuple[str | None, str, str | None, str]] = []
    for section in _SECTIONS_BY_LANGUAGE:
        by_language = entry.get(section) or {}
        if not isinstance(by_language, dict):
            raise GazetteerError(f"{where}.{section}: expected a mapping of language -> list")
        for lang in sorted(by_language):
            for term in _as_terms(by_language[lang], f"{where}.{section}.{lang}"):
                rows.append((str(lang), term, country, section))
    for section in _SECTIONS_PLAIN:
        for term in _as_terms(entry.get(section), f"{where}.{section}"):
            rows.append((None, term, None if section == "exclude" else country, section))
    if not entry.get("names"):
        raise GazetteerError(f"{where}: no names given")
    return rows


def _is_scoped(lang: str | None, term: str, section: str) -> bool:
    """Adjectives, Vietnamese names and lowercase terms count only in their language."""
    return lang is not None and (section == "adjectives" or lang == "vi" or term[:1].islower())


def _add(table: dict, key: tuple[str, ...], value: str | None, term: str, source: str) -> None:
    if not key:
        return
    if key in table and table[key] != value:
        raise GazetteerError(
            f"{source}: term {short_repr(term)} is listed for both {short_repr(table[key])} and {short_repr(value)}"
        )
    table[key] = value


def _entries(data: dict, section: str, source: str) -> dict:
    entries = data.get(section) or {}
    if not isinstance(entries, dict):
        raise GazetteerError(f"{source}: '{section}' must be a mapping of name -> entry")
    return entries


def _compile(data: object, source: str) -> Gazetteer:
    if not isinstance(data, dict) or not isinstance(data.get("countries"), dict):
        raise GazetteerError(f"{source}: expected a top-level 'countries' mapping")
    unknown = sorted(set(data) - {"countries", "organisations"})
    if unknown:
        raise GazetteerError(f"{source}: unknown top-level section(s) {unknown}")
    terms: dict[tuple[str, ...], str | None] = {}
    scoped: dict[str, dict[tuple[str, ...], str | None]] = {}
    aliases: dict[str, dict[str, str]] = {"countries": {}, "organisations": {}}
    standalone: set[tuple[str, ...]] = set()
    for section in ("countries", "organisations"):
        entries = _entries(data, section, source)
        for name in sorted(entries):
            rows = _country_terms(str(name), entries[name], f"{source}: {section}.{name}")
            for lang, term, value, part in rows:
                if part == "standalone":
                    standalone.update(term_tokens(form) for form in _variants(term))
                    continue
                if value is not None:
                    aliases[section].setdefault(term.lower(), str(name))
                table = scoped.setdefault(lang, {}) if _is_scoped(lang, term, part) else terms
                for form in _variants(term):
                    _add(table, term_tokens(form), value, term, source)
            aliases[section].setdefault(str(name).lower(), str(name))
    clash = sorted(set(map(str, data["countries"])) & set(map(str, _entries(data, "organisations", source))))
    if clash:
        raise GazetteerError(f"{source}: {clash} listed both as countries and as organisations")
    keys = list(terms) + [k for t in scoped.values() for k in t]
    starts: dict[str, set[int]] = {}
    for key in keys:
        starts.setdefault(key[0], set()).add(len(key))
    return Gazetteer(
        countries=tuple(sorted(str(c) for c in data["countries"])),
        terms=MappingProxyType(terms),
        scoped=MappingProxyType({k: MappingProxyType(v) for k, v in scoped.items()}),
        aliases=MappingProxyType(aliases["countries"]),
        source=source,
        longest=max([len(k) for k in keys] + [1]),
        standalone=frozenset(standalone),
        starts=MappingProxyType({k: tuple(sorted(v, reverse=True)) for k, v in starts.items()}),
        organisations=tuple(sorted(str(o) for o in _entries(data, "organisations", source))),
        organisation_aliases=MappingProxyType(aliases["organisations"]),
    )


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> Gazetteer:
    data = read_yaml(path, what="gazetteer file", error=GazetteerError)
    return _compile(data, path)


def load_gazetteer(path: str | Path | None = None) -> Gazetteer:
    """Load a gazetteer YAML file (the bundled one when ``path`` is None).

    Raises
    ------
    GazetteerError
        If the file is missing, not YAML, or does not follow the layout
        described at the top of ``gazetteer.yaml``.
    """
    file = Path(path) if path is not None else BUNDLED_GAZETTEER
    if not file.is_file():
        raise GazetteerError(f"{file}: gazetteer file not found")
    return _load_cached(str(file.resolve()), file.stat().st_mtime_ns)
