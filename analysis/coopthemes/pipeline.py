"""The whole chain, driven by a :class:`~coopthemes.config.RunConfig`.

corpus -> embeddings (cached) -> themes -> prevalence -> figures and tables

Each ``*_stage`` function takes the config and the previous stage's tables
and returns the next tables; :func:`run` chains them and writes a results
folder (Parquet tables, the fitted model, ``run.json``) from which
:func:`coopthemes.report.build_report` draws every figure and table.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import RunConfig, config_to_dict

__all__ = [
    "RunResult",
    "breakdowns",
    "corpus_stage",
    "embed_stage",
    "prevalence_stage",
    "read_results",
    "run",
    "themes_stage",
    "write_results",
]

log = logging.getLogger(__name__)

RESULT_TABLES = ("documents", "passages", "assignments", "themes", "theme_map", "prevalence", "effects")


@dataclass
class RunResult:
    """Tables and facts of one run."""

    tables: dict[str, pd.DataFrame]
    info: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def corpus_stage(config: RunConfig, *, show_progress: bool | None = None, client=None):
    """Load, repair and split the configured corpus.

    ``client`` (a ``distributed.Client``) cleans and splits the documents on
    its Dask workers; the tables are identical to a single-process run.

    Returns
    -------
    documents, passages : DataFrame
    """
    from .corpus import load_corpus

    map_func = None
    if client is not None:
        from .distributed import client_mapper

        map_func = client_mapper(client)
    c = config.corpus
    return load_corpus(
        c.path,
        text_column=c.text_column,
        id_column=c.id_column,
        title_column=c.title_column,
        language_column=c.language_column,
        date_column=c.date_column,
        partner_column=c.partner_column,
        extra_columns=c.extra_columns,
        languages=c.languages,
        home_country=c.home_country,
        gazetteer=c.gazetteer,
        show_progress=show_progress,
        map_func=map_func,
    )


def kept_passages(passages: pd.DataFrame) -> pd.DataFrame:
    """Kept passages, sorted by ``passage_id``: the rows that are embedded and modelled."""
    kept = passages[passages["kept"].astype(bool)]
    return kept.sort_values("passage_id", ignore_index=True)


def embed_stage(kept: pd.DataFrame, config: RunConfig, *, show_progress: bool | None = None, client=None):
    """Embed kept passages through the on-disk cache.

    ``client`` (a ``distributed.Client``) computes the chunks missing from the
    cache on its Dask workers, each of which loads the encoder once; the
    vectors and the cache are the same as in one process.

    Returns
    -------
    embedder : Embedder
    vectors : ndarray of shape (n_kept, dim)
    stats : dict
        Cache hits, misses and model calls of this stage.
    """
    from .embeddings import EmbeddingCache, get_embedder

    e = config.embeddings
    embedder = get_embedder(e.backend, batch_size=e.batch_size, show_progress=show_progress)
    texts = kept["text"].tolist()
    if e.backend == "tfidf-svd":
        embedder.fit(texts)
    cache = EmbeddingCache(e.cache_dir, show_progress=show_progress)
    ids = kept["passage_id"].tolist()
    if client is None:
        vectors = cache.embed(embedder, texts, ids)
    else:
        from .distributed import embed_distributed

        # A fitted lexical model travels to the workers; a named encoder is
        # built there from its spec, once per worker.
        source = embedder if e.backend == "tfidf-svd" else e.backend
        vectors = embed_distributed(client, source, texts, ids, cache=cache)
    stats = cache.cache_stats
    return embedder, vectors, _stats_dict(stats)


def _stats_dict(stats) -> dict:
    fields = ("hits", "misses", "model_calls", "texts_embedded")
    return {k: int(getattr(stats, k)) for k in fields if hasattr(stats, k)}


def theme_options(config: RunConfig):
    """:class:`~coopthemes.themes.ThemeOptions` from the config, seeded with ``config.seed``."""
    from .themes import ThemeOptions

    values = {f.name: getattr(config.themes, f.name) for f in dataclasses.fields(ThemeOptions)}
    return ThemeOptions(**{**values, "random_state": config.seed})


def themes_stage(kept: pd.DataFrame, vectors: np.ndarray, embedder, config: RunConfig, *, cache: bool | None = None):
    """Fit themes on kept passages, or reuse an identical earlier fit.

    With ``config.themes.cache`` (default) a fit is stored under
    :func:`themes_cache_dir` and reused when the passages (ids, texts,
    languages), their vectors, the theme settings and seed, the codebook and
    the versions of the fitting libraries are all the same; a damaged entry is
    refitted, never trusted. ``cache`` overrides the config.

    Returns
    -------
    assignments, themes, theme_map : DataFrame
    model : ThemeModel
        ``model.from_cache_`` is the cache folder it was loaded from, or None
        when it was fitted here.
    """
    from .themes import fit_themes, load_codebook, theme_map

    codebook = None
    if config.themes.codebook_mode != "off":
        codebook = load_codebook(config.themes.codebook, languages=config.corpus.languages)
    use_cache = config.themes.cache if cache is None else cache
    entry = themes_cache_dir(config) / themes_fit_key(kept, vectors, config, codebook) if use_cache else None
    if entry is not None:
        hit = _read_fit(entry, embedder=embedder, codebook=codebook)
        if hit is not None:
            return hit
    assignments, themes, model = fit_themes(
        kept, vectors, embedder=embedder, codebook=codebook, options=theme_options(config)
    )
    tmap = theme_map(model, random_state=config.seed)
    model.from_cache_ = None
    if entry is not None:
        _write_fit(entry, assignments, themes, tmap, model)
    return assignments, themes, tmap, model


#: Libraries whose versions can change a fit: part of the theme cache key.
_FIT_LIBRARIES = ("bertopic", "hdbscan", "numba", "numpy", "pandas", "scikit-learn", "scipy", "umap-learn",
                  "underthesea", "stopwordsiso")


def themes_cache_dir(config: RunConfig) -> Path:
    """Where fitted theme models are kept: ``themes/`` beside the embedding cache."""
    return Path(config.embeddings.cache_dir).parent / "themes"


def themes_fit_key(kept: pd.DataFrame, vectors: np.ndarray, config: RunConfig, codebook) -> str:
    """sha256 of everything a theme fit depends on."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__
    from .provenance import file_sha256

    h = hashlib.sha256()

    def feed(obj) -> None:
        data = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        h.update(len(data).to_bytes(8, "little") + data)

    versions = {}
    for lib in _FIT_LIBRARIES:
        try:
            versions[lib] = version(lib)
        except PackageNotFoundError:
            versions[lib] = None
    feed({"coopthemes": __version__, "libraries": versions})
    # the fitting code itself, so that an edited module never serves an old fit
    package = Path(__file__).resolve().parent
    sources = sorted((package / "themes").glob("*.py")) + [package / "embeddings" / "alignment.py"]
    feed({str(p.relative_to(package)): file_sha256(p) for p in sources})
    feed(dataclasses.asdict(theme_options(config)))
    feed(None if codebook is None else dataclasses.asdict(codebook))
    for column in ("passage_id", "doc_id", "language", "text"):
        feed(kept[column].astype(str).tolist() if column in kept else None)
    X = np.ascontiguousarray(vectors, dtype=np.float32)
    feed(list(X.shape))
    h.update(X.tobytes())
    return h.hexdigest()


