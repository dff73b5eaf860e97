"""The report's tables: one registered function per table (or family of tables)."""

from __future__ import annotations

from collections.abc import Iterator

from ..schema import breakdowns_for
from ..tables import (
    corpus_summary_table,
    effects_table,
    metadata_audit_table,
    prevalence_table,
    representative_passages_table,
    theme_edits_table,
    theme_overview_table,
)
from .figures import group_of, languages_of
from .registry import Skip, TableOut, table

_UNITS = {"document": "documents", "passage": "passages"}


@table("corpus_summary")
def corpus_summary(results) -> Iterator[TableOut]:
    """Documents by status, language, partner and year; passages kept and dropped."""
    yield TableOut("corpus_summary", corpus_summary_table(results["documents"], results["passages"]),
                   "Corpus: documents by status, language, partner and year; passages kept and dropped.")


@table("metadata_audit")
def metadata_audit(results) -> Iterator[TableOut]:
    """Documents without a year or a partner, with the source of each value."""
    yield TableOut("metadata_audit", metadata_audit_table(results["documents"]),
                   "Documents without a year or a partner, with the source of each value.")


@table("theme_overview")
def theme_overview(results) -> Iterator[TableOut]:
    """Themes: codebook id, size, top terms and FREX terms per language, representative passages."""
    frex = results.tables.get("frex")
    data = theme_overview_table(results["themes"], results["terms"], languages=languages_of(results),
                                n_terms=5, n_passages=3, frex=frex)
    caption = ("Themes: codebook id and label confidence, size in passages, stability (share of the consensus "
               "fits in which the theme reappears; unstable below the configured minimum), top terms per "
               "language (c-TF-IDF)")
    if frex is not None:
        caption += " and FREX terms (frequent and exclusive, as in stm)"
    caption += ", representative passages"
    if "edit" in results["themes"].columns:
        caption += ", and the edits applied to the fitted theme"
    yield TableOut("theme_overview", data, caption + ".")


@table("representative_passages")
def representative_passages(results) -> Iterator[TableOut]:
    """Each theme's most typical passages per language, with their text (as stm's findThoughts)."""
    reps = results.tables.get("representatives")
    if reps is None or reps.empty:
        raise Skip("the run has no representative passages per language")
    data = representative_passages_table(reps, results["themes"], results["passages"],
                                         languages=languages_of(results))
    yield TableOut("representative_passages", data,
                   "Representative passages: for each theme and language, the passages most similar to the "
                   "theme's centre (cosine similarity), with their first 400 characters.")


@table("theme_edits")
def theme_edits(results) -> Iterator[TableOut]:
    """The theme edits applied to the fitted themes (rename, merge, drop, codebook, n_themes)."""
    log = results.tables.get("theme_edits")
    if log is None:
        raise Skip("no theme was edited")
    edits = results.info.get("edits") or {}
    source = f" from {edits['file']}" if edits.get("file") else ""
    yield TableOut("theme_edits", theme_edits_table(log),
                   f"Theme edits applied to the fitted themes{source}, in order, without refitting.")


@table("prevalence")
def prevalence(results) -> Iterator[TableOut]:
    """Theme shares by group, by year and by both, for documents and passages (``prevalence_<by>_<unit>``)."""
    table_ = results["prevalence"]
    for breakdown in breakdowns_for(group_of(results)):
        for unit in sorted(_UNITS):
            rows = table_[(table_["breakdown"] == breakdown.name) & (table_["unit"] == unit)]
            if rows.empty:
                continue
            caption = (f"Share of {_UNITS[unit]} in each theme by {breakdown.title} (%), n of N {_UNITS[unit]}, "
                       "with 95% bootstrap intervals over documents and the range of the share over the "
                       "consensus fits.")
            yield TableOut(f"prevalence_{breakdown.stem}_{unit}", prevalence_table(table_, by=breakdown, unit=unit),
                           caption)


@table("effects")
def effects(results) -> Iterator[TableOut]:
    """Regression of theme share on group and year."""
    data = results.tables.get("effects")
    if data is None:
        raise Skip("no regression in this run")
    yield TableOut("effects", effects_table(data),
                   f"Regression of theme share on {group_of(results)} and year: coefficients (logit scale), "
                   "expected shares per group and per year, and differences between groups (proportions), "
                   "with 95% intervals (differences per comparison, not adjusted for multiplicity).")
