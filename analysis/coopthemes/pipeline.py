"""The whole chain, driven by a :class:`~coopthemes.config.RunConfig`.

corpus -> embeddings (cached) -> themes -> prevalence -> results folder

Each ``*_stage`` function takes the config and the previous stage's output
and returns the next; :func:`run` chains them and writes the results folder
(:mod:`coopthemes.results`), from which :func:`coopthemes.report.build_report`
draws every figure and table. The stages own their state: the embedding cache
lives with the embeddings, the theme-fit cache with the themes, the results
folder's contract in :mod:`coopthemes.results`.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .config import RunConfig, config_to_dict, load_config, with_overrides
from .results import MODEL_DIR, RunResult, write_results
from .schema import breakdowns_for

__all__ = [
    "Embedded",
    "PrevalenceResult",
    "as_config",
    "corpus_stage",
    "embed_stage",
    "kept_passages",
    "make_embedder",
    "edit_stage",
    "prevalence_stage",
    "redo_results",
    "require_bertopic",
    "run",
    "run_from_embedded",
    "theme_texts",
    "themes_stage",
]

log = logging.getLogger(__name__)


def as_config(config: RunConfig | str | Path | dict | None) -> RunConfig:
    """A RunConfig from itself, a YAML file, a dict of settings, or None (the defaults)."""
    if config is None:
        return load_config()
    if isinstance(config, RunConfig):
        return config
    if isinstance(config, dict):
        return load_config(data=config)
    return load_config(config)


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
    return load_corpus(config=config.corpus, show_progress=show_progress, map_func=map_func)


def kept_passages(passages: pd.DataFrame) -> pd.DataFrame:
    """Kept passages, sorted by ``passage_id``: the rows that are embedded and modelled."""
    kept = passages[passages["kept"].astype(bool)]
    return kept.sort_values("passage_id", ignore_index=True)


@dataclass
class Embedded:
    """Kept passages with their vectors.

    Attributes
    ----------
    passages : DataFrame
        The kept passages, sorted by ``passage_id``, in the order of ``vectors``.
    texts : list of str
        What was embedded: the passages' text, partner-neutral when
        ``themes.neutralize`` (:mod:`coopthemes.corpus.neutralize`).
    vectors : ndarray of shape (n_passages, dim)
    embedder : Embedder
    cache : dict
        Cache hits, misses and model calls of this stage.
    """

    passages: pd.DataFrame
    texts: list
    vectors: np.ndarray
    embedder: object
    cache: dict

    def __repr__(self) -> str:
        return (f"Embedded({len(self.passages)} passages x {self.vectors.shape[1]} dims, "
                f"{self.embedder!r}, cache {self.cache})")


def embed_stage(kept: pd.DataFrame, config: RunConfig, *, show_progress: bool | None = None, client=None) -> Embedded:
    """Embed kept passages through the on-disk cache.

    ``client`` (a ``distributed.Client``) computes the chunks missing from the
    cache on its Dask workers, each of which loads the encoder once; the
    vectors and the cache are the same as in one process.
    """
    from .embeddings import EmbeddingCache

    e = config.embeddings
    texts = theme_texts(kept, config)
    embedder = make_embedder(config, texts, show_progress=show_progress)
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
    counts = {k: int(getattr(stats, k)) for k in ("hits", "misses", "model_calls", "texts_embedded")}
    return Embedded(passages=kept, texts=texts, vectors=vectors, embedder=embedder, cache=counts)


def make_embedder(config: RunConfig, texts: list[str], *, show_progress: bool | None = None):
    """The configured embedder, fitted on ``texts`` when it is a lexical model (``tfidf-svd``)."""
    from .embeddings import get_embedder

    e = config.embeddings
    embedder = get_embedder(e.backend, batch_size=e.batch_size, show_progress=show_progress,
                            num_threads=e.num_threads)
    if e.backend == "tfidf-svd":
        embedder.fit(texts)
    return embedder


def theme_texts(kept: pd.DataFrame, config: RunConfig, *, gazetteer=None) -> list[str]:
    """The text of each kept passage as the theme model sees it: partner-neutral unless switched off.

    ``gazetteer`` (a loaded :class:`~coopthemes.corpus.gazetteer.Gazetteer`)
    is used in place of the configured one (``corpus.gazetteer``).
    """
    texts = kept["text"].astype(str).tolist()
    if not config.themes.neutralize:
        return texts
    from .corpus.gazetteer import load_gazetteer
    from .corpus.neutralize import neutralize_all

    languages = [None if pd.isna(v) else str(v) for v in kept["language"]]
    if gazetteer is None:
        gazetteer = load_gazetteer(config.corpus.gazetteer)
    return neutralize_all(texts, languages, gazetteer=gazetteer)


def themes_cache_dir(config: RunConfig) -> Path:
    """Where fitted theme models are kept: ``themes/`` beside the embedding cache."""
    return Path(config.embeddings.cache_dir).parent / "themes"


def themes_stage(embedded: Embedded, config: RunConfig, *, cache: bool | None = None,
                 documents: pd.DataFrame | None = None, show_progress: bool | None = None, codebook=None):
    """Fit themes on the embedded passages, or reuse an identical earlier fit.

    With ``config.themes.cache`` (default) a fit is stored under
    :func:`themes_cache_dir` and reused when everything it depends on is the
    same (:class:`~coopthemes.themes.cache.ThemeFitCache`); ``cache``
    overrides the config. The model's theme map is computed with it. With
    ``themes.fit_in_scope_only``, ``documents`` (with its ``in_scope``
    column) says which passages the model is fitted on. ``codebook`` (a
    :class:`~coopthemes.themes.Codebook`) is used in place of the configured
    one (``themes.codebook``), unless ``themes.codebook_mode`` is ``off``.

    Returns
    -------
    ThemeModel
        ``model.from_cache_`` is True when it was reused.
    """
    from .themes import fit_themes, load_codebook
    from .themes.cache import ThemeFitCache

    require_bertopic()
    t = config.themes.fit_options()  # edits and n_themes apply to the fit afterwards (edit_stage)
    if t.codebook_mode == "off":
        codebook = None
    elif codebook is None:
        codebook = load_codebook(t.codebook, languages=config.corpus.languages)
    fit_on = _fit_on(embedded.passages, documents) if t.fit_in_scope_only else None
    passages = embedded.passages.assign(text=embedded.texts)
    if fit_on is not None:
        passages = passages.assign(fit_on=fit_on)
    use_cache = t.cache if cache is None else cache
    store = ThemeFitCache(themes_cache_dir(config)) if use_cache else None
    key = None
    if store is not None:
        key = store.key(passages, embedded.vectors, options=t, random_state=config.seed,
                        codebook=codebook, embedder=embedded.embedder)
        model = store.load(key, embedder=embedded.embedder)
        if model is not None:
            model.from_cache_ = True
            return model
    with _progress_bar(t.n_runs, "theme fits", show_progress) as bar:
        model = fit_themes(passages, embedded.vectors, embedder=embedded.embedder, codebook=codebook,
                           options=t, random_state=config.seed, fit_on=fit_on, progress=bar)
    model.theme_map()
    if store is not None:
        store.store(key, model)
    model.from_cache_ = False
    return model


#: BERTopic's light-weight install (its metadata would pull sentence-transformers and torch).
BERTOPIC_INSTALL = "pip install --no-deps bertopic==0.17.4"


def require_bertopic() -> None:
    """ImportError in one line naming the command that completes the install, when BERTopic is missing."""
    import importlib.util

    if importlib.util.find_spec("bertopic") is None:
        raise ImportError(f"BERTopic is not installed; complete the install with: {BERTOPIC_INSTALL}")


def load_theme_edits(config: RunConfig):
    """The configured theme edits file, read and checked (None when ``themes.edits`` is not set)."""
    from .themes.edits import load_edits

    return load_edits(config.themes.edits) if config.themes.edits else None


def _codebook_labels(fitted, config: RunConfig) -> dict[str, str]:
    """Codebook id -> label: the fit's codebook, else the configured one (a fit without codebook)."""
    labels = fitted.codebook_labels()
    if labels:
        return labels
    from .themes import load_codebook

    codebook = load_codebook(config.themes.codebook, languages=config.corpus.languages)
    return {t.id: t.label for t in codebook.themes}


