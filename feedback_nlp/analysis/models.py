"""The models one analysis needs, loaded once: the sentiment classifier, the clause embedder
and the taxonomy's theme matcher; every call goes through the result cache when there is one.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from feedback_nlp.analysis.cached import cached_clauses, cached_embed, cached_predict
from feedback_nlp.cache import ResultCache
from feedback_nlp.encoders.device import limit_kernel_caches, resolve_precision
from feedback_nlp.errors import ModelError
from feedback_nlp.home import Progress
from feedback_nlp.settings import TAXONOMY_AUTO, ModelOptions

if TYPE_CHECKING:
    from feedback_nlp.themes.matcher import ThemeMatcher

# e5 wants "query: " for short symmetric texts (clauses vs theme prototypes)
CLAUSE_PREFIX = "query: "


class Models:
    """The models one analysis needs, loaded once: sentiment classifier, clause embedder, and the
    taxonomy's theme matcher (keyword indexes + semantic prototypes).

    >>> models = Models(taxonomy="ecommerce-cx")            # doctest: +SKIP
    >>> analyze(frame, models=models)                        # doctest: +SKIP
    """

    def __init__(
        self,
        options: ModelOptions | None = None,
        *,
        sentiment=None,
        embedder=None,
        cache: ResultCache | None = None,
        progress: Progress | None = None,
        **flags: Any,
    ) -> None:
        """Load the models; `sentiment` (with `.predict(texts, lang=..., batch_size=...)` and
        `.fingerprint`) and `embedder` (with `.embed(texts, prefix=...)` and `.fingerprint`) may
        be passed in instead, e.g. small models in tests. With a `cache`
        (:class:`feedback_nlp.cache.ResultCache`) only texts it lacks reach the models.

        What to load: `options` (:class:`feedback_nlp.settings.ModelOptions`) or its fields as
        keyword arguments: ``taxonomy``, ``sentiment_model``, ``precision``, ``batch_size``,
        ``backend``. `backend`: ``onnx`` (onnxruntime, fp32; a custom sentiment classifier runs
        on torch) or ``torch`` (:mod:`feedback_nlp.encoders.backend`). `precision` (torch only):
        ``fp32``, ``bf16`` (autocast), or ``auto`` = bf16 where the CPU computes
        bf16 natively (AVX512-BF16 or AMX), fp32 elsewhere. bf16 moved held-out macro-F1 of the
        builtin sentiment model by less than 0.5 point and left theme matches unchanged
        (docs/benchmarks.md)."""
        if options is not None and flags:
            raise TypeError("pass either a ModelOptions or keyword arguments, not both")
        self.options = options if options is not None else ModelOptions(**flags)
        limit_kernel_caches()  # before this process runs a torch kernel, where it can
        say = progress or (lambda _m: None)
        self.backend = self.options.backend
        # the onnx graphs run float32; bf16 is a torch autocast (settings refuses onnx + bf16)
        onnx = self.backend == "onnx"
        self.precision = "fp32" if onnx else resolve_precision(self.options.precision)
        if sentiment is None:
            from feedback_nlp.encoders.backend import load_sentiment

            say("Loading the sentiment model")
            sentiment = load_sentiment(
                self.options.sentiment_model,
                backend=self.backend,
                precision=self.precision,
                progress=progress,
            )
        if embedder is None:
            from feedback_nlp.encoders.backend import load_embedder

            say("Loading the builtin encoder for theme matching")
            embedder = load_embedder(backend=self.backend, progress=progress)
        self.sentiment = sentiment
        self.embedder = embedder
        self.cache = cache
        self._fingerprints: dict[str, str] | None = None
        self.shared_word_embeddings = _share_word_embeddings(sentiment, embedder)
        # taxonomy "auto": no matcher until the export is sampled
        # (feedback_nlp.analysis.choose.resolve_taxonomy gives these Models their taxonomy)
        self.matcher = (
            None
            if self.options.taxonomy == TAXONOMY_AUTO
            else self.theme_matcher(self.options.taxonomy)
        )

    @property
    def taxonomy_pending(self) -> bool:
        """True while the taxonomy is ``auto`` and not yet chosen for an export."""
        return self.matcher is None

    def with_taxonomy(self, taxonomy, *, name: str | None = None) -> Models:
        """The same loaded models matching `taxonomy`: a shipped name or a YAML file, or a
        ThemeMatcher already built (its prototypes are then not embedded again) with the `name`
        or path that loads it, which their options (and so Ray workers) then carry."""
        from feedback_nlp.themes.matcher import ThemeMatcher

        other = copy.copy(self)
        if isinstance(taxonomy, ThemeMatcher):
            other.matcher = copy.copy(taxonomy)
            other.matcher.embed = other.embed_clauses
            name = name or taxonomy.taxonomy.source or taxonomy.taxonomy.name
        else:
            other.matcher = other.theme_matcher(taxonomy)
            name = name or str(taxonomy)
        other.options = replace(self.options, taxonomy=str(name))
        other._fingerprints = None
        return other

    def theme_matcher(self, taxonomy) -> ThemeMatcher:
        """A ThemeMatcher of `taxonomy` (a shipped name, a YAML file or a Taxonomy) on these
        models' clause vectors; a shipped taxonomy's prototype vectors come from the model cache
        (:mod:`feedback_nlp.analysis.prototypes`), embedded and stored there the first time."""
        from feedback_nlp.analysis.prototypes import stored_loader
        from feedback_nlp.themes.matcher import ThemeMatcher

        fingerprint = getattr(self.embedder, "fingerprint", None)
        key = embedding_key(self.embedder, self.precision) if fingerprint else None
        return ThemeMatcher(taxonomy, embed=self.embed_clauses, load_prototypes=stored_loader(key))

    def with_cache(self, cache: ResultCache | None) -> Models:
        """The same loaded models, reading and filling `cache` (None: no cache); the taxonomy's
        prototypes, where not yet embedded, are then embedded through the cache too."""
        other = copy.copy(self)
        other.cache = cache
        if self.matcher is not None:
            other.matcher = copy.copy(self.matcher)
            other.matcher.embed = other.embed_clauses
        return other

    def set_threads(self, n: int) -> None:
        """Torch or onnxruntime threads for the next model calls (see `feedback_nlp.runner.engine.CoreMeter`)."""
        if hasattr(self.sentiment, "threads"):
            self.sentiment.threads = n
        if hasattr(self.embedder, "num_threads"):
            self.embedder.num_threads = n

    def _cache_keys(self) -> dict[str, str]:
        """What cached results depend on: weights, precision, and (embeddings) the prefix."""
        if self._fingerprints is None:
            from feedback_nlp.text.pipelines import splitter_fingerprint

            sentiment_precision = getattr(self.sentiment, "precision", "fp32")
            self._fingerprints = {
                "sentiment": f"{self.sentiment.fingerprint}|{sentiment_precision}",
                "embedding": embedding_key(self.embedder, self.precision),
                "clauses": f"{splitter_fingerprint()}|taxonomy={self.taxonomy.fingerprint}",
            }
        return self._fingerprints

    def _require(self, what: str) -> None:
        if getattr(self, what) is None:
            raise ModelError(
                f"These Models had their {what} released (release_transformers); "
                "load new Models to score or embed text."
            )

    def embed_clauses(self, texts) -> np.ndarray:
        """Unit vectors of clauses (the cache's where it has them)."""
        self._require("embedder")
        return embed_clauses(self.embedder, texts, precision=self.precision, cache=self.cache)

    def predict_sentiment(self, texts, langs) -> np.ndarray:
        """(n, 3) probabilities negative/neutral/positive (the cache's where it has them)."""
        self._require("sentiment")
        return cached_predict(
            self.cache,
            self.sentiment,
            texts,
            langs,
            batch_size=self.options.batch_size,
            fingerprint=self._cache_keys()["sentiment"] if self.cache is not None else None,
        )

    @property
    def taxonomy(self):
        if self.matcher is None:
            raise ModelError(
                "The taxonomy is 'auto' and not chosen yet: analyse through analyze() or run(), "
                "or give the Models a taxonomy name."
            )
        return self.matcher.taxonomy

    def clauses(self, texts: list[str], langs: list[str]) -> tuple[pd.DataFrame, list]:
        """``split_clauses(texts, langs)`` and the keyword hits of every clause
        (:meth:`ThemeMatcher.keyword_hits`), the cache's where it has them (see
        :func:`feedback_nlp.cache.cached_clauses`: those clauses carry ``lemmas`` = None)."""
        return cached_clauses(
            self.cache,
            self._cache_keys()["clauses"] if self.cache is not None else None,
            texts,
            langs,
            keyword_hits=self.matcher.keyword_hits,
            n_themes=len(self.taxonomy.themes),
        )

    def release_transformers(self) -> None:
        """Let the sentiment model and the encoder go once no more text is scored (~500 MiB of
        resident memory in the last bench run; docs/benchmarks.md).

        What theme discovery still needs stays: the taxonomy's prototype vectors (computed now if
        they are not yet), the fingerprints, the matcher and the spaCy pipelines. Scoring or
        embedding afterwards raises a ModelError."""
        self._released_fingerprints = self.fingerprints()
        self._cache_keys()  # discovery's label cache reads the clause fingerprint
        _ = self.matcher.prototypes
        self.sentiment = None
        self.embedder = None

    def fingerprints(self) -> dict[str, str]:
        released = getattr(self, "_released_fingerprints", None)
        if released is not None:
            return dict(released)
        found = {
            "sentiment": self.sentiment.fingerprint,
            "encoder": self.embedder.fingerprint,
            "taxonomy": f"{self.taxonomy.name}@{self.taxonomy.fingerprint[:16]}",
            "precision": self.precision,
            # what actually ran each model: a custom classifier stays on torch under onnx
            "sentiment_backend": getattr(self.sentiment, "backend", "torch"),
            "encoder_backend": getattr(self.embedder, "backend", "torch"),
        }
        for part, model in (("sentiment", self.sentiment), ("encoder", self.embedder)):
            graph = getattr(model, "graph_fingerprint", None)
            if graph:
                found[f"{part}_graph"] = f"onnx-{graph}"
        return found


def _embed_precision(embedder, precision: str) -> str:
    """bf16 autocast applies to a torch encoder only (a stand-in computes what it computes, the
    onnx graph float32). The key names no backend: onnx and torch fp32 vectors agree within 1e-4
    (tests/test_onnx_models.py), as closely as two torch runs on different thread counts."""
    return precision if hasattr(embedder, "model") else "fp32"


def embedding_key(embedder, precision: str) -> str:
    """What a cached clause vector depends on: the encoder's weights, the prefix, the precision."""
    return f"{embedder.fingerprint}|{CLAUSE_PREFIX}|{_embed_precision(embedder, precision)}"


def embed_clauses(
    embedder, texts, *, precision: str, cache: ResultCache | None = None
) -> np.ndarray:
    """Unit vectors of clauses as `analyze` computes them (the "query: " prefix, `precision`
    resolved: fp32 or bf16), read from and added to the result cache where one is given.
    Evaluation scripts call it too, so that they share the analysis' cached vectors."""

    def embed(batch: list[str]) -> np.ndarray:
        if _embed_precision(embedder, precision) != "bf16":
            return embedder.embed(batch, prefix=CLAUSE_PREFIX)
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16):
            return embedder.embed(batch, prefix=CLAUSE_PREFIX)

    return cached_embed(
        cache,
        embed,
        embedding_key(embedder, precision) if cache is not None else None,
        list(texts),
        dim=getattr(embedder, "dim", None),
    )


