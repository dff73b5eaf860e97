"""``load_corpus``: raw documents in, ``documents`` and ``passages`` tables out."""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable

import pandas as pd

from ..config import CorpusConfig
from ..safeyaml import short_repr
from ..schema import DOCUMENT_COLUMNS, PASSAGE_COLUMNS, validate_documents, validate_passages
from .document import CleanDocument, clean_document, resolve_date, resolve_partners
from .gazetteer import Gazetteer, load_gazetteer
from .language import detect_languages, get_detector
from .load import DOCUMENT_SUFFIXES, TABLE_SUFFIXES, read_directory, read_table
from .passages import flag_duplicates, passage_id
from .record import RawDocument, add_note, unique_ids
from .relations import RelationCues, load_relation_cues
from .scope import decide_scope
from .scripts import foreign_language_reasons, garbled_reason

__all__ = ["load_corpus"]

_STRING_DOC_COLUMNS = (
    "doc_id", "source_path", "sha256", "title", "language", "date", "year_source",
    "partner_source", "outlet", "status", "reason", "scope_reason",
)  # fmt: skip


@dataclass
class _Row:
    """Mutable per-document state while the tables are assembled."""

    raw: RawDocument
    language: str | None = None
    clean: CleanDocument | None = None
    passage_languages: list[str | None] = field(default_factory=list)
    error: str | None = None


def _read_inputs(
    path: Path, *, columns: dict, gazetteer: Gazetteer, extra: tuple[str, ...], max_chars: int
) -> list[RawDocument]:
    if path.is_dir():
        return read_directory(path, gazetteer=gazetteer, extra_columns=extra, max_chars=max_chars)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        if not path.is_file():
            raise ValueError(f"{path}: not a regular file")
        return read_table(path, columns=columns, gazetteer=gazetteer, extra_columns=extra, max_chars=max_chars)
    if suffix in DOCUMENT_SUFFIXES:
        raise ValueError(f"{path}: pass the folder that holds the documents, not one document")
    raise ValueError(f"{path}: expected a folder or a {', '.join(TABLE_SUFFIXES)} table")


def _unique_doc_ids(raws: list[RawDocument]) -> list[RawDocument]:
    """Rename repeated doc_ids (``x``, ``x~2``...; never onto another document's id), noting the change."""
    out = []
    for raw, new_id in zip(raws, unique_ids([raw.doc_id for raw in raws])):
        if new_id != raw.doc_id:
            raw = add_note(replace(raw, doc_id=new_id), f"doc_id {short_repr(raw.doc_id)} repeated; renamed {new_id!r}")
        out.append(raw)
    return out


def _progress(items: list, show: bool | None, desc: str):
    show = sys.stderr.isatty() if show is None else show
    if not show:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit="doc")


#: ``map_func(func, items) -> list``: ``func`` applied to every item, results in input order.
MapFunc = Callable[[Callable, list], list]


def _clean_task(
    item: tuple[RawDocument, str | None], *, options: CorpusConfig
) -> tuple[CleanDocument | None, str | None]:
    """``(clean document, None)``, or ``(None, error message)`` if cleaning raised."""
    raw, language = item
    try:
        return clean_document(raw, language=language, options=options), None
    except Exception as exc:  # one broken document never stops the run
        return None, f"{type(exc).__name__}: {exc}"


def _local_map(show: bool | None) -> MapFunc:
    def run(func: Callable, items: list) -> list:
        return [func(item) for item in _progress(items, show, "cleaning")]

    return run


def _clean_all(
    rows: list[_Row], *, options: CorpusConfig, show: bool | None, map_func: MapFunc | None = None
) -> None:
    """Clean every readable document, in this process or through ``map_func``."""
    todo = [row for row in rows if row.raw.status == "ok" and row.raw.text is not None]
    run = map_func or _local_map(show)
    results = run(partial(_clean_task, options=options), [(row.raw, row.language) for row in todo])
    for row, (clean, error) in zip(todo, results, strict=True):
        row.clean, row.error = clean, error


