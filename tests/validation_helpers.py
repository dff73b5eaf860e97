"""A small results folder written by hand for the validation tests (invented news texts).

Eight kept passages in three documents plus one failed capture; themes
0 = transnational_crime, 1 = training_capacity, 2 = maritime_security,
3 = high_level_dialogue (codebook) and 4 (discovered). ``PASSAGES`` lists
each passage's id, document, language, model theme and text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from coopthemes.results import RunResult, write_results

THEMES = [
    (0, "Transnational crime", "transnational_crime"),
    (1, "Training and capacity building", "training_capacity"),
    (2, "Maritime security", "maritime_security"),
    (3, "High-level visits and dialogue mechanisms", "high_level_dialogue"),
    (4, "D4: delegation, ceremony, flowers", None),
]

TERMS = {
    0: {"en": ["crime", "transnational", "laundering", "fraud", "gangs", "smuggling"],
        "fr": ["criminalité", "transnationale", "blanchiment", "fraude", "gangs", "contrebande"],
        "vi": ["tội phạm", "xuyên quốc gia", "rửa tiền", "lừa đảo", "băng nhóm", "buôn lậu"]},
    1: {"en": ["training", "officers", "academy", "courses", "scholarships", "skills"],
        "fr": ["formation", "officiers", "académie", "cours", "bourses", "compétences"],
        "vi": ["đào tạo", "cán bộ", "học viện", "khóa học", "học bổng", "kỹ năng"]},
    2: {"en": ["sea", "maritime", "coast guard", "vessels", "patrol", "fisheries"],
        "fr": ["mer", "maritime", "garde-côtes", "navires", "patrouille", "pêche"],
        "vi": ["biển", "hàng hải", "cảnh sát biển", "tàu", "tuần tra", "nghề cá"]},
    3: {"en": ["visit", "talks", "minister", "dialogue", "delegation", "reception"],
        "fr": ["visite", "entretien", "ministre", "dialogue", "délégation", "réception"],
        "vi": ["thăm", "hội đàm", "bộ trưởng", "đối thoại", "đoàn", "tiếp"]},
    4: {"en": ["ceremony", "flowers", "anniversary", "music", "guests", "hall"],
        "fr": ["cérémonie", "fleurs", "anniversaire", "musique", "invités", "salle"],
        "vi": ["lễ", "hoa", "kỷ niệm", "âm nhạc", "khách mời", "hội trường"]},
}

#: passage_id, doc_id, language, model theme_id, text
PASSAGES = [
    ("d1:000", "d1", "en", 0, "=HYPERLINK(\"http://example.org\") Police of the two countries agreed to fight "
                               "transnational crime and money laundering by organised gangs."),
    ("d1:001", "d1", "en", 0, "The minister also spoke about training officers at the police academy."),
    ("d1:002", "d1", "en", 1, "+84 officers will attend training courses and receive scholarships next year."),
    ("d1:003", "d1", "en", 1, "Both sides will expand training in investigation skills for young officers."),
    ("d2:000", "d2", "fr", 2, "Les garde-côtes des deux pays patrouilleront en mer pour protéger la pêche."),
    ("d2:001", "d2", "fr", 2, "- La cérémonie s'est terminée par de la musique et des fleurs pour les invités."),
    ("d3:000", "d3", "vi", 4, "@ Buổi lễ kỷ niệm có âm nhạc, hoa và nhiều khách mời "
                              "tại hội trường."),
    ("d3:001", "d3", "vi", 4, "Hai bên nhất trí tăng cường tuần tra trên biển và bảo vệ nghề cá."),
]

DOCUMENTS = [
    # doc_id, language, title, partners, year, status
    ("d1", "en", "Police cooperation talks", ["Japan"], 2021, "ok"),
    ("d2", "fr", "Coopération maritime", ["France"], 2022, "ok"),
    ("d3", "vi", "Lễ kỷ niệm", [], None, "ok"),
    ("d4", "vi", None, [], None, "empty"),
]


def results_tables(*, partners: bool = True, years: bool = True) -> tuple[dict, dict]:
    """The tables and run facts of the hand-made results."""
    docs = pd.DataFrame({
        "doc_id": pd.array([d[0] for d in DOCUMENTS], dtype="string"),
        "source_path": pd.array([f"{d[0]}.txt" for d in DOCUMENTS], dtype="string"),
        "sha256": pd.array([f"{i:064x}" for i in range(len(DOCUMENTS))], dtype="string"),
        "title": pd.array([d[2] for d in DOCUMENTS], dtype="string"),
        "language": pd.array([d[1] for d in DOCUMENTS], dtype="string"),
        "date": pd.array([None] * len(DOCUMENTS), dtype="string"),
        "year": pd.array([d[4] if years else None for d in DOCUMENTS], dtype="Int64"),
        "year_source": pd.array(["text" if years and d[4] else "none" for d in DOCUMENTS], dtype="string"),
        "partners": [list(d[3]) if partners else [] for d in DOCUMENTS],
        "partner_source": pd.array(["text" if partners and d[3] else "none" for d in DOCUMENTS], dtype="string"),
        "outlet": pd.array([None] * len(DOCUMENTS), dtype="string"),
        "n_passages": [sum(p[1] == d[0] for p in PASSAGES) for d in DOCUMENTS],
        "status": pd.array([d[5] for d in DOCUMENTS], dtype="string"),
        "reason": pd.array([None if d[5] == "ok" else "failed capture" for d in DOCUMENTS], dtype="string"),
    })
    partner_of = {d[0]: (list(d[3]) if partners else []) for d in DOCUMENTS}
    year_of = {d[0]: (d[4] if years else None) for d in DOCUMENTS}
    rows = [(p[0], p[1], int(p[0][-3:]), p[4], p[2], partner_of[p[1]], year_of[p[1]], True, None) for p in PASSAGES]
    rows.append(("d1:004", "d1", 4, "Ảnh: TTXVN", "vi", partner_of["d1"], year_of["d1"], False, "caption"))
    passages = pd.DataFrame(rows, columns=["passage_id", "doc_id", "position", "text", "language", "partners", "year",
                                           "kept", "drop_reason"])
    passages["year"] = passages["year"].astype("Int64")
    labels = {t[0]: t[1] for t in THEMES}
    assignments = pd.DataFrame({
        "passage_id": [p[0] for p in PASSAGES],
        "theme_id": [p[3] for p in PASSAGES],
        "theme": [labels[p[3]] for p in PASSAGES],
        "probability": 0.9,
        "is_outlier": False,
    })
    themes = pd.DataFrame({
        "theme_id": [t[0] for t in THEMES],
        "theme": [t[1] for t in THEMES],
        "codebook_id": pd.array([t[2] for t in THEMES], dtype="string"),
        "size": [sum(p[3] == t[0] for p in PASSAGES) for t in THEMES],
        "language_mix": ["{}"] * len(THEMES),
        "representative_passages": [[p[0] for p in PASSAGES if p[3] == t[0]][:1] for t in THEMES],
    })
    terms = pd.DataFrame([(t, lang, r, w, 1.0 / r) for t, by in TERMS.items() for lang, ws in by.items()
                          for r, w in enumerate(ws, start=1)],
                         columns=["theme_id", "language", "rank", "term", "weight"])
    info = {"corpus_hash": "0" * 64, "languages": ["vi", "fr", "en"], "seed": 0, "n_documents": len(DOCUMENTS),
            "n_passages_kept": len(PASSAGES), "n_themes": len(THEMES), "config": {"themes": {"codebook": None}}}
    tables = {"documents": docs, "passages": passages, "assignments": assignments, "themes": themes, "terms": terms}
    return tables, info


def write_hand_results(folder: str | Path, *, partners: bool = True, years: bool = True) -> Path:
    """Write the hand-made results folder; return it."""
    tables, info = results_tables(partners=partners, years=years)
    return write_results(RunResult(tables=tables, info=info), folder)


def model_code(passage_id: str) -> str:
    """The model's code of a passage in the hand-made results."""
    theme = next(p[3] for p in PASSAGES if p[0] == passage_id)
    code = THEMES[theme][2]
    return code if code is not None else "none"


def fill(sheet: pd.DataFrame, codes: dict, *, column: str = "passage_id") -> pd.DataFrame:
    """A copy of a coder's sheet with ``code`` set from ``codes`` (by passage or document id)."""
    out = sheet.copy()
    out["code"] = [codes[i] for i in out[column]]
    return out


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path
