"""One self-contained HTML page from the explorer's data.

The page is the template ``assets/explorer.html`` with its style sheet,
script and data inlined: it makes no network request (a Content Security
Policy in the page forbids any), loads no font, and opens from a USB stick
or an e-mail attachment. The data are untrusted text (scraped news): they
travel as JSON inside ``<script type="application/json">`` with every
``<``, ``>`` and ``&`` escaped, so that no passage can close the element,
and the script writes them into the page with ``textContent`` only.

Bytes are deterministic: sorted keys, fixed separators, no timestamps.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

__all__ = ["EXPLORER_NAME", "embed_json", "page_bytes", "render_page", "write_page"]

#: File name of the page beside the figures.
EXPLORER_NAME = "explorer.html"

_ASSETS = "assets"
_SLOT = re.compile(r"@@(TITLE|STYLE|SCRIPT|DATA)@@")
#: Characters escaped in embedded JSON: HTML-significant ones and the JavaScript line separators.
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(_ASSETS, name).read_text(encoding="utf-8")


def embed_json(data: Mapping) -> str:
    """JSON text that is safe inside a ``<script type="application/json">`` element.

    Keys sorted, no spaces, non-ASCII kept as UTF-8 (Vietnamese stays two or
    three bytes a letter), ``<``, ``>``, ``&``, U+2028 and U+2029 as ``\\uXXXX``
    escapes. ``JSON.parse`` of the element's text gives ``data`` back.
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group(0)], text)


def render_page(data: Mapping) -> str:
    """The whole page as text (UTF-8 when written)."""
    values = {
        "TITLE": html.escape(str(data.get("title") or "coopthemes explorer"), quote=True),
        "STYLE": _asset("explorer.css"),
        "SCRIPT": _asset("explorer.js"),
        "DATA": embed_json(data),
    }
    for name in ("STYLE", "SCRIPT"):
        if re.search(r"</(style|script)", values[name], flags=re.IGNORECASE):
            raise ValueError(f"explorer asset for {name.lower()} contains a closing tag")
    return _SLOT.sub(lambda m: values[m.group(1)], _asset("explorer.html"))


def page_bytes(data: Mapping) -> bytes:
    """:func:`render_page` as the bytes :func:`write_page` writes: UTF-8, ``\\n`` line ends."""
    return render_page(data).encode("utf-8", errors="replace")


def write_page(data: Mapping, path: str | Path) -> Path:
    """Write :func:`page_bytes` to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(page_bytes(data))
    return path
