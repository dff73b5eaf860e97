"""A blind coding sample: stratified items, the coder's sheet, the list of themes and the answer key.

The sample is stratified by the model's theme and by language (and by
partner with ``by_partner``): each theme gets ``per_theme`` items (fewer when
it has fewer), spread as evenly as possible over its language (x partner)
cells, drawn with a seeded generator. Items are then shuffled, so that
neither the order nor the ids of the sheet reveal the model's theme, and
numbered ``<sample_id>-0001, ...``. Each item carries a design weight (the
size of its stratum over the number drawn from it) so that scores estimate
what they would be on the whole corpus.

Files written by :func:`write_sample` into ``OUT``::

    coders/coding_sheet.xlsx   worksheets "items", "themes", "instructions"
    coders/coding_sheet.csv    the items alone (spreadsheet-safe, UTF-8 with BOM)
    coders/themes.csv          the themes a coder may choose from, with "none"
    coders/instructions.md     how to code
    answer_key.csv             the model's labels per item: never hand this to coders
    sample.json                parameters, sample id, strata
    MANIFEST.json              hashes of the above and the command that made them
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import NONE, ValidationError, make_sample_id, results_fingerprint
from .choices import codebook_for, theme_choices
from .labels import document_labels, partner_key, passage_labels
from .sheets import write_csv, write_xlsx

__all__ = ["CodingSample", "allocate", "draw_sample", "write_sample"]

UNITS = ("passage", "document")
#: Folder, inside the sample's output folder, of what goes to the coders.
CODERS_DIR = "coders"
KEY_FILE = "answer_key.csv"
SAMPLE_JSON = "sample.json"


@dataclass
class CodingSample:
    """A drawn sample: what coders see, what they choose from, and the answer key.

    Attributes
    ----------
    sample_id : str
        ``p`` (passages) or ``d`` (documents) and 8 hex digits.
    unit : {"passage", "document"}
    sheet : DataFrame
        The coder's sheet, one row per item, in shuffled order, with an
        empty ``code`` column (and ``partners`` for documents) and no model
        label.
    choices : DataFrame
        :func:`~coopthemes.validation.choices.theme_choices`.
    key : DataFrame
        One row per item: ``sample_id, results`` (the fingerprint of the
        results, :func:`~coopthemes.validation.results_fingerprint`)
        ``, item_id, unit, passage_id`` (passages)
        ``, doc_id, language, partner, stratum, stratum_size, n_drawn,
        weight, theme_id, theme, model_code`` (passages) or ``model_codes,
        model_partners`` (documents, ``;``-separated).
    instructions : str
        Markdown.
    info : dict
        Parameters, fingerprint of the results, strata counts.
    """

    sample_id: str
    unit: str
    sheet: pd.DataFrame
    choices: pd.DataFrame
    key: pd.DataFrame
    instructions: str
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"CodingSample {self.sample_id}: {len(self.sheet)} {self.unit}s, "
                f"{self.key['stratum'].nunique()} strata, {len(self.choices) - 1} themes to choose from")


def allocate(available: dict, n: int, rng: np.random.Generator) -> dict:
    """Spread ``n`` draws over cells as evenly as their sizes allow.

    Every cell gets the same number where it can; cells that run out give
    their share to the others; the remainder of an uneven split goes to
    cells chosen at random.

    Parameters
    ----------
    available : dict of cell -> int
        Items in each cell.
    n : int
        Draws wanted (at most the total available are made).
    rng : Generator

    Returns
    -------
    dict of cell -> int
    """
    take = {c: 0 for c in available}
    left = min(n, sum(available.values()))
    while left > 0:
        open_cells = [c for c in sorted(available) if take[c] < available[c]]
        if left < len(open_cells):
            open_cells = [open_cells[i] for i in sorted(rng.choice(len(open_cells), size=left, replace=False))]
        for c in open_cells:
            take[c] += 1
            left -= 1
    return take


def _strata(units: pd.DataFrame, theme_column: str, *, by_partner: bool) -> pd.Series:
    cell = units["language"].astype(str).replace("", "unknown")
    if by_partner:
        cell = cell + "|" + units["partner"]
    return units[theme_column].astype(str) + "|" + cell


def _draw(units: pd.DataFrame, theme_column: str, per_theme: int, *, by_partner: bool,
          rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows drawn per stratum with their weights; and the strata counts."""
    units = units.assign(stratum=_strata(units, theme_column, by_partner=by_partner))
    drawn, counts = [], []
    for theme in sorted(units[theme_column].astype(str).unique()):
        rows = units[units[theme_column].astype(str) == theme]
        available = rows.groupby("stratum").size().to_dict()
        take = allocate(available, per_theme, rng)
        for stratum in sorted(take):
            cell = rows[rows["stratum"] == stratum]
            k = take[stratum]
            counts.append({"theme": theme, "stratum": stratum, "available": len(cell), "drawn": k})
            if k == 0:
                continue
            picked = cell.iloc[np.sort(rng.choice(len(cell), size=k, replace=False))].copy()
            picked["stratum_size"] = len(cell)
            picked["n_drawn"] = k
            picked["weight"] = len(cell) / k
            drawn.append(picked)
    if not drawn:
        raise ValidationError("the results hold no kept, assigned passage to sample")
    return pd.concat(drawn, ignore_index=True), pd.DataFrame(counts)