_FIT_TABLES = ("assignments", "themes", "theme_map")


def save_model(model, path: str | Path) -> Path:
    """Save a theme model to ``path``; one reused from the cache is copied as stored, byte for byte."""
    path = Path(path)
    source = getattr(model, "from_cache_", None)
    if source is None:
        return model.save(path)
    if path.exists():
        shutil.rmtree(path)
    shutil.copytree(Path(source) / "model", path)
    return path


def _file_digests(folder: Path) -> dict[str, str]:
    from .provenance import file_sha256

    return {
        str(p.relative_to(folder)): file_sha256(p)
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "entry.json"
    }  # fmt: skip


def _read_fit(entry: Path, *, embedder, codebook):
    """A stored fit, or None when absent or damaged (then it is refitted)."""
    from .themes import ThemeModel

    if not (entry / "entry.json").is_file():
        return None
    try:
        recorded = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
        if recorded.get("files") != _file_digests(entry):
            raise ValueError("files differ from their recorded sha256")
        tables = [pd.read_parquet(entry / f"{name}.parquet") for name in _FIT_TABLES]
        model = ThemeModel.load(entry / "model", embedder=embedder, codebook=codebook)
    except Exception as err:  # anything unreadable is refitted
        log.warning("theme cache entry %s is damaged (%s); refitting", entry, err)
        return None
    model.from_cache_ = entry
    return (*tables, model)


