"""The entries of a corpus folder: documents, and what is not read and why.

The folder is walked without following symbolic links to folders, in sorted
order, skipping hidden names (``.git``, ``.DS_Store``). Every other entry is
returned: a document file to read, or an entry that is not read with the
reason, so that the ledger accounts for it: a file of another type (a PDF),
a symbolic link whose target is missing or lies outside the corpus folder, a
link to a folder, something that is not a regular file (a named pipe, which
would block a reader).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DOCUMENT_SUFFIXES", "FolderEntry", "list_folder", "outside_link"]

DOCUMENT_SUFFIXES = (".txt", ".md", ".html", ".htm")


@dataclass(frozen=True)
class FolderEntry:
    """One entry under the corpus folder.

    Attributes
    ----------
    rel : str
        Path relative to the folder, with ``/``.
    path : Path
        The entry itself (not its link target).
    status : {"ok", "error", "missing"}
        ``ok`` for a document file to read; otherwise why it is not read.
    reason : str or None
    """

    rel: str
    path: Path
    status: str = "ok"
    reason: str | None = None


def outside_link(path: Path, root: Path) -> str | None:
    """Why the symbolic link ``path`` is not followed, or None (not a link, or a link inside ``root``)."""
    if not path.is_symlink():
        return None
    target = os.readlink(path)
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return f"dangling symbolic link (its target {target} does not exist)"
    if not resolved.is_relative_to(root.resolve()):
        return f"symbolic link to {target}, outside the corpus folder; not followed"
    return None


def _entry(path: Path, rel: str, root: Path) -> FolderEntry:
    why = outside_link(path, root)
    if why is not None:
        return FolderEntry(rel, path, "missing" if why.startswith("dangling") else "error", why)
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return FolderEntry(rel, path, "error", f"unreadable: {exc.strerror or exc}")
    if stat.S_ISDIR(mode):
        return FolderEntry(rel, path, "error", "symbolic link to a folder; not followed")
    if not stat.S_ISREG(mode):
        return FolderEntry(rel, path, "error", "not a regular file (a pipe, socket or device); not read")
    suffix = path.suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES:
        kind = f"'{suffix}'" if suffix else "without an extension"
        return FolderEntry(rel, path, "error",
                           f"file type {kind} is not read (documents are {', '.join(DOCUMENT_SUFFIXES)})")
    return FolderEntry(rel, path)


def list_folder(root: Path, *, skip: tuple[str, ...] = ()) -> list[FolderEntry]:
    """Every non-hidden entry under ``root`` but folders, sorted by relative path.

    Parameters
    ----------
    root : Path
        The corpus folder.
    skip : tuple of str
        Relative paths handled elsewhere (``metadata.csv``).
    """
    found = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            items = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            rel = Path(folder).relative_to(root).as_posix()
            found.append(FolderEntry(rel, Path(folder), "error", f"unreadable folder: {exc.strerror or exc}"))
            continue
        for item in items:
            if item.name.startswith("."):
                continue
            path = Path(item.path)
            rel = path.relative_to(root).as_posix()
            if item.is_dir(follow_symlinks=False):
                stack.append(path)
                continue
            if rel in skip:
                continue
            found.append(_entry(path, rel, root))
    return sorted(found, key=lambda e: e.rel)
