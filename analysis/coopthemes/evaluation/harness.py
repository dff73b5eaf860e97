"""Evaluate a theme model on a labelled (optionally parallel) corpus.

The harness runs the pipeline's corpus, embedding and theme stages on a
labelled corpus and scores the result with :mod:`coopthemes.metrics`:
agreement with gold labels (NMI, ARI), coherence (NPMI of top terms, per
language), diversity, language purity, cross-lingual consistency on
parallel groups, and stability over seeds.

A *wide* parallel table (one row per group, one text column per language,
e.g. SIB-200's ``vie``, ``fra``, ``eng``) is melted into one passage per
language with ``text_columns={"vie": "vi", "fra": "fr", "eng": "en"}``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import RunConfig, with_overrides
from ..metrics import nmi, stability, summarize_metrics
from ..pipeline import Embedded

__all__ = [
    "EvaluationData",
    "evaluate_labels",
    "load_labelled",
    "melt_parallel",
    "parse_text_columns",
    "score_themes",
]

STABILITY_SEEDS = (0, 1, 2, 3, 4)


@dataclass
class EvaluationData:
    """Embedded kept passages with their gold labels and parallel groups."""

    embedded: Embedded
    labels_true: np.ndarray
    groups: np.ndarray | None

    @property
    def kept(self) -> pd.DataFrame:
        return self.embedded.passages


def parse_text_columns(spec: str) -> dict[str, str] | None:
    """``"vie=vi,fra=fr"`` -> ``{"vie": "vi", "fra": "fr"}``; a plain name -> ``None``."""
    if "=" not in spec:
        return None
    out = {}
    for part in spec.split(","):
        col, _, lang = part.partition("=")
        if not col.strip() or not lang.strip():
            raise ValueError(f"--text-column: expected COLUMN=LANG pairs, got {part!r}")
        out[col.strip()] = lang.strip()
    return out


def _read_table(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return pd.read_json(path, lines=True, dtype=False)
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if suffix == ".parquet":
        return pd.read_parquet(path)
    raise ValueError(f"{path}: a parallel corpus must be .jsonl, .csv or .parquet")


def melt_parallel(
    table: pd.DataFrame,
    *,
    text_columns: Mapping[str, str],
    id_column: str,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per (group, language) from a wide parallel table.

    Returns
    -------
    DataFrame
        ``doc_id`` (``<id>-<lang>``), ``text``, ``language``, ``parallel``
        (the group id) and the ``keep`` columns.
    """
    missing = [c for c in (*text_columns, id_column, *keep) if c not in table.columns]
    if missing:
        raise ValueError(f"parallel table: missing column(s) {missing}")
    frames = []
    for col, lang in sorted(text_columns.items(), key=lambda kv: kv[1]):
        part = table[[id_column, col, *keep]].rename(columns={col: "text"})
        part = part.assign(language=lang, parallel=table[id_column].astype(str))
        part["doc_id"] = part["parallel"] + "-" + lang
        frames.append(part.drop(columns=[id_column]) if id_column not in keep else part)
    long = pd.concat(frames, ignore_index=True)
    return long.sort_values("doc_id", ignore_index=True)


def load_labelled(
    path: str | Path,
    config: RunConfig,
    *,
    label_column: str,
    parallel_column: str | None = None,
    text_column: str = "text",
    id_column: str | None = None,
    language_column: str | None = None,
) -> EvaluationData:
    """Load a labelled corpus through the corpus stage and embed it (cached)."""
    from ..pipeline import corpus_stage, embed_stage, kept_passages

    path = Path(path)
    wide = parse_text_columns(text_column)
    extra = tuple(c for c in (label_column, parallel_column) if c)
    with tempfile.TemporaryDirectory() as tmp:
        if wide:
            if not id_column:
                raise ValueError("--id-column is needed with COLUMN=LANG text columns")
            keep = tuple(c for c in extra if c not in (id_column, "parallel"))
            long = melt_parallel(_read_table(path), text_columns=wide, id_column=id_column, keep=keep)
            path = Path(tmp) / "long.parquet"
            long.to_parquet(path, index=False)
            text_column, id_column, language_column = "text", "doc_id", "language"
            extra = (*keep, "parallel")
            parallel_column = "parallel"
        corpus = {"path": str(path), "text_column": text_column, "id_column": id_column,
                  "language_column": language_column, "extra_columns": list(extra)}
        documents, passages = corpus_stage(with_overrides(config, corpus=corpus))
    kept = kept_passages(passages)
    docs = documents.set_index("doc_id")
    labels = docs.loc[kept["doc_id"], label_column].astype(str).to_numpy()
    groups = docs.loc[kept["doc_id"], parallel_column].astype(str).to_numpy() if parallel_column else None
    return EvaluationData(embedded=embed_stage(kept, config), labels_true=labels, groups=groups)


