"""The model against the coders' consensus: precision, recall and F1 with bootstrap intervals.

Intervals are 95% percentile intervals of a seeded bootstrap that resamples
**clusters** of items: the documents, when items are passages (passages of
one article are not independent), else the items themselves. Resamples on
which a measure is undefined (no item predicted or coded with the theme) are
left out of its interval; a measure undefined on the full sample is missing.

Counts (``tp``, ``fp``, ``fn``, ``support``, ``predicted``) are items of the
sample. Precision, recall and F1 are weighted by the items' design weights
(stratum size over items drawn from it; see
:mod:`coopthemes.validation.sample`), so that they estimate the values on the
whole corpus; with equal weights (a census such as a fully coded corpus)
they are the plain ratios of the counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["bootstrap_counts", "binary_scores", "confusion_table", "interval", "set_scores"]

#: Label of the micro-averaged row.
MICRO = "micro"


def bootstrap_counts(clusters, *, n_boot: int = 2000, seed: int = 0) -> np.ndarray:
    """How often each item is drawn in each resample of a cluster bootstrap.

    Parameters
    ----------
    clusters : array-like of shape (n_items,)
        Cluster of each item (e.g. its document); items of one cluster are
        drawn together. Pass the item ids for a plain bootstrap.
    n_boot : int
        Resamples.
    seed : int

    Returns
    -------
    ndarray of float, shape (n_boot, n_items)
    """
    codes, index = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(codes), np.full(len(codes), 1.0 / len(codes)), size=n_boot) if len(codes) else \
        np.zeros((n_boot, 0))
    return draws[:, index].astype(float)


def interval(samples: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the defined (non-NaN) resamples; NaN when none is defined."""
    samples = np.asarray(samples, dtype=float)
    samples = samples[~np.isnan(samples)]
    if samples.size == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def _ratios(tp, fp, fn):
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    return precision, recall, f1


def binary_scores(truth: np.ndarray, predicted: np.ndarray, themes: list[str], *, mask: np.ndarray | None = None,
                  weights: np.ndarray | None = None, counts: np.ndarray | None = None,
                  micro_themes: list[str] | None = None) -> pd.DataFrame:
    """Precision, recall and F1 per theme, and micro-averaged, with bootstrap intervals.

    Parameters
    ----------
    truth, predicted : ndarray of bool, shape (n_items, n_themes)
        The consensus and the model, one column per theme.
    themes : list of str
        Codes of the columns.
    mask : ndarray of bool, shape (n_items, n_themes), optional
        Decisions to score (default all): a tie of the coders is False.
    weights : ndarray of shape (n_items,), optional
        Design weights (default 1).
    counts : ndarray of shape (n_boot, n_items), optional
        :func:`bootstrap_counts`; without it the intervals are missing.
    micro_themes : list of str, optional
        Themes pooled in the ``micro`` row (default all).

    Returns
    -------
    DataFrame
        One row per theme and a last row ``micro``: ``theme, n_scored,
        support, predicted, tp, fp, fn, precision, precision_low,
        precision_high, recall, recall_low, recall_high, f1, f1_low, f1_high``.
    """
    truth, predicted = np.asarray(truth, bool), np.asarray(predicted, bool)
    n_items, n_themes = truth.shape
    mask = np.ones_like(truth) if mask is None else np.asarray(mask, bool)
    w = np.ones(n_items) if weights is None else np.asarray(weights, float)
    tp_i = (truth & predicted & mask).astype(float)
    fp_i = (~truth & predicted & mask).astype(float)
    fn_i = (truth & ~predicted & mask).astype(float)
    pooled = [themes.index(t) for t in (micro_themes if micro_themes is not None else themes)]
    columns = {"tp": tp_i, "fp": fp_i, "fn": fn_i}
    columns = {k: np.column_stack([v, v[:, pooled].sum(axis=1)]) for k, v in columns.items()}
    weighted = {k: w @ v for k, v in columns.items()}
    point = _ratios(weighted["tp"], weighted["fp"], weighted["fn"])
    if counts is not None:
        boot = {k: (counts * w) @ v for k, v in columns.items()}
        resampled = _ratios(boot["tp"], boot["fp"], boot["fn"])
    rows = []
    for k, theme in enumerate([*themes, MICRO]):
        tp, fp, fn = (int(columns[c][:, k].sum()) for c in ("tp", "fp", "fn"))
        n_scored = int(mask.sum(axis=0)[k]) if k < n_themes else int(mask[:, pooled].sum())
        row = {"theme": theme, "n_scored": n_scored, "support": tp + fn, "predicted": tp + fp,
               "tp": tp, "fp": fp, "fn": fn}
        for name, values, index in zip(("precision", "recall", "f1"), point, range(3)):
            row[name] = float(values[k])
            low = high = float("nan")
            if counts is not None and not np.isnan(values[k]):
                low, high = interval(resampled[index][:, k])
            row[f"{name}_low"], row[f"{name}_high"] = low, high
        rows.append(row)
    return pd.DataFrame(rows)


