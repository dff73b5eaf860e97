"""Theme model: codebook validation, segmentation, BERTopic wiring (fake embedder)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from coopthemes.config import ConfigError, ThemesConfig
from coopthemes.themes import (
    CodebookError,
    ThemeModel,
    auto_min_cluster_size,
    auto_min_samples,
    max_cluster_size,
    fit_themes,
    load_codebook,
)
from coopthemes.themes.terms import top_terms_by_language
from coopthemes.themes.codebook import codebook_from_dict, codebook_to_dict, parse_codebook
from coopthemes.themes.tokenize import segment, segment_all, split_tokens
from conftest import FakeEmbedder

# -- a synthetic parallel corpus -------------------------------------------

TOPICS = {
    "fire": {"en": ["fire", "rescue", "firefighters", "blaze", "smoke"],
             "fr": ["incendie", "sauvetage", "pompiers", "flamme", "fumée"],
             "vi": ["cháy", "cứu", "lính", "lửa", "khói"]},
    "drugs": {"en": ["drugs", "narcotics", "heroin", "smuggling", "cartel"],
              "fr": ["drogue", "stupéfiants", "héroïne", "contrebande", "cartel"],
              "vi": ["túy", "nghiện", "hêrôin", "buôn", "đường"]},
    "cyber": {"en": ["cyber", "hackers", "online", "fraud", "malware"],
              "fr": ["cyber", "pirates", "ligne", "escroquerie", "logiciel"],
              "vi": ["mạng", "tin", "trực", "lừa", "mã"]},
}
MARKER = {"en": "and", "fr": "et", "vi": "và"}


def _synonyms() -> dict[str, str]:
    out = {}
    for words in TOPICS.values():
        for lang in ("fr", "vi"):
            for w, en in zip(words[lang], words["en"]):
                out[w] = en
    return out


def parallel_corpus(n_per_topic: int = 12, seed: int = 0) -> pd.DataFrame:
    """Sentence triples: the same bag of topic words in vi, fr and en."""
    rng = np.random.default_rng(seed)
    rows = []
    for topic in sorted(TOPICS):
        for k in range(n_per_topic):
            picks = rng.choice(5, size=4, replace=False)
            for lang in ("vi", "fr", "en"):
                words = [TOPICS[topic][lang][j] for j in picks]
                text = f"{words[0]} {words[1]} {MARKER[lang]} {words[2]} {words[3]}"
                rows.append({"passage_id": f"{topic}{k:02d}-{lang}:000", "text": text,
                             "language": lang, "group": f"{topic}{k:02d}", "topic": topic})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def corpus():
    return parallel_corpus()


@pytest.fixture(scope="module")
def embedder():
    return FakeEmbedder(synonyms=_synonyms(), offset=3.0)


def _fit(corpus, X, **kwargs):
    """Fit with three consensus runs unless told otherwise (the fake embedder needs no more)."""
    if "options" in kwargs and kwargs["options"].n_runs == ThemesConfig().n_runs:
        from dataclasses import replace

        kwargs["options"] = replace(kwargs["options"], n_runs=3)
    model = fit_themes(corpus, X, **kwargs)
    return model.assignments(), model.themes(), model


def _consistency(assign: pd.DataFrame, corpus: pd.DataFrame) -> float:
    merged = corpus.merge(assign, on="passage_id")
    per_group = merged.groupby("group")["theme_id"].agg(lambda s: s.nunique() == 1 and (s != -1).all())
    return float(per_group.mean())


# -- codebook ----------------------------------------------------------------

def test_bundled_codebook_covers_public_security_and_defence_cooperation():
    cb = load_codebook()
    assert 20 <= len(cb.themes) <= 30
    ids = set(cb.ids)
    for needed in ("cybercrime", "drugs", "terrorism", "judicial_assistance", "training_capacity",
                   "firefighting_rescue", "citizen_protection", "digital_transformation",
                   "peacekeeping", "maritime_security", "pandemic", "political_trust",
                   "defence_industry", "war_legacy", "joint_exercises", "commemoration", "education_scholarships"):
        assert needed in ids
    for theme in cb.themes:
        assert set(theme.descriptions) == {"vi", "fr", "en"}
        assert all(len(d) > 20 for d in theme.descriptions.values())
        assert set(theme.keywords) == {"vi", "fr", "en"} and all(len(w) >= 2 for w in theme.keywords.values())


FIRE_CODEBOOK = {"themes": [{
    "id": "fire", "label": "Fire and rescue",
    "descriptions": {"vi": "cháy cứu và lính lửa", "fr": "incendie sauvetage et pompiers flamme",
                     "en": "fire rescue and firefighters blaze"},
    "keywords": {"vi": ["cháy", "lửa"], "fr": ["incendie", "flamme*"], "en": ["fire", "blaze"]}}]}


def test_keyword_evidence_ignores_lists_and_needs_the_embedding_to_agree():
    from coopthemes.themes.labeling import KeywordMatcher, _sentence_evidence

    cb = parse_codebook({"themes": [
        {"id": "fire", "label": "Fire", "descriptions": {"en": "fire"}, "keywords": {"en": ["fire*", "rescue"]}},
        {"id": "drugs", "label": "Drugs", "descriptions": {"en": "drugs"}, "keywords": {"en": ["drugs", "heroin"]}},
        {"id": "cyber", "label": "Cyber", "descriptions": {"en": "cyber"}, "keywords": {"en": ["cybercrime"]}},
    ]})
    m = KeywordMatcher(cb)
    args = {"list_themes": 3, "list_segments": 4, "list_item_words": 6}
    assert _sentence_evidence("Firefighters of the two countries trained together.", "en", m, **args) == \
        {0: {"fire*"}}
    # a list of fields names three themes: not evidence
    assert _sentence_evidence("They cooperate on fire safety, drugs and cybercrime.", "en", m, **args) == {}
    # a keyword in a short item of an enumeration is not evidence; a long clause is
    listed = "Areas: training, heroin, rescue, border security, and the fight against drugs along the river"
    assert _sentence_evidence(listed, "en", m, **args) == {1: {"drugs"}}
    assert m.sentence("No keyword here.", "en") == {} and m.sentence("fire", "fr") == {}


def test_outside_the_codebooks_context_one_keyword_is_not_evidence():
    """A lone "visit" in a travel story is not a high-level visit; in a story of cooperation it is."""
    from coopthemes.themes.labeling import codebook_evidence
    from coopthemes.themes.numerics import canonical

    themes = [
        {"id": "visits", "label": "Visits", "descriptions": {"en": "visits"}, "keywords": {"en": ["visit*", "talks"]}},
        {"id": "fire", "label": "Fire", "descriptions": {"en": "fire"}, "keywords": {"en": ["fire*", "rescue"]}},
    ]
    cb = parse_codebook({"context": {"en": ["cooperat*", "police"]}, "themes": themes})
    texts = ["Tourists visit the old town every summer.",                       # one keyword, no context
             "The ministers held talks during the visit to Hanoi.",              # two phrases of the theme
             "The visit deepened cooperation between the two countries.",        # keyword and context
             "Police chiefs of both countries met in Hanoi.",                    # lead of doc b: context
             "The delegation will visit the training school next year.",         # body of doc b
             "Travellers visit the caves by boat."]                              # body of doc c, lead without context
    documents = ["a", "a2", "a3", "b", "b", "c"]
    lead = np.array([True, True, True, True, False, False])
    grid = canonical(np.tile([[1.0, 0.0]], (len(texts), 1)))
    codebook_grid = canonical(np.array([[1.0, 0.0], [0.0, 1.0]]))
    ev = codebook_evidence(texts, ["en"] * len(texts), grid, codebook_grid, cb, lead=lead, documents=documents,
                           lead_rank=1, body_rank=1)
    assert ev.labels == [(), (0,), (0,), (), (0,), ()]
    alone = codebook_evidence(texts, ["en"] * len(texts), grid, codebook_grid, cb, lead=lead, lead_rank=1,
                              body_rank=1)
    assert alone.labels[4] == ()  # without documents, a passage's own words decide
    no_context = parse_codebook({"themes": themes})
    anywhere = codebook_evidence(texts, ["en"] * len(texts), grid, codebook_grid, no_context, lead=lead,
                                 lead_rank=1, body_rank=1)
    assert anywhere.labels[0] == (0,) and anywhere.labels[5] == (0,)
    assert codebook_from_dict(codebook_to_dict(cb)) == cb
    with pytest.raises(CodebookError, match=r"context\.en: expected a list"):
        parse_codebook({"context": {"en": "police"}, "themes": _codebook_data()["themes"]})


def _codebook_data():
    return {"themes": [
        {"id": "fire", "label": "Fire", "descriptions": {"vi": "cháy", "fr": "incendie", "en": "fire"}},
        {"id": "drugs", "label": "Drugs", "descriptions": {"vi": "túy", "fr": "drogue", "en": "drugs"}},
    ]}


def test_broken_codebooks_name_the_entry(tmp_path):
    data = _codebook_data()
    del data["themes"][1]["label"]
    with pytest.raises(CodebookError, match=r"theme 2 \(id 'drugs'\) is missing the field 'label'"):
        parse_codebook(data)

    data = _codebook_data()
    data["themes"][1]["id"] = "fire"
    with pytest.raises(CodebookError, match=r"theme 2 repeats the id 'fire' of theme 1"):
        parse_codebook(data)

    data = _codebook_data()
    data["themes"][0]["descriptions"]["de"] = "Feuer"  # a language the corpus does not have is not used
    assert parse_codebook(data, languages=("vi", "fr", "en")).themes[0].descriptions == {
        "vi": "cháy", "fr": "incendie", "en": "fire"}

    data = _codebook_data()
    del data["themes"][0]["descriptions"]["vi"]
    with pytest.raises(CodebookError, match=r"theme 1 \(id 'fire'\): no description in \['vi'\]"):
        parse_codebook(data, languages=("vi", "fr", "en"))

    data = _codebook_data()
    data["themes"][0]["keywords"] = {"en": "fire"}
    with pytest.raises(CodebookError, match=r"keywords.en: expected a list of words, got a string"):
        parse_codebook(data)

    path = tmp_path / "cb.yaml"
    path.write_text("themes: [unclosed", encoding="utf-8")
    with pytest.raises(CodebookError, match="cb.yaml: not valid YAML"):
        load_codebook(path)
    with pytest.raises(CodebookError, match="codebook file not found"):
        load_codebook(tmp_path / "missing.yaml")


def test_codebook_is_editable_without_code(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(_codebook_data(), allow_unicode=True), encoding="utf-8")
    cb = load_codebook(path)
    assert cb.ids == ["fire", "drugs"] and cb.label_of("drugs") == "Drugs"


# -- segmentation ----------------------------------------------------------------

def test_vietnamese_words_stay_whole_and_stop_words_go():
    words = segment("Hai bên hợp tác phòng, chống tội phạm và bảo đảm an ninh cho các doanh nghiệp.", "vi")
    assert "tội phạm" in words and "doanh nghiệp" in words and "hợp tác" in words
    assert "tội" not in words and "phạm" not in words
    assert "và" not in words and "các" not in words and "," not in words


def test_french_and_english_segmentation():
    fr = segment("Le ministre a proposé l’échange régulier d’informations et la lutte contre la cybercriminalité.", "fr")
    assert "cybercriminalité" in fr and "échange" in fr and "informations" in fr
    assert not {"le", "la", "et", "a", "l", "d"} & set(fr)
    inv = segment("Le ministre a-t-il parlé ? Oui, a-t-elle indiqué ; a-t-indiqué le porte-parole.", "fr")
    assert "a-t-il" not in inv and "a-t-elle" not in inv
    assert "indiqué" in inv and "porte-parole" in inv and "parlé" in inv
    en = segment("The two sides agreed to fight high-tech crime and COVID-19.", "en")
    assert "high-tech" in en and "crime" in en and "covid-19" in en
    assert not {"the", "to", "and"} & set(en)


def test_segmented_strings_round_trip_through_the_analyzer():
    docs = segment_all(["Tội phạm mạng gia tăng"], ["vi"])
    assert "_" in docs[0]
    assert docs == ["tội_phạm_mạng gia_tăng"]
    assert split_tokens(docs[0]) == ["tội phạm mạng", "gia tăng"]


def test_segmentation_in_worker_processes_gives_the_same_strings(monkeypatch):
    from coopthemes.themes import tokenize

    texts = ["Tội phạm mạng gia tăng ở Hà Nội.", "La police a-t-elle coopéré ?", "Police training in Hanoi.",
             "Bộ Công an hợp tác với Nhật Bản về đào tạo."] * 5
    languages = ["vi", "fr", "en", "vi"] * 5
    alone = segment_all(texts, languages)
    monkeypatch.setattr(tokenize, "PARALLEL_SEGMENT_FROM", 2)
    assert segment_all(texts, languages, n_jobs=2) == alone
    with pytest.raises(ValueError, match="differ in length"):
        segment_all(texts, languages[:-1], n_jobs=2)


# -- the model ----------------------------------------------------------------

def test_auto_cluster_size_scales_with_the_corpus():
    assert auto_min_cluster_size(60) == 5
    assert auto_min_cluster_size(2400) == 48
    assert auto_min_cluster_size(100_000) == 200
    assert [auto_min_samples(m) for m in (3, 5, 48, 200)] == [2, 2, 10, 40]


def test_max_cluster_size_from_a_share():
    assert max_cluster_size(8178, 164, 0.5) == 4089
    assert max_cluster_size(1001, 20, 0.5) == 501  # rounded up
    assert max_cluster_size(30, 20, 0.5) == 20  # never below the minimum cluster size
    assert max_cluster_size(1000, 20, None) == max_cluster_size(1000, 20, 1.0) == 0  # HDBSCAN: no limit
    with pytest.raises(ConfigError, match="max_cluster_share"):
        ThemesConfig(max_cluster_share=0.0)


def test_cluster_share_limit_splits_a_collapsed_selection():
    """Excess of mass keeps a supercluster of 4 themes (2/3 of the points); the limit splits it."""
    from hdbscan import HDBSCAN

    rng = np.random.default_rng(0)
    square = [(0.0, 0.0), (2.5, 0.0), (0.0, 2.5), (2.5, 2.5)]
    centres = square + [(100 + x, y) for x, y in square[:2]]
    X = np.concatenate([rng.normal(c, 0.5, size=(100, 2)) for c in centres])

    def sizes(share):
        hdb = HDBSCAN(min_cluster_size=40, min_samples=8, max_cluster_size=max_cluster_size(len(X), 40, share))
        labels = hdb.fit_predict(X)
        return sorted(np.bincount(labels[labels >= 0]).tolist(), reverse=True)

    assert sizes(None)[0] == 400
    limited = sizes(0.5)
    assert len(limited) == 6 and max(limited) <= 100


def test_alignment_puts_translations_in_one_theme(corpus, embedder):
    X = embedder.embed(corpus["text"].tolist())
    opts = ThemesConfig(codebook_mode="off", min_cluster_size=8)
    aligned, themes, _ = _fit(corpus, X, embedder=embedder, options=opts)
    raw, _, _ = _fit(corpus, X, embedder=embedder, options=ThemesConfig(
        codebook_mode="off", min_cluster_size=8, align=False))
    assert _consistency(aligned, corpus) >= 0.9
    assert _consistency(raw, corpus) <= 0.2
    # aligned themes mix the three languages
    mixes = [yaml.safe_load(m) for m in themes["language_mix"]]
    assert all(set(m) == {"vi", "fr", "en"} for m in mixes)


def test_fit_does_not_modify_embeddings_and_is_deterministic(corpus, embedder):
    X = embedder.embed(corpus["text"].tolist())
    before = X.copy()
    cb = parse_codebook(FIRE_CODEBOOK)
    opts = ThemesConfig(min_cluster_size=6)
    a1, t1, _ = _fit(corpus, X, embedder=embedder, codebook=cb, options=opts)
    np.testing.assert_array_equal(X, before)
    a2, t2, _ = _fit(corpus, X, embedder=embedder, codebook=cb, options=opts)
    pd.testing.assert_frame_equal(a1, a2)
    pd.testing.assert_frame_equal(t1, t2)


def test_codebook_theme_on_keyword_evidence(corpus, embedder):
    X = embedder.embed(corpus["text"].tolist())
    cb = parse_codebook(FIRE_CODEBOOK)
    assign, themes, model = _fit(corpus, X, embedder=embedder, codebook=cb, options=ThemesConfig(min_cluster_size=6))
    merged = corpus.merge(assign, on="passage_id")
    fire = merged[merged["topic"] == "fire"]
    assert (fire["theme"] == "Fire and rescue").mean() >= 0.9
    assert (merged.loc[merged["topic"] != "fire", "theme"] != "Fire and rescue").all()
    assert fire.loc[fire["theme"] == "Fire and rescue", "evidence"].str.startswith("Fire and rescue: ").all()
    assert (merged.loc[merged["topic"] != "fire", "evidence"] == "").all()
    row = themes[themes["theme"] == "Fire and rescue"].iloc[0]
    assert row["codebook_id"] == "fire" and 0.5 <= row["label_confidence"] <= 1.0 and row["stability"] == 1.0
    assert themes.loc[themes["codebook_id"].isna(), "label_confidence"].isna().all()
    words = top_terms_by_language(model.terms(), int(row["theme_id"]))
    assert sorted(words) == ["en", "fr", "vi"]
    assert set(words["fr"]) <= set(TOPICS["fire"]["fr"]) and words["fr"]
    # underthesea may join syllables into one word ("khói lửa"): each is a fire word
    syllables = {syl for term in words["vi"] for syl in term.split()}
    assert syllables <= set(TOPICS["fire"]["vi"]) and words["vi"]
    discovered = themes[themes["codebook_id"].isna()]
    assert discovered["theme"].str.startswith("D").all()
    assert len(row["representative_passages"]) == 3
    assert set(row["representative_passages"]) <= set(fire["passage_id"])


def test_save_load_restores_the_whole_fitted_state(tmp_path, corpus, embedder):
    X = embedder.embed(corpus["text"].tolist())
    cb = parse_codebook(FIRE_CODEBOOK)
    assign, themes, model = _fit(corpus, X, embedder=embedder, codebook=cb,
                                 options=ThemesConfig(min_cluster_size=6), random_state=3)
    tmap = model.theme_map()
    model.save(tmp_path / "model")
    assert (tmp_path / "model" / "bertopic" / "topic_embeddings.safetensors").is_file()
    loaded = ThemeModel.load(tmp_path / "model", embedder=embedder)
    # every public method answers as the fitted model does
    pd.testing.assert_frame_equal(loaded.assignments(), assign)
    pd.testing.assert_frame_equal(loaded.themes(), themes)
    pd.testing.assert_frame_equal(loaded.terms(), model.terms())
    pd.testing.assert_frame_equal(loaded.theme_map(), tmap)
    assert loaded.options == model.options and loaded.random_state == 3 and loaded.codebook == cb
    assert loaded.tokens_ == model.tokens_ and loaded.languages_ == model.languages_
    np.testing.assert_array_equal(loaded.embeddings_, model.embeddings_)
    ids, probs = loaded.transform(corpus["text"], X, corpus["language"])
    ids2, probs2 = model.transform(corpus["text"], X, corpus["language"])
    np.testing.assert_array_equal(ids, ids2)
    np.testing.assert_array_equal(probs, probs2)
    assert repr(loaded) == repr(model)
    # saving a loaded model reproduces the files byte for byte
    loaded.save(tmp_path / "again")
    for path in sorted((tmp_path / "model").rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "again" / path.relative_to(tmp_path / "model")).read_bytes()
    # read-only use needs no embedder; another embedder is refused
    assert ThemeModel.load(tmp_path / "model").assignments().equals(assign)
    other = FakeEmbedder(synonyms=_synonyms())
    other.model_id = "another"
    with pytest.raises(ValueError, match="saved with embedder"):
        ThemeModel.load(tmp_path / "model", embedder=other)


def test_transform_assigns_new_passages_to_fitted_themes(corpus, embedder):
    X = embedder.embed(corpus["text"].tolist())
    cb = parse_codebook(FIRE_CODEBOOK)
    assign, themes, model = _fit(corpus, X, embedder=embedder, codebook=cb,
                                 options=ThemesConfig(min_cluster_size=6))
    ids, probs = model.transform(corpus["text"], X, corpus["language"])
    fitted = assign.set_index("passage_id").loc[corpus["passage_id"], "theme_id"].to_numpy()
    cb_themes = themes.loc[themes["codebook_id"].notna(), "theme_id"].to_numpy()
    in_cb = np.isin(fitted, cb_themes)
    assert in_cb.sum() >= 30
    assert (ids[in_cb] == fitted[in_cb]).mean() >= 0.9
    assert (ids == fitted).mean() >= 0.65
    assert probs.shape == (len(corpus),)


def test_bad_options_are_named():
    with pytest.raises(ConfigError, match="themes.outlier_strategy"):
        ThemesConfig(outlier_strategy="magic")
    with pytest.raises(ConfigError, match="themes.codebook_mode"):
        ThemesConfig(codebook_mode="sometimes")


def test_large_corpus_fits_on_a_seeded_sample_and_transforms_the_rest(embedder):
    corpus = parallel_corpus(n_per_topic=20)
    X = embedder.embed(corpus["text"].tolist())
    opts = ThemesConfig(codebook_mode="off", min_cluster_size=8, max_fit_passages=120)
    a1, themes, model = _fit(corpus, X, embedder=embedder, options=opts)
    assert model.n_fit_ == 120 and len(a1) == len(corpus) == 180
    assert themes["size"].sum() == (a1["theme_id"] != -1).sum()
    assert _consistency(a1, corpus) >= 0.8
    a2, _, _ = _fit(corpus, X, embedder=embedder, options=opts)
    pd.testing.assert_frame_equal(a1, a2)
    with pytest.raises(ConfigError, match="max_fit_passages"):
        ThemesConfig(max_fit_passages=10)


def test_a_fit_without_themes_is_saved_and_loaded(tmp_path, corpus, embedder):
    X = embedder.embed(corpus["text"].tolist())
    assign, themes, model = _fit(corpus, X, embedder=embedder,
                                 options=ThemesConfig(codebook_mode="off", min_cluster_size=100, n_runs=3))
    assert len(themes) == 0 and (assign["theme_id"] == -1).all()
    model.save(tmp_path / "model")
    assert not (tmp_path / "model" / "bertopic").exists()
    loaded = ThemeModel.load(tmp_path / "model", embedder=embedder)
    pd.testing.assert_frame_equal(loaded.assignments(), assign)
    pd.testing.assert_frame_equal(loaded.themes(), themes)
