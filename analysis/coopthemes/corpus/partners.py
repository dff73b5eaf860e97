"""Which foreign countries an article is about.

Mentions are counted with the gazetteer over the article's own passages
(furniture such as captions and headline lists excluded); the title and lead
weigh more. A country is a partner when its score reaches a share of the top
country's score; the home country is never a partner.
"""

from __future__ import annotations

from collections import Counter

from .gazetteer import Gazetteer

__all__ = ["choose_partners", "score_partners"]


def score_partners(
    passages: list[tuple[str, str | None]],
    *,
    gazetteer: Gazetteer,
    home_country: str,
    lead_passages: int = 2,
    lead_weight: float = 3.0,
) -> dict[str, float]:
    """Weighted mention counts per foreign country.

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
