"""Validation against two coders on the Nhan Dan dev set: their agreement, and the model against them.

::

    python bench/eval_validation.py [--data PATH] [--results DIR] [--work DIR] [--n-boot N]
        [--out bench/RESULTS.md]

1. ``coopthemes run --corpus nvn_dev_coded.jsonl --text-column text --id-column doc_id
   --language-column language --out WORK`` with the default configuration (skipped with
   ``--results DIR``, an existing results folder of that run);
2. ``coopthemes validate score WORK/results --documents nvn_dev_coded.jsonl --out WORK/scores``:
   the two coders' agreement per theme (Cohen's kappa on "this theme or not" per article, over
   all 182 records) and the model's document themes and partners against the codes both coders
   agree on (a document has a codebook theme when one of its kept passages is assigned to a
   theme with that codebook id; a theme on which the coders disagree for an article is left out
   for that article);
3. prints the section and, with ``--out``, replaces it in ``bench/RESULTS.md``.

The per-theme kappas are compared with the values the data's README gives for the frequent
themes. Both commands go through the installed console script, as a researcher would run them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
#: The dev set: ``shared/data/`` beside the repository (or beside a folder holding it, for worktrees).
DATA = next(
    (p / "shared" / "data" / "nvn_dev_coded.jsonl" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data" / "nvn_dev_coded.jsonl",
)
MARKER = "## Validation against two coders: Nhan Dan dev set"
#: Per-theme kappas stated in ``shared/data/README.md`` (frequent themes).
README_KAPPA = {"high_level_dialogue": 0.93, "political_trust": 0.95, "development_economy": 0.81,
                "training_capacity": 0.77, "maritime_security": 1.00}
README_PARTNERS = (181, 182)


def _exe() -> list[str]:
    exe = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
    return [exe] if exe else [sys.executable, "-m", "coopthemes.cli"]


def _run(args: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([*_exe(), *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"command failed ({proc.returncode}): coopthemes {' '.join(args)}\n{proc.stderr}")
    return time.perf_counter() - t0


def evaluate(data: Path, work: Path, *, results: Path | None, n_boot: int) -> dict:
    """Run the pipeline (unless ``results``) and the scoring; return the tables and timings."""
    timings = {}
    if results is None:
        timings["run"] = _run(["-q", "run", "--corpus", str(data), "--text-column", "text", "--id-column", "doc_id",
                               "--language-column", "language", "--out", str(work)])
        results = work / "results"
    scores = work / "scores"
    timings["score"] = _run(["-q", "validate", "score", str(results), "--documents", str(data), "--out", str(scores),
                             "--n-boot", str(n_boot)])
    tables = {name: pd.read_csv(scores / "tables" / f"{name}.csv", keep_default_na=True)
              for name in ("agreement", "agreement_by_theme", "model_scores", "sets")}
    info = json.loads((results / "run.json").read_text(encoding="utf-8"))
    assignments = pd.read_parquet(results / "assignments.parquet")
    themes = pd.read_parquet(results / "themes.parquet")
    discovered = set(themes.loc[themes["codebook_id"].isna(), "theme_id"])
    share = float(assignments["theme_id"].isin(discovered).mean())
    return {"tables": tables, "timings": timings, "info": info, "results": results, "discovered": share}


def _num(value, digits: int = 2) -> str:
    return "" if pd.isna(value) else f"{float(value):.{digits}f}"


def _ci(row, name: str) -> str:
    if pd.isna(row[name]):
        return "n/a"
    low, high = row[f"{name}_low"], row[f"{name}_high"]
    return f"{_num(row[name])} [{_num(low)}, {_num(high)}]"


def _agreement_lines(by_theme: pd.DataFrame) -> list[str]:
    coders = [c for c in by_theme.columns if c.startswith("coded_")]
    lines = ["| theme | " + " | ".join(c[6:] for c in coders) + " | kappa [95% CI] | README | alpha |",
             "|---|" + "---:|" * (len(coders) + 3)]
    for row in by_theme.itertuples(index=False):
        r = row._asdict()
        if all(r[c] == 0 for c in coders):
            continue
        stated = README_KAPPA.get(r["theme"])
        same = stated is not None and round(r["kappa"], 2) == stated
        mark = "" if stated is None else f"{stated:.2f}" + (" (same)" if same else " (differs)")
        lines.append(f"| {r['label']} | " + " | ".join(str(int(r[c])) for c in coders)
                     + f" | {_ci(r, 'kappa')} | {mark} | {_num(r['alpha'])} |")
    return lines


def _model_lines(scores: pd.DataFrame) -> list[str]:
    lines = ["| theme | agreed yes | model yes | tp | precision [95% CI] | recall [95% CI] | F1 [95% CI] |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in scores.to_dict(orient="records"):
        label = "**micro average**" if row["theme"] == "micro" else row["label"]
        lines.append(f"| {label} | {int(row['support'])} | {int(row['predicted'])} | {int(row['tp'])} | "
                     f"{_ci(row, 'precision')} | {_ci(row, 'recall')} | {_ci(row, 'f1')} |")
    return lines


def _set_lines(sets: pd.DataFrame) -> list[str]:
    lines = ["| measure | value [95% CI] | hits / n |", "|---|---:|---:|"]
    for row in sets.to_dict(orient="records"):
        ci = f" [{_num(row['low'])}, {_num(row['high'])}]" if not pd.isna(row["low"]) else ""
        lines.append(f"| {row['measure']} | {_num(row['value'])}{ci} | {int(row['hits'])} / {int(row['n'])} |")
    return lines


def _reading(result: dict, scores: pd.DataFrame) -> str:
    by_theme = result["tables"]["agreement_by_theme"].set_index("theme")
    lowest = min(by_theme.loc[k, "kappa"] for k in README_KAPPA)
    exact = result["tables"]["sets"].set_index("measure").loc["model_partners_exact", "value"]
    themes = scores[scores["theme"] != "micro"]
    micro = scores.set_index("theme").loc["micro"]
    top = themes.sort_values(["support", "theme"], ascending=[False, True]).head(3)
    recalls = ", ".join(f"{r['label'].lower()} {r['recall']:.2f}" for r in top.to_dict(orient="records"))
    unused = themes[(themes["support"] == 0) & (themes["predicted"] > 0)]
    return (
        f"Reading: the coders agree well on the frequent themes (kappa {lowest:.2f} or more), so their consensus "
        f"is a fair yardstick. The model's partner sets are exactly right for {exact:.0%} of the records the "
        f"coders agree on. Its document themes reach a micro F1 of {micro['f1']:.2f}: "
        f"{result['discovered']:.0%} of the kept passages fall into discovered themes rather than codebook ones "
        "(the codebook describes public-security cooperation; these articles are mostly on defence and foreign "
        f"affairs); recall on the three themes the coders use most is {recalls}; and since one passage is "
        f"enough to give an article a theme, {len(unused)} themes that no agreed code has appear in "
        f"{int(unused['predicted'].sum())} article-theme pairs ({', '.join(unused['label'].str.lower())})."
    )


def _section(result: dict, *, head: str, command: str, n_boot: int) -> str:
    t = result["tables"]
    by_theme, scores, sets = t["agreement_by_theme"], t["model_scores"], t["sets"]
    kappa = by_theme.set_index("theme")["kappa"]
    same = all(round(kappa[k], 2) == v for k, v in README_KAPPA.items())
    partners = sets.set_index("measure").loc["coders_partners_equal"]
    micro = scores.set_index("theme").loc["micro"]
    info = result["info"]
    overall = t["agreement"].set_index("measure")["value"]
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in result["timings"].items())
    lines = [
        MARKER, "",
        f"Generated by `{command}` on {dt.date.today().isoformat()} (commit {head}; {timing}): `coopthemes run` on "
        f"`nvn_dev_coded.jsonl` as a table corpus with the default configuration ({info['n_documents']} records, "
        f"{info['n_passages_kept']} kept passages, {info['n_themes']} themes), then `coopthemes validate score "
        f"RESULTS --documents nvn_dev_coded.jsonl` ({n_boot} bootstrap resamples of the articles, seed 0).",
        "",
        f"**Coders.** Per-theme Cohen's kappa (scikit-learn) over all 182 records, on \"this theme or not\": "
        + ("every one of the five values the data README states is reproduced" if same
           else "NOT all the values the data README states are reproduced") +
        f"; partner sets equal for {int(partners['hits'])} of {int(partners['n'])} records (README: "
        f"{README_PARTNERS[0]} of {README_PARTNERS[1]}). Pooled over article x theme decisions (themes a coder "
        f"used): kappa {overall['cohen_kappa']:.3f}, Krippendorff's alpha {overall['krippendorff_alpha']:.3f}.",
        "",
        *_agreement_lines(by_theme),
        "",
        "**Model, document level.** An article has a codebook theme when one of its kept passages is assigned "
        "to a theme with that codebook id. Scored on the codes both coders agree on: for each article and theme, "
        "a decision on which the coders differ is left out (the `ties` column of `agreement_by_theme`). "
        f"Micro average over the themes: precision {micro['precision']:.2f}, recall {micro['recall']:.2f}, "
        f"F1 {micro['f1']:.2f}.",
        "",
        *_model_lines(scores),
        "",
        "**Partners and organisations** (sets of canonical names; scored on the records whose coders wrote the "
        "same set):",
        "",
        *_set_lines(sets),
        "",
        _reading(result, scores),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--results", type=Path, help="existing results folder of the same run (skip the run)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "validation",
                        help="folder for the run and the scores (default: bench/out/validation)")
    parser.add_argument("--n-boot", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=None, help="RESULTS.md to update (default: none)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        sys.exit(f"{args.data}: no such file (the dev set lives in shared/data/, outside the repository)")
    result = evaluate(args.data, args.work, results=args.results, n_boot=args.n_boot)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    command = "python bench/eval_validation.py" + (" --out bench/RESULTS.md" if args.out else "")
    section = _section(result, head=head.stdout.strip(), command=command, n_boot=args.n_boot)
    print(section)
    if args.out:
        sys.path.insert(0, str(ROOT / "bench"))
        from compare_bertopic import _write_section

        _write_section(args.out, "# Benchmarks\n\n" + section, marker=MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