def _share_word_embeddings(sentiment, embedder) -> bool:
    """The builtin sentiment model is the builtin encoder plus trained parts that leave the
    word-embedding matrix (250k x 384) untouched: where both hold the same matrix, keep one copy
    in memory. The builtin encoder's loads already share one packed matrix (60 MB instead of
    384, :mod:`feedback_nlp.encoders.packed`); this covers float32 matrices, e.g. from a local folder."""
    import torch

    try:
        mine = sentiment.model.bert.embeddings.word_embeddings
        theirs = embedder.model.get_input_embeddings()
    except AttributeError:
        return False
    if mine is theirs:
        return True
    if not (hasattr(mine, "weight") and hasattr(theirs, "weight")):
        return False
    if not (isinstance(mine.weight, torch.Tensor) and isinstance(theirs.weight, torch.Tensor)):
        return False
    if mine.weight is theirs.weight:
        return True
    a, b = mine.weight, theirs.weight
    if a.shape != b.shape or a.dtype != b.dtype or a.ndim != 2:
        return False
    # a few rows, not all 96M numbers: the matrices are memory-mapped, and every row read
    # pages in its neighbourhood
    rows = torch.linspace(0, a.shape[0] - 1, steps=min(a.shape[0], 8)).long()
    with torch.no_grad():
        if not torch.equal(a[rows], b[rows]):
            return False
    mine.weight = theirs.weight
    return True
