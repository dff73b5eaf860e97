"""The editable codebook of cooperation themes.

A codebook is a YAML file with a list of themes, each with an ``id``, a
``label``, ``descriptions`` in every configured language and optional
``keywords``. :func:`load_codebook` validates it and raises
:class:`CodebookError` naming the file and the entry at fault.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..safeyaml import parse_yaml, read_yaml, short_repr

__all__ = [
    "CodebookError",
    "CodebookTheme",
    "Codebook",
    "DEFAULT_CODEBOOK",
    "codebook_from_dict",
    "codebook_to_dict",
    "load_codebook",
    "parse_codebook",
    "seed_words",
]

DEFAULT_CODEBOOK = "cooperation.yaml"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_MAX_KEYWORDS = 200
_MAX_THEMES = 1000
#: Top-level fields of a codebook file.
_TOP_FIELDS = ("version", "context", "themes")

log = logging.getLogger(__name__)


class CodebookError(ValueError):
    """A codebook file is malformed."""


@dataclass(frozen=True)
class CodebookTheme:
    """One theme of the codebook."""

    id: str
    label: str
    descriptions: dict[str, str]
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def texts(self, language: str) -> list[str]:
        """Description and keywords in ``language``, as texts to embed."""
        out = [self.descriptions[language]]
        words = self.keywords.get(language, ())
        if words:
            out.append(", ".join(w.rstrip("*") for w in words))
        return out


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: themes in file order."""

    themes: tuple[CodebookTheme, ...]
    languages: tuple[str, ...]
    source: str
    #: Per language, phrases that put a passage in the codebook's domain (see
    #: :mod:`coopthemes.themes.labeling`); empty: no such requirement.
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def label_of(self, theme_id: str) -> str:
        return {t.id: t.label for t in self.themes}[theme_id]


def _entry_name(i: int, raw: object) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        return f"theme {i + 1} (id {short_repr(raw['id'], 40)})"
    return f"theme {i + 1}"


