"""Column contracts of the tables passed between stages.

Every stage reads and writes tidy tables with one row per record and the
columns named here. ``validate_*`` checks required columns and unique ids and
raises :class:`SchemaError` naming the table and the problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "Breakdown",
    "TERM_COLUMNS",
    "THEME_EVIDENCE_COLUMNS",
    "breakdowns_for",
    "select_prevalence",
    "DOCUMENT_COLUMNS",
    "DROP_REASONS",
    "LANGUAGE_NAMES",
    "PASSAGE_COLUMNS",
    "PREVALENCE_COLUMNS",
    "SCOPE_COLUMNS",
    "SOURCES",
    "STATUSES",
    "SchemaError",
    "THEME_COLUMNS",
    "validate_assignments",
    "validate_documents",
    "validate_passages",
    "validate_prevalence",
    "validate_terms",
    "validate_themes",
]

#: Display names of language codes in tables and figures; other codes are shown as they are.
LANGUAGE_NAMES = {
    "vi": "Vietnamese", "fr": "French", "en": "English", "de": "German", "es": "Spanish", "zh": "Chinese",
    "ja": "Japanese", "ko": "Korean", "ru": "Russian", "th": "Thai", "id": "Indonesian", "lo": "Lao",
    "km": "Khmer", "pt": "Portuguese", "it": "Italian", "nl": "Dutch", "pl": "Polish", "ar": "Arabic",
}  # fmt: skip

#: Where a metadata value came from.
SOURCES = ("sidecar", "header", "text", "none")

#: Document status in the ledger: ``ok`` documents have passages; the others
#: carry a ``reason``.
STATUSES = ("ok", "empty", "error", "missing")

#: Why a passage is not kept for modelling.
DROP_REASONS = (
    "boilerplate",
    "caption",
    "headline_list",
    "repeated_title",
    "too_short",
    "duplicate",
    "near_duplicate",
    "off_topic",
)

#: Document columns on the home country's counterparts, after the core ones:
#: ``multilateral`` (list of organisation names), ``in_scope`` (nullable
#: boolean: the document shows a relation of the home country with a foreign
#: partner or organisation; missing unless status is ``ok``) and
#: ``scope_reason`` (why). Tables written without them (older runs, hand-made
#: tables) still validate; readers then take every ``ok`` document as in scope.
SCOPE_COLUMNS = ("multilateral", "in_scope", "scope_reason")

DOCUMENT_COLUMNS = (
    "doc_id",
    "source_path",
    "sha256",
    "title",
    "language",
    "date",
    "year",
    "year_source",
    "partners",
    "partner_source",
    "outlet",
    "n_passages",
    "status",
    "reason",
    *SCOPE_COLUMNS,
)

PASSAGE_COLUMNS = (
    "passage_id",
    "doc_id",
    "position",
    "text",
    "language",
    "partners",
    "year",
    "kept",
    "drop_reason",
)

ASSIGNMENT_COLUMNS = ("passage_id", "theme_id", "theme", "probability", "is_outlier")

THEME_COLUMNS = (
    "theme_id",
    "theme",
    "codebook_id",
    "label_confidence",
    "size",
    "stability",
    "unstable",
    "language_mix",
    "representative_passages",
)

#: Top terms, long: one row per theme, language and rank (any set of languages).
TERM_COLUMNS = ("theme_id", "language", "rank", "term", "weight")

PREVALENCE_COLUMNS = ("unit", "theme", "n", "n_group", "share", "ci_low", "ci_high")

#: Joins the grouping columns of a breakdown in the ``breakdown`` column of
#: the prevalence table (``"partner+year"``); no column name may contain it.
BREAKDOWN_SEPARATOR = "+"


class SchemaError(ValueError):
    """A table does not meet its column contract."""


def _require(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(f"{table}: missing column(s) {', '.join(missing)}")


def _unique(df: pd.DataFrame, column: str, table: str) -> None:
    dup = df[column][df[column].duplicated()]
    if len(dup):
        examples = ", ".join(map(str, sorted(set(dup))[:5]))
        raise SchemaError(f"{table}: {column} is not unique (repeated: {examples})")


def validate_documents(df: pd.DataFrame) -> pd.DataFrame:
    """Check the ``documents`` table; return it unchanged.

    The :data:`SCOPE_COLUMNS` may be absent; when present, ``in_scope`` holds
    only True, False or missing values.
    """
    _require(df, [c for c in DOCUMENT_COLUMNS if c not in SCOPE_COLUMNS], "documents")
    if "in_scope" in df.columns:
        bad = sorted({repr(v) for v in df["in_scope"].dropna() if not isinstance(v, (bool, np.bool_))})
        if bad:
            raise SchemaError(f"documents: in_scope must be True, False or missing, got {', '.join(bad[:5])}")
    _unique(df, "doc_id", "documents")
    bad = sorted(set(df["status"].dropna()) - set(STATUSES))
    if bad:
        raise SchemaError(f"documents: unknown status value(s) {bad}")
    for col in ("year_source", "partner_source"):
        bad = sorted(set(df[col].dropna()) - set(SOURCES))
        if bad:
            raise SchemaError(f"documents: unknown {col} value(s) {bad}")
    return df


def validate_passages(df: pd.DataFrame) -> pd.DataFrame:
    """Check the ``passages`` table; return it unchanged."""
    _require(df, PASSAGE_COLUMNS, "passages")
    _unique(df, "passage_id", "passages")
    kept = df["kept"].astype(bool)
    if df.loc[~kept, "drop_reason"].isna().any():
        raise SchemaError("passages: a dropped passage has no drop_reason")
    if df.loc[kept, "drop_reason"].notna().any():
        raise SchemaError("passages: a kept passage has a drop_reason")
    return df


def validate_assignments(df: pd.DataFrame) -> pd.DataFrame:
    """Check the ``assignments`` table; return it unchanged."""
    _require(df, ASSIGNMENT_COLUMNS, "assignments")
    _unique(df, "passage_id", "assignments")
    return df


#: Theme columns a table may lack (written before they existed, or built by hand): a
#: codebook label's confidence, the theme's stability across fits and its flag.
THEME_EVIDENCE_COLUMNS = ("label_confidence", "stability", "unstable")


def validate_themes(df: pd.DataFrame) -> pd.DataFrame:
    """Check the ``themes`` table; return it unchanged (:data:`THEME_EVIDENCE_COLUMNS` may be absent)."""
    _require(df, [c for c in THEME_COLUMNS if c not in THEME_EVIDENCE_COLUMNS], "themes")
    _unique(df, "theme_id", "themes")
    return df


def validate_terms(df: pd.DataFrame) -> pd.DataFrame:
    """Check the ``terms`` table; return it unchanged."""
    _require(df, TERM_COLUMNS, "terms")
    if df.duplicated(["theme_id", "language", "rank"]).any():
        raise SchemaError("terms: a (theme_id, language, rank) repeats")
    return df


def validate_prevalence(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Check a ``prevalence`` table grouped by the columns ``by``."""
    _require(df, (*PREVALENCE_COLUMNS, *by), "prevalence")
    if (df["n"] > df["n_group"]).any():
        raise SchemaError("prevalence: n exceeds n_group")
    return df


