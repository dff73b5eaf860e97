"""Scoring filled sheets (and document codes) against each other and against the model.

:func:`score_sheets` reads one filled sheet per coder, finds the sample's
answer key, checks that every sheet belongs to that sample and is complete,
and scores according to the kind of sample (from the first letter of the
item ids):

* ``p`` (passages, one code each): agreement overall (nominal) and per theme
  (binary), consensus, the model's precision/recall/F1 per theme and
  micro-averaged over the codebook themes (``none`` left out of the micro
  average), and a confusion table;
* ``d`` (documents, several codes each, and partners): as
  :func:`~coopthemes.validation.documents.score_documents`;
* ``w`` and ``t`` (word and theme intrusion): the share of intruders found
  (:func:`~coopthemes.validation.intrusion.score_intrusion`).

:func:`score_document_codes` scores a file of document codes
(:func:`~coopthemes.validation.documents.read_document_codes`) instead.

Tables (all written by :func:`write_scores` as CSV, LaTeX and Markdown under
``OUT/tables/``; floats rounded to 3 decimals; ``*_low``/``*_high`` are 95%
bootstrap intervals):

``agreement``
    ``measure, value, n_items, n_coders, compared``: Cohen's kappa (two
    coders; Light's kappa for more), Krippendorff's alpha, percent agreement.
``agreement_by_theme``
    ``theme, label, n_items, coded_<coder>..., kappa, kappa_low, kappa_high,
    alpha, percent_agreement, ties`` (decisions left out of scoring).
``model_scores``
    ``theme, label, n_scored, support, predicted, tp, fp, fn, precision,
    precision_low, precision_high, recall, ..., f1, ...``; last row ``micro``;
    and ``theme_label_confidence``, ``theme_stability`` (...) where the
    ``themes`` table has such columns (:data:`THEME_EXTRAS`).
``confusion`` (passages)
    ``model`` (the model's code) x consensus codes, with totals.
``consensus``
    One row per item (document): each coder's code(s), the consensus, ties,
    the model's code(s).
``sets`` (documents with partners)
    ``measure, value, low, high, n, hits``: coders' partner sets equal, the
    model's partner sets exactly right, pair precision and recall (and the
    same for multilateral organisations where coded).
``intrusion_scores``, ``intrusion_items`` (intrusion)
    See :func:`~coopthemes.validation.intrusion.score_intrusion`.

And one figure, ``validation_scores`` (PDF, PNG, SVG): per theme, the coders'
kappa and the model's precision and recall with their intervals (intrusion:
the share of intruders found, with the chance level).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._common import NONE, SAMPLE_KINDS, ValidationError, results_fingerprint
from .agreement import agreement_by_theme, agreement_overall, consensus_codes
from .choices import CodeReader, codebook_for, theme_choices
from .scores import MICRO, binary_scores, bootstrap_counts, confusion_table
from .sheets import read_sheet

__all__ = ["ValidationScores", "find_key", "read_filled_sheets", "score_document_codes", "score_passage_sheets",
           "score_sheets", "write_scores"]

KEY_FILE = "answer_key.csv"
#: Optional columns of the ``themes`` table carried into ``model_scores`` when present (mean over the themes
#: of one codebook id), so that a theme's precision can be read beside its label confidence and stability.
THEME_EXTRAS = ("label_confidence", "confidence", "stability")
_ITEM_ID = re.compile(r"^([pdwt][0-9a-f]{8})-(\d{4,})$")
_KIND_NAMES = {letter: kind for kind, letter in SAMPLE_KINDS.items()}


@dataclass
class ValidationScores:
    """The result of scoring: tables, and what the figure shows.

    Attributes
    ----------
    kind : {"passage", "document", "word", "theme"}
    tables : dict of str -> DataFrame
        See the module notes.
    info : dict
        Coders, sample id, numbers of items, bootstrap settings.
    """

    kind: str
    tables: dict[str, pd.DataFrame]
    info: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def by_theme(self) -> pd.DataFrame:
        """One row per theme with the measures of the figure (and their intervals)."""
        if self.kind in ("word", "theme"):
            rows = self.tables["intrusion_scores"]
            return rows.assign(label=rows["theme"])
        agreement = self.tables["agreement_by_theme"][["theme", "label", "kappa", "kappa_low", "kappa_high"]]
        scores = self.tables["model_scores"].drop(columns=["label"], errors="ignore")
        return agreement.merge(scores, on="theme", how="left")

    def __repr__(self) -> str:
        coders = ", ".join(self.info.get("coders", []))
        lines = [f"ValidationScores ({self.kind}): coders {coders}; {self.info.get('n_items', '?')} items"]
        if "agreement" in self.tables:
            a = self.tables["agreement"].set_index("measure")["value"]
            lines.append("  agreement: " + ", ".join(f"{m} {v:.3f}" for m, v in a.items() if pd.notna(v)))
        if "model_scores" in self.tables:
            micro = self.tables["model_scores"].set_index("theme").loc[MICRO]
            lines.append(f"  model (micro): precision {micro['precision']:.3f}, recall {micro['recall']:.3f}, "
                         f"F1 {micro['f1']:.3f} on {int(micro['n_scored'])} decisions")
        if "intrusion_scores" in self.tables:
            overall = self.tables["intrusion_scores"].iloc[-1]
            lines.append(f"  intruders found: {overall['share_found']:.3f} (chance {overall['chance']:.3f})")
        lines.append(f"  tables: {', '.join(self.tables)}")
        return "\n".join(lines)


# --------------------------------------------------------------------------
# reading sheets and keys
# --------------------------------------------------------------------------


def _sample_of(df: pd.DataFrame, path: Path) -> str:
    if "item_id" not in df.columns:
        raise ValidationError(f"{path}: no item_id column (not a sheet written by `coopthemes validate`)")
    ids = [i for i in df["item_id"] if i]
    bad = [i for i in ids if not _ITEM_ID.match(i)]
    if bad:
        raise ValidationError(f"{path}: {bad[0]!r} is not an item id of a validation sample")
    samples = sorted({_ITEM_ID.match(i).group(1) for i in ids})
    if not samples:
        raise ValidationError(f"{path}: no items")
    if len(samples) > 1:
        raise ValidationError(f"{path}: items of several samples ({', '.join(samples)})")
    return samples[0]


def find_key(sheet: str | Path, sample_id: str, keys: Sequence[str | Path] = ()) -> tuple[pd.DataFrame, Path]:
    """The answer key of a sample: from ``keys``, else ``answer_key.csv`` beside the sheet or up to two folders up.

    Returns
    -------
    (DataFrame, Path)
        The key's rows of that sample (all cells text) and the file.
    """
    sheet = Path(sheet)
    candidates = [Path(k) for k in keys] or [d / KEY_FILE for d in (sheet.parent, *list(sheet.parent.parents)[:2])]
    seen = []
    for path in candidates:
        if not path.is_file():
            if keys:
                raise ValidationError(f"{path}: no such answer key")
            continue
        key = read_sheet(path)
        if "sample_id" not in key.columns or "item_id" not in key.columns:
            raise ValidationError(f"{path}: not an answer key (no sample_id and item_id columns)")
        rows = key[key["sample_id"] == sample_id]
        if len(rows):
            return rows.reset_index(drop=True), path
        seen.append(f"{path} holds {', '.join(sorted(set(key['sample_id'])))}")
    where = "; ".join(seen) if seen else "no answer_key.csv beside it or up to two folders up"
    raise ValidationError(f"{sheet}: no answer key for its sample {sample_id} ({where}); pass --key FILE")


def _check_items(df: pd.DataFrame, key: pd.DataFrame, path: Path, sample_id: str) -> pd.DataFrame:
    if "code" not in df.columns:
        raise ValidationError(f"{path}: no `code` column")
    df = df[df["item_id"] != ""]
    dup = df["item_id"][df["item_id"].duplicated()]
    if len(dup):
        raise ValidationError(f"{path}: item {dup.iloc[0]} appears more than once")
    have, want = set(df["item_id"]), set(key["item_id"])
    if have - want:
        extra = sorted(have - want)
        raise ValidationError(f"{path}: {len(extra)} item id(s) not in sample {sample_id} (first: {extra[0]})")
    if want - have:
        lost = sorted(want - have)
        raise ValidationError(f"{path}: {len(lost)} item(s) of sample {sample_id} missing (first: {lost[0]})")
    blank = df["item_id"][df["code"].str.strip() == ""]
    if len(blank):
        raise ValidationError(f"{path}: {len(blank)} item(s) without a code (first: {sorted(blank)[0]}); "
                              f"write '{NONE}' where no theme applies")
    return df.set_index("item_id").loc[key["item_id"]].reset_index()


def _coder_names(paths: list[Path]) -> list[str]:
    names = [p.stem for p in paths]
    if len(set(names)) < len(names):
        names = [f"{p.parent.name}/{p.stem}" if names.count(p.stem) > 1 else p.stem for p in paths]
    if len(set(names)) < len(names):
        names = [f"coder_{i}" for i in range(1, len(paths) + 1)]
    return names


def read_filled_sheets(paths: Sequence[str | Path], *, keys: Sequence[str | Path] = ()
                       ) -> tuple[str, pd.DataFrame, dict[str, pd.DataFrame], Path]:
    """Read filled sheets of one sample and its key; check them.

    Returns
    -------
    sample_id : str
    key : DataFrame
        The key's rows, in item order.
    sheets : dict of coder -> DataFrame
        Each sheet's rows in the key's item order (coder = the file's stem;
        ``attrs["path"]`` = the file).
    key_path : Path

    Raises
    ------
    ValidationError
        One line naming the file and the problem: not a sheet, no ``code``
        column, a sheet from another sample, missing, unknown or repeated
        item ids, empty codes.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValidationError("no sheet given")
    frames = [read_sheet(p) for p in paths]
    samples = [_sample_of(df, p) for df, p in zip(frames, paths)]
    for path, sample in zip(paths[1:], samples[1:]):
        if sample != samples[0]:
            raise ValidationError(f"{path}: a sheet of sample {sample}, but {paths[0]} is of sample {samples[0]} "
                                  "(score one sample at a time)")
    key, key_path = find_key(paths[0], samples[0], keys)
    sheets = {}
    for name, df, path in zip(_coder_names(paths), frames, paths):
        sheets[name] = _check_items(df, key, path, samples[0])
        sheets[name].attrs["path"] = str(path)
    return samples[0], key, sheets, key_path