def _with_context(labels: pd.DataFrame) -> pd.DataFrame:
    ordered = labels.sort_values(["doc_id", "position"], kind="stable")
    grouped = ordered.groupby("doc_id", sort=False)["text"]
    before = grouped.shift(1).fillna("")
    after = grouped.shift(-1).fillna("")
    return ordered.assign(context_before=before, context_after=after).sort_index()


def _document_units(result, labels: pd.DataFrame) -> pd.DataFrame:
    docs = document_labels(result)
    docs = docs[docs["n_kept"] > 0].copy()
    texts = (labels.sort_values(["doc_id", "position"], kind="stable")
             .groupby("doc_id")["text"].agg(lambda s: "\n\n".join(map(str, s))).to_dict())
    docs["text"] = [texts.get(d, "") for d in docs["doc_id"]]
    docs["theme_id"] = docs["dominant_code"]
    docs["theme"] = docs["dominant_code"]
    return docs


def _instructions(unit: str, n_items: int, sample_id: str) -> str:
    what = "passage (a paragraph of a news article)" if unit == "passage" else "news article"
    steps = [
        "Open `coding_sheet.xlsx` (worksheet \"items\"), or `coding_sheet.csv`. The worksheet \"themes\" "
        "(also `themes.csv`) lists the themes you may choose from, each with a number, a code, a label and "
        "a description in several languages.",
    ]
    if unit == "passage":
        steps += [
            "Read the `text` of each item; `context_before` and `context_after` are the paragraphs just "
            "before and after it in the same article, for orientation only: code the `text`.",
            "In the column `code`, write the ONE theme that the text substantively discusses (its code, "
            "its number or its label). If it discusses several, choose the one it is mostly about. If it "
            "discusses none of the themes, write `none` (or 0).",
        ]
    else:
        steps += [
            "Read the `title` and `text` of each article (page furniture such as menus and captions has "
            "been removed).",
            "In the column `code`, write EVERY theme that the article substantively discusses (a full "
            "sentence about it, not a word in a list), separated by `;` (codes, numbers or labels). If it "
            "discusses none of the themes, write `none` (or 0).",
            "In the column `partners`, write the foreign countries that are the home country's counterparts "
            "in the article (they cooperate, meet, visit or negotiate), separated by `;`, in English. Leave "
            "it empty when there is none. Not every country named is a partner.",
        ]
    steps += [
        "Leave no `code` empty. You may write remarks in `note`. Do not change `item_id` or the texts; you "
        "may sort or filter the rows.",
        "Save the file under a name of your own (for example `coder_a.xlsx`; CSV is accepted too) and "
        "return it.",
    ]
    lines = [
        f"# Coding instructions (sample {sample_id})",
        "",
        f"You will read {n_items} items; each is a {what}. Code them on your own: do not discuss the items "
        "with the other coders until everyone has finished.",
        "",
        *(f"{i}. {step}" for i, step in enumerate(steps, start=1)),
        "",
        "The sheet is spreadsheet-safe: a text that starts with `=`, `+`, `-` or `@` is shown as text (in "
        "the CSV it carries a leading apostrophe `'`).",
    ]
    return "\n".join(lines) + "\n"


