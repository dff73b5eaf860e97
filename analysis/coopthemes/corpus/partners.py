"""Counterparts: the foreign countries and organisations the home country deals with.

A country named in an article is not for that a partner: world news about
Israel names Israel, a review of a ministry's year names the countries it
visited once. A **partner** is a foreign country with which the home
country's actors (its ministries, leaders, forces, delegations, the country
itself) cooperate, meet, visit, sign, hold talks, negotiate, exercise... in
the article. The evidence is read sentence by sentence, in the article's own
passages (furniture excluded), with the gazetteer and the relation cue
lexicon:

* **pair**: the home country and the foreign one joined by a dash or a
  conjunction (``"Việt Nam-Lào"``, ``"le Vietnam et le Laos"``,
  ``"vietnamo-américaine"``), with a relation cue in the sentence (without
  one, ``"Việt Nam - Indonesia"`` may be a football match); chains count
  (``"Việt Nam-Lào-Campuchia"``);
* **relation**: the home country named (or one of its ministries, unqualified:
  ``"Bộ Quốc phòng"``), the foreign one named, and a relation cue (cooperate,
  talks, receive, visit, sign, relations, ambassador...);
* **attendance**: the home country named, the foreign one named, and an
  attendance cue (attend, take part, host): a delegation at an exhibition
  abroad;
* **bilateral**: one foreign country, a relation cue and a word that names
  both parties (``"hai bên"``, ``"les deux parties"``, ``"son homologue"``),
  in an article that names the home country;
* **two countries**: in an article where exactly one foreign country has the
  evidence above, a sentence with a two-country word and a relation cue that
  names no country (``"the two countries agreed to..."``) is about it.

An evidence sentence weighs 1, or 2 with an encounter cue (talks, visit,
reception, signing...); a sentence naming more than two foreign countries
(a list) shares that among them (``2 / n`` each); the title and lead (the
first ``lead_passages`` passages) weigh ``lead_weight`` times more. A country
is a partner when its evidence reaches ``min_evidence`` and at least
``min_share`` of the best partner's: with the defaults, one sentence in the
lead, or an encounter or two relation sentences in the body. A single passing
mention in a long domestic report is not enough.

Organisations (ASEAN, UN...) need the home country named in the sentence with
a relation, attendance or participation cue (member, chair, permanent
mission, peacekeeping...), or an event of theirs in the lead (``"the ASEAN
summit"``) in an article that names the home country with them. An
organisation in a sentence on the relation with a foreign country is a topic
of that relation (``"cooperation in UN peacekeeping"``), not a counterpart.
They fill the ``multilateral`` column.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .gazetteer import Gazetteer, Mention
from .passages import split_sentences
from .relations import RelationCues

__all__ = [
    "Counterparts",
    "Evidence",
    "choose_partners",
    "find_counterparts",
    "score_partners",
    "sentence_evidence",
]

#: What may stand between two names of a pair: a dash or slash, or a conjunction.
_DASH = re.compile(r"\s*[-–—‑/]\s*")
_CONJUNCTION = re.compile(
    r"\s*,?\s*(?:và|với|et|and|with|avec)\s+(?:(?:le|la|les|the)\s+|l['’]\s*)?", re.IGNORECASE
)
#: What may stand between a ministry and the foreign country it belongs to.
_OF = re.compile(r"\s*(?:(?:du|des|de|d['’]|of|của)\s*(?:la\s+|l['’]\s*|the\s+)?)?", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\s*(?:['’]s)?\s*")


@dataclass(frozen=True)
class Evidence:
    """One sentence that relates the home country to a counterpart.

    Attributes
    ----------
    name : str
        The counterpart: a country (English gazetteer name) or an organisation.
    kind : str
        ``"country"`` or ``"organisation"``.
    sentence : int
        Position of the sentence in the article (0 = first).
    rule : str
        ``"pair"``, ``"relation"``, ``"attendance"``, ``"bilateral"``,
        ``"two countries"`` (countries); ``"pair"``, ``"participation"``,
        ``"meeting"`` (organisations).
    weight : float
        The sentence's weight for this counterpart (see the module docstring).
    text : str
        The sentence.
    """

    name: str
    kind: str
    sentence: int
    rule: str
    weight: float
    text: str


@dataclass(frozen=True)
class Counterparts:
    """What an article says about the home country's counterparts.

    Attributes
    ----------
    partners : tuple of str
        Partner countries, best evidence first (ties by name).
    multilateral : tuple of str
        Organisations, best evidence first (ties by name).
    scores : mapping of str to float
        Evidence score of every country or organisation with evidence.
    mentions : mapping of str to int
        Mentions of every foreign country and organisation, evidence or not.
    home_mentions : int
        Mentions of the home country.
    evidence : tuple of Evidence
        The evidence sentences, in article order.
    """

    partners: tuple[str, ...] = ()
    multilateral: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    mentions: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    home_mentions: int = 0
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class _Sentence:
    """One sentence of an article, read: its mentions and cues."""

    text: str
    language: str | None
    in_lead: bool
    mentions: tuple[Mention, ...]
    cues: tuple[tuple[str, int, int], ...]

    @property
    def kinds(self) -> Counter:
        return Counter(kind for kind, _, _ in self.cues)

    @property
    def relation(self) -> bool:
        return bool(self.kinds.get("relation") or self.kinds.get("encounter"))

    @property
    def strength(self) -> float:
        """2 with an encounter cue (talks, visit, reception...), else 1."""
        return 2.0 if self.kinds.get("encounter") else 1.0


def _read(
    text: str, language: str | None, in_lead: bool, *, gazetteer: Gazetteer, cues: RelationCues
) -> _Sentence:
    text = unicodedata.normalize("NFC", text)
    return _Sentence(
        text, language, in_lead,
        tuple(gazetteer.find(text, language=language)), tuple(cues.spans(text, language=language)),
    )  # fmt: skip


def _qualified(text: str, start: int, end: int, foreign: list[Mention]) -> bool:
    """Whether a foreign country owns the institution at ``text[start:end]``.

    ``"Bộ Quốc phòng Campuchia"``, ``"ministère de la Défense du Cambodge"``,
    ``"Japan's Ministry of Defence"``, ``"the Russian Defence Ministry"``.
    """
    for m in foreign:
        if m.start < end and m.end > start:
            return True
        if m.start >= end and _OF.fullmatch(text[end : m.start]):
            return True
        if m.end <= start and _POSSESSIVE.fullmatch(text[m.end : start]):
            return True
    return False


def _home_named(sentence: _Sentence, home_country: str, home_in_article: bool) -> bool:
    """The home country is named, or one of its institutions that no foreign country qualifies.

    Institutions count only in an article that names the home country.
    """
    if any(m.name == home_country for m in sentence.mentions):
        return True
    if not home_in_article:
        return False
    foreign = [m for m in sentence.mentions if m.kind == "country" and m.name != home_country]
    return any(
        kind == "home_actor" and not _qualified(sentence.text, start, end, foreign)
        for kind, start, end in sentence.cues
    )


def _linked(text: str, left: Mention, right: Mention) -> bool:
    """Whether two neighbouring mentions form a pair: a dash or a conjunction between them."""
    between = text[left.end : right.start]
    return bool(_DASH.fullmatch(between) or _CONJUNCTION.fullmatch(between))


def _paired_with_home(text: str, found: tuple[Mention, ...], home: str) -> set[str]:
    """Names joined to the home country by a chain of pairs (``"Việt Nam-Lào-Campuchia"``)."""
    groups: list[list[Mention]] = []
    for i, mention in enumerate(found):
        if i and _linked(text, found[i - 1], mention):
            groups[-1].append(mention)
        else:
            groups.append([mention])
    paired: set[str] = set()
    for group in groups:
        names = {m.name for m in group}
        if home in names and len(names) > 1:
            paired |= names - {home}
    return paired


def _evidence(
    sentence: _Sentence, *, home_country: str, home_in_article: bool
) -> list[tuple[str, str, str, float]]:
    """``(name, kind, rule, weight before the lead weight)`` of one read sentence."""
    kinds = sentence.kinds
    foreign = sorted({m.name for m in sentence.mentions if m.kind == "country" and m.name != home_country})
    bodies = sorted({m.name for m in sentence.mentions if m.kind == "organisation"})
    if not foreign and not bodies:
        return []
    home = _home_named(sentence, home_country, home_in_article)
    paired = _paired_with_home(sentence.text, sentence.mentions, home_country) if sentence.relation else set()
    both = bool(kinds.get("bilateral") or kinds.get("two_countries"))
    share = sentence.strength * min(1.0, 2 / len(foreign)) if foreign else sentence.strength
    out = []
    for name in foreign:
        if name in paired:
            out.append((name, "country", "pair", share))
        elif home and sentence.relation:
            out.append((name, "country", "relation", share))
        elif home and kinds.get("attendance"):
            out.append((name, "country", "attendance", share))
        elif sentence.relation and both and len(foreign) == 1 and home_in_article:
            out.append((name, "country", "bilateral", share))
    # An organisation in a sentence on the relation with a foreign country is
    # a topic of that relation ("cooperation in UN peacekeeping"), not a counterpart.
    topic = both or any(rule in ("pair", "bilateral") for _, _, rule, _ in out)
    taking_part = sentence.relation or kinds.get("attendance") or kinds.get("participation")
    for name in bodies:
        if name in paired:
            out.append((name, "organisation", "pair", sentence.strength))
        elif home and not topic and taking_part:
            out.append((name, "organisation", "participation", sentence.strength))
    return out


def sentence_evidence(
    text: str,
    language: str | None,
    *,
    gazetteer: Gazetteer,
    cues: RelationCues,
    home_country: str,
    home_in_article: bool = True,
) -> list[tuple[str, str, str, float]]:
    """``(name, kind, rule, strength)`` for every counterpart one sentence gives evidence of.

    Parameters
    ----------
    text : str
        One sentence.
    language : str or None
        Its language (ISO 639-1), for the scoped gazetteer terms and the cues.
    gazetteer : Gazetteer
        Countries and organisations.
    cues : RelationCues
        The cue lexicon.
    home_country : str
        English name of the home country.
    home_in_article : bool
        Whether the article names the home country anywhere; bilateral
        evidence and unqualified ministries (``"Bộ Quốc phòng"``) need it.

    Returns
    -------
    list of (str, str, str, float)
        Counterpart name, ``"country"`` or ``"organisation"``, the rule
        (``pair``, ``relation``, ``attendance``, ``bilateral`` for countries;
        ``pair``, ``participation`` for organisations) and the sentence's
        strength: 2 with an encounter cue (talks, visit, reception...), else
        1; a sentence naming more than two foreign countries (a list) shares
        it: each country gets ``2 / n`` of it.
    """
    sentence = _read(text, language, False, gazetteer=gazetteer, cues=cues)
    return _evidence(sentence, home_country=home_country, home_in_article=home_in_article)


def _sentences(
    passages: list[tuple[str, str | None]], lead_passages: int, *, gazetteer: Gazetteer, cues: RelationCues
) -> list[_Sentence]:
    """The passages' sentences, read, in order; those of the first ``lead_passages`` are the lead."""
    return [
        _read(sentence, language, i < lead_passages, gazetteer=gazetteer, cues=cues)
        for i, (text, language) in enumerate(passages)
        for sentence in split_sentences(text, language=language)
    ]


