"""The explorer's data: a results folder turned into one compact, JSON-ready dict.

The page reads only this dict (embedded in it as JSON), so its contract is
stated here. Tables are stored column-wise, with documents, themes and
partners referred to by their index in their own list, which keeps the page
small (the text of the passages is most of it). Every value is plain JSON:
missing values are ``None``, floats are rounded, and lists follow a stated
order, so that the same results always give the same bytes.

Contract (``FORMAT``)
---------------------
``format, title, group_column, languages, language_colors, min_group_size, min_stability``
    Identity of the page, the run's grouping column, the corpus languages
    with the figures' colour for each, the size under which a group is
    small and the stability under which a theme is unstable (None when the
    config does not say).
``themes``
    List of dicts ``id, label, codebook_id, size, language_mix (dict),
    terms ({language: [[term, weight], ...]}), representative (passage
    indices), color, outlier (bool), unstable (bool), extra ({column:
    value})``, in theme-id order. ``unstable`` is the themes table's flag
    (a theme that reappears in too few of the consensus fits; False when
    the table has no such column). ``extra`` holds the other optional
    columns of the themes table (``label_confidence``, ``stability``, ...)
    whenever they are present.
``theme_columns``
    The optional columns present, in table order, with their display name.
``documents``
    Column-wise: ``id, title, year, language, partners (indices into
    partners), group (value of the group column, when it is not partner)``.
``partners``
    Sorted partner names.
``passages``
    Column-wise, one entry per assigned passage: ``id, doc (index), text,
    language, year, partners (indices), theme (index), strength (probability
    in thousandths), outlier (0/1)``; when some passage of the assignments
    has them, also ``discusses`` (indices of the codebook themes the passage
    also discusses, from ``also_discusses``) and ``evidence`` (the keyword
    evidence of its codebook themes, or None).
``prevalence``
    List of blocks, one per ``(unit, breakdown)``: ``unit, breakdown,
    columns (grouping columns), extra (names of further numeric columns,
    such as ``share_min, share_max``: the range of the share over the
    consensus fits), rows ([theme index, group value..., n, n_group, share,
    ci_low, ci_high, small_group, extra values...])``.
``map``
    Column-wise theme map: ``x, y`` (scaled to 0..1000), ``theme`` (index),
    ``passage`` (index or -1).
``provenance``
    See :func:`provenance_record`.
``edits``
    The theme edits applied to the fit: the rows of the results'
    ``theme_edits`` table (``step, action, theme_id, detail``) when it has
    one, else as recorded in ``run.json`` or the manifest (under one of
    :data:`EDIT_KEYS`); None when there are none.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..plotting.style import LANGUAGE_COLORS, OUTLIER_COLOR, palette
from ..schema import BREAKDOWN_SEPARATOR

__all__ = ["EDIT_KEYS", "FORMAT", "THEME_COLUMN_NAMES", "THEME_FLAGS", "explorer_data", "provenance_record"]

#: Identifier of the data contract; bump when the page's data change shape.
FORMAT = "coopthemes-explorer/1"

#: Optional columns of the themes table shown when present: column -> display name.
THEME_COLUMN_NAMES = {
    "label_confidence": "label confidence",
    "stability": "stability",
}
#: Boolean columns of the themes table shown as a mark on the theme, not as a column.
THEME_FLAGS = ("unstable",)

#: Keys under which the theme edits applied to a run may be recorded (run.json first, then the manifest).
EDIT_KEYS = ("edits", "theme_edits")
#: Columns of the themes table that are not "extra".
_BASE_THEME_COLUMNS = ("theme_id", "theme", "codebook_id", "size", "language_mix", "representative_passages")
#: Prevalence columns stored in every row, after the grouping values.
_PREVALENCE_VALUES = ("n", "n_group", "share", "ci_low", "ci_high", "small_group")
#: Columns of the prevalence table that are neither grouping columns nor extra values.
_PREVALENCE_FIXED = ("unit", "breakdown", "theme", *_PREVALENCE_VALUES)
#: Theme map coordinates are scaled to 0..MAP_SCALE.
MAP_SCALE = 1000
_DIGITS = 4


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:
        return False


def _plain(value: Any) -> Any:
    """A JSON value: numpy and pandas scalars unwrapped, NaN/NA -> None, floats rounded."""
    if _missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return None if not math.isfinite(value) else round(value, _DIGITS)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | np.ndarray | pd.api.extensions.ExtensionArray):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return value.as_posix()
    return str(value)


def _strings(value: Any) -> list[str]:
    """A list of strings from a list-like cell (None and NA give an empty list)."""
    if value is None or (not isinstance(value, list | tuple | np.ndarray) and _missing(value)):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if not _missing(v)]


def _year(value: Any) -> int | None:
    if _missing(value):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _language_mix(value: Any) -> dict:
    if isinstance(value, Mapping):
        return _plain(value)
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return {}
        return _plain(parsed) if isinstance(parsed, dict) else {}
    return {}


def _theme_entries(results, passage_index: Mapping[str, int]) -> tuple[list[dict], dict[int, int], list[dict]]:
    """Themes in id order (plus any theme of the assignments missing from the themes table)."""
    themes = results.tables.get("themes")
    themes = themes if themes is not None else pd.DataFrame(columns=list(_BASE_THEME_COLUMNS))
    extra_cols = [c for c in themes.columns if c not in _BASE_THEME_COLUMNS and c not in THEME_FLAGS]
    rows = {int(r["theme_id"]): r for r in themes.to_dict("records")}
    assignments = results.tables.get("assignments")
    if assignments is not None and len(assignments):
        counts = assignments.groupby("theme_id").size()
        labels = assignments.drop_duplicates("theme_id").set_index("theme_id")["theme"]
        for theme_id in sorted(int(t) for t in counts.index):
            if theme_id not in rows:
                rows[theme_id] = {"theme_id": theme_id, "theme": str(labels[theme_id]), "codebook_id": None,
                                  "size": int(counts[theme_id]), "language_mix": None,
                                  "representative_passages": []}
    ids = sorted(rows)
    regular = [t for t in ids if t >= 0]
    colors = dict(zip(regular, palette(len(regular)), strict=True))
    terms = _terms_by_theme(results.tables.get("terms"))
    entries = []
    for theme_id in ids:
        row = rows[theme_id]
        extra = {c: _plain(row.get(c)) for c in extra_cols if _scalar(row.get(c))}
        entries.append({
            "id": theme_id,
            "label": "" if _missing(row.get("theme")) else str(row["theme"]),
            "codebook_id": None if _missing(row.get("codebook_id")) else str(row["codebook_id"]),
            "size": _plain(row.get("size")),
            "language_mix": _language_mix(row.get("language_mix")),
            "terms": terms.get(theme_id, {}),
            "representative": [passage_index[p] for p in _strings(row.get("representative_passages"))
                               if p in passage_index],
            "color": colors.get(theme_id, OUTLIER_COLOR),
            "outlier": theme_id < 0,
            "unstable": _flag(row.get("unstable")),
            "extra": extra,
        })
    shown = [c for c in extra_cols if any(e["extra"].get(c) is not None for e in entries)]
    columns = [{"column": c, "name": THEME_COLUMN_NAMES.get(c, c.replace("_", " "))} for c in shown]
    return entries, {theme_id: i for i, theme_id in enumerate(ids)}, columns


def _flag(value: Any) -> bool:
    """A boolean cell: missing (or absent) is False."""
    return False if _missing(value) else bool(value)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int | float | np.generic) or _missing(value)


def _terms_by_theme(terms: pd.DataFrame | None) -> dict[int, dict[str, list]]:
    if terms is None or not len(terms):
        return {}
    out: dict[int, dict[str, list]] = {}
    ordered = terms.sort_values(["theme_id", "language", "rank"], kind="mergesort")
    for (theme_id, language), group in ordered.groupby(["theme_id", "language"], sort=True):
        out.setdefault(int(theme_id), {})[str(language)] = [
            [str(t), _plain(w)] for t, w in zip(group["term"], group["weight"], strict=True)
        ]
    return out


def _documents(documents: pd.DataFrame, group_column: str | None) -> tuple[dict, dict[str, int], list[str]]:
    documents = documents.sort_values("doc_id", kind="mergesort").reset_index(drop=True)
    cells = _column(documents, "partners")
    partners = sorted({p for cell in cells for p in _strings(cell)})
    partner_index = {p: i for i, p in enumerate(partners)}
    cols = {
        "id": [str(d) for d in _column(documents, "doc_id")],
        "title": [None if _missing(t) else str(t) for t in _column(documents, "title")],
        "year": [_year(y) for y in _column(documents, "year")],
        "language": [None if _missing(v) else str(v) for v in _column(documents, "language")],
        "partners": [[partner_index[p] for p in _strings(c)] for c in cells],
    }
    if group_column and group_column != "partner" and group_column in documents.columns:
        cols["group"] = [_plain(v) if _scalar(v) else str(v) for v in _column(documents, group_column)]
    return cols, {d: i for i, d in enumerate(cols["id"])}, partners


def _passages(results) -> pd.DataFrame:
    """Assigned passages joined to their text and metadata, ordered by passage id."""
    assignments = results.tables.get("assignments")
    passages = results.tables.get("passages")
    if assignments is None or passages is None or not len(assignments):
        return pd.DataFrame(columns=["passage_id", "doc_id", "text", "language", "year", "partners",
                                     "theme_id", "probability", "is_outlier"])
    cols = [c for c in ("passage_id", "doc_id", "text", "language", "year", "partners") if c in passages.columns]
    joined = assignments.merge(passages[cols], on="passage_id", how="inner", validate="one_to_one")
    return joined.sort_values("passage_id", kind="mergesort").reset_index(drop=True)


def _column(df: pd.DataFrame, name: str, default=None) -> list:
    """A column as a list of Python objects (missing column: ``default`` in every row)."""
    if name not in df.columns:
        return [default] * len(df)
    return df[name].astype(object).tolist()


def _passage_columns(joined: pd.DataFrame, doc_index, partner_index, theme_index, theme_by_label) -> dict:
    columns = {
        "id": [str(p) for p in _column(joined, "passage_id")],
        "doc": [doc_index.get(str(d), -1) for d in _column(joined, "doc_id", "")],
        "text": ["" if _missing(t) else str(t) for t in _column(joined, "text", "")],
        "language": [None if _missing(v) else str(v) for v in _column(joined, "language")],
        "year": [_year(y) for y in _column(joined, "year")],
        "partners": [[partner_index[p] for p in _strings(c) if p in partner_index]
                     for c in _column(joined, "partners")],
        "theme": [theme_index[int(t)] for t in _column(joined, "theme_id")],
        "strength": [None if _missing(p) else int(round(float(p) * 1000)) for p in _column(joined, "probability")],
        "outlier": [int(bool(v)) if not _missing(v) else 0 for v in _column(joined, "is_outlier", False)],
    }
    discusses = [[theme_by_label[name] for name in _strings(c) if name in theme_by_label]
                 for c in _column(joined, "also_discusses")]
    if any(discusses):
        columns["discusses"] = discusses
    evidence = [None if _missing(e) or not str(e) else str(e) for e in _column(joined, "evidence")]
    if any(e is not None for e in evidence):
        columns["evidence"] = evidence
    return columns


def _prevalence_blocks(prevalence: pd.DataFrame | None, theme_by_label: Mapping[str, int]) -> list[dict]:
    if prevalence is None or not len(prevalence) or "breakdown" not in prevalence.columns:
        return []
    extra = [c for c in prevalence.columns
             if c not in _PREVALENCE_FIXED and pd.api.types.is_numeric_dtype(prevalence[c])
             and not pd.api.types.is_bool_dtype(prevalence[c])]
    blocks = []
    for (unit, breakdown), group in prevalence.groupby(["unit", "breakdown"], sort=True):
        columns = str(breakdown).split(BREAKDOWN_SEPARATOR)
        if any(c not in group.columns for c in columns):
            continue
        extra_here = [c for c in extra if c not in columns and group[c].notna().any()]
        records = [r for r in group.astype(object).to_dict("records") if r["theme"] in theme_by_label]
        records.sort(key=lambda r: (str(r["theme"]), *((0, "") if _missing(r[c]) else (1, str(r[c])) for c in columns)))
        rows = [[theme_by_label[r["theme"]], *(_plain(r[c]) for c in columns),
                 *(_plain(r.get(c)) for c in _PREVALENCE_VALUES), *(_plain(r[c]) for c in extra_here)]
                for r in records]
        blocks.append({"unit": str(unit), "breakdown": str(breakdown), "columns": columns,
                       "extra": extra_here, "rows": rows})
    return blocks


def _theme_map(theme_map: pd.DataFrame | None, passage_index, theme_index) -> dict:
    if theme_map is None or not len(theme_map):
        return {"x": [], "y": [], "theme": [], "passage": []}
    data = theme_map.sort_values("passage_id", kind="mergesort")
    data = data[data["theme_id"].astype(int).isin(theme_index)]
    x, y = data["x"].to_numpy(dtype=float), data["y"].to_numpy(dtype=float)

    def scale(v: np.ndarray) -> list[int]:
        if not len(v):
            return []
        lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
        span = hi - lo if hi > lo else 1.0
        return [int(round((a - lo) / span * MAP_SCALE)) for a in v]

    return {"x": scale(x), "y": scale(y), "theme": [theme_index[int(t)] for t in data["theme_id"]],
            "passage": [passage_index.get(str(p), -1) for p in data["passage_id"]]}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest_matches(manifest: Mapping, results_dir: Path | None) -> bool | None:
    """Whether the manifest's recorded inputs are these results files (None: cannot tell)."""
    if results_dir is None or not manifest.get("inputs"):
        return None
    seen = False
    for entry in manifest["inputs"]:
        path = results_dir / Path(str(entry.get("path", ""))).name
        if path.is_file():
            seen = True
            if _sha256(path) != entry.get("sha256"):
                return False
    return True if seen else None