def draw_sample(result, *, per_theme: int = 10, unit: str = "passage", by_partner: bool = False,
                seed: int = 0, codebook=None) -> CodingSample:
    """Draw a blind coding sample, stratified by theme and language (and partner).

    Parameters
    ----------
    result : RunResult
        From :func:`coopthemes.read_results`.
    per_theme : int
        Items per theme (all of a theme's items when it has fewer).
    unit : {"passage", "document"}
        Passages are stratified by their theme; documents by their dominant
        codebook theme (``none`` when they have none).
    by_partner : bool
        Also stratify by the document's partners (``none`` when it has none).
    seed : int
        Seed of the draw and of the shuffle.
    codebook : Codebook, str or Path, optional
        The themes to choose from; default: the run's codebook.

    Returns
    -------
    CodingSample
    """
    if unit not in UNITS:
        raise ValidationError(f"unit: expected one of {list(UNITS)}, got {unit!r}")
    if int(per_theme) < 1:
        raise ValidationError(f"per_theme: expected at least 1, got {per_theme}")
    if codebook is None or isinstance(codebook, (str, Path)):
        codebook = codebook_for(result, codebook)
    choices = theme_choices(codebook)
    labels = _with_context(passage_labels(result))
    labels["partner"] = [partner_key(p) for p in labels["partners"]]
    if unit == "passage":
        units, theme_column = labels, "theme_id"
    else:
        units = _document_units(result, labels)
        units["partner"] = [partner_key(p) for p in units["partners"]]
        theme_column = "dominant_code"
    if units.empty:
        raise ValidationError(f"{result.results_dir}: no kept, assigned {unit} to sample")
    parameters = {"results": results_fingerprint(result), "unit": unit, "per_theme": int(per_theme),
                  "by_partner": bool(by_partner), "seed": int(seed), "choices": list(choices["code"])}
    sample_id = make_sample_id(unit, parameters)
    rng = np.random.default_rng(seed)
    drawn, counts = _draw(units, theme_column, int(per_theme), by_partner=by_partner, rng=rng)
    drawn = drawn.iloc[rng.permutation(len(drawn))].reset_index(drop=True)
    drawn["item_id"] = [f"{sample_id}-{i:04d}" for i in range(1, len(drawn) + 1)]
    sheet, key = _sheet_and_key(drawn, unit, sample_id)
    key.insert(1, "results", parameters["results"])
    info = {**parameters, "sample_id": sample_id, "corpus_hash": result.info.get("corpus_hash"),
            "codebook": codebook.source, "n_items": len(sheet),
            "strata": counts.to_dict(orient="records")}
    return CodingSample(sample_id=sample_id, unit=unit, sheet=sheet, choices=choices, key=key,
                        instructions=_instructions(unit, len(sheet), sample_id), info=info)


def _sheet_and_key(drawn: pd.DataFrame, unit: str, sample_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    key = pd.DataFrame({"sample_id": sample_id, "item_id": drawn["item_id"], "unit": unit})
    if unit == "passage":
        sheet = drawn[["item_id", "passage_id", "language", "context_before", "text", "context_after"]].copy()
        sheet["code"] = ""
        key["passage_id"] = drawn["passage_id"].astype(str)
    else:
        sheet = drawn[["item_id", "doc_id", "language", "title", "text"]].copy()
        sheet["code"] = ""
        sheet["partners"] = ""
    sheet["note"] = ""
    key["doc_id"] = drawn["doc_id"].astype(str)
    for column in ("language", "partner", "stratum", "stratum_size", "n_drawn", "weight"):
        key[column] = drawn[column].to_numpy()
    if unit == "passage":
        key["theme_id"] = drawn["theme_id"].to_numpy()
        key["theme"] = drawn["theme"].astype(str).to_numpy()
        key["model_code"] = drawn["model_code"].to_numpy()
    else:
        key["model_codes"] = [";".join(c) if c else NONE for c in drawn["model_codes"]]
        key["model_partners"] = [";".join(p) for p in drawn["partners"]]
    return sheet.reset_index(drop=True), key.reset_index(drop=True)


def write_sample(sample: CodingSample, out_dir: str | Path, *, command: str | None = None,
                 result=None) -> list[Path]:
    """Write a sample's files (see the module notes) and ``MANIFEST.json``; return the paths."""
    from ..provenance import write_manifest

    out = Path(out_dir)
    coders = out / CODERS_DIR
    coders.mkdir(parents=True, exist_ok=True)
    instructions = pd.DataFrame({"instructions": sample.instructions.splitlines()})
    widths = {"items": {"text": 80, "context_before": 40, "context_after": 40, "title": 30, "code": 20,
                        "partners": 20, "note": 20, "item_id": 16},
              "themes": {"label": 30, **{c: 60 for c in sample.choices.columns if c.startswith("description")}},
              "instructions": {"instructions": 120}}
    paths = [
        write_xlsx({"items": sample.sheet, "themes": sample.choices, "instructions": instructions},
                   coders / "coding_sheet.xlsx", widths=widths),
        write_csv(sample.sheet, coders / "coding_sheet.csv"),
        write_csv(sample.choices, coders / "themes.csv"),
    ]
    (coders / "instructions.md").write_text(sample.instructions, encoding="utf-8", newline="\n")
    paths.append(coders / "instructions.md")
    key_path = out / KEY_FILE
    write_csv(sample.key, key_path)
    paths.append(key_path)
    info_path = out / SAMPLE_JSON
    info_path.write_text(json.dumps(sample.info, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n",
                         encoding="utf-8", newline="\n")
    paths.append(info_path)
    command = command or f"coopthemes validate sample RESULTS_DIR --unit {sample.unit} --out {out}"
    info = result.info if result is not None else {}
    paths.append(write_manifest(out, artefacts=paths, config={k: v for k, v in sample.info.items() if k != "strata"},
                                corpus_hash=info.get("corpus_hash"), seed=sample.info.get("seed"),
                                command=command))
    return paths
