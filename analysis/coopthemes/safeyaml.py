"""Read YAML written by people, safely: size limit, no aliases, no repeated keys.

Configuration, codebook, gazetteer and theme-edit files are small documents a
researcher writes by hand. :func:`read_yaml` refuses what such a file never
needs and what lets a few hundred bytes expand into gigabytes (YAML aliases,
the "billion laughs"), refuses a key given twice in one mapping (the second
would silently win), and names the file, the line and the problem in every
error, without echoing long values.
"""

from __future__ import annotations

import reprlib
from pathlib import Path

import yaml

__all__ = ["MAX_YAML_BYTES", "read_yaml", "parse_yaml", "short_repr"]

#: Largest YAML file read, in bytes (a codebook of a hundred themes is ~100 KB).
MAX_YAML_BYTES = 2 * 1024 * 1024


def _bounded_repr(limit: int) -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxtuple, r.maxset, r.maxfrozenset, r.maxdeque, r.maxarray = 3, 6, 6, 6, 6, 6, 6
    r.maxdict, r.maxstring, r.maxlong, r.maxother = 4, limit + 2, limit, limit
    return r


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages.

    Containers are described a few items deep (``reprlib``), so that the
    cost does not grow with the value: a nested list of millions of items is
    shown as ``[[[...], ...], ...]``, never built in full.
    """
    try:
        text = repr(value) if isinstance(value, (str, int, float, bool, type(None))) and not (
            isinstance(value, str) and len(value) > 4 * limit) else _bounded_repr(limit).repr(value)
    except Exception:  # a value whose repr fails is described by its type
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Refused(yaml.YAMLError):
    def __init__(self, message: str, mark):
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases and with unique mapping keys."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Refused(f"YAML aliases (*{event.anchor}) are not accepted", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _Refused("a mapping key must be a plain value", key_node.start_mark) from None
            if key in seen:
                raise _Refused(
                    f"key {short_repr(key)} is given twice (first on line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, *, source: str, error: type[Exception] = ValueError) -> object:
    """Parse YAML text with :class:`_Loader`; problems raise ``error("<source>: line N: ...")``."""
    if len(text.encode("utf-8", errors="replace")) > MAX_YAML_BYTES:
        raise error(f"{source}: larger than {MAX_YAML_BYTES // 1024} KB; not read")
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except _Refused as exc:
        raise error(f"{source}: line {exc.mark.line + 1}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{source}: not valid YAML: {where}{short_repr(problem, 120)}") from None
    except RecursionError:
        raise error(f"{source}: nested too deeply to read") from None


def read_yaml(path: str | Path, *, what: str = "YAML file", error: type[Exception] = ValueError) -> object:
    """Read a YAML file written by a person.

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is, for the "not found" message (``"configuration file"``).
    error : exception class
        Raised for every problem, with a message that starts with the path.

    Returns
    -------
    object
        The parsed document (``None`` for an empty file).
    """
    p = Path(path)
    if not p.is_file():
        raise error(f"{p}: {what} not found")
    size = p.stat().st_size
    if size > MAX_YAML_BYTES:
        raise error(f"{p}: {size} bytes, larger than the {MAX_YAML_BYTES // 1024} KB a {what} may have")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{p}: not UTF-8 text (byte {exc.start}); save the {what} as UTF-8") from None
    return parse_yaml(text, source=str(p), error=error)
