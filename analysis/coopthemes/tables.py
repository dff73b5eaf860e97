"""Publication tables: one builder per table, formatted at the edges.

Each ``*_table`` function is the single builder of its table. It returns a
tidy :class:`~pandas.DataFrame` with fixed rounding and sorted rows;
:func:`to_csv`, :func:`to_latex` and :func:`to_markdown` only format it, and
:func:`write_table` writes all three.

Rounding convention
-------------------
Shares are percentages with one decimal (``share_pct``, e.g. ``12.5``);
their 95% intervals are strings ``"[8.1, 17.0]"`` in the same unit
(``ci_95``). Regression estimates use three decimals and p-values four.
Halves round away from zero (``0.125`` -> ``12.5`` %, ``1.25`` -> ``1.3``).

Cell formatting (all three formats)
-----------------------------------
Missing values are empty cells; booleans are ``yes``/``no``; floats in a
column share one number of decimals (the fewest, at least one, that shows
every value exactly as rounded by its builder). LaTeX and Markdown use the
display headers of :data:`HEADERS`; CSV keeps the column names.

Spreadsheet-safe CSV
--------------------
A spreadsheet reads a cell that starts with ``=``, ``+``, ``-``, ``@`` (or
their full-width forms), a tab or a carriage return as a formula, and a
title, id, partner or codebook label can start so. :func:`to_csv` prefixes
such a cell, header included, with an apostrophe (``'=HYPERLINK(...)``),
which spreadsheets show as text; a number (``-0.5``, ``+3``, ``-1e-05``) is
left as it is.

LaTeX
-----
Tables are typeset with pdfLaTeX and :data:`LATEX_PREAMBLE` (Vietnamese,
French, English). :func:`latex_unsupported` lists the characters of a
table that this preamble cannot typeset (Cyrillic, CJK, emoji...);
:func:`write_table` logs a warning naming them (use LuaLaTeX or XeLaTeX with
``fontspec`` for such tables). Control characters are removed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .schema import LANGUAGE_NAMES, Breakdown, select_prevalence, validate_documents, validate_passages, validate_terms, validate_themes

__all__ = [
    "HEADERS",
    "LATEX_PREAMBLE",
    "corpus_summary_table",
    "effects_table",
    "format_interval",
    "latex_escape",
    "latex_unsupported",
    "metadata_audit_table",
    "neutralise_formula",
    "prevalence_table",
    "representative_passages_table",
    "theme_edits_table",
    "round_half_up",
    "theme_overview_table",
    "to_csv",
    "to_latex",
    "to_markdown",
    "write_table",
]


#: Display headers used by LaTeX and Markdown output.
HEADERS = {
    "theme_id": "ID",
    "theme": "Theme",
    "codebook_id": "Codebook",
    "size": "Passages",
    "representative_passages": "Representative passages",
    "partner": "Partner",
    "year": "Year",
    "n": "n",
    "n_group": "N",
    "label_confidence": "Label confidence",
    "stability": "Stability",
    "unstable": "Unstable",
    "fits_range": "Range over fits (%)",
    "share_pct": "Share (%)",
    "ci_95": "95% CI",
    "small_group": "Small group",
    "section": "Section",
    "category": "Category",
    "doc_id": "Document",
    "title": "Title",
    "missing": "Missing",
    "year_source": "Year source",
    "partner_source": "Partner source",
    "status": "Status",
    "reason": "Reason",
    "term": "Term",
    "estimate": "Estimate",
    "std_error": "SE",
    "p_value": "p",
    "n_documents": "Documents",
    "quantity": "Quantity",
    "note": "Note",
    "language": "Language",
    "rank": "Rank",
    "passage_id": "Passage",
    "similarity": "Similarity",
    "text": "Text",
    "edit": "Edits",
    "step": "Step",
    "action": "Edit",
    "detail": "Detail",
}

#: Preamble that compiles the generated tables with pdfLaTeX. T5 (Vietnamese)
#: must be the last, i.e. main, encoding; T1 still serves French accents.
#: With LuaLaTeX or XeLaTeX use ``\usepackage{fontspec}`` and ``booktabs``.
LATEX_PREAMBLE = "\\usepackage[utf8]{inputenc}\n\\usepackage[T1,T5]{fontenc}\n\\usepackage{booktabs}\n"

_UNKNOWN = "unknown"
_NO_PARTNER = "none"
_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_RE = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIALS))
#: Control characters, which no TeX engine reads as text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

logger = logging.getLogger(__name__)

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?%?")


def _latex_ranges() -> frozenset[str]:
    """Characters pdfLaTeX typesets with :data:`LATEX_PREAMBLE` (T1, T5, textcomp)."""
    chars = set(map(chr, range(0x20, 0x7F))) | set(map(chr, range(0xA0, 0x180)))
    chars |= set(map(chr, range(0x1EA0, 0x1EFA))) | set("\u01a0\u01a1\u01af\u01b0")  # Vietnamese (T5)
    chars |= set("\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030"
                 "\u2039\u203a\u20ac\u2122\u2212\u2116\u02c6\u02dc\u0152\u0153\n\t")
    return frozenset(chars)


_LATEX_CHARS = _latex_ranges()


# --------------------------------------------------------------------------
# values
# --------------------------------------------------------------------------


def round_half_up(value: float, decimals: int) -> float:
    """Round ``value`` to ``decimals`` places, halves away from zero (NaN stays NaN)."""
    if value is None or pd.isna(value):
        return float("nan")
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def format_interval(low: float, high: float, *, decimals: int = 1) -> Any:
    """Format an interval as ``"[low, high]"``; ``<NA>`` when either end is missing."""
    if pd.isna(low) or pd.isna(high):
        return pd.NA
    return f"[{round_half_up(low, decimals):.{decimals}f}, {round_half_up(high, decimals):.{decimals}f}]"


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [v for v in list(value) if not pd.isna(v)]
    return [] if pd.isna(value) else [value]


def _join(value: Any, n: int, sep: str = ", ") -> str:
    return sep.join(str(v) for v in _as_list(value)[:n])


def _pct(series: pd.Series) -> pd.Series:
    return series.astype(float).map(lambda v: round_half_up(v * 100.0, 1))


# --------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------


def theme_overview_table(
    themes: pd.DataFrame,
    terms: pd.DataFrame,
    *,
    languages: Sequence[str] | None = None,
    n_terms: int = 5,
    n_passages: int = 3,
    frex: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Theme overview: label, codebook id, size, top terms (and FREX terms) per language, examples.

    Parameters
    ----------
    themes : DataFrame
        The ``themes`` table (see :data:`coopthemes.schema.THEME_COLUMNS`).
    terms : DataFrame
        The ``terms`` table (``theme_id, language, rank, term, weight``).
    languages : sequence of str, optional
        Languages whose terms get a column, in order; defaults to every
        language of ``terms``, the one with most terms first.
    n_terms : int
        Top terms kept per language (best first, joined by ", ").
    n_passages : int
        Representative passage ids kept (joined by "; ").
    frex : DataFrame, optional
        FREX terms, long like ``terms``; each language's column
        ``frex_terms_<lang>`` then follows its ``top_terms_<lang>``.

    Returns
    -------
    DataFrame
        Columns ``theme_id, theme, codebook_id, size``, then, when the themes
        table has them, ``label_confidence, stability, unstable``, then
        ``top_terms_<lang>`` (and ``frex_terms_<lang>``) per language,
        ``representative_passages`` and, for edited themes, ``edit``; one row
        per theme sorted by ``theme_id``.
    """
    validate_themes(themes)
    validate_terms(terms)
    if languages is None:
        counts = terms["language"].astype(str).value_counts()
        languages = sorted(counts.index, key=lambda lang: (-int(counts[lang]), lang))
    out = pd.DataFrame({
        "theme_id": themes["theme_id"].astype("Int64"),
        "theme": themes["theme"].astype("string"),
        "codebook_id": themes["codebook_id"].astype("string"),
        "size": themes["size"].astype("Int64"),
    })
    words = _words(terms)
    frex_words = _words(validate_terms(frex)) if frex is not None else None
    if "label_confidence" in themes.columns:
        out["label_confidence"] = themes["label_confidence"].astype("Float64").astype(float).map(
            lambda v: round_half_up(v, 2))
    if "stability" in themes.columns:
        out["stability"] = themes["stability"].astype("Float64").astype(float).map(lambda v: round_half_up(v, 2))
        out["unstable"] = themes["unstable"].astype("boolean").fillna(False).astype(bool)
    for lang in languages:
        for kind, table in (("top_terms", words), ("frex_terms", frex_words)):
            if table is not None:
                out[f"{kind}_{lang}"] = pd.array(
                    [", ".join(table.get((int(t), lang), [])[:n_terms]) for t in themes["theme_id"]], dtype="string")
    out["representative_passages"] = [_join(v, n_passages, "; ") for v in themes["representative_passages"]]
    if "edit" in themes.columns:
        out["edit"] = themes["edit"].astype("string")
    return out.sort_values("theme_id", kind="stable").reset_index(drop=True)


