"""A synthetic results folder with the shape of a real run, for tests and previews.

The tables follow the results-folder contract (see :mod:`coopthemes.results`)
and are drawn from a seeded generator: 3 partners (China, France, Japan),
years 2020-2023 (some documents without a year or a partner), documents in
Vietnamese, French and English, five themes (four from the codebook, one
discovered) with multilingual terms, outlier passages, and shares with 95%
Wilson intervals computed from the generated assignments. Nothing here is
data about the real world; it exists so that every figure and table can be
drawn and checked without running the models.

Run ``python -m coopthemes.report.synthetic OUT_DIR`` to write one.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["PARTNERS", "THEMES", "YEARS", "synthetic_results", "write_synthetic_results"]

PARTNERS = ("China", "France", "Japan")
YEARS = (2020, 2021, 2022, 2023)
_PARTNER_NAMES = {
    "vi": {"China": "Trung Quốc", "France": "Pháp", "Japan": "Nhật Bản"},
    "fr": {"China": "la Chine", "France": "la France", "Japan": "le Japon"},
    "en": {"China": "China", "France": "France", "Japan": "Japan"},
}
_TITLES = {
    "vi": "Bộ Công an hội đàm với {p} về {t}",
    "fr": "Le ministère de la Sécurité publique reçoit {p} : {t}",
    "en": "Ministry of Public Security meets {p} on {t}",
}

#: (theme_id, label, codebook_id, terms per language, share of the theme per partner)
THEMES = (
    (0, "Transnational crime", "transnational_crime",
     {"vi": ["tội phạm", "xuyên quốc gia", "rửa tiền", "dẫn độ", "truy nã", "tương trợ tư pháp"],
      "fr": ["criminalité", "transnationale", "blanchiment", "extradition", "entraide", "Interpol"],
      "en": ["crime", "transnational", "money laundering", "extradition", "fugitives", "Interpol"]},
     {"China": 0.30, "France": 0.30, "Japan": 0.15}),
    (1, "Cybercrime, high-tech crime and an ninh mạng (cybersecurity) cooperation", "cybercrime",
     {"vi": ["an ninh mạng", "tội phạm mạng", "công nghệ cao", "lừa đảo trực tuyến", "dữ liệu"],
      "fr": ["cybersécurité", "cybercriminalité", "données", "escroqueries", "numérique"],
      "en": ["cybersecurity", "cybercrime", "high-tech", "online fraud", "data"]},
     {"China": 0.25, "France": 0.15, "Japan": 0.20}),
    (2, "Phòng cháy chữa cháy & cứu nạn (fire prevention & rescue)", "fire_rescue",
     {"vi": ["phòng cháy chữa cháy", "cứu nạn", "cứu hộ", "thiết bị", "diễn tập"],
      "fr": ["pompiers", "incendie", "secours", "équipements", "exercice"],
      "en": ["fire prevention", "rescue", "firefighting", "equipment", "drill"]},
     {"China": 0.05, "France": 0.10, "Japan": 0.30}),
    (3, "Training of officers / Đào tạo cán bộ", "training",
     {"vi": ["đào tạo", "cán bộ", "học viện", "học bổng", "tiếng Pháp", "kinh nghiệm"],
      "fr": ["formation", "cadres", "académie", "bourses", "stage", "coopération"],
      "en": ["training", "officers", "academy", "scholarships", "exchange", "experience"]},
     {"China": 0.10, "France": 0.35, "Japan": 0.25}),
    (4, "D4: ma tuý, heroin, drogue, trafic_frontière", None,
     {"vi": ["ma tuý", "heroin", "biên giới", "vận chuyển", "triệt phá"],
      "fr": ["drogue", "trafic", "frontière", "saisie", "stupéfiants"],
      "en": ["drugs", "heroin", "border", "trafficking", "seizure"]},
     {"China": 0.30, "France": 0.10, "Japan": 0.10}),
)
_OUTLIER = "(outlier)"
_DROP = ("caption", "boilerplate", "too_short", "duplicate")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _documents(rng: np.random.Generator, n_documents: int) -> pd.DataFrame:
    rows = []
    for i in range(n_documents):
        language = str(rng.choice(["vi", "fr", "en"], p=[0.5, 0.2, 0.3]))
        draw = rng.random()
        partners = [] if draw < 0.06 else [str(rng.choice(PARTNERS, p=[0.2, 0.35, 0.45]))]
        if 0.06 <= draw < 0.14:
            partners = sorted({partners[0], str(rng.choice(PARTNERS))})
        year = pd.NA if rng.random() < 0.08 else int(rng.choice(YEARS, p=[0.2, 0.25, 0.25, 0.3]))
        status, reason = "ok", pd.NA
        if i in (7, 23):
            status, reason = "empty", "no text left after removing page furniture"
        elif i == 31:
            status, reason = "error", "could not decode file (unknown encoding)"
        doc_id = f"{language}-{i:03d}"
        topic = THEMES[i % len(THEMES)][3][language][0]
        names = [_PARTNER_NAMES[language][p] for p in partners] or ["đối tác" if language == "vi" else "partner"]
        rows.append({
            "doc_id": doc_id, "source_path": f"corpus/{doc_id}.txt", "sha256": _sha(doc_id),
            "title": _TITLES[language].format(p=" & ".join(names), t=topic), "language": language,
            "date": pd.NA if year is pd.NA else f"{year}-{1 + i % 12:02d}", "year": year,
            "year_source": "none" if year is pd.NA else ("header" if i % 3 else "text"),
            "partners": partners, "partner_source": "text" if partners else "none",
            "outlet": {"vi": "TTXVN", "fr": "Le Courrier du Vietnam", "en": "VNA"}[language],
            "n_passages": 0, "status": status, "reason": reason,
        })
    docs = pd.DataFrame(rows)
    return docs.astype({"year": "Int64", "date": "string", "reason": "string"})


def _theme_probabilities(partners: list[str], year: object) -> np.ndarray:
    base = np.array([np.mean([t[4][p] for p in partners]) if partners else 0.2 for t in THEMES])
    if year is not pd.NA:
        base[1] *= 1.0 + 0.35 * (int(year) - YEARS[0])  # cybercrime grows over the years
    return base / base.sum()


def _passages_and_assignments(rng: np.random.Generator, docs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    passages, assignments = [], []
    for doc in docs[docs["status"] == "ok"].itertuples(index=False):
        probs = _theme_probabilities(doc.partners, doc.year)
        main = int(rng.choice(len(THEMES), p=probs))
        probs = 0.35 * probs + 0.65 * np.eye(len(THEMES))[main]  # articles focus on one theme
        for position in range(int(rng.integers(4, 10))):
            pid = f"{doc.doc_id}:{position:03d}"
            dropped = rng.random() < 0.12
            theme_id = int(rng.choice(len(THEMES), p=probs))
            terms = THEMES[theme_id][3][doc.language]
            passages.append({
                "passage_id": pid, "doc_id": doc.doc_id, "position": position,
                "text": " ".join(rng.permutation(terms)[:3]), "language": doc.language,
                "partners": list(doc.partners), "year": doc.year, "kept": not dropped,
                "drop_reason": str(rng.choice(_DROP)) if dropped else pd.NA,
            })
            if not dropped:
                outlier = rng.random() < 0.08
                assignments.append({
                    "passage_id": pid, "theme_id": -1 if outlier else theme_id,
                    "theme": _OUTLIER if outlier else THEMES[theme_id][1],
                    "probability": round(float(rng.uniform(0.05, 0.3) if outlier else rng.uniform(0.5, 1.0)), 4),
                    "is_outlier": outlier,
                })
    p = pd.DataFrame(passages).astype({"year": "Int64", "drop_reason": "string", "position": "int64"})
    return p, pd.DataFrame(assignments)


def _themes_table(assignments: pd.DataFrame, passages: pd.DataFrame) -> pd.DataFrame:
    merged = assignments.merge(passages[["passage_id", "language"]], on="passage_id")
    rows = []
    for theme_id, label, codebook_id, terms, _ in THEMES:
        part = merged[merged["theme_id"] == theme_id].sort_values(["probability", "passage_id"],
                                                                 ascending=[False, True])
        mix = part["language"].value_counts(normalize=True).sort_index()
        rows.append({
            "theme_id": theme_id, "theme": label, "codebook_id": codebook_id,
            "label_confidence": [0.9, 0.75, 1.0, 0.6, float("nan")][theme_id], "size": len(part),
            "stability": [1.0, 0.9, 0.8, 1.0, 0.3][theme_id], "unstable": theme_id == 4,
            "language_mix": json.dumps({k: round(float(v), 4) for k, v in mix.items()}, sort_keys=True),
            "representative_passages": part["passage_id"].head(3).tolist(),
        })
    return pd.DataFrame(rows).astype({"codebook_id": "string"})


def _terms_table() -> pd.DataFrame:
    rows = [
        {"theme_id": theme_id, "language": lang, "rank": rank, "term": term, "weight": round(1.0 / rank, 6)}
        for theme_id, _, _, terms, _ in THEMES
        for lang in sorted(terms)
        for rank, term in enumerate(terms[lang], start=1)
    ]
    return pd.DataFrame(rows).astype({"language": "string", "term": "string"})


def _theme_map(rng: np.random.Generator, assignments: pd.DataFrame, passages: pd.DataFrame) -> pd.DataFrame:
    merged = assignments.merge(passages[["passage_id", "language"]], on="passage_id").sort_values("passage_id")
    angle = 2 * np.pi * merged["theme_id"].clip(lower=0).to_numpy() / len(THEMES)
    spread = np.where(merged["theme_id"] < 0, 3.0, 0.8)
    return pd.DataFrame({
        "passage_id": merged["passage_id"].to_numpy(),
        "x": np.where(merged["theme_id"] < 0, 0.0, 5 * np.cos(angle)) + rng.normal(0, 1, len(merged)) * spread,
        "y": np.where(merged["theme_id"] < 0, 0.0, 5 * np.sin(angle)) + rng.normal(0, 1, len(merged)) * spread,
        "theme_id": merged["theme_id"].to_numpy(), "theme": merged["theme"].to_numpy(),
        "language": merged["language"].to_numpy(),
    })


def _wilson(n: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    if total == 0:
        return math.nan, math.nan
    p = n / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def _with_groups(kept: pd.DataFrame, by: tuple[str, ...]) -> pd.DataFrame:
    """Kept passages with their group columns; several partners give several rows."""
    data = kept
    if "partner" in by:
        data = kept.assign(partner=kept["partners"].map(lambda ps: list(ps) or [pd.NA])).explode("partner")
    return data.dropna(subset=list(by))


def _prevalence(kept: pd.DataFrame, *, min_group_size: int) -> pd.DataFrame:
    themes = sorted(t[1] for t in THEMES)
    rows = []
    for breakdown, by in (("partner", ("partner",)), ("partner+year", ("partner", "year")), ("year", ("year",))):
        data = _with_groups(kept, by)
        for key, group in data.groupby(list(by), sort=True):
            key = dict(zip(by, key))
            n_docs = group["doc_id"].nunique()
            for theme in themes:
                hits = group[group["theme"] == theme]
                for unit, n, total in (("document", hits["doc_id"].nunique(), n_docs),
                                       ("passage", len(hits), len(group))):
                    low, high = _wilson(n, total)
                    rows.append({"unit": unit, "partner": key.get("partner", pd.NA), "year": key.get("year", pd.NA),
                                 "theme": theme, "n": n, "n_group": total, "share": n / total,
                                 "ci_low": low, "ci_high": high, "small_group": n_docs < min_group_size,
                                 "breakdown": breakdown})
    out = pd.DataFrame(rows).astype({"partner": "string", "year": "Int64"})
    return out.sort_values(["breakdown", "unit", "partner", "year", "theme"], kind="stable").reset_index(drop=True)


def _effects(kept: pd.DataFrame) -> pd.DataFrame:
    """Passage share per partner (expected_share), log-odds contrasts to China (coefficient), differences."""
    data = _with_groups(kept, ("partner",))
    rows = []
    for theme in sorted(t[1] for t in THEMES):
        counts = {p: (int((g["theme"] == theme).sum()), len(g)) for p, g in data.groupby("partner", sort=True)}
        ref = PARTNERS[0]
        # Haldane-Anscombe correction (+0.5) keeps empty and full cells finite.
        logit = {p: math.log((a + 0.5) / (n - a + 0.5)) for p, (a, n) in counts.items()}
        var = {p: 1 / (a + 0.5) + 1 / (n - a + 0.5) for p, (a, n) in counts.items()}
        n_docs = data["doc_id"].nunique()
        terms = [("Intercept", logit[ref], var[ref])]
        terms += [(f"partner={p}", logit[p] - logit[ref], var[p] + var[ref]) for p in PARTNERS[1:]]
        for term, est, v in terms:
            se = math.sqrt(v)
            p_value = math.erfc(abs(est / se) / math.sqrt(2))
            rows.append({"theme": theme, "quantity": "coefficient", "term": term, "estimate": est,
                         "std_error": se, "ci_low": est - 1.959964 * se, "ci_high": est + 1.959964 * se,
                         "p_value": p_value, "n_documents": n_docs, "note": pd.NA})
        for p, (a, n) in counts.items():
            low, high = _wilson(a, n)
            rows.append({"theme": theme, "quantity": "expected_share", "term": f"partner={p}", "estimate": a / n,
                         "std_error": math.sqrt(a / n * (1 - a / n) / n), "ci_low": low, "ci_high": high,
                         "p_value": math.nan, "n_documents": n_docs, "note": pd.NA})
        for i, a in enumerate(PARTNERS):  # differences of shares, Wald intervals
            for b in PARTNERS[i + 1:]:
                (ha, na), (hb, nb) = counts[a], counts[b]
                est = ha / na - hb / nb
                se = math.sqrt(ha / na * (1 - ha / na) / na + hb / nb * (1 - hb / nb) / nb) or 1e-9
                rows.append({"theme": theme, "quantity": "difference", "term": f"partner={a} - partner={b}",
                             "estimate": est, "std_error": se, "ci_low": est - 1.959964 * se,
                             "ci_high": est + 1.959964 * se, "p_value": math.erfc(abs(est / se) / math.sqrt(2)),
                             "n_documents": n_docs, "note": pd.NA})
    return pd.DataFrame(rows).astype({"note": "string", "p_value": "float64"})


def synthetic_results(*, seed: int = 0, n_documents: int = 60, min_group_size: int = 12) -> dict:
    """Generate the tables of a results folder.

    Parameters
    ----------
    seed : int
        Seed of the generator; equal seeds give equal tables.
    n_documents : int
        Documents in the ledger (three of them are not ``ok``).
    min_group_size : int
        Groups with fewer documents are flagged ``small_group``.

    Returns
    -------
    dict
        ``documents, passages, assignments, themes, terms, theme_map,
        prevalence, effects`` (DataFrames) and ``run`` (the ``run.json`` dict).
    """
    from coopthemes.provenance import corpus_hash

    rng = np.random.default_rng(seed)
    docs = _documents(rng, n_documents)
    passages, assignments = _passages_and_assignments(rng, docs)
    docs["n_passages"] = docs["doc_id"].map(passages.groupby("doc_id").size()).fillna(0).astype("int64")
    kept = passages[passages["kept"]].merge(assignments, on="passage_id")
    excluded = int((docs["status"] != "ok").sum())
    run = {
        "config": {"seed": seed, "prevalence": {"group_column": "partner", "min_group_size": min_group_size,
                                                "interval": "wilson"}, "corpus": {"path": "corpus"}},
        "seed": seed, "corpus_hash": corpus_hash(docs), "group_column": "partner", "languages": ["vi", "fr", "en"],
        "n_documents": int(len(docs)), "n_passages_kept": int(len(kept)), "n_themes": len(THEMES),
        "notes": {"excluded_documents": excluded, "synthetic": True},
    }
    return {
        "documents": docs, "passages": passages, "assignments": assignments,
        "themes": _themes_table(assignments, passages), "terms": _terms_table(), "theme_map": _theme_map(rng, assignments, passages),
        "prevalence": _prevalence(kept, min_group_size=min_group_size), "effects": _effects(kept), "run": run,
    }


def write_synthetic_results(results_dir: str | Path, *, seed: int = 0, n_documents: int = 60) -> Path:
    """Write :func:`synthetic_results` as Parquet tables plus ``run.json`` into ``results_dir``."""
    out = Path(results_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = synthetic_results(seed=seed, n_documents=n_documents)
    run = tables.pop("run")
    for name, df in sorted(tables.items()):
        df.to_parquet(out / f"{name}.parquet", index=False)
    text = json.dumps(run, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out / "run.json").write_text(text, encoding="utf-8", newline="\n")
    return out


if __name__ == "__main__":  # pragma: no cover - command-line entry
    if len(sys.argv) != 2:
        sys.exit("usage: python -m coopthemes.report.synthetic OUT_DIR")
    print(write_synthetic_results(sys.argv[1]))
