"""``coopthemes evaluate``: score the pipeline on a labelled corpus, optionally sweeping a parameter."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

__all__ = ["add_evaluate_parser", "cmd_evaluate", "parse_sweep"]

#: Sweepable parameters: name on the command line -> field of ``themes`` in the config.
SWEEPABLE = {"min_topic_size": "min_cluster_size", "min_cluster_size": "min_cluster_size",
             "codebook_threshold": "codebook_threshold", "n_neighbors": "n_neighbors"}


def parse_sweep(spec: str) -> tuple[str, str, list]:
    """``"min_topic_size=5,10"`` -> ``("min_topic_size", "min_cluster_size", [5, 10])``."""
    name, _, values = spec.partition("=")
    name = name.strip()
    if name not in SWEEPABLE or not values:
        raise ValueError(f"--sweep: expected NAME=V1,V2,... with NAME in {sorted(SWEEPABLE)}, got {spec!r}")
    cast = float if SWEEPABLE[name] == "codebook_threshold" else int
    try:
        parsed = [cast(v) for v in values.split(",") if v.strip()]
    except ValueError as exc:
        raise ValueError(f"--sweep {name}: {exc}") from None
    return name, SWEEPABLE[name], parsed


def cmd_evaluate(args) -> int:
    from ..config import load_config, with_overrides
    from .harness import evaluate_labels, load_labelled
    from .report import write_metrics, write_report, write_sweep

    if not 1 <= args.seeds <= 100:
        raise ValueError(f"--seeds: give 1 to 100 seeds, got {args.seeds}")
    from ..cli import preflight

    config = load_config(args.config) if args.config else load_config()
    preflight(config, args.config)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    command = "coopthemes " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    data = load_labelled(
        args.path, config, label_column=args.label_column, parallel_column=args.parallel_column,
        text_column=args.text_column, id_column=args.id_column, language_column=args.language_column,
    )
    seeds = tuple(range(args.seeds))
    metrics, themes, model = evaluate_labels(data, config, seeds=seeds)
    write_metrics(metrics, out)
    write_report(metrics, themes, model.terms(), out, title=str(args.path), command=command)
    print(f"{len(data.kept)} passages, {metrics['n_themes']} themes: nmi {metrics['nmi']}, "
          f"consistency {metrics['crosslingual_consistency']}, stability {metrics['stability']}")
    if args.sweep:
        name, field, values = parse_sweep(args.sweep)
        results = []
        for value in values:
            cfg = with_overrides(config, themes={field: value})
            m, _, _ = evaluate_labels(data, cfg, seeds=seeds)
            results.append((value, m))
            print(f"{name}={value}: {m['n_themes']} themes, nmi {m['nmi']}, coherence {m['coherence_npmi']}")
        write_sweep(results, name, out)
    print(f"wrote {out}/metrics.json, report.md" + (f", sweep_{args.sweep.split('=')[0]}.*" if args.sweep else ""))
    return 0


def add_evaluate_parser(sub, parents=()) -> argparse.ArgumentParser:
    text = "score themes on a labelled corpus (NMI, coherence, consistency, ...)"
    p = sub.add_parser("evaluate", help=text, description=text, parents=list(parents))
    p.add_argument("path", help="labelled corpus: .csv/.jsonl/.parquet table or a folder")
    p.add_argument("--label-column", required=True, help="gold label column")
    p.add_argument("--parallel-column", help="column grouping translations of one text")
    p.add_argument("--text-column", default="text",
                   help="text column, or COLUMN=LANG pairs for a wide parallel table (vie=vi,fra=fr,eng=en)")
    p.add_argument("--id-column", help="document id column")
    p.add_argument("--language-column", help="language column")
    p.add_argument("--config", help="YAML configuration")
    p.add_argument("--sweep", help="parameter sweep, e.g. min_topic_size=5,10,20,40")
    p.add_argument("--seeds", type=int, default=5, help="seeds for stability (default 5)")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=cmd_evaluate)
    return p