def _flag_garbled(raws: list[RawDocument], *, options: CorpusConfig) -> list[RawDocument]:
    """Documents whose text is not text of the configured languages as decoded become errors.

    Garbled text and other writing systems (:func:`garbled_reason`), then, for
    documents without a given language, another language in the same script
    (:func:`foreign_language_reasons`).
    """
    why: list[str | None] = [None] * len(raws)
    for i, raw in enumerate(raws):
        if raw.status == "ok" and raw.text:
            why[i] = garbled_reason(raw.text, languages=options.languages, max_share=options.garbled_max_share)
    todo = [i for i, raw in enumerate(raws)
            if why[i] is None and raw.status == "ok" and raw.text and not raw.language]
    if todo:
        found = foreign_language_reasons([raws[i].text for i in todo], languages=options.languages)
        for i, reason in zip(todo, found):
            why[i] = reason
    return [raw if reason is None else replace(raw, text=None, status="error", reason=reason)
            for raw, reason in zip(raws, why)]


def _detect(rows: list[_Row], *, languages: tuple[str, ...], options: CorpusConfig) -> None:
    """Document languages (unless given), detected in one batch on the first characters."""
    todo = [r for r in rows if r.raw.status == "ok" and r.raw.text and not r.raw.language]
    samples = [r.raw.text[: options.language_sample_chars] for r in todo]
    for row, lang in zip(todo, detect_languages(samples, languages=languages)):
        row.language = lang
    for row in rows:
        row.language = row.raw.language or row.language


def _detect_passages(
    rows: list[_Row], *, languages: tuple[str, ...], min_letters: int = 20, sample_chars: int = 3000
) -> None:
    """Passage languages in one batch, on their first ``sample_chars``.

    Passages with few letters take the document's.
    """
    texts, slots = [], []
    for row in rows:
        if row.clean is None:
            continue
        row.passage_languages = [row.language] * len(row.clean.passages)
        for i, (text, _) in enumerate(row.clean.passages):
            if sum(ch.isalpha() for ch in text[: 4 * min_letters]) >= min_letters:
                texts.append(text[:sample_chars])
                slots.append((row, i))
    for (row, i), lang in zip(slots, detect_languages(texts, languages=languages)):
        row.passage_languages[i] = lang or row.language


def _passage_records(row: _Row, *, partners: list[str], year: int | None) -> list[dict]:
    return [
        {
            "passage_id": passage_id(row.raw.doc_id, position),
            "doc_id": row.raw.doc_id,
            "position": position,
            "text": text,
            "language": lang,
            "partners": list(partners),
            "year": year,
            "kept": reason is None,
            "drop_reason": reason,
        }
        for position, ((text, reason), lang) in enumerate(zip(row.clean.passages, row.passage_languages))
    ]


def _document_record(row: _Row, **fields) -> dict:
    raw = row.raw
    record = {
        "doc_id": raw.doc_id, "source_path": raw.source_path, "sha256": raw.sha256,
        "title": raw.title, "language": row.language, "date": raw.date, "year": raw.year,
        "year_source": "sidecar" if raw.year is not None else "none",
        "partners": list(raw.partners or ()), "partner_source": "sidecar" if raw.partners else "none",
        "outlet": raw.outlet, "n_passages": 0, "status": raw.status, "reason": raw.reason,
        "multilateral": [], "in_scope": None, "scope_reason": None,
    }  # fmt: skip
    record.update(fields)
    record.update({name: raw.extra.get(name) for name in sorted(raw.extra)})
    return record


