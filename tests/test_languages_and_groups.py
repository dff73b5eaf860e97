"""Languages are a setting and any document column can be the group: a German and English
corpus grouped by a column named ``fiscal_year``, end to end through the console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from coopthemes.themes.tokenize import segment, stop_words
from conftest import ROOT

pytestmark = pytest.mark.integration

# Short news paragraphs written for this test, three topics in German and English.
TOPICS = {
    "training": {
        "de": ["Die Polizeiakademie bildet in diesem Jahr zweihundert Beamte in moderner Ermittlungsarbeit aus.",
               "Die Ausbilder der Bundespolizei unterrichten die jungen Kommissare in Kriminaltechnik und Spurensicherung.",
               "Ein neuer Lehrgang für Führungskräfte der Polizei beginnt im Herbst an der Hochschule in Münster."],
        "en": ["The police academy is training two hundred officers in modern investigation techniques this year.",
               "Federal police instructors teach young detectives forensic science and evidence collection.",
               "A new leadership course for senior police officers starts in the autumn at the college."],
    },
    "drugs": {
        "de": ["Der Zoll hat im Hafen zwei Tonnen Kokain in einem Container mit Bananen beschlagnahmt.",
               "Ermittler zerschlagen einen Drogenring, der Heroin über die Balkanroute geschmuggelt hatte.",
               "Die Fahnder fanden synthetische Drogen und Bargeld in einer Lagerhalle am Stadtrand."],
        "en": ["Customs officers seized two tonnes of cocaine hidden in a container of bananas at the port.",
               "Investigators dismantled a drug ring that smuggled heroin along the Balkan route.",
               "Agents found synthetic drugs and cash in a warehouse on the edge of the city."],
    },
    "cyber": {
        "de": ["Hacker haben die Server eines Krankenhauses verschlüsselt und verlangen ein Lösegeld in Bitcoin.",
               "Das Lagezentrum warnt vor einer Welle von Phishing-Mails, die Bankkunden um ihre Passwörter bringen.",
               "Eine Schadsoftware legte die Computer der Stadtverwaltung für mehrere Tage lahm."],
        "en": ["Hackers encrypted the servers of a hospital and are demanding a ransom in bitcoin.",
               "The cyber centre warns of a wave of phishing emails that steal bank customers' passwords.",
               "Malware shut down the computers of the city administration for several days."],
    },
}


def _corpus() -> pd.DataFrame:
    rows = []
    for topic in sorted(TOPICS):
        for lang in ("de", "en"):
            texts = TOPICS[topic][lang]
            for k in range(6):
                body = "\n\n".join([texts[k % 3], texts[(k + 1) % 3]])
                rows.append({"id": f"{topic}-{lang}-{k}", "text": body, "date": f"{2021 + k % 3}-03-01",
                             "fiscal_year": f"FY{2020 + k % 2}"})
    return pd.DataFrame(rows)


def test_german_stop_words_come_from_stopwordsiso():
    words = segment("Die Polizei hat in diesem Jahr die Beamten der Akademie ausgebildet.", "de")
    assert "polizei" in words and "akademie" in words
    assert not {"die", "hat", "in", "diesem", "der"} & set(words)
    assert "die" in stop_words("de")


def test_german_and_english_corpus_grouped_by_fiscal_year(tmp_path):
    exe = shutil.which("coopthemes", path=str(ROOT / ".venv" / "bin")) or shutil.which("coopthemes")
    cmd = [exe] if exe else [sys.executable, "-m", "coopthemes"]
    table = tmp_path / "news.csv"
    _corpus().to_csv(table, index=False)
    config = tmp_path / "config.yaml"
    config.write_text(
        "corpus:\n  languages: [de, en]\n  home_country: Germany\n  extra_columns: [fiscal_year]\n"
        f"embeddings:\n  cache_dir: {tmp_path / 'cache'}\n"
        "themes:\n  codebook_mode: 'off'\n  min_cluster_size: 5\n"
        "prevalence:\n  group_column: fiscal_year\n  n_boot: 200\n  min_group_size: 3\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    proc = subprocess.run([*cmd, "run", "--config", str(config), "--corpus", str(table), "--id-column", "id",
                           "--date-column", "date", "--out", str(out)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    results = out / "results"
    documents = pd.read_parquet(results / "documents.parquet")
    assert set(documents["language"]) == {"de", "en"}
    terms = pd.read_parquet(results / "terms.parquet")
    assert set(terms["language"]) == {"de", "en"}
    german = terms.loc[terms["language"] == "de", "term"].tolist()
    assert german and not set(german) & stop_words("de")
    assert all(any(ch.isalpha() for ch in t) for t in german)
    # the group is the fiscal_year column, never split into "fiscal" and "year"
    prevalence = pd.read_parquet(results / "prevalence.parquet")
    assert set(prevalence["breakdown"]) == {"fiscal_year", "year", "fiscal_year+year"}
    assert set(prevalence.loc[prevalence["breakdown"] == "fiscal_year", "fiscal_year"]) == {"FY2020", "FY2021"}
    tables = out / "tables"
    for stem in ("prevalence_fiscal_year_document", "prevalence_fiscal_year_year_passage",
                 "prevalence_year_document"):
        assert (tables / f"{stem}.csv").is_file(), stem
    header = (tables / "prevalence_fiscal_year_document.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("theme,fiscal_year,n,n_group")
    assert (out / "prevalence_fiscal_year.png").is_file() and (out / "prevalence_heatmap.png").is_file()
    overview = (tables / "theme_overview.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "top_terms_de" in overview and "top_terms_en" in overview and "top_terms_vi" not in overview
    assert json.loads((results / "run.json").read_text(encoding="utf-8"))["languages"] == ["de", "en"]