def _tokens_by_language(model, languages: np.ndarray) -> dict[str, list[list[str]]]:
    from ..themes.tokenize import split_tokens

    out: dict[str, list[list[str]]] = {}
    for tokens, lang in zip(model.tokens_, languages, strict=True):
        out.setdefault(str(lang), []).append(split_tokens(tokens))
    return out


def _terms_by_language(model, languages: np.ndarray, *, top_n: int) -> dict[str, dict[int, list[str]]]:
    from ..themes.terms import language_top_terms

    out = {}
    for lang in sorted(set(languages.tolist())):
        terms = language_top_terms(model.tokens_, model.labels_, languages, language=lang, top_n=top_n)
        out[lang] = {t: w for t, w in terms.items() if w}
    return out


def score_themes(
    model,
    *,
    labels_true: np.ndarray | None,
    languages: np.ndarray,
    groups: np.ndarray | None,
    label_runs: list[np.ndarray] | None = None,
) -> dict:
    """Metrics of a fitted :class:`~coopthemes.themes.ThemeModel`.

    ``outlier_rate`` is the share HDBSCAN left as outliers (before outlier
    reduction); the other metrics score the final assignments, except
    ``nmi_no_outliers`` and ``crosslingual_consistency_strict``, which leave
    those outliers out or count them as failures.
    """
    labels = np.asarray(model.labels_)
    raw = np.where(model.is_outlier_, -1, labels)
    metrics = summarize_metrics(
        labels,
        labels_true=labels_true,
        languages=languages,
        top_terms_by_lang=_terms_by_language(model, languages, top_n=25),
        tokenized_docs_by_lang=_tokens_by_language(model, languages),
        groups=groups,
        label_runs=label_runs,
    )
    metrics["outlier_rate"] = round(float(np.mean(model.is_outlier_)), 6)
    if labels_true is not None:
        metrics["nmi_no_outliers"] = _round(nmi(labels_true, raw, drop_outliers=True))
    if groups is not None:
        from ..metrics import crosslingual_consistency

        metrics["crosslingual_consistency_strict"] = _round(crosslingual_consistency(raw, groups))
    return metrics


def _round(value) -> float | None:
    value = float(value)
    return None if not np.isfinite(value) else round(value, 6)


def evaluate_labels(data: EvaluationData, config: RunConfig, *, seeds: Sequence[int] = STABILITY_SEEDS):
    """Fit themes with each seed; score the first run, stability over all.

    Returns
    -------
    metrics : dict
    themes : DataFrame
        Themes of the first seed's run.
    model : ThemeModel
    """
    from ..pipeline import themes_stage

    runs, first = [], None
    for seed in seeds:
        cfg = with_overrides(config, seed=seed)
        model = themes_stage(data.embedded, cfg)
        runs.append(np.asarray(model.labels_))
        if first is None:
            first = (model.themes(), model)
    themes, model = first
    languages = data.kept["language"].fillna("und").to_numpy(dtype=object).astype(str)
    metrics = score_themes(
        model, labels_true=data.labels_true, languages=languages, groups=data.groups,
        label_runs=runs if len(runs) > 1 else None,
    )
    metrics["stability"] = _round(stability(runs)) if len(runs) > 1 else None
    metrics["n_passages"] = int(len(data.kept))
    metrics["min_cluster_size"] = int(model.min_cluster_size_)
    return metrics, themes, model
