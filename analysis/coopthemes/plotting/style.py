"""Paper style: figure widths, colour-blind-safe palettes and a scoped rc context.

Nothing here changes :data:`matplotlib.rcParams` at import time; the paper
style applies only inside :func:`paper_context`.

Palettes
--------
Up to eight categories use the Okabe-Ito palette (Okabe & Ito, *Color
Universal Design*, 2008), with yellow moved to the seventh slot because it
has the least contrast against white. Nine categories use Paul Tol's
*muted* scheme; ten to seventeen use *muted* followed by Tol's *light* scheme
(without its pale grey, which is reserved for outliers). Both are designed to
stay distinct under the common colour-vision deficiencies
(https://personal.sron.nl/~pault/). Beyond seventeen categories colours
repeat: no palette keeps that many hues apart, so figures with many themes
should also label them.

Fonts
-----
DejaVu Sans ships with matplotlib and covers Latin Extended Additional, so
Vietnamese diacritics ("phòng cháy chữa cháy") render without missing-glyph
warnings. PDF text is embedded as TrueType (``pdf.fonttype: 42``) so that it
stays editable; SVG text is kept as text (``svg.fonttype: "none"``), which is
byte-stable across machines and searchable, with a generic sans-serif
fallback for viewers that lack DejaVu Sans.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import matplotlib as mpl

__all__ = [
    "COLUMN_WIDTH",
    "LANGUAGE_COLORS",
    "LANGUAGE_MARKERS",
    "OKABE_ITO",
    "OUTLIER_COLOR",
    "PAGE_WIDTH",
    "PAPER_RC",
    "SEQUENTIAL_CMAP",
    "SVG_HASHSALT",
    "TOL_LIGHT",
    "TOL_MUTED",
    "paper_context",
    "palette",
]

logger = logging.getLogger(__name__)

#: Width of one column of a two-column paper, in inches.
COLUMN_WIDTH = 3.5
#: Width of a full page of text, in inches.
PAGE_WIDTH = 7.0

#: Okabe-Ito colours (black last, yellow moved after the darker hues).
OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#000000",  # black
)
#: Paul Tol's muted qualitative scheme (nine colours).
TOL_MUTED = (
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
)
#: Paul Tol's light qualitative scheme without its pale grey.
TOL_LIGHT = (
    "#77AADD",
    "#EE8866",
    "#EEDD88",
    "#FFAABB",
    "#99DDFF",
    "#44BB99",
    "#BBCC33",
    "#AAAA00",
)
#: Colour of outlier passages (theme_id -1) and of "no data".
OUTLIER_COLOR = "#BBBBBB"
#: Sequential colour map for shares (ColorBrewer YlGnBu, colour-blind safe).
SEQUENTIAL_CMAP = "YlGnBu"
#: Colour per document language (Okabe-Ito blue, orange, bluish green).
LANGUAGE_COLORS = {"vi": "#0072B2", "fr": "#E69F00", "en": "#009E73"}
#: Marker per passage language in the theme map.
LANGUAGE_MARKERS = {"vi": "o", "fr": "s", "en": "^"}
#: Salt for SVG element ids, fixed so that SVG output is byte-stable.
SVG_HASHSALT = "coopthemes"

#: The paper style: small fonts, thin spines, editable text, fixed ids.
PAPER_RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "legend.title_fontsize": 7,
    "figure.titlesize": 9,
    "legend.frameon": False,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=list(OKABE_ITO)),
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "lines.linewidth": 1.0,
    "lines.markersize": 4,
    "patch.linewidth": 0.5,
    "hatch.linewidth": 0.5,
    "hatch.color": "#555555",
    "grid.linewidth": 0.4,
    "figure.figsize": (COLUMN_WIDTH, COLUMN_WIDTH * 0.75),
    "figure.dpi": 150,
    "figure.constrained_layout.use": True,
    "savefig.dpi": 300,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": SVG_HASHSALT,
}


@contextlib.contextmanager
def paper_context(rc: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Apply the paper style to ``matplotlib.rcParams`` inside a ``with`` block.

    Parameters
    ----------
    rc : mapping, optional
        Extra rc settings applied on top of :data:`PAPER_RC`.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> with paper_context():
    ...     fig, ax = plt.subplots(figsize=(COLUMN_WIDTH, 2.0))
    """
    settings = {**PAPER_RC, **dict(rc or {})}
    with mpl.rc_context(settings):
        yield


def palette(n: int) -> list[str]:
    """Return ``n`` colour-blind-safe colours as hex strings.

    Parameters
    ----------
    n : int
        Number of categories (>= 0).

    Returns
    -------
    list of str of length n
        Okabe-Ito for ``n <= 8``, Tol muted for 9, Tol muted + light for up
        to 17; beyond that the 17 muted + light colours repeat (logged).
    """
    if n < 0:
        raise ValueError(f"palette: n must be >= 0, got {n}")
    if n <= len(OKABE_ITO):
        return list(OKABE_ITO[:n])
    extended = list(TOL_MUTED) + list(TOL_LIGHT)
    if n > len(extended):
        logger.info("palette: %d categories, colours repeat after %d", n, len(extended))
    return [extended[i % len(extended)] for i in range(n)]
