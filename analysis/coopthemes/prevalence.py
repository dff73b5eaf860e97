"""Prevalence of themes by group (partner, year, both, or any document label).

A theme's prevalence in a group is a share with its denominator stated:

- ``unit="passage"``: the group's kept passages in the theme over all the
  group's kept passages (outliers included in the denominator);
- ``unit="document"``: the group's documents with at least one passage in the
  theme over the group's documents that have kept passages.

Intervals come from a percentile bootstrap that resamples *documents* with
replacement within each group, since passages of one article are not
independent. The passage share is then a ratio estimator: the resampled
documents' theme passages over the resampled documents' passages.

A document with several partners counts once in each partner's group.
Documents whose value of a grouping column is unknown (``<NA>``, or an empty
``partners`` list) are left out of that breakdown and counted (see
:func:`excluded_counts` and ``DataFrame.attrs["excluded"]``).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .schema import validate_assignments, validate_passages

__all__ = [
    "OUTLIER_THEME",
    "UNITS",
    "compute_prevalence",
    "share_ranges",
    "document_groups",
    "excluded_counts",
    "theme_counts_by_document",
]

#: Name of the pseudo-theme that collects outlier passages when they are
#: reported as a theme (``include_outliers=True``).
OUTLIER_THEME = "(outlier)"

#: Units of prevalence.
UNITS = ("passage", "document")

#: Bootstrap replicates are drawn in blocks of at most this many cells
#: (replicates x documents) to bound memory; a fixed constant, so results do
#: not depend on the machine.
_BLOCK_CELLS = 1 << 22

_EXCLUDED_REASON = "unknown {cols}: left out of this breakdown"


# --------------------------------------------------------------------------
# Per-document counts
# --------------------------------------------------------------------------


def _kept_passages(passages: pd.DataFrame) -> pd.DataFrame:
    validate_passages(passages)
    kept = passages["kept"]
    if kept.isna().any():
        raise ValueError("passages: column 'kept' has missing values")
    return passages.loc[kept.astype(bool)]


def _check_assignments(assignments: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    validate_assignments(assignments)
    if assignments["is_outlier"].isna().any():
        raise ValueError("assignments: column 'is_outlier' has missing values")
    kept_ids = set(kept["passage_id"])
    stray = sorted(set(assignments["passage_id"]) - kept_ids)
    if stray:
        raise ValueError(
            f"assignments: {len(stray)} passage_id(s) are not kept passages "
            f"(e.g. {', '.join(map(str, stray[:3]))})"
        )
    missing = sorted(kept_ids - set(assignments["passage_id"]))
    if missing:
        raise ValueError(
            f"assignments: {len(missing)} kept passage(s) have no assignment "
            f"(e.g. {', '.join(map(str, missing[:3]))})"
        )
    is_outlier = assignments["is_outlier"].astype(bool)
    if assignments.loc[~is_outlier, "theme"].isna().any():
        raise ValueError("assignments: a passage that is not an outlier has no theme")
    if (assignments.loc[~is_outlier, "theme"] == OUTLIER_THEME).any():
        raise ValueError(f"assignments: theme name {OUTLIER_THEME!r} is reserved for outliers")
    return assignments.assign(is_outlier=is_outlier)


def _count_matrix(
    assignments: pd.DataFrame, kept: pd.DataFrame, include_outliers: bool
) -> tuple[pd.DataFrame, pd.Series]:
    """Wide counts (documents x themes, sorted both ways) and kept passages per document."""
    assignments = _check_assignments(assignments, kept)
    merged = kept[["passage_id", "doc_id"]].merge(
        assignments[["passage_id", "theme", "is_outlier"]], on="passage_id", validate="1:1"
    )
    theme = merged["theme"].astype(object).where(~merged["is_outlier"], OUTLIER_THEME)
    themes = sorted(set(theme[~merged["is_outlier"]]))
    if include_outliers and merged["is_outlier"].any():
        themes = sorted([*themes, OUTLIER_THEME])
    doc_ids = sorted(set(merged["doc_id"]))
    counts = (
        merged.assign(theme=theme)
        .groupby(["doc_id", "theme"], sort=True)
        .size()
        .unstack(fill_value=0)
        .reindex(index=doc_ids, columns=themes, fill_value=0)
        .astype(np.int64)
    )
    totals = merged.groupby("doc_id").size().reindex(doc_ids).astype(np.int64)
    return counts, totals


def _discussed(assignments: pd.DataFrame, matrix: pd.DataFrame) -> np.ndarray:
    """Documents x themes (as ``matrix``): 1 where a passage of the document also discusses the theme.

    The ``also_discusses`` column of the assignments (lists of theme names:
    codebook themes a passage shows evidence of besides its own) is optional;
    without it nothing is added.
    """
    out = np.zeros(matrix.shape, dtype=np.int64)
    if "also_discusses" not in assignments.columns:
        return out
    doc_of = assignments["passage_id"].map(lambda pid: str(pid).rsplit(":", 1)[0])
    col = {t: j for j, t in enumerate(matrix.columns)}
    row = {d: i for i, d in enumerate(matrix.index)}
    for doc, themes in zip(doc_of, assignments["also_discusses"]):
        for theme in (themes if isinstance(themes, list | tuple | np.ndarray) else ()):
            if theme in col and doc in row:
                out[row[doc], col[theme]] = 1
    return out


def theme_counts_by_document(
    assignments: pd.DataFrame,
    passages: pd.DataFrame,
    *,
    include_outliers: bool = False,
) -> pd.DataFrame:
    """Count each document's kept passages per theme.

    Parameters
    ----------
    assignments : DataFrame
        ``assignments`` table (``passage_id, theme_id, theme, probability,
        is_outlier``), one row per kept passage.
    passages : DataFrame
        ``passages`` table; only rows with ``kept`` True are used.
    include_outliers : bool, default False
        Report outlier passages as the pseudo-theme :data:`OUTLIER_THEME`.
        Outliers count in ``n_passages`` either way.

    Returns
    -------
    DataFrame
        Columns ``doc_id, theme, n, n_passages``: one row per document with
        kept passages and per theme (zeros included), sorted by ``doc_id``
        then ``theme``. ``n`` is the number of the document's kept passages in
        the theme, ``n_passages`` the number of its kept passages.
    """
    counts, totals = _count_matrix(assignments, _kept_passages(passages), include_outliers)
    long = counts.stack().rename("n").reset_index()
    long.columns = ["doc_id", "theme", "n"]
    long = long.astype({"doc_id": "str", "theme": "str", "n": "int64"})
    long["n_passages"] = long["doc_id"].map(totals).astype("int64")
    return long.sort_values(["doc_id", "theme"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------
# Document groups
# --------------------------------------------------------------------------


def _as_partner_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, np.ndarray, pd.api.extensions.ExtensionArray)):
        out: list[str] = []
        for item in value:
            if item is None or (not isinstance(item, str) and pd.isna(item)):
                continue
            if str(item) not in out:
                out.append(str(item))
        return out
    if value is None or pd.isna(value):
        return []
    raise ValueError(f"partners: expected a list of country names, got {value!r}")


def _hashable(value: object) -> object:
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(_hashable(v) for v in value)
    if value is None or (np.isscalar(value) and pd.isna(value)) or value is pd.NA:
        return None
    return value


def _per_document(passages: pd.DataFrame, column: str) -> pd.Series:
    """One value of a document-level passage column per document, checked constant."""
    ordered = passages.sort_values(["doc_id", "position"], kind="stable")
    keys = ordered[column].map(_hashable)
    n_distinct = keys.groupby(ordered["doc_id"].to_numpy()).nunique(dropna=False)
    varying = sorted(n_distinct.index[n_distinct > 1])
    if varying:
        raise ValueError(
            f"passages: column {column!r} varies within document(s) "
            f"{', '.join(map(str, varying[:3]))}; it must be a document-level column"
        )
    first = ordered.drop_duplicates("doc_id")
    return pd.Series(first[column].array, index=first["doc_id"].to_numpy(), name=column)


def _lookup(
    column: str, doc_ids: list, kept: pd.DataFrame, group_columns: pd.DataFrame | None
) -> tuple[str, pd.Series]:
    """Find a grouping column; return (source column name, values indexed by doc_id)."""
    candidates = [column] if column != "partner" else ["partner", "partners"]
    for name in candidates:
        if group_columns is not None and name in group_columns.columns:
            values = group_columns.set_index("doc_id")[name]
            return name, values.reindex(doc_ids)
        if name in kept.columns:
            return name, _per_document(kept, name).reindex(doc_ids)
    where = "passages" if group_columns is None else "passages or group_columns"
    raise ValueError(f"by: column {column!r} is not a column of {where}")


def _check_group_columns(group_columns: pd.DataFrame | None) -> None:
    if group_columns is None:
        return
    if "doc_id" not in group_columns.columns:
        raise ValueError("group_columns: missing column doc_id")
    dup = group_columns["doc_id"][group_columns["doc_id"].duplicated()]
    if len(dup):
        raise ValueError(
            "group_columns: doc_id is not unique "
            f"(repeated: {', '.join(map(str, sorted(set(dup))[:5]))})"
        )


def _normalise_by(by: str | Sequence[str]) -> tuple[str, ...]:
    by = (by,) if isinstance(by, str) else tuple(by)
    if not by:
        raise ValueError("by: give at least one grouping column")
    if len(set(by)) != len(by):
        raise ValueError(f"by: repeated column in {by}")
    if "doc_id" in by or "theme" in by:
        raise ValueError("by: cannot group by doc_id or theme")
    return by


def _resolve_groups(
    kept: pd.DataFrame, by: tuple[str, ...], group_columns: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (groups, unknown): doc x group rows, and per-document unknown columns."""
    _check_group_columns(group_columns)
    doc_ids = sorted(set(kept["doc_id"]))
    table = pd.DataFrame({"doc_id": doc_ids})
    unknown = pd.DataFrame({"doc_id": doc_ids})
    explode = False
    for column in by:
        source, values = _lookup(column, doc_ids, kept, group_columns)
        if column == "partner" and source == "partners":
            lists = [_as_partner_list(v) for v in values.to_numpy()]
            table[column] = lists
            unknown[column] = [len(v) == 0 for v in lists]
            explode = True
        else:
            table[column] = values.array
            unknown[column] = values.isna().to_numpy()
    known = ~unknown[list(by)].any(axis=1)
    groups = table.loc[known.to_numpy()]
    if explode:
        groups = groups.explode("partner")
        groups["partner"] = groups["partner"].astype("str")
    groups = groups.sort_values([*by, "doc_id"], kind="stable").reset_index(drop=True)
    return groups, unknown


