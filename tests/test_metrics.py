"""Hand-computed checks of the theme-model metrics."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from coopthemes.metrics import (
    Coherence,
    ari,
    coherence_by_language,
    coherence_npmi,
    coherence_overall,
    crosslingual_consistency,
    language_mix,
    language_purity,
    nmi,
    outlier_rate,
    stability,
    summarize_metrics,
    topic_diversity,
)

LN2 = math.log(2)

# Four documents; "tội phạm" is one Vietnamese word (one token with a space).
# d2 holds its two syllables as separate tokens, which must NOT count as the word.
DOCS_VI = [
    ["a", "b", "c"],
    ["a", "b", "tội", "phạm"],
    ["a", "tội phạm"],
    ["c", "tội phạm"],
]
# p(a) = 3/4, p(b) = 2/4, p(c) = 2/4, p(tội phạm) = 2/4 (d3, d4)
# (a, b):        p12 = 2/4 -> ln(0.5 / (0.75 * 0.5)) / -ln(0.5) = ln(4/3) / ln 2
# (a, tội phạm): p12 = 1/4 -> ln(0.25 / (0.75 * 0.5)) / -ln(0.25) = ln(2/3) / ln 4
# (b, tội phạm): never together -> -1
# (b, c):        p12 = 1/4 -> ln(0.25 / (0.5 * 0.5)) / ln 4 = 0
NPMI_AB = math.log(4 / 3) / LN2
NPMI_A_TP = math.log(2 / 3) / math.log(4)
T1_VI = (NPMI_AB + NPMI_A_TP - 1.0) / 3
T2_VI = 0.0
THEMES_VI = {"T1": ["a", "b", "tội phạm"], "T2": ["b", "c", "absent", "a"]}

# English corpus: p(x) = 3/4, p(y) = 2/4, p(x, y) = 2/4 -> ln(4/3) / ln 2
DOCS_EN = [["x", "y"], ["x", "y"], ["x"], ["z"]]
THEMES_EN = {"T1": ["x", "y"]}


# ---------------------------------------------------------------- outliers


def test_outlier_rate_counts_minus_one():
    assert outlier_rate([0, -1, 1, -1, 2]) == pytest.approx(2 / 5)
    assert outlier_rate(np.array([3, 3])) == 0.0


@pytest.mark.parametrize("bad, message", [
    ([], "labels: is empty"),
    ([[0, 1], [1, 0]], "one-dimensional"),
    (pd.array([0, None, 1], dtype="Int64"), "missing value at position 1"),
])
def test_outlier_rate_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        outlier_rate(bad)


# ---------------------------------------------------------------- NMI / ARI


def test_nmi_outliers_as_own_class_versus_dropped():
    # true = [0,0,1,1], pred = [0,0,1,-1]; -1 is a class of its own.
    # H(true) = ln 2; pred classes {0: 2, 1: 1, -1: 1}: H(pred) = 0.5 ln 2 + 2 * 0.25 ln 4 = 1.5 ln 2
    # H(pred | true) = 0.5 * 0 + 0.5 * ln 2, so MI = 1.5 ln 2 - 0.5 ln 2 = ln 2
    # arithmetic NMI = ln 2 / ((ln 2 + 1.5 ln 2) / 2) = 0.8 (geometric would give 1 / sqrt(1.5) = 0.816)
    assert nmi([0, 0, 1, 1], [0, 0, 1, -1]) == pytest.approx(0.8)
    # dropping the predicted outlier leaves true = pred = [0,0,1] -> 1
    assert nmi([0, 0, 1, 1], [0, 0, 1, -1], drop_outliers=True) == pytest.approx(1.0)


def test_nmi_drops_rows_predicted_outlier_not_gold_outlier():
    true = [0, 0, -1, -1, 1, 1]
    pred = [0, 0, 1, 1, -1, 1]
    # Dropping row 4 (pred -1) leaves true = [0,0,-1,-1,1], pred = [0,0,1,1,1].
    # pred is a function of true, so MI = H(pred); H(pred) from counts (2,3), H(true) from (2,2,1).
    h_pred = -(0.4 * math.log(0.4) + 0.6 * math.log(0.6))
    h_true = -(2 * 0.4 * math.log(0.4) + 0.2 * math.log(0.2))
    expected = h_pred / ((h_true + h_pred) / 2)  # 1.346023 / 1.727932
    assert nmi(true, pred, drop_outliers=True) == pytest.approx(expected)
    assert expected == pytest.approx(0.778979, abs=1e-6)
    # dropping gold -1 rows instead would leave true = [0,0,1,1], pred = [0,0,-1,1] -> 0.8


def test_nmi_all_rows_dropped_is_nan():
    assert math.isnan(nmi([0, 1], [-1, -1], drop_outliers=True))


def test_nmi_accepts_string_gold_labels():
    assert nmi(["x", "x", "y", "y"], [0, 0, 1, -1]) == pytest.approx(0.8)


def test_nmi_rejects_length_mismatch():
    with pytest.raises(ValueError, match="labels_true has 3, labels_pred has 2"):
        nmi([0, 1, 1], [0, 1])


def test_ari_single_outlier():
    # contingency (t0,p0)=2, (t1,p1)=1, (t1,p-1)=1: sum C(nij,2) = 1
    # rows (2,2): 1 + 1 = 2; columns (2,1,1): 1; C(4,2) = 6; expected = 2 * 1 / 6 = 1/3
    # max = (2 + 1) / 2 = 1.5 -> ARI = (1 - 1/3) / (1.5 - 1/3) = 4/7
    assert ari([0, 0, 1, 1], [0, 0, 1, -1]) == pytest.approx(4 / 7)


def test_ari_outliers_form_one_class_not_singletons():
    # pred = [0,-1,1,-1]: the two -1 rows are one class.
    # sum C(nij,2) = 0; rows (2,2): 2; columns p0=1, p-1=2, p1=1: 1; expected = 2 * 1 / 6 = 1/3
    # ARI = (0 - 1/3) / (1.5 - 1/3) = -2/7  (as singletons it would be 0)
    assert ari([0, 0, 1, 1], [0, -1, 1, -1]) == pytest.approx(-2 / 7)


# ---------------------------------------------------------------- coherence


def test_coherence_npmi_hand_computed():
    result = coherence_npmi(THEMES_VI, DOCS_VI, top_n=3)
    assert isinstance(result, Coherence)
    assert list(result.per_theme) == ["T1", "T2"]
    # T1 = (0.415037 - 0.292481 - 1) / 3; T2 keeps b, c ("absent" is skipped, "a" is beyond top 3)
    assert result.per_theme["T1"] == pytest.approx(T1_VI)
    assert result.per_theme["T1"] == pytest.approx(-0.292481, abs=1e-6)
    assert result.per_theme["T2"] == pytest.approx(T2_VI, abs=1e-12)
    assert result.mean == pytest.approx((T1_VI + T2_VI) / 2)


def test_coherence_npmi_perfect_cooccurrence_is_one():
    # p12 = 1 for every pair: NPMI = 1 by definition
    result = coherence_npmi({"t": ["x", "y", "z"]}, [["x", "y", "z"], ["z", "y", "x", "w"]])
    assert result.per_theme["t"] == 1.0


def test_coherence_npmi_default_top_n_is_ten():
    terms = [f"t{i}" for i in range(10)]
    docs = [terms + ["z"], list(terms)]
    # first 10 terms are in both docs: 45 pairs of NPMI 1.
    # "z" (11th) would add 10 pairs with p1 = 1, p2 = p12 = 1/2 -> NPMI 0, mean 45/55.
    assert coherence_npmi({"t": terms + ["z"]}, docs).mean == 1.0
    assert coherence_npmi({"t": terms + ["z"]}, docs, top_n=11).mean == pytest.approx(45 / 55)


def test_coherence_theme_with_fewer_than_two_known_terms_is_nan_and_left_out():
    result = coherence_npmi({"T1": THEMES_VI["T1"], "lone": ["a", "absent"]}, DOCS_VI, top_n=3)
    assert math.isnan(result.per_theme["lone"])
    assert result.mean == pytest.approx(T1_VI)


def test_coherence_rejects_untokenized_documents():
    with pytest.raises(TypeError, match=r"tokenized_docs\[1\]: expected a list of tokens, got str"):
        coherence_npmi({"t": ["a", "b"]}, [["a"], "a b"])
    with pytest.raises(ValueError, match="corpus is empty"):
        coherence_npmi({"t": ["a", "b"]}, [])


def test_coherence_by_language_and_overall_weighted_by_themes():
    terms = {"vi": THEMES_VI, "en": THEMES_EN}
    docs = {"vi": DOCS_VI, "en": DOCS_EN}
    by_lang = coherence_by_language(terms, docs, top_n=3)
    assert list(by_lang) == ["en", "vi"]
    assert by_lang["vi"] == pytest.approx((T1_VI + T2_VI) / 2)
    assert by_lang["en"] == pytest.approx(NPMI_AB)  # ln(4/3) / ln 2 = 0.415037
    # weighted by themes: (T1_vi + T2_vi + T1_en) / 3 = 0.040852, not the mean of languages 0.134398
    overall = coherence_overall(terms, docs, top_n=3)
    assert overall == pytest.approx((T1_VI + T2_VI + NPMI_AB) / 3)
    assert overall == pytest.approx(0.040852, abs=1e-6)


def test_coherence_by_language_needs_documents_for_each_language():
    with pytest.raises(ValueError, match=r"no documents for language\(s\) \['fr'\]"):
        coherence_by_language({"fr": {"t": ["a", "b"]}}, {"vi": DOCS_VI})


# ---------------------------------------------------------------- diversity


def test_topic_diversity_overlap():
    # x, y, y, z: 3 unique of 4
    assert topic_diversity({"A": ["x", "y"], "B": ["y", "z"]}) == 0.75


def test_topic_diversity_cuts_each_theme_to_top_n():
    # top 2: x, y | y, w -> 3 unique of 4 (with all terms: 4 unique of 6)
    assert topic_diversity({"A": ["x", "y", "z"], "B": ["y", "w", "x"]}, top_n=2) == 0.75
    assert topic_diversity({"A": ["x", "y", "z"], "B": ["y", "w", "x"]}, top_n=1) == 1.0


def test_topic_diversity_identical_themes_and_empty():
    assert topic_diversity({1: ["a", "b"], 2: ["a", "b"], 3: ["a", "b"]}) == pytest.approx(1 / 3)
    assert math.isnan(topic_diversity({}))


# ---------------------------------------------------------------- languages

LABELS = [0, 0, 0, 1, 1, -1]
LANGS = ["vi", "vi", "fr", "en", "fr", "en"]


def test_language_purity_size_weighted_without_outliers():
    # theme 0: vi 2 of 3; theme 1: en 1, fr 1 -> majority 1 of 2
    # weighted: (2 + 1) / 5 = 0.6 (unweighted mean would be 0.583, with the outlier 4/6)
    assert language_purity(LABELS, LANGS) == pytest.approx(0.6)


def test_language_purity_extremes():
    assert language_purity([0, 0, 1, 1], ["vi", "vi", "en", "en"]) == 1.0
    balanced = language_purity([0, 0, 0, 1, 1, 1], ["vi", "fr", "en"] * 2)
    assert balanced == pytest.approx(1 / 3)
    assert math.isnan(language_purity([-1, -1], ["vi", "en"]))


def test_language_purity_rejects_missing_language():
    with pytest.raises(ValueError, match="languages: missing value at position 1"):
        language_purity([0, 0], ["vi", None])


def test_language_mix_table():
    expected = pd.DataFrame(
        {"en": [1.0, 0.0, 0.5], "fr": [0.0, 1 / 3, 0.5], "vi": [0.0, 2 / 3, 0.0],
         "n": np.array([1, 3, 2], dtype="int64")},
        index=pd.Index([-1, 0, 1], name="theme_id"),
    )
    expected.columns = pd.Index(["en", "fr", "vi", "n"], dtype=object)
    pd.testing.assert_frame_equal(language_mix(LABELS, LANGS), expected)
    without = language_mix(LABELS, LANGS, include_outliers=False)
    assert list(without.index) == [0, 1]


# ---------------------------------------------------------------- consistency


def test_crosslingual_consistency_two_of_three():
    labels = [2, 2, 2, 1, 1, 1, 0, -1, 0, 5]
    groups = ["g1"] * 3 + ["g2"] * 3 + ["g3"] * 3 + ["g4"]
    # g1, g2 consistent; g3 has an outlier; g4 has one member and is not counted -> 2/3
    assert crosslingual_consistency(labels, groups) == pytest.approx(2 / 3)


def test_crosslingual_consistency_outlier_groups_and_ungrouped_rows():
    labels = [-1, -1, 3, 4, 7, 7, 9]
    groups = [1, 1, 2, 2, 3, 3, None]
    # group 1 all outliers: not consistent; group 2 split; group 3 consistent; last row has no group
    assert crosslingual_consistency(labels, groups) == pytest.approx(1 / 3)
    assert math.isnan(crosslingual_consistency([0, 1], ["a", "b"]))


# ---------------------------------------------------------------- stability

RUN_A = [0, 0, 0, 1, 1, 1]
RUN_C = [0, 0, 1, 1, 2, 2]


def test_stability_identical_and_permuted_runs():
    assert stability([RUN_A, RUN_A, RUN_A]) == pytest.approx(1.0)
    assert stability([RUN_A, [7, 7, 7, 3, 3, 3]]) == pytest.approx(1.0)


def test_stability_different_partition_hand_computed():
    # A vs C: n_ij = 2, 1, 1, 2 -> sum C = 1 + 1 = 2; rows (3,3) -> 3 + 3 = 6; cols (2,2,2) -> 3
    # C(6,2) = 15; expected = 6 * 3 / 15 = 1.2; max = (6 + 3) / 2 = 4.5
    # ARI = (2 - 1.2) / (4.5 - 1.2) = 8/33
    assert stability([RUN_A, RUN_C]) == pytest.approx(8 / 33)
    # three runs A, A, C: pairs 1, 8/33, 8/33 -> 49/99
    assert stability([RUN_A, RUN_A, RUN_C]) == pytest.approx(49 / 99)


def test_stability_needs_two_runs_of_equal_length():
    with pytest.raises(ValueError, match="at least two runs, got 1"):
        stability([RUN_A])
    with pytest.raises(ValueError, match="differ in length"):
        stability([RUN_A, RUN_A[:5]])


# ---------------------------------------------------------------- summary

SUMMARY_KEYS = ["n_themes", "outlier_rate", "nmi", "nmi_no_outliers", "ari", "coherence_npmi",
                "coherence_npmi_by_language", "diversity", "language_purity",
                "crosslingual_consistency", "stability"]


def test_summarize_metrics_full():
    summary = summarize_metrics(
        [0, 0, 1, -1],
        labels_true=[0, 0, 1, 1],
        languages=["vi", "fr", "en", "vi"],
        top_terms_by_lang={"vi": {0: ["a", "b", "tội phạm"], 1: ["b", "c"]}, "en": THEMES_EN},
        tokenized_docs_by_lang={"vi": DOCS_VI, "en": DOCS_EN},
        groups=["g", None, "g", None],
        label_runs=[[0, 0, 1, -1], [1, 1, 0, -1]],
    )
    assert list(summary) == SUMMARY_KEYS
    assert summary["n_themes"] == 2 and isinstance(summary["n_themes"], int)
    assert summary["outlier_rate"] == 0.25
    assert summary["nmi"] == 0.8
    assert summary["nmi_no_outliers"] == 1.0
    assert summary["ari"] == round(4 / 7, 6)
    assert summary["coherence_npmi_by_language"] == {"en": round(NPMI_AB, 6),
                                                     "vi": round((T1_VI + T2_VI) / 2, 6)}
    assert summary["coherence_npmi"] == round((T1_VI + T2_VI + NPMI_AB) / 3, 6)
    # vi: a, b, tội phạm, b, c -> 4 unique of 5; en: x, y -> 2 of 2; pooled 6 / 7
    assert summary["diversity"] == round(6 / 7, 6)
    # theme 0: vi, fr -> 1 of 2; theme 1: en -> 1 of 1; (1 + 1) / 3
    assert summary["language_purity"] == round(2 / 3, 6)
    assert summary["crosslingual_consistency"] == 0.0  # group g = labels 0, 1
    assert summary["stability"] == 1.0
    floats = [v for k, v in summary.items() if k not in ("n_themes", "coherence_npmi_by_language")]
    assert all(type(v) is float for v in floats)
    assert json.loads(json.dumps(summary)) == summary


def test_summarize_metrics_minimal_gives_none():
    summary = summarize_metrics([-1, -1, -1])
    assert list(summary) == SUMMARY_KEYS
    assert summary["n_themes"] == 0
    assert summary["outlier_rate"] == 1.0
    assert summary["coherence_npmi_by_language"] == {}
    assert all(summary[k] is None for k in SUMMARY_KEYS
               if k not in ("n_themes", "outlier_rate", "coherence_npmi_by_language"))


def test_summarize_metrics_undefined_values_become_none():
    summary = summarize_metrics([-1, -1], labels_true=[0, 1], languages=["vi", "en"], groups=["a", "b"])
    assert summary["nmi_no_outliers"] is None
    assert summary["language_purity"] is None
    assert summary["crosslingual_consistency"] is None
    assert summary["nmi"] == 0.0
