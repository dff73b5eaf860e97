"""Column contracts of the tables passed between stages.

Every stage reads and writes tidy tables with one row per record and the
columns named here. ``validate_*`` checks required columns and unique ids and
raises :class:`SchemaError` naming the table and the problem.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = [
    "ASSIGNMENT_COLUMNS",
    "DOCUMENT_COLUMNS",
    "DROP_REASONS",
    "PASSAGE_COLUMNS",
    "PREVALENCE_COLUMNS",
    "SOURCES",
    "STATUSES",
    "SchemaError",
    "THEME_COLUMNS",
    "validate_assignments",
    "validate_documents",
    "validate_passages",
    "validate_prevalence",
    "validate_themes",
]

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
    "size",
    "top_terms_vi",
    "top_terms_fr",
    "top_terms_en",
    "language_mix",
    "representative_passages",
)

PREVALENCE_COLUMNS = ("unit", "theme", "n", "n_group", "share", "ci_low", "ci_high")


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
    """Check the ``documents`` table; return it unchanged."""
    _require(df, DOCUMENT_COLUMNS, "documents")
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


def validate_themes(df: pd.DataFrame) -> pd.DataFrame:
    """Check the ``themes`` table; return it unchanged."""
    _require(df, THEME_COLUMNS, "themes")
    _unique(df, "theme_id", "themes")
    return df


def validate_prevalence(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Check a ``prevalence`` table grouped by the columns ``by``."""
    _require(df, (*PREVALENCE_COLUMNS, *by), "prevalence")
    if (df["n"] > df["n_group"]).any():
        raise SchemaError("prevalence: n exceeds n_group")
    return df