def document_groups(
    passages: pd.DataFrame,
    *,
    by: str | Sequence[str],
    group_columns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Map each document with kept passages to its group(s).

    Parameters
    ----------
    passages : DataFrame
        ``passages`` table; documents with at least one kept passage are used.
    by : str or sequence of str
        Grouping columns. ``"partner"`` explodes the ``partners`` list, so a
        document with several partners has one row per partner. Any other
        name is a document-level column, taken from ``group_columns`` when it
        has it, else from ``passages`` (where it must be constant within each
        document).
    group_columns : DataFrame, optional
        Document-level columns keyed by a unique ``doc_id`` (e.g. the
        ``documents`` table, or a table of labels). A document absent from it
        has unknown values.

    Returns
    -------
    DataFrame
        Columns ``doc_id`` and the ``by`` columns, one row per (document,
        group), sorted by the ``by`` columns then ``doc_id``. Documents with
        an unknown value in any ``by`` column are left out; see
        :func:`excluded_counts`.
    """
    by = _normalise_by(by)
    groups, _ = _resolve_groups(_kept_passages(passages), by, group_columns)
    return groups[["doc_id", *by]]


def excluded_counts(
    passages: pd.DataFrame,
    *,
    by: str | Sequence[str],
    group_columns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Count the documents and passages a breakdown leaves out.

    Parameters
    ----------
    passages, by, group_columns
        As in :func:`document_groups`.

    Returns
    -------
    DataFrame
        Columns ``missing, documents, passages, reason``: one row per pattern
        of unknown grouping columns (``missing`` names them, comma-separated,
        in the order of ``by``), with the number of documents and of their
        kept passages; no rows when nothing is left out. Patterns are
        disjoint, so the columns sum to the totals.
    """
    by = _normalise_by(by)
    kept = _kept_passages(passages)
    _, unknown = _resolve_groups(kept, by, group_columns)
    per_doc = kept.groupby("doc_id").size()
    missing = (
        unknown[list(by)].apply(lambda row: ", ".join(c for c in by if row[c]), axis=1)
        if len(unknown)
        else pd.Series([], dtype="str")
    )
    rows = []
    for pattern in sorted(set(missing) - {""}):
        docs = unknown.loc[(missing == pattern).to_numpy(), "doc_id"]
        rows.append(
            {
                "missing": pattern,
                "documents": len(docs),
                "passages": int(per_doc.reindex(docs).sum()),
                "reason": _EXCLUDED_REASON.format(cols=pattern.replace(", ", " and ")),
            }
        )
    out = pd.DataFrame(rows, columns=["missing", "documents", "passages", "reason"])
    return out.astype(
        {"missing": "str", "documents": "int64", "passages": "int64", "reason": "str"}
    )


# --------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------


def _group_rng(seed: int, key: Iterable[object], by: tuple[str, ...]) -> np.random.Generator:
    """A random stream that depends only on the seed and the group key."""
    parts = []
    for column, value in zip(by, key, strict=True):
        if isinstance(value, (int, np.integer)):
            value = int(value)
        parts.append(f"{column}={value}")
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    words = [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([seed, *words]))


def _bootstrap_interval(
    counts: np.ndarray,
    totals: np.ndarray,
    *,
    n_boot: int,
    rng: np.random.Generator,
    ci: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ratio shares under resampling of documents.

    Parameters
    ----------
    counts : ndarray of shape (n_docs, n_themes)
        Per-document numerators (theme passages, or 0/1 for documents).
    totals : ndarray of shape (n_docs,)
        Per-document denominators (kept passages, or 1 for documents).

    Returns
    -------
    (ndarray of shape (n_themes,), ndarray of shape (n_themes,))
        Lower and upper percentile bounds of ``sum(w * counts) / sum(w * totals)``
        over ``n_boot`` replicate weight vectors ``w`` (draw counts of each
        document when ``n_docs`` documents are drawn with replacement).
    """
    n_docs, n_themes = counts.shape
    values = counts.astype(np.float64)
    denom = totals.astype(np.float64)
    shares = np.empty((n_boot, n_themes))
    block = max(1, _BLOCK_CELLS // n_docs)
    for start in range(0, n_boot, block):
        m = min(block, n_boot - start)
        idx = rng.integers(0, n_docs, size=(m, n_docs))
        flat = (idx + (np.arange(m) * n_docs)[:, None]).ravel()
        weights = np.bincount(flat, minlength=m * n_docs).reshape(m, n_docs).astype(np.float64)
        shares[start : start + m] = (weights @ values) / (weights @ denom)[:, None]
    alpha = (1.0 - ci) / 2.0
    low, high = np.quantile(shares, [alpha, 1.0 - alpha], axis=0)
    return low, high


# --------------------------------------------------------------------------
# Prevalence
# --------------------------------------------------------------------------


def _check_options(unit: str, n_boot: int, seed: int, min_group_size: int, ci: float) -> None:
    if unit not in UNITS:
        raise ValueError(f"unit: expected one of {UNITS}, got {unit!r}")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot: expected a positive integer, got {n_boot!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    if not isinstance(min_group_size, (int, np.integer)) or min_group_size < 1:
        raise ValueError(f"min_group_size: expected a positive integer, got {min_group_size!r}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci: expected a level between 0 and 1, got {ci!r}")


def _group_estimate(
    counts: np.ndarray,
    totals: np.ndarray,
    *,
    unit: str,
    n_boot: int,
    rng: np.random.Generator,
    ci: float,
) -> dict[str, np.ndarray]:
    """Per-theme ``n, n_group, share, ci_low, ci_high`` for one group's documents.

    ``counts`` (n_docs, n_themes) holds theme passages and ``totals``
    (n_docs,) kept passages per document. A group of one document gets the
    degenerate interval ``[share, share]``.
    """
    if unit == "document":
        counts = (counts > 0).astype(np.int64)
        totals = np.ones_like(totals)
    n = counts.sum(axis=0)
    n_group = int(totals.sum())
    share = n / n_group
    if len(totals) == 1:
        low, high = share, share
    else:
        low, high = _bootstrap_interval(counts, totals, n_boot=n_boot, rng=rng, ci=ci)
    return {
        "n": n.astype(np.int64),
        "n_group": np.full(len(n), n_group, dtype=np.int64),
        "share": share,
        "ci_low": low,
        "ci_high": high,
    }


def compute_prevalence(
    assignments: pd.DataFrame,
    passages: pd.DataFrame,
    *,
    by: str | Sequence[str],
    unit: str,
    n_boot: int = 2000,
    seed: int = 0,
    min_group_size: int = 5,
    ci: float = 0.95,
    group_columns: pd.DataFrame | None = None,
    include_outliers: bool = False,
) -> pd.DataFrame:
    """Share of each group's passages or documents in each theme, with bootstrap intervals.

    Parameters
    ----------
    assignments : DataFrame
        ``assignments`` table, one row per kept passage. Outlier passages
        (``is_outlier`` True) count in the denominators and in no theme.
    passages : DataFrame
        ``passages`` table; only kept passages are used.
    by : str or sequence of str
        Grouping columns, e.g. ``("partner",)``, ``("year",)``,
        ``("partner", "year")`` or any document-level column; see
        :func:`document_groups`.
    unit : {"passage", "document"}
        ``"passage"``: share of the group's kept passages in the theme.
        ``"document"``: share of the group's documents (with kept passages)
        having at least one passage in the theme, or, when the assignments
        have an ``also_discusses`` column, one passage that discusses it.
    n_boot : int, default 2000
        Bootstrap replicates. Each group resamples its documents with
        replacement; the passage share of a replicate is the ratio of the
        resampled documents' theme passages to their passages.
    seed : int, default 0
        Seed; each group draws from a stream derived from the seed and the
        group key, so results do not depend on the order of groups.
    min_group_size : int, default 5
        Groups with fewer documents are flagged ``small_group`` (never dropped).
    ci : float, default 0.95
        Level of the percentile interval.
    group_columns : DataFrame, optional
        Document-level columns keyed by ``doc_id`` (e.g. ``documents``).
    include_outliers : bool, default False
        Also report outliers as the theme :data:`OUTLIER_THEME`.

    Returns
    -------
    DataFrame
        Columns ``unit, <by...>, theme, n, n_group, share, ci_low, ci_high,
        small_group``; one row per group and theme (zeros included), sorted
        by the ``by`` columns then ``theme``. ``share = n / n_group``. A group
        of one document has ``ci_low = ci_high = share``.
        ``attrs["excluded"]`` is ``{"documents": k, "passages": m, "reason": str}``
        for the documents left out because a grouping value is unknown.
    """
    by = _normalise_by(by)
    _check_options(unit, n_boot, seed, min_group_size, ci)
    kept = _kept_passages(passages)
    matrix, totals = _count_matrix(assignments, kept, include_outliers)
    groups, unknown = _resolve_groups(kept, by, group_columns)
    themes = list(matrix.columns)
    row_of = pd.Series(np.arange(len(matrix)), index=matrix.index)
    counts_all = matrix.to_numpy(dtype=np.int64).reshape(len(matrix), len(themes))
    if unit == "document":  # an article is in a theme when one of its passages belongs to it or discusses it
        counts_all = counts_all + _discussed(assignments, matrix)
    totals_all = totals.to_numpy(dtype=np.int64)

    frames = []
    grouped = groups.groupby(list(by), sort=True, dropna=False)
    for key, sub in tqdm(grouped, disable=not sys.stderr.isatty(), desc="prevalence groups"):
        key = key if isinstance(key, tuple) else (key,)
        rows = row_of.reindex(sub["doc_id"]).to_numpy()
        rng = _group_rng(int(seed), key, by)
        est = _group_estimate(
            counts_all[rows], totals_all[rows], unit=unit, n_boot=int(n_boot), rng=rng, ci=ci
        )
        frame = pd.DataFrame({"theme": themes, **est, "small_group": len(rows) < min_group_size})
        for column, value in zip(by, key, strict=True):
            frame[column] = value
        frames.append(frame)
    return _assemble(frames, groups, by, unit, _excluded_attr(kept, unknown, by))


def share_ranges(
    run_assignments: pd.DataFrame,
    passages: pd.DataFrame,
    *,
    by: str | Sequence[str],
    unit: str,
    group_columns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The lowest and highest share of each theme in each group across the fits of a consensus.

    A share computed on the consensus themes hides how much the clustering
    itself moves it. Each fit's themes (mapped to the consensus themes, see
    :meth:`coopthemes.ThemeModel.run_assignments`) give a share of their
    own; this returns their range, beside which the bootstrap interval over
    documents says how much the sampling of documents moves it.

    Parameters
    ----------
    run_assignments : DataFrame
        ``run, passage_id, theme_id, theme``: one row per fit and kept
        passage (``theme_id`` -1: no theme in that fit).
    passages, by, unit, group_columns
        As in :func:`compute_prevalence`.

    Returns
    -------
    DataFrame
        ``<by...>, theme, share_min, share_max``, sorted like :func:`compute_prevalence`.
    """
    by = _normalise_by(by)
    if unit not in UNITS:
        raise ValueError(f"unit: expected one of {UNITS}, got {unit!r}")
    kept = _kept_passages(passages)
    groups, _ = _resolve_groups(kept, by, group_columns)
    themes = sorted(set(run_assignments.loc[run_assignments["theme_id"] >= 0, "theme"].astype(str)))
    frames = []
    for _, run in run_assignments.groupby("run", sort=True):
        outlier = run["theme_id"].to_numpy() < 0
        assignments = pd.DataFrame({
            "passage_id": run["passage_id"].to_numpy(), "theme_id": run["theme_id"].to_numpy(),
            "theme": run["theme"].where(~outlier, OUTLIER_THEME).to_numpy(), "probability": 0.0,
            "is_outlier": outlier,
        })
        matrix, totals = _count_matrix(assignments, kept, False)
        matrix = matrix.reindex(columns=themes, fill_value=0)
        counts = matrix.to_numpy(dtype=np.int64).reshape(len(matrix), len(themes))
        if unit == "document":
            counts = counts + _discussed(run, matrix)
            counts, totals = (counts > 0).astype(np.int64), pd.Series(1, index=totals.index)
        row_of = pd.Series(np.arange(len(matrix)), index=matrix.index)
        for key, sub in groups.groupby(list(by), sort=True, dropna=False):
            key = key if isinstance(key, tuple) else (key,)
            rows = row_of.reindex(sub["doc_id"]).to_numpy()
            frame = pd.DataFrame({"theme": themes,
                                  "share": counts[rows].sum(axis=0) / float(totals.to_numpy()[rows].sum())})
            for column, value in zip(by, key, strict=True):
                frame[column] = value
            frames.append(frame)
    columns = [*by, "theme", "share_min", "share_max"]
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)
    out = table.groupby([*by, "theme"], sort=True, dropna=False)["share"].agg(["min", "max"]).reset_index()
    return out.rename(columns={"min": "share_min", "max": "share_max"})[columns]


def _excluded_attr(kept: pd.DataFrame, unknown: pd.DataFrame, by: tuple[str, ...]) -> dict:
    left_out = unknown.loc[unknown[list(by)].any(axis=1).to_numpy(), "doc_id"]
    n_passages = int(kept["doc_id"].isin(set(left_out)).sum())
    return {
        "documents": int(len(left_out)),
        "passages": n_passages,
        "reason": _EXCLUDED_REASON.format(cols=" or ".join(by)),
    }


def _assemble(
    frames: list[pd.DataFrame],
    groups: pd.DataFrame,
    by: tuple[str, ...],
    unit: str,
    excluded: dict,
) -> pd.DataFrame:
    columns = ["unit", *by, "theme", "n", "n_group", "share", "ci_low", "ci_high", "small_group"]
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = pd.DataFrame({c: [] for c in columns if c not in by})
        for column in by:
            out[column] = groups[column].iloc[:0]
    out["unit"] = unit
    for column in by:
        out[column] = out[column].astype(groups[column].dtype)
    out = out[columns].astype(
        {
            "unit": "str",
            "theme": "str",
            "n": "int64",
            "n_group": "int64",
            "share": "float64",
            "ci_low": "float64",
            "ci_high": "float64",
            "small_group": "bool",
        }
    )
    out = out.sort_values([*by, "theme"], kind="stable").reset_index(drop=True)
    out.attrs["excluded"] = excluded
    return out
