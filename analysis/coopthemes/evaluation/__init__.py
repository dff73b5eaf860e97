"""Evaluation harness: theme quality, cross-lingual consistency and stability."""

from .harness import EvaluationData, evaluate_labels, load_labelled, melt_parallel, score_themes

__all__ = ["EvaluationData", "evaluate_labels", "load_labelled", "melt_parallel", "score_themes"]
