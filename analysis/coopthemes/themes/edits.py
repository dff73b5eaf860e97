"""Theme edits without refitting: rename, merge, drop, name from the codebook, reduce to N themes.

A researcher reads the themes and steers them with a small YAML file::

    rename: {0: "Training of police officers"}
    merge: [[1, 2]]          # 2 joins 1, keeping 1's id and label unless renamed
    drop: [7]                # its passages become "(other)": in no theme
    codebook: {5: training_capacity}

Ids are the fitted theme ids (the ``theme_id`` column of the fit's
``themes`` table, kept in ``results/model``): an edits file always applies
to the fit, never to an edited result, so applying it twice gives the same
tables. ``themes.n_themes: N`` then merges the two most similar themes,
again and again, until N are left (:func:`reduce_themes`).

:func:`load_edits` reads and checks the file (:mod:`coopthemes.safeyaml`);
:func:`check_edits` checks it against a fit; :func:`apply_edits` returns the
edited tables. Every error is an :class:`EditsError` naming the file and the
problem.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..safeyaml import parse_yaml, read_yaml, short_repr
from .fitted import OTHER_LABEL, OUTLIER_LABEL, FittedThemes
from .numerics import canonical, exact_dot
from .terms import (
    corpus_languages,
    frex_terms,
    language_top_terms,
    representatives_by_language,
    terms_table,
)

__all__ = [
    "EDIT_KEYS",
    "EditedThemes",
    "EditsError",
    "ThemeEdits",
    "apply_edits",
    "check_edits",
    "edits_from_text",
    "load_edits",
    "parse_edits",
    "reduce_themes",
]

#: Sections of an edits file, in the order they are applied.
EDIT_KEYS = ("merge", "drop", "codebook", "rename")
#: Longest theme label a rename may give.
MAX_LABEL = 200


class EditsError(ValueError):
    """A theme edits file is malformed or does not fit the results."""


@dataclass(frozen=True)
class ThemeEdits:
    """Checked theme edits (fitted theme ids).

    Attributes
    ----------
    rename : dict of int -> str
    merge : tuple of tuple of int
        Each group's first id keeps its id (and label, unless renamed).
    drop : tuple of int
    codebook : dict of int -> str
        Codebook theme id given to a theme (its label too, unless renamed).
    source : str
        The file, for messages.
    sha256 : str or None
        Of the file's bytes.
    """

    rename: dict = field(default_factory=dict)
    merge: tuple = ()
    drop: tuple = ()
    codebook: dict = field(default_factory=dict)
    source: str = "<edits>"
    sha256: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.rename or self.merge or self.drop or self.codebook)

    def absorbed(self) -> dict[int, int]:
        """Id -> the id it joins, for every theme merged into another."""
        return {t: group[0] for group in self.merge for t in group[1:]}

    def as_dict(self) -> dict:
        """Plain data (sorted), as recorded in ``run.json`` and ``MANIFEST.json``."""
        return {
            "file": self.source, "sha256": self.sha256,
            "rename": {str(k): v for k, v in sorted(self.rename.items())},
            "merge": [list(g) for g in self.merge], "drop": sorted(self.drop),
            "codebook": {str(k): v for k, v in sorted(self.codebook.items())},
        }  # fmt: skip


def _theme_id(value, where: str, source: str) -> int:
    if isinstance(value, bool):
        raise EditsError(f"{source}: {where}: {short_repr(value)} is not a theme id (an integer such as 3)")
    if isinstance(value, int) and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise EditsError(f"{source}: {where}: {short_repr(value)} is not a theme id (an integer such as 3)")


def _label(value, where: str, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EditsError(f"{source}: {where}: expected a non-empty label in quotes, got {short_repr(value)}")
    label = " ".join(value.split())
    if len(label) > MAX_LABEL:
        raise EditsError(f"{source}: {where}: a label of {len(label)} characters is too long (at most {MAX_LABEL})")
    if label in (OUTLIER_LABEL, OTHER_LABEL):
        raise EditsError(f"{source}: {where}: {label!r} is reserved for passages without a theme")
    return label


def _mapping(data, key: str, source: str) -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise EditsError(f"{source}: {key}: expected a mapping of theme id to value, e.g. {{0: ...}}, "
                         f"got {short_repr(value)}")
    return value


def _id_list(value, where: str, source: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise EditsError(f"{source}: {where}: expected a list of theme ids, got {short_repr(value)}")
    ids = tuple(_theme_id(v, f"{where}[{i}]", source) for i, v in enumerate(value))
    repeated = sorted({t for t in ids if ids.count(t) > 1})
    if repeated:
        raise EditsError(f"{source}: {where}: theme {repeated[0]} is listed twice")
    return ids


def _merge_groups(data, source: str) -> tuple[tuple[int, ...], ...]:
    value = data.get("merge")
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(g, list) for g in value):
        raise EditsError(f"{source}: merge: expected a list of lists of theme ids, e.g. [[1, 2]], "
                         f"got {short_repr(value)}")
    groups = tuple(_id_list(g, f"merge[{i}]", source) for i, g in enumerate(value))
    seen: dict[int, int] = {}
    for i, group in enumerate(groups):
        if len(group) < 2:
            raise EditsError(f"{source}: merge[{i}]: a merge needs at least two theme ids, got {list(group)}")
        for t in group:
            if t in seen:
                raise EditsError(f"{source}: merge: theme {t} is in merge[{seen[t]}] and merge[{i}]; "
                                 "put the themes in one list")
            seen[t] = i
    return groups


def _cross_check(edits: ThemeEdits) -> None:
    """Edits that contradict each other: a dropped theme merged, renamed or coded; an absorbed one renamed."""
    src, dropped, absorbed = edits.source, set(edits.drop), edits.absorbed()
    for group in edits.merge:
        for t in group:
            if t in dropped:
                raise EditsError(f"{src}: merge: theme {t} is also dropped; merge it or drop it, not both")
    for key, ids in (("rename", edits.rename), ("codebook", edits.codebook)):
        for t in sorted(ids):
            if t in dropped:
                raise EditsError(f"{src}: {key}: theme {t} is dropped; its passages join no theme")
            if t in absorbed:
                raise EditsError(f"{src}: {key}: theme {t} joins theme {absorbed[t]} (merge); "
                                 f"give the {key} to theme {absorbed[t]}")


def parse_edits(data, *, source: str = "<edits>", sha256: str | None = None) -> ThemeEdits:
    """Theme edits from parsed YAML (a mapping with ``rename``, ``merge``, ``drop``, ``codebook``).

    An empty document is no edit. Raises :class:`EditsError` naming ``source``.
    """
    if data is None:
        return ThemeEdits(source=source, sha256=sha256)
    if not isinstance(data, dict):
        raise EditsError(f"{source}: expected a mapping with some of {', '.join(sorted(EDIT_KEYS))}, "
                         f"got {short_repr(data)}")
    for key in sorted(data, key=str):
        if key not in EDIT_KEYS:
            close = difflib.get_close_matches(str(key), EDIT_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(EDIT_KEYS))})"
            raise EditsError(f"{source}: {short_repr(key, 40)}: unknown section{hint}")
    rename = {_theme_id(k, f"rename: key {short_repr(k)}", source): _label(v, f"rename: {k}", source)
              for k, v in _mapping(data, "rename", source).items()}
    codebook = {}
    for k, v in _mapping(data, "codebook", source).items():
        if not isinstance(v, str) or not v.strip():
            raise EditsError(f"{source}: codebook: {k}: expected a codebook theme id, got {short_repr(v)}")
        codebook[_theme_id(k, f"codebook: key {short_repr(k)}", source)] = v.strip()
    drop = data.get("drop")
    edits = ThemeEdits(
        rename=dict(sorted(rename.items())), merge=_merge_groups(data, source),
        drop=() if drop is None else _id_list(drop, "drop", source),
        codebook=dict(sorted(codebook.items())), source=source, sha256=sha256,
    )
    _cross_check(edits)
    return edits


def load_edits(path, *, source: str | None = None) -> ThemeEdits:
    """Read and check a theme edits YAML file (safely: :func:`~coopthemes.safeyaml.read_yaml`).

    ``source`` names the file in messages and records (default: ``path``),
    e.g. the path a run recorded when the file is read from a replication
    package.

    Raises
    ------
    EditsError
        Naming the file and the problem (not found, not YAML, unknown
        section, an id that is not an integer, a dropped theme merged...).
    """
    data = read_yaml(path, what="theme edits file", error=EditsError)
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return parse_edits(data, source=str(path) if source is None else source, sha256=digest)


def edits_from_text(text: str, *, source: str = "<edits>") -> ThemeEdits:
    """Theme edits from YAML text (for notebooks and tests)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_edits(parse_yaml(text, source=source, error=EditsError), source=source, sha256=digest)


