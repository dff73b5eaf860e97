"""Partners, multilateral bodies, scope and failed captures against two coders.

::

    python bench/eval_partners.py [--data PATH] [--baseline COMMIT] [--sensitivity] [--errors]
        [--out bench/RESULTS.md]

Runs :func:`coopthemes.corpus.load_corpus` on ``../shared/data/nvn_dev_coded.jsonl``
(182 Nhan Dan articles, vi/fr, each coded by two independent coders) and
scores the ``documents`` table against the codes both coders agree on.

Gold labels, all from the coders except the failed captures:

* **failed capture**: a record whose non-empty lines are at least half
  view-counter rows (a date and a number, nothing else: ``"03 / 02 / 2023 950"``)
  and that neither coder gave anything (no theme, partner, organisation or
  note). These are captures of a video page: counters plus the site footer,
  no article. The rule reads the raw text, independently of the toolkit's
  own detector.
* **partners**: the coders' partner sets (names mapped to the gazetteer's
  English names) where the two sets are equal.
* **multilateral**: the coders' organisation sets where equal.
* **out of scope**: agreed partners ``[]`` and agreed multilateral ``[]``.

Metrics (articles = records that are not failed captures):

* partner sets exactly right, on articles (and on all records) whose coders
  agree; micro precision and recall of (article, country) pairs;
* multilateral sets exactly right on articles whose coders agree, and micro
  precision/recall of (article, organisation) pairs;
* out-of-scope precision and recall on articles whose coders agree on both
  sets: predicted out of scope is ``in_scope == False``; a build without the
  ``in_scope`` column counts an article without partners as out of scope;
* failed-capture precision and recall over all records: predicted is status
  ``empty`` with a reason naming a failed capture (a build without such a
  reason: any status ``empty``).

``--baseline COMMIT`` scores that commit's package too (its ``analysis/``
checked out into a temporary folder and run in a child process), for the
before/after table. ``--sensitivity`` scores a few other thresholds of
``CorpusConfig`` (:data:`VARIANTS`). ``--errors`` lists every article scored
wrong, with its title.
Writes its section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The dev set: ``shared/data/`` beside the repository (or beside a folder holding it, for worktrees).
DATA = next(
    (p / "shared" / "data" / "nvn_dev_coded.jsonl" for p in ROOT.parents if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data" / "nvn_dev_coded.jsonl",
)
MARKER = "## Partners, scope and failed captures: Nhan Dan dev set"
_COUNTER_ROW = re.compile(r"[\d\s/.:,-]+")


def _records(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def is_failed_capture(record: dict) -> bool:
    """Gold rule: most lines are counter rows, and the coders coded nothing."""
    lines = [line.strip() for line in record["text"].splitlines() if line.strip()]
    counters = sum(bool(_COUNTER_ROW.fullmatch(line)) and any(c.isdigit() for c in line) for line in lines)
    keys = ("themes", "partners", "multilateral", "other")
    coded = any(record[coder][key] for coder in ("coder_a", "coder_b") for key in keys)
    return bool(lines) and counters >= len(lines) / 2 and not coded


def _canonical_country(name: str, gazetteer) -> str:
    return gazetteer.canonical(name) or name


def _canonical_body(name: str, gazetteer) -> str:
    finder = getattr(gazetteer, "canonical_organisation", None)  # absent before organisations existed
    return (finder(name) if finder else None) or name


def _gold(records: list[dict], gazetteer) -> dict[str, dict]:
    gold = {}
    for r in records:
        sets = {}
        for key, canon in (("partners", _canonical_country), ("multilateral", _canonical_body)):
            a = sorted({canon(x, gazetteer) for x in r["coder_a"][key]})
            b = sorted({canon(x, gazetteer) for x in r["coder_b"][key]})
            sets[key] = a if a == b else None
        gold[r["doc_id"]] = {**sets, "failed_capture": is_failed_capture(r), "language": r["language"]}
    return gold


def _predictions(path: Path, options: dict | None = None) -> dict[str, dict]:
    from coopthemes.corpus import load_corpus

    docs, _ = load_corpus(
        path, text_column="text", id_column="doc_id", language_column="language", show_progress=False,
        **(options or {}),
    )
    out = {}
    for row in docs.to_dict("records"):
        reason = str(row["reason"]) if row["reason"] is not None and row["reason"] == row["reason"] else ""
        in_scope = row.get("in_scope")
        multilateral = row.get("multilateral")
        out[str(row["doc_id"])] = {
            "partners": sorted(row["partners"]),
            "multilateral": None if multilateral is None else sorted(multilateral),
            "in_scope": None if in_scope is None or in_scope != in_scope else bool(in_scope),
            "status": str(row["status"]),
            "reason": reason,
            "scope_reason": str(row.get("scope_reason") or ""),
            "title": str(row["title"] or ""),
        }
    return out


def _share(hits: int, total: int) -> dict:
    return {"n": hits, "of": total, "value": hits / total if total else float("nan")}


def _pairs(ids: list[str], sets: dict[str, list[str]]) -> set[tuple[str, str]]:
    return {(i, name) for i in ids for name in sets[i]}


def _precision_recall(ids: list[str], pred: dict, gold: dict) -> tuple[dict, dict]:
    """Micro precision and recall of (article, name) pairs."""
    p, g = _pairs(ids, pred), _pairs(ids, gold)
    return _share(len(p & g), len(p)), _share(len(p & g), len(g))


def _exact(ids: list[str], pred: dict, gold: dict) -> dict:
    """Share of ``ids`` whose predicted set equals the gold set."""
    return _share(sum(pred[i] == gold[i] for i in ids), len(ids))


def score(gold: dict[str, dict], pred: dict[str, dict], *, has_failed_reason: bool) -> dict:
    """Every metric of the module docstring, as ``{name: {n, of, value}}`` entries."""
    ids = sorted(gold)
    articles = [i for i in ids if not gold[i]["failed_capture"]]
    agreed = [i for i in articles if gold[i]["partners"] is not None]
    agreed_all = [i for i in ids if gold[i]["partners"] is not None]
    partners = {i: pred[i]["partners"] for i in ids}
    gold_partners = {i: gold[i]["partners"] for i in agreed_all}
    multi = [i for i in articles if gold[i]["multilateral"] is not None]
    bodies = {i: pred[i]["multilateral"] or [] for i in ids}
    gold_bodies = {i: gold[i]["multilateral"] for i in multi}
    m = {}
    m["partners exactly right (articles)"] = _exact(agreed, partners, gold_partners)
    for language in sorted({gold[i]["language"] for i in agreed}):
        subset = [i for i in agreed if gold[i]["language"] == language]
        m[f"partners exactly right ({language} articles)"] = _exact(subset, partners, gold_partners)
    m["partners exactly right (all records)"] = _exact(agreed_all, partners, gold_partners)
    m["partner countries: precision"], m["partner countries: recall"] = _precision_recall(
        agreed, partners, gold_partners
    )
    m["multilateral exactly right (articles)"] = _exact(multi, bodies, gold_bodies)
    m["multilateral bodies: precision"], m["multilateral bodies: recall"] = _precision_recall(
        multi, bodies, gold_bodies
    )
    both = [i for i in agreed if gold[i]["multilateral"] is not None]
    out_gold = {i for i in both if not gold[i]["partners"] and not gold[i]["multilateral"]}
    scoped = {i: pred[i]["in_scope"] for i in both}
    out_pred = {i for i in both if not (scoped[i] if scoped[i] is not None else partners[i])}
    m["out of scope: precision"] = _share(len(out_pred & out_gold), len(out_pred))
    m["out of scope: recall"] = _share(len(out_pred & out_gold), len(out_gold))
    failed_gold = {i for i in ids if gold[i]["failed_capture"]}
    failed_pred = {
        i for i in ids
        if pred[i]["status"] == "empty" and (not has_failed_reason or "failed capture" in pred[i]["reason"])
    }  # fmt: skip
    m["failed captures: precision"] = _share(len(failed_pred & failed_gold), len(failed_pred))
    m["failed captures: recall"] = _share(len(failed_pred & failed_gold), len(failed_gold))
    kept = sum(pred[i]["status"] == "ok" for i in articles)
    m["articles kept with status ok"] = _share(kept, len(articles))
    return m


def errors(gold: dict[str, dict], pred: dict[str, dict], *, titles: bool = True) -> list[str]:
    """One line per record scored wrong: its id, what was predicted and the gold codes.

    With ``titles`` False the lines hold no article text (for RESULTS.md).
    """
    lines = []
    for i in sorted(gold):
        g, p = gold[i], pred[i]
        if g["failed_capture"]:
            if p["status"] != "empty":
                lines.append(f"{i}: failed capture kept as {p['status']}")
            continue
        if p["status"] != "ok":
            lines.append(f"{i}: article with status {p['status']} ({p['reason']})")
        wrong = []
        if g["partners"] is not None and p["partners"] != g["partners"]:
            wrong.append(f"partners {p['partners']} (gold {g['partners']})")
        if g["multilateral"] is not None and (p["multilateral"] or []) != g["multilateral"]:
            wrong.append(f"multilateral {p['multilateral']} (gold {g['multilateral']})")
        if wrong:
            scope = "in scope" if p["in_scope"] else f"out of scope: {p['scope_reason']}"
            title = f" {p['title'][:70]!r}" if titles else ""
            lines.append(f"{i} [{g['language']}]{title}: {'; '.join(wrong)} [{scope}]")
    return lines


def evaluate(path: Path) -> dict:
    """Metrics and error lines of the importable ``coopthemes`` on ``path``."""
    from coopthemes.corpus import load_gazetteer

    gazetteer = load_gazetteer()
    gold = _gold(_records(path), gazetteer)
    pred = _predictions(path)
    has_failed_reason = any("failed capture" in p["reason"] for p in pred.values())
    return {
        "metrics": score(gold, pred, has_failed_reason=has_failed_reason),
        "errors": errors(gold, pred),
        "errors_without_text": errors(gold, pred, titles=False),
    }


#: Threshold variants for ``--sensitivity``: how much the results hang on the defaults.
VARIANTS = (
    {"partner_min_evidence": 1.5},
    {"partner_min_evidence": 3.0},
    {"partner_min_share": 0.1},
    {"partner_min_share": 0.5},
    {"lead_weight": 2.0},
    {"lead_passages": 1},
    {"lead_passages": 3},
)
_SENSITIVITY_METRICS = (
    "partners exactly right (articles)",
    "partner countries: precision",
    "partner countries: recall",
    "multilateral exactly right (articles)",
    "out of scope: precision",
)


def sensitivity(path: Path) -> list[tuple[str, dict]]:
    """The main metrics under each of :data:`VARIANTS` of the corpus options."""
    from coopthemes.corpus import load_gazetteer

    gold = _gold(_records(path), load_gazetteer())
    out = []
    for variant in VARIANTS:
        metrics = score(gold, _predictions(path, variant), has_failed_reason=True)
        name = ", ".join(f"{k}={v:g}" for k, v in variant.items())
        out.append((name, {k: metrics[k] for k in _SENSITIVITY_METRICS}))
    return out


def _baseline(commit: str, path: Path) -> dict:
    """Run this script's scoring with the package of ``commit`` in a child process."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "analysis"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        env = {"PYTHONPATH": str(Path(tmp) / "analysis"), "PATH": "/usr/bin:/bin"}
        run = subprocess.run(
            [sys.executable, __file__, "--json", "--data", str(path)],
            env=env, cwd=tmp, check=True, capture_output=True, text=True,
        )  # fmt: skip
    return json.loads(run.stdout)


