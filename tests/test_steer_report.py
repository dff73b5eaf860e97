"""Partner x year figure, effects beside observed shares, passages to read, FREX columns, and the
install that explains itself; on synthetic results (no model run)."""

from __future__ import annotations

import importlib.util
import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from coopthemes import cli  # noqa: E402
from coopthemes.config import load_config  # noqa: E402
from coopthemes.plotting import (  # noqa: E402
    differences_beside_observed,
    effects_beside_observed,
    group_year_grid,
    paper_context,
    year_effects_beside_observed,
)
from coopthemes.report import build_report  # noqa: E402
from coopthemes.report.synthetic import synthetic_results, write_synthetic_results  # noqa: E402
from coopthemes.tables import representative_passages_table, theme_overview_table  # noqa: E402


@pytest.fixture(scope="module")
def synthetic() -> dict:
    return synthetic_results(seed=3, n_documents=60, min_group_size=6)


def _hollow(ax) -> int:
    return sum(1 for line in ax.get_lines() if line.get_markerfacecolor() in ("white", (1.0, 1.0, 1.0, 1.0))
               and line.get_linestyle() == "None")


def test_group_year_grid_one_panel_per_theme_with_small_groups_hollow(synthetic):
    with paper_context():
        fig = group_year_grid(synthetic["prevalence"], unit="document", group="partner")
    try:
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert len(panels) == synthetic["themes"]["theme"].nunique()
        rows = synthetic["prevalence"]
        rows = rows[(rows["breakdown"] == "partner+year") & (rows["unit"] == "document")]
        if rows["small_group"].any():
            assert sum(_hollow(ax) for ax in panels) > 0
        labels = [t.get_text() for t in fig.legends[0].get_texts()]
        assert any(label.startswith("China (n=") for label in labels)
    finally:
        plt.close(fig)


def test_group_year_grid_shows_the_largest_groups_and_says_so(synthetic):
    with paper_context():
        fig = group_year_grid(synthetic["prevalence"], unit="document", group="partner", max_groups=2)
    try:
        legend = fig.legends[0]
        assert "2 of 3 with most documents" in legend.get_title().get_text()
    finally:
        plt.close(fig)


def test_effects_beside_observed_gives_every_estimate_its_observed_share_and_n(synthetic):
    with paper_context():
        fig = effects_beside_observed(synthetic["effects"], synthetic["prevalence"], group="partner")
    try:
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert len(panels) == 3
        n_themes = synthetic["effects"]["theme"].nunique()
        for ax in panels:
            counts = [t.get_text() for t in ax.texts]
            assert len(counts) == n_themes and all("/" in c for c in counts)
        assert {"model: expected share", "observed share (n/N passages at right)"} <= {
            t.get_text() for t in fig.legends[0].get_texts()}
    finally:
        plt.close(fig)


def test_effects_beside_observed_flags_small_samples():
    data = synthetic_results(seed=3, n_documents=30, min_group_size=1000)
    with paper_context():
        fig = effects_beside_observed(data["effects"], data["prevalence"], group="partner")
    try:
        titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
        assert titles and all("small sample" in t for t in titles)
    finally:
        plt.close(fig)


def test_year_effects_beside_observed_one_panel_per_theme(synthetic):
    prevalence = synthetic["prevalence"]
    years = prevalence[(prevalence["breakdown"] == "year") & (prevalence["unit"] == "passage")]
    year_rows = pd.DataFrame({
        "theme": years["theme"], "quantity": "expected_share", "term": "year=" + years["year"].astype(int).astype(str),
        "estimate": years["share"], "ci_low": years["ci_low"], "ci_high": years["ci_high"],
    })
    effects = pd.concat([synthetic["effects"], year_rows], ignore_index=True)
    with paper_context():
        fig = year_effects_beside_observed(effects, prevalence)
    try:
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert len(panels) == years["theme"].nunique()
        ticks = [t.get_text() for t in panels[0].get_xticklabels()]
        assert all("(" in t for t in ticks if t)  # each year with its documents
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="no expected shares by year"):
        year_effects_beside_observed(synthetic["effects"], prevalence)


def test_differences_beside_observed_one_panel_per_pair_with_observed_counts(synthetic):
    with paper_context():
        fig = differences_beside_observed(synthetic["effects"], synthetic["prevalence"], group="partner")
    try:
        panels = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title(loc="left").split("\n")[0] for ax in panels] == [
            "China - France", "China - Japan", "France - Japan"]
        n_themes = synthetic["effects"]["theme"].nunique()
        for ax in panels:
            counts = [t.get_text() for t in ax.texts]
            assert len(counts) == n_themes and all(" - " in c and c.count("/") == 2 for c in counts)
            assert any(list(line.get_xdata()) == [0.0, 0.0] for line in ax.lines)  # the zero line
        labels = {t.get_text() for t in fig.legends[0].get_texts()}
        assert "model: difference of expected shares" in labels
    finally:
        plt.close(fig)
    no_differences = synthetic["effects"][synthetic["effects"]["quantity"] != "difference"]
    with pytest.raises(ValueError, match="no difference rows"):
        differences_beside_observed(no_differences, synthetic["prevalence"])


