"""Scores of filled sheets equal values computed by hand; bad sheets give one clear error."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from coopthemes.results import read_results
from coopthemes.validation import (
    ValidationError,
    bootstrap_counts,
    cohen_kappa,
    draw_sample,
    krippendorff_alpha,
    score_sheets,
    write_csv,
    write_sample,
    write_xlsx,
)
from coopthemes.validation.agreement import kappa_resamples
from validation_helpers import PASSAGES, fill, model_code, write_hand_results

TC, TR, MA, NO = "transnational_crime", "training_capacity", "maritime_security", "none"
IDS = [p[0] for p in PASSAGES]
#: What the passages are about (a careful reader's codes).
TRUTH = dict(zip(IDS, [TC, TR, TR, TR, MA, NO, NO, MA]))


# ---------------------------------------------------------------------------
# formulas written out, to check the library against
# ---------------------------------------------------------------------------


def hand_kappa(a: list, b: list) -> float:
    n = len(a)
    po = sum(x == y for x, y in zip(a, b)) / n
    pe = sum((a.count(c) / n) * (b.count(c) / n) for c in set(a) | set(b))
    return (po - pe) / (1 - pe)


def hand_alpha(a: list, b: list) -> float:
    """Krippendorff's alpha, nominal, two coders, no missing values: 1 - (n - 1) D_o / D_e."""
    pairs = [(x, y) for x, y in zip(a, b)] + [(y, x) for x, y in zip(a, b)]
    n = len(pairs)
    values = [x for x, _ in pairs]
    observed = sum(x != y for x, y in pairs)
    expected = sum(values.count(c) * values.count(k) for c, k in itertools.permutations(set(values), 2))
    return 1 - (n - 1) * observed / expected


def hand_pr(truth: dict, model: dict, theme: str, items: list) -> tuple[float, float]:
    tp = sum(truth[i] == theme and model[i] == theme for i in items)
    fp = sum(truth[i] != theme and model[i] == theme for i in items)
    fn = sum(truth[i] == theme and model[i] != theme for i in items)
    precision = tp / (tp + fp) if tp + fp else math.nan
    recall = tp / (tp + fn) if tp + fn else math.nan
    return precision, recall


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    folder = tmp_path_factory.mktemp("score")
    result = read_results(write_hand_results(folder / "results"))
    sample = draw_sample(result, per_theme=10, seed=3)
    write_sample(sample, folder / "sample", result=result)
    return folder, result, sample


def _write(folder, sample, name: str, codes: dict, *, xlsx: bool = False):
    sheet = fill(sample.sheet, codes)
    path = folder / "sample" / "filled" / (name + (".xlsx" if xlsx else ".csv"))
    if xlsx:
        write_xlsx({"items": sheet}, path)
    else:
        write_csv(sheet, path)
    return path


MODEL = {i: model_code(i) for i in IDS}


def test_every_passage_is_drawn_with_weight_one(hand):
    _, _, sample = hand
    assert sorted(sample.key["passage_id"]) == sorted(IDS)
    assert (sample.key["weight"] == 1.0).all()
    assert dict(zip(sample.key["passage_id"], sample.key["model_code"])) == MODEL


def test_perfect_agreement(hand):
    folder, result, sample = hand
    a = _write(folder, sample, "perfect_a", TRUTH, xlsx=True)
    b = _write(folder, sample, "perfect_b", TRUTH)
    scores = score_sheets(result, [a, b], n_boot=200, seed=0)
    overall = scores["agreement"].set_index("measure")["value"]
    assert overall["cohen_kappa"] == pytest.approx(1.0)
    assert overall["krippendorff_alpha"] == pytest.approx(1.0)
    assert overall["percent_agreement"] == 1.0
    by_theme = scores["agreement_by_theme"].set_index("theme")
    assert (by_theme["kappa"] == 1.0).all() and (by_theme["alpha"] == 1.0).all()
    assert not scores["consensus"]["tie"].any()
    model_scores = scores["model_scores"].set_index("theme")
    for theme in (TC, TR, MA, NO):
        precision, recall = hand_pr(TRUTH, MODEL, theme, IDS)
        assert model_scores.loc[theme, "precision"] == pytest.approx(precision)
        assert model_scores.loc[theme, "recall"] == pytest.approx(recall)
    # by hand: TC 1/2 and 1/1, TR 2/2 and 2/3, MA 1/2 and 1/2; micro over codebook themes 4/6 and 4/6
    assert model_scores.loc[TC, ["precision", "recall"]].tolist() == pytest.approx([0.5, 1.0])
    assert model_scores.loc[TR, ["precision", "recall"]].tolist() == pytest.approx([1.0, 2 / 3])
    assert model_scores.loc["micro", ["precision", "recall", "f1"]].tolist() == pytest.approx([4 / 6, 4 / 6, 4 / 6])
    assert model_scores.loc["micro", ["tp", "fp", "fn"]].tolist() == [4, 2, 2]
    confusion = scores["confusion"].set_index("model")
    assert confusion.loc[TC, TR] == 1 and confusion.loc["none", MA] == 1 and confusion.loc["total", "total"] == 8