def edit_stage(fitted, config: RunConfig, *, edits=None):
    """The fit's tables with the configured edits and ``themes.n_themes`` applied, without refitting.

    Parameters
    ----------
    fitted : FittedThemes or ThemeModel
        The fit (:class:`~coopthemes.themes.fitted.FittedThemes` of a model
        in memory or of a saved ``results/model``).
    config : RunConfig
    edits : ThemeEdits, optional
        Already loaded edits; default: read ``themes.edits``.

    Returns
    -------
    EditedThemes
        Tables (assignments, themes, terms, FREX terms, representatives per
        language, theme map, each fit's themes) and the edit log.
    """
    from .themes.edits import apply_edits
    from .themes.fitted import FittedThemes

    if not isinstance(fitted, FittedThemes):
        fitted = FittedThemes.from_model(fitted)
    if edits is None:
        edits = load_theme_edits(config)
    needs_codebook = edits is not None and bool(edits.codebook)
    labels = _codebook_labels(fitted, config) if needs_codebook else None
    return apply_edits(fitted, edits, n_themes=config.themes.n_themes, codebook_labels=labels)


@contextmanager
def _progress_bar(total: int, desc: str, show: bool | None):
    """A callback ``update(done)`` over a tqdm bar on a terminal; a no-op otherwise."""
    import sys

    if not (sys.stderr.isatty() if show is None else show):
        yield None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=desc, unit="fit", leave=False) as bar:
        yield lambda done: bar.update(done - bar.n)


