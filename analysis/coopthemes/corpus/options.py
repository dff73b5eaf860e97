"""Tunable parameters of the corpus stage."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CorpusOptions"]


@dataclass(frozen=True)
class CorpusOptions:
    """Parameters of passage building, duplicate detection and partner scoring.

    Attributes
    ----------
    min_passage_chars : int
        Article text shorter than this is merged into a neighbouring passage.
    max_passage_chars : int
        Longer paragraphs are split on sentence boundaries.
    near_duplicate_threshold : float
        Word-shingle Jaccard similarity (0-1] from which a passage is a near
        duplicate of an earlier one.
    shingle_size : int
        Words per shingle for near-duplicate detection.
    partner_min_share : float
        A country is a partner when its mention score is at least this share
        (0-1] of the top country's score.
    lead_passages : int
        Leading kept passages (title and lead) whose mentions weigh more.
    lead_weight : float
        Weight of a mention in the title and lead (others weigh 1).
    language_sample_chars : int
        Characters of a document used to detect its language.

    Use :func:`dataclasses.replace` for variants.
    """

    min_passage_chars: int = 40
    max_passage_chars: int = 1200
    near_duplicate_threshold: float = 0.8
    shingle_size: int = 3
    partner_min_share: float = 0.5
    lead_passages: int = 2
    lead_weight: float = 3.0
    language_sample_chars: int = 3000

    def __post_init__(self) -> None:
        positive_ints = ("min_passage_chars", "max_passage_chars", "shingle_size", "language_sample_chars")
        for name in positive_ints:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"CorpusOptions.{name}: expected a positive integer, got {value!r}")
        if self.max_passage_chars < 2 * self.min_passage_chars:
            raise ValueError(
                "CorpusOptions.max_passage_chars: must be at least twice min_passage_chars "
                f"({self.max_passage_chars} < 2 x {self.min_passage_chars})"
            )
        for name in ("near_duplicate_threshold", "partner_min_share"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"CorpusOptions.{name}: expected a number in (0, 1], got {value!r}")
        if not isinstance(self.lead_passages, int) or self.lead_passages < 0:
            raise ValueError(
                f"CorpusOptions.lead_passages: expected an integer >= 0, got {self.lead_passages!r}"
            )
        if self.lead_weight < 1:
            raise ValueError(f"CorpusOptions.lead_weight: expected a number >= 1, got {self.lead_weight!r}")