def _check_results(result, key: pd.DataFrame, key_path: Path) -> None:
    fingerprint = results_fingerprint(result)
    made_from = str(key["results"].iloc[0]) if "results" in key.columns else fingerprint
    if made_from != fingerprint:
        raise ValidationError(f"{key_path}: this sample was drawn from other results than {result.results_dir} "
                              f"(fingerprint {made_from}, these results {fingerprint})")


# --------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------


def _source(sheets: dict, coder: str) -> str:
    """The file a coder's sheet was read from (the coder's name when unknown)."""
    return str(sheets[coder].attrs.get("path", coder))


def _labelled(df: pd.DataFrame, labels: dict[str, str], column: str = "theme") -> pd.DataFrame:
    out = df.copy()
    out.insert(out.columns.get_loc(column) + 1, "label",
               [labels.get(t, "all themes (micro)" if t == MICRO else t) for t in out[column]])
    return out


def score_passage_sheets(key: pd.DataFrame, sheets: dict[str, pd.DataFrame], choices: pd.DataFrame, *,
                         n_boot: int = 2000, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Score one-code-per-passage sheets (see the module notes); ``sheets`` in the key's item order."""
    reader = CodeReader(choices)
    coders = list(sheets)
    labels = np.array([[reader.read(c, multiple=False, where=f"{_source(sheets, coder)}, item {i}")[0]
                        for i, c in zip(sheets[coder]["item_id"], sheets[coder]["code"])] for coder in coders],
                      dtype=object)
    model = key["model_code"].astype(str).to_numpy()
    unknown = sorted(set(model) - set(reader.codes))
    if unknown:
        raise ValidationError(f"answer key: model code(s) {unknown} are not among the themes to choose from")
    used = set(labels.ravel()) | set(model)
    themes = [c for c in reader.codes if c in used]
    counts = bootstrap_counts(key["doc_id"], n_boot=n_boot, seed=seed)
    indicators = labels[:, :, None] == np.array(themes, dtype=object)[None, None, :]
    wide = pd.DataFrame(labels.T, index=key["item_id"], columns=coders)
    consensus = consensus_codes(wide)
    tie = consensus["tie"].to_numpy()
    truth = consensus["consensus"].to_numpy(dtype=object)[:, None] == np.array(themes, dtype=object)[None, :]
    predicted = model[:, None] == np.array(themes, dtype=object)[None, :]
    mask = np.repeat(~tie[:, None], len(themes), axis=1)
    weights = key["weight"].astype(float).to_numpy() if "weight" in key else None
    names = dict(zip(choices["code"].astype(str), choices["label"].astype(str)))
    by_theme = agreement_by_theme(indicators, themes, counts=counts)
    by_theme.columns = [f"coded_{coders[int(c[6:]) - 1]}" if c.startswith("coded_") and c[6:].isdigit() else c
                        for c in by_theme.columns]
    by_theme["ties"] = int(tie.sum())
    scores = binary_scores(truth, predicted, themes, mask=mask, weights=weights, counts=counts,
                           micro_themes=[t for t in themes if t != NONE])
    table = wide.reset_index()
    id_column = "passage_id" if "passage_id" in key else "doc_id"
    table.insert(1, id_column, key[id_column].to_numpy())
    table.columns = [*table.columns[:2], *(f"code_{c}" for c in coders)]
    table["consensus"] = consensus["consensus"].to_numpy()
    table["tie"] = tie
    table["model"] = model
    return {
        "agreement": agreement_overall(labels, what="one code per passage"),
        "agreement_by_theme": _labelled(by_theme, names),
        "model_scores": _labelled(scores, names),
        "confusion": confusion_table(pd.Series(model[~tie]), pd.Series(consensus["consensus"][~tie].to_numpy()),
                                     themes),
        "consensus": table,
    }


def _document_codes_from_sheets(key, sheets, reader) -> pd.DataFrame:
    rows = []
    for coder, sheet in sheets.items():
        for item, doc, cell, partners in zip(sheet["item_id"], key["doc_id"], sheet["code"],
                                             sheet["partners"] if "partners" in sheet else [None] * len(sheet)):
            codes = reader.read(cell, multiple=True, where=f"{_source(sheets, coder)}, item {item}")
            names = None if partners is None else [p.strip() for p in str(partners).split(";") if p.strip()]
            rows.append({"doc_id": str(doc), "coder": coder, "themes": [c for c in codes if c != NONE],
                         "partners": names, "multilateral": None})
    return pd.DataFrame(rows)


def score_sheets(result, sheets: Sequence[str | Path], *, keys: Sequence[str | Path] = (), n_boot: int = 2000,
                 seed: int = 0, codebook=None) -> ValidationScores:
    """Score filled sheets of one sample (coding or intrusion) against each other and the model.

    Parameters
    ----------
    result : RunResult
        The results the sample was drawn from (checked by fingerprint).
    sheets : sequence of path
        One filled sheet per coder (``.csv`` or ``.xlsx``); at least two for
        agreement and consensus (one sheet is scored as its own consensus).
    keys : sequence of path, optional
        Answer key file(s); default: ``answer_key.csv`` near the first sheet.
    n_boot, seed : int
        Bootstrap resamples and seed.
    codebook : Codebook or path, optional
        Default: the run's.

    Returns
    -------
    ValidationScores
    """
    from .documents import score_documents

    sample_id, key, filled, key_path = read_filled_sheets(sheets, keys=keys)
    _check_results(result, key, key_path)
    kind = _KIND_NAMES[sample_id[0]]
    if kind in ("passage", "document") and len(filled) < 2:
        raise ValidationError(f"{sheets[0]}: agreement and consensus need the sheets of at least two coders")
    info = {"sample_id": sample_id, "coders": list(filled), "n_items": len(key), "n_boot": n_boot, "seed": seed,
            "key": str(key_path), "sheets": [str(p) for p in sheets]}
    if kind in ("word", "theme"):
        from .intrusion import score_intrusion

        return ValidationScores(kind, score_intrusion(key, filled, n_boot=n_boot, seed=seed), info)
    if codebook is None or isinstance(codebook, (str, Path)):
        codebook = codebook_for(result, codebook)
    choices = theme_choices(codebook)
    if kind == "passage":
        tables = score_passage_sheets(key, filled, choices, n_boot=n_boot, seed=seed)
        return ValidationScores(kind, _with_theme_extras(tables, result), info)
    codes = _document_codes_from_sheets(key, filled, CodeReader(choices))
    weights = dict(zip(key["doc_id"], key["weight"].astype(float)))
    tables = score_documents(result, codes, codebook=codebook, weights=weights, n_boot=n_boot, seed=seed)
    return ValidationScores(kind, _with_theme_extras(_with_labels(tables, choices), result), info)


def _with_theme_extras(tables: dict, result) -> dict:
    themes = result["themes"]
    extras = [c for c in THEME_EXTRAS if c in themes.columns and pd.api.types.is_numeric_dtype(themes[c])]
    if not extras or "model_scores" not in tables:
        return tables
    coded = themes[themes["codebook_id"].notna()]
    means = coded.groupby(coded["codebook_id"].astype(str))[extras].mean()
    scores = tables["model_scores"]
    for column in extras:
        scores[f"theme_{column}"] = [float(means.loc[t, column]) if t in means.index else float("nan")
                                     for t in scores["theme"]]
    return tables


def _with_labels(tables: dict, choices: pd.DataFrame) -> dict:
    names = dict(zip(choices["code"].astype(str), choices["label"].astype(str)))
    for name in ("agreement_by_theme", "model_scores"):
        tables[name] = _labelled(tables[name], names)
    return tables


def score_document_codes(result, path: str | Path, *, n_boot: int = 2000, seed: int = 0,
                         codebook=None) -> ValidationScores:
    """Score a file of coders' document codes (see :mod:`coopthemes.validation.documents`)."""
    from .documents import read_document_codes, score_documents

    if codebook is None or isinstance(codebook, (str, Path)):
        codebook = codebook_for(result, codebook)
    choices = theme_choices(codebook)
    codes = read_document_codes(path, CodeReader(choices))
    tables = _with_theme_extras(score_documents(result, codes, codebook=codebook, n_boot=n_boot, seed=seed), result)
    info = {"coders": sorted(codes["coder"].unique()), "n_items": int(codes["doc_id"].nunique()),
            "n_boot": n_boot, "seed": seed, "codes": str(path)}
    return ValidationScores("document", _with_labels(tables, choices), info)


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------

_CAPTIONS = {
    "agreement": "Agreement between coders over all items",
    "agreement_by_theme": "Agreement between coders per theme (binary: this theme or not), with 95% bootstrap "
                          "intervals for kappa",
    "model_scores": "The model against the coders' consensus: precision, recall and F1 per theme (weighted by "
                    "the sampling design) with 95% bootstrap intervals; counts are items; ties of the coders left "
                    "out",
    "confusion": "Items by the model's code (rows) and the coders' consensus (columns)",
    "consensus": "Codes per item: each coder, the consensus (ties left out) and the model",
    "sets": "Partner (and organisation) sets: coders' agreement and the model against their consensus",
    "intrusion_scores": "Intruders found per theme, with 95% bootstrap intervals and the chance level",
    "intrusion_items": "Intrusion items: the intruder and the option each coder chose",
}


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    from ..tables import round_half_up

    out = df.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = [round_half_up(v, 3) for v in out[column]]
    return out


def _figure(scores: ValidationScores):
    import matplotlib.pyplot as plt

    from ..plotting import PAGE_WIDTH
    from .plotting import score_dots

    data = scores.by_theme
    if scores.kind in ("word", "theme"):
        measures, reference = ("share_found",), float(data["chance"].iloc[0])
    else:
        data = data[data["theme"] != MICRO]
        measures, reference = ("kappa", "precision", "recall"), None
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH * 0.7, 0.8 + 0.38 * max(len(data), 2)))
    score_dots(data, measures=measures, reference=reference, ax=ax)
    ax.set_xlabel("Share found" if scores.kind in ("word", "theme") else "Value (95% interval)")
    return fig


def write_scores(scores: ValidationScores, out_dir: str | Path, *, command: str, result=None,
                 inputs: Sequence[str | Path] = (), formats: Sequence[str] = ("pdf", "png", "svg")) -> list[Path]:
    """Write the tables (``OUT/tables/``), the figure and ``MANIFEST.json``; return the paths written."""
    import matplotlib.pyplot as plt

    from ..plotting import paper_context, save_figure
    from ..provenance import write_manifest
    from ..tables import write_table

    out = Path(out_dir)
    paths: list[Path] = []
    for name, df in scores.tables.items():
        paths += write_table(_rounded(df), name, out / "tables", caption=_CAPTIONS.get(name))
    with paper_context():
        fig = _figure(scores)
        paths += save_figure(fig, "validation_scores", out, formats)
        plt.close(fig)
    info = result.info if result is not None else {}
    manifest = write_manifest(out, artefacts=paths, config={"kind": scores.kind, **scores.info},
                              corpus_hash=info.get("corpus_hash"), seed=scores.info.get("seed"), command=command,
                              inputs=[p for p in inputs if Path(p).is_file()])
    return [*paths, manifest]

