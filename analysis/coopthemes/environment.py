"""The pinned environment: the lock of exact versions, and how the installed versions differ from it.

The lock, ``requirements.lock``, ships inside the package (package data, next
to this module), so that an installed coopthemes finds the lock it was made
with wherever it is installed from. It pins, with their hashes, every
distribution that ``make install`` installs: coopthemes' dependencies with
the ``test`` and ``dask`` extras, for every platform (environment markers),
and BERTopic, installed without its dependencies (its metadata asks for
sentence-transformers and torch, which the core does not need)::

    pip install --no-deps --require-hashes -r analysis/coopthemes/requirements.lock
    pip install --no-deps -e .

``make lock`` regenerates it from ``pyproject.toml`` (keeping the locked
versions where they still fit; ``make lock UPGRADE=1`` takes the newest).

A run warns, naming the packages, when installed versions differ from the
lock (:func:`warn_if_unlocked`), and ``MANIFEST.json`` records the lock's
sha256 and the differences (:func:`lock_record`).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = [
    "LOCK_NAME",
    "LockDifference",
    "LockError",
    "lock_differences",
    "lock_path",
    "lock_record",
    "read_lock",
    "warn_if_unlocked",
]

log = logging.getLogger(__name__)

#: File name of the lock, package data of ``coopthemes``.
LOCK_NAME = "requirements.lock"

#: A requirement line of the lock: ``name==version`` and optional ``; marker``.
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;(?P<marker>[^\\]*))?")


class LockError(ValueError):
    """The lock file cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class LockDifference:
    """A locked distribution whose installed version is another (``installed`` None: not installed)."""

    package: str
    locked: str
    installed: str | None

    def __str__(self) -> str:
        now = "not installed" if self.installed is None else self.installed
        return f"{self.package} {now} (locked {self.locked})"


def normalize_name(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Jinja2`` -> ``jinja2``, ``et_xmlfile`` -> ``et-xmlfile``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_path() -> Path | None:
    """The lock shipped with the package, or None when this installation has none."""
    ref = resources.files("coopthemes").joinpath(LOCK_NAME)
    path = Path(str(ref))
    return path if path.is_file() else None


def _applies(marker: str | None, where: str) -> bool:
    if not marker or not marker.strip():
        return True
    from packaging.markers import InvalidMarker, Marker

    try:
        return Marker(marker.strip()).evaluate()
    except InvalidMarker as err:
        raise LockError(f"{where}: environment marker {marker.strip()!r} is not valid ({err})") from None


def read_lock(path: str | Path | None = None) -> dict[str, str]:
    """Locked versions that apply to this interpreter and platform.

    Parameters
    ----------
    path : str or Path, optional
        A lock in the format of ``pip-compile``/``uv pip compile``
        (``name==version ; marker \\`` lines followed by ``--hash`` lines);
        default: :func:`lock_path`.

    Returns
    -------
    dict of str -> str
        Normalised distribution name -> version, sorted by name; packages
        whose environment marker excludes this platform are left out.

    Raises
    ------
    LockError
        The file is missing, or a line is neither a pin, a hash, an option
        nor a comment (the line number is given).
    """
    file = Path(path) if path is not None else lock_path()
    if file is None or not file.is_file():
        raise LockError(f"{file or LOCK_NAME}: lock file not found")
    pins: dict[str, str] = {}
    for number, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", "--")):
            continue
        where = f"{file}: line {number}"
        match = _PIN.match(line)
        if match is None:
            raise LockError(f"{where}: expected 'name==version', got {line[:80]!r}")
        if _applies(match["marker"], where):
            pins[normalize_name(match["name"])] = match["version"]
    return dict(sorted(pins.items()))


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _same(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def lock_differences(path: str | Path | None = None, *,
                     required: tuple[str, ...] | None = None) -> list[LockDifference]:
    """Locked distributions installed in another version, and required ones not installed.

    Parameters
    ----------
    path : str or Path, optional
        The lock (default: the one shipped with the package).
    required : tuple of str, optional
        Distributions reported when they are not installed (default: those
        whose versions the manifest records,
        :data:`coopthemes.provenance.PACKAGES`); other locked distributions
        that are absent (the test extra of a plain install) are not a
        difference.

    Returns
    -------
    list of LockDifference
        Sorted by package name; empty when the installed versions are the locked ones.
    """
    if required is None:
        from .provenance import PACKAGES

        required = PACKAGES
    wanted = {normalize_name(n) for n in required}
    out = []
    for name, locked in read_lock(path).items():
        installed = _installed(name)
        if installed is None and name not in wanted:
            continue
        if installed is None or not _same(installed, locked):
            out.append(LockDifference(name, locked, installed))
    return out


def lock_record(path: str | Path | None = None) -> dict | None:
    """What ``MANIFEST.json`` records of the lock: its sha256 and the installed versions that differ.

    Returns
    -------
    dict or None
        ``{"file": "requirements.lock", "sha256": str, "differences": [{"package", "locked", "installed"}]}``;
        None when the package ships no lock.
    """
    file = Path(path) if path is not None else lock_path()
    if file is None or not file.is_file():
        return None
    return {
        "file": file.name,
        "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
        "differences": [
            {"package": d.package, "locked": d.locked, "installed": d.installed} for d in lock_differences(file)
        ],
    }


def warn_if_unlocked(path: str | Path | None = None, *, logger: logging.Logger | None = None) -> list[LockDifference]:
    """Warn, naming the packages, when installed versions differ from the lock; return the differences.

    A package without a lock (installed without its package data) is noted
    at INFO level only; an unreadable lock is a warning, never an error.
    """
    logger = logger or log
    try:
        differences = lock_differences(path)
    except LockError as err:
        (logger.info if "not found" in str(err) else logger.warning)("versions not checked: %s", err)
        return []
    if differences:
        shown = ", ".join(str(d) for d in differences[:12])
        more = f" and {len(differences) - 12} more" if len(differences) > 12 else ""
        logger.warning(
            "installed versions differ from the lock (%s): %s%s; results may differ from those made in the locked "
            "environment (make install installs it)", LOCK_NAME, shown, more)
    return differences