def _words(terms: pd.DataFrame) -> dict[tuple[int, str], list[str]]:
    ordered = terms.sort_values(["theme_id", "language", "rank"])
    return {(int(t), str(lang)): part["term"].astype(str).tolist()
            for (t, lang), part in ordered.groupby(["theme_id", "language"], sort=True)}


#: Characters of a passage shown in the representative passages table.
PASSAGE_CHARS = 400


def _excerpt(text: Any, limit: int) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def representative_passages_table(
    representatives: pd.DataFrame,
    themes: pd.DataFrame,
    passages: pd.DataFrame,
    *,
    languages: Sequence[str] | None = None,
    max_chars: int = PASSAGE_CHARS,
) -> pd.DataFrame:
    """Each theme's most typical passages in each language, with their text (stm's ``findThoughts``).

    Parameters
    ----------
    representatives : DataFrame
        ``theme_id, language, rank, passage_id, similarity``
        (:func:`coopthemes.themes.terms.representatives_by_language`).
    themes : DataFrame
        The ``themes`` table (labels).
    passages : DataFrame
        The ``passages`` table (``passage_id, doc_id, text``).
    languages : sequence of str, optional
        Language order; by default alphabetical.
    max_chars : int
        Text is cut to this many characters (whitespace collapsed, "…" marks a cut).

    Returns
    -------
    DataFrame
        Columns ``theme_id, theme, language, rank, passage_id, doc_id,
        similarity, text``; sorted by theme, language (in ``languages``
        order), rank. ``similarity`` (three decimals) is the cosine
        similarity of the passage to its theme's centre.
    """
    validate_themes(themes)
    validate_passages(passages)
    label = themes.set_index("theme_id")["theme"].astype(str)
    text = passages.set_index("passage_id")
    reps = representatives[representatives["theme_id"].isin(label.index)]
    order = list(languages or []) + sorted(set(reps["language"].astype(str)) - set(languages or []))
    rank_of = {lang: i for i, lang in enumerate(order)}
    out = pd.DataFrame({
        "theme_id": reps["theme_id"].astype("Int64"),
        "theme": pd.array(reps["theme_id"].map(label), dtype="string"),
        "language": reps["language"].astype("string"),
        "rank": reps["rank"].astype("Int64"),
        "passage_id": reps["passage_id"].astype("string"),
        "doc_id": pd.array(reps["passage_id"].map(text["doc_id"]).astype(str), dtype="string"),
        "similarity": reps["similarity"].astype(float).map(lambda v: round_half_up(v, 3)),
        "text": pd.array([_excerpt(t, max_chars) for t in reps["passage_id"].map(text["text"])], dtype="string"),
    })
    out["_lang"] = out["language"].astype(str).map(rank_of)
    out = out.sort_values(["theme_id", "_lang", "rank"], kind="stable").drop(columns="_lang")
    return out.reset_index(drop=True)


