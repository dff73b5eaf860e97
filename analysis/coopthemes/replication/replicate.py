"""``coopthemes replicate``: regenerate every table and figure of a replication package and compare.

In a new folder ``DIR``::

    DIR/package/replication/   the package, extracted safely (:mod:`.archive`)
    DIR/results/               the results folder, regenerated
    DIR/<figures>, DIR/tables/ the report, regenerated, with its own MANIFEST.json
    DIR/REPLICATION.json       the outcome, file by file

What is reused and what is recomputed: the corpus tables (``documents``,
``passages``) and the passages' vectors are taken from the package (each
checked against its record: the manifest for the tables; the ids, the texts
and the sha256 of the bytes for the vectors); the themes are refitted from
those vectors (the theme-fit cache is not used), with the package's codebook
and gazetteer; the shares, the regression, the figures and the tables are
recomputed. Every regenerated file is compared, by sha256, with
``MANIFEST.json``, and the refitted model with the shipped one, file by file.
The explorer page shows the git state, package versions and platform of the
installation that wrote it: it is compared as rendered with those that
``MANIFEST.json`` records, so that what it shows of the results is checked.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..provenance import MANIFEST_NAME, file_sha256, package_versions
from .archive import Limits, extract_archive
from .package import FORMAT, PACKAGE_DIR, REPLICATION_JSON, ReplicationError, ids_digest, texts_digest

__all__ = ["Check", "REPORT_NAME", "ReplicationReport", "replicate_package"]

log = logging.getLogger(__name__)

#: The outcome, file by file, in the output folder.
REPORT_NAME = "REPLICATION.json"
_TEXT_TABLES = (".csv", ".md", ".tex", ".json", ".txt", ".yaml", ".html", ".svg")


@dataclass(frozen=True)
class Check:
    """One file compared with its record.

    Attributes
    ----------
    file : str
        The path, relative to the output folder (``tables/theme_overview.csv``,
        ``results/assignments.parquet``, ``package/replication/...`` for a
        shipped file).
    kind : str
        ``table``, ``figure``, ``report``, ``results``, ``model`` or ``package``.
    ok : bool
    problem : str or None
        What differs, when it does.
    """

    file: str
    kind: str
    ok: bool
    problem: str | None = None

    def __str__(self) -> str:
        return f"{self.file}: {'ok' if self.ok else self.problem}"


@dataclass
class ReplicationReport:
    """The outcome of :func:`replicate_package`.

    Attributes
    ----------
    out_dir : Path
    checks : list of Check
        Every file compared, sorted by kind and path.
    notes : list of str
        What may explain a difference (versions that differ from the run's).
    seconds : float
        Wall time of the replication.
    """

    out_dir: Path
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def mismatches(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if not c.ok]

    @property
    def ok(self) -> bool:
        """Whether every file matches its record."""
        return bool(self.checks) and not self.mismatches

    def counts(self) -> dict[str, tuple[int, int]]:
        """Kind -> (files that match, files compared)."""
        out: dict[str, tuple[int, int]] = {}
        for c in self.checks:
            good, total = out.get(c.kind, (0, 0))
            out[c.kind] = (good + c.ok, total + 1)
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        return {"ok": self.ok, "counts": {k: {"match": g, "compared": n} for k, (g, n) in self.counts().items()},
                "mismatches": [asdict(c) for c in self.mismatches], "checks": [asdict(c) for c in self.checks],
                "notes": self.notes}


def _kind(path: str) -> str:
    if path.startswith("results/model/"):
        return "model"
    if path.startswith("results/"):
        return "results"
    if path.startswith("tables/"):
        return "table"
    if path.rsplit(".", 1)[-1] in ("pdf", "png", "svg"):
        return "figure"
    return "report"


def _first_difference(new: Path, old: Path) -> str:
    """`` (line N: recorded '...', regenerated '...')`` for text files; empty otherwise."""
    if new.suffix not in _TEXT_TABLES or not old.is_file():
        return ""
    try:
        a = old.read_text(encoding="utf-8").splitlines()
        b = new.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return ""
    for number, (x, y) in enumerate(zip(a, b), start=1):
        if x != y:
            return f" (line {number}: recorded {x[:80]!r}, regenerated {y[:80]!r})"
    if len(a) != len(b):
        return f" ({len(a)} lines recorded, {len(b)} regenerated)"
    return ""


def _compare_page(out: Path, sha256: str, manifest: dict) -> Check:
    """The regenerated explorer page against its record, rendered with the recorded installation's facts.

    The page shows the git state, package versions, platform and Python of
    the installation that wrote the report; replicated elsewhere they differ,
    and with them the page's bytes. Rendered again from the regenerated
    results with the ones ``MANIFEST.json`` records, it must have the
    recorded sha256: the rest of the page, the results, is the same.
    """
    from ..explore import EXPLORER_NAME, page_bytes, report_page_data
    from ..results import read_results

    if not (out / EXPLORER_NAME).is_file():
        return Check(EXPLORER_NAME, _kind(EXPLORER_NAME), False, f"not regenerated (recorded in {MANIFEST_NAME})")
    data = page_bytes(report_page_data(read_results(out / "results"), environment=manifest))
    if hashlib.sha256(data).hexdigest() == sha256:
        return Check(EXPLORER_NAME, _kind(EXPLORER_NAME), True)
    return Check(EXPLORER_NAME, _kind(EXPLORER_NAME), False,
                 f"regenerated page differs from {MANIFEST_NAME} (with the installation it records)")


def _compare(new: Path, sha256: str, *, name: str, shipped: Path | None, reference: str) -> Check:
    kind = _kind(name)
    if not new.is_file():
        return Check(name, kind, False, f"not regenerated (recorded in {reference})")
    if file_sha256(new) == sha256:
        return Check(name, kind, True)
    detail = _first_difference(new, shipped) if shipped is not None and file_sha256(shipped) == sha256 else ""
    return Check(name, kind, False, f"regenerated file differs from {reference}{detail}")


# ---------------------------------------------------------------- the package as shipped


def _open_package(package: Path, out: Path, limits: Limits) -> tuple[Path, dict, dict]:
    extract_archive(package, out / "package", limits=limits)
    root = out / "package" / PACKAGE_DIR
    desc_path = root / REPLICATION_JSON
    if not desc_path.is_file():
        raise ReplicationError(f"{package}: not a replication package (no {PACKAGE_DIR}/{REPLICATION_JSON})")
    try:
        desc = json.loads(desc_path.read_text(encoding="utf-8"))
        manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ReplicationError(f"{package}: {REPLICATION_JSON} or {MANIFEST_NAME} is not readable ({err})") from None
    if not isinstance(desc, dict) or desc.get("format") != FORMAT:
        raise ReplicationError(f"{desc_path}: format {desc.get('format') if isinstance(desc, dict) else None!r}, "
                               f"expected {FORMAT}")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("artefacts"), list):
        raise ReplicationError(f"{root / MANIFEST_NAME}: not a coopthemes manifest")
    return root, desc, manifest


def _shipped_checks(root: Path, desc: dict, manifest: dict) -> list[Check]:
    """Each shipped file against its record: the manifest where it lists the file, else replication.json."""
    prefix = f"package/{PACKAGE_DIR}/"
    recorded = {name: (rec["sha256"], REPLICATION_JSON) for name, rec in (desc.get("files") or {}).items()}
    for entry in manifest.get("inputs") or []:
        name = (desc.get("inputs") or {}).get(entry["path"])
        if name is not None:
            recorded[name] = (entry["sha256"], MANIFEST_NAME)
    for entry in manifest["artefacts"]:
        recorded[entry["path"]] = (entry["sha256"], MANIFEST_NAME)
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {REPLICATION_JSON}
    checks = []
    for name in sorted(present | set(recorded)):
        path, kind = root / name, "package"
        if name not in recorded:
            checks.append(Check(prefix + name, kind, False, f"not listed in {REPLICATION_JSON}"))
        elif name not in present:
            checks.append(Check(prefix + name, kind, False,
                                f"missing from the package (listed in {recorded[name][1]})"))
        elif file_sha256(path) != recorded[name][0]:
            checks.append(Check(prefix + name, kind, False, f"shipped file differs from {recorded[name][1]}"))
        else:
            checks.append(Check(prefix + name, kind, True))
    return checks


# ---------------------------------------------------------------- regeneration


def _codebook(root: Path, desc: dict, config):
    record = (desc.get("settings") or {}).get("themes.codebook")
    if record is None:
        return None
    from ..safeyaml import read_yaml
    from ..themes.codebook import CodebookError, parse_codebook

    data = read_yaml(root / record["file"], what="codebook file", error=CodebookError)
    return parse_codebook(data, languages=config.corpus.languages, source=record.get("source") or record["file"])


def _edits(root: Path, desc: dict, config):
    """The theme edits shipped with the package, named as the run named them (None without edits)."""
    record = (desc.get("settings") or {}).get("themes.edits")
    if record is None or config.themes.edits is None:
        return None
    from ..themes.edits import load_edits

    return load_edits(root / record["file"], source=config.themes.edits)


def _gazetteer(root: Path, desc: dict):
    record = (desc.get("settings") or {}).get("corpus.gazetteer")
    if record is None:
        return None
    from ..corpus.gazetteer import load_gazetteer

    return load_gazetteer(root / record["file"])


def _vectors(root: Path, desc: dict, kept: pd.DataFrame, texts: list[str]) -> np.ndarray:
    """The shipped vectors, after checking they belong to these passages and texts."""
    emb = desc["embeddings"]
    where = root / emb["vectors"]
    ids = kept["passage_id"].astype(str).tolist()
    try:
        shipped_ids = json.loads((root / emb["passage_ids"]).read_text(encoding="utf-8"))
        vectors = np.load(where, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ReplicationError(f"{where}: not readable ({err})") from None
    if shipped_ids != ids or emb["ids_sha256"] != ids_digest(ids):
        raise ReplicationError(f"{root / emb['passage_ids']}: other passages than the kept ones of "
                               f"{root / 'results' / 'passages.parquet'}", file=emb["passage_ids"])
    if emb["texts_sha256"] != texts_digest(texts):
        raise ReplicationError(f"{where}: made from other texts than the shipped passages give "
                               "(passages, gazetteer or configuration changed)", file=emb["vectors"])
    if vectors.dtype != np.float32 or vectors.shape != (emb["n"], emb["dim"]):
        raise ReplicationError(f"{where}: {vectors.dtype} array of shape {vectors.shape}, expected float32 "
                               f"({emb['n']}, {emb['dim']})", file=emb["vectors"])
    import hashlib

    if hashlib.sha256(np.ascontiguousarray(vectors).tobytes()).hexdigest() != emb["vectors_sha256"]:
        raise ReplicationError(f"{where}: its vectors differ from the sha256 recorded in {REPLICATION_JSON}",
                               file=emb["vectors"])
    return vectors


def _run_info(root: Path) -> dict:
    path = root / "results" / "run.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(info, dict) or not isinstance(info.get("config"), dict):
            raise ValueError("no 'config' mapping")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ReplicationError(f"{path}: not a readable run record ({err})", file="results/run.json") from None
    return info


def _figure_formats(manifest: dict) -> tuple[str, ...]:
    """The figure formats the manifest lists, in the report's order."""
    from ..config import FIGURE_FORMATS

    suffixes = {e["path"].rsplit(".", 1)[-1] for e in manifest["artefacts"] if "/" not in e["path"]}
    return tuple(f for f in FIGURE_FORMATS if f in suffixes) or FIGURE_FORMATS


def _regenerate(root: Path, desc: dict, manifest: dict, out: Path, command: str) -> list[str]:
    """Refit and redraw into ``out``; returns notes on the embedder."""
    from ..config import load_config
    from ..pipeline import Embedded, kept_passages, make_embedder, run_from_embedded, theme_texts
    from ..report import build_report

    config = load_config(data=_run_info(root)["config"])
    documents = pd.read_parquet(root / "results" / "documents.parquet")
    passages = pd.read_parquet(root / "results" / "passages.parquet")
    kept = kept_passages(passages)
    texts = theme_texts(kept, config, gazetteer=_gazetteer(root, desc))
    vectors = _vectors(root, desc, kept, texts)
    embedder = make_embedder(config, texts)
    notes = []
    recorded = desc["embeddings"]["embedder"]
    if embedder.identity.as_dict() != recorded:
        notes.append(f"embedder: the package's vectors were made by {recorded}, this installation has "
                     f"{embedder.identity.as_dict()} (it embeds the codebook's descriptions)")
    embedded = Embedded(passages=kept, texts=texts, vectors=vectors, embedder=embedder,
                        cache={"hits": 0, "misses": 0, "model_calls": 0, "texts_embedded": 0})
    run_from_embedded(documents, passages, embedded, config, results_dir=out / "results", cache=False,
                      codebook=_codebook(root, desc, config), edits=_edits(root, desc, config))
    build_report(out / "results", out, formats=_figure_formats(manifest), command=command)
    return notes


def _regenerated_checks(root: Path, desc: dict, manifest: dict, out: Path) -> list[Check]:
    checks = []
    for entry in manifest.get("inputs") or []:
        name = (desc.get("inputs") or {}).get(entry["path"]) or f"results/{Path(entry['path']).name}"
        checks.append(_compare(out / name, entry["sha256"], name=name, shipped=root / name, reference=MANIFEST_NAME))
    from ..explore import EXPLORER_NAME

    listed = set()
    for entry in manifest["artefacts"]:
        listed.add(entry["path"])
        if entry["path"] == EXPLORER_NAME:
            checks.append(_compare_page(out, entry["sha256"], manifest))
            continue
        checks.append(_compare(out / entry["path"], entry["sha256"], name=entry["path"], shipped=root / entry["path"],
                               reference=MANIFEST_NAME))
    skip = {"package", "results"}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        name = path.relative_to(out).as_posix()
        if name.split("/")[0] in skip or name in (MANIFEST_NAME, REPORT_NAME) or name in listed:
            continue
        checks.append(Check(name, _kind(name), False, f"regenerated, but not in {MANIFEST_NAME}"))
    shipped_model, new_model = root / "results" / "model", out / "results" / "model"
    names = {p.relative_to(d).as_posix() for d in (shipped_model, new_model) for p in d.rglob("*") if p.is_file()}
    for rel in sorted(names):
        name, old, new = f"results/model/{rel}", shipped_model / rel, new_model / rel
        if not new.is_file():
            checks.append(Check(name, "model", False, "not regenerated (in the shipped model)"))
        elif not old.is_file():
            checks.append(Check(name, "model", False, "regenerated, but not in the shipped model"))
        elif file_sha256(new) != file_sha256(old):
            checks.append(Check(name, "model", False, f"refitted model differs from the shipped one"
                                                      f"{_first_difference(new, old)}"))
        else:
            checks.append(Check(name, "model", True))
    return checks


def _version_notes(manifest: dict) -> list[str]:
    from ..environment import warn_if_unlocked

    recorded = manifest.get("packages") or {}
    installed = package_versions(tuple(sorted(recorded)))
    notes = [f"{name}: the run used {recorded[name]}, {installed[name] or 'not installed'} is installed here"
             + (" (figure bytes depend on it)" if name == "matplotlib" else "")
             for name in sorted(recorded) if recorded[name] != installed[name]]
    notes += [f"installed {d} differs from the lock" for d in warn_if_unlocked(logger=log)]
    return notes


def replicate_package(package: str | Path, out_dir: str | Path, *, limits: Limits = Limits(),
                      command: str | None = None) -> ReplicationReport:
    """Regenerate every table and figure of a replication package and compare each with its record.

    Parameters
    ----------
    package : str or Path
        A zip written by :func:`coopthemes.replication.export_package`.
    out_dir : str or Path
        A new (or empty) folder.
    limits : Limits
        What the extraction accepts.
    command : str, optional
        Recorded in the regenerated manifest as the command that made the files.

    Returns
    -------
    ReplicationReport
        Also written to ``out_dir/REPLICATION.json``. A package whose
        vectors do not belong to its passages (or whose ``run.json`` cannot
        be read) is reported as a mismatch of that file, and nothing is
        regenerated then.

    Raises
    ------
    ReplicationError
        The output folder is not empty, or the package cannot be read
        (not a zip, an unsafe entry, no ``replication.json``).
    """
    t0 = time.perf_counter()
    package, out = Path(package), Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReplicationError(f"{out}: exists and is not an empty folder; give a new one")
    root, desc, manifest = _open_package(package, out, limits)
    report = ReplicationReport(out_dir=out, notes=_version_notes(manifest))
    checks = _shipped_checks(root, desc, manifest)
    command = command or f"coopthemes replicate {package} --out {out}"
    try:
        report.notes += _regenerate(root, desc, manifest, out, command)
    except ReplicationError as err:
        if err.file is None:
            raise
        checks.append(Check(f"package/{PACKAGE_DIR}/{err.file}", "package", False, str(err)))
    else:
        checks += _regenerated_checks(root, desc, manifest, out)
    order = {"package": 0, "results": 1, "model": 2, "table": 3, "figure": 4, "report": 5}
    report.checks = sorted(checks, key=lambda c: (order.get(c.kind, 9), c.file))
    report.seconds = round(time.perf_counter() - t0, 1)
    text = json.dumps({**report.to_dict(), "seconds": report.seconds}, indent=2, sort_keys=True, ensure_ascii=False)
    (out / REPORT_NAME).write_text(text + "\n", encoding="utf-8")
    return report