def _choose(scores: dict[str, float], *, min_evidence: float, min_share: float) -> tuple[str, ...]:
    if not scores:
        return ()
    top = max(scores.values())
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(name for name, score in ranked if score >= min_evidence and score >= min_share * top)


def _lead_events(sentences: list[_Sentence], *, home_country: str, lead_weight: float) -> list[Evidence]:
    """An organisation's event in the lead (``"the ASEAN summit"``).

    Only an organisation that the article names in a sentence with the home
    country counts.
    """
    with_home = {
        m.name
        for s in sentences
        if any(m.name == home_country for m in s.mentions)
        for m in s.mentions
        if m.kind == "organisation"
    }
    out = []
    for position, s in enumerate(sentences):
        if s.in_lead and s.kinds.get("meeting"):
            for name in sorted({m.name for m in s.mentions if m.kind == "organisation"} & with_home):
                out.append(Evidence(name, "organisation", position, "meeting", lead_weight, s.text))
    return out


def _two_countries(
    sentences: list[_Sentence], evidence: list[Evidence], *, home_country: str, lead_weight: float
) -> list[Evidence]:
    """Two-country sentences naming no foreign country or organisation, in a one-partner article.

    ``"The two countries agreed to..."`` after the article has related the home
    country to one foreign country, and to no other, is about that country.
    """
    countries = sorted({e.name for e in evidence if e.kind == "country"})
    if len(countries) != 1:
        return []
    out = []
    for position, s in enumerate(sentences):
        if any(m.name != home_country for m in s.mentions):
            continue  # names a counterpart: weighed as explicit evidence, if any
        if s.kinds.get("two_countries") and s.relation:
            weight = s.strength * (lead_weight if s.in_lead else 1.0)
            out.append(Evidence(countries[0], "country", position, "two countries", weight, s.text))
    return out