def theme_edits_table(log: pd.DataFrame) -> pd.DataFrame:
    """The theme edits applied to the fit, in order: ``step, action, theme_id, detail``."""
    missing = [c for c in ("step", "action", "theme_id", "detail") if c not in log.columns]
    if missing:
        raise ValueError(f"theme_edits: missing column(s) {', '.join(missing)}")
    out = log[["step", "action", "theme_id", "detail"]].astype(
        {"step": "Int64", "action": "string", "theme_id": "Int64", "detail": "string"})
    return out.sort_values("step", kind="stable").reset_index(drop=True)


def prevalence_table(
    prevalence: pd.DataFrame, *, by: Breakdown | str = "partner", unit: str = "document"
) -> pd.DataFrame:
    """Prevalence of each theme by group, year or group x year, with 95% intervals.

    Parameters
    ----------
    prevalence : DataFrame
        The long ``prevalence`` table.
    by : Breakdown or its name
        The breakdown: ``"partner"``, ``"year"``, ``"partner+year"``, or
        any grouping the table holds.
    unit : {"document", "passage"}
        Unit of the shares.

    Returns
    -------
    DataFrame
        Columns ``theme, <by columns>, n, n_group, share_pct, ci_95,
        [fits_range,] small_group`` (``fits_range``: the lowest and highest
        share over the consensus fits, when the table has them); sorted by theme (numbers in labels compared as
        numbers: "D2" before "D10") then the grouping columns.
    """
    rows = select_prevalence(prevalence, unit=unit, breakdown=by)
    group = list(Breakdown.parse(by).columns)
    out = pd.DataFrame({"theme": rows["theme"].astype("string")})
    for col in group:
        out[col] = rows[col].astype("Int64") if col == "year" else rows[col].astype("string")
    out["n"] = rows["n"].astype("Int64")
    out["n_group"] = rows["n_group"].astype("Int64")
    out["share_pct"] = _pct(rows["share"])
    out["ci_95"] = [format_interval(lo * 100.0, hi * 100.0) for lo, hi in zip(rows["ci_low"], rows["ci_high"])]
    out["ci_95"] = out["ci_95"].astype("string")
    if "share_min" in rows.columns:
        out["fits_range"] = pd.array([format_interval(lo * 100.0, hi * 100.0)
                                      for lo, hi in zip(rows["share_min"], rows["share_max"])], dtype="string")
    out["small_group"] = rows["small_group"].astype(bool)
    out = out.sort_values(["theme", *group], kind="stable", key=_natural_key)
    return out.reset_index(drop=True)