def _assemble(
    rows: list[_Row], *, gazetteer: Gazetteer, cues: RelationCues, home_country: str, options: CorpusConfig
):
    documents, passages = [], []
    for row in rows:
        if row.clean is None:
            status = "error" if row.error else row.raw.status
            documents.append(_document_record(row, status=status, reason=row.error or row.raw.reason))
            continue
        if row.clean.failed_capture:
            documents.append(_document_record(row, status="empty", reason=row.clean.failed_capture))
            passages += _passage_records(row, partners=[], year=row.raw.year)
            continue
        try:
            date, year, year_source = resolve_date(row.raw, row.clean)
            partners, partner_source, found = resolve_partners(
                row.raw, row.clean.passages, row.passage_languages,
                gazetteer=gazetteer, cues=cues, home_country=home_country, options=options,
            )  # fmt: skip
            in_scope, scope_reason = decide_scope(
                partners, found, home_country=home_country, partner_source=partner_source,
                min_evidence=options.partner_min_evidence,
            )  # fmt: skip
        except Exception as exc:  # one broken document never stops the run
            documents.append(_document_record(row, status="error", reason=f"{type(exc).__name__}: {exc}"))
            continue
        documents.append(
            _document_record(
                row, title=row.clean.title, date=date, year=year, year_source=year_source,
                partners=partners, partner_source=partner_source,
                outlet=row.raw.outlet or row.clean.outlet, multilateral=list(found.multilateral),
                in_scope=in_scope, scope_reason=scope_reason,
            )  # fmt: skip
        )
        passages += _passage_records(row, partners=partners, year=year)
    return documents, passages


def _flag_duplicates(passages: list[dict], options: CorpusConfig) -> None:
    order = sorted((p for p in passages if p["kept"]), key=lambda p: (p["doc_id"], p["position"]))
    flags = flag_duplicates(
        [p["text"] for p in order],
        threshold=options.near_duplicate_threshold,
        shingle_size=options.shingle_size,
    )
    for p, flag in zip(order, flags):
        if flag:
            p["kept"], p["drop_reason"] = False, flag


def _finish_status(documents: list[dict], passages: list[dict], notes: dict[str, tuple[str, ...]]) -> None:
    by_doc: dict[str, Counter] = {}
    for p in passages:
        by_doc.setdefault(p["doc_id"], Counter())[p["drop_reason"] or "kept"] += 1
    for doc in documents:
        counts = by_doc.get(doc["doc_id"], Counter())
        doc["n_passages"] = counts["kept"]
        if doc["status"] == "ok" and not counts["kept"]:
            dropped = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            if counts["duplicate"] or counts["near_duplicate"]:
                doc["reason"] = f"every passage repeats an earlier document ({dropped})"
            else:
                doc["status"] = "empty"
                doc["reason"] = f"no article text: every passage dropped ({dropped or 'no passages'})"
                doc["in_scope"] = doc["scope_reason"] = None
        extra = [n for n in notes.get(doc["doc_id"], ()) if n]
        if extra:
            doc["reason"] = "; ".join(([doc["reason"]] if doc["reason"] else []) + extra)