def provenance_record(info: Mapping, manifest: Mapping | None, *, results_dir: Path | None = None) -> dict:
    """What the page shows about how the results were made.

    Parameters
    ----------
    info : mapping
        ``run.json`` of the results.
    manifest : mapping or None
        ``MANIFEST.json`` written beside the figures, when there is one.
    results_dir : Path, optional
        The results folder, to check that the manifest describes it.

    Returns
    -------
    dict
        ``config, corpus_hash, seed, embedder, run (the other facts of
        run.json), packages, python, platform, git, manifest ("found",
        "missing" or "mismatch")``. Values absent from both records are
        None. The manifest's command is left out: it names the output
        folder, and the page of the same results must not depend on where
        it is written.
    """
    manifest = dict(manifest or {})
    facts = {k: _plain(v) for k, v in sorted(info.items()) if k not in ("config", "embedder", *EDIT_KEYS)}
    status = "missing"
    if manifest:
        status = "mismatch" if _manifest_matches(manifest, results_dir) is False else "found"
        if info.get("corpus_hash") and manifest.get("corpus_hash") not in (None, info.get("corpus_hash")):
            status = "mismatch"
    return {
        "config": _plain(info.get("config") or manifest.get("config") or {}),
        "corpus_hash": info.get("corpus_hash") or manifest.get("corpus_hash"),
        "seed": _plain(info.get("seed", manifest.get("seed"))),
        "embedder": _plain(info.get("embedder")),
        "run": facts,
        "packages": _plain(manifest.get("packages")),
        "python": manifest.get("python"),
        "platform": manifest.get("platform"),
        "git": _plain(manifest.get("git")),
        "manifest": status,
    }


