"""Configuration: defaults, YAML, and errors that name the field."""

from __future__ import annotations

import pytest

from coopthemes.config import ConfigError, CorpusConfig, ThemesConfig, config_to_dict, load_config, with_overrides
from conftest import ROOT


def test_defaults_and_the_bundled_example_configs():
    config = load_config()
    assert config.corpus.path == "seeds" and config.themes.codebook_mode == "evidence"
    assert load_config(ROOT / "configs" / "seeds.yaml") == config
    unc = load_config(ROOT / "configs" / "unc_vi.yaml")
    assert unc.prevalence.group_column == "label" and unc.corpus.extra_columns == ("label",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"themes": {"min_cluster_sise": 3}}, "themes.min_cluster_sise: unknown setting (did you mean 'min_cluster_size'?)"),
        ({"themes": {"min_cluster_size": "ten"}}, "themes.min_cluster_size: expected an integer >= 2 and <= 1000000, got 'ten'"),
        ({"themes": {"min_cluster_size": 1}}, "themes.min_cluster_size: must be >= 2 and <= 1000000, got 1"),
        ({"themes": {"outlier_strategy": "magic"}}, "themes.outlier_strategy: must be one of"),
        ({"themes": {"random_state": 3}}, "themes.random_state: unknown setting"),
        ({"themes": {"min_dist": float("nan")}}, "themes.min_dist: expected a finite number"),
        ({"themes": {"top_n_terms": -5}}, "themes.top_n_terms: must be >= 1 and <= 1000, got -5"),
        ({"prevalence": {"ci": 2.0}}, "prevalence.ci: must be >= 0.5 and < 1.0, got 2.0"),
        ({"report": {"formats": ["gif"]}}, "report.formats: must be one of ['pdf', 'png', 'svg'], got 'gif'"),
        ({"corpus": {"languages": []}}, "corpus.languages: give at least 1 item(s)"),
        ({"corpus": {"extra_columns": "label"}}, "corpus.extra_columns: expected a list, got the string 'label'"),
        ({"corpus": {"min_passage_chars": 100, "max_passage_chars": 150}}, "corpus.max_passage_chars: must be at least twice"),
        ({"seed": True}, "seed: expected an integer >= 0 and <= 4294967295, got True"),
        ({"seed": -1}, "seed: must be >= 0 and <= 4294967295, got -1"),
        ({"seed": 10**30}, "seed: must be >= 0 and <= 4294967295"),
        ({"embeddings": "big"}, "embeddings: expected a mapping"),
        ({"prevalence": {"group_column": "a+b"}}, "prevalence.group_column: expected a column name"),
    ],
)
def test_errors_name_the_field(data, message):
    with pytest.raises(ConfigError) as err:
        load_config(data=data)
    assert message in str(err.value)


def test_yaml_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("themes: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="c.yaml: not valid YAML: line 2"):
        load_config(bad)
    bad.write_text("themes:\n  align: maybe\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c.yaml: themes.align: expected true or false, got 'maybe'"):
        load_config(bad)
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "none.yaml")


def test_overrides():
    config = with_overrides(load_config(), seed=7, themes={"min_cluster_size": 9}, corpus={"path": "x"})
    assert config.seed == 7 and config.themes.min_cluster_size == 9 and config.corpus.path == "x"
    assert config_to_dict(config)["themes"]["min_cluster_size"] == 9


def test_sections_check_their_values_when_built_from_python():
    assert CorpusConfig(languages=["de", "en"]).languages == ("de", "en")
    with pytest.raises(ConfigError, match="themes.n_neighbors: must be >= 2 and <= 1000, got 1"):
        ThemesConfig(n_neighbors=1)
    with pytest.raises(ConfigError, match="corpus.near_duplicate_threshold: must be > 0.0 and <= 1.0, got 1.5"):
        CorpusConfig(near_duplicate_threshold=1.5)


def test_every_stage_option_is_reachable_from_yaml(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("corpus:\n  min_passage_chars: 30\n  max_passage_chars: 900\n"
                    "embeddings:\n  num_threads: 1\nreport:\n  formats: [png]\n", encoding="utf-8")
    config = load_config(path)
    assert (config.corpus.min_passage_chars, config.corpus.max_passage_chars) == (30, 900)
    assert config.embeddings.num_threads == 1 and config.report.formats == ("png",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1, 2]\nb: *x\n", "line 2: YAML aliases (*x) are not accepted"),
        ("seed: 1\nseed: 2\n", "line 2: key 'seed' is given twice (first on line 1)"),
        ("[]\n", "config: expected a mapping of settings, got []"),
        ("0\n", "config: expected a mapping of settings, got 0"),
        ("false\n", "config: expected a mapping of settings, got False"),
        ("seed: -1\n", "seed: must be >= 0"),
        ("seed: 99999999999999\n", "seed: must be >= 0 and <= 4294967295"),
        ("themes: {top_n_terms: -5}\n", "themes.top_n_terms: must be >= 1"),
        ("themes: {min_dist: .nan}\n", "themes.min_dist: expected a finite number"),
        ("themes: {min_dist: .inf}\n", "themes.min_dist: expected a finite number"),
        ("prevalence: {group_column: nonexistent}\n",
         "prevalence.group_column: 'nonexistent' is not a documents column"),
        ("corpus: {extra_columns: [title]}\n", "corpus.extra_columns: 'title' is already a column"),
        ("corpus: {max_document_chars: 0}\n", "corpus.max_document_chars: must be >= 100"),
        ("embeddings: {backend: e5-small}\n", "embeddings.backend: expected 'e5-small-q4'"),
        ("embeddings: {backend: 'sentence-transformers:'}\n", "embeddings.backend: expected"),
        ("[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("seed: 0\n\tcorpus: {}\n", "not valid YAML"),
    ],
)
def test_odd_yaml_is_refused_with_the_line(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)


def test_non_utf8_and_huge_configs_name_the_file(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("corpus:\n  home_country: Vi\xeat Nam\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin.yaml: not UTF-8 text"):
        load_config(path)
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (3 * 1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"big.yaml: .* larger than"):
        load_config(big)
