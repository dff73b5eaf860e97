"""Command line: ``coopthemes corpus | themes | run | report | evaluate | validate | export | replicate | explore``.

Every command takes ``--config FILE`` (YAML, see README); command-line
options override the file. ``-v`` (more) and ``-q`` (less) may stand
anywhere on the line.

Exit status: 0 done; 2 bad input (one line ``error: <file>: <problem>``; a
report from changed results: one line per file); 1 an unexpected error (one
line; ``-v`` adds the traceback, ``-vv`` for every error), or a replication
whose files differ (each named); 130 interrupted (Ctrl-C: one line saying
what was kept and how to resume).
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

__all__ = ["build_parser", "main"]

log = logging.getLogger("coopthemes")

#: Corpus column flags shared by ``corpus`` and ``run``: flag -> CorpusConfig field.
_COLUMN_FLAGS = {
    "--text-column": ("text_column", "text column of a table corpus (default: text)"),
    "--id-column": ("id_column", "document id column of a table corpus"),
    "--title-column": ("title_column", "title column of a table corpus"),
    "--language-column": ("language_column", "language column (ISO 639-1 codes)"),
    "--date-column": ("date_column", "date column (YYYY-MM-DD, YYYYMMDD, YYYY-MM or YYYY)"),
    "--partner-column": ("partner_column", "partner column (countries separated by ';')"),
}


def _setup_env() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    if "NUMBA_CACHE_DIR" not in os.environ:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        os.environ["NUMBA_CACHE_DIR"] = str(root / "coopthemes" / "numba")


def _quiet_third_parties(verbosity: int) -> None:
    """Keep other libraries' warnings and font logs out of the terminal unless ``-v``."""
    if verbosity > 0:
        return
    warnings.filterwarnings("ignore", module=r"(?!coopthemes)")
    for name in ("matplotlib", "matplotlib.font_manager", "numba", "umap", "bertopic", "BERTopic", "hdbscan",
                 "distributed", "fsspec", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _config(args, **corpus_overrides):
    from .config import load_config, with_overrides

    config = load_config(args.config) if getattr(args, "config", None) else load_config()
    corpus = {k: v for k, v in corpus_overrides.items() if v is not None}
    return with_overrides(config, corpus=corpus) if corpus else config


def _column_overrides(args) -> dict:
    return {field: getattr(args, field, None) for field, _ in _COLUMN_FLAGS.values()}


def _cell(value) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return ""
    return str(value)


def _print_tables(title: str, tables: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{title}[/bold]", markup=True, highlight=False)
    for name, df in tables.items():
        table = Table(title=name, show_lines=False)
        for col in df.columns:
            table.add_column(str(col))
        for row in df.itertuples(index=False):
            table.add_row(*(_cell(v) for v in row))
        console.print(table)


def _command_line() -> str:
    return "coopthemes " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _no_text(documents, where) -> str | None:
    """Why a corpus gives nothing to model (no document with article text), or None."""
    if int((documents["status"] == "ok").sum()) and int(documents["n_passages"].sum()):
        return None
    counts = documents["status"].value_counts()
    statuses = ", ".join(f"{k} {int(v)}" for k, v in sorted(counts.items())) or "no inputs"
    reasons = documents["reason"].dropna().astype(str).value_counts()
    common = f"; most common reason: {reasons.index[0][:160]}" if len(reasons) else ""
    return f"{where}: none of the {len(documents)} inputs has article text ({statuses}){common}"


def cmd_corpus(args) -> int:
    from .corpus import summarize_corpus
    from .distributed import dask_client
    from .pipeline import corpus_stage

    config = _config(args, path=str(args.path), **_column_overrides(args))
    with dask_client(args.scheduler) as client:
        documents, passages = corpus_stage(config, client=client)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    documents.to_parquet(out / "documents.parquet", index=False)
    passages.to_parquet(out / "passages.parquet", index=False)
    if args.verbosity >= 0:
        _print_tables(f"Corpus {args.path}: {len(documents)} documents, {len(passages)} passages",
                      summarize_corpus(documents, passages))
    print(f"wrote {out / 'documents.parquet'} and {out / 'passages.parquet'}")
    problem = _no_text(documents, args.path)
    if problem:
        print(f"error: {problem}; see {out / 'documents.parquet'}", file=sys.stderr)
        return 2
    return 0


def _read_table(path: Path, columns: tuple[str, ...]):
    """A Parquet table written by an earlier command, or a ValueError naming the file."""
    import pandas as pd

    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # a damaged file raises errors of many kinds
        raise ValueError(f"{path}: not a readable Parquet table ({type(exc).__name__}); "
                         "write it again with the command that made it") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: no column(s) {', '.join(missing)}; not a table written by coopthemes")
    return df


def preflight(config, source: str | None = None) -> None:
    """Check, before any heavy work, what would otherwise fail late: the backend's extra, the codebook.

    ``source`` is the configuration file, named in the message.
    """
    import importlib.util

    backend = config.embeddings.backend
    if backend.startswith("sentence-transformers") and importlib.util.find_spec("sentence_transformers") is None:
        where = f"{source}: " if source else ""
        raise ImportError(f"{where}embeddings.backend: {backend!r} needs the optional extra: "
                          "pip install 'coopthemes[sentence-transformers]' (torch included)")
    if config.themes.codebook_mode != "off":
        from .themes.codebook import load_codebook

        load_codebook(config.themes.codebook, languages=config.corpus.languages)


def cmd_themes(args) -> int:
    from .distributed import dask_client
    from .pipeline import edit_stage, embed_stage, kept_passages, load_theme_edits, themes_stage

    config = _config(args)
    preflight(config, args.config)
    src = Path(args.corpus_dir)
    if not (src / "passages.parquet").is_file():
        print(f"error: {src}: no passages.parquet (run `coopthemes corpus` first)", file=sys.stderr)
        return 2
    edits = load_theme_edits(config)
    kept = kept_passages(_read_table(src / "passages.parquet", ("passage_id", "doc_id", "text", "language", "kept")))
    if not len(kept):
        print(f"error: {src / 'passages.parquet'}: no kept passages to model", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    with _naming(src / "passages.parquet"):
        with dask_client(args.scheduler) as client:
            embedded = embed_stage(kept, config, client=client)
        t1 = time.perf_counter()
        model = themes_stage(embedded, config)
    edited = edit_stage(model, config, edits=edits)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"assignments": edited.assignments, "themes": edited.themes, "terms": edited.terms,
              "frex": edited.frex, "representatives": edited.representatives, "theme_map": edited.theme_map,
              "theme_edits": edited.log if edited.record is not None else None}
    for name, df in tables.items():
        if df is None:
            (out / f"{name}.parquet").unlink(missing_ok=True)
        else:
            df.to_parquet(out / f"{name}.parquet", index=False)
    model.save(out / "model")
    print(f"embedded {len(kept)} passages in {t1 - t0:.1f} s (cache: {embedded.cache})")
    if args.verbosity >= 0:
        summary = edited.themes[["theme_id", "theme", "codebook_id", "size", "language_mix"]]
        _print_tables(f"{len(summary)} themes, {int(model.is_outlier_.sum())} outlier passages before reduction",
                      {"themes": summary})
    print(f"wrote {out}/{', '.join(f'{n}.parquet' for n, df in tables.items() if df is not None)}, model/")
    return 0


@contextmanager
def _naming(source: str):
    """Prefix a ValueError's message with ``source`` (the corpus) unless it names it already."""
    try:
        yield
    except ValueError as exc:
        if str(source) in str(exc):
            raise
        raise ValueError(f"{source}: {exc}") from exc


def cmd_run(args) -> int:
    from .pipeline import run
    from .report import build_report

    config = _config(args, path=str(args.corpus) if args.corpus else None, **_column_overrides(args))
    preflight(config, args.config)
    out = Path(args.out)
    results = out / "results"
    t0 = time.perf_counter()
    with _naming(config.corpus.path):
        result = run(config, results_dir=results, scheduler=args.scheduler)
    written = build_report(results, out, command=_command_line())
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    print(f"{result.info['n_documents']} documents, {result.info['n_passages_kept']} kept passages, "
          f"{result.info['n_themes']} themes ({result.theme_fit}); embedding cache {result.embedding_cache}")
    print(f"stages: {timings}; total {time.perf_counter() - t0:.1f} s")
    print(f"wrote {len(written)} files under {out} (results in {results}, MANIFEST.json)")
    return 0


def cmd_report(args) -> int:
    from .pipeline import redo_results
    from .report import build_report, changed_summary, check_results
    from .results import read_results

    config = _config(args) if args.config else None
    formats = args.formats or (config.report.formats if config is not None else None)
    results_dir = Path(args.results_dir)
    out = Path(args.out) if args.out else results_dir.parent
    if not results_dir.is_dir():
        raise FileNotFoundError(f"{results_dir}: no such results folder")
    source, problems = check_results(results_dir, out)
    if problems and not args.force:
        for line in [*problems, changed_summary(results_dir, problems)]:
            print(f"error: {line}", file=sys.stderr)
        return 2
    for line in problems:
        print(f"warning: {line} (--force: reporting from it as it is)", file=sys.stderr)
    if source is None:
        log.warning("%s: no SHA256SUMS or MANIFEST.json records its files; they are not verified", results_dir)
    edits = args.edits or (config.themes.edits if config is not None else None)
    n_themes = args.n_themes or (config.themes.n_themes if config is not None else None)
    t0 = time.perf_counter()
    if edits is not None or n_themes is not None:
        if edits is None or n_themes is None:  # the other one as the run recorded it
            recorded = read_results(results_dir).info.get("config", {}).get("themes", {})
            edits = edits if edits is not None else recorded.get("edits")
            n_themes = n_themes if n_themes is not None else recorded.get("n_themes")
        result = redo_results(results_dir, out / "results", edits=edits, n_themes=n_themes)
        results_dir = out / "results"
        print(f"{result.info['n_themes']} themes after edits ({_edit_summary(result.info.get('edits'))}); "
              f"prevalence and effects redone in {sum(result.timings.values()):.1f} s")
    written = build_report(results_dir, out, formats=formats, command=_command_line())
    print(f"wrote {len(written)} files under {out} in {time.perf_counter() - t0:.1f} s")
    return 0


def _edit_summary(record: dict | None) -> str:
    if not record:
        return "none"
    parts = [f"{key} {len(record[key])}" for key in ("rename", "merge", "drop", "codebook") if record.get(key)]
    if record.get("n_themes"):
        parts.append(f"n_themes {record['n_themes']} ({len(record.get('n_themes_merges') or [])} merges)")
    return ", ".join(parts) or "none"


def _formats(value: str) -> tuple[str, ...]:
    from .config import FIGURE_FORMATS

    chosen = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [v for v in chosen if v not in FIGURE_FORMATS]
    if not chosen or bad:
        raise argparse.ArgumentTypeError(f"expected some of {', '.join(FIGURE_FORMATS)} separated by commas, "
                                         f"got {value!r}")
    return chosen


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value!r}")
    return number


def _scheduler(value: str) -> str:
    from .distributed import parse_scheduler

    try:
        parse_scheduler(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return value


def _verbosity_options(*, top: bool) -> argparse.ArgumentParser:
    """``-v``/``-q``, accepted before and after the command (the later ones add up)."""
    p = argparse.ArgumentParser(add_help=False)
    default = 0 if top else argparse.SUPPRESS
    p.add_argument("-v", "--verbose", dest="verbose", action="count", default=default,
                   help="more messages (-vv: debug; also shows other libraries' warnings)")
    p.add_argument("-q", "--quiet", dest="quiet", action="count", default=default,
                   help="fewer messages (only results and errors)")
    return p


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="coopthemes", description=__doc__.splitlines()[0],
                                     parents=[_verbosity_options(top=True)])
    parser.add_argument("--version", action="version", version=f"coopthemes {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = [_verbosity_options(top=False)]

    def add(name: str, help_: str, func) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_, parents=common)
        p.set_defaults(func=func)
        return p

    def columns(p: argparse.ArgumentParser) -> None:
        for flag, (dest, text) in _COLUMN_FLAGS.items():
            p.add_argument(flag, dest=dest, help=text)

    def scheduler(p: argparse.ArgumentParser) -> None:
        p.add_argument("--scheduler", type=_scheduler,
                       help="run on Dask workers: 'local:N' (N local worker processes) or 'tcp://HOST:PORT' "
                            "(a running scheduler); needs the 'dask' extra. Default: this process")

    p = add("corpus", "documents and passages tables from raw documents", cmd_corpus)
    p.add_argument("path", help="folder of .txt/.md/.html files, or a .csv/.jsonl/.parquet table")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="YAML configuration")
    columns(p)
    scheduler(p)

    p = add("themes", "embed kept passages and fit cross-lingual themes", cmd_themes)
    p.add_argument("corpus_dir", help="folder written by `coopthemes corpus`")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="YAML configuration")
    scheduler(p)

    p = add("run", "corpus -> embeddings -> themes -> prevalence -> figures and tables", cmd_run)
    p.add_argument("--config", help="YAML configuration")
    p.add_argument("--corpus", help="corpus folder or table (default: the config's, else seeds/)")
    p.add_argument("--out", default="figures", help="output folder (default: figures)")
    columns(p)
    scheduler(p)

    p = add("report", "redraw figures and tables from a results folder; apply theme edits without refitting",
            cmd_report)
    p.add_argument("results_dir", help="results folder written by `coopthemes run` (OUT/results)")
    p.add_argument("--out", help="output folder (default: the results folder's parent); with edits, the edited "
                                 "results go to OUT/results")
    p.add_argument("--config", help="YAML configuration (report.formats; themes.edits and themes.n_themes)")
    p.add_argument("--edits", help="theme edits YAML (rename, merge, drop, codebook) applied to the fitted "
                                   "themes; prevalence, effects, figures and tables are redone")
    p.add_argument("--n-themes", dest="n_themes", type=_positive_int,
                   help="merge the most similar themes until N are left")
    p.add_argument("--formats", type=_formats,
                   help="figure formats, comma-separated (default: the run's report.formats), e.g. png")
    p.add_argument("--force", action="store_true",
                   help="report even from tables whose sha256 differs from what the run recorded")

    from .evaluation.cli import add_evaluate_parser

    add_evaluate_parser(sub, parents=common)
    from .validation.cli import add_validate_parser

    add_validate_parser(sub, parents=common)
    from .replication.cli import add_replication_parsers

    add_replication_parsers(sub, parents=common)
    from .explore.cli import add_explore_parser

    add_explore_parser(sub, parents=common)
    return parser


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else (
        logging.DEBUG if verbosity > 1 else logging.ERROR)
    logging.basicConfig(level=logging.WARNING if verbosity < 2 else logging.DEBUG,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("coopthemes").setLevel(level)
    _quiet_third_parties(verbosity)


#: Commands that fit themes, and so need BERTopic.
_NEEDS_BERTOPIC = ("themes", "run", "evaluate", "export", "replicate")
#: BERTopic's light-weight install (its metadata would pull sentence-transformers and torch).
BERTOPIC_INSTALL = "pip install --no-deps bertopic==0.17.4"


def _missing_bertopic(command: str) -> bool:
    import importlib.util

    return command in _NEEDS_BERTOPIC and importlib.util.find_spec("bertopic") is None


def _one_line(exc: BaseException, limit: int = 1000) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kept_chunks(args, since: float) -> str:
    """What an interrupted command leaves behind, and how to resume it."""
    if args.command in ("themes", "run", "evaluate"):
        try:
            root = Path(_config(args).embeddings.cache_dir)
        except Exception:  # the config itself may be what failed
            root = Path(".cache/embeddings")
        done = [p for p in root.glob("*/*.json") if p.stat().st_mtime >= since] if root.is_dir() else []
        return (f"{len(done)} embedding chunk(s) finished in this run are kept in {root}; "
                "run the same command again to resume from them")
    if args.command == "report":
        return ("MANIFEST.json is written last, so the figures and tables drawn so far are not in it; "
                "run the same command again")
    if args.command == "replicate":
        return (f"{args.out} holds a partial replication; remove it (or give another --out) and run the "
                "command again")
    return "nothing was written (the tables are written at the end); run the same command again"


def _traceback_if(args, verbosity: int) -> None:
    """Print the current exception's traceback when the command ran with at least ``verbosity`` ``-v``."""
    if args is not None and getattr(args, "verbosity", 0) >= verbosity:
        import traceback

        traceback.print_exc()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``coopthemes`` command."""
    started = time.time()
    args = None
    try:
        _setup_env()
        args = build_parser().parse_args(argv)
        if _missing_bertopic(args.command):
            print(f"error: BERTopic is not installed; complete the install with: {BERTOPIC_INSTALL}", file=sys.stderr)
            return 2
        args.verbosity = int(getattr(args, "verbose", 0) or 0) - int(getattr(args, "quiet", 0) or 0)
        _configure_logging(args.verbosity)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        kept = _kept_chunks(args, started) if args is not None else "nothing was written"
        print(f"\ninterrupted: {kept}", file=sys.stderr)
        return 130
    except (ValueError, ImportError) as exc:  # ConfigError, CodebookError, GazetteerError are ValueErrors
        _traceback_if(args, 2)
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except MemoryError:
        print("error: out of memory (a document or table too large? see corpus.max_document_chars)", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except OSError as exc:
        _traceback_if(args, 2)
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"error: {where}{exc.strerror or _one_line(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # the last resort: one line, the traceback with -v
        _traceback_if(args, 1)
        print(f"error: unexpected {type(exc).__name__}: {_one_line(exc)} (rerun with -v for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
