"""Shared pieces of the validation kit: its error, the "none" code, sample identities."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd

__all__ = ["NONE", "ValidationError", "as_list", "make_sample_id", "results_fingerprint"]

#: The code of "none of these themes".
NONE = "none"

#: Sample kinds: the letter that starts a sample id (and so every item id).
SAMPLE_KINDS = {"passage": "p", "document": "d", "word": "w", "theme": "t"}


class ValidationError(ValueError):
    """Bad input to the validation kit; the message names the file or table and the problem."""


def as_list(value) -> list:
    """A list from a list-like cell; missing values give ``[]``; a string gives ``[string]``."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, np.ndarray, pd.Series)):
        return [v for v in list(value) if not (v is None or (isinstance(v, float) and math.isnan(v)))]
    if isinstance(value, float) and math.isnan(value):
        return []
    try:
        if pd.isna(value):
            return []
    except (TypeError, ValueError):
        pass
    return [value]


def results_fingerprint(result) -> str:
    """SHA-256 (16 hex digits) of what a sample depends on in a results folder.

    It covers the corpus hash of ``run.json``, each kept passage's theme
    (``assignments``) and each theme's codebook id (``themes``); two runs
    that give the same themes have the same fingerprint.
    """
    assignments = result["assignments"]
    themes = result["themes"]
    digest = hashlib.sha256()
    digest.update(str(result.info.get("corpus_hash", "")).encode())
    for pid, tid in sorted(zip(assignments["passage_id"].astype(str), assignments["theme_id"].astype(int))):
        digest.update(f"a\t{pid}\t{tid}\n".encode())
    for tid, code in sorted(zip(themes["theme_id"].astype(int), themes["codebook_id"].astype(object))):
        digest.update(f"t\t{tid}\t{'' if code is None or pd.isna(code) else code}\n".encode())
    return digest.hexdigest()[:16]


def make_sample_id(kind: str, parameters: dict) -> str:
    """A sample's id: the kind's letter and 8 hex digits of the parameters' hash (``p3fa2c1d0``).

    The same results and parameters always give the same id, so item ids
    (``<sample_id>-0001``) are stable across reruns; a sheet from another
    sample is recognised by its ids alone.
    """
    text = json.dumps({"kind": kind, **parameters}, sort_keys=True, default=str)
    return SAMPLE_KINDS[kind] + hashlib.sha256(text.encode()).hexdigest()[:8]
