"""The README of a replication package: how to rerun, what is inside, what the check compares."""

from __future__ import annotations

__all__ = ["package_readme"]


def _code_line(manifest: dict, version: str) -> str:
    git = manifest.get("git") or {}
    commit = git.get("commit")
    if not commit:
        return f"coopthemes {version} (no git commit was recorded)"
    dirty = " with uncommitted changes" if git.get("dirty") else ""
    return f"coopthemes {version}, git commit `{commit}`{dirty}"


def package_readme(manifest: dict, description: dict) -> str:
    """Markdown text of ``README.md`` for a package described by ``description`` (``replication.json``)."""
    version = (manifest.get("packages") or {}).get("coopthemes") or description["coopthemes"]
    emb = description["embeddings"]
    embedder = emb["embedder"]
    settings = "\n".join(f"  - `{name}`: `{rec['file']}`" + (" (the bundled file)" if rec["value"] is None else "")
                         for name, rec in sorted(description["settings"].items()))
    n_tables = sum(1 for e in manifest["artefacts"] if e["path"].startswith("tables/"))
    n_figures = len(manifest["artefacts"]) - n_tables
    notes = "".join(f"- {note}\n" for note in description.get("notes") or [])
    return f"""# Replication package

Made by {_code_line(manifest, version)}, from the run recorded in `MANIFEST.json`
(Python {manifest.get('python', '?')}, {manifest.get('platform', '?')}; seed {manifest.get('seed')};
corpus sha256 `{manifest.get('corpus_hash')}`).

## Rerun

1. Python >= 3.11.5. Install the exact versions of the run and then coopthemes itself (from its
   repository at the commit above):

   ```bash
   unzip -q replication.zip      # replication/: this README, the lock, ...
   python -m venv .venv
   .venv/bin/pip install --no-deps --require-hashes -r replication/requirements.lock
   .venv/bin/pip install --no-deps /path/to/coopthemes   # the repository at the commit above
   ```

2. Replicate, into a new folder:

   ```bash
   .venv/bin/coopthemes replicate replication.zip --out replicated
   ```

   It refits the themes from the shipped embeddings (no embedding model call for the passages),
   recomputes the shares and the regression, redraws every figure and rewrites every table, then
   compares each file, by sha256, with `MANIFEST.json` ({n_tables} table files, {n_figures} figure
   files, and the results tables it lists), and the refitted model with the shipped one. It prints
   one line per file that differs and exits with status 1 when one does (0 when all match, 2 when
   the package cannot be read). `replicated/REPLICATION.json` records the outcome per file.
   Figure bytes (PDF, PNG, SVG) also depend on the matplotlib version and the fonts; the tables do
   not.

3. To rerun from the raw documents instead (they are not in the package), run
   `coopthemes run --config replication/config.yaml` with the corpus at the configured `corpus.path`:
   it embeds the passages again.

## Contents

- `MANIFEST.json`: the run's manifest, byte for byte: sha256 of every table, figure and results
  table, the configuration, package versions, git commit, and the command behind each file.
- `config.yaml`: the run's configuration.
- `results/`: the tables between stages (`documents.parquet`, `passages.parquet`: the corpus,
  every input accounted for; `assignments`, `themes`, `terms`, `theme_map`, `prevalence`,
  `excluded`, `effects`), `run.json`, and the fitted theme model (`model/`, loaded with
  `coopthemes.ThemeModel.load`).
- `embeddings/vectors.npy`: {emb['n']} x {emb['dim']} float32 vectors, one per kept passage, in the
  order of `embeddings/passage_ids.json`, made by `{embedder['backend']}` ({embedder['model']},
  version {embedder['version']}, prefix `{embedder['prefix']}`) from {emb['texts']}.
- `inputs/`: the files the configuration names:
{settings}
- the figures and `tables/` (CSV, LaTeX, Markdown), as the run wrote them.
- `requirements.lock`: exact versions with hashes; `packages.txt`: every distribution installed
  when the package was exported.
- `replication.json`: what the package holds, with the sha256 of every file.

{"## Notes" + chr(10) + chr(10) + notes if notes else ""}"""