def check_edits(edits: ThemeEdits, theme_ids: Sequence[int], *, codebook_ids: Sequence[str] = ()) -> None:
    """Check edits against a fit's theme ids and codebook; EditsError naming the file otherwise."""
    known = sorted(int(t) for t in theme_ids)
    shown = ", ".join(map(str, known)) if len(known) <= 30 else f"{known[0]}-{known[-1]}"
    src = edits.source
    named = [("rename", t) for t in edits.rename] + [("drop", t) for t in edits.drop]
    named += [("merge", t) for g in edits.merge for t in g] + [("codebook", t) for t in edits.codebook]
    for key, t in named:
        if t not in known:
            raise EditsError(f"{src}: {key}: no theme {t} in these results (theme ids: {shown})")
    remaining = set(known) - set(edits.drop) - set(edits.absorbed())
    if not remaining:
        raise EditsError(f"{src}: drop: every theme would be dropped")
    for t, code in sorted(edits.codebook.items()):
        if code not in codebook_ids:
            close = difflib.get_close_matches(code, list(codebook_ids), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else (
                f" (codebook ids: {', '.join(sorted(codebook_ids))})" if codebook_ids else " (no codebook)")
            raise EditsError(f"{src}: codebook: {t}: {short_repr(code)} is not a codebook theme id{hint}")


# --------------------------------------------------------------------------
# applying edits
# --------------------------------------------------------------------------


@dataclass
class _Theme:
    """One theme while edits are applied."""

    label: str
    codebook_id: str | None
    label_confidence: float
    stability: float
    members: list  # fitted ids whose passages it holds
    notes: list


def _start(fitted: FittedThemes) -> dict[int, _Theme]:
    out = {}
    for row in fitted.themes.itertuples(index=False):
        code = None if pd.isna(row.codebook_id) else str(row.codebook_id)
        conf = getattr(row, "label_confidence", np.nan)
        stab = getattr(row, "stability", np.nan)
        out[int(row.theme_id)] = _Theme(str(row.theme), code, float(conf) if pd.notna(conf) else np.nan,
                                        float(stab) if pd.notna(stab) else np.nan, [int(row.theme_id)], [])
    return out


def _apply_file(themes: dict[int, _Theme], edits: ThemeEdits, codebook_labels: Mapping[str, str]) -> None:
    for group in edits.merge:
        keeper = themes[group[0]]
        for t in group[1:]:
            gone = themes.pop(t)
            keeper.members += gone.members
            keeper.notes.append(f"absorbs {t} ({gone.label})")
        keeper.stability = np.nan  # recomputed for the merged theme
    for t in edits.drop:
        themes.pop(t)
    for t, code in edits.codebook.items():
        theme = themes[t]
        theme.notes.append(f"codebook {code} (was {theme.codebook_id or 'none'})")
        theme.codebook_id, theme.label_confidence = code, np.nan
        if t not in edits.rename:
            theme.label = codebook_labels.get(code, code)
    for t, label in edits.rename.items():
        themes[t].notes.append(f"renamed (was {themes[t].label})")
        themes[t].label = label


def _sums(grid: np.ndarray, labels: np.ndarray, ids: Sequence[int]) -> dict[int, np.ndarray]:
    """Exact sums of each theme's grid vectors (integers below 2**53)."""
    return {t: grid[labels == t].sum(axis=0) for t in ids}


def reduce_themes(grid: np.ndarray, labels: np.ndarray, n_themes: int) -> list[tuple[int, int]]:
    """Merges that leave ``n_themes`` themes: each time the two themes whose centres are most similar.

    Similarities are exact (:func:`~coopthemes.themes.numerics.exact_dot` on
    the grid centres), so the merges are the same on every machine. Of two
    equally similar pairs the one with the smaller ids goes first; the larger
    theme of a pair keeps its id (of two equal sizes, the smaller id).

    Parameters
    ----------
    grid : ndarray of shape (n_passages, dim)
        Grid vectors of the passages.
    labels : ndarray of int, shape (n_passages,)
        Theme of each passage (-1: none).
    n_themes : int
        Themes to leave (>= 1).

    Returns
    -------
    list of (kept id, absorbed id)
        In the order applied; empty when there are at most ``n_themes``.
    """
    if n_themes < 1:
        raise ValueError(f"n_themes: expected an integer >= 1, got {n_themes!r}")
    ids = sorted(set(np.asarray(labels).tolist()) - {-1})
    sums = _sums(grid, np.asarray(labels), ids)
    sizes = {t: int((labels == t).sum()) for t in ids}
    merges = []
    while len(ids) > n_themes:
        centres = canonical(np.stack([sums[t] for t in ids]))
        sim = exact_dot(centres, centres)
        np.fill_diagonal(sim, -np.inf)
        best = float(sim.max())
        i, j = (int(v) for v in np.argwhere(sim == best)[0])  # row-major: the smallest (i, j)
        a, b = ids[min(i, j)], ids[max(i, j)]
        keep, gone = (a, b) if sizes[a] >= sizes[b] else (b, a)
        merges.append((keep, gone))
        sums[keep] = sums[keep] + sums.pop(gone)
        sizes[keep] += sizes.pop(gone)
        ids.remove(gone)
    return merges


@dataclass
class EditedThemes:
    """The tables of a fit after edits.

    Attributes
    ----------
    assignments, themes, terms, frex, representatives : DataFrame
    theme_map : DataFrame or None
    run_assignments : DataFrame
        Each fit's themes, edited like the consensus (for the share ranges).
    log : DataFrame
        One row per edit: ``step, action, theme_id, detail`` (empty without edits).
    record : dict
        The edits as applied, for ``run.json`` and ``MANIFEST.json``
        (``None`` when nothing was edited).
    """

    assignments: pd.DataFrame
    themes: pd.DataFrame
    terms: pd.DataFrame
    frex: pd.DataFrame
    representatives: pd.DataFrame
    theme_map: pd.DataFrame | None
    run_assignments: pd.DataFrame
    log: pd.DataFrame
    record: dict | None


def _target(themes: dict[int, _Theme], fitted_ids: Sequence[int]) -> np.ndarray:
    """Fitted id -> edited id (-2: dropped), as an array indexed by fitted id."""
    target = np.full(max(fitted_ids, default=-1) + 1, -2, dtype=np.int64)
    for t, theme in themes.items():
        target[theme.members] = t
    return target


def _relabel(labels: np.ndarray, target: np.ndarray) -> np.ndarray:
    out = np.full(labels.shape, -1, dtype=np.int64)
    has = labels >= 0
    out[has] = target[labels[has]]
    return out


def _stability(new: np.ndarray, runs: np.ndarray, t: int) -> float:
    """Share of fits in which theme ``t`` reappears (Jaccard >= 0.5 with the consensus theme)."""
    members = new == t
    hits = 0
    for run in runs:
        other = run == t
        union = int((members | other).sum())
        hits += union > 0 and int((members & other).sum()) / union >= 0.5
    return round(hits / max(len(runs), 1), 6)


def _language_mix(languages: np.ndarray) -> str:
    import json

    values, counts = np.unique(languages, return_counts=True)
    return json.dumps({str(v): round(float(c) / len(languages), 4) for v, c in zip(values, counts)},
                      sort_keys=True)


def _descriptions(fitted: FittedThemes, labels: np.ndarray, changed: bool):
    """Terms (refitted when themes were merged or dropped), FREX terms, representatives per language."""
    langs = np.asarray(fitted.languages)
    order = corpus_languages(langs)
    n = fitted.top_n_terms
    if changed:
        terms = terms_table({lang: language_top_terms(fitted.tokens, labels, langs, language=lang, top_n=n)
                             for lang in order})
    else:
        terms = fitted.terms.copy()
    frex = terms_table({lang: frex_terms(fitted.tokens, labels, langs, language=lang, top_n=n) for lang in order})
    ids = sorted(set(labels.tolist()) - {-1})
    size = max(ids, default=-1) + 1
    sums = _sums(fitted.grid, labels, ids)
    centres = np.zeros((size, fitted.grid.shape[1]))
    for t in ids:
        centres[t] = canonical(sums[t][None, :])[0]
    reps = representatives_by_language(fitted.grid, labels, fitted.passage_ids, fitted.languages, centres,
                                       k=fitted.n_representative)
    return terms, frex, reps, centres


def _themes_table(themes: dict[int, _Theme], fitted: FittedThemes, labels: np.ndarray, runs: np.ndarray,
                  centres: np.ndarray, with_notes: bool) -> pd.DataFrame:
    from ..schema import THEME_COLUMNS

    langs = np.asarray(fitted.languages)
    original = fitted.themes.set_index("theme_id")
    rows = []
    for t in sorted(themes):
        theme = themes[t]
        members = labels == t
        if len(theme.members) == 1:
            stability = float(original.loc[t, "stability"]) if "stability" in original.columns else np.nan
            reps_t = list(original.loc[t, "representative_passages"])
        else:
            stability = _stability(labels, runs, t)
            idx = np.flatnonzero(members)
            sims = exact_dot(fitted.grid[idx], centres[t][None, :])[:, 0]
            ids = np.asarray(fitted.passage_ids, dtype=object)[idx].astype(str)
            reps_t = [str(ids[j]) for j in np.lexsort((ids, -sims))[:fitted.n_representative]]
        rows.append({
            "theme_id": t, "theme": theme.label, "codebook_id": theme.codebook_id,
            "label_confidence": theme.label_confidence, "size": int(members.sum()), "stability": stability,
            "unstable": bool(pd.notna(stability) and stability < fitted.min_stability),
            "language_mix": _language_mix(langs[members]), "representative_passages": reps_t,
        })
        if with_notes:
            rows[-1]["edit"] = "; ".join(theme.notes)
    columns = [*THEME_COLUMNS, *(["edit"] if with_notes else [])]
    out = pd.DataFrame(rows, columns=columns)
    out["codebook_id"] = out["codebook_id"].astype("string")
    out["theme_id"] = out["theme_id"].astype("int64")
    out["size"] = out["size"].astype("int64")
    return out.astype({"label_confidence": "float64", "stability": "float64", "unstable": "bool"})


def _unique_labels(themes: dict[int, _Theme], edits: ThemeEdits | None) -> None:
    """Shares are counted by theme label: two themes may not end up with one label."""
    seen: dict[str, int] = {}
    for t in sorted(themes):
        label = themes[t].label
        if label in seen:
            src = edits.source if edits is not None else "<edits>"
            raise EditsError(f"{src}: themes {seen[label]} and {t} would both be called {short_repr(label)}; "
                             "merge them, or give them different labels")
        seen[label] = t


def _names(themes: dict[int, _Theme]) -> dict[int, str]:
    return {t: theme.label for t, theme in themes.items()}


def _assignments(fitted: FittedThemes, labels: np.ndarray, dropped: np.ndarray, themes: dict[int, _Theme],
                 target: np.ndarray, centres: np.ndarray, changed: bool) -> pd.DataFrame:
    from ..schema import validate_assignments

    names = _names(themes)
    theme = [names[int(t)] if t >= 0 else (OTHER_LABEL if d else OUTLIER_LABEL) for t, d in zip(labels, dropped)]
    if changed:
        has = np.flatnonzero(labels >= 0)
        prob = np.zeros(len(labels))
        prob[has] = np.einsum("ij,ij->i", fitted.grid[has], centres[labels[has]]) / float(1 << 28)
        prob = np.round(prob, 6)
    else:
        prob = fitted.probabilities
    discusses = []
    for own, ts in zip(labels, fitted.discusses):
        mapped = []
        for t in ts:
            new = int(target[t]) if t < len(target) else -2
            if new >= 0 and new != own and names[new] not in mapped:
                mapped.append(names[new])
        discusses.append(mapped)
    df = pd.DataFrame({
        "passage_id": fitted.passage_ids, "theme_id": labels.astype("int64"), "theme": theme,
        "probability": prob, "is_outlier": fitted.is_outlier | dropped,
        "also_discusses": discusses, "evidence": pd.array(fitted.evidence, dtype="string"),
    })
    return validate_assignments(df.sort_values("passage_id", ignore_index=True))


def _run_assignments(fitted: FittedThemes, target: np.ndarray, names: dict[int, str]) -> pd.DataFrame:
    n_runs, n = fitted.run_labels.shape
    labels = np.stack([_relabel(r, target) for r in fitted.run_labels]).reshape(-1)
    labels[labels == -2] = -1
    discusses = [[names[int(target[t])] for t in ts if t < len(target) and target[t] >= 0]
                 for ts in fitted.discusses]
    return pd.DataFrame({
        "run": np.repeat(np.arange(n_runs), n),
        "passage_id": np.tile(np.asarray(fitted.passage_ids, dtype=object), n_runs),
        "theme_id": labels.astype("int64"),
        "theme": [names.get(int(t), OUTLIER_LABEL) for t in labels],
        "also_discusses": discusses * n_runs,
    })


def _log(edits: ThemeEdits | None, reductions: list[tuple[int, int]], start: dict[int, _Theme],
         themes: dict[int, _Theme]) -> pd.DataFrame:
    rows = []
    if edits is not None:
        for group in edits.merge:
            rows += [("merge", group[0], f"{t} ({start[t].label}) joins {group[0]} ({start[group[0]].label})")
                     for t in group[1:]]
        rows += [("drop", t, f"{start[t].label}: its passages join no theme") for t in edits.drop]
        rows += [("codebook", t, f"codebook id {code}") for t, code in edits.codebook.items()]
        rows += [("rename", t, f"{start[t].label} -> {label}") for t, label in edits.rename.items()]
    rows += [("n_themes", keep, f"{gone} ({start[gone].label}) joins {keep} (most similar centres)")
             for keep, gone in reductions]
    out = pd.DataFrame([(i, *r) for i, r in enumerate(rows, start=1)],
                       columns=["step", "action", "theme_id", "detail"])
    return out.astype({"step": "int64", "action": "string", "theme_id": "int64", "detail": "string"})


def apply_edits(
    fitted: FittedThemes,
    edits: ThemeEdits | None = None,
    *,
    n_themes: int | None = None,
    codebook_labels: Mapping[str, str] | None = None,
) -> EditedThemes:
    """The tables of a fit with edits applied (and reduced to ``n_themes``), without refitting.

    Order: merges, drops, codebook ids, renames, then the reduction to
    ``n_themes`` by :func:`reduce_themes`. Merged themes get their size,
    language mix, representatives, stability (over the consensus fits, as
    the fit computes it) and probabilities (similarity to the new centre)
    recomputed exactly; top terms are counted again when any theme was
    merged or dropped, since c-TF-IDF weighs each theme against the others.
    Passages of a dropped theme belong to no theme (``"(other)"``, counted
    in every denominator, as outliers are). With no edit and no
    reduction the fit's own tables come back unchanged, with the FREX
    terms and representatives per language beside them.

    Parameters
    ----------
    fitted : FittedThemes
    edits : ThemeEdits, optional
    n_themes : int, optional
    codebook_labels : mapping, optional
        Codebook id -> label, for ``codebook`` edits; defaults to the fit's codebook.

    Raises
    ------
    EditsError
        When the edits name a theme or codebook id the fit does not have.
    """
    labels_of = dict(codebook_labels) if codebook_labels is not None else fitted.codebook_labels()
    if edits is not None:
        check_edits(edits, fitted.theme_ids, codebook_ids=sorted(labels_of))
    start = _start(fitted)
    themes = _start(fitted)
    if edits is not None:
        _apply_file(themes, edits, labels_of)
    target = _target(themes, fitted.theme_ids)
    labels = _relabel(fitted.labels, target)
    reductions = reduce_themes(fitted.grid, np.where(labels == -2, -1, labels), n_themes) if n_themes else []
    for keep, gone in reductions:
        lost = themes.pop(gone)
        themes[keep].members += lost.members
        themes[keep].notes.append(f"absorbs {gone} ({lost.label}) to leave {n_themes} themes")
    target = _target(themes, fitted.theme_ids)
    labels = _relabel(fitted.labels, target)
    dropped = labels == -2
    labels[dropped] = -1
    edited = (edits is not None and not edits.is_empty) or bool(reductions)
    changed = any(len(t.members) > 1 for t in themes.values()) or bool(dropped.any())
    _unique_labels(themes, edits)
    terms, frex, reps, centres = _descriptions(fitted, labels, changed)
    runs = np.stack([_relabel(r, target) for r in fitted.run_labels]) if len(fitted.run_labels) else fitted.run_labels
    table = _themes_table(themes, fitted, labels, runs, centres, with_notes=edited)
    assignments = _assignments(fitted, labels, dropped, themes, target, centres, changed)
    theme_map = fitted.theme_map
    if theme_map is not None:
        by_id = assignments.set_index("passage_id")
        theme_map = theme_map.assign(
            theme_id=theme_map["passage_id"].map(by_id["theme_id"]).astype(theme_map["theme_id"].dtype),
            theme=theme_map["passage_id"].map(by_id["theme"]).astype(theme_map["theme"].dtype))
    record = None
    if edited:
        record = {**(edits.as_dict() if edits is not None else {}), "n_themes": n_themes,
                  "n_themes_merges": [list(p) for p in reductions]}
    names = _names(themes)
    return EditedThemes(
        assignments=assignments,
        themes=table, terms=terms, frex=frex, representatives=reps, theme_map=theme_map,
        run_assignments=_run_assignments(fitted, target, names),
        log=_log(edits, reductions, start, themes), record=record,
    )
