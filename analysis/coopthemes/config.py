"""Run configuration: one frozen dataclass per stage, read from YAML, checked on construction.

Every option of every stage is a field here, reachable from a YAML file
(``themes: {min_cluster_size: 20}``) and from Python
(``ThemesConfig(min_cluster_size=20)``); a stage takes its section as it is
(:func:`coopthemes.load_corpus` takes a :class:`CorpusConfig`,
:class:`~coopthemes.ThemeModel` a :class:`ThemesConfig`). Each value is
converted to its field's type and checked for range when the dataclass is
built, whatever built it, and an error names the field
(``config.yaml: themes.min_cluster_size: expected an integer >= 2, got 'ten'``)
without echoing long values. Variants are made with :func:`with_overrides`
or :func:`dataclasses.replace`.

This module imports no stage: reading a configuration costs a YAML parse.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .safeyaml import read_yaml, short_repr

__all__ = [
    "ConfigError",
    "CorpusConfig",
    "EmbeddingConfig",
    "FIGURE_FORMATS",
    "POST_FIT_SETTINGS",
    "PrevalenceConfig",
    "ReportConfig",
    "RunConfig",
    "ThemesConfig",
    "config_to_dict",
    "load_config",
    "with_overrides",
]

#: Figure formats the report can write.
FIGURE_FORMATS = ("pdf", "png", "svg")

#: Theme settings applied to a fit without refitting (not part of the fit or its cache key).
POST_FIT_SETTINGS = ("edits", "n_themes")

#: Longest string a setting may hold (paths, column names, backend specs).
_MAX_STRING = 4096
#: Columns of the documents table (``coopthemes.schema.DOCUMENT_COLUMNS``, which
#: imports pandas; a test keeps the two equal).
_DOCUMENT_COLUMNS = (
    "doc_id", "source_path", "sha256", "title", "language", "date", "year", "year_source", "partners",
    "partner_source", "outlet", "n_passages", "status", "reason", "multilateral", "in_scope", "scope_reason",
)  # fmt: skip


#: Engines of the e5-small-q4 backend (``e5-small-q4:<engine>``).
E5_ENGINES = ("c", "numpy")
#: How ``embeddings.backend`` is spelled, for messages.
BACKEND_SPELLINGS = ("'e5-small-q4' (or 'e5-small-q4:c', 'e5-small-q4:numpy'), 'tfidf-svd' or "
                     "'sentence-transformers:<model id or folder>'")


def split_backend(spec: str) -> tuple[str, str] | None:
    """``(name, argument)`` of an embedding backend spelling (argument ``""`` when none), or None if unknown."""
    name, sep, arg = spec.strip().partition(":")
    arg = arg.strip()
    if (name == "e5-small-q4" and (not sep or arg in E5_ENGINES)) or (name == "tfidf-svd" and not sep) \
            or (name == "sentence-transformers" and arg):
        return name, arg
    return None


class ConfigError(ValueError):
    """A configuration value is missing, unknown, of the wrong type or out of range."""


def setting(default: Any, *, ge=None, gt=None, le=None, lt=None, choices=None, min_items=None, doc: str = ""):
    """A dataclass field with the range or choices its value must respect."""
    meta = {"ge": ge, "gt": gt, "le": le, "lt": lt, "choices": choices, "min_items": min_items, "doc": doc}
    return field(default=default, metadata={k: v for k, v in meta.items() if v is not None and v != ""})


# --------------------------------------------------------------------------
# conversion and checks
# --------------------------------------------------------------------------


def _bounds_text(meta: dict) -> str:
    parts = []
    for key, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if key in meta:
            parts.append(f"{sign} {meta[key]}")
    return " and ".join(parts)


def _expected(tp, meta: dict) -> str:
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    text = names.get(tp, getattr(tp, "__name__", str(tp)))
    bounds = _bounds_text(meta)
    return f"{text} {bounds}" if bounds else text


def _convert(value: Any, tp, where: str, meta: dict) -> Any:
    """``value`` as type ``tp`` (the field's annotation), or ConfigError naming ``where``."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(value, inner[0], where, meta)
    if origin is tuple:
        if isinstance(value, str):
            raise ConfigError(f"{where}: expected a list, got the string {short_repr(value)} (write [{value}])"
                              if len(value) < 40 else f"{where}: expected a list, got a string")
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {short_repr(value)}")
        (inner, *_rest) = typing.get_args(tp)
        items = tuple(_convert(v, inner, f"{where}[{i}]", {}) for i, v in enumerate(value))
        if len(items) < meta.get("min_items", 0):
            raise ConfigError(f"{where}: give at least {meta['min_items']} item(s)")
        return items
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {short_repr(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected {_expected(int, meta)}, got {short_repr(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected {_expected(float, meta)}, got {short_repr(value)}")
        if not math.isfinite(value):
            raise ConfigError(f"{where}: expected a finite number, got {short_repr(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {short_repr(value)}")
        if len(value) > _MAX_STRING:
            raise ConfigError(f"{where}: a string of {len(value)} characters is too long")
        if "\x00" in value:
            raise ConfigError(f"{where}: a string holds a NUL character")
        return value
    raise ConfigError(f"{where}: unsupported setting type {tp!r}")


def _check_range(value: Any, where: str, meta: dict) -> None:
    if value is None:
        return
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if "choices" in meta and v not in meta["choices"]:
            raise ConfigError(f"{where}: must be one of {list(meta['choices'])}, got {short_repr(v)}")
        if isinstance(v, int | float) and not isinstance(v, bool):
            ok = all(
                (key not in meta) or test(v, meta[key])
                for key, test in (
                    ("ge", lambda a, b: a >= b), ("gt", lambda a, b: a > b),
                    ("le", lambda a, b: a <= b), ("lt", lambda a, b: a < b),
                )
            )  # fmt: skip
            if not ok:
                raise ConfigError(f"{where}: must be {_bounds_text(meta)}, got {short_repr(v)}")


@lru_cache(maxsize=None)
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


class _Section:
    """Base of the configuration sections: converts and checks every field on construction."""

    #: Name of the section in a configuration file (``"themes"``).
    section = ""

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for f in dataclasses.fields(self):
            where = f"{self.section}.{f.name}" if self.section else f.name
            tp = hints[f.name]
            value = getattr(self, f.name)
            if dataclasses.is_dataclass(tp):
                if not isinstance(value, tp):
                    raise ConfigError(f"{where}: expected a {tp.__name__}")
                continue
            value = _convert(value, tp, where, dict(f.metadata))
            _check_range(value, where, dict(f.metadata))
            object.__setattr__(self, f.name, value)
        self._check()

    def _check(self) -> None:
        """Checks across fields (subclasses)."""

    def fail(self, name: str, message: str) -> typing.NoReturn:
        raise ConfigError(f"{self.section}.{name}: {message}" if self.section else f"{name}: {message}")


# --------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusConfig(_Section):
    """Where the documents are and how they are cleaned, cut and described.

    Attributes
    ----------
    path : str
        A folder of ``.txt/.md/.html/.htm`` files (with an optional
        ``metadata.csv``) or a ``.csv``, ``.jsonl`` or ``.parquet`` table.
    text_column, id_column, title_column, language_column, date_column, partner_column : str or None
        Column names of a table corpus (None: not given). Without an id
        column, ids are ``row00000``, ``row00001``... in row order.
    extra_columns : tuple of str
        Table or sidecar columns carried into ``documents`` (e.g. ``label``).
    languages : tuple of str
        ISO 639-1 codes that language detection chooses from; top terms,
        tables and figures cover these languages.
    home_country : str
        English name (as in the gazetteer) of the country whose ministries
        the corpus covers; never a partner.
    gazetteer : str or None
        A gazetteer YAML file; None uses the bundled one.
    min_passage_chars, max_passage_chars : int
        Article text shorter than the minimum is merged into a neighbouring
        passage; longer paragraphs are split on sentence boundaries.
    near_duplicate_threshold : float
        Word-shingle Jaccard similarity (0-1] from which a passage is a near
        duplicate of an earlier one.
    shingle_size : int
        Words per shingle for near-duplicate detection.
    partner_min_share : float
        A counterpart (partner country or organisation) needs at least this
        share (0-1] of the best counterpart's evidence score.
    partner_min_evidence : float
        Evidence score a counterpart needs: each sentence relating it to the
        home country weighs 1, or ``lead_weight`` in the title and lead (see
        :mod:`coopthemes.corpus.partners`). The default, 2, asks for one
        sentence in the lead or two in the body.
    lead_passages : int
        Leading kept passages (title and lead) whose evidence weighs more.
    lead_weight : float
        Weight of an evidence sentence in the title and lead (others weigh 1).
    relation_cues : str or None
        A relation cue YAML file (layout of the bundled ``relations.yaml``);
        None uses the bundled one.
    capture_min_words : int
        Words of prose (lines of six words or more, not page furniture) a
        page needs to hold an article; below, a page made mostly of furniture
        is a failed capture (status ``empty``).
    capture_min_furniture_share : float
        Share (0-1] of a page's lines that must be furniture (view counters,
        share buttons, footer, captions...) for it to be a failed capture.
    language_sample_chars : int
        Characters of a document used to detect its language.
    max_document_chars : int
        A document (file or table cell) longer than this many characters is
        not read: it is in the ledger with status ``error`` and the reason. A
        file larger than four bytes per character of the limit is not even
        opened.
    check_garbled : bool
        Drop garbled text with its reason (see ``garbled_max_share``), and
        text in a language other than ``languages`` (a German article in a
        Vietnamese, French and English corpus; documents whose language is
        given are not judged); false keeps every document that decodes.
    garbled_max_share : float
        Share (0-1] of a document's letters that may lie outside the writing
        systems of ``languages`` before the document is taken for text in
        another writing system (another language, or a file in an encoding
        the toolkit does not read) and dropped with the reason (status
        ``error``). Mojibake and undecodable bytes are recognised too (see
        :mod:`coopthemes.corpus.scripts`).
    """

    section = "corpus"

    path: str = "seeds"
    text_column: str = "text"
    id_column: str | None = None
    title_column: str | None = None
    language_column: str | None = None
    date_column: str | None = None
    partner_column: str | None = None
    extra_columns: tuple[str, ...] = ()
    languages: tuple[str, ...] = setting(("vi", "fr", "en"), min_items=1)
    home_country: str = "Vietnam"
    gazetteer: str | None = None
    min_passage_chars: int = setting(40, ge=1, le=100_000)
    max_passage_chars: int = setting(1200, ge=2, le=1_000_000)
    near_duplicate_threshold: float = setting(0.8, gt=0.0, le=1.0)
    shingle_size: int = setting(3, ge=1, le=50)
    partner_min_share: float = setting(0.25, gt=0.0, le=1.0)
    partner_min_evidence: float = setting(2.0, gt=0.0, le=1000.0)
    lead_passages: int = setting(2, ge=0, le=1000)
    lead_weight: float = setting(3.0, ge=1.0, le=1000.0)
    relation_cues: str | None = None
    capture_min_words: int = setting(25, ge=1, le=100_000)
    capture_min_furniture_share: float = setting(0.5, gt=0.0, le=1.0)
    language_sample_chars: int = setting(3000, ge=1, le=10_000_000)
    max_document_chars: int = setting(10_000_000, ge=100, le=1_000_000_000)
    check_garbled: bool = True
    garbled_max_share: float = setting(0.3, gt=0.0, le=1.0)

    def _check(self) -> None:
        if self.max_passage_chars < 2 * self.min_passage_chars:
            self.fail("max_passage_chars", "must be at least twice min_passage_chars "
                      f"({self.max_passage_chars} < 2 x {self.min_passage_chars})")
        bad = [c for c in self.languages if not (2 <= len(c) <= 3 and c.isalpha() and c.islower())]
        if bad:
            self.fail("languages", f"expected lowercase ISO 639-1 codes such as 'vi', got {short_repr(bad)}")
        if len(set(self.languages)) != len(self.languages):
            self.fail("languages", "a language is listed twice")
        for name in self.extra_columns:
            if not name.strip():
                self.fail("extra_columns", "a column name is empty")
            if name in _DOCUMENT_COLUMNS:
                self.fail("extra_columns", f"{short_repr(name)} is already a column of the documents table")
        if len(set(self.extra_columns)) != len(self.extra_columns):
            self.fail("extra_columns", "a column is listed twice")

    @property
    def columns(self) -> dict[str, str | None]:
        """Ledger field -> table column (``text``, ``doc_id``, ``title``, ``language``, ``date``, ``partner``)."""
        return {
            "text": self.text_column, "doc_id": self.id_column, "title": self.title_column,
            "language": self.language_column, "date": self.date_column, "partner": self.partner_column,
        }  # fmt: skip


@dataclass(frozen=True)
class EmbeddingConfig(_Section):
    """The embedding backend and its on-disk cache.

    Attributes
    ----------
    backend : str
        ``e5-small-q4`` (bundled, default), ``tfidf-svd``, or
        ``sentence-transformers:<model id or folder>`` (optional extra).
    batch_size : int
        Texts per model call.
    num_threads : int or None
        CPU threads of the model; None uses every core.
    cache_dir : str
        Folder of the embedding cache (and, beside it, of the theme-fit cache).
    """

    section = "embeddings"

    backend: str = "e5-small-q4"
    batch_size: int = setting(32, ge=1, le=100_000)
    num_threads: int | None = setting(None, ge=1, le=1024)
    cache_dir: str = ".cache/embeddings"

    def _check(self) -> None:
        if split_backend(self.backend) is None:
            self.fail("backend", f"expected {BACKEND_SPELLINGS}, got {short_repr(self.backend)}")
        if not self.cache_dir.strip():
            self.fail("cache_dir", "expected a folder")


@dataclass(frozen=True)
class ThemesConfig(_Section):
    """Settings of the theme model (:class:`~coopthemes.ThemeModel`) and its codebook.

    The seed is the run's top-level ``seed``.

    Attributes
    ----------
    codebook : str or None
        A codebook YAML file; None reads the bundled ``cooperation.yaml``.
    codebook_mode : {"evidence", "off"}
        ``"evidence"``: a passage takes a codebook theme on keyword evidence
        that the embedding agrees with (:mod:`coopthemes.themes.labeling`);
        codebook themes smaller than the minimum theme size are dissolved and
        the rest of the passages form discovered themes. ``"off"``: discovered
        themes only.
    min_theme_size : int
        A codebook theme is kept when at least this many passages discuss it
        (otherwise its passages go to discovered themes, which HDBSCAN makes
        of at least ``min_cluster_size`` passages).
    codebook_lead_passages : int
        The first passages of each document (title and lead) in which keyword
        evidence needs only a looser agreement of the embedding.
    codebook_lead_rank, codebook_body_rank : int
        The codebook theme must be among the ``rank + 1`` codebook themes most
        similar to the passage: in the lead and in the body (0: the most similar).
    codebook_list_themes : int
        A sentence naming the keywords of this many themes or more is a list
        ("cooperation in defence, economy, training..."), not evidence.
    codebook_list_segments, codebook_list_item_words : int
        In a sentence cut into this many items or more by commas, semicolons
        or colons, a keyword in an item of at most this many words is a list
        item, not evidence.
    align : bool
        Centre embeddings per language before clustering.
    neutralize : bool
        Mask the identity of counterparts (countries, organisations,
        demonyms, capitals, personal names) in the text that is embedded and
        counted for top terms, so that themes gather what is done rather than
        with whom (:mod:`coopthemes.corpus.neutralize`).
    fit_in_scope_only : bool
        Fit themes on the passages of in-scope documents only (those that
        show a relation of the home country with a counterpart); the other
        passages are then assigned to the fitted themes.
    min_cluster_size : int or None
        HDBSCAN's ``min_cluster_size``; None scales it to the corpus (2% of
        the passages, within [5, 200]).
    min_samples : int or None
        HDBSCAN's ``min_samples``; None uses a fifth of the cluster size
        (HDBSCAN's own default, equal to the cluster size, leaves many
        outliers and merges themes into a few large clusters).
    max_cluster_share : float or None
        Largest share of the passages one HDBSCAN cluster may hold; None sets
        no limit. With large cluster sizes, HDBSCAN's excess-of-mass selection
        can keep the root split and return two clusters for a whole corpus
        (on 8,178 UNC passages: 2 clusters, NMI 0.10; with the limit: 13,
        NMI 0.26).
    n_neighbors, n_components, min_dist : UMAP settings.
    n_runs : int
        UMAP + HDBSCAN fits whose consensus makes the themes, each seeded from
        the run's seed (1: a single fit, no consensus).
    consensus_min_share : float
        Passages share a discovered theme where they are together in at least
        this share of the fits, on average (average linkage on the co-association).
    smoothing_rounds : int
        Rounds in which each fitted passage takes the theme its
        ``n_neighbors`` nearest passages (similarity-weighted) hold most:
        translations and near-paraphrases end up in one theme.
    n_jobs : int or None
        Fits run at once (worker processes); None: one per core. The themes
        do not depend on it.
    min_stability : float
        A theme that reappears (Jaccard overlap >= 0.5) in fewer than this
        share of the fits is flagged unstable in tables and figures.
    outlier_strategy : {"embeddings", "none"}
        ``"embeddings"``: an outlier joins the theme whose centre is most
        similar, when the similarity reaches ``outlier_threshold``;
        ``"none"`` keeps outliers.
    outlier_threshold : float
        Minimum similarity for an outlier to be reassigned.
    top_n_terms : int
        Top terms kept per theme and language.
    n_representative : int
        Representative passages per theme.
    extra_stop_words : tuple of str
        Removed from top terms in addition to stopwordsiso's lists.
    max_fit_passages : int or None
        Above this many passages, the model is fitted on a seeded sample of
        this size and the other passages are assigned with ``transform``;
        None fits on all. The default keeps the consensus' fits a small part
        of a large run (its embedding takes longer); 10,000 passages are
        plenty to find themes of 2% of them.
    cache : bool
        Reuse an identical earlier fit (kept beside the embedding cache).
    edits : str or None
        A theme edits YAML file (rename, merge, drop, codebook; see
        :mod:`coopthemes.themes.edits`) applied to the fitted themes
        without refitting.
    n_themes : int or None
        Merge the most similar themes (exact similarity of their centres)
        until this many are left, after the edits; None keeps every theme.
        Neither setting changes the fit, which is reused from the cache.
    """

    section = "themes"

    codebook: str | None = None
    codebook_mode: str = setting("evidence", choices=("evidence", "off"))
    min_theme_size: int = setting(5, ge=1, le=1_000_000)
    codebook_lead_passages: int = setting(1, ge=0, le=100)
    codebook_lead_rank: int = setting(3, ge=0, le=100)
    codebook_body_rank: int = setting(0, ge=0, le=100)
    codebook_list_themes: int = setting(3, ge=2, le=100)
    codebook_list_segments: int = setting(4, ge=2, le=100)
    codebook_list_item_words: int = setting(6, ge=0, le=100)
    align: bool = True
    neutralize: bool = True
    fit_in_scope_only: bool = False
    min_cluster_size: int | None = setting(None, ge=2, le=1_000_000)
    min_samples: int | None = setting(None, ge=1, le=1_000_000)
    max_cluster_share: float | None = setting(0.5, gt=0.0, le=1.0)
    n_neighbors: int = setting(15, ge=2, le=1000)
    n_components: int = setting(5, ge=2, le=100)
    min_dist: float = setting(0.0, ge=0.0, le=1.0)
    n_runs: int = setting(15, ge=1, le=200)
    consensus_min_share: float = setting(0.4, gt=0.0, le=1.0)
    smoothing_rounds: int = setting(3, ge=0, le=50)
    n_jobs: int | None = setting(None, ge=1, le=1024)
    min_stability: float = setting(0.5, ge=0.0, le=1.0)
    outlier_strategy: str = setting("embeddings", choices=("embeddings", "none"))
    outlier_threshold: float = setting(0.0, ge=-1.0, le=1.0)
    top_n_terms: int = setting(10, ge=1, le=1000)
    n_representative: int = setting(3, ge=1, le=1000)
    extra_stop_words: tuple[str, ...] = ()
    max_fit_passages: int | None = setting(10_000, ge=100, le=10_000_000)
    cache: bool = True
    edits: str | None = None
    n_themes: int | None = setting(None, ge=1, le=100_000)

    def fit_options(self) -> ThemesConfig:
        """These settings without those applied after the fit (:data:`POST_FIT_SETTINGS`)."""
        return dataclasses.replace(self, **{name: None for name in POST_FIT_SETTINGS})


@dataclass(frozen=True)
class PrevalenceConfig(_Section):
    """Shares of themes by group and year, their intervals, and the regression.

    Attributes
    ----------
    group_column : str
        Document column the shares are broken down by: ``partner`` (each
        partner of a document counts it), or any document column, e.g. a
        ``label`` carried with ``corpus.extra_columns``.
    n_boot : int
        Bootstrap replicates (documents resampled within each group).
    min_group_size : int
        Groups with fewer documents are flagged, never silently plotted.
    ci : float
        Coverage of the intervals.
    regression : bool
        Fit the fractional-logit regression of theme share on group and year.
    year_effect : {"smooth", "linear", "categorical"}
        How year enters the regression: a cubic B-spline with at most four
        degrees of freedom (stm's ``s(year)``; fewer with fewer years), one
        slope, or one level per year.
    compare : tuple of str
        Groups whose expected shares the regression compares pairwise
        (differences with intervals); empty: the ``n_compare`` groups with
        the most documents.
    n_compare : int
        Groups compared when ``compare`` is empty (0: no differences).
    """

    section = "prevalence"

    group_column: str = "partner"
    n_boot: int = setting(2000, ge=1, le=1_000_000)
    min_group_size: int = setting(5, ge=1, le=1_000_000)
    ci: float = setting(0.95, ge=0.5, lt=1.0)
    regression: bool = True
    year_effect: str = setting("smooth", choices=("smooth", "linear", "categorical"))
    compare: tuple[str, ...] = ()
    n_compare: int = setting(4, ge=0, le=100)

    def _check(self) -> None:
        if not self.group_column.strip() or "+" in self.group_column:
            self.fail("group_column", "expected a column name (no '+')")
        if self.group_column in ("doc_id", "theme", "year"):
            self.fail("group_column", f"{self.group_column!r} cannot be the group (year is always a breakdown)")


@dataclass(frozen=True)
class ReportConfig(_Section):
    """What the report writes.

    Attributes
    ----------
    formats : tuple of {"pdf", "png", "svg"}
        Figure formats.
    """

    section = "report"

    formats: tuple[str, ...] = setting(FIGURE_FORMATS, choices=FIGURE_FORMATS, min_items=1)


@dataclass(frozen=True)
class RunConfig(_Section):
    """A whole run: the seed and one section per stage."""

    seed: int = setting(0, ge=0, le=2**32 - 1)
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    embeddings: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    themes: ThemesConfig = field(default_factory=ThemesConfig)
    prevalence: PrevalenceConfig = field(default_factory=PrevalenceConfig)
    report: ReportConfig = field(default_factory=ReportConfig)

    def _check(self) -> None:
        group = self.prevalence.group_column
        known = ("partner", *_DOCUMENT_COLUMNS, *self.corpus.extra_columns)
        if group not in known:
            close = difflib.get_close_matches(group, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"prevalence.group_column: {short_repr(group)} is not a documents column: use 'partner', a column of "
                f"the documents table, or one listed in corpus.extra_columns ({list(self.corpus.extra_columns)}){hint}"
            )


# --------------------------------------------------------------------------
# reading and writing
# --------------------------------------------------------------------------


def _build(cls, data: Any, where: str):
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{where or 'config'}: expected a mapping of settings, got {short_repr(data)}")
    hints = _hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key in sorted(data, key=str):
        path = f"{where}.{key}" if where else str(key)
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(names)})"
            shown = path if len(path) <= 80 else path[:79] + "…"
            raise ConfigError(f"{shown}: unknown setting{hint}")
        tp = hints[key]
        kwargs[key] = _build(tp, data[key], path) if dataclasses.is_dataclass(tp) else data[key]
    return cls(**kwargs)


def load_config(path: str | Path | None = None, *, data: dict | None = None) -> RunConfig:
    """Read a YAML configuration (or a dict); settings left out take their defaults.

    Raises
    ------
    ConfigError
        Naming the file and the setting at fault.
    """
    source = "config"
    if path is not None:
        source = str(path)
        data = read_yaml(path, what="configuration file", error=ConfigError)
        if data is None:
            data = {}
    try:
        return _build(RunConfig, {} if data is None else data, "")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def config_to_dict(config) -> dict:
    """Plain dict (lists for tuples) of a configuration or one of its sections, for JSON and YAML."""

    def plain(v):
        if isinstance(v, tuple | list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(dataclasses.asdict(config))


def with_overrides(config: RunConfig, **sections: Any) -> RunConfig:
    """A copy with some settings replaced, e.g. ``with_overrides(c, corpus={"path": "x"}, seed=3)``."""
    data = config_to_dict(config)
    for name, values in sections.items():
        if isinstance(values, dict) and isinstance(data.get(name), dict):
            data[name].update(values)
        else:
            data[name] = values
    return load_config(data=data)