def _fmt(entry: dict) -> str:
    return f"{entry['value']:.2f} ({entry['n']}/{entry['of']})" if entry["of"] else "n/a"


def _sensitivity_lines(after: dict, variants: list[tuple[str, dict]]) -> list[str]:
    lines = [
        "",
        "Other thresholds (`CorpusOptions`; defaults: partner_min_evidence=2, partner_min_share=0.25, "
        "lead_weight=3, lead_passages=2):",
        "",
        "| options | " + " | ".join(_SENSITIVITY_METRICS) + " |",
        "|---|" + "---:|" * len(_SENSITIVITY_METRICS),
        "| defaults | " + " | ".join(_fmt(after["metrics"][k]) for k in _SENSITIVITY_METRICS) + " |",
    ]
    for name, metrics in variants:
        lines.append(f"| {name} | " + " | ".join(_fmt(metrics[k]) for k in _SENSITIVITY_METRICS) + " |")
    return lines


def _section(
    after: dict,
    before: dict | None,
    commit: str | None,
    head: str,
    n_records: int,
    variants: list[tuple[str, dict]] | None = None,
) -> str:
    today = dt.date.today().isoformat()
    cols = ["before", "after"] if before else ["value"]
    command = "python bench/eval_partners.py" + (f" --baseline {commit}" if commit else "")
    command += " --sensitivity" if variants else ""
    lines = [
        MARKER, "",
        f"Generated by `{command}` on {today} (commit {head}): `load_corpus` on `nvn_dev_coded.jsonl` "
        f"({n_records} Nhan Dan records, vi/fr), scored against the codes both coders agree on. Articles are "
        "the records that are not failed captures; a failed capture is, from the data, a record whose lines "
        "are at least half view-counter rows (a date and a number) and that neither coder coded at all. "
        "Out of scope: agreed partners and organisations both empty. Predicted failed capture: status "
        "`empty` with a failed-capture reason (before: any status `empty`); predicted out of scope: "
        "`in_scope` False (before: no partner). Definitions in the script's docstring."
        + (f" Before: the package at {commit}." if commit else ""),
        "",
        "| metric | " + " | ".join(cols) + " |",
        "|---|" + "---:|" * len(cols),
    ]  # fmt: skip
    for name, entry in after["metrics"].items():
        values = [_fmt(entry)]
        if before:
            values.insert(0, _fmt(before["metrics"][name]) if name in before["metrics"] else "n/a")
        lines.append(f"| {name} | " + " | ".join(values) + " |")
    if variants:
        lines += _sensitivity_lines(after, variants)
    lines += [
        "",
        "Method (`coopthemes.corpus.partners`, `scope`, `furniture.failed_capture`; cue words in "
        "`corpus/relations.yaml`, countries and organisations in `corpus/gazetteer.yaml`): a country is a "
        "partner when sentences relate it to the home country (a dash or conjunction pair with a relation "
        "cue; the home country or one of its ministries, the country and a relation or attendance cue; "
        "a bilateral word with one foreign country; two-country sentences in a one-partner article); an "
        "encounter cue doubles a sentence, lists share it, the lead weighs 3 times, and a counterpart "
        "needs 2 (one lead sentence, or an encounter or two relation sentences in the body) and a quarter "
        "of the best one's score. Organisations likewise, unless a topic of a bilateral relation. The rules "
        "and word lists name no article of this set; a few general words were added after reading its "
        "errors (gift and Tet-greeting cues, the People's Committee and Viettel as home institutions).",
        "",
        "Records still scored wrong:",
        "",
    ]
    lines += [f"- {line}" for line in after["errors_without_text"]] or ["- none"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--baseline", help="commit whose package is scored as 'before'")
    parser.add_argument("--errors", action="store_true", help="list the articles scored wrong")
    parser.add_argument("--sensitivity", action="store_true", help="also score other thresholds")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON, write nothing")
    parser.add_argument("--out", type=Path, default=None, help="RESULTS.md to update (default: none)")
    args = parser.parse_args(argv)
    result = evaluate(args.data)
    if args.json:
        print(json.dumps(result))
        return 0
    before = _baseline(args.baseline, args.data) if args.baseline else None
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    variants = sensitivity(args.data) if args.sensitivity else None
    section = _section(result, before, args.baseline, head.stdout.strip(), len(_records(args.data)), variants)
    print(section)
    if args.errors:
        print("\n".join(["Errors:", *result["errors"]]) or "no errors")
    if args.out:
        sys.path.insert(0, str(ROOT / "bench"))
        from compare_bertopic import _write_section

        _write_section(args.out, "# Benchmarks\n\n" + section, marker=MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