@dataclass(frozen=True, order=True)
class Breakdown:
    """A grouping of the prevalence table: the document columns it spans.

    ``Breakdown(("partner", "year"))`` is partner x year. Its :attr:`name`
    (the columns joined by ``+``) is what the prevalence table's
    ``breakdown`` column holds; :meth:`parse` reads it back.
    """

    columns: tuple[str, ...]

    def __post_init__(self) -> None:
        columns = (self.columns,) if isinstance(self.columns, str) else tuple(self.columns)
        if not columns or any(not isinstance(c, str) or not c or BREAKDOWN_SEPARATOR in c for c in columns):
            raise ValueError(f"breakdown: expected column names without {BREAKDOWN_SEPARATOR!r}, got {columns!r}")
        if len(set(columns)) != len(columns):
            raise ValueError(f"breakdown: a column repeats in {columns!r}")
        object.__setattr__(self, "columns", columns)

    @classmethod
    def parse(cls, value: Breakdown | str | Sequence[str]) -> Breakdown:
        """A Breakdown from itself, its name (``"partner+year"``) or its columns."""
        if isinstance(value, Breakdown):
            return value
        if isinstance(value, str):
            return cls(tuple(value.split(BREAKDOWN_SEPARATOR)))
        return cls(tuple(value))

    @property
    def name(self) -> str:
        """The columns joined by ``+``: the value of the prevalence table's ``breakdown`` column."""
        return BREAKDOWN_SEPARATOR.join(self.columns)

    @property
    def stem(self) -> str:
        """The columns joined by ``_``, for file names (``prevalence_partner_year_document``)."""
        return "_".join(self.columns)

    @property
    def title(self) -> str:
        """For captions: ``"partner and year"``."""
        return " and ".join(c.replace("_", " ") for c in self.columns)

    def __str__(self) -> str:
        return self.name


def breakdowns_for(group_column: str) -> list[Breakdown]:
    """The breakdowns of a run grouped by ``group_column``: the group, the year, and both."""
    return [Breakdown((group_column,)), Breakdown(("year",)), Breakdown((group_column, "year"))]


def select_prevalence(data: pd.DataFrame, *, unit: str, breakdown: Breakdown | str | Sequence[str]) -> pd.DataFrame:
    """Rows of the long ``prevalence`` table for one unit and one breakdown.

    Parameters
    ----------
    data : DataFrame
        The long ``prevalence`` table (with its ``breakdown`` column).
    unit : {"document", "passage"}
    breakdown : Breakdown, its name (``"partner+year"``) or its columns

    Returns
    -------
    DataFrame
        A copy with ``small_group`` as bool (False when absent).

    Raises
    ------
    ValueError
        When no row has that unit and breakdown.
    """
    b = Breakdown.parse(breakdown)
    validate_prevalence(data, by=b.columns)
    _require(data, ("breakdown",), "prevalence")
    rows = data[(data["unit"] == unit) & (data["breakdown"] == b.name)].dropna(subset=list(b.columns))
    if rows.empty:
        present = sorted(map(str, data["breakdown"].dropna().unique()))
        raise ValueError(f"prevalence: no rows with unit={unit!r} and breakdown {b.name!r} (present: {present})")
    rows = rows.copy()
    small = rows["small_group"] if "small_group" in rows.columns else pd.Series(False, index=rows.index)
    rows["small_group"] = small.astype("boolean").fillna(False).astype(bool)
    return rows
