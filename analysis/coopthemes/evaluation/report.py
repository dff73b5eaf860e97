"""Write evaluation results: ``metrics.json``, ``report.md`` and the sweep table and figure."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

__all__ = ["METRIC_DESCRIPTIONS", "plot_sweep", "write_metrics", "write_report", "write_sweep"]

METRIC_DESCRIPTIONS = {
    "n_themes": "themes (outliers excluded)",
    "outlier_rate": "share HDBSCAN left as outliers (before outlier reduction)",
    "nmi": "NMI with the gold labels (final assignments)",
    "nmi_no_outliers": "NMI without HDBSCAN's outliers",
    "ari": "adjusted Rand index with the gold labels",
    "coherence_npmi": "mean NPMI of each theme's top 10 terms, per language, on this corpus",
    "diversity": "share of unique terms among all themes' top 25 (per language)",
    "language_purity": "size-weighted share of each theme's majority language (1/3 = fully mixed)",
    "crosslingual_consistency": "share of parallel groups whose members share one theme",
    "crosslingual_consistency_strict": "the same, counting HDBSCAN outliers as failures",
    "stability": "mean pairwise ARI over 5 seeds",
}


def write_metrics(metrics: Mapping, out_dir: Path) -> Path:
    path = Path(out_dir) / "metrics.json"
    path.write_text(json.dumps(dict(metrics), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in sorted(value.items()))
    return str(value)


def write_report(metrics: Mapping, themes: pd.DataFrame, terms: pd.DataFrame, out_dir: Path, *, title: str,
                 command: str) -> Path:
    """A readable ``report.md``: the metrics, what each means, and the themes with their top terms."""
    from ..themes.terms import top_terms_by_language

    lines = [f"# Evaluation: {title}", "", f"Command: `{command}`", "", "| metric | value | meaning |",
             "|---|---:|---|"]
    for key in sorted(metrics):
        lines.append(f"| {key} | {_fmt(metrics[key])} | {METRIC_DESCRIPTIONS.get(key, '')} |")
    languages = sorted(terms["language"].astype(str).unique())
    lines += ["", "## Themes", "", f"| id | theme | size | languages | top terms ({' / '.join(languages)}) |",
              "|---:|---|---:|---|---|"]
    for row in themes.itertuples(index=False):
        words = top_terms_by_language(terms, int(row.theme_id))
        terms_text = " / ".join(", ".join(words.get(lang, [])[:5]) for lang in languages)
        mix = ", ".join(f"{k} {v:.2f}" for k, v in sorted(json.loads(row.language_mix).items()))
        lines.append(f"| {row.theme_id} | {row.theme.replace('|', '/')} | {row.size} | {mix} | {terms_text} |")
    path = Path(out_dir) / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SWEEP_METRICS = ("n_themes", "outlier_rate", "nmi", "coherence_npmi", "diversity",
                 "crosslingual_consistency", "stability")


def sweep_table(results: Sequence[tuple[object, Mapping]], parameter: str) -> pd.DataFrame:
    rows = []
    for value, metrics in results:
        row = {parameter: value}
        row.update({k: metrics.get(k) for k in SWEEP_METRICS})
        rows.append(row)
    return pd.DataFrame(rows)


def plot_sweep(table: pd.DataFrame, parameter: str, *, fig=None):
    """One small panel per metric against the swept parameter."""
    import matplotlib.pyplot as plt

    from ..plotting.style import PAGE_WIDTH, palette

    metrics = [m for m in SWEEP_METRICS if table[m].notna().any()]
    ncols = 4
    nrows = -(-len(metrics) // ncols)
    fig = fig or plt.figure(figsize=(PAGE_WIDTH, 1.7 * nrows + 0.3))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    color = palette(1)[0]
    for ax, metric in zip(axes.flat, metrics):
        ax.plot(table[parameter], table[metric].astype(float), marker="o", color=color)
        ax.set_title(metric.replace("_", " "))
        ax.set_xticks(table[parameter].tolist())
        ax.set_xlabel(parameter.replace("_", " "))
    for ax in list(axes.flat)[len(metrics):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def write_sweep(results, parameter: str, out_dir: Path) -> list[Path]:
    """``sweep_<parameter>`` as CSV, Markdown and PDF/PNG/SVG."""
    from ..plotting import paper_context, save_figure
    from ..tables import write_table

    table = sweep_table(results, parameter)
    out = Path(out_dir)
    rounded = table.assign(**{m: table[m].astype(float).round(3) for m in SWEEP_METRICS if m != "n_themes"})
    paths = write_table(rounded, f"sweep_{parameter}", out, caption=f"Metrics by {parameter}")
    with paper_context():
        fig = plot_sweep(table, parameter)
        paths += save_figure(fig, f"sweep_{parameter}", out)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return paths
