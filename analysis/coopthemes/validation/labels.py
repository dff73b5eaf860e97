"""What the model says about each passage and document, in codebook codes.

A passage's model code is the ``codebook_id`` of the theme it is assigned
to, or ``none`` for a discovered theme (or no theme). A document has a
codebook theme when at least one of its kept passages is assigned to a theme
with that ``codebook_id``; its partners are the ``partners`` column of the
``documents`` table.
"""

from __future__ import annotations

import pandas as pd

from ..schema import validate_assignments, validate_documents, validate_passages, validate_themes
from ._common import NONE, as_list

__all__ = ["document_labels", "partner_key", "passage_labels"]


def partner_key(partners) -> str:
    """A stratum name for a partner list: the sorted names joined by ``;``, ``none`` when empty."""
    names = sorted({str(p) for p in as_list(partners)})
    return ";".join(names) if names else NONE


def _theme_codes(themes: pd.DataFrame) -> dict[int, str]:
    codes = {}
    for tid, code in zip(themes["theme_id"], themes["codebook_id"]):
        codes[int(tid)] = NONE if code is None or pd.isna(code) else str(code)
    return codes


def passage_labels(result) -> pd.DataFrame:
    """Kept passages with their theme and model code.

    Parameters
    ----------
    result : RunResult
        With ``passages``, ``documents``, ``assignments`` and ``themes``.

    Returns
    -------
    DataFrame
        One row per assigned kept passage, sorted by ``passage_id``:
        ``passage_id, doc_id, position, language, partners`` (the document's,
        a list), ``text, theme_id, theme, model_code``.
    """
    passages = validate_passages(result["passages"])
    documents = validate_documents(result["documents"])
    assignments = validate_assignments(result["assignments"])
    themes = validate_themes(result["themes"])
    kept = passages[passages["kept"].astype(bool)][["passage_id", "doc_id", "position", "language", "text"]]
    out = kept.merge(assignments[["passage_id", "theme_id", "theme"]], on="passage_id", how="inner")
    doc_partners = dict(zip(documents["doc_id"].astype(str), documents["partners"]))
    out["partners"] = [as_list(doc_partners.get(str(d))) for d in out["doc_id"]]
    codes = _theme_codes(themes)
    theme_id = pd.to_numeric(out["theme_id"], errors="coerce")
    out["model_code"] = [codes.get(int(t), NONE) if pd.notna(t) and t >= 0 else NONE for t in theme_id]
    out["language"] = out["language"].astype(object).where(out["language"].notna(), "")
    columns = ["passage_id", "doc_id", "position", "language", "partners", "text", "theme_id", "theme", "model_code"]
    return out[columns].sort_values("passage_id", kind="stable").reset_index(drop=True)


def document_labels(result) -> pd.DataFrame:
    """Every document with its model codes (the document rule above) and partners.

    Returns
    -------
    DataFrame
        One row per document of the ``documents`` table, sorted by
        ``doc_id``: ``doc_id, language, title, status, partners`` (list),
        ``multilateral`` (list; when the documents table has it), ``n_kept``
        (assigned kept passages), ``model_codes`` (sorted list of codebook
        ids, without ``none``), ``dominant_code`` (the codebook id with most
        passages, ties by code; ``none`` when it has none).
    """
    documents = validate_documents(result["documents"])
    labels = passage_labels(result)
    coded = labels[labels["model_code"] != NONE]
    codes = coded.groupby("doc_id")["model_code"].agg(lambda s: sorted(set(s))).to_dict()
    counts = coded.groupby(["doc_id", "model_code"]).size().reset_index(name="n")
    counts = counts.sort_values(["doc_id", "n", "model_code"], ascending=[True, False, True], kind="stable")
    dominant = counts.drop_duplicates("doc_id").set_index("doc_id")["model_code"].to_dict()
    n_kept = labels.groupby("doc_id").size().to_dict()
    out = pd.DataFrame({
        "doc_id": documents["doc_id"].astype(str),
        "language": documents["language"].astype(object).where(documents["language"].notna(), ""),
        "title": documents["title"].astype(object).where(documents["title"].notna(), ""),
        "status": documents["status"].astype(str),
        "partners": [sorted({str(p) for p in as_list(v)}) for v in documents["partners"]],
    })
    if "multilateral" in documents.columns:
        out["multilateral"] = [sorted({str(p) for p in as_list(v)}) for v in documents["multilateral"]]
    out["n_kept"] = [int(n_kept.get(d, 0)) for d in out["doc_id"]]
    out["model_codes"] = [codes.get(d, []) for d in out["doc_id"]]
    out["dominant_code"] = [dominant.get(d, NONE) for d in out["doc_id"]]
    return out.sort_values("doc_id", kind="stable").reset_index(drop=True)