def _write_fit(entry: Path, assignments, themes, tmap, model) -> None:
    """Store a fit atomically: written to a temporary folder, then renamed."""
    import tempfile

    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=f".{entry.name}."))
    try:
        for name, table in zip(_FIT_TABLES, (assignments, themes, tmap)):
            table.to_parquet(tmp / f"{name}.parquet", index=False)
        model.save(tmp / "model")
        (tmp / "entry.json").write_text(json.dumps({"files": _file_digests(tmp)}, indent=1, sort_keys=True),
                                        encoding="utf-8")
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
    except OSError as err:  # a full or read-only disk costs the reuse, not the run
        log.warning("could not store the theme fit in %s: %s", entry, err)
        shutil.rmtree(tmp, ignore_errors=True)


def breakdowns(group_column: str) -> dict[str, tuple[str, ...]]:
    """Named groupings of the prevalence table for a grouping column."""
    name = "partner" if group_column == "partner" else group_column
    return {name: (group_column,), "year": ("year",), f"{name}_year": (group_column, "year")}


def prevalence_stage(assignments, passages, documents, config: RunConfig):
    """Shares by group, by year and by both, for passages and documents.

    Returns
    -------
    prevalence : DataFrame
        One long table with a ``breakdown`` column naming the grouping.
    excluded : DataFrame
        Documents and passages left out of each breakdown (unknown group or year).
    effects : DataFrame or None
        Regression of document-level theme share on group and year.
    """
    from .prevalence import compute_prevalence, excluded_counts

    p = config.prevalence
    extra = documents.drop(columns=[c for c in ("year", "partners") if c in documents.columns])
    group_columns = extra if p.group_column not in ("partner", "year") else None
    frames, notes = [], []
    for name, by in sorted(breakdowns(p.group_column).items()):
        for unit in ("document", "passage"):
            df = compute_prevalence(
                assignments, passages, by=by, unit=unit, n_boot=p.n_boot, seed=config.seed,
                min_group_size=p.min_group_size, ci=p.ci, group_columns=group_columns,
            )
            frames.append(df.assign(breakdown=name))
        ex = excluded_counts(passages, by=by, group_columns=group_columns)
        notes.append(ex.assign(breakdown=name))
    prevalence = pd.concat(frames, ignore_index=True)
    excluded = pd.concat(notes, ignore_index=True)
    effects = None
    if p.regression:
        effects = _effects(assignments, passages, documents, config)
    return prevalence, excluded, effects


def _effects(assignments, passages, documents, config: RunConfig):
    from .effects import estimate_effects

    terms = (config.prevalence.group_column, "year")
    try:
        return estimate_effects(assignments, passages, documents, formula_terms=terms)
    except ValueError as exc:
        log.warning("regression skipped: %s", exc)
        return None


