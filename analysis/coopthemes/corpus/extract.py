"""Plain text from HTML pages and Markdown files, in time linear in the input.

HTML is read by a small single-pass tokenizer (no tree, no recursion), so that
a page of 100,000 nested elements or of unclosed comments costs what its
length costs. The rules are those of an HTML parser tolerant of broken pages:
an end tag closes every element opened after the element it names, an end
tag that names no open element is ignored, and a page that ends inside a
tag, a comment or a script ends there. Markdown rules are regular
expressions whose every match stops at the next delimiter or line end.
"""

from __future__ import annotations

import html as _html
import re

__all__ = ["DROPPED_TAGS", "html_to_text", "markdown_to_text"]

#: Elements whose content is never article text.
DROPPED_TAGS = (
    "script", "style", "nav", "header", "footer", "aside", "form", "noscript",
    "iframe", "svg", "template", "button", "select", "head",
)  # fmt: skip
_BLOCKS = frozenset((
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ul", "ol", "blockquote", "figure", "figcaption", "table", "tr", "pre", "dd", "dt",
))  # fmt: skip
_DROPPED = frozenset(DROPPED_TAGS)
#: Elements without content or end tag.
_VOID = frozenset((
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "keygen", "basefont", "frame",
))  # fmt: skip
#: Elements whose content is raw text up to their end tag.
_RAW_TEXT = frozenset(("script", "style"))
#: A start or end tag: name, then attributes (quoted values may hold ">"), then ">".
_TAG = re.compile(
    r"""<(/?)([a-zA-Z][^\t\n\f\r />]*)((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>"""
)
_RAW_END = {name: re.compile(rf"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _RAW_TEXT}


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


class _Page:
    """State of the tokenizer: open elements, text kept, the first h1 and title."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.open: dict[str, int] = {}
        self.dropped = 0
        self.out: list[str] = []
        self.heads: dict[str, list[str] | None] = {"h1": None, "title": None}
        self.collecting: dict[str, int] = {}

    def text(self, data: str) -> None:
        if not data:
            return
        data = _html.unescape(data) if "&" in data else data
        if not self.dropped:
            self.out.append(data)
        for name in self.collecting:
            self.heads[name].append(data)

    def start(self, name: str) -> None:
        if name in _VOID:
            if name == "br" and not self.dropped:
                self.out.append("\n")
            return
        if name in _BLOCKS and not self.dropped:
            self.out.append("\n\n")
        if name in self.heads and self.heads[name] is None:
            self.heads[name] = []
            self.collecting[name] = len(self.stack)
        self.stack.append(name)
        self.open[name] = self.open.get(name, 0) + 1
        if name in _DROPPED:
            self.dropped += 1

    def end(self, name: str) -> None:
        if not self.open.get(name):
            return
        while self.stack:
            top = self.stack.pop()
            self.open[top] -= 1
            if top in _DROPPED:
                self.dropped -= 1
            if top in _BLOCKS and not self.dropped:
                self.out.append("\n\n")
            if self.collecting.get(top) == len(self.stack):
                del self.collecting[top]
            if top == name:
                return

    def title(self) -> str | None:
        for name in ("h1", "title"):
            parts = self.heads[name]
            text = " ".join(" ".join(parts or ()).split())
            if text:
                return text
        return None


def _skip_to(html: str, start: int, marker: str) -> int:
    """Position after ``marker`` at or after ``start``, or the end of ``html``."""
    found = html.find(marker, start)
    return len(html) if found < 0 else found + len(marker)


def _tokenize(html: str, page: _Page) -> None:
    i, n = 0, len(html)
    while i < n:
        j = html.find("<", i)
        if j < 0:
            page.text(html[i:])
            return
        page.text(html[i:j])
        if html.startswith("<!--", j):
            i = _skip_to(html, j + 4, "-->")
            continue
        if html.startswith(("<!", "<?"), j) or html.startswith("</", j) and not html[j + 2 : j + 3].isalpha():
            i = _skip_to(html, j + 2, ">")  # doctype, declaration, processing instruction, bogus end tag
            continue
        m = _TAG.match(html, j)
        if m is None:
            if j + 1 < n and (html[j + 1].isalpha() or html[j + 1] == "/"):
                return  # the page ends inside a tag
            page.text("<")
            i = j + 1
            continue
        closing, name, attrs = m.group(1), m.group(2).lower(), m.group(3)
        i = m.end()
        if closing:
            page.end(name)
            continue
        page.start(name)
        if name in _RAW_TEXT and name not in _VOID:
            end = _RAW_END[name].search(html, i)
            stop = n if end is None else end.start()
            page.text(html[i:stop])
            i = stop
        elif attrs.rstrip().endswith("/") and name not in _VOID:
            page.end(name)


def html_to_text(html: str) -> tuple[str, str | None]:
    """Article text and title of an HTML page.

    Scripts, styles, navigation, headers, footers, asides, forms and
    ``noscript`` are dropped; block elements become paragraphs separated by a
    blank line, ``<br>`` a line break. Time and memory are linear in the
    length of the page, whatever its nesting.

    Returns
    -------
    text : str
        Paragraphs separated by blank lines.
    title : str or None
        The text of the first ``<h1>``, else of ``<title>``; None when neither has text.
    """
    page = _Page()
    _tokenize(html, page)
    return _clean("".join(page.out)), page.title()


# Every pattern stops at the delimiter that would close it or at a line end,
# so that no match attempt scans past the next candidate: linear time.
_MD_RULES = (
    (re.compile(r"!\[[^\[\]]*\]\([^()\n]*\)"), ""),  # images
    (re.compile(r"\[([^\[\]]+)\]\([^()\n]*\)"), r"\1"),  # links
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*", re.MULTILINE), ""),  # headings
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.MULTILINE), ""),  # quotes
    (re.compile(r"^[ \t]*[-*+][ \t]+", re.MULTILINE), ""),  # bullets
    (re.compile(r"\*\*((?:[^*\n]|\*(?!\*))+?)\*\*"), r"\1"),  # bold
    (re.compile(r"__((?:[^_\n]|_(?!_))+?)__"), r"\1"),  # bold
    (re.compile(r"(?<!\w)\*(\S[^*\n]*?)\*(?!\w)"), r"\1"),  # emphasis
    (re.compile(r"(?<!\w)_(\S[^_\n]*?)_(?!\w)"), r"\1"),  # emphasis
)
_MD_TITLE = re.compile(r"^[ \t]{0,3}#[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)


def markdown_to_text(markdown: str) -> tuple[str, str | None]:
    """Text of a Markdown file, markup removed; the first ``#`` heading is the title."""
    m = _MD_TITLE.search(markdown)
    text = markdown
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return _clean(text), (m.group(1).strip() if m else None)
