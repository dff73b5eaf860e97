"""Scope: whether a document is about the home country's foreign relations.

A document is **in scope** when it shows a relation of the home country with
at least one foreign partner country or multilateral organisation (see
:mod:`coopthemes.corpus.partners` for what counts as a relation; partners
given by a sidecar or table column count as shown). Anything else is out of
scope, with the reason:

* no foreign country or organisation named: domestic news;
* foreign countries named but not the home country: other countries' affairs
  (world news about Israel, the US...);
* both named, but no sentence relates them, or too few to reach the evidence
  threshold (a passing mention in a domestic report).

Out-of-scope documents stay in the ledger with status ``ok`` and their
passages, so later stages can leave them out of partner prevalence (and, if
the researcher wants, out of theme fitting).
"""

from __future__ import annotations

from .partners import Counterparts

__all__ = ["decide_scope"]


def _named(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def decide_scope(
    partners: list[str] | tuple[str, ...],
    found: Counterparts,
    *,
    home_country: str,
    partner_source: str,
    min_evidence: float,
) -> tuple[bool, str]:
    """``(in_scope, scope_reason)`` of one document.

    Parameters
    ----------
    partners : list of str
        The document's partners (from the sidecar or the text).
    found : Counterparts
        What the text shows (organisations, scores, mentions).
    home_country : str
        English name of the home country.
    partner_source : str
        ``sidecar``, ``text`` or ``none``.
    min_evidence : float
        The evidence threshold, quoted when a counterpart falls short.
    """
    counterparts = [*partners, *found.multilateral]
    if counterparts:
        origin = " (partners from the sidecar)" if partner_source == "sidecar" and partners else ""
        return True, f"{home_country} deals with {_named(counterparts, limit=6)}{origin}"
    named = sorted(found.mentions, key=lambda n: (-found.mentions[n], n))
    if not named:
        return False, "no foreign country or organisation named (domestic news)"
    if not found.home_mentions:
        return False, f"other countries' affairs: names {_named(named)}, not {home_country}"
    if found.scores:
        best = min(found.scores, key=lambda n: (-found.scores[n], n))
        return False, (
            f"too little evidence of a relation: {best} {found.scores[best]:g} < {min_evidence:g} "
            f"(names {_named(named)})"
        )
    return False, f"names {_named(named)} but no sentence relates them to {home_country}"
