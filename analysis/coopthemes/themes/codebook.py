"""The editable codebook of cooperation themes.

A codebook is a YAML file with a list of themes, each with an ``id``, a
``label``, ``descriptions`` in every configured language and optional
``keywords``. :func:`load_codebook` validates it and raises
:class:`CodebookError` naming the file and the entry at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

__all__ = [
    "CodebookError",
    "CodebookTheme",
    "Codebook",
    "DEFAULT_CODEBOOK",
    "load_codebook",
    "parse_codebook",
    "seed_words",
]

DEFAULT_CODEBOOK = "cooperation.yaml"
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


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
            out.append(", ".join(words))
        return out


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: themes in file order."""

    themes: tuple[CodebookTheme, ...]
    languages: tuple[str, ...]
    source: str

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.themes]

    def label_of(self, theme_id: str) -> str:
        return {t.id: t.label for t in self.themes}[theme_id]


def _entry_name(i: int, raw: object) -> str:
    if isinstance(raw, dict) and raw.get("id"):
        return f"theme {i + 1} (id {raw['id']!r})"
    return f"theme {i + 1}"


def _parse_theme(i: int, raw: object, languages: tuple[str, ...], where: str) -> CodebookTheme:
    name = _entry_name(i, raw)
    if not isinstance(raw, dict):
        raise CodebookError(f"{where}: {name} is not a mapping")
    for key in ("id", "label", "descriptions"):
        if not raw.get(key):
            raise CodebookError(f"{where}: {name} is missing the field {key!r}")
    tid = str(raw["id"])
    if not _ID_RE.match(tid):
        raise CodebookError(f"{where}: {name}: id must be lowercase letters, digits, underscores")
    desc = raw["descriptions"]
    if not isinstance(desc, dict):
        raise CodebookError(f"{where}: {name}: descriptions must map language -> text")
    unknown = sorted(set(map(str, desc)) - set(languages))
    if unknown:
        raise CodebookError(
            f"{where}: {name}: unknown language(s) {unknown} in descriptions "
            f"(configured: {list(languages)})"
        )
    missing = [lang for lang in languages if not str(desc.get(lang) or "").strip()]
    if missing:
        raise CodebookError(f"{where}: {name}: no description in {missing}")
    kw = raw.get("keywords") or {}
    if not isinstance(kw, dict) or sorted(set(map(str, kw)) - set(languages)):
        raise CodebookError(f"{where}: {name}: keywords must map a configured language -> list")
    keywords = {str(k): tuple(str(w) for w in (v or [])) for k, v in sorted(kw.items())}
    return CodebookTheme(
        id=tid,
        label=str(raw["label"]).strip(),
        descriptions={lang: str(desc[lang]).strip() for lang in languages},
        keywords=keywords,
    )


def parse_codebook(data: object, *, languages=("vi", "fr", "en"), source="<codebook>") -> Codebook:
    """Validate a codebook already read from YAML."""
    languages = tuple(languages)
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise CodebookError(f"{source}: expected a mapping with a 'themes' list")
    if not data["themes"]:
        raise CodebookError(f"{source}: the 'themes' list is empty")
    themes = tuple(_parse_theme(i, raw, languages, source) for i, raw in enumerate(data["themes"]))
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
    return Codebook(themes=themes, languages=languages, source=source)


def load_codebook(path: str | Path | None = None, *, languages=("vi", "fr", "en")) -> Codebook:
    """Read and validate a codebook.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file; ``None`` reads the bundled ``cooperation.yaml``.
    languages : sequence of str
        Every theme must have a description in each of these languages, and
        no other.

    Raises
    ------
    CodebookError
        Naming the file and the theme entry at fault.
    """
    if path is None:
        ref = resources.files("coopthemes.codebook").joinpath(DEFAULT_CODEBOOK)
        text, source = ref.read_text(encoding="utf-8"), f"codebook/{DEFAULT_CODEBOOK}"
    else:
        p = Path(path)
        if not p.is_file():
            raise CodebookError(f"{p}: codebook file not found")
        text, source = p.read_text(encoding="utf-8"), str(p)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CodebookError(f"{source}: not valid YAML: {exc}") from exc
    return parse_codebook(data, languages=languages, source=source)


def seed_words(theme: CodebookTheme) -> list[str]:
    """A theme's keywords in every language (its label when it has none)."""
    words = []
    for lang in sorted(theme.keywords):
        words.extend(theme.keywords[lang])
    return words or [theme.label]
