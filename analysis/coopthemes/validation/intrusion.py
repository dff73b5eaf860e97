"""Intrusion tasks (Chang et al. 2009): can a reader tell which word or theme does not belong?

**Word intrusion**: for each theme and language with at least ``n_terms``
top terms, the theme's first ``n_terms`` terms plus one *intruder*: a term
ranked in the first three of another theme in the same language and absent
from this theme's terms. The coder picks the intruder. If a theme's terms
hang together, coders find it; if they are a grab bag, they guess (chance:
one in ``n_terms + 1``).

**Theme intrusion**: a passage with three of its likely themes and one
unlikely one; the coder picks the theme that does not fit the passage
(chance: one in four). The likely themes are the passage's own theme and
the two others whose top terms (in the passage's language, weighted) occur
most in the passage (ties: the larger theme); the unlikely one is drawn
among the themes whose terms occur least, never one with the codebook id of
a likely theme. Themes are shown as their codebook label, if any, and five
top terms in the passage's language. This needs only the results tables
(``terms``, ``passages``, ``assignments``), not the fitted model.

Positions and the choice of intruders come from a seeded generator; items
are shuffled and numbered like coding items (``w...-0001``, ``t...-0001``).

Scores: per theme, the share of judgements (item x coder) that found the
intruder, with a 95% bootstrap interval over items (over documents for
theme intrusion); and overall.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import NONE, ValidationError, make_sample_id, results_fingerprint
from .labels import passage_labels
from .sample import KEY_FILE, SAMPLE_JSON, allocate
from .scores import bootstrap_counts, interval
from .sheets import write_csv, write_xlsx

__all__ = ["IntrusionTask", "draw_intrusion", "score_intrusion", "theme_intrusion", "word_intrusion",
           "write_intrusion"]

N_THEME_OPTIONS = 4
_INTRUDER_RANKS = 3


@dataclass
class IntrusionTask:
    """One intrusion task: the coder's sheet and its answer key.

    Attributes
    ----------
    sample_id : str
        ``w`` (word) or ``t`` (theme) and 8 hex digits.
    task : {"word", "theme"}
    sheet : DataFrame
        ``item_id``, what to read, the options ``option_1...``, an empty
        ``code`` and ``note``.
    key : DataFrame
        ``sample_id, results, item_id, task, theme_id, theme, model_code,
        language, intruder_position, intruder, intruder_theme_id, chance``
        (and ``passage_id, doc_id`` for theme intrusion).
    instructions : str
    info : dict
    """

    sample_id: str
    task: str
    sheet: pd.DataFrame
    key: pd.DataFrame
    instructions: str
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"IntrusionTask {self.sample_id} ({self.task}): {len(self.sheet)} items"


def _term_lists(terms: pd.DataFrame) -> dict[tuple[int, str], list[str]]:
    ordered = terms.sort_values(["theme_id", "language", "rank"], kind="stable")
    return {(int(t), str(lang)): [str(w) for w in part["term"]]
            for (t, lang), part in ordered.groupby(["theme_id", "language"], sort=True)}


def _theme_info(result) -> pd.DataFrame:
    themes = result["themes"]
    out = pd.DataFrame({"theme_id": themes["theme_id"].astype(int), "theme": themes["theme"].astype(str)})
    out["model_code"] = [NONE if c is None or pd.isna(c) else str(c) for c in themes["codebook_id"]]
    out["size"] = themes["size"].astype(int).to_numpy()
    return out.set_index("theme_id")


def _finish(rows: list[dict], task: str, parameters: dict, rng) -> tuple[str, pd.DataFrame]:
    sample_id = make_sample_id(task, parameters)
    if not rows:
        raise ValidationError(f"{task} intrusion: no item could be made from these results "
                              "(too few themes or top terms)")
    order = rng.permutation(len(rows))
    items = pd.DataFrame([rows[i] for i in order]).reset_index(drop=True)
    items.insert(0, "item_id", [f"{sample_id}-{i:04d}" for i in range(1, len(items) + 1)])
    return sample_id, items


def word_intrusion(result, *, n_terms: int = 5, seed: int = 0) -> IntrusionTask:
    """Word-intrusion items: one per theme and language with ``n_terms`` top terms (see the module notes)."""
    if n_terms < 2:
        raise ValidationError(f"n_terms: expected at least 2, got {n_terms}")
    rng = np.random.default_rng(seed)
    info = _theme_info(result)
    lists = _term_lists(result["terms"])
    rows = []
    for (tid, lang) in sorted(lists):
        words = lists[(tid, lang)]
        if len(words) < n_terms or tid not in info.index:
            continue
        own = {w.casefold() for w in words}
        others = sorted(u for (u, other_lang) in lists if other_lang == lang and u != tid)
        candidates = {u: [w for w in lists[(u, lang)][:_INTRUDER_RANKS] if w.casefold() not in own] for u in others}
        candidates = {u: ws for u, ws in candidates.items() if ws}
        if not candidates:
            continue
        intruder_theme = sorted(candidates)[rng.integers(len(candidates))]
        intruder = candidates[intruder_theme][rng.integers(len(candidates[intruder_theme]))]
        options = list(words[:n_terms])
        position = int(rng.integers(n_terms + 1))
        options.insert(position, intruder)
        row = {"language": lang, **{f"option_{k}": w for k, w in enumerate(options, start=1)},
               "_theme_id": tid, "_position": position + 1, "_intruder": intruder, "_intruder_theme": intruder_theme}
        rows.append(row)
    parameters = {"results": results_fingerprint(result), "n_terms": n_terms, "seed": seed}
    sample_id, items = _finish(rows, "word", parameters, rng)
    sheet = items[["item_id", "language", *[f"option_{k}" for k in range(1, n_terms + 2)]]].copy()
    sheet["code"] = ""
    sheet["note"] = ""
    key = _key(items, sample_id, parameters["results"], "word", info, chance=1 / (n_terms + 1))
    return IntrusionTask(sample_id, "word", sheet, key, _instructions("word", len(sheet), sample_id, n_terms + 1),
                         {**parameters, "sample_id": sample_id, "task": "word", "n_items": len(sheet)})


def _key(items: pd.DataFrame, sample_id: str, fingerprint: str, task: str, info: pd.DataFrame,
         *, chance: float) -> pd.DataFrame:
    tids = items["_theme_id"].astype(int)
    key = pd.DataFrame({"sample_id": sample_id, "results": fingerprint, "item_id": items["item_id"], "task": task})
    if task == "theme":
        key["passage_id"] = items["passage_id"].to_numpy()
        key["doc_id"] = items["_doc_id"].to_numpy()
    key["theme_id"] = tids.to_numpy()
    key["theme"] = [info.loc[t, "theme"] for t in tids]
    key["model_code"] = [info.loc[t, "model_code"] for t in tids]
    key["language"] = items["language"].to_numpy()
    key["intruder_position"] = items["_position"].astype(int).to_numpy()
    key["intruder"] = items["_intruder"].to_numpy()
    key["intruder_theme_id"] = items["_intruder_theme"].astype(int).to_numpy()
    if task == "theme":
        key["option_theme_ids"] = items["_options"].to_numpy()
    key["chance"] = chance
    return key


def _affinity(text: str, language: str, theme_ids: list[int], lists: dict, weights: dict) -> dict[int, float]:
    folded = text.casefold()
    scores = {}
    for u in theme_ids:
        keys = [(u, language)] if (u, language) in lists else [k for k in lists if k[0] == u]
        score = 0.0
        for k in keys:
            for w, weight in zip(lists[k], weights[k]):
                if re.search(r"(?<!\w)" + re.escape(w.casefold()) + r"(?!\w)", folded):
                    score += float(weight)
        scores[u] = score
    return scores


def _theme_option(u: int, language: str, info: pd.DataFrame, lists: dict) -> str:
    words = lists.get((u, language)) or next((lists[k] for k in sorted(lists) if k[0] == u), [])
    terms = ", ".join(words[:5])
    code = info.loc[u, "model_code"]
    return f"{info.loc[u, 'theme']}: {terms}" if code != NONE else terms or str(info.loc[u, "theme"])


def theme_intrusion(result, *, per_theme: int = 5, seed: int = 0) -> IntrusionTask:
    """Theme-intrusion items: ``per_theme`` passages of each theme, spread over languages (see the module notes)."""
    if per_theme < 1:
        raise ValidationError(f"per_theme: expected at least 1, got {per_theme}")
    rng = np.random.default_rng(seed)
    info = _theme_info(result)
    if len(info) < N_THEME_OPTIONS:
        raise ValidationError(f"theme intrusion needs at least {N_THEME_OPTIONS} themes; these results have "
                              f"{len(info)}")
    terms = result["terms"].sort_values(["theme_id", "language", "rank"], kind="stable")
    lists = _term_lists(terms)
    weights = {(int(t), str(lang)): part["weight"].astype(float).tolist()
               for (t, lang), part in terms.groupby(["theme_id", "language"], sort=True)}
    labels = passage_labels(result)
    labels = labels[labels["theme_id"].isin(info.index)]
    theme_ids = sorted(int(t) for t in info.index)
    rows = []
    for tid in sorted(labels["theme_id"].astype(int).unique()):
        members = labels[labels["theme_id"] == tid]
        take = allocate(members.groupby("language").size().to_dict(), per_theme, rng)
        for lang in sorted(take):
            cell = members[members["language"] == lang]
            for i in np.sort(rng.choice(len(cell), size=take[lang], replace=False)) if take[lang] else []:
                rows.append(_theme_row(cell.iloc[i], tid, theme_ids, info, lists, weights, rng))
    parameters = {"results": results_fingerprint(result), "per_theme": per_theme, "seed": seed}
    sample_id, items = _finish(rows, "theme", parameters, rng)
    options = [f"option_{k}" for k in range(1, N_THEME_OPTIONS + 1)]
    sheet = items[["item_id", "passage_id", "language", "text", *options]].copy()
    sheet["code"] = ""
    sheet["note"] = ""
    key = _key(items, sample_id, parameters["results"], "theme", info, chance=1 / N_THEME_OPTIONS)
    return IntrusionTask(sample_id, "theme", sheet, key,
                         _instructions("theme", len(sheet), sample_id, N_THEME_OPTIONS),
                         {**parameters, "sample_id": sample_id, "task": "theme", "n_items": len(sheet)})


def _theme_row(passage, tid: int, theme_ids: list[int], info, lists, weights, rng) -> dict:
    lang = str(passage["language"])
    others = [u for u in theme_ids if u != tid]
    scores = _affinity(str(passage["text"]), lang, others, lists, weights)
    ranked = sorted(others, key=lambda u: (-scores[u], -int(info.loc[u, "size"]), u))
    likely = [tid, *ranked[:2]]
    codes = {info.loc[u, "model_code"] for u in likely} - {NONE}
    pool = [u for u in ranked[2:] if info.loc[u, "model_code"] not in codes]
    if not pool:
        pool = ranked[2:]
    lowest = min(scores[u] for u in pool)
    unlikely_pool = [u for u in pool if scores[u] == lowest]
    intruder = unlikely_pool[rng.integers(len(unlikely_pool))]
    position = int(rng.integers(N_THEME_OPTIONS))
    shown = [*likely]
    rng.shuffle(shown)
    shown.insert(position, intruder)
    row = {"passage_id": str(passage["passage_id"]), "language": lang, "text": str(passage["text"])}
    row.update({f"option_{k}": _theme_option(u, lang, info, lists) for k, u in enumerate(shown, start=1)})
    row.update({"_theme_id": tid, "_doc_id": str(passage["doc_id"]), "_position": position + 1,
                "_intruder": _theme_option(intruder, lang, info, lists), "_intruder_theme": intruder,
                "_options": ";".join(str(u) for u in shown)})
    return row


def _instructions(task: str, n_items: int, sample_id: str, n_options: int) -> str:
    if task == "word":
        what = (f"Each item is a list of {n_options} words (`option_1` to `option_{n_options}`). All but one "
                "belong together; one is an intruder that does not fit with the others.")
    else:
        what = (f"Each item is a passage (`text`) and {n_options} themes (`option_1` to `option_{n_options}`), each "
                "shown as a label and some of its key words. Three of the themes fit the passage; one does not.")
    lines = [
        f"# {task.capitalize()} intrusion (sample {sample_id})", "",
        f"You will see {n_items} items. {what}", "",
        "1. In the column `code`, write the number of the option that does not belong (1 to "
        f"{n_options}), or copy it exactly. If you cannot tell, choose the likeliest: leave no `code` empty.",
        "2. Work on your own; you may write remarks in `note`. Do not change `item_id` or the options.",
        "3. Save the file under a name of your own (for example `coder_a.xlsx`; CSV is accepted too).", "",
        "The sheet is spreadsheet-safe: a text that starts with `=`, `+`, `-` or `@` is shown as text (in the "
        "CSV it carries a leading apostrophe `'`).",
    ]
    return "\n".join(lines) + "\n"


def draw_intrusion(result, *, n_terms: int = 5, per_theme: int = 5, seed: int = 0) -> dict[str, IntrusionTask]:
    """Both tasks: ``{"word": ..., "theme": ...}`` (a task that cannot be made is left out with a warning)."""
    import logging

    tasks = {}
    for task, make in (("word", lambda: word_intrusion(result, n_terms=n_terms, seed=seed)),
                       ("theme", lambda: theme_intrusion(result, per_theme=per_theme, seed=seed))):
        try:
            tasks[task] = make()
        except ValidationError as exc:
            logging.getLogger(__name__).warning("%s", exc)
    if not tasks:
        raise ValidationError(f"{result.results_dir}: no intrusion task can be made (too few themes or terms)")
    return tasks


def write_intrusion(tasks: dict[str, IntrusionTask], out_dir: str | Path, *, command: str | None = None,
                    result=None) -> list[Path]:
    """Write ``coders/<task>_intrusion.xlsx|.csv``, ``coders/<task>_instructions.md``, one ``answer_key.csv``
    holding both keys, ``sample.json`` and ``MANIFEST.json``."""
    from ..provenance import write_manifest

    out = Path(out_dir)
    coders = out / "coders"
    coders.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, task in tasks.items():
        instructions = pd.DataFrame({"instructions": task.instructions.splitlines()})
        widths = {"items": {"text": 80, **{c: 24 for c in task.sheet.columns if c.startswith("option_")}},
                  "instructions": {"instructions": 120}}
        paths.append(write_xlsx({"items": task.sheet, "instructions": instructions},
                                coders / f"{name}_intrusion.xlsx", widths=widths))
        paths.append(write_csv(task.sheet, coders / f"{name}_intrusion.csv"))
        md = coders / f"{name}_instructions.md"
        md.write_text(task.instructions, encoding="utf-8", newline="\n")
        paths.append(md)
    key = pd.concat([t.key for t in tasks.values()], ignore_index=True)
    paths.append(write_csv(key, out / KEY_FILE))
    info = {name: task.info for name, task in tasks.items()}
    (out / SAMPLE_JSON).write_text(json.dumps(info, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8",
                                   newline="\n")
    paths.append(out / SAMPLE_JSON)
    run_info = result.info if result is not None else {}
    paths.append(write_manifest(out, artefacts=paths, config=info, corpus_hash=run_info.get("corpus_hash"),
                                seed=next(iter(info.values()))["seed"],
                                command=command or f"coopthemes validate intrusion RESULTS_DIR --out {out}"))
    return paths


def _chosen(cell: str, options: list[str], where: str) -> int:
    cell = str(cell).strip()
    if cell.isdigit() and 1 <= int(cell) <= len(options):
        return int(cell)
    folded = [" ".join(str(o).split()).casefold() for o in options]
    text = " ".join(cell.split()).casefold()
    if text in folded:
        return folded.index(text) + 1
    raise ValidationError(f"{where}: {cell!r} is neither an option number (1 to {len(options)}) nor one of the "
                          "options")


def score_intrusion(key: pd.DataFrame, sheets: dict[str, pd.DataFrame], *, n_boot: int = 2000,
                    seed: int = 0) -> dict[str, pd.DataFrame]:
    """Share of intruders found, per theme and overall, with bootstrap intervals.

    Parameters
    ----------
    key : DataFrame
        The task's answer key (one sample).
    sheets : dict of coder -> DataFrame
        Filled sheets (``item_id``, ``code``, the options), checked against
        the key beforehand (see :mod:`coopthemes.validation.score`).
    n_boot, seed : int

    Returns
    -------
    dict of str -> DataFrame
        ``intrusion_scores``: ``task, theme_id, theme, n_items, n_judgements,
        found, share_found, share_found_low, share_found_high, chance`` (a
        last row ``all``); ``intrusion_items``: ``item_id, theme_id,
        language, intruder_position, intruder``, the option each coder
        chose (``chosen_<coder>``), ``found``; ``agreement``: agreement of
        the coders on the option chosen.
    """
    from .agreement import agreement_overall

    coders = list(sheets)
    key = key.reset_index(drop=True)
    task = str(key["task"].iloc[0])
    options = [c for c in sheets[coders[0]].columns if c.startswith("option_")]
    chosen = np.zeros((len(coders), len(key)), dtype=int)
    for c, coder in enumerate(coders):
        sheet = sheets[coder].set_index("item_id")
        for i, item in enumerate(key["item_id"]):
            row = sheet.loc[item]
            where = f"{sheets[coder].attrs.get('path', coder)}, item {item}"
            chosen[c, i] = _chosen(row["code"], [row[o] for o in options], where)
    truth = key["intruder_position"].astype(int).to_numpy()
    found = (chosen == truth[None, :]).mean(axis=0)
    clusters = key["doc_id"] if "doc_id" in key else key["item_id"]
    counts = bootstrap_counts(clusters, n_boot=n_boot, seed=seed)
    chance = float(key["chance"].astype(float).iloc[0])
    rows = []
    groups = [(int(t), key.index[key["theme_id"].astype(int) == int(t)].to_numpy())
              for t in sorted(key["theme_id"].astype(int).unique())]
    for tid, idx in [*groups, (None, key.index.to_numpy())]:
        with np.errstate(invalid="ignore", divide="ignore"):
            boot = (counts[:, idx] @ found[idx]) / counts[:, idx].sum(axis=1)
        low, high = interval(boot)
        rows.append({"task": task, "theme_id": "all" if tid is None else str(tid),
                     "theme": "all themes" if tid is None else str(key.loc[idx[0], "theme"]),
                     "n_items": len(idx), "n_judgements": len(idx) * len(coders),
                     "found": int(round(found[idx].sum() * len(coders))), "share_found": float(found[idx].mean()),
                     "share_found_low": low, "share_found_high": high, "chance": chance})
    items = key[["item_id", "theme_id", "language", "intruder_position", "intruder"]].copy()
    for c, coder in enumerate(coders):
        items[f"chosen_{coder}"] = chosen[c]
    items["found"] = np.round(found * len(coders)).astype(int)
    tables = {"intrusion_scores": pd.DataFrame(rows), "intrusion_items": items}
    if len(coders) >= 2:
        tables["agreement"] = agreement_overall(chosen.astype(object), what="option chosen per item")
    return tables