def _fit_on(kept: pd.DataFrame, documents: pd.DataFrame | None) -> np.ndarray:
    """Which kept passages belong to in-scope documents (all, when the documents do not say)."""
    if documents is None or "in_scope" not in documents.columns:
        log.warning("themes.fit_in_scope_only: the documents have no in_scope column; fitting on every passage")
        return np.ones(len(kept), dtype=bool)
    scope = documents.set_index("doc_id")["in_scope"].astype("boolean").fillna(False)
    mask = kept["doc_id"].map(scope).fillna(False).to_numpy(dtype=bool)
    if mask.sum() < 3:
        log.warning("themes.fit_in_scope_only: only %d in-scope passages; fitting on every passage", int(mask.sum()))
        return np.ones(len(kept), dtype=bool)
    return mask


@dataclass
class PrevalenceResult:
    """Output of :func:`prevalence_stage`.

    Attributes
    ----------
    prevalence : DataFrame
        One long table; its ``breakdown`` column names the grouping
        (:class:`~coopthemes.schema.Breakdown`).
    excluded : DataFrame
        Documents and passages left out of each breakdown (unknown group or year).
    effects : DataFrame or None
        Regression of document-level theme share on group and year.
    """

    prevalence: pd.DataFrame
    excluded: pd.DataFrame
    effects: pd.DataFrame | None


def prevalence_stage(assignments, passages, documents, config: RunConfig, *,
                     run_assignments: pd.DataFrame | None = None) -> PrevalenceResult:
    """Shares by group, by year and by both, for passages and documents; the regression.

    With ``run_assignments`` (each consensus fit's themes), every share also
    gets ``share_min`` and ``share_max``: its range across the fits.
    """
    from .prevalence import compute_prevalence, excluded_counts, share_ranges

    p = config.prevalence
    extra = documents.drop(columns=[c for c in ("year", "partners") if c in documents.columns])
    group_columns = extra if p.group_column not in ("partner", "year") else None
    frames, notes = [], []
    for breakdown in sorted(breakdowns_for(p.group_column)):
        for unit in ("document", "passage"):
            df = compute_prevalence(
                assignments, passages, by=breakdown.columns, unit=unit, n_boot=p.n_boot, seed=config.seed,
                min_group_size=p.min_group_size, ci=p.ci, group_columns=group_columns,
            )
            if run_assignments is not None:
                ranges = share_ranges(run_assignments, passages, by=breakdown.columns, unit=unit,
                                      group_columns=group_columns)
                df = df.merge(ranges, on=[*breakdown.columns, "theme"], how="left", validate="1:1")
            frames.append(df.assign(breakdown=breakdown.name))
        ex = excluded_counts(passages, by=breakdown.columns, group_columns=group_columns)
        notes.append(ex.assign(breakdown=breakdown.name))
    effects = _effects(assignments, passages, documents, config) if p.regression else None
    return PrevalenceResult(pd.concat(frames, ignore_index=True), pd.concat(notes, ignore_index=True), effects)


