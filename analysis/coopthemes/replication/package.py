"""The layout of a replication package, shared by :mod:`.export` and :mod:`.replicate`.

A package is a zip (:mod:`.archive`) with one folder, ``replication/``::

    README.md              how to rerun, what is inside
    replication.json       what the package holds (below)
    MANIFEST.json          the run's manifest, byte for byte: the sha256 of every table and figure
    config.yaml            the run's configuration
    requirements.lock      the lock of exact versions (with hashes) of the package that exported it
    packages.txt           every distribution installed when it was exported, ``name==version``
    results/               the results folder: every table, run.json, the fitted model (model/)
    embeddings/            vectors.npy (float32, one row per kept passage) and passage_ids.json
    inputs/                the files the configuration names (codebook, gazetteer, relation cues),
                           the bundled ones where it names none
    <figures>, tables/     the report, at the paths MANIFEST.json gives them

``replication.json`` holds ``format``, ``coopthemes`` (the version that
exported it), ``embeddings`` (the files, the embedder's identity, ``n``,
``dim``, which text was embedded, and the sha256 of the ids, the texts and
the vector bytes),
``settings`` (each file setting: its value in the configuration, the file in
the package, and for the codebook the ``source`` it was read as), ``inputs``
(each manifest input -> its file in the package) and ``files`` (sha256 and
size of every other file of the package).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "FORMAT",
    "INPUT_SETTINGS",
    "PACKAGE_DIR",
    "REPLICATION_JSON",
    "RESERVED",
    "ReplicationError",
    "ids_digest",
    "texts_digest",
]

#: Format tag of ``replication.json``.
FORMAT = "coopthemes-replication/1"
#: The one folder at the top of the zip.
PACKAGE_DIR = "replication"
#: The package's description of itself.
REPLICATION_JSON = "replication.json"
#: Settings that name a file, and the file's name under ``inputs/``. Where such
#: a setting is null, the package ships the bundled file that the run read
#: (:func:`coopthemes.replication.export.bundled_file`), or nothing for a
#: setting without one.
INPUT_SETTINGS = {
    "corpus.gazetteer": "gazetteer.yaml",
    "corpus.relation_cues": "relations.yaml",
    "themes.codebook": "codebook.yaml",
    "themes.edits": "edits.yaml",
}
#: Fixed names at the top of the package (a report artefact may not take one).
RESERVED = ("README.md", REPLICATION_JSON, "MANIFEST.json", "config.yaml", "requirements.lock", "packages.txt",
            "results", "embeddings", "inputs")


class ReplicationError(ValueError):
    """A package cannot be made or read; the message names the file and the problem.

    ``file`` is the package's file at fault (relative to the package), when one is.
    """

    def __init__(self, message: str, *, file: str | None = None):
        super().__init__(message)
        self.file = file


def texts_digest(texts: Sequence[str]) -> str:
    """sha256 of the texts' own sha256 (UTF-8), one per line: what the vectors were computed from."""
    h = hashlib.sha256()
    for text in texts:
        h.update(hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii") + b"\n")
    return h.hexdigest()


def ids_digest(ids: Sequence[str]) -> str:
    """sha256 of the passage ids, one per line."""
    return hashlib.sha256("".join(f"{i}\n" for i in ids).encode("utf-8")).hexdigest()
