"""Theme edits without refitting, the reduction to N themes, FREX terms and representatives per language.

A small fitted state is built by hand (grid vectors around four centres,
tokens per theme, two languages), so that every rule can be checked without
a model fit.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from coopthemes.prevalence import compute_prevalence
from coopthemes.themes.edits import (
    EditsError,
    apply_edits,
    edits_from_text,
    load_edits,
    reduce_themes,
)
from coopthemes.themes.fitted import OTHER_LABEL, FittedThemes
from coopthemes.themes.numerics import canonical
from coopthemes.themes.terms import class_tfidf, describe_themes, frex_terms, representatives_by_language

_WORDS = {
    0: ["training", "academy", "officers", "course"],
    1: ["cyber", "fraud", "data", "servers"],
    2: ["cyber", "hackers", "data", "ransomware"],
    3: ["drugs", "heroin", "smuggling", "border"],
}


def _fitted(seed: int = 0) -> FittedThemes:
    """Four themes of 10, 8, 6 and 4 passages; themes 1 and 2 have close centres."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((4, 16))
    base[2] = base[1] + 0.3 * rng.standard_normal(16)
    sizes = (10, 8, 6, 4)
    labels = np.repeat(np.arange(4), sizes)
    X = base[labels] + 0.25 * rng.standard_normal((len(labels), 16))
    grid = canonical(X)
    languages = ["en" if i % 3 else "fr" for i in range(len(labels))]
    tokens = [" ".join(rng.choice(_WORDS[int(t)], size=5)) + " common" for t in labels]
    ids = [f"d{i // 2:02d}:{i % 2:03d}" for i in range(len(labels))]
    centres = canonical(np.stack([grid[labels == t].sum(axis=0) for t in range(4)]))
    themes, terms = describe_themes(labels=labels, tokens=tokens, languages=languages, passage_ids=ids, grid=grid,
                                    centres=centres, codebook_ids={3: "drugs"}, codebook_labels={3: "Drugs"})
    themes["label_confidence"] = [np.nan, np.nan, np.nan, 0.9]
    themes["stability"] = [1.0, 0.8, 0.6, 1.0]
    themes["unstable"] = False
    runs = np.stack([labels, np.where(labels == 2, 1, labels), labels])
    probs = np.round(np.einsum("ij,ij->i", grid, centres[labels]) / float(1 << 28), 6)
    return FittedThemes(
        passage_ids=ids, languages=languages, tokens=tokens, labels=labels, is_outlier=np.zeros(len(labels), bool),
        probabilities=probs, discusses=[(3,) if i == 0 else () for i in range(len(labels))],
        evidence=[""] * len(labels), grid=grid, run_labels=runs, themes=themes, terms=terms, theme_map=None,
        codebook={"source": "test", "languages": ["en"], "themes": [
            {"id": "drugs", "label": "Drugs"}, {"id": "training_capacity", "label": "Training and capacity"}]},
        top_n_terms=5, n_representative=2, min_stability=0.5,
    )


def _passages(fitted: FittedThemes) -> pd.DataFrame:
    return pd.DataFrame({
        "passage_id": fitted.passage_ids, "doc_id": [p.split(":")[0] for p in fitted.passage_ids],
        "position": [int(p.split(":")[1]) for p in fitted.passage_ids], "text": fitted.tokens,
        "language": fitted.languages, "partners": [["Japan"]] * len(fitted.passage_ids),
        "year": [2020] * len(fitted.passage_ids), "kept": True, "drop_reason": None,
    })


def test_no_edit_gives_the_fit_back():
    fitted = _fitted()
    edited = apply_edits(fitted)
    pd.testing.assert_frame_equal(edited.themes, fitted.themes.astype({"theme_id": "int64"}), check_like=True)
    pd.testing.assert_frame_equal(edited.terms, fitted.terms)
    assert edited.assignments["theme_id"].tolist() == fitted.labels.tolist()
    assert edited.assignments["probability"].tolist() == fitted.probabilities.tolist()
    assert edited.record is None and edited.log.empty