def write_results(result: RunResult, results_dir: str | Path) -> Path:
    """Write the run's tables (Parquet) and facts (``run.json``)."""
    out = Path(results_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in RESULT_TABLES:
        df = result.tables.get(name)
        path = out / f"{name}.parquet"
        if df is None:
            path.unlink(missing_ok=True)
            continue
        df.to_parquet(path, index=False)
    for name, df in sorted(result.tables.items()):
        if name not in RESULT_TABLES and df is not None:
            df.to_parquet(out / f"{name}.parquet", index=False)
    text = json.dumps(result.info, indent=2, sort_keys=True, default=str) + "\n"
    (out / "run.json").write_text(text, encoding="utf-8")
    return out


def read_results(results_dir: str | Path) -> RunResult:
    """Read a results folder written by :func:`write_results`."""
    src = Path(results_dir)
    if not (src / "run.json").is_file():
        raise FileNotFoundError(f"{src}: not a results folder (no run.json)")
    tables = {p.stem: pd.read_parquet(p) for p in sorted(src.glob("*.parquet"))}
    info = json.loads((src / "run.json").read_text(encoding="utf-8"))
    return RunResult(tables=tables, info=info)


def _timed(timings: dict, name: str):
    class _T:
        def __enter__(self):
            self.t0 = time.perf_counter()

        def __exit__(self, *exc):
            timings[name] = round(time.perf_counter() - self.t0, 3)

    return _T()


def run(
    config: RunConfig,
    *,
    results_dir: str | Path,
    show_progress: bool | None = None,
    scheduler: str | None = None,
) -> RunResult:
    """Run every stage and write the results folder.

    ``scheduler`` (``"local:N"`` or ``"tcp://HOST:PORT"``, see
    :func:`coopthemes.distributed.parse_scheduler`) runs loading, cleaning and
    embedding on Dask workers; the results are identical to ``None`` (one
    process).

    Returns
    -------
    RunResult
        ``tables`` holds documents, passages, assignments, themes, theme_map,
        prevalence, excluded and effects; ``info`` the facts recorded in
        ``run.json``; ``timings`` seconds per stage (not written, so that
        reruns give identical files).
    """
    from .provenance import corpus_hash

    from .distributed import dask_client

    timings: dict[str, float] = {}
    with dask_client(scheduler) as client:
        with _timed(timings, "corpus"):
            documents, passages = corpus_stage(config, show_progress=show_progress, client=client)
        kept = kept_passages(passages)
        with _timed(timings, "embeddings"):
            embedder, vectors, cache = embed_stage(
                kept, config, show_progress=show_progress, client=client
            )
    with _timed(timings, "themes"):
        assignments, themes, tmap, model = themes_stage(kept, vectors, embedder, config)
    with _timed(timings, "prevalence"):
        prevalence, excluded, effects = prevalence_stage(assignments, passages, documents, config)
    info = {
        "config": config_to_dict(config),
        "seed": config.seed,
        "corpus_hash": corpus_hash(documents),
        "group_column": config.prevalence.group_column,
        "embedder": {k: str(getattr(embedder, k, "")) for k in ("name", "model_id", "version", "prefix")},
        "min_cluster_size": int(model.min_cluster_size_),
        "themes_fitted_on": (
            f"all {len(kept)} passages" if model.n_fit_ == len(kept) else
            f"a seeded sample of {model.n_fit_} of {len(kept)} passages; the others assigned with transform"
        ),
        "n_documents": int(len(documents)),
        "n_passages_kept": int(len(kept)),
        "n_themes": int(len(themes)),
        "language_purity": _purity(assignments, kept),
    }
    tables = {
        "documents": documents, "passages": passages, "assignments": assignments,
        "themes": themes, "theme_map": tmap, "prevalence": prevalence,
        "excluded": excluded, "effects": effects,
    }
    result = RunResult(tables=tables, info=info, timings=timings)
    write_results(result, results_dir)
    save_model(model, Path(results_dir) / "model")
    result.info["cache"] = cache
    result.info["themes_cache"] = "reused" if getattr(model, "from_cache_", None) is not None else "fitted"
    return result


def _purity(assignments: pd.DataFrame, kept: pd.DataFrame) -> float | None:
    from .metrics import language_purity

    lang = kept.set_index("passage_id")["language"]
    labels = assignments["theme_id"].to_numpy()
    if (labels == -1).all():
        return None
    value = language_purity(labels, lang.loc[assignments["passage_id"]].fillna("und").to_numpy())
    return round(float(value), 6)
