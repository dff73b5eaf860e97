"""Regression of theme share on document covariates (partner, year).

The analogue of R stm's ``estimateEffect`` for hard theme assignments: for
each theme, a fractional logit (Papke and Wooldridge 1996) of each document's
share of kept passages in the theme on partner and year, fitted with
statsmodels as a binomial GLM on each document's (theme passages, other kept
passages), which is the fractional logit of the proportion with
``var_weights`` equal to the document's number of kept passages (outliers
count among them). Standard errors are clustered by document: exactly
heteroskedasticity-robust ``HC1`` when each document is one row, and
cluster-robust when a document with several partners appears once per
partner.

Besides the coefficients (logit scale, against a reference level), the table
gives for each level of a categorical covariate the *expected share*: the
passage-weighted mean predicted share if every document in the estimation
sample had that level, other covariates as observed, with a delta-method
interval computed on the logit scale.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from scipy.special import expit, logit
from tqdm.auto import tqdm

from .prevalence import document_groups, excluded_counts, theme_counts_by_document
from .schema import validate_documents

__all__ = ["EFFECT_COLUMNS", "QUANTITIES", "YEAR_AS", "estimate_effects"]

#: Columns of the table returned by :func:`estimate_effects`.
EFFECT_COLUMNS = (
    "theme",
    "quantity",
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_documents",
    "note",
)

#: Kinds of rows: model coefficients (logit scale), expected shares per
#: level, and one row per theme that could not be fitted.
QUANTITIES = ("coefficient", "expected_share", "skipped")

#: How ``year`` enters the model.
YEAR_AS = ("categorical", "linear")


_EMPTIED = "no document left with this level after removing separated levels; not estimable"


@dataclass(frozen=True)
class _Design:
    """Rows of the estimation sample and how each term is coded."""

    rows: pd.DataFrame  # doc_id, the term columns, n_passages
    categorical: tuple[str, ...]
    linear: tuple[str, ...]
    centre: dict[str, float]
    labels: dict[str, np.ndarray]  # categorical term -> level of each row, as text


def _build_design(
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    terms: tuple[str, ...],
    year_as: str,
    totals: pd.Series,
) -> _Design:
    rows = document_groups(passages, by=terms, group_columns=documents)
    rows = rows.assign(n_passages=rows["doc_id"].map(totals).astype("int64"))
    linear = ("year",) if year_as == "linear" and "year" in terms else ()
    centre = {}
    for term in linear:
        values = pd.to_numeric(rows[term]).astype("float64")
        rows[term] = values
        centre[term] = float(values.mean()) if len(values) else 0.0
    categorical = tuple(t for t in terms if t not in linear)
    labels = {t: rows[t].astype(str).to_numpy(dtype=object) for t in categorical}
    return _Design(rows, categorical, linear, centre, labels)


def _separated_levels(
    design: _Design, hits: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, list[tuple[str, str, float]]]:
    """Drop levels whose rows all have share 0 (or all 1): their logit is infinite.

    Returns the mask of rows kept and ``(term, level, limit share)`` for each
    dropped level. Repeats until no level of the remaining rows is separated.
    """
    active = np.ones(len(hits), dtype=bool)
    dropped: list[tuple[str, str, float]] = []
    changed = True
    while changed and active.any():
        changed = False
        for term in design.categorical:
            labels = design.labels[term]
            for level in sorted(set(labels[active])):
                mask = active & (labels == level)
                found, total = hits[mask].sum(), w[mask].sum()
                if found == 0 or found == total:
                    dropped.append((term, level, 0.0 if found == 0 else 1.0))
                    active &= ~mask
                    changed = True
    return active, dropped


def _matrix(
    design: _Design, active: np.ndarray, *, fixed: tuple[str, str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Design matrix (n_active, n_params): intercept, treatment dummies, centred linear terms.

    ``fixed=(term, level)`` sets that categorical term to one level in every row.
    """
    rows = design.rows.loc[active]
    columns, names = [np.ones(len(rows))], ["Intercept"]
    for term in design.categorical:
        labels = design.labels[term][active]
        levels = sorted(set(labels))
        if fixed is not None and fixed[0] == term:
            labels = np.full(len(labels), fixed[1], dtype=object)
        for level in levels[1:]:
            columns.append((labels == level).astype(np.float64))
            names.append(f"{term}={level}")
    for term in design.linear:
        columns.append(rows[term].to_numpy(dtype=np.float64) - design.centre[term])
        names.append(term)
    return np.column_stack(columns), names


