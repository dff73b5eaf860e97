"""``coopthemes export`` and ``coopthemes replicate``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

__all__ = ["add_replication_parsers", "cmd_export", "cmd_replicate"]


def cmd_export(args) -> int:
    from .export import export_package

    result = export_package(Path(args.results_dir), Path(args.out), manifest=args.manifest, cache_dir=args.cache_dir)
    print(f"wrote {result.path}: {result.files} files, {result.size / 1e6:.2f} MB")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def cmd_replicate(args) -> int:
    from .replicate import REPORT_NAME, replicate_package

    command = "coopthemes " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    report = replicate_package(Path(args.package), Path(args.out), command=command)
    for note in report.notes:
        print(f"note: {note}")
    for check in report.mismatches:
        print(f"DIFFERS {check}")
    counts = "; ".join(f"{kind} {good}/{total}" for kind, (good, total) in report.counts().items())
    verdict = "every file matches" if report.ok else f"{len(report.mismatches)} file(s) differ"
    print(f"replicated in {report.seconds:.1f} s: {verdict} ({counts} match); {Path(args.out) / REPORT_NAME}")
    return 0 if report.ok else 1


def add_replication_parsers(sub, *, parents) -> None:
    """Add ``export`` and ``replicate`` to the command line's subparsers."""
    p = sub.add_parser("export", parents=parents,
                       help="bundle a results folder and its report into a replication package (zip)",
                       description="Bundle a results folder, its report and what reruns them (corpus tables, "
                                   "embeddings, configuration, codebook, fitted model, MANIFEST.json, exact "
                                   "versions, README) into a deterministic zip.")
    p.add_argument("results_dir", help="results folder written by `coopthemes run` (OUT/results)")
    p.add_argument("--out", required=True, help="the zip to write, e.g. replication.zip")
    p.add_argument("--manifest", help="the report's MANIFEST.json (default: beside the results folder)")
    p.add_argument("--cache-dir", dest="cache_dir",
                   help="embedding cache holding the run's vectors (default: the run's embeddings.cache_dir)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("replicate", parents=parents,
                       help="regenerate every table and figure of a replication package and compare them",
                       description="Refit the themes from the package's embeddings, regenerate every table and "
                                   "figure, and compare each with MANIFEST.json; exit status 1 when a file "
                                   "differs (each is named), 2 when the package cannot be read.")
    p.add_argument("package", help="a zip written by `coopthemes export`")
    p.add_argument("--out", required=True, help="a new (or empty) folder")
    p.set_defaults(func=cmd_replicate)