def find_counterparts(
    passages: list[tuple[str, str | None]],
    *,
    gazetteer: Gazetteer,
    cues: RelationCues,
    home_country: str,
    lead_passages: int = 2,
    lead_weight: float = 3.0,
    min_evidence: float = 2.0,
    min_share: float = 0.25,
) -> Counterparts:
    """Partners and organisations of one article, with the sentences that show them.

    Parameters
    ----------
    passages : list of (text, language)
        The article's passages in order, furniture removed; the first
        ``lead_passages`` are the title and lead.
    gazetteer : Gazetteer
        Countries and organisations.
    cues : RelationCues
        The cue lexicon.
    home_country : str
        English name of the home country, never a partner.
    lead_passages : int
        How many leading passages count as title and lead.
    lead_weight : float
        Factor of the weight of an evidence sentence in the title and lead.
    min_evidence : float
        Evidence score a counterpart needs.
    min_share : float
        Share (0-1] of the best counterpart's score of the same kind
        (country or organisation) a counterpart needs.

    Returns
    -------
    Counterparts
    """
    sentences = _sentences(passages, lead_passages, gazetteer=gazetteer, cues=cues)
    mentions = Counter(m.name for s in sentences for m in s.mentions if m.name != home_country)
    home_mentions = sum(m.name == home_country for s in sentences for m in s.mentions)
    named = home_mentions > 0
    evidence = [
        Evidence(name, kind, position, rule, weight * (lead_weight if s.in_lead else 1.0), s.text)
        for position, s in enumerate(sentences)
        for name, kind, rule, weight in _evidence(s, home_country=home_country, home_in_article=named)
    ]
    if home_mentions:
        evidence += _lead_events(sentences, home_country=home_country, lead_weight=lead_weight)
        evidence += _two_countries(sentences, evidence, home_country=home_country, lead_weight=lead_weight)
    evidence.sort(key=lambda e: (e.sentence, e.kind, e.name))
    scores: dict[str, dict[str, float]] = {"country": {}, "organisation": {}}
    for item in evidence:
        scores[item.kind][item.name] = scores[item.kind].get(item.name, 0.0) + item.weight
    choose = dict(min_evidence=min_evidence, min_share=min_share)
    return Counterparts(
        partners=_choose(scores["country"], **choose),
        multilateral=_choose(scores["organisation"], **choose),
        scores=MappingProxyType({**scores["country"], **scores["organisation"]}),
        mentions=MappingProxyType(dict(sorted(mentions.items()))),
        home_mentions=home_mentions,
        evidence=tuple(evidence),
    )