def _effects(assignments, passages, documents, config: RunConfig):
    from .effects import estimate_effects

    p = config.prevalence
    terms = (p.group_column, "year")
    try:
        return estimate_effects(assignments, passages, documents, formula_terms=terms, year_as=p.year_effect,
                                compare=list(p.compare) or p.n_compare, ci=p.ci)
    except ValueError as exc:
        log.warning("regression skipped: %s", exc)
        return None


@contextmanager
def _timed(timings: dict, name: str):
    t0 = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - t0, 3)


def run(
    config: RunConfig | str | Path | dict | None = None,
    *,
    results_dir: str | Path = "results",
    show_progress: bool | None = None,
    scheduler: str | None = None,
) -> RunResult:
    """Run every stage and write the results folder.

    Parameters
    ----------
    config : RunConfig, path of a YAML file, dict of settings, or None
        None runs the defaults (the corpus in ``seeds/``).
    results_dir : str or Path
        The results folder (:mod:`coopthemes.results`).
    show_progress : bool or None
        Progress bars; None shows them only when stderr is a terminal.
    scheduler : str, optional
        ``"local:N"`` or ``"tcp://HOST:PORT"`` (see
        :func:`coopthemes.distributed.parse_scheduler`) runs loading, cleaning
        and embedding on Dask workers; the results are identical to None
        (one process).

    Returns
    -------
    RunResult
        Tables, facts (``run.json``), the folder, and seconds per stage.
    """
    from .distributed import dask_client
    from .environment import warn_if_unlocked

    config = as_config(config)
    warn_if_unlocked(logger=log)
    edits = load_theme_edits(config)  # a faulty edits file stops the run before the long stages
    timings: dict[str, float] = {}
    with dask_client(scheduler) as client:
        with _timed(timings, "corpus"):
            documents, passages = corpus_stage(config, show_progress=show_progress, client=client)
        kept = kept_passages(passages)
        with _timed(timings, "embeddings"):
            embedded = embed_stage(kept, config, show_progress=show_progress, client=client)
    result = run_from_embedded(documents, passages, embedded, config, results_dir=results_dir,
                               show_progress=show_progress, timings=timings, edits=edits)
    result.embedding_cache = embedded.cache
    return result


def run_from_embedded(
    documents: pd.DataFrame,
    passages: pd.DataFrame,
    embedded: Embedded,
    config: RunConfig,
    *,
    results_dir: str | Path,
    cache: bool | None = None,
    codebook=None,
    show_progress: bool | None = None,
    timings: dict | None = None,
    edits=None,
) -> RunResult:
    """The rest of a run from the embedded passages: themes, theme edits, prevalence, the results folder.

    :func:`run` calls it after the corpus and embedding stages;
    :func:`coopthemes.replication.replicate` calls it on the tables and
    vectors of a replication package. ``cache`` and ``codebook`` are passed
    to :func:`themes_stage`; ``timings`` (seconds per stage) is filled in;
    ``edits`` (:class:`~coopthemes.themes.edits.ThemeEdits`) are used in place
    of the file named by ``themes.edits``.

    Returns
    -------
    RunResult
        Written to ``results_dir`` with the fitted model in its ``model/``.
    """
    from .provenance import corpus_hash

    timings = {} if timings is None else timings
    edits = load_theme_edits(config) if edits is None else edits
    kept = embedded.passages
    with _timed(timings, "themes"):
        model = themes_stage(embedded, config, cache=cache, documents=documents, show_progress=show_progress,
                             codebook=codebook)
        edited = edit_stage(model, config, edits=edits)
    with _timed(timings, "prevalence"):
        prev = prevalence_stage(edited.assignments, passages, documents, config,
                                run_assignments=edited.run_assignments)
    info = {
        "config": config_to_dict(config),
        "seed": config.seed,
        "corpus_hash": corpus_hash(documents),
        "group_column": config.prevalence.group_column,
        "languages": list(config.corpus.languages),
        "embedder": embedded.embedder.identity.as_dict(),
        "min_cluster_size": int(model.min_cluster_size_),
        "themes_fitted_on": (
            f"all {len(kept)} passages" if model.n_fit_ == len(kept) else
            f"a seeded sample of {model.n_fit_} of {len(kept)} passages; the others assigned with transform"
        ),
        "n_documents": int(len(documents)),
        "n_passages_kept": int(len(kept)),
        "n_themes_fitted": int(len(model.themes_)),
        "language_purity": _purity(edited.assignments, kept),
    }
    result = RunResult(tables={"documents": documents, "passages": passages}, info=info, timings=timings)
    _with_edited(result, edited, prev)
    write_results(result, results_dir)
    model.save(Path(results_dir) / MODEL_DIR)
    result.theme_fit = "reused" if model.from_cache_ else "fitted"
    return result


