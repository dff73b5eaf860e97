"""Clean one document: header, repair, furniture, passages, date, partners and scope."""

from __future__ import annotations

from dataclasses import dataclass

from .dates import first_dated, strip_date_header
from .furniture import Unit, failed_capture, is_caption, is_dateline, looks_like_title, mark_furniture
from .gazetteer import Gazetteer
from ..config import CorpusConfig
from .partners import Counterparts, find_counterparts
from .passages import build_passages
from .record import RawDocument
from .relations import RelationCues
from .repair import repair_paragraphs

__all__ = ["CleanDocument", "clean_document", "resolve_date", "resolve_partners"]

#: Drop reasons of page furniture: passages that are not the article's own text.
FURNITURE = frozenset({"boilerplate", "caption", "headline_list", "repeated_title"})


@dataclass(frozen=True)
class CleanDocument:
    """A cleaned document.

    Attributes
    ----------
    title : str or None
        Given title (sidecar, column, HTML) or the first line when it looks like one.
    header_date : str or None
        Date from a leading ``date YYYY-MM`` header.
    units : list of Unit
        Repaired paragraphs with their furniture drop reasons.
    passages : list of (text, drop_reason)
        Passages in position order.
    outlet : str or None
        Outlet named by a sign-off, source tag or dateline.
    failed_capture : str or None
        Why the page holds no article (view counters and a footer only), or
        None for a page with an article.
    """

    title: str | None
    header_date: str | None
    units: list[Unit]
    passages: list[tuple[str, str | None]]
    outlet: str | None
    failed_capture: str | None = None


def _title(raw: RawDocument, paragraphs: list[str]) -> str | None:
    if raw.title:
        return raw.title
    if len(paragraphs) < 2:
        return None
    first = paragraphs[0]
    if looks_like_title(first) and not is_caption(first) and not is_dateline(first):
        return first
    return None


def clean_document(raw: RawDocument, *, language: str | None, options: CorpusConfig) -> CleanDocument:
    """Repair the text of ``raw``, mark its furniture and cut it into passages.

    Parameters
    ----------
    raw : RawDocument
        A document with text.
    language : str or None
        Its language (ISO 639-1), for word repair and sentence splitting.
    options : CorpusConfig
        Passage lengths, failed-capture thresholds.
    """
    text, header_date = strip_date_header(raw.text or "")
    paragraphs = repair_paragraphs(text, language=language)
    title = _title(raw, paragraphs)
    units, outlet = mark_furniture(paragraphs, title=title)
    passages = build_passages(
        units,
        language=language,
        min_chars=options.min_passage_chars,
        max_chars=options.max_passage_chars,
    )
    capture = failed_capture(
        units, min_words=options.capture_min_words, min_furniture_share=options.capture_min_furniture_share
    )
    if capture:  # the whole page is furniture: nothing of it is article text
        passages = [(text, reason or "boilerplate") for text, reason in passages]
    return CleanDocument(title, header_date, units, passages, outlet, capture)


def resolve_date(raw: RawDocument, clean: CleanDocument) -> tuple[str | None, int | None, str]:
    """``(date, year, year_source)`` from the sidecar, the header, or the text.

    The text is searched in article order (title and lead first), datelines
    and captions included, what follows the end mark and headline lists
    excluded. Only a date that names its year counts.
    """
    if raw.year is not None:
        return raw.date, raw.year, "sidecar"
    if clean.header_date:
        return clean.header_date, int(clean.header_date[:4]), "header"
    texts = [u.text for u in clean.units if u.in_article and u.drop_reason != "headline_list"]
    if raw.title and clean.title == raw.title:
        texts.insert(0, raw.title)
    found = first_dated(texts)
    if found:
        return found.date, found.year, "text"
    return None, None, "none"


def resolve_partners(
    raw: RawDocument,
    passages: list[tuple[str, str | None]],
    languages: list[str | None],
    *,
    gazetteer: Gazetteer,
    cues: RelationCues,
    home_country: str,
    options: CorpusConfig,
) -> tuple[list[str], str, Counterparts]:
    """``(partners, partner_source, counterparts)``: partners from the sidecar, else from the text.

    The counterparts (partner countries with evidence, organisations) are
    read from the passages that are not furniture, sentence by sentence (see
    :func:`coopthemes.corpus.partners.find_counterparts`); the sidecar's
    partners, when given, replace the countries found.
    """
    article = [(text, lang) for (text, reason), lang in zip(passages, languages) if reason not in FURNITURE]
    found = find_counterparts(
        article,
        gazetteer=gazetteer,
        cues=cues,
        home_country=home_country,
        lead_passages=options.lead_passages,
        lead_weight=options.lead_weight,
        min_evidence=options.partner_min_evidence,
        min_share=options.partner_min_share,
    )
    if raw.partners is not None:
        return list(raw.partners), "sidecar", found
    return list(found.partners), ("text" if found.partners else "none"), found
