"""Summary tables of a loaded corpus, for the command line and notebooks."""

from __future__ import annotations

import pandas as pd

from ..schema import DROP_REASONS, STATUSES

__all__ = ["summarize_corpus"]


def _documents_by_group(documents: pd.DataFrame) -> pd.DataFrame:
    ok = documents[documents["status"] == "ok"]
    rows = []
    for language, partners, year in zip(ok["language"], ok["partners"], ok["year"]):
        for partner in list(partners) or [pd.NA]:
            rows.append((language, partner, year))
    table = pd.DataFrame(rows, columns=["language", "partner", "year"])
    table = table.astype({"language": "string", "partner": "string", "year": "Int64"})
    counts = table.groupby(["language", "partner", "year"], dropna=False).size()
    out = counts.rename("n_documents").reset_index()
    return out.sort_values(["language", "partner", "year"], na_position="last").reset_index(drop=True)


def _passages_by_outcome(passages: pd.DataFrame) -> pd.DataFrame:
    outcome = passages["drop_reason"].astype("string").fillna("kept")
    counts = outcome.value_counts()
    order = ["kept", *DROP_REASONS, *sorted(set(counts.index) - {"kept", *DROP_REASONS})]
    rows = [(name, int(counts.get(name, 0))) for name in order if counts.get(name, 0)]
    return pd.DataFrame(rows, columns=["outcome", "n_passages"])


def _documents_by_status(documents: pd.DataFrame) -> pd.DataFrame:
    counts = documents["status"].value_counts()
    rows = [(s, int(counts.get(s, 0))) for s in STATUSES]
    return pd.DataFrame(rows, columns=["status", "n_documents"])


def _documents_by_scope(documents: pd.DataFrame) -> pd.DataFrame:
    ok = documents[documents["status"] == "ok"]
    if "in_scope" not in ok.columns:
        return pd.DataFrame({"scope": ["not decided"], "n_documents": [len(ok)]})
    flags = ok["in_scope"].astype("boolean")
    rows = [
        ("in scope", int(flags.fillna(False).sum())),
        ("out of scope", int((~flags.fillna(True)).sum())),
        ("not decided", int(flags.isna().sum())),
    ]
    return pd.DataFrame([r for r in rows if r[1] or r[0] != "not decided"], columns=["scope", "n_documents"])


def summarize_corpus(documents: pd.DataFrame, passages: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Counts that describe a loaded corpus.

    Parameters
    ----------
    documents, passages : DataFrame
        The tables returned by :func:`coopthemes.corpus.load_corpus`.

    Returns
    -------
    dict of str to DataFrame
        ``"documents"``: ``language, partner, year, n_documents`` for documents
        with status ``ok`` (a document with several partners counts once per
        partner; none gives a missing partner). ``"passages"``:
        ``outcome, n_passages`` with outcome ``kept`` or a drop reason.
        ``"status"``: ``status, n_documents`` for every ledger status.
        ``"scope"``: ``scope, n_documents`` for documents with status ``ok``:
        ``in scope`` (a relation of the home country with a partner or an
        organisation) and ``out of scope`` (``not decided`` for a table
        without the ``in_scope`` column).
    """
    return {
        "documents": _documents_by_group(documents),
        "passages": _passages_by_outcome(passages),
        "status": _documents_by_status(documents),
        "scope": _documents_by_scope(documents),
    }
