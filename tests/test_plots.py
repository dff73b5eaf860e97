"""Tests of the paper style and the plotting functions (Agg backend, no files written)."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from coopthemes.plotting import (  # noqa: E402
    COLUMN_WIDTH,
    PAGE_WIDTH,
    corpus_counts,
    corpus_overview,
    effects_plot,
    palette,
    paper_context,
    group_dots,
    prevalence_heatmap,
    prevalence_trend,
    theme_map,
    top_terms,
    top_terms_figure,
    trend_grid,
    wrap_label,
)
from coopthemes.plotting.style import OKABE_ITO, OUTLIER_COLOR, TOL_LIGHT, TOL_MUTED  # noqa: E402
from coopthemes.report.synthetic import synthetic_results  # noqa: E402

VIETNAMESE = "Bộ Công an – tội phạm, an ninh mạng, phòng cháy chữa cháy"
CRIME = "Phòng chống tội phạm"
CYBER = "An ninh mạng"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _row(unit, breakdown, theme, n, n_group, *, partner=pd.NA, year=pd.NA, small=False):
    share = n / n_group
    return {"unit": unit, "partner": partner, "year": year, "theme": theme, "n": n, "n_group": n_group,
            "share": share, "ci_low": share / 2, "ci_high": min(1.0, share * 1.5), "small_group": small,
            "breakdown": breakdown}


@pytest.fixture
def prevalence() -> pd.DataFrame:
    """Two partners x two themes, three years; France and 2021 are small groups."""
    rows = [
        _row("document", "partner", CRIME, 3, 12, partner="Japan"),
        _row("document", "partner", CYBER, 9, 12, partner="Japan"),
        _row("document", "partner", CRIME, 2, 4, partner="France", small=True),
        _row("document", "partner", CYBER, 1, 4, partner="France", small=True),
        _row("passage", "partner", CRIME, 10, 50, partner="Japan"),
        _row("document", "year", CRIME, 2, 10, year=2020),
        _row("document", "year", CRIME, 1, 3, year=2021, small=True),
        _row("document", "year", CRIME, 4, 10, year=2022),
        _row("document", "year", CYBER, 5, 10, year=2020),
        _row("document", "year", CYBER, 2, 3, year=2021, small=True),
        _row("document", "year", CYBER, 8, 10, year=2022),
    ]
    return pd.DataFrame(rows).astype({"partner": "string", "year": "Int64"})


# ---------------------------------------------------------------- style


def test_paper_context_is_scoped():
    before = dict(matplotlib.rcParams)
    with paper_context():
        assert matplotlib.rcParams["pdf.fonttype"] == 42
        assert matplotlib.rcParams["svg.fonttype"] == "none"
        assert matplotlib.rcParams["svg.hashsalt"] == "coopthemes"
        assert matplotlib.rcParams["font.size"] == 8
        assert matplotlib.rcParams["font.sans-serif"][0] == "DejaVu Sans"
    with paper_context({"font.size": 11}):
        assert matplotlib.rcParams["font.size"] == 11
    assert dict(matplotlib.rcParams) == before


def test_widths():
    assert (COLUMN_WIDTH, PAGE_WIDTH) == (3.5, 7.0)


def test_palette_choice_by_size():
    assert palette(0) == []
    assert palette(5) == list(OKABE_ITO[:5])
    assert palette(8) == list(OKABE_ITO)
    assert palette(9) == list(TOL_MUTED)
    assert palette(12) == list(TOL_MUTED) + list(TOL_LIGHT[:3])
    many = palette(20)
    assert many[17:] == many[:3] and len(set(many)) == 17
    assert OUTLIER_COLOR not in many
    with pytest.raises(ValueError, match="n must be >= 0"):
        palette(-1)


def _missing_glyph_warnings(text: str) -> list[str]:
    with paper_context(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title(text)
        ax.set_xlabel(text)
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_vietnamese_diacritics_render_without_missing_glyphs():
    assert _missing_glyph_warnings(VIETNAMESE) == []


def test_missing_glyph_check_detects_unsupported_text():
    # Control: the same check does flag a character DejaVu Sans lacks.
    assert len(_missing_glyph_warnings("合作")) >= 1


# ---------------------------------------------------------------- labels


def test_wrap_label_wraps_and_truncates():
    label = "Phòng cháy chữa cháy & cứu nạn (fire prevention & rescue)"
    assert wrap_label(label, width=20, max_lines=2) == "Phòng cháy chữa cháy\n& cứu nạn (fire…"
    assert wrap_label(label, width=20, max_lines=3) == "Phòng cháy chữa cháy\n& cứu nạn (fire\nprevention & rescue)"
    assert wrap_label("  An   ninh mạng ", width=20) == "An ninh mạng"
    with pytest.raises(ValueError):
        wrap_label("x", width=1)


# ---------------------------------------------------------------- prevalence


def test_prevalence_heatmap_values_labels_and_small_groups(prevalence):
    fig, ax = plt.subplots()
    out = prevalence_heatmap(prevalence, ax=ax)
    assert out is ax
    # Cyber has the larger mean share (0.5 vs 0.25) and comes first; partners alphabetical.
    assert [t.get_text() for t in ax.get_yticklabels()] == [CYBER, CRIME]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["France\n(n=4)", "Japan\n(n=12)"]
    image = ax.get_images()[0]
    np.testing.assert_allclose(image.get_array(), [[25.0, 75.0], [50.0, 25.0]])
    assert sorted(t.get_text() for t in ax.texts) == ["25", "25", "50", "75"]
    hatched = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_hatch()]
    assert sorted(p.get_x() + 0.5 for p in hatched) == [0.0, 0.0]  # the France column
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["small group"]


def test_prevalence_heatmap_uses_current_axes_and_passes_kwargs(prevalence):
    fig, ax = plt.subplots()
    prevalence_heatmap(prevalence, annotate=False, vmax=100.0)
    assert ax.get_images()[0].get_clim() == (0.0, 100.0)
    assert len(ax.texts) == 0


def test_prevalence_heatmap_rejects_missing_unit(prevalence):
    with pytest.raises(ValueError, match="no rows with unit='sentence'"):
        prevalence_heatmap(prevalence, unit="sentence")


def test_prevalence_trend_draws_shares_band_and_hollow_small_groups(prevalence):
    fig, ax = plt.subplots()
    prevalence_trend(prevalence, theme=CYBER, ax=ax)
    line, filled, hollow = ax.lines
    # the line and band join the years that are not small; 2021 (3 documents) stands alone
    np.testing.assert_allclose(line.get_xdata(), [2020, 2022])
    np.testing.assert_allclose(line.get_ydata(), [50.0, 80.0])
    np.testing.assert_allclose(filled.get_xdata(), [2020, 2022])
    np.testing.assert_allclose(hollow.get_xdata(), [2021])
    np.testing.assert_allclose(hollow.get_ydata(), [200.0 / 3.0])
    assert hollow.get_markerfacecolor() == "white"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2020", "2021", "2022"]
    assert ax.get_ylim()[0] == 0.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["small group (hollow)"]
    band = ax.collections[0].get_paths()[0].vertices
    assert set(np.round(band[:, 0]).astype(int)) == {2020, 2022}
    assert band[:, 1].max() == pytest.approx(100.0)  # ci_high of 2022 is capped at 1.0


def test_prevalence_trend_unknown_theme(prevalence):
    with pytest.raises(ValueError, match="no year rows for theme 'Nope'"):
        prevalence_trend(prevalence, theme="Nope")


def test_trend_grid_with_only_small_groups_draws_hollow_markers_only(prevalence):
    rows = prevalence.assign(small_group=True)
    fig = trend_grid(rows, ncols=2)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["small group (hollow)"]
    for ax in fig.axes:
        assert not ax.collections  # no interval band
        assert [len(line.get_xdata()) for line in ax.lines] == [0, 0, 3]  # no line, no filled markers


def test_trend_grid_one_panel_per_theme_shared_y(prevalence):
    fig = trend_grid(prevalence, ncols=3)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    assert [ax.get_title(loc="left") for ax in visible] == [CYBER, CRIME]
    assert visible[0].get_ylim() == visible[1].get_ylim()
    assert visible[0].get_ylim()[1] == pytest.approx(105.0)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["share", "95% interval", "small group (hollow)"]


def test_group_dots_positions_colours_and_legend(prevalence):
    fig, ax = plt.subplots()
    group_dots(prevalence, ax=ax)
    containers = ax.containers
    # Japan has no small group (one call), France only small groups (one call, hollow).
    assert len(containers) == 2
    france, japan = containers
    x_france, y_france = france.lines[0].get_data()
    np.testing.assert_allclose(sorted(x_france), [25.0, 50.0])
    assert france.lines[0].get_markerfacecolor() == "white"
    assert to_hex(japan.lines[0].get_color()) == to_hex(OKABE_ITO[1])
    np.testing.assert_allclose(japan.lines[0].get_data()[1], [1.15, 0.15])  # rows dodged by +0.15
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["France (n=4)", "Japan (n=12)", "small group (hollow)"]


def test_effects_plot_expected_shares():
    effects = pd.DataFrame({
        "theme": [CRIME, CRIME, CYBER, CYBER, CRIME],
        "quantity": ["expected_share"] * 4 + ["coefficient"],
        "term": ["partner=France", "partner=Japan", "partner=France", "partner=Japan", "Intercept"],
        "estimate": [0.1, 0.2, 0.4, pd.NA, -1.0],
        "ci_low": [0.05, 0.1, 0.3, pd.NA, -2.0],
        "ci_high": [0.2, 0.3, 0.5, pd.NA, 0.0],
    })
    fig, ax = plt.subplots()
    effects_plot(effects, ax=ax)
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Partner"
    assert [t.get_text() for t in legend.get_texts()] == ["France", "Japan"]
    france = ax.containers[0].lines[0]
    np.testing.assert_allclose(sorted(france.get_xdata()), [10.0, 40.0])
    assert [t.get_text() for t in ax.get_yticklabels()] == [CYBER, CRIME]  # by mean estimate
    with pytest.raises(ValueError, match="no coefficient rows"):
        effects_plot(effects, quantity="coefficient", terms=["year"])


# ---------------------------------------------------------------- themes


@pytest.fixture(scope="module")
def synthetic() -> dict:
    return synthetic_results(seed=3, n_documents=30)


def test_theme_map_colours_markers_and_legends(synthetic):
    data = synthetic["theme_map"]
    fig, ax = plt.subplots()
    theme_map(data, ax=ax)
    n_points = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_points == len(data)
    outliers = [c for c in ax.collections if to_hex(c.get_facecolor()[0]) == OUTLIER_COLOR.lower()]
    assert sum(len(c.get_offsets()) for c in outliers) == int((data["theme_id"] < 0).sum())
    assert ax.collections[0] in outliers  # outliers are drawn first, underneath
    legends = [a for a in ax.get_children() if isinstance(a, matplotlib.legend.Legend)]
    titles = sorted(leg.get_title().get_text() for leg in legends)
    assert titles == ["Language", "Theme"]
    language = next(leg for leg in legends if leg.get_title().get_text() == "Language")
    assert [t.get_text() for t in language.get_texts()] == ["English", "French", "Vietnamese"]
    markers = [h.get_marker() for h in language.legend_handles]
    assert markers == ["^", "s", "o"]
    assert ax.get_xticks().size == 0


def test_theme_map_requires_columns(synthetic):
    with pytest.raises(ValueError, match="theme_map: missing column"):
        theme_map(synthetic["theme_map"].drop(columns=["language"]))


def test_top_terms_text_table(synthetic):
    themes = synthetic["themes"]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 4))
    top_terms(synthetic["terms"], themes=themes, languages="vi", n_terms=2, ax=ax)
    texts = [t.get_text() for t in ax.texts]
    assert texts[:2] == ["Theme", "Vietnamese"]
    assert "tội phạm, xuyên quốc gia" in texts
    assert "phòng cháy chữa cháy, cứu nạn" in texts
    assert not ax.axison


def test_top_terms_figure_fits_every_row(synthetic):
    with paper_context():
        fig = top_terms_figure(synthetic["terms"], themes=synthetic["themes"], n_terms=6)
        fig.canvas.draw()
        ax = fig.axes[0]
        inside = ax.get_window_extent()
        for text in ax.texts:
            box = text.get_window_extent()
            assert box.y0 >= inside.y0 - 1 and box.y1 <= inside.y1 + 1, text.get_text()
        assert len(ax.texts) == 4 * (1 + len(synthetic["themes"]))


# ---------------------------------------------------------------- corpus


@pytest.fixture
def documents() -> pd.DataFrame:
    return pd.DataFrame({
        "doc_id": ["a", "b", "c", "d", "e"],
        "language": ["vi", "vi", "fr", "en", "vi"],
        "year": pd.array([2020, pd.NA, 2021, 2020, 2020], dtype="Int64"),
        "partners": [["Japan"], ["Japan", "France"], [], ["France"], ["Japan"]],
        "status": ["ok", "ok", "ok", "ok", "error"],
    })


def _bar_heights(ax) -> dict[str, list[float]]:
    labels = [t.get_text() for t in ax.get_xticklabels()]
    out: dict[str, list[float]] = {}
    for container in ax.containers:
        out[container.get_label()] = [float(p.get_height()) for p in container.patches]
    return {"labels": labels, **out}


def test_corpus_counts_by_partner_explodes_lists(documents):
    fig, ax = plt.subplots()
    corpus_counts(documents, by="partner", ax=ax)
    assert _bar_heights(ax) == {
        "labels": ["France", "Japan", "none"],
        "English": [1.0, 0.0, 0.0],
        "French": [0.0, 0.0, 1.0],
        "Vietnamese": [1.0, 2.0, 0.0],
    }


def test_corpus_counts_by_year_and_status(documents):
    fig, ax = plt.subplots()
    corpus_counts(documents, by="year", ax=ax)
    heights = _bar_heights(ax)
    assert heights["labels"] == ["2020", "2021", "unknown"]
    assert heights["Vietnamese"] == [1.0, 0.0, 1.0]
    fig, ax = plt.subplots()
    corpus_counts(documents, by="year", status=None, ax=ax)
    assert _bar_heights(ax)["Vietnamese"] == [2.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="by must be"):
        corpus_counts(documents, by="outlet")


def test_corpus_overview_three_panels(documents):
    fig = corpus_overview(documents)
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["By partner", "By year", "By language"]
    assert [t.get_text() for t in fig.axes[2].get_xticklabels()] == ["English", "French", "Vietnamese"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["English", "French", "Vietnamese"]
