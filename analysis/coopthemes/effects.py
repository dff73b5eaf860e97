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
interval computed on the logit scale. As in stm's ``plot.estimateEffect``,
it also gives:

- *differences* between levels of the group (``method = "difference"``):
  the difference of two expected shares, with a delta-method interval from
  the model's covariance (per comparison, not adjusted for multiplicity);
- a *year effect* as stm's ``s(year)``: year enters as a cubic B-spline
  with at most :data:`SMOOTH_DF` degrees of freedom (fewer with fewer
  distinct years; with two years it is linear), and the expected share is
  given for every year from the first to the last. A linear year gives the
  same per-year curve; a categorical year one share per observed year.
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

__all__ = ["EFFECT_COLUMNS", "QUANTITIES", "SMOOTH_DF", "YEAR_AS", "contrast_levels", "estimate_effects"]

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
#: level (and per year), differences of two levels' expected shares, and one
#: row per theme that could not be fitted.
QUANTITIES = ("coefficient", "expected_share", "difference", "skipped")

#: How ``year`` enters the model.
YEAR_AS = ("categorical", "linear", "smooth")

#: Most degrees of freedom of the smooth year effect (cubic B-spline).
SMOOTH_DF = 4


_EMPTIED = "no document left with this level after removing separated levels; not estimable"


@dataclass(frozen=True)
class _Design:
    """Rows of the estimation sample and how each term is coded."""

    rows: pd.DataFrame  # doc_id, the term columns, n_passages
    categorical: tuple[str, ...]
    linear: tuple[str, ...]
    centre: dict[str, float]
    labels: dict[str, np.ndarray]  # categorical term -> level of each row, as text
    spline: dict[str, tuple[np.ndarray, int]]  # smooth term -> (knots, degree)
    span: dict[str, tuple[int, int]]  # numeric term -> first and last value

    def basis(self, term: str, values: np.ndarray) -> np.ndarray:
        """Columns of a numeric term at ``values``: centred value, or B-spline basis without its first function."""
        if term in self.spline:
            from scipy.interpolate import BSpline

            knots, degree = self.spline[term]
            x = np.clip(np.asarray(values, dtype=np.float64), knots[0], knots[-1])
            return BSpline.design_matrix(x, knots, degree).toarray()[:, 1:]
        return (np.asarray(values, dtype=np.float64) - self.centre[term])[:, None]

    def names(self, term: str) -> list[str]:
        if term in self.spline:
            knots, degree = self.spline[term]
            return [f"{term}:bs{j}" for j in range(1, len(knots) - degree - 1)]
        return [term]


