"""The themes a coder may choose from, and reading what a coder wrote.

The choices are the codebook's themes, numbered in codebook order, plus
``none`` ("none of these", number 0). A coder may write a theme's code
(``maritime_security``), its number (``14``) or its label (``Maritime
security``, any case); several themes, where allowed, are separated by ``;``
(or commas between codes or numbers).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ._common import NONE, ValidationError

__all__ = ["CodeReader", "codebook_for", "theme_choices"]

NONE_LABEL = "None of these themes"
_SPLIT = re.compile(r"[;\n]+")


def codebook_for(result, path: str | Path | None = None):
    """The codebook a run used: ``path`` when given, else the one named in ``run.json``, else the bundled one.

    Raises
    ------
    ValidationError
        When ``run.json`` names a codebook file that cannot be found.
    """
    from ..themes.codebook import load_codebook

    languages = result.info.get("languages") or None
    if path is None:
        path = ((result.info.get("config") or {}).get("themes") or {}).get("codebook")
        if path is not None and not Path(path).is_file():
            raise ValidationError(f"{result.results_dir}: run.json names the codebook {path}, which is not "
                                  "there; pass --codebook FILE")
    return load_codebook(path, languages=languages)


def theme_choices(codebook) -> pd.DataFrame:
    """The coder's list of themes.

    Returns
    -------
    DataFrame
        Columns ``number, code, label, description_<lang>...`` (the
        codebook's languages); one row per codebook theme (numbers 1..K, in
        codebook order) and a last row ``0, none, None of these``.
    """
    rows = []
    for number, theme in enumerate(codebook.themes, start=1):
        row = {"number": number, "code": theme.id, "label": theme.label}
        row.update({f"description_{lang}": theme.descriptions.get(lang, "") for lang in codebook.languages})
        rows.append(row)
    none = {"number": 0, "code": NONE, "label": NONE_LABEL}
    none.update({f"description_{lang}": "" for lang in codebook.languages})
    rows.append(none)
    return pd.DataFrame(rows)


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


class CodeReader:
    """Reads codes as coders write them (code, number or label) into choice codes.

    Parameters
    ----------
    choices : DataFrame
        From :func:`theme_choices` (columns ``number, code, label``).
    """

    def __init__(self, choices: pd.DataFrame):
        self.choices = choices
        self.codes = [str(c) for c in choices["code"]]
        lookup = {}
        for number, code, label in zip(choices["number"], choices["code"], choices["label"]):
            for key in (str(number), code, label):
                lookup[_key(key)] = str(code)
        lookup[_key("none of these")] = NONE
        self._lookup = lookup

    def one(self, text: str) -> str | None:
        """The code of one entry, or None when it names no choice."""
        return self._lookup.get(_key(text))

    def read(self, cell: str, *, multiple: bool, where: str) -> list[str]:
        """The codes in one cell, sorted; ``[]`` for an empty cell.

        Raises
        ------
        ValidationError
            ``where`` followed by the unknown entry, or by "one code
            expected" when ``multiple`` is False and the cell holds several.
        """
        cell = str(cell).strip()
        if not cell:
            return []
        whole = self.one(cell)
        parts = [whole] if whole is not None else []
        if whole is None:
            for part in (p.strip() for p in _SPLIT.split(cell)):
                if not part:
                    continue
                code = self.one(part)
                if code is None and "," in part:
                    pieces = [self.one(p) for p in part.split(",") if p.strip()]
                    if pieces and all(pieces):
                        parts.extend(pieces)
                        continue
                if code is None:
                    raise ValidationError(f"{where}: unknown code {part!r} (expected a code, number or label "
                                          f"from the list of themes, or '{NONE}')")
                parts.append(code)
        codes = sorted(set(parts))
        if len(codes) > 1 and NONE in codes:
            raise ValidationError(f"{where}: '{NONE}' together with themes in {cell!r}")
        if not multiple and len(codes) > 1:
            raise ValidationError(f"{where}: one code expected, got {cell!r}")
        return codes