def _frames(
    documents: list[dict], passages: list[dict], extra: tuple[str, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    extra_cols = [c for c in extra if c not in DOCUMENT_COLUMNS]
    docs = pd.DataFrame.from_records(documents, columns=[*DOCUMENT_COLUMNS, *extra_cols])
    for col in _STRING_DOC_COLUMNS:
        docs[col] = docs[col].astype("string")
    docs["year"] = docs["year"].astype("Int64")
    docs["n_passages"] = docs["n_passages"].astype("int64")
    docs["in_scope"] = docs["in_scope"].astype("boolean")
    docs = docs.sort_values("doc_id", kind="stable").reset_index(drop=True)
    pas = pd.DataFrame.from_records(passages, columns=list(PASSAGE_COLUMNS))
    for col in ("passage_id", "doc_id", "text", "language", "drop_reason"):
        pas[col] = pas[col].astype("string")
    pas["position"] = pas["position"].astype("int64")
    pas["year"] = pas["year"].astype("Int64")
    pas["kept"] = pas["kept"].astype(bool)
    pas = pas.sort_values(["doc_id", "position"], kind="stable").reset_index(drop=True)
    return validate_documents(docs), validate_passages(pas)


def load_corpus(
    path: str | Path | None = None,
    *,
    config: CorpusConfig | None = None,
    show_progress: bool | None = None,
    map_func: MapFunc | None = None,
    **settings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load, clean and cut a corpus into the ``documents`` and ``passages`` tables.

    Parameters
    ----------
    path : str or Path, optional
        A folder of ``.txt/.md/.html/.htm`` files (recursive, with an optional
        ``metadata.csv``), or a ``.csv``, ``.jsonl`` or ``.parquet`` table;
        defaults to ``config.path``.
    config : CorpusConfig, optional
        Column names, languages, home country, gazetteer, passage lengths,
        duplicate threshold, partner scoring (see
        :class:`~coopthemes.config.CorpusConfig`); defaults to its defaults.
    show_progress : bool or None
        Progress bar; None shows it only when stderr is a terminal.
    map_func : callable or None
        Runs the per-document cleaning (repair, furniture, passages):
        ``map_func(func, items)`` returns ``[func(item) for item in items]``,
        in input order, computed anywhere, e.g. on Dask workers with
        :func:`coopthemes.distributed.client_mapper`. ``func`` and the items
        are picklable. None cleans in this process. Reading, language
        detection and the steps across documents (duplicates, the ledger)
        run here either way, so the tables are the same.
    **settings
        Any field of :class:`~coopthemes.config.CorpusConfig`, replacing the
        config's (``load_corpus("news.csv", date_column="date")``).

    Returns
    -------
    documents : DataFrame
        One row per input (``coopthemes.schema.DOCUMENT_COLUMNS`` plus
        ``extra_columns``), sorted by ``doc_id``; every input is there, with
        ``status`` ``ok|empty|error|missing`` and a ``reason`` (a failed
        capture, a page of view counters and footer only, is ``empty``).
        ``partners`` are the home country's counterpart countries,
        ``multilateral`` the organisations it deals with, ``in_scope`` whether
        the document shows such a relation (missing unless status ``ok``) and
        ``scope_reason`` why (see :mod:`coopthemes.corpus.scope`).
    passages : DataFrame
        One row per passage (``coopthemes.schema.PASSAGE_COLUMNS``), sorted by
        ``doc_id`` and position; dropped passages have ``kept=False`` and a
        ``drop_reason``.

    Raises
    ------
    FileNotFoundError, ValueError
        For a missing input, an unsupported format, a table lacking a
        configured column, an unknown language or home country.
    """
    config = config or CorpusConfig()
    unknown = sorted(set(settings) - {f.name for f in dataclasses.fields(CorpusConfig)})
    if unknown:
        raise TypeError(f"load_corpus: unknown setting(s) {', '.join(unknown)} (see CorpusConfig)")
    if path is not None:
        settings["path"] = str(path)
    options = dataclasses.replace(config, **settings) if settings else config
    languages = options.languages
    if len(languages) > 1:
        get_detector(languages)
    gaz = load_gazetteer(options.gazetteer)
    cues = load_relation_cues(options.relation_cues)
    if options.home_country not in gaz.countries:
        raise ValueError(
            f"home_country: {options.home_country!r} is not a country of the gazetteer {gaz.source}"
        )
    extra = tuple(options.extra_columns)
    raws = _read_inputs(
        Path(options.path), columns=options.columns, gazetteer=gaz, extra=extra, max_chars=options.max_document_chars
    )
    if options.check_garbled:
        raws = _flag_garbled(raws, options=options)
    rows = [_Row(raw=raw) for raw in _unique_doc_ids(raws)]
    _detect(rows, languages=languages, options=options)
    _clean_all(rows, options=options, show=show_progress, map_func=map_func)
    sample = max(options.language_sample_chars, 2 * options.max_passage_chars)
    _detect_passages(rows, languages=languages, sample_chars=sample)
    documents, passages = _assemble(
        rows, gazetteer=gaz, cues=cues, home_country=options.home_country, options=options
    )
    _flag_duplicates(passages, options)
    _finish_status(documents, passages, {r.raw.doc_id: r.raw.notes for r in rows})
    return _frames(documents, passages, extra)