def test_rename_and_merge_show_in_every_table():
    fitted = _fitted()
    edits = edits_from_text('rename: {0: "Training of police officers"}\nmerge: [[1, 2]]\n', source="edits.yaml")
    edited = apply_edits(fitted, edits)
    themes = edited.themes.set_index("theme_id")
    assert list(themes.index) == [0, 1, 3]
    assert themes.loc[0, "theme"] == "Training of police officers"
    assert themes.loc[1, "theme"] == fitted.themes.loc[1, "theme"]  # 1 keeps its label
    assert themes.loc[1, "size"] == 14
    assert "absorbs 2" in themes.loc[1, "edit"] and "renamed" in themes.loc[0, "edit"]
    a = edited.assignments.set_index("passage_id")
    moved = [pid for pid, t in zip(fitted.passage_ids, fitted.labels) if t == 2]
    assert set(a.loc[moved, "theme_id"]) == {1}
    assert set(edited.terms["theme_id"]) == {0, 1, 3}
    assert set(edited.run_assignments["theme_id"]) == {0, 1, 3}
    # theme 1 reappears in every fit once 2 has joined it
    assert themes.loc[1, "stability"] == 1.0
    assert edited.log["action"].tolist() == ["merge", "rename"]
    assert edited.record["merge"] == [[1, 2]] and edited.record["rename"] == {"0": "Training of police officers"}
    shares = compute_prevalence(edited.assignments, _passages(fitted), by="year", unit="passage", n_boot=20)
    assert "Training of police officers" in set(shares["theme"])
    assert fitted.themes.loc[2, "theme"] not in set(shares["theme"])


def test_dropped_theme_passages_join_no_theme_but_stay_in_the_denominators():
    fitted = _fitted()
    edited = apply_edits(fitted, edits_from_text("drop: [3]\n", source="e.yaml"))
    a = edited.assignments
    gone = a["passage_id"].isin([p for p, t in zip(fitted.passage_ids, fitted.labels) if t == 3])
    assert (a.loc[gone, "theme_id"] == -1).all() and (a.loc[gone, "theme"] == OTHER_LABEL).all()
    assert a.loc[gone, "is_outlier"].all()
    assert 3 not in set(edited.themes["theme_id"])
    assert all("Drugs" not in ts for ts in a["also_discusses"])  # a dropped theme is discussed by no one
    shares = compute_prevalence(a, _passages(fitted), by="year", unit="passage", n_boot=20)
    assert shares["n_group"].iloc[0] == len(fitted.passage_ids)


def test_codebook_edit_names_the_theme_from_the_codebook():
    edited = apply_edits(_fitted(), edits_from_text("codebook: {0: training_capacity}\n", source="e.yaml"))
    row = edited.themes.set_index("theme_id").loc[0]
    assert row["codebook_id"] == "training_capacity" and row["theme"] == "Training and capacity"
    assert np.isnan(row["label_confidence"])


@pytest.mark.parametrize(("text", "message"), [
    ("rename: {12: x}\n", "e.yaml: rename: no theme 12 in these results (theme ids: 0, 1, 2, 3)"),
    ("merge: [[1, 9]]\n", "e.yaml: merge: no theme 9"),
    ("codebook: {1: trainin}\n", "e.yaml: codebook: 1: 'trainin' is not a codebook theme id"),
    ("rename: {0: a, 1: a}\n", "e.yaml: themes 0 and 1 would both be called 'a'"),
    ("drop: [0, 1, 2, 3]\n", "e.yaml: drop: every theme would be dropped"),
])
def test_edits_that_do_not_fit_the_results_name_the_file(text, message):
    with pytest.raises(EditsError, match="^" + re.escape(message)):
        apply_edits(_fitted(), edits_from_text(text, source="e.yaml"))


@pytest.mark.parametrize(("text", "message"), [
    ("merge: [[1, 2]]\ndrop: [2]\n", "merge: theme 2 is also dropped"),
    ("merge: [[1, 2]]\nrename: {2: x}\n", "rename: theme 2 joins theme 1 (merge); give the rename to theme 1"),
    ("drop: [1]\ncodebook: {1: drugs}\n", "codebook: theme 1 is dropped"),
    ("merge: [[1]]\n", "merge[0]: a merge needs at least two theme ids"),
    ("merge: [[1, 2], [2, 3]]\n", "merge: theme 2 is in merge[0] and merge[1]"),
    ("merge: [1, 2]\n", "merge: expected a list of lists of theme ids"),
    ("renam: {1: x}\n", "'renam': unknown section (did you mean 'rename'?)"),
    ("rename: {one: x}\n", "rename: key 'one': 'one' is not a theme id"),
    ("rename: {true: x}\n", "is not a theme id"),
    ("rename: {1: ''}\n", "rename: 1: expected a non-empty label"),
    ("rename: {1: '(other)'}\n", "reserved for passages without a theme"),
    ("drop: [1, 1]\n", "drop: theme 1 is listed twice"),
    ("a: &x [1]\nb: *x\n", "line 2: YAML aliases"),
    ("- 1\n", "expected a mapping"),
])
def test_malformed_edits_are_refused_with_the_file_named(text, message):
    with pytest.raises(EditsError) as err:
        edits_from_text(text, source="e.yaml")
    assert str(err.value).startswith("e.yaml: ") and message in str(err.value)


