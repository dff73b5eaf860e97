"""A researcher's own table, made for the tests: short English news items with a date and a country.

Each article reports a meeting of Vietnam's Ministry of Public Security with
a foreign partner on one of four activities (police training, cybercrime,
drug trafficking, fire and rescue), in sentences drawn from a pool per
activity with a seeded generator, so that the table is the same on every
machine. Nothing here describes real events.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

PARTNERS = ("Australia", "France", "Japan", "Korea")
YEARS = (2019, 2020, 2021, 2022, 2023)

_LEADS = (
    "Vietnam's Ministry of Public Security held talks with a police delegation of {p} in Hanoi.",
    "Deputy Minister of Public Security of Vietnam received the ambassador of {p} to discuss cooperation.",
    "The Ministry of Public Security of Vietnam and the national police of {p} signed a cooperation plan.",
)

#: Per activity: who acts, what they do, and a detail; a sentence joins one of each.
_TOPICS = {
    "training": (
        ("The two sides", "Instructors from {p}", "The People's Police Academy", "The training department",
         "Senior lecturers", "The deputy director of the academy"),
        ("agreed to expand training courses for police officers", "will teach investigation techniques to cadets",
         "will exchange lecturers and organise seminars on teaching methods",
         "offered scholarships in forensic science and criminal law", "opened a course on community policing",
         "reviewed the curriculum of the officer training programme"),
        ("over the next three years", "for young officers from every province", "with practical field exercises",
         "including foreign language classes", "at the academy's new campus", "for instructors and commanders"),
    ),
    "cyber": (
        ("Both ministries", "Cybersecurity specialists", "A joint working group", "The cyber police department",
         "Digital forensics experts", "The partner's national cyber centre"),
        ("pledged to share information on cyber attacks", "discussed online fraud schemes that steal personal data",
         "will trace ransomware gangs and seize their servers", "will recover electronic evidence from phones",
         "warned about money laundering through online scams", "set up a hotline to preserve data held by internet firms"),
        ("against banks and government networks", "spread through fake websites and messages",
         "operating from abroad", "in cases of high-tech crime", "before the evidence is deleted",
         "with the help of internet service providers"),
    ),
    "drugs": (
        ("The anti-narcotics police", "Customs and border guards", "A joint task force", "The drug squad",
         "Investigators of both countries", "The counter-narcotics bureau"),
        ("focused on trafficking routes that carry heroin and methamphetamine",
         "will coordinate controlled deliveries to dismantle smuggling rings",
         "seized synthetic drugs and arrested traffickers", "will share intelligence on precursor chemicals",
         "investigated the financial flows of groups selling narcotics",
         "raised concern about new psychoactive substances"),
        ("across the northern border", "at seaports and international airports", "in the Golden Triangle",
         "hidden in shipping containers", "among young people in big cities", "with the support of liaison officers"),
    ),
    "fire": (
        ("Firefighters", "The fire and rescue police", "Rescue teams", "Fire safety inspectors",
         "The partner's civil protection agency", "Provincial fire brigades"),
        ("will receive fire engines, ladders and breathing equipment", "practised rescue drills in high-rise buildings",
         "shared lessons on fire prevention in factories and markets",
         "trained to search collapsed buildings after earthquakes and floods",
         "will build a training centre for firefighting and rescue",
         "learned to check alarms, sprinklers and emergency exits"),
        ("in crowded residential areas", "with sniffer dogs and thermal cameras", "near the capital",
         "in karaoke bars and shopping centres", "before the dry season", "in underground car parks"),
    ),
}


def _sentence(rng: np.random.Generator, parts: tuple, partner: str) -> str:
    who, what, detail = (p[int(rng.integers(len(p)))] for p in parts)
    return f"{who} {what} {detail}.".format(p=partner)


_CLOSINGS = (
    "Both delegations affirmed that the cooperation serves the security and prosperity of their peoples.",
    "The meeting ended with an agreement to review the results at a conference next year.",
    "The minister thanked the partner for its support and invited its officers to visit Vietnam again.",
)


def news_rows(n_articles: int = 40, *, seed: int = 0, name_partners: bool = True) -> list[dict]:
    """Articles as dicts ``text, date, country, label`` (the activity), seeded; topics and partners rotate, years vary.

    With ``name_partners=False`` the text never names the partner ("a partner
    country"), so that nothing but the ``country`` column can tell it.
    """
    rng = np.random.default_rng(seed)
    topics = sorted(_TOPICS)
    rows = []
    for i in range(n_articles):
        partner = PARTNERS[i % len(PARTNERS)]
        topic = topics[int(rng.integers(len(topics)))] if i >= len(topics) * 2 else topics[i % len(topics)]
        year = YEARS[int(rng.integers(len(YEARS)))]
        named = partner if name_partners else "a partner country"
        body = [" ".join(_sentence(rng, _TOPICS[topic], named) for _ in range(2)) for _ in range(4)]
        paragraphs = [_LEADS[int(rng.integers(len(_LEADS)))].format(p=named), *body,
                      _CLOSINGS[int(rng.integers(len(_CLOSINGS)))]]
        rows.append({"text": "\n\n".join(paragraphs),
                     "date": f"{year}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}",
                     "country": partner, "label": topic})
    return rows


def write_news_csv(path: str | Path, n_articles: int = 40, *, seed: int = 0,
                   columns: tuple[str, ...] = ("text", "date", "country"), name_partners: bool = True) -> Path:
    """Write :func:`news_rows` as a UTF-8 CSV with the given columns (e.g. ``("text",)``: no dates, no countries)."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        for row in news_rows(n_articles, seed=seed, name_partners=name_partners):
            writer.writerow({c: row[c] for c in columns})
    return path