def test_report_draws_partner_year_figure_and_effects_figure(tmp_path):
    results = write_synthetic_results(tmp_path / "results", seed=1, n_documents=60)
    written = build_report(results, tmp_path / "out", formats=("png",))
    names = {p.name for p in written}
    assert {"prevalence_partner_year.png", "effects.png", "effects_difference.png",
            "prevalence_partner_year_document.csv",
            "prevalence_partner_year_passage.tex", "prevalence_partner_year_passage.md"} <= names
    manifest = json.loads((tmp_path / "out" / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["edits"] is None


def test_representative_passages_table_has_text_per_theme_and_language(synthetic):
    themes, passages = synthetic["themes"], synthetic["passages"]
    kept = passages[passages["kept"]].merge(synthetic["assignments"], on="passage_id")
    kept = kept[kept["theme_id"] >= 0]
    reps = (kept.sort_values("passage_id").groupby(["theme_id", "language"], sort=True).head(2)
            .assign(rank=lambda d: d.groupby(["theme_id", "language"]).cumcount() + 1, similarity=0.5))
    long = passages.copy()
    long.loc[long["passage_id"] == reps["passage_id"].iloc[0], "text"] = "word " * 200
    table = representative_passages_table(reps[["theme_id", "language", "rank", "passage_id", "similarity"]],
                                          themes, long, languages=["vi", "fr", "en"])
    assert list(table.columns) == ["theme_id", "theme", "language", "rank", "passage_id", "doc_id", "similarity",
                                   "text"]
    assert table["text"].str.len().max() == 400 and table["text"].str.endswith("…").sum() == 1
    first = table[table["theme_id"] == table["theme_id"].iloc[0]]["language"].tolist()
    assert first == sorted(first, key=["vi", "fr", "en"].index)


def test_theme_overview_puts_frex_terms_beside_top_terms(synthetic):
    terms = synthetic["terms"]
    frex = terms.assign(term=terms["term"].astype(str) + "*")
    table = theme_overview_table(synthetic["themes"], terms, languages=["vi", "fr"], frex=frex)
    cols = list(table.columns)
    assert cols.index("frex_terms_vi") == cols.index("top_terms_vi") + 1
    assert cols.index("frex_terms_fr") == cols.index("top_terms_fr") + 1
    assert table["frex_terms_vi"].str.contains(r"\*").all()


def test_missing_bertopic_stops_at_once_with_the_command(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "bertopic" else real(name, *a))
    assert cli.main(["run", "--corpus", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert err == "error: BERTopic is not installed; complete the install with: pip install --no-deps bertopic==0.17.4\n"
    from coopthemes.pipeline import require_bertopic

    with pytest.raises(ImportError, match="pip install --no-deps bertopic==0.17.4"):
        require_bertopic()


def test_edits_and_n_themes_are_settings_that_never_change_the_fit(tmp_path):
    (tmp_path / "e.yaml").write_text("drop: [1]\n", encoding="utf-8")
    config = load_config(data={"themes": {"edits": str(tmp_path / "e.yaml"), "n_themes": 4}})
    assert config.themes.n_themes == 4
    fit = config.themes.fit_options()
    assert fit.edits is None and fit.n_themes is None and fit == load_config().themes
    with pytest.raises(ValueError, match="themes.n_themes"):
        load_config(data={"themes": {"n_themes": 0}})


def test_report_with_n_themes_needs_the_fit(tmp_path, capsys):
    results = write_synthetic_results(tmp_path / "results", seed=1, n_documents=30)
    assert cli.main(["report", str(results), "--out", str(tmp_path / "o"), "--n-themes", "2"]) == 2
    err = capsys.readouterr().err
    assert "no saved theme model" in err and "Traceback" not in err


def test_report_formats_flag_writes_only_those_formats(tmp_path, capsys):
    results = write_synthetic_results(tmp_path / "results", seed=1, n_documents=30)
    assert cli.main(["report", str(results), "--out", str(tmp_path / "o"), "--formats", "png"]) == 0
    figures = sorted(p.suffix for p in (tmp_path / "o").iterdir() if p.suffix in (".pdf", ".png", ".svg"))
    assert figures and set(figures) == {".png"}
    assert "wrote" in capsys.readouterr().out