def _natural_key(column: pd.Series) -> pd.Series:
    """Sort key comparing the digit runs of theme labels as numbers ("D2" < "D10")."""
    if column.name != "theme":
        return column
    return column.astype("string").str.replace(r"\d+", lambda m: m.group(0).zfill(12), regex=True)


def effects_table(effects: pd.DataFrame) -> pd.DataFrame:
    """Regression of theme share on partner and year: estimates with 95% intervals.

    Parameters
    ----------
    effects : DataFrame
        Columns ``theme, term, estimate, std_error, ci_low, ci_high,
        p_value, n_documents`` and optionally ``quantity`` (``coefficient``,
        ``expected_share``, ``skipped``) and ``note``.

    Returns
    -------
    DataFrame
        Columns ``theme, [quantity,] term, estimate, std_error, ci_95,
        p_value, n_documents[, note]``: estimates, standard errors and
        intervals on the scale of the input (proportions or logits) with
        three decimals, p-values with four; sorted by theme, quantity, term.
    """
    required = ("theme", "term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_documents")
    missing = [c for c in required if c not in effects.columns]
    if missing:
        raise ValueError(f"effects: missing column(s) {', '.join(missing)}")
    out = pd.DataFrame({"theme": effects["theme"].astype("string")})
    if "quantity" in effects.columns:
        out["quantity"] = effects["quantity"].astype("string")
    out["term"] = effects["term"].astype("string")
    for col in ("estimate", "std_error"):
        out[col] = effects[col].astype("Float64").astype(float).map(lambda v: round_half_up(v, 3))
    intervals = [format_interval(lo, hi, decimals=3) for lo, hi in zip(effects["ci_low"], effects["ci_high"])]
    out["ci_95"] = pd.array(intervals, dtype="string")
    out["p_value"] = effects["p_value"].astype("Float64").astype(float).map(lambda v: round_half_up(v, 4))
    out["n_documents"] = effects["n_documents"].astype("Int64")
    if "note" in effects.columns:
        out["note"] = effects["note"].astype("string")
    keys = [c for c in ("theme", "quantity", "term") if c in out.columns]
    return out.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


