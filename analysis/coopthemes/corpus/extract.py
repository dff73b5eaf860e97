"""Plain text from HTML pages and Markdown files."""

from __future__ import annotations

import re

__all__ = ["DROPPED_TAGS", "html_to_text", "markdown_to_text"]

#: Elements whose content is never article text.
DROPPED_TAGS = (
    "script", "style", "nav", "header", "footer", "aside", "form", "noscript",
    "iframe", "svg", "template", "button", "select", "head",
)  # fmt: skip
_BLOCKS = (
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ul", "ol", "blockquote", "figure", "figcaption", "table", "tr", "pre", "dd", "dt",
)  # fmt: skip


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> tuple[str, str | None]:
    """Article text and title of an HTML page.

    Scripts, styles, navigation, headers, footers, asides, forms and
    ``noscript`` are dropped; block elements become paragraphs separated by a
    blank line, ``<br>`` a line break.

    Returns
    -------
    text : str
        Paragraphs separated by blank lines.
    title : str or None
        The first ``<h1>``, else ``<title>``; None when neither has text.
    """
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(html, "html.parser")
    h1 = soup.find("h1")
    title_tag = soup.find("title")
    title = next(
        (" ".join(t.get_text(" ").split()) for t in (h1, title_tag) if t and t.get_text().strip()),
        None,
    )
    for tag in soup.find_all(list(DROPPED_TAGS)):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(NavigableString("\n"))
    for block in soup.find_all(list(_BLOCKS)):
        block.insert_before(NavigableString("\n\n"))
        block.insert_after(NavigableString("\n\n"))
    return _clean(soup.get_text()), title


_MD_RULES = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE), ""),  # headings
    (re.compile(r"^\s{0,3}>\s?", re.MULTILINE), ""),  # quotes
    (re.compile(r"^\s*[-*+]\s+", re.MULTILINE), ""),  # bullets
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # bold
    (re.compile(r"(?<!\w)([*_])(\S.*?)\1(?!\w)"), r"\2"),  # emphasis
)


def markdown_to_text(markdown: str) -> tuple[str, str | None]:
    """Text of a Markdown file, markup removed; the first ``#`` heading is the title."""
    m = re.search(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", markdown, re.MULTILINE)
    text = markdown
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return _clean(text), (m.group(1).strip() if m else None)