def test_edits_file_is_read_safely(tmp_path):
    path = tmp_path / "edits.yaml"
    path.write_text("# steer the themes\nmerge: [[1, 2]]\ndrop: ['3']\n", encoding="utf-8")
    edits = load_edits(path)
    assert edits.merge == ((1, 2),) and edits.drop == (3,) and len(edits.sha256) == 64
    with pytest.raises(EditsError, match="theme edits file not found"):
        load_edits(tmp_path / "missing.yaml")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (3 * 1024 * 1024))
    with pytest.raises(EditsError, match="larger than"):
        load_edits(big)


def test_reduction_merges_the_most_similar_themes_first_and_is_deterministic():
    fitted = _fitted()
    merges = reduce_themes(fitted.grid, fitted.labels, 3)
    assert merges == [(1, 2)]  # 1 and 2 have the closest centres; the larger keeps its id
    assert reduce_themes(fitted.grid, fitted.labels, 3) == merges
    assert reduce_themes(fitted.grid, fitted.labels, 4) == []
    assert len(reduce_themes(fitted.grid, fitted.labels, 1)) == 3
    edited = apply_edits(fitted, n_themes=2)
    assert len(edited.themes) == 2 and edited.record["n_themes"] == 2
    assert edited.log["action"].tolist() == ["n_themes", "n_themes"]


def test_reduction_breaks_ties_by_id():
    grid = canonical(np.array([[1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    # themes 0 and 1 are identical, as are 2 and 3: the pair with the smaller ids goes first
    assert reduce_themes(grid, np.array([0, 1, 2, 3, 4]), 3) == [(0, 1), (2, 3)]


def test_edits_after_reduction_keep_renames_of_the_kept_theme():
    fitted = _fitted()
    edited = apply_edits(fitted, edits_from_text("rename: {1: Cyber}\n", source="e.yaml"), n_themes=3)
    assert "Cyber" in set(edited.themes["theme"]) and len(edited.themes) == 3


def test_class_tfidf_equals_bertopic():
    from bertopic.vectorizers import ClassTfidfTransformer
    from scipy.sparse import csr_matrix

    counts = np.random.default_rng(3).integers(0, 5, size=(6, 40))
    counts[:, 7] = 0
    counts[2] = 0
    counts[2, 1] = 3
    with np.errstate(divide="ignore"):  # BERTopic divides by the zero frequency of column 7
        expected = ClassTfidfTransformer().fit_transform(csr_matrix(counts)).toarray()
    np.testing.assert_array_equal(class_tfidf(counts)[:, counts.sum(axis=0) > 0],
                                  expected[:, counts.sum(axis=0) > 0])


def test_frex_prefers_frequent_and_exclusive_terms():
    tokens = ["academy academy training common"] * 4 + ["cyber cyber data common"] * 4 + ["cyber fraud common"]
    labels = np.array([0] * 4 + [1] * 5)
    frex = frex_terms(tokens, labels, ["en"] * 9, language="en", top_n=3)
    assert frex[0][0][0] == "academy" and frex[1][0][0] == "cyber"
    assert "common" not in [t for t, _ in frex[0][:2]]
    assert frex == frex_terms(tokens, labels, ["en"] * 9, language="en", top_n=3)


def test_representatives_per_language_are_the_nearest_to_the_centre():
    fitted = _fitted()
    centres = canonical(np.stack([fitted.grid[fitted.labels == t].sum(axis=0) for t in range(4)]))
    reps = representatives_by_language(fitted.grid, fitted.labels, fitted.passage_ids, fitted.languages,
                                       centres, k=2)
    assert set(reps["language"]) == {"en", "fr"}
    assert reps.groupby(["theme_id", "language"]).size().max() <= 2
    first = reps[(reps["theme_id"] == 0) & (reps["language"] == "en")]
    assert first["similarity"].is_monotonic_decreasing