def _count_rows(section: str, categories: Sequence[str], *, numeric: bool = False) -> list[tuple[str, str, int]]:
    counts = pd.Series(list(categories), dtype="object").value_counts()
    named = [c for c in counts.index if c not in (_UNKNOWN, _NO_PARTNER)]
    named = sorted(named, key=int) if numeric else sorted(named)
    order = named + [c for c in (_NO_PARTNER, _UNKNOWN) if c in counts.index]
    return [(section, str(c), int(counts[c])) for c in order]


def corpus_summary_table(documents: pd.DataFrame, passages: pd.DataFrame) -> pd.DataFrame:
    """Corpus summary: documents by status, language, partner and year; passages kept and dropped.

    Parameters
    ----------
    documents : DataFrame
        The ``documents`` ledger. Status counts cover every document; the
        language, partner and year counts cover documents with status ``ok``.
        A document naming two partners counts once for each; missing values
        are ``"unknown"`` (language, year) or ``"none"`` (partner).
    passages : DataFrame
        The ``passages`` table.

    Returns
    -------
    DataFrame
        Columns ``section, category, n``; sections in the order
        ``documents by status``, ``documents by language``, ``documents by
        partner``, ``documents by year``, ``passages``, ``passages dropped by
        reason``; categories sorted within a section (years numerically,
        ``none``/``unknown`` last).
    """
    validate_documents(documents)
    validate_passages(passages)
    ok = documents[documents["status"] == "ok"]
    languages = ok["language"].astype("string").fillna(_UNKNOWN).astype(str)
    partners = [p for value in ok["partners"] for p in (_as_list(value) or [_NO_PARTNER])]
    years = ok["year"].astype("Int64").astype("string").fillna(_UNKNOWN).astype(str)
    kept = passages["kept"].astype(bool)
    rows = [
        *_count_rows("documents by status", documents["status"].astype(str)),
        *_count_rows("documents by language", languages),
        *_count_rows("documents by partner", [str(p) for p in partners]),
        *_count_rows("documents by year", years, numeric=True),
        ("passages", "kept", int(kept.sum())),
        ("passages", "dropped", int((~kept).sum())),
        *_count_rows("passages dropped by reason", passages.loc[~kept, "drop_reason"].astype(str)),
    ]
    out = pd.DataFrame(rows, columns=["section", "category", "n"])
    return out.astype({"section": "string", "category": "string", "n": "Int64"})