def test_chance_level_agreement(hand):
    folder, result, sample = hand
    # coder A: TC for d1, TR for the rest; coder B: alternating. Observed agreement 1/2, expected 1/2.
    a_codes = dict(zip(IDS, [TC, TC, TC, TC, TR, TR, TR, TR]))
    b_codes = dict(zip(IDS, [TC, TC, TR, TR, TC, TC, TR, TR]))
    a = _write(folder, sample, "chance_a", a_codes)
    b = _write(folder, sample, "chance_b", b_codes, xlsx=True)
    scores = score_sheets(result, [a, b], n_boot=200, seed=0)
    overall = scores["agreement"].set_index("measure")["value"]
    a_list, b_list = [a_codes[i] for i in IDS], [b_codes[i] for i in IDS]
    assert hand_kappa(a_list, b_list) == pytest.approx(0.0)
    assert overall["cohen_kappa"] == pytest.approx(0.0, abs=1e-12)
    assert hand_alpha(a_list, b_list) == pytest.approx(1 / 16)  # 1 - 15 * 8 / 128
    assert overall["krippendorff_alpha"] == pytest.approx(1 / 16)
    by_theme = scores["agreement_by_theme"].set_index("theme")
    assert by_theme.loc[TC, "kappa"] == pytest.approx(0.0, abs=1e-12)
    # consensus: the four passages both coders coded alike; the others are ties, left out
    consensus = scores["consensus"].set_index("passage_id")
    agreed = [i for i in IDS if a_codes[i] == b_codes[i]]
    assert sorted(consensus.index[~consensus["tie"]]) == sorted(agreed)
    assert consensus.loc[agreed, "consensus"].tolist() == [a_codes[i] for i in agreed]
    model_scores = scores["model_scores"].set_index("theme")
    for theme in (TC, TR):
        precision, recall = hand_pr(a_codes, MODEL, theme, agreed)
        assert model_scores.loc[theme, "precision"] == pytest.approx(precision, nan_ok=True)
        assert model_scores.loc[theme, "recall"] == pytest.approx(recall, nan_ok=True)
    # agreed: d1:000 TC/model TC, d1:001 TC/model TC, d3:000 TR/model none, d3:001 TR/model none
    assert model_scores.loc[TC, ["precision", "recall"]].tolist() == pytest.approx([1.0, 1.0])
    assert model_scores.loc[TR, "recall"] == 0.0 and np.isnan(model_scores.loc[TR, "precision"])
    assert int(model_scores.loc[TC, "n_scored"]) == 4


def test_three_coders_majority_and_ties(hand):
    folder, result, sample = hand
    a = _write(folder, sample, "three_a", TRUTH)
    b_codes = {**TRUTH, IDS[0]: TR}
    c_codes = {**TRUTH, IDS[0]: MA, IDS[1]: MA}
    b = _write(folder, sample, "three_b", b_codes)
    c = _write(folder, sample, "three_c", c_codes)
    scores = score_sheets(result, [a, b, c], n_boot=100)
    consensus = scores["consensus"].set_index("passage_id")
    assert consensus.loc[IDS[0], "tie"] and pd.isna(consensus.loc[IDS[0], "consensus"])  # TC, TR, MA: a tie
    assert consensus.loc[IDS[1], "consensus"] == TR and not consensus.loc[IDS[1], "tie"]  # 2 of 3
    overall = scores["agreement"].set_index("measure")["value"]
    pairs = [(TRUTH, b_codes), (TRUTH, c_codes), (b_codes, c_codes)]
    light = np.mean([hand_kappa([x[i] for i in IDS], [y[i] for i in IDS]) for x, y in pairs])
    assert overall["light_kappa"] == pytest.approx(light)