def _fit(hits: np.ndarray, w: np.ndarray, X: np.ndarray, doc_ids: np.ndarray):
    """Fractional logit with document-clustered covariance; returns (result, warning notes).

    ``hits`` are theme passages and ``w`` kept passages per row: the binomial
    GLM on ``(hits, w - hits)`` has the same estimates and scores as the
    fractional logit of ``hits / w`` with ``var_weights=w``. Clustering by
    document with statsmodels' default correction ``G/(G-1) (N-1)/(N-K)`` is
    exactly HC1 when each document is one row (statsmodels' own ``"HC1"``
    for GLMs omits the ``N/(N-K)`` factor).
    """
    endog = np.column_stack([hits, w - hits])
    model = sm.GLM(endog, X, family=sm.families.Binomial())
    groups = pd.factorize(doc_ids, sort=True)[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(maxiter=100, cov_type="cluster", cov_kwds={"groups": groups})
    notes = sorted({f"{type(c.message).__name__}: {c.message}" for c in caught})
    return result, notes


def _expected_share(
    result, design: _Design, active: np.ndarray, w: np.ndarray, term: str, level: str
) -> tuple[float, float]:
    """Passage-weighted mean predicted share with ``term`` set to ``level``, and its SE.

    The standard error is the delta-method one from the model's covariance.
    """
    X, _ = _matrix(design, active, fixed=(term, level))
    beta, cov = np.asarray(result.params), np.asarray(result.cov_params())
    mu = expit(X @ beta)
    weights = w / w.sum()
    share = float(weights @ mu)
    grad = (weights * mu * (1.0 - mu)) @ X
    return share, float(np.sqrt(max(grad @ cov @ grad, 0.0)))


def _row(theme: str, quantity: str, term, n_docs: int, note=pd.NA, **values) -> dict:
    row = {c: pd.NA for c in EFFECT_COLUMNS}
    row.update(theme=theme, quantity=quantity, term=term, n_documents=n_docs, note=note)
    row.update(values)
    return row


def _coefficient_rows(theme, result, names, z, n_docs, notes) -> list[dict]:
    params, se, pvalues = (
        np.asarray(result.params),
        np.asarray(result.bse),
        np.asarray(result.pvalues),
    )
    note = "; ".join(notes) if notes else pd.NA
    return [
        _row(
            theme,
            "coefficient",
            name,
            n_docs,
            note,
            estimate=params[i],
            std_error=se[i],
            ci_low=params[i] - z * se[i],
            ci_high=params[i] + z * se[i],
            p_value=pvalues[i],
        )
        for i, name in enumerate(names)
    ]


def _share_rows(theme, result, design, active, w, dropped, z, n_docs) -> list[dict]:
    rows = []
    limits = {(t, lv): s for t, lv, s in dropped}
    for term in design.categorical:
        labels = design.labels[term]
        for level in sorted(set(labels)):
            name = f"{term}={level}"
            if (term, level) in limits:
                note = (
                    f"every document with {name} has share {limits[(term, level)]:g} (separation)"
                )
                rows.append(
                    _row(
                        theme, "expected_share", name, n_docs, note, estimate=limits[(term, level)]
                    )
                )
                continue
            if level not in set(labels[active]):
                rows.append(_row(theme, "expected_share", name, n_docs, _EMPTIED))
                continue
            share, se = _expected_share(result, design, active, w, term, level)
            half = z * se / (share * (1.0 - share)) if 0.0 < share < 1.0 else np.inf
            centre = logit(min(max(share, 1e-300), 1 - 1e-16))
            rows.append(
                _row(
                    theme,
                    "expected_share",
                    name,
                    n_docs,
                    estimate=share,
                    std_error=se,
                    ci_low=float(expit(centre - half)),
                    ci_high=float(expit(centre + half)),
                )
            )
    return rows


def _skip_note(hits: np.ndarray, w: np.ndarray, active: np.ndarray | None) -> str | None:
    """Why a theme cannot be fitted (on all rows, or on the ``active`` ones), or None."""
    if active is None:
        if not (hits > 0).any():
            return "theme is in no document of the estimation sample"
        if (hits == w).all():
            return "theme holds every passage of the estimation sample"
        return None
    if not active.any() or np.ptp(hits[active] / w[active]) == 0:
        return "no variation left after removing separated levels"
    return None


def _unestimable_rows(theme, design, active, dropped, n_docs) -> list[dict]:
    """Coefficient rows, with a note, for levels removed by separation or left empty."""
    rows = []
    for term, level, limit in dropped:
        note = f"every document with {term}={level} has share {limit:g} (separation); not estimable"
        rows.append(_row(theme, "coefficient", f"{term}={level}", n_docs, note))
    for term in design.categorical:
        labels = design.labels[term]
        separated = {lv for t, lv, _ in dropped if t == term}
        emptied = sorted(set(labels) - set(labels[active]) - separated)
        rows.extend(_row(theme, "coefficient", f"{term}={lv}", n_docs, _EMPTIED) for lv in emptied)
    return rows


def _theme_rows(theme: str, design: _Design, hits: np.ndarray, z: float) -> list[dict]:
    """Fit one theme from its passages per row; an unfittable theme gives one ``skipped`` row."""
    w = design.rows["n_passages"].to_numpy(dtype=np.int64)
    doc_ids = design.rows["doc_id"].to_numpy()
    note = _skip_note(hits, w, None)
    if note is not None:
        return [_row(theme, "skipped", pd.NA, len(set(doc_ids)), note)]
    active, dropped = _separated_levels(design, hits, w)
    n_docs = len(set(doc_ids[active]))
    note = _skip_note(hits, w, active)
    if note is None:
        X, names = _matrix(design, active)
        if X.shape[0] <= X.shape[1] or np.linalg.matrix_rank(X) < X.shape[1]:
            note = f"design is rank deficient or saturated ({X.shape[0]} rows, {X.shape[1]} terms)"
    if note is not None:
        return [_row(theme, "skipped", pd.NA, n_docs, note)]
    result, notes = _fit(hits[active], w[active], X, doc_ids[active])
    if not np.all(np.isfinite(np.asarray(result.bse))):
        return [_row(theme, "skipped", pd.NA, n_docs, "fit did not give finite standard errors")]
    rows = _coefficient_rows(theme, result, names, z, n_docs, notes)
    rows += _unestimable_rows(theme, design, active, dropped, n_docs)
    weights = w[active].astype(np.float64)
    return rows + _share_rows(theme, result, design, active, weights, dropped, z, n_docs)


def _check_options(terms: tuple[str, ...], year_as: str, ci: float) -> None:
    if not terms:
        raise ValueError("formula_terms: give at least one term")
    if year_as not in YEAR_AS:
        raise ValueError(f"year_as: expected one of {YEAR_AS}, got {year_as!r}")
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci: expected a level between 0 and 1, got {ci!r}")


def estimate_effects(
    assignments: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    formula_terms: Sequence[str] = ("partner", "year"),
    themes: Sequence[str] | None = None,
    year_as: str = "categorical",
    ci: float = 0.95,
) -> pd.DataFrame:
    """Fit, per theme, a fractional logit of document theme share on covariates.

    Parameters
    ----------
    assignments : DataFrame
        ``assignments`` table, one row per kept passage.
    passages : DataFrame
        ``passages`` table; each document's kept passages give its share
        ``n_theme / n_kept`` (outliers in the denominator) and its weight.
    documents : DataFrame
        ``documents`` table: source of ``year``, ``partners`` and any other
        document-level term. Documents with an unknown term are left out and
        counted in ``attrs["excluded"]``.
    formula_terms : sequence of str, default ("partner", "year")
        Additive terms. ``"partner"`` explodes ``partners`` (one row per
        partner, standard errors clustered by document); categorical terms
        use treatment coding against their first level (sorted) among the
        fitted rows.
    themes : sequence of str, optional
        Themes to fit; default every (non-outlier) theme, sorted.
    year_as : {"categorical", "linear"}, default "categorical"
        ``"linear"`` fits one slope per year (logit scale), year centred at
        its mean.
    ci : float, default 0.95
        Level of the Wald intervals.

    Returns
    -------
    DataFrame
        Columns ``theme, quantity, term, estimate, std_error, ci_low, ci_high,
        p_value, n_documents, note``. ``quantity`` is ``"coefficient"``
        (logit scale; ``term`` is ``"Intercept"``, ``"partner=Japan"``,
        ``"year=2020"`` or ``"year"``), ``"expected_share"`` (one row per
        level of each categorical term, ``term`` e.g. ``"partner=Japan"``) or
        ``"skipped"`` (a theme absent from the sample, or otherwise not
        estimable; ``note`` says why). A level whose documents all have share
        0 (or 1) is removed from the fit (separation), its coefficient left
        missing and its expected share given as that limit, with a note.
    """
    terms = tuple(formula_terms)
    _check_options(terms, year_as, ci)
    validate_documents(documents)
    counts = theme_counts_by_document(assignments, passages)
    kept = passages.loc[passages["kept"].astype(bool)]
    totals = kept.groupby("doc_id").size()
    design = _build_design(passages, documents, terms, year_as, totals)
    available = sorted(set(counts["theme"]))
    chosen = available if themes is None else list(themes)
    unknown = sorted(set(chosen) - set(available))
    if unknown:
        raise ValueError(f"themes: unknown theme(s) {unknown}; known: {available}")
    z = float(stats.norm.ppf(0.5 + ci / 2.0))
    wide = counts.pivot(index="doc_id", columns="theme", values="n")
    rows: list[dict] = []
    for theme in tqdm(chosen, disable=not sys.stderr.isatty(), desc="theme effects"):
        hits = design.rows["doc_id"].map(wide[theme]).to_numpy(dtype=np.int64)
        rows.extend(_theme_rows(theme, design, hits, z))
    return _assemble(rows, passages, documents, terms)


def _assemble(rows: list[dict], passages, documents, terms) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    out = out.astype(
        {
            "theme": "str",
            "quantity": "str",
            "term": pd.StringDtype(),
            "estimate": "Float64",
            "std_error": "Float64",
            "ci_low": "Float64",
            "ci_high": "Float64",
            "p_value": "Float64",
            "n_documents": "Int64",
            "note": pd.StringDtype(),
        }
    )
    excluded = excluded_counts(passages, by=terms, group_columns=documents)
    out.attrs["excluded"] = {
        "documents": int(excluded["documents"].sum()),
        "passages": int(excluded["passages"].sum()),
        "reason": f"unknown {' or '.join(terms)}: left out of the regression",
    }
    return out