def metadata_audit_table(documents: pd.DataFrame) -> pd.DataFrame:
    """Documents whose year or partner is missing, with where each value came from.

    Parameters
    ----------
    documents : DataFrame
        The ``documents`` ledger.

    Returns
    -------
    DataFrame
        Columns ``doc_id, title, missing, year_source, partner_source, status,
        reason``; ``missing`` is ``"year"``, ``"partner"`` or ``"year,
        partner"``; sorted by ``doc_id``. Empty (with these columns) when
        every document has both.
    """
    validate_documents(documents)
    no_year = documents["year"].isna().to_numpy()
    no_partner = np.array([not _as_list(v) for v in documents["partners"]], dtype=bool)
    missing = [", ".join(name for name, flag in (("year", y), ("partner", p)) if flag)
               for y, p in zip(no_year, no_partner)]
    out = documents[["doc_id", "title"]].astype("string").assign(missing=pd.array(missing, dtype="string"))
    for col in ("year_source", "partner_source", "status", "reason"):
        out[col] = documents[col].astype("string")
    out = out[no_year | no_partner]
    return out.sort_values("doc_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------
# formatting at the edges
# --------------------------------------------------------------------------


def _decimals(values: pd.Series) -> int:
    finite = values.astype(float).dropna()
    finite = finite[np.isfinite(finite)]
    for decimals in range(1, 7):
        if all(abs(v - round_half_up(v, decimals)) < 1e-9 for v in finite):
            return decimals
    return 6


def _is_float(series: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(series.dtype)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def _cell(value: Any, decimals: int | None) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(v) for v in value)
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if decimals is not None:
        return f"{round_half_up(value, decimals):.{decimals}f}"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return " ".join(str(value).split())


def _formatted(df: pd.DataFrame) -> list[list[str]]:
    """Rows of cells as strings, one fixed number of decimals per float column."""
    decimals = {col: (_decimals(df[col]) if _is_float(df[col]) else None) for col in df.columns}
    return [[_cell(value, decimals[col]) for col, value in zip(df.columns, row)]
            for row in df.itertuples(index=False, name=None)]


def _header(column: str, names: Mapping[str, str]) -> str:
    if column in names:
        return names[column]
    if column.startswith("top_terms_"):
        lang = column[len("top_terms_"):]
        return f"Top terms ({LANGUAGE_NAMES.get(lang, lang)})"
    if column.startswith("frex_terms_"):
        lang = column[len("frex_terms_"):]
        return f"FREX terms ({LANGUAGE_NAMES.get(lang, lang)})"
    return column


def _headers(df: pd.DataFrame, headers: Mapping[str, str] | None) -> list[str]:
    names = {**HEADERS, **dict(headers or {})}
    return [_header(str(col), names) for col in df.columns]


def neutralise_formula(cell: str, *, keep_numbers: bool = True) -> str:
    """``cell`` as a spreadsheet shows it as text: an apostrophe before a formula start.

    ``"=1+1"`` -> ``"'=1+1"``, ``"@SUM(A1)"`` -> ``"'@SUM(A1)"``; a number
    (``"-0.5"``) is left as it is unless ``keep_numbers`` is false (coding
    sheets, whose cells are all text and read back with the apostrophe removed).
    """
    if cell.startswith(FORMULA_STARTS) and not (keep_numbers and _NUMBER.fullmatch(cell)):
        return "'" + cell
    return cell


def to_csv(df: pd.DataFrame) -> str:
    """Format a table as CSV (UTF-8 text, ``\\n`` line ends, column names as header).

    Cells and column names that a spreadsheet would read as a formula are
    neutralised (:func:`neutralise_formula`); numbers are kept.
    """
    rows = [[neutralise_formula(c) for c in row] for row in _formatted(df)]
    cells = pd.DataFrame(rows, columns=[neutralise_formula(str(c)) for c in df.columns], dtype=object)
    return cells.to_csv(index=False, lineterminator="\n")


def latex_escape(text: str) -> str:
    r"""Escape LaTeX special characters ``& % $ # _ { } ~ ^ \``; control characters are removed."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIALS[m.group(0)], _CONTROLS.sub("", text))


def latex_unsupported(df: pd.DataFrame, *, headers: Mapping[str, str] | None = None) -> list[str]:
    """Characters of the table (cells and headers) that pdfLaTeX cannot typeset with :data:`LATEX_PREAMBLE`.

    Returns
    -------
    list of str
        Sorted, each once; empty for Vietnamese, French and English text.
    """
    found = set()
    for text in [*_headers(df, headers), *(c for row in _formatted(df) for c in row)]:
        found.update(ch for ch in text if ch not in _LATEX_CHARS and not _CONTROLS.match(ch))
    return sorted(found)


def _latex_cell(text: str) -> str:
    """Escape a cell; a leading "[" is shielded so that ``\\\\`` or a rule does not read it as an option."""
    escaped = latex_escape(text)
    return "{}" + escaped if escaped.startswith("[") else escaped


def _latex_columns(df: pd.DataFrame, rows: list[list[str]]) -> str:
    lengths = [max([len(r[k]) for r in rows] + [0]) for k in range(len(df.columns))]
    n_long = sum(1 for k, col in enumerate(df.columns) if not _is_numeric(df[col]) and lengths[k] > 40)
    width = min(0.3, 0.7 / max(n_long, 1))
    spec = []
    for k, col in enumerate(df.columns):
        if _is_numeric(df[col]):
            spec.append("r")
        elif lengths[k] > 40:
            spec.append(f"p{{{width:.2f}\\linewidth}}")
        else:
            spec.append("l")
    return "".join(spec)


def to_latex(
    df: pd.DataFrame,
    *,
    caption: str | None = None,
    label: str | None = None,
    headers: Mapping[str, str] | None = None,
    column_format: str | None = None,
) -> str:
    r"""Format a table as a booktabs ``tabular`` (``\toprule \midrule \bottomrule``).

    Parameters
    ----------
    df : DataFrame
        The table.
    caption, label : str, optional
        When a caption is given the tabular is wrapped in a ``table``
        environment with ``\caption`` (escaped) and ``\label`` (as given).
    headers : mapping, optional
        Display headers overriding :data:`HEADERS`.
    column_format : str, optional
        Column specification; by default ``r`` for numbers, ``p{..}`` for
        text longer than 40 characters, ``l`` otherwise.

    Returns
    -------
    str
        UTF-8 LaTeX (see :data:`LATEX_PREAMBLE`); every cell and header is
        escaped with :func:`latex_escape`.
    """
    rows = _formatted(df)
    spec = column_format or _latex_columns(df, rows)
    body = [" & ".join(_latex_cell(h) for h in _headers(df, headers)) + r" \\", r"\midrule"]
    body += [" & ".join(_latex_cell(c) for c in row) + r" \\" for row in rows]
    lines = [f"\\begin{{tabular}}{{{spec}}}", r"\toprule", *body, r"\bottomrule", r"\end{tabular}"]
    if caption is not None:
        head = [r"\begin{table}[htbp]", r"\centering", f"\\caption{{{latex_escape(caption)}}}"]
        if label is not None:
            head.append(f"\\label{{{label}}}")
        lines = [*head, *lines, r"\end{table}"]
    return "\n".join(lines) + "\n"


def to_markdown(df: pd.DataFrame, *, headers: Mapping[str, str] | None = None) -> str:
    """Format a table as a Markdown pipe table (numbers right-aligned, ``|`` escaped)."""
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|")

    head = [esc(h) for h in _headers(df, headers)]
    rows = [[esc(c) for c in row] for row in _formatted(df)]
    widths = [max([len(head[k]), 3] + [len(r[k]) for r in rows]) for k in range(len(head))]
    right = [_is_numeric(df[col]) for col in df.columns]

    def line(cells: list[str]) -> str:
        padded = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)]
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join(("-" * (w - 1) + ":") if r else "-" * w for w, r in zip(widths, right)) + " |"
    return "\n".join([line(head), rule, *(line(r) for r in rows)]) + "\n"


def write_table(
    df: pd.DataFrame,
    stem: str,
    out_dir: str | Path,
    *,
    caption: str | None = None,
    sort_by: Sequence[str] | None = None,
) -> list[Path]:
    """Write ``stem.csv``, ``stem.tex`` and ``stem.md`` into ``out_dir``.

    Parameters
    ----------
    df : DataFrame
        A table from one of the ``*_table`` builders (rows already sorted).
    stem : str
        File name without extension (no path separators).
    out_dir : str or Path
        Folder, created if needed.
    caption : str, optional
        LaTeX caption; the label is ``tab:<stem>``.
    sort_by : sequence of str, optional
        Columns to sort rows by (stable) before writing.

    Returns
    -------
    list of Path
        The three files, in the order csv, tex, md. Output is UTF-8 with
        ``\\n`` line ends and depends only on ``df``.
    """
    if not stem or Path(stem).name != stem:
        raise ValueError(f"write_table: stem must be a plain file name, got {stem!r}")
    if sort_by is not None:
        df = df.sort_values(list(sort_by), kind="stable").reset_index(drop=True)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    odd = latex_unsupported(df)
    if odd:
        shown = " ".join(odd[:12]) + (f" (+{len(odd) - 12} more)" if len(odd) > 12 else "")
        logger.warning("table %s: pdfLaTeX cannot typeset %d character(s) of %s.tex with the bundled preamble: %s; "
                       "compile it with LuaLaTeX or XeLaTeX (fontspec)", stem, len(odd), stem, shown)
    texts = {
        "csv": to_csv(df),
        "tex": to_latex(df, caption=caption, label=None if caption is None else f"tab:{stem}"),
        "md": to_markdown(df),
    }
    paths = []
    for ext, text in texts.items():
        path = out / f"{stem}.{ext}"
        path.write_text(text, encoding="utf-8", newline="\n")
        paths.append(path)
    return paths
