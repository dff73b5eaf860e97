"""Zip archives whose bytes depend only on their content, and their safe extraction.

Writing (:func:`write_archive`): entries sorted by name, every timestamp
1980-01-01 00:00:00 (the earliest a zip can hold), fixed permissions (0644),
Unix as the creating system, no comment, deflate at level 9. The same files
give the same archive on every run. (Deflate's output is fixed by the zlib
library; every current zlib release gives the same bytes at one level.)

Extraction (:func:`extract_archive`) refuses, before writing anything, an
archive that is not a zip, an entry whose name is absolute, climbs out with
``..``, uses a backslash, a drive letter or a control character, repeats
another name (also when only the case differs), is a symbolic link or is
encrypted; and one whose declared sizes pass :class:`Limits` (entries, bytes
per file, bytes in all, compression ratio). While extracting, the bytes
actually read are counted against the declared sizes.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["ArchiveError", "Limits", "ZIP_DATE", "extract_archive", "safe_name", "write_archive"]

#: Timestamp of every entry.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644
_UNIX = 3
_CHUNK = 1 << 20


class ArchiveError(ValueError):
    """An archive cannot be written or is not safe to extract; the message names the archive and the entry."""


@dataclass(frozen=True)
class Limits:
    """What :func:`extract_archive` accepts.

    Attributes
    ----------
    max_entries : int
    max_file_bytes : int
        Uncompressed size of one entry.
    max_total_bytes : int
        Uncompressed size of all entries together.
    max_ratio : float
        Uncompressed / compressed size of an entry larger than 1 MiB (a
        zip bomb compresses far more than any table or array).
    """

    max_entries: int = 100_000
    max_file_bytes: int = 8 << 30
    max_total_bytes: int = 32 << 30
    max_ratio: float = 1000.0


_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_name(name: str) -> str | None:
    """Why ``name`` is not a safe relative entry name, or None when it is.

    A safe name is relative, uses ``/`` only, has no empty, ``.`` or ``..``
    part, no drive letter and no control character.
    """
    if not name:
        return "empty name"
    if _CONTROL.search(name):
        return "control character in the name"
    if "\\" in name:
        return "backslash in the name"
    if name.startswith("/") or _DRIVE.match(name):
        return "absolute path"
    parts = name.rstrip("/").split("/")
    if any(part == ".." for part in parts):
        return "'..' in the path"
    if any(part in ("", ".") for part in parts):
        return "empty or '.' part in the path"
    return None


def _info(name: str, size: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = _UNIX
    info.external_attr = _FILE_MODE << 16
    info.file_size = size
    info._compresslevel = 9  # ZipFile.open(info, "w") takes the level from the entry
    return info


def write_archive(entries: Mapping[str, Path | bytes], out: str | Path) -> Path:
    """Write a zip of ``entries`` whose bytes depend only on their names and content.

    Parameters
    ----------
    entries : mapping of str -> Path or bytes
        Entry name (relative, ``/``-separated) -> a file to copy or the bytes to store.
    out : str or Path
        The archive; written to a temporary file beside it and moved into
        place, so that a failed export leaves no partial archive.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ArchiveError
        An entry name is not safe (see :func:`safe_name`) or appears twice.
    """
    out = Path(out)
    seen: dict[str, str] = {}
    for name in entries:
        why = safe_name(name)
        if why is not None or name.endswith("/"):
            raise ArchiveError(f"{out}: entry {name!r} cannot be stored ({why or 'a folder name'})")
        if name.casefold() in seen:
            raise ArchiveError(f"{out}: entries {seen[name.casefold()]!r} and {name!r} differ only in case")
        seen[name.casefold()] = name
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name in sorted(entries):
                source = entries[name]
                if isinstance(source, bytes):
                    zf.writestr(_info(name, len(source)), source)
                    continue
                with open(source, "rb") as src, zf.open(_info(name, os.path.getsize(source)), "w") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
        os.chmod(tmp, 0o666 & ~_umask())  # as an ordinary new file, not the temporary file's 0600
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_entries(archive: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise ArchiveError(f"{archive}: {len(infos)} entries, more than the {limits.max_entries} allowed")
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        name = info.filename
        why = safe_name(name)
        if why is not None:
            raise ArchiveError(f"{archive}: entry {name!r} refused ({why})")
        key = name.rstrip("/").casefold()
        if key in seen:
            raise ArchiveError(f"{archive}: entry {name!r} repeats {seen[key]!r}")
        seen[key] = name
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"{archive}: entry {name!r} refused (a symbolic link)")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"{archive}: entry {name!r} refused (encrypted)")
        if info.file_size > limits.max_file_bytes:
            raise ArchiveError(f"{archive}: entry {name!r} holds {info.file_size} bytes, more than the "
                               f"{limits.max_file_bytes} allowed")
        if info.file_size > _CHUNK and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ArchiveError(f"{archive}: entry {name!r} expands {info.file_size / max(info.compress_size, 1):.0f} "
                               f"times, more than the {limits.max_ratio:.0f} allowed")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveError(f"{archive}: its entries hold more than the {limits.max_total_bytes} bytes allowed")
    files = {i.filename.rstrip("/") for i in infos if not i.is_dir()}
    for name in sorted(files):
        parents = PurePosixPath(name).parents
        clash = next((str(p) for p in parents if str(p) in files), None)
        if clash is not None:
            raise ArchiveError(f"{archive}: entry {name!r} lies under the file {clash!r}")


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, archive: Path) -> None:
    written = 0
    with zf.open(info) as src, open(target, "xb") as dst:
        while block := src.read(_CHUNK):
            written += len(block)
            if written > info.file_size:
                raise ArchiveError(f"{archive}: entry {info.filename!r} holds more bytes than it declares")
            dst.write(block)
    if written != info.file_size:
        raise ArchiveError(f"{archive}: entry {info.filename!r} holds fewer bytes than it declares")


def extract_archive(archive: str | Path, dest: str | Path, *, limits: Limits = Limits()) -> list[Path]:
    """Extract a zip into ``dest`` (created; it must not exist or be empty), refusing unsafe archives.

    Returns
    -------
    list of Path
        The files written, in the archive's order.

    Raises
    ------
    ArchiveError
        The archive is missing, not a zip, damaged, or refused (see the
        module's description); the message names the archive and the entry.
        Nothing is written when an entry is refused before extraction.
    """
    archive, dest = Path(archive), Path(dest)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such file")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError(f"{dest}: exists and is not an empty folder")
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            _check_entries(archive, infos, limits)
            dest.mkdir(parents=True, exist_ok=True)
            root = dest.resolve()
            written = []
            for info in infos:
                target = dest.joinpath(*info.filename.rstrip("/").split("/"))
                if not target.resolve().is_relative_to(root):
                    raise ArchiveError(f"{archive}: entry {info.filename!r} would be written outside {dest}")
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                _copy_member(zf, info, target, archive)
                written.append(target)
    except zipfile.BadZipFile as err:
        raise ArchiveError(f"{archive}: not a readable zip archive ({err})") from None
    except (zipfile.LargeZipFile, NotImplementedError, EOFError) as err:
        raise ArchiveError(f"{archive}: cannot be read ({err})") from None
    return written