def test_library_kappa_and_alpha_match_the_formulas():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = list(rng.choice(["x", "y", "z"], 30))
        b = list(rng.choice(["x", "y", "z"], 30))
        assert cohen_kappa(a, b) == pytest.approx(hand_kappa(a, b))
        assert krippendorff_alpha(np.array([a, b], dtype=object)) == pytest.approx(hand_alpha(a, b))
    assert math.isnan(cohen_kappa(["x", "x"], ["x", "x"]))  # undefined, not 0 or 1
    assert math.isnan(krippendorff_alpha(np.array([["x", "x"], ["x", "x"]], dtype=object)))


def test_bootstrap_kappa_on_the_full_sample_is_sklearns():
    rng = np.random.default_rng(1)
    a, b = rng.random(40) < 0.4, rng.random(40) < 0.5
    ones = np.ones((1, 40))
    assert kappa_resamples(a, b, ones)[0] == pytest.approx(cohen_kappa(a, b))


def test_cluster_bootstrap_draws_the_passages_of_a_document_together():
    docs = ["a", "a", "a", "b", "c", "c"]
    counts = bootstrap_counts(docs, n_boot=50, seed=2)
    assert counts.shape == (50, 6)
    assert (counts[:, 0] == counts[:, 1]).all() and (counts[:, 4] == counts[:, 5]).all()
    assert (counts[:, [0, 3, 4]].sum(axis=1) == 3).all()  # three clusters drawn each time
    assert (bootstrap_counts(docs, n_boot=50, seed=2) == counts).all()


def test_intervals_are_seeded_and_hold_the_estimate(hand):
    folder, result, sample = hand
    a = _write(folder, sample, "seeded_a", TRUTH)
    b = _write(folder, sample, "seeded_b", {**TRUTH, IDS[5]: MA})
    first = score_sheets(result, [a, b], n_boot=300, seed=7)["model_scores"]
    again = score_sheets(result, [a, b], n_boot=300, seed=7)["model_scores"]
    pd.testing.assert_frame_equal(first, again)
    row = first.set_index("theme").loc["micro"]
    assert row["precision_low"] <= row["precision"] <= row["precision_high"]
    assert row["recall_low"] <= row["recall"] <= row["recall_high"]


# ---------------------------------------------------------------------------
# bad input: one error naming the file and the problem
# ---------------------------------------------------------------------------


@pytest.fixture()
def good_pair(hand):
    folder, result, sample = hand
    return result, sample, _write(folder, sample, "good_a", TRUTH), _write(folder, sample, "good_b", TRUTH)


def _bad(folder, name: str, df: pd.DataFrame):
    path = folder / "sample" / "filled" / name
    write_csv(df, path)
    return path


def test_a_sheet_from_another_sample(hand, good_pair, tmp_path):
    folder, _, _ = hand
    result, sample, a, _ = good_pair
    other = draw_sample(result, per_theme=1, seed=99)
    write_sample(other, tmp_path / "other", result=result)
    b = tmp_path / "other" / "coders" / "filled.csv"
    write_csv(fill(other.sheet, TRUTH), b)
    with pytest.raises(ValidationError, match=f"filled.csv: a sheet of sample {other.sample_id}, but .*good_a.csv is "
                                              f"of sample {sample.sample_id}"):
        score_sheets(result, [a, b])


def test_missing_code_column(hand, good_pair):
    folder, _, _ = hand
    result, sample, a, _ = good_pair
    b = _bad(folder, "nocode.csv", fill(sample.sheet, TRUTH).drop(columns=["code"]))
    with pytest.raises(ValidationError, match=r"nocode.csv: no `code` column"):
        score_sheets(result, [a, b])


def test_unknown_code(hand, good_pair):
    folder, _, _ = hand
    result, sample, a, _ = good_pair
    b = _bad(folder, "unknown.csv", fill(sample.sheet, {**TRUTH, IDS[2]: "cyber stuff"}))
    with pytest.raises(ValidationError, match=r"filled/unknown.csv, item p\w+-\d+: unknown code 'cyber stuff'"):
        score_sheets(result, [a, b])