def set_scores(predicted: list[set], truth: list[set], *, weights=None, counts: np.ndarray | None = None,
               what: str = "partners") -> pd.DataFrame:
    """Sets (e.g. partner countries) against the consensus sets: exact matches and pair precision/recall.

    Parameters
    ----------
    predicted, truth : list of set of str
        One set per scored item, aligned.
    weights : array-like of shape (n_items,), optional
    counts : ndarray of shape (n_boot, n_items), optional
    what : str
        Named in the ``measure`` column.

    Returns
    -------
    DataFrame
        Rows ``<what>_exact`` (share of items whose set is exactly right),
        ``<what>_precision`` and ``<what>_recall`` (over (item, member)
        pairs); columns ``measure, value, low, high, n, hits``.
    """
    n = len(truth)
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    exact = np.array([p == t for p, t in zip(predicted, truth)], float)
    tp = np.array([len(p & t) for p, t in zip(predicted, truth)], float)
    n_pred = np.array([len(p) for p in predicted], float)
    n_true = np.array([len(t) for t in truth], float)
    rows = []
    for measure, num, den, hits in ((f"{what}_exact", exact, np.ones(n), exact.sum()),
                                    (f"{what}_precision", tp, n_pred, tp.sum()),
                                    (f"{what}_recall", tp, n_true, tp.sum())):
        total = float(w @ den)
        value = float(w @ num) / total if total > 0 else float("nan")
        low = high = float("nan")
        if counts is not None and n and not np.isnan(value):
            cw = counts * w
            with np.errstate(invalid="ignore", divide="ignore"):
                den_b = cw @ den
                low, high = interval(np.where(den_b > 0, (cw @ num) / den_b, np.nan))
        rows.append({"measure": measure, "value": value, "low": low, "high": high, "n": int(den.sum()),
                     "hits": int(hits)})
    return pd.DataFrame(rows)


def confusion_table(model: pd.Series, consensus: pd.Series, order: list[str]) -> pd.DataFrame:
    """Items by the model's code (rows) and the consensus code (columns).

    Parameters
    ----------
    model, consensus : Series of str
        Aligned codes of the items scored (ties left out beforehand).
    order : list of str
        Codes in display order; only codes that occur are shown.

    Returns
    -------
    DataFrame
        ``model`` (the model's code) then one column per consensus code and
        ``total``; a last row ``total``. Counts are items of the sample.
    """
    present = [c for c in order if c in set(model) | set(consensus)]
    table = pd.crosstab(pd.Categorical(model, categories=present), pd.Categorical(consensus, categories=present),
                        dropna=False)
    table = table.reindex(index=present, columns=present, fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum(axis=0)
    table.index.name = "model"
    table.columns.name = None
    out = table.reset_index()
    out["model"] = out["model"].astype(str)
    return out.astype({c: "int64" for c in out.columns if c != "model"})
