"""``python -m coopthemes.report``: redraw one figure, rewrite one table, or everything.

::

    python -m coopthemes.report all RESULTS_DIR OUT_DIR [--formats pdf,png] [--force]
    python -m coopthemes.report figure NAME RESULTS_DIR OUT_DIR [--formats pdf,png] [--force]
    python -m coopthemes.report table NAME RESULTS_DIR OUT_DIR [--force]
    python -m coopthemes.report list

The results are checked first, as by ``coopthemes report``: files that differ
from what the run recorded are named, one line each, and nothing is drawn
unless ``--force``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    from . import FIGURES, TABLES

    parser = argparse.ArgumentParser(prog="python -m coopthemes.report", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("all", help="every figure and table, and MANIFEST.json")
    p.add_argument("results_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--formats", help="comma-separated figure formats (default: the run's)")
    p = sub.add_parser("figure", help="one figure")
    p.add_argument("name", choices=list(FIGURES))
    p.add_argument("results_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    p.add_argument("--formats", default="pdf,png,svg", help="comma-separated figure formats")
    p = sub.add_parser("table", help="one table (or family of tables)")
    p.add_argument("name", choices=list(TABLES))
    p.add_argument("results_dir", type=Path)
    p.add_argument("out_dir", type=Path)
    for p in sub.choices.values():
        p.add_argument("--force", action="store_true",
                       help="draw even from tables whose sha256 differs from what the run recorded")
    sub.add_parser("list", help="the registered figures and tables")
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("MPLBACKEND", "Agg")
    from . import FIGURES, TABLES, build_report, changed_summary, check_results, draw_figures, write_tables
    from ..results import read_results

    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.what == "list":
        for kind, registry in (("figure", FIGURES), ("table", TABLES)):
            for name, entry in registry.items():
                print(f"{kind:6} {name:20} {entry.doc}")
        return 0
    try:
        problems = check_results(args.results_dir, args.out_dir)[1] if args.results_dir.is_dir() else []
        if problems and not args.force:
            for line in [*problems, changed_summary(args.results_dir, problems)]:
                print(f"error: {line}", file=sys.stderr)
            return 2
        for line in problems:
            print(f"warning: {line} (--force: drawing from it as it is)", file=sys.stderr)
        if args.what == "all":
            formats = tuple(args.formats.split(",")) if args.formats else None
            paths = build_report(args.results_dir, args.out_dir, formats=formats)
        elif args.what == "figure":
            results = read_results(args.results_dir)
            paths = list(draw_figures(results, args.out_dir, names=[args.name], formats=args.formats.split(",")))
        else:
            paths = list(write_tables(read_results(args.results_dir), args.out_dir, names=[args.name]))
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
