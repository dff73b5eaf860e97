"""Command line: ``coopthemes corpus | themes | run | report``.

Every command takes ``--config FILE`` (YAML, see README); command-line
options override the file.
"""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
import time
from pathlib import Path

__all__ = ["main"]

log = logging.getLogger("coopthemes")


def _setup_env() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")
    if "NUMBA_CACHE_DIR" not in os.environ:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        os.environ["NUMBA_CACHE_DIR"] = str(root / "coopthemes" / "numba")


def _config(args, **corpus_overrides):
    from .config import load_config, with_overrides

    config = load_config(args.config) if args.config else load_config()
    corpus = {k: v for k, v in corpus_overrides.items() if v is not None}
    return with_overrides(config, corpus=corpus) if corpus else config


def _corpus_overrides(args) -> dict:
    keys = ("text_column", "id_column", "language_column", "date_column", "partner_column", "title_column")
    return {k: getattr(args, k, None) for k in keys}


def _print_tables(title: str, tables: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"[bold]{title}[/bold]")
    for name, df in tables.items():
        table = Table(title=name, show_lines=False)
        for col in df.columns:
            table.add_column(str(col))
        for row in df.astype(str).itertuples(index=False):
            table.add_row(*row)
        console.print(table)


def cmd_corpus(args) -> int:
    from .corpus import summarize_corpus
    from .pipeline import corpus_stage

    from .distributed import dask_client

    config = _config(args, path=str(args.path), **_corpus_overrides(args))
    with dask_client(args.scheduler) as client:
        documents, passages = corpus_stage(config, client=client)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    documents.to_parquet(out / "documents.parquet", index=False)
    passages.to_parquet(out / "passages.parquet", index=False)
    _print_tables(f"Corpus {args.path}: {len(documents)} documents, {len(passages)} passages",
                  summarize_corpus(documents, passages))
    print(f"wrote {out / 'documents.parquet'} and {out / 'passages.parquet'}")
    return 0


def cmd_themes(args) -> int:
    import pandas as pd

    from .distributed import dask_client
    from .pipeline import embed_stage, kept_passages, save_model, themes_stage

    config = _config(args)
    src = Path(args.corpus_dir)
    if not (src / "passages.parquet").is_file():
        print(f"error: {src}: no passages.parquet (run `coopthemes corpus` first)", file=sys.stderr)
        return 2
    kept = kept_passages(pd.read_parquet(src / "passages.parquet"))
    t0 = time.perf_counter()
    with dask_client(args.scheduler) as client:
        embedder, vectors, cache = embed_stage(kept, config, client=client)
    t1 = time.perf_counter()
    assignments, themes, tmap, model = themes_stage(kept, vectors, embedder, config)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    assignments.to_parquet(out / "assignments.parquet", index=False)
    themes.to_parquet(out / "themes.parquet", index=False)
    tmap.to_parquet(out / "theme_map.parquet", index=False)
    save_model(model, out / "model")
    print(f"embedded {len(kept)} passages in {t1 - t0:.1f} s (cache: {cache})")
    summary = themes[["theme_id", "theme", "codebook_id", "size", "language_mix"]]
    _print_tables(f"{len(themes)} themes, {int(assignments['is_outlier'].sum())} outlier passages before reduction",
                  {"themes": summary})
    print(f"wrote {out}/assignments.parquet, themes.parquet, theme_map.parquet, model/")
    return 0


def _command_line() -> str:
    return "coopthemes " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def cmd_run(args) -> int:
    from .pipeline import run
    from .report import build_report

    config = _config(args, path=str(args.corpus) if args.corpus else None)
    out = Path(args.out)
    results = out / "results"
    t0 = time.perf_counter()
    result = run(config, results_dir=results, scheduler=args.scheduler)
    written = build_report(results, out, command=_command_line())
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    print(f"{result.info['n_documents']} documents, {result.info['n_passages_kept']} kept passages, "
          f"{result.info['n_themes']} themes ({result.info['themes_cache']}); embedding cache {result.info.get('cache')}")
    print(f"stages: {timings}; total {time.perf_counter() - t0:.1f} s")
    print(f"wrote {len(written)} files under {out} (results in {results}, MANIFEST.json)")
    return 0


def cmd_report(args) -> int:
    from .report import build_report

    out = Path(args.out) if args.out else Path(args.results_dir).parent
    t0 = time.perf_counter()
    written = build_report(Path(args.results_dir), out, command=_command_line())
    print(f"wrote {len(written)} files under {out} in {time.perf_counter() - t0:.1f} s")
    return 0


def _add_corpus_columns(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text-column", help="text column of a table corpus (default: text)")
    p.add_argument("--id-column", help="document id column of a table corpus")
    p.add_argument("--title-column", help="title column of a table corpus")
    p.add_argument("--language-column", help="language column (ISO 639-1 codes)")
    p.add_argument("--date-column", help="date column (YYYY-MM-DD, YYYYMMDD, YYYY-MM or YYYY)")
    p.add_argument("--partner-column", help="partner column (countries separated by ';')")


def _add_scheduler(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scheduler", type=_scheduler,
        help="run on Dask workers: 'local:N' (N local worker processes) or 'tcp://HOST:PORT' "
             "(a running scheduler); needs the 'dask' extra. Default: this process",
    )  # fmt: skip


def _scheduler(value: str) -> str:
    from .distributed import parse_scheduler

    try:
        parse_scheduler(value)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coopthemes", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress messages")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="documents and passages tables from raw documents")
    p.add_argument("path", help="folder of .txt/.md/.html files, or a .csv/.jsonl/.parquet table")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="YAML configuration")
    _add_corpus_columns(p)
    _add_scheduler(p)
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("themes", help="embed kept passages and fit cross-lingual themes")
    p.add_argument("corpus_dir", help="folder written by `coopthemes corpus`")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--config", help="YAML configuration")
    _add_scheduler(p)
    p.set_defaults(func=cmd_themes)

    p = sub.add_parser("run", help="corpus -> embeddings -> themes -> prevalence -> figures and tables")
    p.add_argument("--config", help="YAML configuration")
    p.add_argument("--corpus", help="corpus path (default: the config's, else seeds/)")
    p.add_argument("--out", default="figures", help="output folder (default: figures)")
    _add_scheduler(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="redraw figures and tables from a results folder")
    p.add_argument("results_dir", help="results folder written by `coopthemes run` (OUT/results)")
    p.add_argument("--out", help="output folder (default: the results folder's parent)")
    p.set_defaults(func=cmd_report)

    from .evaluation.cli import add_evaluate_parser

    add_evaluate_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``coopthemes`` command."""
    _setup_env()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from .config import ConfigError
    from .themes.codebook import CodebookError

    try:
        return int(args.func(args) or 0)
    except (ConfigError, CodebookError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