def _edits(info: Mapping, manifest: Mapping, log: pd.DataFrame | None = None):
    if log is not None and len(log):
        rows = log.sort_values("step", kind="stable") if "step" in log.columns else log
        return [{str(k): _plain(v) for k, v in row.items()} for row in rows.to_dict(orient="records")]
    for record in (info, manifest):
        for key in EDIT_KEYS:
            if record.get(key):
                return record[key]
    return None


def _title(info: Mapping) -> str:
    path = (info.get("config") or {}).get("corpus", {}).get("path")
    return f"coopthemes explorer: {Path(str(path)).name}" if path else "coopthemes explorer"


def explorer_data(results, *, manifest: Mapping | None = None) -> dict:
    """The page's data from a results folder.

    Parameters
    ----------
    results : RunResult
        Read with :func:`coopthemes.read_results`; only ``run.json`` is
        required, every table is optional.
    manifest : mapping, optional
        The ``MANIFEST.json`` of the figures made from these results.

    Returns
    -------
    dict
        Plain JSON values following the module's contract (:data:`FORMAT`).
    """
    info = results.info or {}
    group_column = info.get("group_column") or (info.get("config") or {}).get("prevalence", {}).get("group_column")
    documents = results.tables.get("documents")
    if documents is None:
        documents = pd.DataFrame({"doc_id": pd.Series(dtype=str)})
    docs, doc_index, partners = _documents(documents, group_column)
    partner_index = {p: i for i, p in enumerate(partners)}
    joined = _passages(results)
    passage_index = {str(p): i for i, p in enumerate(joined["passage_id"])}
    themes, theme_index, theme_columns = _theme_entries(results, passage_index)
    theme_by_label = {t["label"]: i for i, t in reversed(list(enumerate(themes)))}
    edits = _edits(info, manifest or {}, results.tables.get("theme_edits"))
    return {
        "format": FORMAT,
        "title": _title(info),
        "group_column": group_column,
        "languages": [str(x) for x in info.get("languages") or sorted({t for t in docs["language"] if t})],
        "language_colors": dict(sorted(LANGUAGE_COLORS.items())),
        "themes": themes,
        "theme_columns": theme_columns,
        "documents": docs,
        "partners": partners,
        "passages": _passage_columns(joined, doc_index, partner_index, theme_index, theme_by_label),
        "prevalence": _prevalence_blocks(results.tables.get("prevalence"), theme_by_label),
        "min_group_size": _plain((info.get("config") or {}).get("prevalence", {}).get("min_group_size")),
        "min_stability": _plain((info.get("config") or {}).get("themes", {}).get("min_stability")),
        "map": _theme_map(results.tables.get("theme_map"), passage_index, theme_index),
        "provenance": provenance_record(info, manifest, results_dir=results.results_dir),
        "edits": _plain(edits) if edits else None,
    }
