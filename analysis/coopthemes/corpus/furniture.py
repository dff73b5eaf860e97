"""Page furniture: what a scraped page carries besides the article.

Every paragraph gets either no drop reason (article text) or one of
``boilerplate`` (everything after an end mark or a "more" link, datelines,
bylines, source tags, view counters and share buttons, menus and
breadcrumbs, the site's footer: copyright, address, contact and licence
lines), ``caption`` (photo captions and credits),
``repeated_title`` (the title repeated as image alt text, ``"... -0"``) or
``headline_list`` (a run of short headline-like lines). Nothing is deleted:
the caller keeps dropped paragraphs with their reason.

A page that is all furniture (a failed capture: view counters and a footer,
no article) is recognised by :func:`failed_capture`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .dates import MONTH_NAMES, find_dates
from .repair import ends_sentence, tokens

__all__ = [
    "KNOWN_OUTLETS",
    "Unit",
    "failed_capture",
    "is_caption",
    "is_counter_line",
    "is_dateline",
    "is_menu_line",
    "is_site_line",
    "looks_like_title",
    "mark_furniture",
    "split_end_mark",
]

#: Outlet names recognised in sign-offs, datelines and source tags (lowercased key).
KNOWN_OUTLETS = {
    "vna": "VNA", "ttxvn": "VNA", "vietnam news agency": "VNA", "vns": "VNS",
    "vietnam news": "VNS", "vov": "VOV", "vgp": "VGP", "psnews": "PSNews", "cand": "CAND",
    "công an nhân dân": "CAND", "nhân dân": "Nhân Dân", "vnexpress": "VnExpress",
    "tuổi trẻ": "Tuổi Trẻ", "thanh niên": "Thanh Niên", "dân trí": "Dân trí",
    "vietnamplus": "VietnamPlus", "le courrier du vietnam": "Le Courrier du Vietnam",
    "xinhua": "Xinhua", "afp": "AFP", "reuters": "Reuters", "ap": "AP",
}  # fmt: skip

_AGENCIES = r"VNA|TTXVN|VNS|VOV|VGP|AFP|Reuters|Xinhua|AP|PSNews|CAND|VietnamPlus"
_SIGN_OFF = re.compile(rf"\s*[-–—]\s*(?P<o>{_AGENCIES})(?:/[A-Z]{{2,3}})?\s*\.?\s*$")
_VNA_END = re.compile(r"\./\.(?=\s|$)")
_DATELINE_PREFIX = re.compile(
    rf"^(?P<place>[A-ZÀ-ỸĐ][\w.'’ -]{{0,40}}?)\s*\((?P<o>{_AGENCIES})\)\s*[-–—:]\s*"
)
_MORE = (
    r"voir plus|lire aussi|à lire aussi|a lire aussi|lire la suite|sur le même sujet|"
    r"dans la même rubrique|articles liés|autres articles|xem thêm|xem tiếp|đọc thêm|"
    r"tin liên quan|bài liên quan|bài viết liên quan|tin cùng chuyên mục|tin khác|"
    r"read more|see more|related news|related articles|related stories|related|more news|"
    r"other news|you may also like"
)
_MORE_ALONE = re.compile(rf"^(?:{_MORE})\s*[:.…»>]*$", re.IGNORECASE)
_MORE_INLINE = re.compile(rf"^(?:{_MORE})\s*[:>»]", re.IGNORECASE)
_CREDIT = re.compile(
    r"[(\[]?\s*(?:Ảnh|ẢNH|Photo|PHOTO|Photos|Image|Crédit photo|Nguồn ảnh)\s*:\s*"
    r"[A-ZÀ-ỸĐ0-9][^()\[\]:]{0,40}?[)\]]?\s*\.?\s*$"
)
_CREDIT_START = re.compile(r"^[(\[]?\s*(?:Ảnh|Photo|Photos|Image)\s*:", re.IGNORECASE)
_ALT_TEXT = re.compile(r"\bảnh \d+\b|\(?Ảnh minh họa\)?\.?$")
_REPEATED = re.compile(r"(?P<head>.{5,250}?)\s+-\d")
_SOURCE_LINE = re.compile(r"^\(?(?:Theo|Nguồn|Source|Sources)\s*:?\s*(?P<o>[^()\n:,;]{2,40}?)\)?\s*\.?$")
_BYLINE = re.compile(r"^(?:By|Par|Bài và ảnh|Bài, ảnh|Tác giả|Author)\s*:?\s+\S.{0,50}$")
_DATE_FILLER = re.compile(
    r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}[:h]\d{2}(?::\d{2})?|\(?GMT\s*[+-]\s*\d{1,2}\)?|"
    r"\b(?:Thứ\s+(?:Hai|Ba|Tư|Năm|Sáu|Bảy|[2-7])|Chủ\s+[Nn]hật|Cập\s+nhật|lúc|ngày|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|lundi|mardi|mercredi|jeudi|"
    r"vendredi|samedi|dimanche|Updated|Posted|Published|Publié\s+le|Mis\s+à\s+jour|le|à|"
    r"on|at|am|pm|AM|PM)\b",
    re.IGNORECASE,
)


#: Words of view counters and share buttons ("Lượt xem: 1.234", "Chia sẻ Facebook Zalo").
_COUNTER_WORDS = re.compile(
    r"\b(?:lượt\s+(?:xem|thích|chia\s+sẻ|đọc|bình\s+luận)|bình\s+luận|chia\s+sẻ|thích|xem|in|"
    r"views?|vues?|likes?|comments?|commentaires?|partag\w*|shares?|lectures?|reads?|tweets?|"
    r"retweets?|print|imprimer|facebook|twitter|zalo|linkedin|telegram|whatsapp|email|e-mail|"
    r"copy\s+link|sao\s+chép\s+liên\s+kết|theo\s+dõi|follow|suivre|lượt|k|m)\b",
    re.IGNORECASE,
)
#: Labelled lines of a site's footer and imprint ("Địa chỉ: ...", "Tel: ...").
_SITE_LABEL = re.compile(
    r"^\s*(?:địa\s+chỉ|điện\s+thoại|đt|đường\s+dây\s+nóng|hotline|e-?mail|fax|website|"
    r"tổng\s+biên\s+tập|phó\s+tổng\s+biên\s+tập|cơ\s+quan\s+chủ\s+quản|giấy\s+phép(?:\s+\w+)*|"
    r"liên\s+hệ(?:\s+quảng\s+cáo)?|phòng\s+qc|quảng\s+cáo|tel|tél|phone|address|adresse|"
    r"contact|rédact(?:eur|rice)\s+en\s+chef|directeur\s+de\s+(?:la\s+)?publication|"
    r"editor(?:-in-chief)?|licen[cs]e|publicité|advertising)\s*:",
    re.IGNORECASE,
)
#: Copyright and reproduction notices, anywhere in a line.
_SITE_NOTICE = re.compile(
    r"©|\(c\)\s*\d{4}|\bcopyright\b|\bbản\s+quyền\b|all\s+rights\s+reserved|"
    r"tous\s+droits\s+réservés|cấm\s+sao\s+chép|không\s+được\s+sao\s+chép|"
    r"reproduction\s+(?:interdite|prohibited)|ghi\s+rõ\s+nguồn|giấy\s+phép\s+(?:số|hoạt\s+động)|"
    r"licen[cs]e\s+(?:no\.?|n°|number)",
    re.IGNORECASE,
)


_MONTH_WORDS = re.compile(
    r"\b(?:" + "|".join(sorted(MONTH_NAMES, key=lambda m: (-len(m), m))) + r")\b\.?|"
    r"\b\d{1,4}(?:er|st|nd|rd|th)?\b|\b(?:tháng|năm)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Unit:
    """One paragraph with its drop reason (None for article text).

    ``in_article`` is False for what follows the article's end mark.
    """

    text: str
    drop_reason: str | None = None
    in_article: bool = True


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(tokens(text))


def looks_like_title(text: str) -> bool:
    """Short (at most 200 characters), has letters, no final period, colon or semicolon."""
    stripped = text.strip()
    return (
        3 <= len(stripped) <= 200
        and any(ch.isalpha() for ch in stripped)
        and (not ends_sentence(stripped) or stripped.endswith(("?", "!")))
    )


def is_caption(text: str) -> bool:
    """A photo caption or credit (``"... Ảnh: TTXVN."``, ``"(Photo: VNA)"``, ``"... ảnh 1 ..."``)."""
    return bool(_CREDIT.search(text) or _ALT_TEXT.search(text)) or (
        len(text) <= 200 and bool(_CREDIT_START.match(text))
    )


def is_dateline(text: str) -> bool:
    """A line made only of a date and/or time (``"Thứ Sáu, 17/09/2021, 20:23"``)."""
    if len(text) > 80 or not (find_dates(text) or re.search(r"\d{1,2}[/:h]\d{2}", text)):
        return False
    rest = _MONTH_WORDS.sub(" ", _DATE_FILLER.sub(" ", text))
    return not re.search(r"[^\W_]", rest)


def is_counter_line(text: str) -> bool:
    """A line of view counters, dates and share buttons only.

    ``"03 / 02 / 2023 950"``, ``"Lượt xem: 1.234"``, ``"Chia sẻ Facebook Zalo"``.

    Nothing but numbers, dates, times, separators and counter words
    (views, likes, comments, share, print, social networks), with at least a
    digit or a counter word.
    """
    if len(text) > 200 or not re.search(r"\d|\w", text):
        return False
    rest = _COUNTER_WORDS.sub(" ", _MONTH_WORDS.sub(" ", _DATE_FILLER.sub(" ", text)))
    if re.search(r"[^\W\d_]", rest):
        return False
    return bool(re.search(r"\d", text) or _COUNTER_WORDS.search(text))


def is_site_line(text: str) -> bool:
    """A line of the site's footer or imprint: copyright, licence, address, contacts.

    A labelled contact line (``"Địa chỉ: ..."``, ``"Tel: ..."``, ``"Email: ..."``),
    a copyright or no-reproduction notice, or a short line that is mostly
    phone numbers.
    """
    if len(text) > 300:
        return False
    if _SITE_LABEL.match(text) or _SITE_NOTICE.search(text):
        return True
    digits = sum(ch.isdigit() for ch in text)
    letters = sum(ch.isalpha() for ch in text)
    phone = re.search(r"\(?\+?\d{2,4}\)?[ .-]\d{2,4}[ .-]\d{2,5}", text)
    return len(text) <= 160 and digits >= 9 and digits > letters and bool(phone)


#: Drop reasons of what belongs to the page, not to any article (captions do belong to one).
_PAGE_FURNITURE = frozenset({"boilerplate", "headline_list"})


_MENU_SEPARATOR = re.compile(r"\s*[|•·»>›]\s*")


def is_menu_line(text: str) -> bool:
    """A menu or breadcrumb: three or more short items between separators.

    ``"Trang chủ | Thời sự | Thế giới"``, ``"Accueil › Monde › Asie"``.
    """
    items = [item for item in _MENU_SEPARATOR.split(text.strip()) if item]
    return (
        len(items) >= 3
        and len(_MENU_SEPARATOR.findall(text.strip())) >= 2
        and all(len(item.split()) <= 4 and not ends_sentence(item) for item in items)
    )


def _prose_words(text: str) -> int:
    """Words of a line that reads as prose (six words or more), else 0."""
    words = [w for w in re.findall(r"\w+", text) if any(ch.isalpha() for ch in w)]
    return len(words) if len(words) >= 6 else 0


def failed_capture(units: list[Unit], *, min_words: int = 25, min_furniture_share: float = 0.5) -> str | None:
    """Why a page holds no article (a failed capture), or None when it holds one.

    A failed capture is a page whose lines are mostly page furniture (view
    counters, share buttons, the site's footer and menus, datelines, lists
    of other headlines) and whose other lines hold fewer than ``min_words``
    words of prose: what a scraper gets from a video page or an error page.
    A title alone is not an article; captions are (a photo story is one).

    Parameters
    ----------
    units : list of Unit
        The page's paragraphs with their drop reasons, from :func:`mark_furniture`.
    min_words : int
        Words of prose (lines of six words or more, not furniture) an article has.
    min_furniture_share : float
        Share (0-1] of the lines that must be furniture.

    Returns
    -------
    str or None
        ``"failed capture: no article text, only page furniture (36 counter
        or date lines, 7 footer lines)"``, or None.
    """
    lines = [u for u in units if u.text.strip()]
    if not lines:
        return None
    furniture = [u for u in lines if u.drop_reason in _PAGE_FURNITURE]
    prose = sum(_prose_words(u.text) for u in lines if u.drop_reason not in _PAGE_FURNITURE)
    if prose >= min_words or len(furniture) < min_furniture_share * len(lines):
        return None
    counters = [is_counter_line(u.text) for u in furniture]
    footer = [not c and is_site_line(u.text) for c, u in zip(counters, furniture)]
    menus = [not c and not f and is_menu_line(u.text) for c, f, u in zip(counters, footer, furniture)]
    kinds = [
        ("counter or date lines", sum(counters)),
        ("footer lines", sum(footer)),
        ("menu lines", sum(menus)),
    ]
    kinds.append(("other furniture", len(furniture) - sum(n for _, n in kinds)))
    if prose:
        kinds.append((f"words of text under {min_words}", prose))
    detail = ", ".join(f"{n} {name}" for name, n in kinds if n)
    return f"failed capture: no article text, only page furniture ({detail})"


def _outlet(name: str) -> str | None:
    name = name.strip().strip(".").strip()
    if name.lower() in KNOWN_OUTLETS:
        return KNOWN_OUTLETS[name.lower()]
    if re.fullmatch(r"[A-Z][a-z]*[A-Z]\w*|[A-Z]{3,}", name):
        return name
    return None


def split_end_mark(text: str) -> tuple[str, str, str | None] | None:
    """Split a paragraph at an end mark (``"./."``, ``"-VNA/VI"``, ``"– VNA"``).

    Returns
    -------
    tuple of (str, str, str or None) or None
        ``(kept, rest, outlet)``: the paragraph up to the mark, whatever follows
        the mark, and the outlet the mark names; None without an end mark.
    """
    m = _VNA_END.search(text)
    if m:
        return text[: m.start() + 1].strip(), text[m.end() :].strip(), None
    m = _SIGN_OFF.search(text)
    if m and (m.start() == 0 or text[: m.start()].rstrip()[-1:] in '.!?"”»)'):
        return text[: m.start()].strip(), "", KNOWN_OUTLETS.get(m.group("o").lower(), m.group("o"))
    return None


def _cut_at_end(paragraphs: list[str]) -> tuple[list[str], list[str], str | None]:
    """Article paragraphs, the boilerplate after the first end mark, and its outlet."""
    for i, text in enumerate(paragraphs):
        if _MORE_ALONE.match(text):
            return paragraphs[:i], paragraphs[i:], None
        split = split_end_mark(text)
        if split:
            kept, rest, outlet = split
            head = paragraphs[:i] + ([kept] if kept else [])
            return head, ([rest] if rest else []) + paragraphs[i + 1 :], outlet
    return paragraphs, [], None


def _strip_dateline_prefix(text: str) -> tuple[str, str | None]:
    m = _DATELINE_PREFIX.match(text)
    if not m or len(text) <= m.end():
        return text, None
    return text[m.end() :], KNOWN_OUTLETS.get(m.group("o").lower(), m.group("o"))


def _classify(text: str, index: int, title: str | None, after_alt: bool) -> str | None:
    if is_dateline(text) or _MORE_INLINE.match(text) or _SOURCE_LINE.match(text):
        return "boilerplate"
    if is_counter_line(text) or is_site_line(text) or is_menu_line(text):
        return "boilerplate"
    if index > 0 and _BYLINE.match(text) and not ends_sentence(text):
        return "boilerplate"
    if is_caption(text):
        return "caption"
    m = _REPEATED.fullmatch(text)
    if m or (index > 0 and title and _norm(text) == _norm(title)):
        same = title is not None and _norm(m.group("head") if m else text) == _norm(title)
        return "repeated_title" if same else "caption"
    if after_alt and len(text) <= 200 and len(re.findall(r"[.!?](?:\s|$)", text)) <= 1:
        return "caption"
    return None


def _site_notice_frame(units: list[Unit]) -> list[Unit]:
    """Flag what frames the site's contact lines: the line announcing them and a closing thanks.

    ``"... please contact us as follows:"`` before a contact or footer line,
    and a short exclamation right after one (``"Xin trân trọng cảm ơn!"``,
    ``"Merci !"``), belong to the site's notice, not to the article.
    """
    out = list(units)
    for i, unit in enumerate(units):
        if unit.drop_reason != "boilerplate" or not is_site_line(unit.text):
            continue
        before = out[i - 1] if i else None
        if before and before.drop_reason is None and before.text.rstrip().endswith(":"):
            out[i - 1] = Unit(before.text, "boilerplate", before.in_article)
        after = out[i + 1] if i + 1 < len(out) else None
        thanks = after and after.text.rstrip().endswith("!") and len(after.text.split()) <= 5
        if thanks and after.drop_reason is None:
            out[i + 1] = Unit(after.text, "boilerplate", after.in_article)
    return out


def _headline_like(text: str, max_chars: int) -> bool:
    bullet = re.match(r"[-–•+*·]|\d+[.)]\s", text)
    return len(text) <= max_chars and looks_like_title(text) and not bullet


def _mark_headline_lists(units: list[Unit], *, min_run: int = 3, max_chars: int = 150) -> list[Unit]:
    """Flag a closing run of at least ``min_run`` short headline-like lines.

    Only a run that ends the article counts (lists of other stories follow
    the article); bullet items (``"- ..."``, ``"1. ..."``) are never headlines.
    """
    live = [i for i, u in enumerate(units) if u.drop_reason is None and i > 0]
    run: list[int] = []
    for i in reversed(live):
        if not _headline_like(units[i].text, max_chars):
            break
        run.append(i)
    if len(run) < min_run or len(run) == len(live):
        return units
    out = list(units)
    for j in run:
        out[j] = Unit(units[j].text, "headline_list")
    return out


def _source_tag(units: list[Unit]) -> tuple[list[Unit], str | None]:
    """Flag a bare source tag or author line closing the article (``"PSNews"``)."""
    live = [i for i, u in enumerate(units) if u.drop_reason is None]
    if len(live) < 2:
        return units, None
    last = units[live[-1]]
    m = _SOURCE_LINE.match(last.text)
    short = len(last.text) <= 30 and len(last.text.split()) <= 4 and not ends_sentence(last.text)
    if not (m or short):
        return units, None
    out = list(units)
    out[live[-1]] = Unit(last.text, "boilerplate")
    return out, _outlet(m.group("o") if m else last.text)


def mark_furniture(paragraphs: list[str], *, title: str | None) -> tuple[list[Unit], str | None]:
    """Give every paragraph its drop reason and find the outlet.

    Parameters
    ----------
    paragraphs : list of str
        Repaired paragraphs in document order (the title, if any, first).
    title : str or None
        The document title, used to spot repeated titles.

    Returns
    -------
    units : list of Unit
        Paragraphs with drop reasons; a paragraph holding an end mark is cut
        at the mark (its tail, if any, becomes a ``boilerplate`` unit), and a
        leading ``"Paris (VNA) – "`` dateline is removed from its paragraph.
    outlet : str or None
        ``"VNA"``, ``"PSNews"``... from a sign-off, a source tag or a dateline.
    """
    article, tail, sign_off = _cut_at_end(paragraphs)
    units: list[Unit] = []
    dateline_outlet = None
    after_alt = False
    for i, text in enumerate(article):
        text, outlet = _strip_dateline_prefix(text)
        dateline_outlet = dateline_outlet or outlet
        reason = _classify(text, i, title, after_alt)
        after_alt = bool(_REPEATED.fullmatch(text))
        units.append(Unit(text, reason))
    units, tag_outlet = _source_tag(_mark_headline_lists(_site_notice_frame(units)))
    units += [Unit(text, "boilerplate", in_article=False) for text in tail]
    return units, sign_off or tag_outlet or dateline_outlet