def score_partners(
    passages: list[tuple[str, str | None]],
    *,
    gazetteer: Gazetteer,
    home_country: str,
    lead_passages: int = 2,
    lead_weight: float = 3.0,
) -> dict[str, float]:
    """Weighted mention counts per foreign country (how prominent, not whether a partner).

    Parameters
    ----------
    passages : list of (text, language)
        The article's passages in order, furniture already removed; the first
        ``lead_passages`` are the title and lead.
    gazetteer : Gazetteer
        Country terms.
    home_country : str
        English name of the home country, whose mentions are not counted.
    lead_passages : int
        How many leading passages count as title and lead.
    lead_weight : float
        Weight of a mention in the title and lead (other mentions weigh 1).

    Returns
    -------
    dict of str to float
        Country -> score, countries without mentions left out.
    """
    scores: Counter = Counter()
    for i, (text, language) in enumerate(passages):
        weight = lead_weight if i < lead_passages else 1.0
        for country in gazetteer.mentions(text, language=language):
            if country != home_country:
                scores[country] += weight
    return dict(scores)


def choose_partners(scores: dict[str, float], *, min_share: float = 0.5) -> list[str]:
    """Countries scoring at least ``min_share`` of the top score, best first.

    Ties are ordered by name, so the result is deterministic.
    """
    if not scores:
        return []
    top = max(scores.values())
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [country for country, score in ranked if score >= min_share * top]