def test_mismatched_item_ids(hand, good_pair):
    folder, _, _ = hand
    result, sample, a, _ = good_pair
    dropped = _bad(folder, "dropped.csv", fill(sample.sheet, TRUTH).iloc[1:])
    with pytest.raises(ValidationError, match=r"dropped.csv: 1 item\(s\) of sample \w+ missing \(first: "):
        score_sheets(result, [a, dropped])
    changed = fill(sample.sheet, TRUTH)
    changed.loc[0, "item_id"] = sample.sample_id + "-9999"
    extra = _bad(folder, "extra.csv", changed)
    with pytest.raises(ValidationError, match=r"extra.csv: 1 item id\(s\) not in sample \w+ \(first: \w+-9999\)"):
        score_sheets(result, [a, extra])
    garbled = fill(sample.sheet, TRUTH)
    garbled.loc[0, "item_id"] = "row 1"
    garbled_path = _bad(folder, "garbled.csv", garbled)
    with pytest.raises(ValidationError, match=r"garbled.csv: 'row 1' is not an item id"):
        score_sheets(result, [a, garbled_path])


def test_empty_codes_and_two_codes_for_a_passage(hand, good_pair):
    folder, _, _ = hand
    result, sample, a, _ = good_pair
    blank = _bad(folder, "blank.csv", fill(sample.sheet, {**TRUTH, IDS[0]: ""}))
    with pytest.raises(ValidationError, match=r"blank.csv: 1 item\(s\) without a code .*write 'none'"):
        score_sheets(result, [a, blank])
    two = _bad(folder, "two.csv", fill(sample.sheet, {**TRUTH, IDS[0]: f"{TC}; {TR}"}))
    with pytest.raises(ValidationError, match=r"filled/two.csv, item \w+-\d+: one code expected"):
        score_sheets(result, [a, two])


def test_codes_may_be_numbers_or_labels(hand, good_pair):
    folder, _, _ = hand
    result, sample, a, _ = good_pair
    by_label = {**TRUTH, IDS[0]: "transnational CRIME", IDS[4]: "14", IDS[5]: "0"}
    b = _bad(folder, "labels.csv", fill(sample.sheet, by_label))
    scores = score_sheets(result, [a, b], n_boot=50)
    assert scores["agreement"].set_index("measure").loc["cohen_kappa", "value"] == pytest.approx(1.0)


def test_no_key_and_other_results(hand, good_pair, tmp_path):
    result, sample, a, b = good_pair
    lone = tmp_path / "x" / "y" / "z"
    lone.mkdir(parents=True)
    moved = [lone / "a.csv", lone / "b.csv"]
    for src, dst in zip((a, b), moved):
        dst.write_bytes(src.read_bytes())
    with pytest.raises(ValidationError, match=f"a.csv: no answer key for its sample {sample.sample_id}.*--key"):
        score_sheets(result, moved)
    key = a.parents[1] / "answer_key.csv"
    assert score_sheets(result, moved, keys=[key], n_boot=20)["agreement"] is not None
    tables = dict(result.tables)
    assignments = tables["assignments"].copy()
    assignments.loc[0, "theme_id"] = 3
    from coopthemes.results import RunResult, write_results

    other = read_results(write_results(RunResult({**tables, "assignments": assignments}, result.info),
                                       tmp_path / "other_results"))
    with pytest.raises(ValidationError, match="answer_key.csv: this sample was drawn from other results"):
        score_sheets(other, [a, b])


def test_one_sheet_is_not_enough(good_pair):
    result, _, a, _ = good_pair
    with pytest.raises(ValidationError, match="at least two coders"):
        score_sheets(result, [a])


def test_theme_confidence_and_stability_are_carried_when_present(hand, tmp_path):
    folder, result, sample = hand
    from coopthemes.results import RunResult

    themes = result.themes.assign(label_confidence=[0.9, 0.8, 0.7, 0.6, 0.1], stability=[1.0, 0.5, 0.5, 1.0, 0.2])
    richer = RunResult({**result.tables, "themes": themes}, result.info, result.results_dir)
    a = _write(folder, sample, "extras_a", TRUTH)
    b = _write(folder, sample, "extras_b", TRUTH)
    scores = score_sheets(richer, [a, b], n_boot=20)["model_scores"].set_index("theme")
    assert scores.loc[TC, "theme_label_confidence"] == 0.9 and scores.loc[TR, "theme_stability"] == 0.5
    assert np.isnan(scores.loc[NO, "theme_label_confidence"])
    plain = score_sheets(result, [a, b], n_boot=20)["model_scores"]
    assert "theme_stability" not in plain.columns