def _text(value: object, where: str, *, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CodebookError(f"{where}: expected a non-empty text, got {short_repr(value)}")
    if len(value) > limit:
        raise CodebookError(f"{where}: {len(value)} characters, more than {limit}")
    return " ".join(value.split())


def _language_map(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise CodebookError(f"{where}: expected a mapping of language code -> text, got {short_repr(value)}")
    bad = [k for k in value if not (isinstance(k, str) and _LANG_RE.match(k))]
    if bad:
        raise CodebookError(f"{where}: {short_repr(bad[0])} is not a language code such as 'vi'")
    return value


def _keywords(raw: object, where: str, languages: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    kw = _language_map(raw or {}, where)
    out = {}
    for lang in sorted(kw):
        words = kw[lang] or []
        if isinstance(words, str):
            raise CodebookError(f"{where}.{lang}: expected a list of words, got a string "
                                f"(write [{short_repr(words, 30)[1:-1]}])")
        if not isinstance(words, list) or len(words) > _MAX_KEYWORDS:
            raise CodebookError(f"{where}.{lang}: expected a list of at most {_MAX_KEYWORDS} words")
        if lang in languages:
            out[lang] = tuple(_text(w, f"{where}.{lang}[{j}]", limit=200) for j, w in enumerate(words))
    return out


def _parse_theme(i: int, raw: object, languages: tuple[str, ...], where: str) -> CodebookTheme:
    name = f"{where}: {_entry_name(i, raw)}"
    if not isinstance(raw, dict):
        raise CodebookError(f"{name} is not a mapping")
    for key in ("id", "label", "descriptions"):
        if not raw.get(key):
            raise CodebookError(f"{name} is missing the field {key!r}")
    unknown = sorted(set(map(str, raw)) - {"id", "label", "descriptions", "keywords"})
    if unknown:
        raise CodebookError(f"{name}: unknown field(s) {unknown} (known: id, label, descriptions, keywords)")
    tid = raw["id"]
    if not isinstance(tid, str) or not _ID_RE.match(tid) or len(tid) > 64:
        raise CodebookError(f"{name}: id must be lowercase letters, digits, underscores (at most 64)")
    desc = _language_map(raw["descriptions"], f"{name}: descriptions")
    missing = [lang for lang in languages if not str(desc.get(lang) or "").strip()]
    if missing:
        raise CodebookError(f"{name}: no description in {missing}")
    return CodebookTheme(
        id=tid,
        label=_text(raw["label"], f"{name}: label", limit=200),
        descriptions={lang: _text(desc[lang], f"{name}: descriptions.{lang}", limit=5000) for lang in languages},
        keywords=_keywords(raw.get("keywords"), f"{name}: keywords", languages),
    )


def _codebook_languages(themes: list, wanted, source: str) -> tuple[str, ...]:
    """The languages whose descriptions are used: the corpus's that the codebook covers."""
    covered = sorted({k for t in themes if isinstance(t, dict) and isinstance(t.get("descriptions"), dict)
                      for k in t["descriptions"] if isinstance(k, str) and _LANG_RE.match(k)})
    if wanted is None:
        return tuple(covered)
    used = tuple(lang for lang in wanted if lang in covered)
    if not used:
        log.warning("%s describes its themes in %s, none of the corpus languages %s; using all of them "
                    "(the multilingual model matches across languages)", source, covered, list(wanted))
        return tuple(covered)
    left = [lang for lang in wanted if lang not in covered]
    if left:
        log.warning("%s has no descriptions in %s; passages in those languages are matched to the %s ones",
                    source, left, list(used))
    return used


def parse_codebook(data: object, *, languages=None, source="<codebook>") -> Codebook:
    """Validate a codebook already read from YAML.

    Parameters
    ----------
    data : object
        The parsed YAML document.
    languages : sequence of str, optional
        The corpus languages: the descriptions and keywords in those of them
        that the codebook covers are kept (every theme must then describe
        itself in each). None keeps every language of the codebook.
    source : str
        Named in errors.
    """
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise CodebookError(f"{source}: expected a mapping with a 'themes' list")
    unknown = sorted(set(map(str, data)) - set(_TOP_FIELDS))
    if unknown:
        raise CodebookError(f"{source}: unknown field(s) {short_repr(unknown, 120)} (known: {', '.join(_TOP_FIELDS)})")
    version = data.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version != 1:
        raise CodebookError(f"{source}: version: expected 1, got {short_repr(version)}")
    if not data["themes"]:
        raise CodebookError(f"{source}: the 'themes' list is empty")
    if len(data["themes"]) > _MAX_THEMES:
        raise CodebookError(f"{source}: {len(data['themes'])} themes, more than {_MAX_THEMES}")
    used = _codebook_languages(data["themes"], None if languages is None else tuple(languages), source)
    themes = tuple(_parse_theme(i, raw, used, source) for i, raw in enumerate(data["themes"]))
    seen: dict[str, int] = {}
    for i, theme in enumerate(themes):
        if theme.id in seen:
            raise CodebookError(
                f"{source}: theme {i + 1} repeats the id {theme.id!r} of theme {seen[theme.id] + 1}"
            )
        seen[theme.id] = i
    labels = [t.label for t in themes]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise CodebookError(f"{source}: duplicate label(s) {dup}")
    context = _keywords(data.get("context"), f"{source}: context", used)
    return Codebook(themes=themes, languages=used, source=source, context=context)


def load_codebook(path: str | Path | None = None, *, languages=None) -> Codebook:
    """Read and validate a codebook.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file; ``None`` reads the bundled ``cooperation.yaml``.
    languages : sequence of str, optional
        The corpus languages (see :func:`parse_codebook`).

    Raises
    ------
    CodebookError
        Naming the file and the theme entry at fault.
    """
    if path is None:
        ref = resources.files("coopthemes.codebook").joinpath(DEFAULT_CODEBOOK)
        source = f"codebook/{DEFAULT_CODEBOOK}"
        data = parse_yaml(ref.read_text(encoding="utf-8"), source=source, error=CodebookError)
    else:
        source = str(path)
        data = read_yaml(path, what="codebook file", error=CodebookError)
    return parse_codebook(data, languages=languages, source=source)


def codebook_to_dict(codebook: Codebook) -> dict:
    """Plain data of a codebook (JSON), as :func:`codebook_from_dict` reads it back."""
    return {
        "source": codebook.source,
        "languages": list(codebook.languages),
        "context": {k: list(v) for k, v in sorted(codebook.context.items())},
        "themes": [
            {"id": t.id, "label": t.label, "descriptions": dict(sorted(t.descriptions.items())),
             "keywords": {k: list(v) for k, v in sorted(t.keywords.items())}}
            for t in codebook.themes
        ],
    }


def codebook_from_dict(data: dict) -> Codebook:
    """The codebook saved by :func:`codebook_to_dict`."""
    return parse_codebook({"themes": data["themes"], "context": data.get("context") or {}},
                          languages=data["languages"], source=data["source"])


def seed_words(theme: CodebookTheme) -> list[str]:
    """A theme's keywords in every language, without wildcards (its label when it has none)."""
    words = []
    for lang in sorted(theme.keywords):
        words.extend(w.rstrip("*") for w in theme.keywords[lang])
    return words or [theme.label]
