"""``coopthemes explore``: write the explorer page of a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_explore_parser", "cmd_explore"]


def cmd_explore(args) -> int:
    from . import EXPLORER_NAME, write_explorer

    results_dir = Path(args.results_dir)
    out = Path(args.out) if args.out else results_dir.parent / EXPLORER_NAME
    if out.is_dir():
        out = out / EXPLORER_NAME
    path = write_explorer(results_dir, out, manifest=args.manifest)
    size = path.stat().st_size
    print(f"wrote {path} ({size / 1e6:.1f} MB)" if size >= 100_000 else f"wrote {path} ({size / 1e3:.0f} kB)")
    return 0


def add_explore_parser(sub, parents=()) -> argparse.ArgumentParser:
    text = "write a self-contained HTML page to browse themes, passages, prevalence and provenance"
    p = sub.add_parser("explore", help=text, description=text, parents=list(parents))
    p.add_argument("results_dir", help="results folder written by `coopthemes run` (OUT/results)")
    p.add_argument("--out", help="HTML file to write (default: explorer.html beside the results folder); "
                                 "a folder gets explorer.html inside it")
    p.add_argument("--manifest", help="MANIFEST.json whose provenance the page shows "
                                      "(default: the one beside the results folder, if any)")
    p.set_defaults(func=cmd_explore)
    return p