def _spline_knots(values: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Knots of a cubic (or lower) B-spline with at most :data:`SMOOTH_DF` degrees of freedom; None: linear.

    Interior knots sit at quantiles of the distinct values, so that a decade
    with one busy year bends where the years are.
    """
    distinct = np.unique(values)
    df = min(SMOOTH_DF, len(distinct) - 1)
    if df < 2:
        return None
    degree = min(3, df)
    inner = np.quantile(distinct, np.linspace(0.0, 1.0, df - degree + 2)[1:-1])
    lo, hi = float(distinct[0]), float(distinct[-1])
    return np.concatenate([[lo] * (degree + 1), inner, [hi] * (degree + 1)]), degree


def _build_design(
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    terms: tuple[str, ...],
    year_as: str,
    totals: pd.Series,
) -> _Design:
    rows = document_groups(passages, by=terms, group_columns=documents)
    rows = rows.assign(n_passages=rows["doc_id"].map(totals).astype("int64"))
    linear = ("year",) if year_as in ("linear", "smooth") and "year" in terms else ()
    centre, spline, span = {}, {}, {}
    for term in linear:
        values = pd.to_numeric(rows[term]).astype("float64")
        rows[term] = values
        centre[term] = float(values.mean()) if len(values) else 0.0
        if len(values):
            span[term] = (int(values.min()), int(values.max()))
        knots = _spline_knots(values.to_numpy()) if year_as == "smooth" and len(values) else None
        if knots is not None:
            spline[term] = knots
    categorical = tuple(t for t in terms if t not in linear)
    labels = {t: rows[t].astype(str).to_numpy(dtype=object) for t in categorical}
    return _Design(rows, categorical, linear, centre, labels, spline, span)


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
    design: _Design, active: np.ndarray, *, fixed: tuple[str, object] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Design matrix (n_active, n_params): intercept, treatment dummies, numeric terms' columns.

    ``fixed=(term, level)`` sets that term (categorical or numeric) to one value in every row.
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
        values = rows[term].to_numpy(dtype=np.float64)
        if fixed is not None and fixed[0] == term:
            values = np.full(len(values), float(fixed[1]))
        columns.extend(design.basis(term, values).T)
        names.extend(design.names(term))
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
    result, design: _Design, active: np.ndarray, w: np.ndarray, term: str, level
) -> tuple[float, np.ndarray]:
    """Passage-weighted mean predicted share with ``term`` set to ``level``, and its gradient in the parameters.

    The delta-method variance of any linear combination of such shares is
    ``g' V g`` with ``V`` the model's (clustered) covariance.
    """
    X, _ = _matrix(design, active, fixed=(term, level))
    mu = expit(X @ np.asarray(result.params))
    weights = w / w.sum()
    return float(weights @ mu), (weights * mu * (1.0 - mu)) @ X


def _delta_se(result, grad: np.ndarray) -> float:
    return float(np.sqrt(max(grad @ np.asarray(result.cov_params()) @ grad, 0.0)))


def _level_shares(result, design: _Design, active: np.ndarray, w: np.ndarray) -> dict[str, tuple[float, np.ndarray]]:
    """Expected share and its gradient of every level of a categorical term left in the fit, by ``term=level``."""
    return {f"{term}={level}": _expected_share(result, design, active, w, term, level)
            for term in design.categorical for level in sorted(set(design.labels[term][active]))}


def _share_row(theme, result, share_grad, name, z, n_docs) -> dict:
    """An expected share with its delta-method interval, computed on the logit scale (stays in [0, 1])."""
    share, grad = share_grad
    se = _delta_se(result, grad)
    half = z * se / (share * (1.0 - share)) if 0.0 < share < 1.0 else np.inf
    centre = logit(min(max(share, 1e-300), 1 - 1e-16))
    return _row(theme, "expected_share", name, n_docs, estimate=share, std_error=se,
                ci_low=float(expit(centre - half)), ci_high=float(expit(centre + half)))


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


def _share_rows(theme, result, design, active, w, shares, dropped, z, n_docs) -> list[dict]:
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
            if name not in shares:
                rows.append(_row(theme, "expected_share", name, n_docs, _EMPTIED))
                continue
            rows.append(_share_row(theme, result, shares[name], name, z, n_docs))
    for term in design.linear:  # the year effect: every year from the first to the last
        first, last = design.span[term]
        rows.extend(_share_row(theme, result, _expected_share(result, design, active, w, term, float(value)),
                               f"{term}={value}", z, n_docs) for value in range(first, last + 1))
    return rows


def _difference_rows(theme, result, shares, dropped, contrasts, z, n_docs) -> list[dict]:
    """Differences of two levels' expected shares, with delta-method (Wald) intervals and p-values."""
    rows = []
    separated = {f"{t}={lv}" for t, lv, _ in dropped}
    for a, b in contrasts:
        name = f"{a} - {b}"
        missing = [f"{side} is separated (every document has the same share)" if side in separated
                   else f"{side} has no document in the fit" for side in (a, b) if side not in shares]
        if missing:
            rows.append(_row(theme, "difference", name, n_docs, "; ".join(missing) + "; not estimable"))
            continue
        (sa, ga), (sb, gb) = shares[a], shares[b]
        diff, se = sa - sb, _delta_se(result, ga - gb)
        p_value = float(2.0 * stats.norm.sf(abs(diff) / se)) if se > 0 else np.nan
        rows.append(_row(theme, "difference", name, n_docs, estimate=diff, std_error=se,
                         ci_low=max(-1.0, diff - z * se), ci_high=min(1.0, diff + z * se), p_value=p_value))
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


def _theme_rows(theme: str, design: _Design, hits: np.ndarray, z: float,
                contrasts: Sequence[tuple[str, str]] = ()) -> list[dict]:
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
    shares = _level_shares(result, design, active, weights)
    rows += _share_rows(theme, result, design, active, weights, shares, dropped, z, n_docs)
    return rows + _difference_rows(theme, result, shares, dropped, contrasts, z, n_docs)


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
    compare: Sequence[str] | int = 4,
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
    year_as : {"categorical", "linear", "smooth"}, default "categorical"
        ``"linear"`` fits one slope per year (logit scale), year centred at
        its mean; ``"smooth"`` a cubic B-spline of year with at most
        :data:`SMOOTH_DF` degrees of freedom (stm's ``s(year)``; coefficient
        terms ``year:bs1``...). Both give the expected share for every year
        from the first to the last (terms ``year=2020``...).
    compare : sequence of str or int, default 4
        Levels of the group (the first categorical term other than year)
        whose expected shares are differenced pairwise (``quantity ==
        "difference"``, term ``"partner=A - partner=B"``): the levels named,
        in that order, or that many levels with the most documents in the
        estimation sample (ties by name). 0 or an empty list: none.
    ci : float, default 0.95
        Level of the Wald intervals.

    Returns
    -------
    DataFrame
        Columns ``theme, quantity, term, estimate, std_error, ci_low, ci_high,
        p_value, n_documents, note``. ``quantity`` is ``"coefficient"``
        (logit scale; ``term`` is ``"Intercept"``, ``"partner=Japan"``,
        ``"year=2020"`` or ``"year"``), ``"expected_share"`` (one row per
        level of each categorical term, ``term`` e.g. ``"partner=Japan"``,
        and per year of a linear or smooth year), ``"difference"`` (expected
        share of the first level minus that of the second, with a Wald
        interval and p-value per comparison, not adjusted for multiplicity)
        or ``"skipped"`` (a theme absent from the sample, or otherwise not
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
    levels = contrast_levels(design.rows, design.labels, design.categorical, compare)
    contrasts = [(a, b) for i, a in enumerate(levels) for b in levels[i + 1:]]
    wide = counts.pivot(index="doc_id", columns="theme", values="n")
    rows: list[dict] = []
    for theme in tqdm(chosen, disable=not sys.stderr.isatty(), desc="theme effects"):
        hits = design.rows["doc_id"].map(wide[theme]).to_numpy(dtype=np.int64)
        rows.extend(_theme_rows(theme, design, hits, z, contrasts))
    return _assemble(rows, passages, documents, terms)


def contrast_levels(rows: pd.DataFrame, labels: dict[str, np.ndarray], categorical: Sequence[str],
                    compare: Sequence[str] | int) -> list[str]:
    """The group's levels to difference pairwise, as terms (``partner=Japan``); see :func:`estimate_effects`."""
    groups = [t for t in categorical if t != "year"]
    if not groups or isinstance(compare, int) and compare < 2:
        return []
    term, values = groups[0], labels[groups[0]]
    documents = pd.Series(rows["doc_id"].to_numpy()).groupby(values).nunique()
    if isinstance(compare, int):
        ranked = sorted(documents.index, key=lambda level: (-int(documents[level]), str(level)))
        return [f"{term}={level}" for level in ranked[:compare]]
    named = [str(level) for level in compare]
    unknown = [level for level in named if level not in documents.index]
    if unknown:
        raise ValueError(f"compare: {term} level(s) {unknown} not in the estimation sample; "
                         f"known: {sorted(map(str, documents.index))}")
    return [f"{term}={level}" for level in dict.fromkeys(named)] if len(named) >= 2 else []


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
