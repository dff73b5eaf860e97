"""Reuse of an identical theme fit.

A fit is stored under a key that covers everything it depends on: the
passages (ids, documents, languages, texts), their vectors, the theme
settings and seed, the codebook, the embedder's identity, the code of the
theme stage and the versions of the fitting libraries. An entry holds the
saved :class:`~coopthemes.ThemeModel` and ``entry.json``, which records the
entry's own key and the sha256 of every file; an entry whose key or files
do not match (damaged, edited, or moved from another key's place) is
refitted, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import ThemesConfig, config_to_dict
from ..embeddings.base import embedder_identity
from ..provenance import file_sha256
from .codebook import Codebook, codebook_to_dict
from .model import ThemeModel

__all__ = ["FIT_LIBRARIES", "ThemeFitCache"]

log = logging.getLogger(__name__)

#: Libraries whose versions can change a fit: part of the key.
FIT_LIBRARIES = ("bertopic", "hdbscan", "numba", "numpy", "pandas", "pynndescent", "scikit-learn", "scipy",
                 "umap-learn", "underthesea", "stopwordsiso")

_ENTRY = "entry.json"


def _file_digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): file_sha256(p)
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name != _ENTRY
    }  # fmt: skip


class ThemeFitCache:
    """Theme fits on disk, one folder per key under ``root``.

    Parameters
    ----------
    root : str or Path
        The cache folder (``themes/`` beside the embedding cache by default).
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def key(
        self,
        passages: pd.DataFrame,
        vectors: np.ndarray,
        *,
        options: ThemesConfig,
        random_state: int,
        codebook: Codebook | None,
        embedder,
    ) -> str:
        """sha256 of everything a fit depends on."""
        from .. import __version__

        h = hashlib.sha256()

        def feed(obj) -> None:
            data = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
            h.update(len(data).to_bytes(8, "little") + data)

        versions = {}
        for lib in FIT_LIBRARIES:
            try:
                versions[lib] = version(lib)
            except PackageNotFoundError:
                versions[lib] = None
        feed({"coopthemes": __version__, "libraries": versions})
        # the fitting code itself, so that an edited module never serves an old fit
        package = Path(__file__).resolve().parents[1]
        sources = sorted((package / "themes").glob("*.py")) + [package / "embeddings" / "alignment.py"]
        feed({p.relative_to(package).as_posix(): file_sha256(p) for p in sources})
        feed({"options": config_to_dict(options), "random_state": int(random_state)})
        feed(None if codebook is None else codebook_to_dict(codebook))
        feed(embedder_identity(embedder).as_dict())
        for column in ("passage_id", "doc_id", "language", "text", "fit_on"):
            feed(passages[column].astype(str).tolist() if column in passages else None)
        X = np.ascontiguousarray(vectors, dtype=np.float32)
        feed(list(X.shape))
        h.update(X.tobytes())
        return h.hexdigest()

    def load(self, key: str, *, embedder) -> ThemeModel | None:
        """The stored fit of ``key``, or None when absent or not to be trusted (then refit)."""
        entry = self.root / key
        if not (entry / _ENTRY).is_file():
            return None
        try:
            recorded = json.loads((entry / _ENTRY).read_text(encoding="utf-8"))
            if recorded.get("key") != key:
                raise ValueError(f"it records the key {str(recorded.get('key'))[:12]}…, not its own")
            if recorded.get("files") != _file_digests(entry):
                raise ValueError("its files differ from their recorded sha256")
            model = ThemeModel.load(entry / "model", embedder=embedder)
        except Exception as err:  # anything unreadable is refitted
            log.warning("theme cache entry %s is not used (%s); refitting", entry, err)
            return None
        return model

    def store(self, key: str, model: ThemeModel) -> None:
        """Store a fit atomically (written to a temporary folder, then renamed); a full disk costs the reuse only."""
        entry = self.root / key
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{key[:16]}."))
        except OSError as err:
            log.warning("could not store the theme fit in %s: %s", self.root, err)
            return
        try:
            model.save(tmp / "model")
            record = {"key": key, "files": _file_digests(tmp)}
            (tmp / _ENTRY).write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
            if entry.exists():
                shutil.rmtree(entry)
            os.replace(tmp, entry)
            model._source_dir = entry / "model"
        except OSError as err:
            log.warning("could not store the theme fit in %s: %s", entry, err)
            shutil.rmtree(tmp, ignore_errors=True)
