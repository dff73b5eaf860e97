"""coopthemes: cooperation themes in multilingual security-cooperation news.

Stages, in the order data flows through them::

    corpus -> embeddings (cached) -> themes -> prevalence -> report

The public API (imported lazily: ``import coopthemes`` loads none of the
stages' libraries)::

    import coopthemes

    config = coopthemes.load_config("configs/seeds.yaml")      # or a dict, or None for the defaults
    result = coopthemes.run(config, results_dir="results")     # every stage; tables in result
    result.prevalence_by("partner+year")                       # shares with intervals
    coopthemes.build_report("results", "figures")              # figures, tables, MANIFEST.json

    documents, passages = coopthemes.load_corpus("seeds")      # one stage at a time
    embedder = coopthemes.get_embedder("e5-small-q4")
    model = coopthemes.ThemeModel(embedder=embedder).fit(texts, vectors, languages, ids)
    shares = coopthemes.compute_prevalence(assignments, passages, by="year")
    effects = coopthemes.estimate_effects(assignments, passages, documents)
    result = coopthemes.read_results("results")
    coopthemes.export_package("results", "replication.zip")   # a replication package
    coopthemes.replicate_package("replication.zip", "again")   # refit, regenerate, compare: .ok, .mismatches
    edited = coopthemes.redo_results("results", "edited", edits="edits.yaml")   # theme edits, no refit

The command line is ``coopthemes`` (:mod:`coopthemes.cli`).
"""

from __future__ import annotations

import importlib
import os

#: Numba compiles for the generic CPU of the architecture, not for the host:
#: UMAP's and HDBSCAN's fast-math loops otherwise vectorise for the host's
#: register width and sum in another order on another CPU, and themes differ.
#: Set before any stage imports numba; a value the caller set is kept
#: (:func:`coopthemes.themes.numerics.portable_numba` checks it at fit time).
os.environ.setdefault("NUMBA_CPU_NAME", "generic")

__version__ = "0.1.0"

#: Public name -> (module, attribute), imported on first use.
_API = {
    "RunConfig": ("coopthemes.config", "RunConfig"),
    "RunResult": ("coopthemes.results", "RunResult"),
    "ThemeModel": ("coopthemes.themes.model", "ThemeModel"),
    "build_report": ("coopthemes.report", "build_report"),
    "compute_prevalence": ("coopthemes.prevalence", "compute_prevalence"),
    "estimate_effects": ("coopthemes.effects", "estimate_effects"),
    "export_package": ("coopthemes.replication", "export_package"),
    "get_embedder": ("coopthemes.embeddings.backends", "get_embedder"),
    "load_codebook": ("coopthemes.themes.codebook", "load_codebook"),
    "load_config": ("coopthemes.config", "load_config"),
    "load_corpus": ("coopthemes.corpus.build", "load_corpus"),
    "load_edits": ("coopthemes.themes.edits", "load_edits"),
    "read_results": ("coopthemes.results", "read_results"),
    "redo_results": ("coopthemes.pipeline", "redo_results"),
    "replicate_package": ("coopthemes.replication", "replicate_package"),
    "run": ("coopthemes.pipeline", "run"),
    "summarize_corpus": ("coopthemes.corpus.summary", "summarize_corpus"),
}

__all__ = ["__version__", *sorted(_API)]


#: Subpackages reachable as attributes (``coopthemes.validation.score_sheets``), imported on first use.
_SUBMODULES = ("corpus", "embeddings", "plotting", "prevalence", "replication", "report", "tables", "themes",
               "validation")


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"coopthemes.{name}")
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'coopthemes' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API) | set(_SUBMODULES))
