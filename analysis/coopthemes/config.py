"""Run configuration: frozen dataclasses read from YAML, validated on construction.

Only the pipeline and the command line read a configuration; library
functions take explicit keyword arguments. Errors name the file and the field
(``config.yaml: themes.min_cluster_size: expected an integer, got 'ten'``).
Variants are made with :func:`dataclasses.replace` or :func:`with_overrides`.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .themes.model import ThemeOptions

__all__ = [
    "ConfigError",
    "CorpusConfig",
    "EmbeddingConfig",
    "PrevalenceConfig",
    "ReportConfig",
    "RunConfig",
    "ThemesConfig",
    "config_to_dict",
    "load_config",
    "with_overrides",
]


class ConfigError(ValueError):
    """A configuration value is missing, unknown or of the wrong type."""


@dataclass(frozen=True)
class CorpusConfig:
    path: str = "seeds"
    text_column: str = "text"
    id_column: str | None = None
    title_column: str | None = None
    language_column: str | None = None
    date_column: str | None = None
    partner_column: str | None = None
    extra_columns: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("vi", "fr", "en")
    home_country: str = "Vietnam"
    gazetteer: str | None = None

    def __post_init__(self):
        if not self.languages:
            raise ConfigError("corpus.languages: at least one language is needed")


@dataclass(frozen=True)
class EmbeddingConfig:
    backend: str = "e5-small-q4"
    batch_size: int = 32
    cache_dir: str = ".cache/embeddings"

    def __post_init__(self):
        if self.batch_size < 1:
            raise ConfigError("embeddings.batch_size: must be at least 1")


@dataclass(frozen=True)
class ThemesConfig(ThemeOptions):
    """The theme model's settings (:class:`~coopthemes.themes.ThemeOptions`) and the codebook file.

    ``random_state`` is not set here: it is the run's top-level ``seed``.
    """

    codebook: str | None = None
    #: Reuse a fitted theme model when passages, vectors, settings, codebook and
    #: library versions are all unchanged (kept next to the embedding cache).
    cache: bool = True

    #: Fields a configuration file may not set (they derive from elsewhere).
    derived = ("random_state",)

    def __post_init__(self):
        try:
            super().__post_init__()
        except ValueError as exc:
            raise ConfigError(f"themes.{exc}") from None


@dataclass(frozen=True)
class PrevalenceConfig:
    group_column: str = "partner"
    n_boot: int = 2000
    min_group_size: int = 5
    ci: float = 0.95
    regression: bool = True

    def __post_init__(self):
        if self.n_boot < 1:
            raise ConfigError("prevalence.n_boot: must be at least 1")
        if not 0.5 <= self.ci < 1.0:
            raise ConfigError("prevalence.ci: must lie in [0.5, 1)")
        if self.min_group_size < 1:
            raise ConfigError("prevalence.min_group_size: must be at least 1")


@dataclass(frozen=True)
class ReportConfig:
    formats: tuple[str, ...] = ("pdf", "png", "svg")

    def __post_init__(self):
        bad = sorted(set(self.formats) - {"pdf", "png", "svg"})
        if bad:
            raise ConfigError(f"report.formats: unknown format(s) {bad}; use pdf, png, svg")


@dataclass(frozen=True)
class RunConfig:
    seed: int = 0
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    embeddings: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    themes: ThemesConfig = field(default_factory=ThemesConfig)
    prevalence: PrevalenceConfig = field(default_factory=PrevalenceConfig)
    report: ReportConfig = field(default_factory=ReportConfig)


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(value: Any, tp, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], where)
    if origin is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (inner, _) = typing.get_args(tp)
        return tuple(_coerce(v, inner, f"{where}[{i}]") for i, v in enumerate(value))
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return str(value)
    raise ConfigError(f"{where}: unsupported type {_type_name(tp)}")


def _build(cls, data: Any, where: str):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key in sorted(map(str, data)):
        path = f"{where}.{key}" if where else key
        if key in getattr(cls, "derived", ()):
            raise ConfigError(f"{path}: not a setting of its own here (set the top-level seed)")
        if key not in names:
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(names)})"
            raise ConfigError(f"{path}: unknown field{hint}")
        tp = hints[key]
        if dataclasses.is_dataclass(tp):
            kwargs[key] = _build(tp, data[key], path)
        else:
            kwargs[key] = _coerce(data[key], tp, path)
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{exc}") from None


def load_config(path: str | Path | None = None, *, data: dict | None = None) -> RunConfig:
    """Read a YAML configuration (or a dict); missing fields take defaults.

    Raises
    ------
    ConfigError
        Naming the file and the field at fault.
    """
    source = "config"
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{p}: configuration file not found")
        source = str(p)
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    try:
        return _build(RunConfig, data or {}, "")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def config_to_dict(config: RunConfig) -> dict:
    """Plain dict (lists for tuples), for JSON and YAML."""

    def plain(v):
        if isinstance(v, tuple):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    data = plain(dataclasses.asdict(config))
    for f in dataclasses.fields(config):
        for name in getattr(getattr(config, f.name), "derived", ()):
            data[f.name].pop(name, None)
    return data


def with_overrides(config: RunConfig, **sections: dict) -> RunConfig:
    """A copy with some fields replaced, e.g. ``with_overrides(c, corpus={"path": "x"})``."""
    data = config_to_dict(config)
    for name, values in sections.items():
        if isinstance(values, dict):
            data.setdefault(name, {}).update(values)
        else:
            data[name] = values
    return load_config(data=data)