def _with_edited(result: RunResult, edited, prev: PrevalenceResult) -> RunResult:
    """Put the (edited) theme tables, prevalence and effects into ``result``, and their facts into its info."""
    result.tables.update({
        "assignments": edited.assignments, "themes": edited.themes, "terms": edited.terms, "frex": edited.frex,
        "representatives": edited.representatives, "theme_map": edited.theme_map,
        "theme_edits": edited.log if edited.record is not None else None,
        "prevalence": prev.prevalence, "excluded": prev.excluded, "effects": prev.effects,
    })  # fmt: skip
    result.info["n_themes"] = int(len(edited.themes))
    result.info["edits"] = edited.record
    return result


def redo_results(
    results_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    edits: str | Path | None = None,
    n_themes: int | None = None,
) -> RunResult:
    """Apply theme edits to a run's fit and redo its prevalence and effects, without refitting.

    The edits always apply to the fitted themes saved in ``results_dir/model``
    (never to earlier edits), so the result does not depend on what was
    edited before. Documents, passages and the fit are the run's own.

    Parameters
    ----------
    results_dir : str or Path
        A results folder written by :func:`run` (with its ``model/``).
    out_dir : str or Path, optional
        Where the edited results folder is written (default: ``results_dir``
        itself; the fit in ``model/`` is kept, elsewhere it is copied).
    edits : str or Path, optional
        A theme edits YAML file (:mod:`coopthemes.themes.edits`); None
        applies no edit file.
    n_themes : int, optional
        Merge the most similar themes until this many are left.

    Returns
    -------
    RunResult
        Written to ``out_dir``; ``run.json`` records the edits and the
        configuration with ``themes.edits`` and ``themes.n_themes`` set.
    """
    import shutil

    from .results import read_results
    from .themes.fitted import FittedThemes

    from .config import ConfigError

    src = Path(results_dir)
    base = read_results(src)
    fitted = FittedThemes.load(src / MODEL_DIR)
    try:
        config = load_config(data=_recorded_config(base.info, src))
    except ConfigError as exc:
        raise ConfigError(f"{src / 'run.json'}: the recorded configuration: {exc}") from None
    config = with_overrides(config, themes={"edits": None if edits is None else str(edits), "n_themes": n_themes})
    loaded = load_theme_edits(config)
    timings: dict[str, float] = {}
    with _timed(timings, "edits"):
        edited = edit_stage(fitted, config, edits=loaded)
    with _timed(timings, "prevalence"):
        prev = prevalence_stage(edited.assignments, base["passages"], base["documents"], config,
                                run_assignments=edited.run_assignments)
    info = {**base.info, "config": config_to_dict(config)}
    info.setdefault("n_themes_fitted", int(len(fitted.themes)))
    tables = {name: base.tables[name] for name in ("documents", "passages")}
    result = _with_edited(RunResult(tables=tables, info=info, timings=timings), edited, prev)
    out = Path(out_dir) if out_dir is not None else src
    write_results(result, out)
    if out.resolve() != src.resolve():
        if (out / MODEL_DIR).exists():
            shutil.rmtree(out / MODEL_DIR)
        shutil.copytree(src / MODEL_DIR, out / MODEL_DIR)
    return result


def _recorded_config(info: dict, src: Path) -> dict:
    config = info.get("config")
    if not isinstance(config, dict):
        raise ValueError(f"{src / 'run.json'}: records no configuration; run `coopthemes run` again")
    return config


def _purity(assignments: pd.DataFrame, kept: pd.DataFrame) -> float | None:
    from .metrics import language_purity

    lang = kept.set_index("passage_id")["language"]
    labels = assignments["theme_id"].to_numpy()
    if (labels == -1).all():
        return None
    value = language_purity(labels, lang.loc[assignments["passage_id"]].fillna("und").to_numpy())
    return round(float(value), 6)
