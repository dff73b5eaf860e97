"""The corpus stage: raw documents in, ``documents`` and ``passages`` tables out.

Modules, in the order the data flows through them::

    load (folder, csvtable, decode, extract, sidecar; scripts: garbled text) -> repair
        -> furniture (failed captures) -> passages -> language, dates, gazetteer + relations
        -> partners -> scope -> build (the tables)

Use :func:`load_corpus` to run the stage and :func:`summarize_corpus` to
describe its result.
"""

from .build import load_corpus
from .gazetteer import Gazetteer, GazetteerError, load_gazetteer
from .summary import summarize_corpus

__all__ = [
    "Gazetteer",
    "GazetteerError",
    "load_corpus",
    "load_gazetteer",
    "summarize_corpus",
]
