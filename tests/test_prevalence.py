"""Prevalence shares, bootstrap intervals over documents, and the theme-share regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

from coopthemes.effects import EFFECT_COLUMNS, estimate_effects
from coopthemes.prevalence import (
    OUTLIER_THEME,
    compute_prevalence,
    document_groups,
    excluded_counts,
    share_ranges,
    theme_counts_by_document,
)
from coopthemes.schema import DOCUMENT_COLUMNS, validate_prevalence

# --------------------------------------------------------------------------
# Builders: documents given as (doc_id, partners, year, themes of kept passages)
# where a theme of None is an outlier passage.
# --------------------------------------------------------------------------


def build(docs, *, dropped=()):
    """Return (assignments, passages, documents) for a list of documents."""
    p_rows, a_rows, d_rows = [], [], []
    for doc_id, partners, year, themes in docs:
        n_dropped = sum(1 for d in dropped if d == doc_id)
        for pos, theme in enumerate(themes):
            pid = f"{doc_id}:{pos:03d}"
            p_rows.append(_passage(pid, doc_id, pos, partners, year, kept=True))
            a_rows.append(
                {
                    "passage_id": pid,
                    "theme_id": -1 if theme is None else ord(theme[0]),
                    "theme": "outlier" if theme is None else theme,
                    "probability": 1.0,
                    "is_outlier": theme is None,
                }
            )
        for k in range(n_dropped):
            pos = len(themes) + k
            p_rows.append(_passage(f"{doc_id}:{pos:03d}", doc_id, pos, partners, year, kept=False))
        d_rows.append(_document(doc_id, partners, year, len(themes) + n_dropped))
    passages = pd.DataFrame(p_rows).astype({"year": "Int64"})
    documents = pd.DataFrame(d_rows, columns=list(DOCUMENT_COLUMNS)).astype({"year": "Int64"})
    return pd.DataFrame(a_rows), passages, documents


def _passage(pid, doc_id, pos, partners, year, *, kept):
    return {
        "passage_id": pid,
        "doc_id": doc_id,
        "position": pos,
        "text": "text",
        "language": "en",
        "partners": list(partners),
        "year": year,
        "kept": kept,
        "drop_reason": None if kept else "caption",
    }


def _document(doc_id, partners, year, n_passages):
    return {
        "doc_id": doc_id,
        "source_path": f"{doc_id}.txt",
        "sha256": "0" * 64,
        "title": doc_id,
        "language": "en",
        "date": pd.NA,
        "year": year,
        "year_source": "none" if year is pd.NA else "header",
        "partners": list(partners),
        "partner_source": "sidecar" if partners else "none",
        "outlet": pd.NA,
        "n_passages": n_passages,
        "status": "ok",
        "reason": pd.NA,
    }


NA = pd.NA

#: Tiny corpus with hand-computed shares.
TINY = [
    ("d1", ["Japan"], 2019, ["A", "A", "B", None]),
    ("d2", ["Japan", "France"], 2020, ["B", "B"]),
    ("d3", ["France"], NA, ["A"]),
    ("d4", [], 2020, ["A", "C"]),
    ("d5", ["Laos"], 2019, []),  # only a dropped passage: in no group, not excluded
    ("d6", [], NA, ["B"]),
]


@pytest.fixture
def tiny():
    return build(TINY, dropped=("d1", "d5"))


def table(df, by):
    """Rows as {(group..., theme): (n, n_group)} for exact comparison."""
    return {
        (*(r[c] for c in by), r["theme"]): (int(r["n"]), int(r["n_group"]))
        for _, r in df.iterrows()
    }


# --------------------------------------------------------------------------
# Point estimates
# --------------------------------------------------------------------------


def test_theme_counts_by_document(tiny):
    a, p, _ = tiny
    counts = theme_counts_by_document(a, p)
    assert list(counts.columns) == ["doc_id", "theme", "n", "n_passages"]
    d1 = counts[counts["doc_id"] == "d1"].set_index("theme")
    assert d1["n"].to_dict() == {"A": 2, "B": 1, "C": 0}
    assert set(d1["n_passages"]) == {4}  # the outlier counts, the dropped passage does not
    assert sorted(set(counts["doc_id"])) == ["d1", "d2", "d3", "d4", "d6"]
    with_out = theme_counts_by_document(a, p, include_outliers=True)
    assert with_out.query("doc_id == 'd1' and theme == @OUTLIER_THEME")["n"].item() == 1


def test_passage_shares_by_partner(tiny):
    a, p, _ = tiny
    out = compute_prevalence(a, p, by=("partner",), unit="passage", n_boot=200)
    validate_prevalence(out, ("partner",))
    assert list(out.columns) == [
        "unit",
        "partner",
        "theme",
        "n",
        "n_group",
        "share",
        "ci_low",
        "ci_high",
        "small_group",
    ]
    # d2 has two partners: its passages count for Japan and for France.
    assert table(out, ["partner"]) == {
        ("France", "A"): (1, 3),
        ("France", "B"): (2, 3),
        ("France", "C"): (0, 3),
        ("Japan", "A"): (2, 6),
        ("Japan", "B"): (3, 6),
        ("Japan", "C"): (0, 6),
    }
    assert (out["share"] == out["n"] / out["n_group"]).all()
    assert (out["unit"] == "passage").all()
    assert out.attrs["excluded"]["documents"] == 2  # d4 and d6 have no partner
    assert out.attrs["excluded"]["passages"] == 3


def test_document_shares_by_partner(tiny):
    a, p, _ = tiny
    out = compute_prevalence(a, p, by="partner", unit="document", n_boot=200)
    assert table(out, ["partner"]) == {
        ("France", "A"): (1, 2),
        ("France", "B"): (1, 2),
        ("France", "C"): (0, 2),
        ("Japan", "A"): (1, 2),
        ("Japan", "B"): (2, 2),
        ("Japan", "C"): (0, 2),
    }
    assert out["share"].tolist() == [0.5, 0.5, 0.0, 0.5, 1.0, 0.0]


def test_shares_by_year_keep_int64_and_count_unknown_years(tiny):
    a, p, _ = tiny
    out = compute_prevalence(a, p, by=("year",), unit="passage", n_boot=200)
    assert out["year"].dtype == "Int64"
    assert table(out, ["year"]) == {
        (2019, "A"): (2, 4),
        (2019, "B"): (1, 4),
        (2019, "C"): (0, 4),
        (2020, "A"): (1, 4),
        (2020, "B"): (2, 4),
        (2020, "C"): (1, 4),
    }
    assert out.attrs["excluded"] == {
        "documents": 2,
        "passages": 2,
        "reason": "unknown year: left out of this breakdown",
    }


def test_partner_by_year_sorted_with_every_theme(tiny):
    a, p, _ = tiny
    out = compute_prevalence(a, p, by=("partner", "year"), unit="document", n_boot=200)
    keys = list(zip(out["partner"], out["year"], out["theme"], strict=True))
    assert keys == [
        ("France", 2020, "A"),
        ("France", 2020, "B"),
        ("France", 2020, "C"),
        ("Japan", 2019, "A"),
        ("Japan", 2019, "B"),
        ("Japan", 2019, "C"),
        ("Japan", 2020, "A"),
        ("Japan", 2020, "B"),
        ("Japan", 2020, "C"),
    ]
    assert out["n"].tolist() == [0, 1, 0, 1, 1, 0, 0, 1, 0]
    assert out["n_group"].tolist() == [1] * 9
    assert out.attrs["excluded"]["documents"] == 3  # d3 (year), d4 (partner), d6 (both)


def test_excluded_counts_table(tiny):
    _, p, _ = tiny
    got = excluded_counts(p, by=("partner", "year"))
    assert got.to_dict("records") == [
        {
            "missing": "partner",
            "documents": 1,
            "passages": 2,
            "reason": "unknown partner: left out of this breakdown",
        },
        {
            "missing": "partner, year",
            "documents": 1,
            "passages": 1,
            "reason": "unknown partner and year: left out of this breakdown",
        },
        {
            "missing": "year",
            "documents": 1,
            "passages": 1,
            "reason": "unknown year: left out of this breakdown",
        },
    ]
    assert excluded_counts(p, by=("partner",))["documents"].sum() == 2
    groups = document_groups(p, by=("partner",))
    assert list(zip(groups["doc_id"], groups["partner"], strict=True)) == [
        ("d2", "France"),
        ("d3", "France"),
        ("d1", "Japan"),
        ("d2", "Japan"),
    ]


def test_outliers_stay_in_denominator_and_are_a_theme_only_on_request(tiny):
    a, p, _ = tiny
    plain = compute_prevalence(a, p, by="partner", unit="passage", n_boot=50)
    assert OUTLIER_THEME not in set(plain["theme"])
    with_out = compute_prevalence(
        a, p, by="partner", unit="passage", n_boot=50, include_outliers=True
    )
    row = with_out.query("partner == 'Japan' and theme == @OUTLIER_THEME")
    assert (row["n"].item(), row["n_group"].item()) == (1, 6)
    assert with_out.query("partner == 'France' and theme == @OUTLIER_THEME")["n"].item() == 0


def test_small_groups_flagged_not_dropped(tiny):
    a, p, _ = tiny
    out = compute_prevalence(
        a, p, by=("partner", "year"), unit="passage", n_boot=50, min_group_size=2
    )
    assert out["small_group"].all()
    out = compute_prevalence(a, p, by="partner", unit="passage", n_boot=50, min_group_size=2)
    assert not out["small_group"].any()
    out = compute_prevalence(a, p, by="partner", unit="passage", n_boot=50)
    assert out["small_group"].all() and len(out) == 6


def test_group_by_document_label_from_group_columns(tiny):
    a, p, _ = tiny
    labels = pd.DataFrame(
        {"doc_id": ["d1", "d2", "d3", "d4", "d6"], "label": ["x", "x", "y", "y", NA]}
    )
    out = compute_prevalence(a, p, by=("label",), unit="passage", n_boot=50, group_columns=labels)
    assert table(out, ["label"]) == {
        ("x", "A"): (2, 6),
        ("x", "B"): (3, 6),
        ("x", "C"): (0, 6),
        ("y", "A"): (2, 3),
        ("y", "B"): (0, 3),
        ("y", "C"): (1, 3),
    }
    assert out.attrs["excluded"]["documents"] == 1


def test_group_columns_take_precedence_over_passages(tiny):
    a, p, d = tiny
    d = d.copy()
    d.loc[d["doc_id"] == "d3", "year"] = 2019  # the documents table knows d3's year
    out = compute_prevalence(a, p, by="year", unit="document", n_boot=50, group_columns=d)
    assert out.query("year == 2019")["n_group"].iloc[0] == 2
    assert out.attrs["excluded"]["documents"] == 1


def test_bad_input_is_named(tiny):
    a, p, _ = tiny
    with pytest.raises(ValueError, match="unit"):
        compute_prevalence(a, p, by="partner", unit="sentence")
    with pytest.raises(ValueError, match="'outlet' is not a column"):
        compute_prevalence(a, p, by="outlet", unit="passage")
    with pytest.raises(ValueError, match="1 kept passage"):
        compute_prevalence(a.iloc[1:], p, by="partner", unit="passage")
    stray = pd.concat([a, a.iloc[:1].assign(passage_id="d1:004")], ignore_index=True)
    with pytest.raises(ValueError, match="not kept passages"):
        compute_prevalence(stray, p, by="partner", unit="passage")
    varying = p.assign(language=["en", "vi"] + ["en"] * (len(p) - 2))
    with pytest.raises(ValueError, match="'language' varies within document"):
        compute_prevalence(a, varying, by="language", unit="passage")


# --------------------------------------------------------------------------
# Bootstrap intervals
# --------------------------------------------------------------------------


def random_corpus(n_docs, *, groups=("G1", "G2"), seed=0, themes="ABCD"):
    rng = np.random.default_rng(seed)
    docs = []
    for i in range(n_docs):
        k = int(rng.integers(1, 12))
        chosen = rng.choice(list(themes) + [None], size=k, p=[0.4, 0.3, 0.15, 0.1, 0.05])
        docs.append((f"doc{i:04d}", [groups[i % len(groups)]], 2018 + i % 3, list(chosen)))
    return build(docs)


def test_bootstrap_reproducible_and_seed_dependent():
    a, p, _ = random_corpus(60)
    first = compute_prevalence(a, p, by="partner", unit="passage", n_boot=500, seed=7)
    again = compute_prevalence(a, p, by="partner", unit="passage", n_boot=500, seed=7)
    pd.testing.assert_frame_equal(first, again)
    other = compute_prevalence(a, p, by="partner", unit="passage", n_boot=500, seed=8)
    assert not np.array_equal(first["ci_low"], other["ci_low"])
    assert np.array_equal(first["share"], other["share"])


def test_group_interval_does_not_depend_on_other_groups():
    a, p, _ = random_corpus(60)
    full = compute_prevalence(a, p, by="partner", unit="document", n_boot=300, seed=3)
    g1_docs = set(p.loc[p["partners"].map(lambda v: v == ["G1"]), "doc_id"])
    p1 = p[p["doc_id"].isin(g1_docs)]
    a1 = a[a["passage_id"].isin(set(p1["passage_id"]))]
    alone = compute_prevalence(a1, p1, by="partner", unit="document", n_boot=300, seed=3)
    pd.testing.assert_frame_equal(
        full[full["partner"] == "G1"].reset_index(drop=True), alone.reset_index(drop=True)
    )


@pytest.mark.parametrize("unit", ["passage", "document"])
def test_interval_contains_share(unit):
    a, p, _ = random_corpus(120)
    out = compute_prevalence(a, p, by=("partner", "year"), unit=unit, n_boot=1000)
    assert (out["ci_low"] <= out["share"]).all() and (out["share"] <= out["ci_high"]).all()
    inner = (out["share"] > 0) & (out["share"] < 1)
    assert inner.sum() >= 12
    assert ((out["ci_high"] - out["ci_low"])[inner] > 0).all()


def test_single_document_group_is_degenerate(tiny):
    a, p, _ = tiny
    out = compute_prevalence(a, p, by=("partner", "year"), unit="passage", n_boot=200)
    single = out[(out["partner"] == "Japan") & (out["year"] == 2019)]
    assert single["share"].tolist() == [0.5, 0.25, 0.0]
    assert (single["ci_low"] == single["share"]).all()
    assert (single["ci_high"] == single["share"]).all()


@pytest.mark.parametrize("unit, expected", [("passage", 2 / 3), ("document", 1.0)])
def test_identical_documents_give_degenerate_interval(unit, expected):
    a, p, _ = build([(f"d{i:02d}", ["Japan"], 2020, ["A", "A", "B"]) for i in range(20)])
    out = compute_prevalence(a, p, by="partner", unit=unit, n_boot=500).set_index("theme")
    assert out.loc["A", "share"] == expected
    assert out.loc["A", "ci_low"] == out.loc["A", "ci_high"] == out.loc["A", "share"]


def test_two_document_group_has_exact_percentile_bounds():
    # Resampling two documents: {d1,d1}, {d1,d2}, {d2,d2} with probabilities
    # 1/4, 1/2, 1/4. Passage shares of A: 4/8, 3/5, 1/1; document shares of B:
    # 1, 1/2, 0. With 2000 replicates the 2.5% and 97.5% quantiles are the
    # extreme values.
    a, p, _ = build([("d1", ["Japan"], 2020, ["A", "A", "B", "B"]), ("d2", ["Japan"], 2020, ["A"])])
    out = compute_prevalence(a, p, by="partner", unit="passage").set_index("theme")
    assert out.loc["A", "share"] == 3 / 5
    assert (out.loc["A", "ci_low"], out.loc["A", "ci_high"]) == (0.5, 1.0)
    assert (out.loc["B", "ci_low"], out.loc["B", "ci_high"]) == (0.0, 0.5)
    docs = compute_prevalence(a, p, by="partner", unit="document").set_index("theme")
    assert (docs.loc["B", "share"], docs.loc["B", "ci_low"], docs.loc["B", "ci_high"]) == (
        0.5,
        0.0,
        1.0,
    )
    narrow = compute_prevalence(a, p, by="partner", unit="passage", ci=0.2).set_index("theme")
    assert narrow.loc["A", "ci_low"] == narrow.loc["A", "ci_high"] == 3 / 5


def test_interval_narrows_with_more_documents():
    base = [
        ("b0", ["Japan"], 2020, ["A", "B", "B"]),
        ("b1", ["Japan"], 2020, ["A", "A", "A", "B"]),
        ("b2", ["Japan"], 2020, ["B"]),
        ("b3", ["Japan"], 2020, ["A", "C"]),
        ("b4", ["Japan"], 2020, ["C", "C", "B"]),
    ]
    many = [(f"{d}r{r}", pt, y, th) for r in range(20) for d, pt, y, th in base]
    few_out = compute_prevalence(*build(base)[:2], by="partner", unit="passage", n_boot=2000)
    many_out = compute_prevalence(*build(many)[:2], by="partner", unit="passage", n_boot=2000)
    assert np.array_equal(few_out["share"], many_out["share"])
    few_w = (few_out["ci_high"] - few_out["ci_low"]).to_numpy()
    many_w = (many_out["ci_high"] - many_out["ci_low"]).to_numpy()
    assert (many_w < few_w / 2).all()  # about 1/sqrt(20) of the width


# --------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------


def simulated(probs, *, n_docs=200, seed=1, multi=0, slope=0.0):
    """Documents alternate partners; each passage is theme T with the partner's probability."""
    rng = np.random.default_rng(seed)
    partners = sorted(probs)
    docs = []
    for i in range(n_docs):
        partner = partners[i % len(partners)]
        year = 2018 + (i // len(partners)) % 3
        prob = (
            expit(logit(probs[partner]) + slope * (year - 2019))
            if 0 < probs[partner] < 1
            else probs[partner]
        )
        k = int(rng.integers(5, 15))
        draws = rng.random(k)
        themes = [
            "T" if u < prob else ("U" if u < prob + (1 - prob) * 0.7 else None) for u in draws
        ]
        docs.append((f"doc{i:04d}", partners if i < multi else [partner], year, themes))
    return build(docs)


def test_regression_recovers_partner_effect():
    a, p, d = simulated({"A": 0.6, "B": 0.2})
    out = estimate_effects(a, p, d, themes=["T"])
    assert list(out.columns) == list(EFFECT_COLUMNS)
    coef = out[out["quantity"] == "coefficient"].set_index("term")
    assert list(coef.index) == ["Intercept", "partner=B", "year=2019", "year=2020"]
    b = coef.loc["partner=B"]
    truth = logit(0.2) - logit(0.6)
    assert b["estimate"] < 0 and b["ci_high"] < 0 and b["p_value"] < 1e-6
    assert b["ci_low"] <= truth <= b["ci_high"]
    shares = out[out["quantity"] == "expected_share"].set_index("term")
    assert abs(shares.loc["partner=A", "estimate"] - 0.6) < 0.05
    assert abs(shares.loc["partner=B", "estimate"] - 0.2) < 0.05
    for level in ("partner=A", "partner=B"):
        row = shares.loc[level]
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
    assert set(out["n_documents"]) == {200}


def test_regression_recovers_linear_year_slope():
    a, p, d = simulated({"A": 0.5, "B": 0.5}, n_docs=600, slope=0.4, seed=2)
    out = estimate_effects(a, p, d, themes=["T"], year_as="linear")
    slope = out.query("quantity == 'coefficient' and term == 'year'").iloc[0]
    assert slope["ci_low"] <= 0.4 <= slope["ci_high"] and slope["ci_low"] > 0
    assert "year=2019" not in set(out.query("quantity == 'coefficient'")["term"])


def _hump(n_per_year=40, seed=7, gap=2013):
    """Twelve years (one without documents) whose share of theme T rises and falls: 0.1 to 0.6 and back."""
    rng = np.random.default_rng(seed)
    truth = {y: 0.1 + 0.5 * np.exp(-(((y - 2015.5) / 2.5) ** 2)) for y in range(2010, 2022)}
    docs = []
    for year in sorted(truth):
        if year == gap:
            continue
        for i in range(n_per_year):
            k = int(rng.integers(5, 15))
            themes = ["T" if u < truth[year] else "U" for u in rng.random(k)]
            docs.append((f"d{year}_{i:03d}", ["AB"[i % 2]], year, themes))
    return build(docs), truth


def test_smooth_year_follows_a_rise_and_fall_that_a_line_misses():
    (a, p, d), truth = _hump()
    smooth = estimate_effects(a, p, d, themes=["T"], year_as="smooth")
    terms = smooth.query("quantity == 'coefficient'")["term"].tolist()
    assert terms == ["Intercept", "partner=B", "year:bs1", "year:bs2", "year:bs3", "year:bs4"]
    curve = smooth.query("quantity == 'expected_share' and term.str.startswith('year=')").set_index("term")
    assert list(curve.index) == [f"year={y}" for y in range(2010, 2022)]  # the year without documents too
    errors = [abs(curve.loc[f"year={y}", "estimate"] - truth[y]) for y in truth]
    assert max(errors) < 0.06
    assert sum(curve.loc[f"year={y}", "ci_low"] <= truth[y] <= curve.loc[f"year={y}", "ci_high"] for y in truth) >= 10
    line = estimate_effects(a, p, d, themes=["T"], year_as="linear")
    flat = line.query("quantity == 'expected_share' and term.str.startswith('year=')").set_index("term")
    assert list(flat.index) == list(curve.index)
    assert abs(flat.loc["year=2015", "estimate"] - truth[2015]) > 0.15  # a line cannot rise and fall


def test_smooth_year_with_two_years_is_a_line():
    (a, p, d), _ = _hump()
    two = d.assign(year=pd.array([2020 if y < 2016 else 2021 for y in d["year"]], dtype="Int64"))
    smooth = estimate_effects(a, p, two, themes=["T"], year_as="smooth")
    line = estimate_effects(a, p, two, themes=["T"], year_as="linear")
    pd.testing.assert_frame_equal(smooth, line)
    assert "year" in set(line["term"])


def test_differences_between_partners_with_intervals():
    a, p, d = simulated({"A": 0.6, "B": 0.2, "C": 0.6}, n_docs=600, seed=9)
    out = estimate_effects(a, p, d, themes=["T"], formula_terms=("partner",))
    diff = out.query("quantity == 'difference'").set_index("term")
    assert list(diff.index) == ["partner=A - partner=B", "partner=A - partner=C", "partner=B - partner=C"]
    shares = out.query("quantity == 'expected_share'").set_index("term")["estimate"]
    assert diff.loc["partner=A - partner=B", "estimate"] == pytest.approx(shares["partner=A"] - shares["partner=B"])
    ab, ac = diff.loc["partner=A - partner=B"], diff.loc["partner=A - partner=C"]
    assert ab["ci_low"] <= 0.4 <= ab["ci_high"] and ab["ci_low"] > 0 and ab["p_value"] < 1e-6
    assert ac["ci_low"] <= 0.0 <= ac["ci_high"] and ac["p_value"] > 0.05
    # With partner alone, documents of different partners are independent: the variance of the
    # difference is the sum of the two shares' variances.
    se = np.hypot(out.query("term == 'partner=A' and quantity == 'expected_share'")["std_error"].item(),
                  out.query("term == 'partner=B' and quantity == 'expected_share'")["std_error"].item())
    assert ab["std_error"] == pytest.approx(se, rel=1e-6)
    named = estimate_effects(a, p, d, themes=["T"], formula_terms=("partner",), compare=["C", "A"])
    assert named.query("quantity == 'difference'")["term"].tolist() == ["partner=C - partner=A"]
    assert estimate_effects(a, p, d, themes=["T"], compare=0).query("quantity == 'difference'").empty
    with pytest.raises(ValueError, match=r"compare: partner level\(s\) \['Z'\]"):
        estimate_effects(a, p, d, themes=["T"], compare=["A", "Z"])


def test_differences_with_a_separated_partner_are_not_estimated():
    a, p, d = simulated({"A": 0.6, "B": 0.2, "C": 0.0}, n_docs=150, seed=5)
    out = estimate_effects(a, p, d, themes=["T"])
    diff = out.query("quantity == 'difference'").set_index("term")
    assert diff["estimate"].notna().tolist() == [True, False, False]
    assert "partner=C is separated" in diff.loc["partner=A - partner=C", "note"]


def test_regression_with_one_partner_matches_pooled_shares():
    # With partner as the only term the model is saturated in partner: the
    # fitted share of each partner equals its pooled passage share.
    a, p, d = simulated({"A": 0.6, "B": 0.2}, n_docs=80, seed=3)
    out = estimate_effects(a, p, d, themes=["T"], formula_terms=("partner",))
    pooled = compute_prevalence(a, p, by="partner", unit="passage", n_boot=10).query("theme == 'T'")
    shares = out[out["quantity"] == "expected_share"].set_index("term")["estimate"]
    for partner, share in zip(pooled["partner"], pooled["share"], strict=True):
        assert shares[f"partner={partner}"] == pytest.approx(share, abs=1e-8)
    intercept = out.query("term == 'Intercept'")["estimate"].item()
    assert expit(intercept) == pytest.approx(pooled["share"].iloc[0], abs=1e-8)


def _sandwich(hits, n, X, beta, clusters):
    mu = expit(X @ beta)
    scores = (hits - n * mu)[:, None] * X
    bread = np.linalg.inv((X * (n * mu * (1 - mu))[:, None]).T @ X)
    labels = sorted(set(clusters))
    summed = np.array([scores[clusters == g].sum(axis=0) for g in labels])
    G, N, K = len(labels), len(hits), X.shape[1]
    return np.sqrt(np.diag(bread @ summed.T @ summed @ bread) * G / (G - 1) * (N - 1) / (N - K))


@pytest.mark.parametrize("multi", [0, 30])
def test_standard_errors_are_hc1_or_clustered_by_document(multi):
    a, p, d = simulated({"A": 0.6, "B": 0.3}, n_docs=90, multi=multi, seed=4)
    out = estimate_effects(a, p, d, themes=["T"], formula_terms=("partner",))
    coef = out[out["quantity"] == "coefficient"]
    counts = theme_counts_by_document(a, p).query("theme == 'T'").set_index("doc_id")
    rows = document_groups(p, by="partner")
    hits = rows["doc_id"].map(counts["n"]).to_numpy(float)
    n = rows["doc_id"].map(counts["n_passages"]).to_numpy(float)
    X = np.column_stack([np.ones(len(rows)), (rows["partner"] == "B").to_numpy(float)])
    expected = _sandwich(hits, n, X, coef["estimate"].to_numpy(float), rows["doc_id"].to_numpy())
    np.testing.assert_allclose(coef["std_error"].to_numpy(float), expected, rtol=1e-6)
    assert len(rows) == 90 + multi


def test_regression_handles_separation_and_absent_themes():
    a, p, d = simulated({"A": 0.6, "B": 0.2, "C": 0.0}, n_docs=150, seed=5)
    # theme Z occurs only in a document whose year is unknown
    extra_a, extra_p, extra_d = build([("zz", ["A"], NA, ["Z", "U"])])
    a, p, d = (
        pd.concat([x, y], ignore_index=True) for x, y in ((a, extra_a), (p, extra_p), (d, extra_d))
    )
    out = estimate_effects(a, p, d)
    assert out.attrs["excluded"]["documents"] == 1 and out.attrs["excluded"]["passages"] == 2
    z = out[out["theme"] == "Z"]
    assert z["quantity"].tolist() == ["skipped"]
    assert "no document" in z["note"].item()
    t = out[out["theme"] == "T"]
    sep = t.query("quantity == 'coefficient' and term == 'partner=C'").iloc[0]
    assert pd.isna(sep["estimate"]) and "separation" in sep["note"]
    c_share = t.query("quantity == 'expected_share' and term == 'partner=C'").iloc[0]
    assert c_share["estimate"] == 0.0 and pd.isna(c_share["ci_low"])
    assert t.query("quantity == 'coefficient'")["n_documents"].iloc[0] == 100
    b_share = t.query("quantity == 'expected_share' and term == 'partner=B'")["estimate"].item()
    assert abs(b_share - 0.2) < 0.05
    u = out[out["theme"] == "U"]  # theme U is present for every partner: fitted normally
    assert u.query("quantity == 'coefficient'")["estimate"].notna().all()
    with pytest.raises(ValueError, match="unknown theme"):
        estimate_effects(a, p, d, themes=["nope"])


def test_regression_is_deterministic():
    a, p, d = simulated({"A": 0.6, "B": 0.2}, n_docs=60, multi=6)
    pd.testing.assert_frame_equal(estimate_effects(a, p, d), estimate_effects(a, p, d))


def test_regression_notes_levels_emptied_by_separation_and_rank_deficiency():
    a, p, d = simulated({"A": 0.6, "B": 0.2}, n_docs=80, seed=6)
    # partner C never has theme T and is the only partner seen in 2025
    extra = [(f"c{i}", ["C"], 2025, ["U", "U", None]) for i in range(4)]
    ea, ep, ed = build(extra)
    a, p, d = (pd.concat(pair, ignore_index=True) for pair in ((a, ea), (p, ep), (d, ed)))
    t = estimate_effects(a, p, d, themes=["T"])
    emptied = t.query("quantity == 'coefficient' and term == 'year=2025'").iloc[0]
    assert pd.isna(emptied["estimate"]) and "no document left" in emptied["note"]
    share = t.query("quantity == 'expected_share' and term == 'year=2025'").iloc[0]
    assert pd.isna(share["estimate"])
    assert t.query("quantity == 'coefficient'")["estimate"].notna().sum() == 4
    one_year = d.assign(year=pd.array([2020] * len(d), dtype="Int64"))
    skipped = estimate_effects(a, p, one_year, themes=["T", "U"], year_as="linear")
    assert skipped["quantity"].tolist() == ["skipped", "skipped"]
    assert skipped["note"].str.contains("rank deficient").all()


def test_parquet_round_trip_gives_same_table(tiny, tmp_path):
    a, p, _ = tiny
    p.to_parquet(tmp_path / "passages.parquet")
    a.to_parquet(tmp_path / "assignments.parquet")
    p2 = pd.read_parquet(tmp_path / "passages.parquet")
    a2 = pd.read_parquet(tmp_path / "assignments.parquet")
    assert isinstance(p2["partners"].iloc[0], np.ndarray)
    for by in (("partner",), ("partner", "year")):
        pd.testing.assert_frame_equal(
            compute_prevalence(a, p, by=by, unit="passage", n_boot=100),
            compute_prevalence(a2, p2, by=by, unit="passage", n_boot=100),
        )


def test_share_ranges_across_fits_by_hand():
    """Two documents of Japan (2 and 1 passages): fit 0 puts all three in A; fit 1 one in A, one in B,
    one nowhere. Passage shares of A: 3/3 and 1/3; document shares of A: 2/2 and 1/2."""
    _, passages, _ = build([("d1", ["Japan"], 2020, ["A", "A"]), ("d2", ["Japan"], 2020, ["A"])])
    runs = pd.DataFrame({
        "run": [0, 0, 0, 1, 1, 1],
        "passage_id": ["d1:000", "d1:001", "d2:000"] * 2,
        "theme_id": [0, 0, 0, 0, 1, -1],
        "theme": ["A", "A", "A", "A", "B", "(outlier)"],
    })
    by_passage = share_ranges(runs, passages, by="partner", unit="passage").set_index("theme")
    assert by_passage.loc["A", ["share_min", "share_max"]].tolist() == pytest.approx([1 / 3, 1.0])
    assert by_passage.loc["B", ["share_min", "share_max"]].tolist() == pytest.approx([0.0, 1 / 3])
    by_document = share_ranges(runs, passages, by="partner", unit="document").set_index("theme")
    assert by_document.loc["A", ["share_min", "share_max"]].tolist() == pytest.approx([0.5, 1.0])
    assert by_document.loc["B", ["share_min", "share_max"]].tolist() == pytest.approx([0.0, 0.5])
