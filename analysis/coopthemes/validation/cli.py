"""``coopthemes validate sample | intrusion | score``: validation against human judgement."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

__all__ = ["add_validate_parser", "cmd_intrusion", "cmd_sample", "cmd_score"]


def _command_line() -> str:
    return "coopthemes " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _results(path: str):
    from ..results import read_results

    return read_results(path)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {number}")
    return number


def cmd_sample(args) -> int:
    from .sample import draw_sample, write_sample

    result = _results(args.results_dir)
    sample = draw_sample(result, per_theme=args.per_theme, unit=args.unit, by_partner=args.by_partner,
                         seed=args.seed, codebook=args.codebook)
    out = Path(args.out)
    write_sample(sample, out, command=_command_line(), result=result)
    short = sum(1 for s in sample.info["strata"] if s["drawn"] < s["available"])
    if args.verbosity >= 0:
        print(f"sample {sample.sample_id}: {len(sample.sheet)} {args.unit}s from "
              f"{sample.key['stratum'].nunique()} strata (theme x language{' x partner' if args.by_partner else ''}; "
              f"{short} strata sampled, the others taken whole), {len(sample.choices) - 1} themes to choose from")
    print(f"wrote {out / 'coders'} (coding_sheet.xlsx, coding_sheet.csv, themes.csv, instructions.md: for the "
          f"coders) and {out / 'answer_key.csv'} (keep it from the coders)")
    return 0


def cmd_intrusion(args) -> int:
    from .intrusion import draw_intrusion, write_intrusion

    result = _results(args.results_dir)
    tasks = draw_intrusion(result, n_terms=args.n_terms, per_theme=args.per_theme, seed=args.seed)
    out = Path(args.out)
    write_intrusion(tasks, out, command=_command_line(), result=result)
    if args.verbosity >= 0:
        for name, task in tasks.items():
            print(f"{name} intrusion: sample {task.sample_id}, {len(task.sheet)} items")
    print(f"wrote {out / 'coders'} (" + ", ".join(f"{n}_intrusion.xlsx/.csv" for n in tasks)
          + f") and {out / 'answer_key.csv'} (keep it from the coders)")
    return 0


def _summary(scores) -> str:
    import pandas as pd

    data = scores.by_theme
    if scores.kind in ("word", "theme"):
        columns = ["theme", "n_items", "share_found", "share_found_low", "share_found_high"]
    else:
        columns = ["theme", "kappa", "support", "predicted", "precision", "recall", "f1"]
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.3f}".format):
        return data[[c for c in columns if c in data]].to_string(index=False, na_rep="")


def cmd_score(args) -> int:
    from ..results import read_results
    from .score import score_document_codes, score_sheets, write_scores
    from ._common import ValidationError

    if bool(args.sheets) == bool(args.documents):
        raise ValidationError("validate score: give filled SHEETs or --documents CODES (one of the two)")
    if args.n_boot < 1:
        raise ValidationError(f"--n-boot: expected at least 1, got {args.n_boot}")
    result = read_results(args.results_dir)
    if args.documents:
        scores = score_document_codes(result, args.documents, n_boot=args.n_boot, seed=args.seed,
                                      codebook=args.codebook)
        inputs = [args.documents]
    else:
        scores = score_sheets(result, args.sheets, keys=args.key or (), n_boot=args.n_boot, seed=args.seed,
                              codebook=args.codebook)
        inputs = [*args.sheets, scores.info["key"]]
    out = Path(args.out)
    paths = write_scores(scores, out, command=_command_line(), result=result, inputs=inputs)
    if args.verbosity >= 0:
        print(repr(scores))
        print(_summary(scores))
    print(f"wrote {len(paths)} files under {out} (tables/, validation_scores.*, MANIFEST.json)")
    return 0


def add_validate_parser(sub, parents=()) -> argparse.ArgumentParser:
    """Register ``validate`` and its commands ``sample``, ``intrusion`` and ``score``."""
    text = "validate themes against human judgement: coding samples, intrusion tasks, scores"
    p = sub.add_parser("validate", help=text, description=text, parents=list(parents))
    commands = p.add_subparsers(dest="validate_command", required=True, metavar="COMMAND")

    def add(name: str, help_: str, func) -> argparse.ArgumentParser:
        q = commands.add_parser(name, help=help_, description=help_, parents=list(parents))
        q.set_defaults(func=func)
        q.add_argument("results_dir", help="results folder written by `coopthemes run` (OUT/results)")
        return q

    q = add("sample", "a blind coding sample stratified by theme and language, with its answer key", cmd_sample)
    q.add_argument("--per-theme", type=_positive, required=True, help="items per theme")
    q.add_argument("--unit", choices=("passage", "document"), default="passage",
                   help="code passages (one theme each) or documents (every theme they discuss, and partners)")
    q.add_argument("--by-partner", action="store_true", help="also stratify by the document's partners")
    q.add_argument("--seed", type=int, default=0, help="seed of the draw (default 0)")
    q.add_argument("--codebook", help="codebook YAML (default: the run's)")
    q.add_argument("--out", required=True, help="output folder")

    q = add("intrusion", "word- and theme-intrusion tasks with their answer key", cmd_intrusion)
    q.add_argument("--n-terms", type=_positive, default=5, help="top terms shown per word item (default 5)")
    q.add_argument("--per-theme", type=_positive, default=5, help="theme-intrusion passages per theme (default 5)")
    q.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    q.add_argument("--out", required=True, help="output folder")

    q = add("score", "agreement between coders and the model's precision and recall against their consensus",
            cmd_score)
    q.add_argument("sheets", nargs="*", metavar="SHEET", help="filled sheets, one per coder (.csv or .xlsx)")
    q.add_argument("--documents", metavar="CODES",
                   help="coders' document codes instead of sheets: JSONL with one object per coder "
                        "(themes, partners) or a table with one row per document and coder")
    q.add_argument("--key", action="append", metavar="FILE",
                   help="answer key (default: answer_key.csv beside the sheets or up to two folders up)")
    q.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    q.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    q.add_argument("--codebook", help="codebook YAML (default: the run's)")
    q.add_argument("--out", required=True, help="output folder")
    return p
