"""Agreement between coders and their consensus.

Point estimates come from maintained implementations: Cohen's kappa from
scikit-learn (:func:`sklearn.metrics.cohen_kappa_score`), Krippendorff's
alpha from the ``krippendorff`` package (nominal level). With more than two
coders, the kappa reported is Light's kappa, the mean of the pairwise Cohen
kappas. Per theme, agreement is on the binary decision "this theme /
not this theme". A measure that is undefined (every coder gave the same
single value, so that chance agreement is 1) is missing, never 0 or 1.

Intervals for the per-theme kappa come from the bootstrap of
:mod:`coopthemes.validation.scores` (the kappa formula applied to each
resample; checked against scikit-learn on the full sample in the tests).

Consensus (:func:`consensus_codes`, :func:`consensus_binary`): the code
chosen by more coders than any other; when two or more codes tie for the
most votes (with two coders: whenever they disagree) the item is a **tie**,
reported and left out of scoring, never resolved by guessing.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd

__all__ = [
    "agreement_by_theme",
    "agreement_overall",
    "cohen_kappa",
    "consensus_binary",
    "consensus_codes",
    "kappa_resamples",
    "krippendorff_alpha",
]


def cohen_kappa(a, b) -> float:
    """Cohen's kappa of two coders' labels (scikit-learn); NaN when undefined.

    Parameters
    ----------
    a, b : array-like of shape (n_items,)
        Labels (any hashable values), aligned by item.
    """
    from sklearn.metrics import cohen_kappa_score

    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if len(a) == 0 or len(set(a.tolist()) | set(b.tolist())) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(cohen_kappa_score(a.astype(str), b.astype(str)))
    return value


def light_kappa(labels: np.ndarray) -> float:
    """Mean of the pairwise Cohen kappas (Light's kappa) over coders; NaN when none is defined.

    Parameters
    ----------
    labels : ndarray of shape (n_coders, n_items)
    """
    values = [cohen_kappa(labels[i], labels[j]) for i, j in itertools.combinations(range(len(labels)), 2)]
    values = [v for v in values if not np.isnan(v)]
    return float(np.mean(values)) if values else float("nan")


def krippendorff_alpha(labels: np.ndarray) -> float:
    """Krippendorff's alpha, nominal (``krippendorff`` package); NaN when undefined.

    Parameters
    ----------
    labels : ndarray of shape (n_coders, n_items)
        Labels (any hashable values; None for a missing one).
    """
    import krippendorff

    values = sorted({str(v) for v in np.ravel(labels) if v is not None})
    if len(values) < 2:
        return float("nan")
    index = {v: i for i, v in enumerate(values)}
    data = np.array([[np.nan if v is None else index[str(v)] for v in row] for row in labels], dtype=float)
    try:
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except (ValueError, ZeroDivisionError):
        return float("nan")


def _percent_agreement(labels: np.ndarray) -> float:
    pairs = list(itertools.combinations(range(len(labels)), 2))
    if not pairs or labels.shape[1] == 0:
        return float("nan")
    return float(np.mean([np.mean(labels[i] == labels[j]) for i, j in pairs]))


def agreement_overall(labels: np.ndarray, *, what: str) -> pd.DataFrame:
    """Agreement over all items.

    Parameters
    ----------
    labels : ndarray of shape (n_coders, n_items)
        One label per coder and item (for several themes per item, the
        pooled binary decisions: one "item x theme" per column).
    what : str
        Names what was compared, for the ``compared`` column.

    Returns
    -------
    DataFrame
        Rows ``measure`` = ``cohen_kappa`` (two coders) or ``light_kappa``
        (more), ``krippendorff_alpha``, ``percent_agreement``; columns
        ``measure, value, n_items, n_coders, compared``.
    """
    n_coders, n_items = labels.shape
    kappa_name = "cohen_kappa" if n_coders == 2 else "light_kappa"
    kappa = cohen_kappa(labels[0], labels[1]) if n_coders == 2 else light_kappa(labels)
    rows = [(kappa_name, kappa), ("krippendorff_alpha", krippendorff_alpha(labels)),
            ("percent_agreement", _percent_agreement(labels))]
    return pd.DataFrame([{"measure": m, "value": v, "n_items": n_items, "n_coders": n_coders, "compared": what}
                         for m, v in rows])


def kappa_resamples(a: np.ndarray, b: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Binary Cohen's kappa of two coders on each bootstrap resample.

    Parameters
    ----------
    a, b : ndarray of bool, shape (n_items,)
    counts : ndarray of shape (n_boot, n_items)
        How often each item is drawn in each resample.

    Returns
    -------
    ndarray of shape (n_boot,)
        NaN where the kappa is undefined on a resample.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pa, pb = counts @ a / n, counts @ b / n
        po = counts @ (a == b).astype(float) / n
        pe = pa * pb + (1 - pa) * (1 - pb)
        kappa = (po - pe) / (1 - pe)
    kappa[np.isclose(pe, 1.0)] = np.nan
    return kappa


def agreement_by_theme(indicators: np.ndarray, themes: list[str], *, counts: np.ndarray | None = None,
                       mask: np.ndarray | None = None) -> pd.DataFrame:
    """Per-theme agreement on the binary decision "this theme or not".

    Parameters
    ----------
    indicators : ndarray of bool, shape (n_coders, n_items, n_themes)
    themes : list of str
        The theme codes, one per last axis.
    counts : ndarray of shape (n_boot, n_items), optional
        Bootstrap resamples (:func:`~coopthemes.validation.scores.bootstrap_counts`)
        for intervals of the kappa (Cohen's for two coders, Light's for more).
    mask : ndarray of bool, shape (n_items,), optional
        Items to use (default: all).

    Returns
    -------
    DataFrame
        One row per theme: ``theme, n_items, coded_<k>`` (items each coder
        gave the theme; ``k`` = 1, 2, ...), ``kappa, kappa_low, kappa_high,
        alpha, percent_agreement``.
    """
    n_coders, n_items, _ = indicators.shape
    keep = np.ones(n_items, bool) if mask is None else np.asarray(mask, bool)
    rows = []
    for k, theme in enumerate(themes):
        labels = indicators[:, keep, k]
        row = {"theme": theme, "n_items": int(keep.sum())}
        row.update({f"coded_{c + 1}": int(labels[c].sum()) for c in range(n_coders)})
        row["kappa"] = cohen_kappa(labels[0], labels[1]) if n_coders == 2 else light_kappa(labels)
        low = high = float("nan")
        if counts is not None and not np.isnan(row["kappa"]):
            from .scores import interval

            pairs = itertools.combinations(range(n_coders), 2)
            boot = np.array([kappa_resamples(labels[i], labels[j], counts[:, keep]) for i, j in pairs])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # resamples where no pair is defined
                low, high = interval(np.nanmean(boot, axis=0))
        row["kappa_low"], row["kappa_high"] = low, high
        row["alpha"] = krippendorff_alpha(labels)
        row["percent_agreement"] = _percent_agreement(labels)
        rows.append(row)
    return pd.DataFrame(rows)


def consensus_codes(labels: pd.DataFrame) -> pd.DataFrame:
    """The coders' consensus per item, one code each.

    Parameters
    ----------
    labels : DataFrame
        Index: item ids; one column per coder; values: a code each.

    Returns
    -------
    DataFrame
        Same index; ``consensus`` (None for a tie), ``votes`` (coders who
        chose it), ``tie`` (bool).
    """
    out = []
    for _, row in labels.iterrows():
        counts = pd.Series(row.to_numpy()).value_counts()
        top = counts[counts == counts.max()]
        tie = len(top) > 1
        out.append({"consensus": None if tie else str(top.index[0]), "votes": int(counts.max()), "tie": tie})
    return pd.DataFrame(out, index=labels.index)


def consensus_binary(indicators: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Majority per item and theme of binary decisions.

    Parameters
    ----------
    indicators : ndarray of bool, shape (n_coders, n_items, n_themes)

    Returns
    -------
    consensus : ndarray of bool, shape (n_items, n_themes)
        True where more coders said yes than no.
    tie : ndarray of bool, shape (n_items, n_themes)
        True where as many said yes as no (with two coders: where they
        disagree); those decisions are left out of scoring.
    """
    yes = indicators.sum(axis=0)
    no = indicators.shape[0] - yes
    return yes > no, yes == no
