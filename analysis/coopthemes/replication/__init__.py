"""Replication packages: what a journal's replication archive needs, and the check that it replicates.

::

    coopthemes export RESULTS_DIR --out replication.zip    # export_package
    coopthemes replicate replication.zip --out DIR          # replicate_package

:mod:`.package` describes the package's layout, :mod:`.archive` writes
deterministic zips and extracts them safely, :mod:`.export` makes a package
from a results folder and its report, :mod:`.replicate` refits the themes
from the shipped embeddings, regenerates every table and figure, and compares
each file with the sha256 that ``MANIFEST.json`` records.
"""

from __future__ import annotations

from .archive import ArchiveError, Limits, extract_archive, write_archive
from .export import ExportResult, export_package
from .package import ReplicationError
from .replicate import Check, ReplicationReport, replicate_package

__all__ = [
    "ArchiveError",
    "Check",
    "ExportResult",
    "Limits",
    "ReplicationError",
    "ReplicationReport",
    "export_package",
    "extract_archive",
    "replicate_package",
    "write_archive",
]
