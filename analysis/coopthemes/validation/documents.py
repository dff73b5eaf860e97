"""Document-level codes: which codebook themes an article discusses, and its partners.

Two layouts of coders' codes are read (:func:`read_document_codes`):

* **one row per document** (JSONL or JSON list), each coder an object with
  ``themes`` (codebook ids or labels) and optionally ``partners`` and
  ``multilateral`` (lists of names), such as ``nvn_dev_coded.jsonl``::

      {"doc_id": "d1", "coder_a": {"themes": ["maritime_security"], "partners": ["Japan"]},
                       "coder_b": {"themes": [], "partners": ["Japan"]}}

  every field holding such an object is a coder, named by the field;
* **one row per document and coder** (CSV, XLSX, JSONL or Parquet), columns
  ``doc_id, coder, themes`` and optionally ``partners``, ``multilateral``;
  a cell holds a list, or names separated by ``;`` (empty: none).

Scoring (:func:`score_documents`) compares the model's document themes (a
document has a codebook theme when one of its kept passages is assigned to
a theme with that ``codebook_id``) and partners (the ``documents`` table)
with the coders' consensus, **on the codes the coders agree on**: for each
document and theme, the majority of the coders' yes/no decisions; where as
many coders say yes as no (with two coders: where they disagree) that
decision is a tie and is left out of that theme's scores (and of the micro
average), and counted in ``ties``. Partner (and organisation) sets are
scored on the documents whose coders wrote the same set (with more coders:
a set written by more coders than any other); country names are mapped to
the gazetteer's English names first.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import NONE, ValidationError, as_list
from .agreement import agreement_by_theme, agreement_overall, consensus_binary
from .scores import binary_scores, bootstrap_counts, set_scores

__all__ = ["read_document_codes", "score_documents"]

SET_FIELDS = ("partners", "multilateral")


def _names(value, where: str) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in value.replace("\n", ";").split(";") if p.strip()]
    items = as_list(value)
    if any(not isinstance(v, str) for v in items):
        raise ValidationError(f"{where}: expected a list of names, got {value!r}")
    return [v.strip() for v in items if v.strip()]


def _nested_rows(records: list, path: Path) -> list[dict]:
    rows = []
    for line, record in enumerate(records, start=1):
        where = f"{path}: record {line}"
        if not isinstance(record, dict):
            raise ValidationError(f"{where}: not an object")
        if "doc_id" not in record:
            raise ValidationError(f"{where}: no doc_id")
        coders = sorted(k for k, v in record.items() if isinstance(v, dict) and "themes" in v)
        if not coders:
            raise ValidationError(f"{where}: no coder (a field holding an object with 'themes')")
        for coder in coders:
            codes = record[coder]
            row = {"doc_id": str(record["doc_id"]), "coder": coder, "themes": codes["themes"], "where": where}
            row.update({f: codes[f] for f in SET_FIELDS if f in codes})
            rows.append(row)
    return rows


def _read_records(path: Path) -> list:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    records = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValidationError(f"{path}: line {n} is not JSON ({exc.msg})") from None
    return records


def _table_rows(df: pd.DataFrame, path: Path) -> list[dict]:
    missing = [c for c in ("doc_id", "coder", "themes") if c not in df.columns]
    if missing:
        raise ValidationError(f"{path}: missing column(s) {', '.join(missing)} (expected one row per document "
                              "and coder: doc_id, coder, themes[, partners, multilateral])")
    rows = []
    for n, record in enumerate(df.to_dict(orient="records"), start=2):
        row = {"doc_id": str(record["doc_id"]), "coder": str(record["coder"]), "themes": record["themes"],
               "where": f"{path}: row {n}"}
        row.update({f: record[f] for f in SET_FIELDS if f in df.columns})
        rows.append(row)
    return rows


def read_document_codes(path: str | Path, reader) -> pd.DataFrame:
    """Read coders' document codes in either layout (see the module notes).

    Parameters
    ----------
    path : str or Path
    reader : CodeReader
        Reads theme entries (codes, numbers or labels).

    Returns
    -------
    DataFrame
        One row per document and coder, sorted: ``doc_id, coder, themes``
        (sorted list of codes, ``none`` dropped), ``partners`` and
        ``multilateral`` (lists; None where the layout has no such field).

    Raises
    ------
    ValidationError
        Naming the file, the record and the problem.
    """
    from .sheets import read_sheet

    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".json"):
            records = _read_records(path)
            nested = records and isinstance(records[0], dict) and "coder" not in records[0]
            rows = _nested_rows(records, path) if nested else _table_rows(pd.DataFrame(records), path)
        elif suffix == ".parquet":
            rows = _table_rows(pd.read_parquet(path), path)
        else:
            rows = _table_rows(read_sheet(path), path)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path}: not readable ({type(exc).__name__})") from None
    if not rows:
        raise ValidationError(f"{path}: no codes")
    out = []
    for row in rows:
        where = f"{row['where']} ({row['coder']}, {row['doc_id']})"
        entries = _names(row["themes"], where)
        codes = sorted({c for e in entries for c in reader.read(e, multiple=True, where=where)} - {NONE})
        item = {"doc_id": row["doc_id"], "coder": row["coder"], "themes": codes}
        for f in SET_FIELDS:
            item[f] = _names(row[f], where) if f in row and row[f] is not None else None
        out.append(item)
    codes = pd.DataFrame(out)
    _check_complete(codes, path)
    return codes.sort_values(["doc_id", "coder"], kind="stable").reset_index(drop=True)


def _check_complete(codes: pd.DataFrame, source) -> None:
    dup = codes[codes.duplicated(["doc_id", "coder"])]
    if len(dup):
        r = dup.iloc[0]
        raise ValidationError(f"{source}: document {r['doc_id']} is coded twice by {r['coder']}")
    coders = sorted(codes["coder"].unique())
    if len(coders) < 2:
        raise ValidationError(f"{source}: codes of {len(coders)} coder(s); agreement needs at least two")
    per_doc = codes.groupby("doc_id")["coder"].agg(set)
    for doc_id, have in per_doc.items():
        if have != set(coders):
            lacking = ", ".join(sorted(set(coders) - have))
            raise ValidationError(f"{source}: document {doc_id} is not coded by {lacking}")


def _canonical(names, gazetteer) -> frozenset:
    out = set()
    for name in names or []:
        canon = gazetteer.canonical(name) if gazetteer is not None else None
        out.add((canon or name).strip().casefold())
    return frozenset(out)


def _organisations(names, gazetteer) -> frozenset:
    finder = getattr(gazetteer, "canonical_organisation", None)
    return frozenset(((finder(n) if finder else None) or n).strip().casefold() for n in names or [])


def _set_consensus(sets: list[frozenset]) -> frozenset | None:
    counts = pd.Series([tuple(sorted(s)) for s in sets]).value_counts()
    top = counts[counts == counts.max()]
    return None if len(top) > 1 else frozenset(top.index[0])


def _set_rows(field: str, codes: pd.DataFrame, coders: list[str], docs: list[str], model: dict,
              weights: np.ndarray, counts: np.ndarray, gazetteer) -> pd.DataFrame:
    canon = _canonical if field == "partners" else _organisations
    by = codes.set_index(["doc_id", "coder"])[field]
    coded = [[canon(by[(d, c)], gazetteer) for c in coders] for d in docs]
    equal = np.array([len(set(s)) == 1 for s in coded])
    consensus = [_set_consensus(s) for s in coded]
    keep = np.array([c is not None for c in consensus])
    idx = np.flatnonzero(keep)
    predicted = [canon(model.get(docs[i], []), gazetteer) for i in idx]
    truth = [consensus[i] for i in idx]
    scores = set_scores(predicted, truth, weights=weights[idx], counts=counts[:, idx], what=f"model_{field}")
    agree = pd.DataFrame([{"measure": f"coders_{field}_equal", "value": float(equal.mean()), "low": np.nan,
                           "high": np.nan, "n": len(docs), "hits": int(equal.sum())}])
    return pd.concat([agree, scores], ignore_index=True)


def score_documents(result, codes: pd.DataFrame, *, codebook, weights: dict | None = None, n_boot: int = 2000,
                    seed: int = 0, gazetteer=None) -> dict[str, pd.DataFrame]:
    """Coders' agreement and the model's document themes and partners against their consensus.

    Parameters
    ----------
    result : RunResult
    codes : DataFrame
        From :func:`read_document_codes` (or the sheets of a document sample).
    codebook : Codebook
        For the order and labels of the themes.
    weights : dict of doc_id -> float, optional
        Design weights (default 1).
    n_boot, seed : int
        Bootstrap over documents.
    gazetteer : Gazetteer, optional
        Maps country names to one spelling (default: the bundled one).

    Returns
    -------
    dict of str -> DataFrame
        ``agreement`` (pooled over document x theme decisions),
        ``agreement_by_theme``, ``model_scores`` (per theme and ``micro``),
        ``sets`` (partner and organisation sets, where coded), ``consensus``
        (one row per document). See :mod:`coopthemes.validation.score` for
        the columns.

    Raises
    ------
    ValidationError
        When a coded document is not in the results.
    """
    from .labels import document_labels

    if gazetteer is None:
        from ..corpus import load_gazetteer

        gazetteer = load_gazetteer()
    model = document_labels(result).set_index("doc_id")
    docs = sorted(codes["doc_id"].unique())
    unknown = [d for d in docs if d not in model.index]
    if unknown:
        raise ValidationError(f"{len(unknown)} coded document(s) not in the results {result.results_dir} "
                              f"(first: {unknown[0]})")
    coders = sorted(codes["coder"].unique())
    coded = set().union(*codes["themes"].map(set))
    predicted_codes = set().union(*model.loc[docs, "model_codes"].map(set))
    themes = [t.id for t in codebook.themes if t.id in coded | predicted_codes]
    by = codes.set_index(["doc_id", "coder"])["themes"]
    indicators = np.array([[[t in by[(d, c)] for t in themes] for d in docs] for c in coders], dtype=bool)
    predicted = np.array([[t in model.loc[d, "model_codes"] for t in themes] for d in docs], dtype=bool)
    w = np.array([float((weights or {}).get(d, 1.0)) for d in docs])
    counts = bootstrap_counts(docs, n_boot=n_boot, seed=seed)
    consensus, tie = consensus_binary(indicators)
    in_codes = [k for k, t in enumerate(themes) if t in coded]
    pooled = indicators[:, :, in_codes].reshape(len(coders), -1)
    tables = {"agreement": agreement_overall(pooled, what="document x theme (themes any coder used)")}
    by_theme = agreement_by_theme(indicators, themes, counts=counts)
    by_theme.columns = [_coder_column(c, coders) for c in by_theme.columns]
    by_theme["ties"] = tie.sum(axis=0)
    tables["agreement_by_theme"] = by_theme
    tables["model_scores"] = binary_scores(consensus, predicted, themes, mask=~tie, weights=w, counts=counts)
    sets = [_set_rows(f, codes, coders, docs, model[f].to_dict() if f in model else {}, w, counts, gazetteer)
            for f in SET_FIELDS if f in codes and codes[f].notna().all() and (f in model or f == "partners")]
    if sets:
        tables["sets"] = pd.concat(sets, ignore_index=True)
    tables["consensus"] = _document_consensus(docs, coders, themes, indicators, consensus, tie, model)
    return tables


def _coder_column(column: str, coders: list[str]) -> str:
    if column.startswith("coded_") and column[6:].isdigit():
        return f"coded_{coders[int(column[6:]) - 1]}"
    return column


def _document_consensus(docs, coders, themes, indicators, consensus, tie, model) -> pd.DataFrame:
    def join(flags) -> str:
        return ";".join(t for t, f in zip(themes, flags) if f)

    rows = []
    for i, d in enumerate(docs):
        row = {"doc_id": d}
        row.update({f"themes_{c}": join(indicators[k, i]) for k, c in enumerate(coders)})
        row["consensus"] = join(consensus[i] & ~tie[i])
        row["ties"] = join(tie[i])
        row["model"] = ";".join(model.loc[d, "model_codes"])
        rows.append(row)
    return pd.DataFrame(rows)
