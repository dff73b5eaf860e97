"""Validation of themes against human judgement.

Three kinds of evidence a reviewer asks for (Grimmer & Stewart 2013; Chang
et al. 2009; Ying, Montgomery & Stewart 2022), from a results folder:

* **coding**: a blind, stratified sample of passages or documents that
  coders label with codebook themes (:func:`draw_sample`,
  :func:`write_sample`); their agreement (Cohen's kappa, Krippendorff's
  alpha, overall and per theme), their consensus, and the model's precision,
  recall and F1 against it with bootstrap intervals (:func:`score_sheets`);
* **document codes**: coders' themes and partners per article, as in a
  content-analysis study, against the model's document themes and partners
  (:func:`score_document_codes`);
* **intrusion**: word and theme intrusion tasks (:func:`draw_intrusion`),
  scored as the share of intruders found.

The command line is ``coopthemes validate sample | intrusion | score``.
"""

from ._common import NONE, ValidationError, results_fingerprint
from .agreement import (agreement_by_theme, agreement_overall, cohen_kappa, consensus_binary, consensus_codes,
                        krippendorff_alpha)
from .choices import CodeReader, codebook_for, theme_choices
from .documents import read_document_codes, score_documents
from .intrusion import IntrusionTask, draw_intrusion, score_intrusion, theme_intrusion, word_intrusion, write_intrusion
from .labels import document_labels, passage_labels
from .plotting import score_dots
from .sample import CodingSample, allocate, draw_sample, write_sample
from .score import (ValidationScores, find_key, read_filled_sheets, score_document_codes, score_passage_sheets,
                    score_sheets, write_scores)
from .scores import binary_scores, bootstrap_counts, confusion_table, interval, set_scores
from .sheets import SheetError, read_sheet, safe_text, unsafe_text, write_csv, write_xlsx

__all__ = [
    "NONE",
    "CodeReader",
    "CodingSample",
    "IntrusionTask",
    "SheetError",
    "ValidationError",
    "ValidationScores",
    "agreement_by_theme",
    "agreement_overall",
    "allocate",
    "binary_scores",
    "bootstrap_counts",
    "codebook_for",
    "cohen_kappa",
    "confusion_table",
    "consensus_binary",
    "consensus_codes",
    "document_labels",
    "draw_intrusion",
    "draw_sample",
    "find_key",
    "interval",
    "krippendorff_alpha",
    "passage_labels",
    "read_document_codes",
    "read_filled_sheets",
    "read_sheet",
    "results_fingerprint",
    "safe_text",
    "score_document_codes",
    "score_documents",
    "score_dots",
    "score_intrusion",
    "score_passage_sheets",
    "score_sheets",
    "set_scores",
    "theme_choices",
    "theme_intrusion",
    "unsafe_text",
    "word_intrusion",
    "write_csv",
    "write_intrusion",
    "write_sample",
    "write_scores",
    "write_xlsx",
]
