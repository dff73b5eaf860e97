"""Registries of the report's figures and tables (name -> function).

A figure function takes a :class:`~coopthemes.results.RunResult` and returns
a matplotlib Figure; a table function returns the tables it makes, each with
its file stem and caption. A function whose input is legitimately absent
(no regression in the run, no document with a year) raises :class:`Skip`
with the reason; any other exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pandas as pd

__all__ = ["FIGURES", "TABLES", "Skip", "TableOut", "figure", "table"]


class Skip(Exception):
    """The artefact does not apply to these results; the message says why."""


@dataclass(frozen=True)
class TableOut:
    """One table written by a table function."""

    stem: str
    data: pd.DataFrame
    caption: str


@dataclass(frozen=True)
class Entry:
    """A registered figure or table: its name, what it draws, and its file stem(s)."""

    name: str
    func: Callable
    doc: str

    def stem(self, results) -> str:
        """File stem of a figure (a figure may name itself after the run's group column)."""
        namer = getattr(self.func, "stem", None)
        return namer(results) if namer is not None else self.name


#: Figures, in the order the report draws them.
FIGURES: dict[str, Entry] = {}
#: Tables, in the order the report writes them.
TABLES: dict[str, Entry] = {}


def _register(registry: dict, name: str, stem: Callable | None) -> Callable:
    def wrap(func: Callable) -> Callable:
        if name in registry:
            raise ValueError(f"{name!r} is registered twice")
        if stem is not None:
            func.stem = stem
        registry[name] = Entry(name, func, (func.__doc__ or "").strip().splitlines()[0])
        return func

    return wrap


def figure(name: str, *, stem: Callable | None = None) -> Callable:
    """Register a figure function ``f(results) -> Figure`` under ``name``."""
    return _register(FIGURES, name, stem)


def table(name: str) -> Callable:
    """Register a table function ``f(results) -> iterable of TableOut`` under ``name``."""
    return _register(TABLES, name, None)


def entries(registry: dict, names=None) -> Iterator[Entry]:
    """The registered entries named (all when None), or KeyError naming the unknown one."""
    for name in registry if names is None else names:
        if name not in registry:
            raise KeyError(f"no figure or table named {name!r} (known: {', '.join(registry)})")
        yield registry[name]
