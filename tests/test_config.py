"""Configuration: defaults, YAML, and errors that name the field."""

from __future__ import annotations

import pytest

from coopthemes.config import ConfigError, config_to_dict, load_config, with_overrides
from coopthemes.pipeline import theme_options
from conftest import ROOT


def test_defaults_and_the_bundled_example_configs():
    config = load_config()
    assert config.corpus.path == "seeds" and config.themes.codebook_mode == "zeroshot"
    assert load_config(ROOT / "configs" / "seeds.yaml") == config
    unc = load_config(ROOT / "configs" / "unc_vi.yaml")
    assert unc.prevalence.group_column == "label" and unc.corpus.extra_columns == ("label",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"themes": {"min_cluster_sise": 3}}, "themes.min_cluster_sise: unknown field (did you mean 'min_cluster_size'?)"),
        ({"themes": {"min_cluster_size": "ten"}}, "themes.min_cluster_size: expected an integer, got 'ten'"),
        ({"themes": {"min_cluster_size": 1}}, "themes.min_cluster_size: must be at least 2"),
        ({"themes": {"outlier_strategy": "magic"}}, "themes.outlier_strategy: must be one of"),
        ({"themes": {"random_state": 3}}, "themes.random_state: not a setting of its own here"),
        ({"prevalence": {"ci": 2.0}}, "prevalence.ci: must lie in [0.5, 1)"),
        ({"report": {"formats": ["gif"]}}, "report.formats: unknown format(s) ['gif']"),
        ({"corpus": {"languages": []}}, "corpus.languages: at least one language is needed"),
        ({"seed": True}, "seed: expected an integer, got True"),
        ({"embeddings": "big"}, "embeddings: expected a mapping"),
    ],
)
def test_errors_name_the_field(data, message):
    with pytest.raises(ConfigError) as err:
        load_config(data=data)
    assert message in str(err.value)


def test_yaml_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text("themes: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="c.yaml: not valid YAML"):
        load_config(bad)
    bad.write_text("themes:\n  align: maybe\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c.yaml: themes.align: expected true or false, got 'maybe'"):
        load_config(bad)
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "none.yaml")


def test_overrides_and_seeded_theme_options():
    config = with_overrides(load_config(), seed=7, themes={"min_cluster_size": 9}, corpus={"path": "x"})
    assert config.seed == 7 and config.themes.min_cluster_size == 9 and config.corpus.path == "x"
    options = theme_options(config)
    assert options.random_state == 7 and options.min_cluster_size == 9
    assert "random_state" not in config_to_dict(config)["themes"]
