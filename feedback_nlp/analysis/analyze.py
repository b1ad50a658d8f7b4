"""The analysis stage: cleaned comments -> clauses, sentiment, themes (DESIGN.md data flow).

`analyze` turns a canonical frame into an `Analysis` (comments + mentions frames). The models are
loaded once into `Models` and can be reused across calls (batches, chunks, Ray workers).
Nothing here prints, exits or imports the CLI.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.cache import ResultCache, cached_clauses, cached_embed, cached_predict
from feedback_nlp.errors import ModelError
from feedback_nlp.home import Progress
from feedback_nlp.text.clean import clean

MENTION_COLUMNS = [
    s.COMMENT_ID,
    s.CLAUSE_ID,
    s.CLAUSE_TEXT,
    s.START_CHAR,
    s.END_CHAR,
    s.TOUCHPOINT,
    s.THEME,
    s.MATCH,
    s.CONFIDENCE,
    s.SENTIMENT,
    s.SENTIMENT_SCORE,
]
# Extra mention columns kept after the contract's: readable labels, language, what matched.
MENTION_EXTRAS = ["label", s.LANG, "keyword"]
SENTIMENT_COLUMNS = [s.SENTIMENT, s.SENTIMENT_SCORE, s.P_NEGATIVE, s.P_NEUTRAL, s.P_POSITIVE]
# e5 wants "query: " for short symmetric texts (clauses vs theme prototypes)
CLAUSE_PREFIX = "query: "
# The input's own touchpoint, kept on a chunk's comments until discovered themes are merged.
MAPPED_TOUCHPOINT = "_touchpoint_input"


@dataclass
class Analysis:
    """What `analyze` returns: one row per input row, one row per theme mention, and a record of
    what was done (versions, counts, timings) that becomes manifest.json."""

    comments: pd.DataFrame
    mentions: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)  # (touchpoint, theme) -> label, for reports


class Models:
    """The models one analysis needs, loaded once: sentiment classifier, clause embedder, and the
    taxonomy's theme matcher (keyword indexes + semantic prototypes).

    >>> models = Models(taxonomy="ecommerce-cx")            # doctest: +SKIP
    >>> analyze(frame, models=models)                        # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        taxonomy: str = "ecommerce-cx",
        sentiment_model: str | None = "builtin",
        sentiment=None,
        embedder=None,
        cache: ResultCache | None = None,
        precision: str = "auto",
        progress: Progress | None = None,
    ) -> None:
        """Load the models; `sentiment` (with `.predict(texts, lang=..., batch_size=...)` and
        `.fingerprint`) and `embedder` (with `.embed(texts, prefix=...)` and `.fingerprint`) may
        be passed in instead, e.g. small models in tests. With a `cache`
        (:class:`feedback_nlp.cache.ResultCache`) only texts it lacks reach the models.

        `precision`: ``fp32``, ``bf16`` (autocast), or ``auto`` = bf16 where the CPU computes
        bf16 natively (AVX512-BF16 or AMX), fp32 elsewhere. bf16 moved held-out macro-F1 of the
        builtin sentiment model by less than 0.5 point and left theme matches unchanged
        (docs/benchmarks.md)."""
        from feedback_nlp.themes.matcher import ThemeMatcher

        say = progress or (lambda _m: None)
        self.precision = resolve_precision(precision)
        if sentiment is None:
            from feedback_nlp.encoders.sentiment import SentimentModel

            say("Loading the sentiment model")
            sentiment = SentimentModel.load(sentiment_model, precision=self.precision)
        if embedder is None:
            from feedback_nlp.encoders.encoder import Embedder

            say("Loading the builtin encoder for theme matching")
            embedder = Embedder(progress=progress)
        self.sentiment = sentiment
        self.embedder = embedder
        self.cache = cache
        self._fingerprints: dict[str, str] | None = None
        self.shared_word_embeddings = _share_word_embeddings(sentiment, embedder)
        self.matcher = ThemeMatcher(taxonomy, embed=self.embed_clauses)

    def with_cache(self, cache: ResultCache | None) -> Models:
        """The same loaded models, reading and filling `cache` (None: no cache); the taxonomy's
        prototypes, where not yet embedded, are then embedded through the cache too."""
        other = copy.copy(self)
        other.cache = cache
        other.matcher = copy.copy(self.matcher)
        other.matcher.embed = other.embed_clauses
        return other

    def set_threads(self, n: int) -> None:
        """Torch threads for the next model calls (see `feedback_nlp.runner.engine.CoreMeter`)."""
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
                "embedding": f"{self.embedder.fingerprint}|{CLAUSE_PREFIX}|{self._embed_precision}",
                "clauses": f"{splitter_fingerprint()}|taxonomy={self.taxonomy.fingerprint}",
            }
        return self._fingerprints

    @property
    def _embed_precision(self) -> str:
        return self.precision if hasattr(self.embedder, "model") else "fp32"

    def _require(self, what: str) -> None:
        if getattr(self, what) is None:
            raise ModelError(
                f"These Models had their {what} released (release_transformers); "
                "load new Models to score or embed text."
            )

    def embed_clauses(self, texts) -> np.ndarray:
        """Unit vectors of clauses (the cache's where it has them)."""
        self._require("embedder")
        return cached_embed(
            self.cache,
            self._embed,
            self._cache_keys()["embedding"] if self.cache is not None else None,
            list(texts),
            dim=getattr(self.embedder, "dim", None),
        )

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._embed_precision != "bf16":
            return self.embedder.embed(texts, prefix=CLAUSE_PREFIX)
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.embedder.embed(texts, prefix=CLAUSE_PREFIX)

    def predict_sentiment(self, texts, langs, *, batch_size: int = 32) -> np.ndarray:
        """(n, 3) probabilities negative/neutral/positive (the cache's where it has them)."""
        self._require("sentiment")
        return cached_predict(
            self.cache,
            self.sentiment,
            texts,
            langs,
            batch_size=batch_size,
            fingerprint=self._cache_keys()["sentiment"] if self.cache is not None else None,
        )

    @property
    def taxonomy(self):
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
        return {
            "sentiment": self.sentiment.fingerprint,
            "encoder": self.embedder.fingerprint,
            "taxonomy": f"{self.taxonomy.name}@{self.taxonomy.fingerprint[:16]}",
            "precision": self.precision,
        }


PRECISIONS = ("auto", "fp32", "bf16")


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX), where autocast pays."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def resolve_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if precision == "auto":
        return "bf16" if cpu_has_bf16() else "fp32"
    return precision


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


def _is_cleaned(df: pd.DataFrame) -> bool:
    return "clean_report" in df.attrs


def _with_canonical_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Put the contract's columns first (adding any still missing as nulls), the user's after."""
    out = df.copy()
    for col in s.CANONICAL_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    others = [c for c in out.columns if c not in s.CANONICAL_COLUMNS]
    return out[s.CANONICAL_COLUMNS + others]


def status_counts(comments: pd.DataFrame) -> dict[str, int]:
    counts = comments[s.STATUS].value_counts(dropna=False)
    return {str(k): int(v) for k, v in counts.items()}


def theme_key(touchpoint: str, theme: str) -> str:
    """How a comment's `themes` list names a theme: unique across touchpoints."""
    return f"{touchpoint}/{theme}"


def _sentiment(models: Models, texts: list[str], langs: list[str], batch_size: int):
    from feedback_nlp.encoders.sentiment import sentiment_frame

    return sentiment_frame(models.predict_sentiment(texts, langs, batch_size=batch_size))


def _comment_themes(
    comments: pd.DataFrame, mentions: pd.DataFrame, mapped_touchpoint: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Per comment: its themes (strongest first) and, unless the input named one, the touchpoint
    of its strongest mention."""
    themes = pd.Series([[] for _ in range(len(comments))], index=comments.index, dtype=object)
    touchpoint = mapped_touchpoint.copy().astype(object)
    if mentions.empty:
        return themes, touchpoint
    ranked = mentions.sort_values([s.COMMENT_ID, s.CONFIDENCE], ascending=[True, False])
    keys = [theme_key(t, h) for t, h in zip(ranked[s.TOUCHPOINT], ranked[s.THEME])]
    by_comment: dict[str, list[str]] = {}
    strongest: dict[str, str] = {}
    for cid, key, tp in zip(ranked[s.COMMENT_ID], keys, ranked[s.TOUCHPOINT]):
        seen = by_comment.setdefault(cid, [])
        if key not in seen:
            seen.append(key)
        strongest.setdefault(cid, tp)
    ids = comments[s.COMMENT_ID].tolist()
    themes = pd.Series([by_comment.get(c, []) for c in ids], index=comments.index, dtype=object)
    fill = pd.Series([strongest.get(c) for c in ids], index=comments.index, dtype=object)
    missing = touchpoint.isna()
    touchpoint[missing] = fill[missing]
    return themes, touchpoint


@dataclass
class ChunkResult:
    """One batch of comments analysed up to, not including, theme discovery (which clusters the
    candidate clauses of every batch at once, so that batches and one big frame agree).

    `comments` carry the input's touchpoint in MAPPED_TOUCHPOINT until :func:`merge_discovered`;
    `mentions` are the taxonomy's; `candidates` are the unclaimed negative or mixed clauses that
    discovery may cluster, with their sentiment and, row for row, their `embeddings`.
    """

    comments: pd.DataFrame
    mentions: pd.DataFrame
    candidates: pd.DataFrame
    embeddings: np.ndarray
    clauses: int = 0
    timings: dict = field(default_factory=dict)


CANDIDATE_COLUMNS = [s.COMMENT_ID, s.CLAUSE_ID, s.CLAUSE_TEXT, s.START_CHAR, s.END_CHAR, s.LANG]
# a candidate rebuilt from the result cache has no lemmas: its comment's text travels with it,
# so that discovery can parse it again if (and only if) the clause ends up labelling a theme
CANDIDATE_COMMENT_TEXT = "comment_text"


def analyze_chunk(
    frame: pd.DataFrame,
    models: Models,
    *,
    batch_size: int = 32,
    discover: bool = True,
    progress: Progress | None = None,
) -> ChunkResult:
    """Clauses, sentiment, embeddings and taxonomy themes of a *cleaned* frame (rows with a
    status are passed through). Pure per batch: the local and Ray engines both call it."""
    from feedback_nlp.cache import text_key
    from feedback_nlp.text.clauses import COMMENT_INDEX, CONTENT_WORDS, LEMMAS, TOKENS
    from feedback_nlp.themes.discover import COMMENT_KEY, _candidates

    say = progress or (lambda _m: None)
    timings: dict[str, float] = {}
    comments = _with_canonical_columns(frame)
    # a comment_id must be a string key: mentions join on it
    comments[s.COMMENT_ID] = comments[s.COMMENT_ID].astype(str)

    pending = comments.index[comments[s.STATUS].isna()]
    texts = comments.loc[pending, s.TEXT].astype(str).tolist()
    langs = comments.loc[pending, s.LANG].fillna(s.UNDETERMINED).astype(str).tolist()
    ids = comments.loc[pending, s.COMMENT_ID].tolist()

    t0 = time.perf_counter()
    say(f"Splitting {len(texts)} comments into clauses")
    clauses, keyword_hits = models.clauses(texts, langs)
    clauses[s.COMMENT_ID] = [ids[i] for i in clauses[COMMENT_INDEX]]
    timings["clauses"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    clause_texts = clauses[s.CLAUSE_TEXT].tolist()
    clause_langs = clauses[s.LANG].tolist()
    say(f"Sentiment of {len(texts)} comments and {len(clause_texts)} clauses")
    # one call: a one-clause comment and its clause are the same text, computed once
    senti = _sentiment(models, texts + clause_texts, langs + clause_langs, batch_size)
    comment_senti = senti.iloc[: len(texts)].set_axis(pending)
    clause_senti = senti.iloc[len(texts) :].reset_index(drop=True)
    timings["sentiment"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    say(f"Matching {len(clause_texts)} clauses against the {models.taxonomy.name} taxonomy")
    embeddings = models.embed_clauses(clause_texts) if clause_texts else None
    mentions = models.matcher.match(
        clauses, embeddings=embeddings, clause_sentiment=clause_senti, keyword_hits=keyword_hits
    )
    if discover and len(clauses):
        rows = _candidates(clauses, mentions, clause_senti)
    else:
        rows = np.zeros(0, dtype=np.int64)
    picked = clauses.iloc[rows][CANDIDATE_COLUMNS + [COMMENT_INDEX, TOKENS, LEMMAS, CONTENT_WORDS]]
    comment_keys = {ci: text_key(texts[ci]).hex() for ci in set(picked[COMMENT_INDEX])}
    picked = picked.assign(
        **{
            CANDIDATE_COMMENT_TEXT: [
                texts[ci] if lemmas is None else None
                for ci, lemmas in zip(picked[COMMENT_INDEX], picked[LEMMAS])
            ],
            COMMENT_KEY: [comment_keys[ci] for ci in picked[COMMENT_INDEX]],
        }
    ).drop(columns=COMMENT_INDEX)
    candidates = pd.concat(
        [
            picked.reset_index(drop=True),
            clause_senti.iloc[rows].reset_index(drop=True),
        ],
        axis=1,
    )
    dim = embeddings.shape[1] if embeddings is not None else 0
    candidate_vectors = (
        embeddings[rows] if embeddings is not None else np.zeros((0, dim), np.float32)
    )
    timings["themes"] = time.perf_counter() - t0

    comments.loc[pending, s.STATUS] = s.STATUS_ANALYZED
    for col in SENTIMENT_COLUMNS:  # rows not analysed keep nulls
        if col == s.SENTIMENT:
            column = pd.Series(None, index=comments.index, dtype=object)
        else:
            column = pd.Series(np.nan, index=comments.index, dtype="float64")
        column.loc[pending] = comment_senti[col].to_numpy()
        comments[col] = column
    comments[MAPPED_TOUCHPOINT] = comments[s.TOUCHPOINT]
    mentions = _order_mentions(_mention_frame(mentions), comments[s.COMMENT_ID])
    return ChunkResult(
        comments=comments,
        mentions=mentions,
        candidates=candidates,
        embeddings=np.ascontiguousarray(candidate_vectors, dtype=np.float32),
        clauses=len(clauses),
        timings=timings,
    )


def fill_lemmas(clauses: pd.DataFrame, texts: list[str], langs: list[str]) -> pd.DataFrame:
    """`clauses` with the lemmas their cached records left out (None) filled in by parsing their
    comments again: the lemmas are never stored (they are the comment's words), and only theme
    discovery needs them, for the clauses that label a discovered theme."""
    from feedback_nlp.text.clauses import COMMENT_INDEX, LEMMAS, TOKENS, split_clauses

    lacking = clauses[LEMMAS].isna().to_numpy()
    if not lacking.any():
        return clauses
    which = sorted(set(clauses.loc[lacking, COMMENT_INDEX]))
    parsed = split_clauses([texts[i] for i in which], [langs[i] for i in which])
    fresh = {
        (which[ci], a, b): (tok, lem)
        for ci, a, b, tok, lem in zip(
            parsed[COMMENT_INDEX], parsed[s.START_CHAR], parsed[s.END_CHAR], parsed[TOKENS],
            parsed[LEMMAS],
        )
    }  # fmt: skip
    out = clauses.copy()
    tokens, lemmas = out[TOKENS].tolist(), out[LEMMAS].tolist()
    for j in np.flatnonzero(lacking):
        key = (out[COMMENT_INDEX].iat[j], out[s.START_CHAR].iat[j], out[s.END_CHAR].iat[j])
        # a record that no longer matches the parse would be a bug: its words then stand in
        tokens[j], lemmas[j] = fresh.get(key, (tokens[j], [w.lower() for w in tokens[j]]))
    out[TOKENS], out[LEMMAS] = tokens, lemmas
    return out


def discover_candidates(
    candidates: pd.DataFrame, embeddings: np.ndarray, models: Models
) -> pd.DataFrame:
    """Discovered-theme mentions (mention frame columns) from the candidate clauses of any
    number of chunks, in comment order."""
    from feedback_nlp.cache import LabelCache
    from feedback_nlp.text.clauses import COMMENT_INDEX, LEMMAS
    from feedback_nlp.themes.discover import discover_themes

    if not len(candidates):
        return _mention_frame(pd.DataFrame())
    clauses = candidates.reset_index(drop=True).copy()
    clauses[COMMENT_INDEX] = pd.factorize(clauses[s.COMMENT_ID])[0].astype("int64")
    clauses[s.CLAUSE_ID] = clauses[s.CLAUSE_ID].astype("int64")
    comment_texts = (
        clauses.pop(CANDIDATE_COMMENT_TEXT) if CANDIDATE_COMMENT_TEXT in clauses else None
    )

    def lemmatize(rows):
        """Lemmas of candidate rows rebuilt from the cache: their comments parsed again."""
        part = clauses.iloc[list(rows)]
        which = sorted(set(part[COMMENT_INDEX]))
        local = {ci: j for j, ci in enumerate(which)}
        first = {ci: r for r, ci in zip(part.index, part[COMMENT_INDEX])}
        texts = [comment_texts.at[first[ci]] for ci in which]
        langs = [part.at[first[ci], s.LANG] for ci in which]
        part = part.assign(**{COMMENT_INDEX: part[COMMENT_INDEX].map(local)})
        return fill_lemmas(part, texts, langs)[LEMMAS].tolist()

    sentiment = clauses[[c for c in SENTIMENT_COLUMNS if c in clauses.columns]]
    claimed = pd.DataFrame(
        {COMMENT_INDEX: pd.Series(dtype="int64"), s.CLAUSE_ID: pd.Series(dtype="int64")}
    )
    found = discover_themes(
        clauses.drop(columns=list(sentiment.columns)),
        claimed,
        np.asarray(embeddings, dtype=np.float32),
        matcher=models.matcher,
        clause_sentiment=sentiment,
        lemmatize=lemmatize if comment_texts is not None else None,
        label_cache=(
            LabelCache(models.cache, models._cache_keys()["clauses"])
            if models.cache is not None and models.cache.active
            else None
        ),
    )
    return _mention_frame(found)


def merge_discovered(
    comments: pd.DataFrame, mentions: pd.DataFrame, discovered: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A chunk's final comments and mentions: its taxonomy mentions plus the discovered ones of
    its comments; `themes` and (where the input named none) `touchpoint` from all of them."""
    ids = comments[s.COMMENT_ID]
    if len(discovered):
        mine = discovered[discovered[s.COMMENT_ID].isin(set(ids))]
        if len(mine):
            mentions = _order_mentions(pd.concat([mentions, mine], ignore_index=True), ids)
    comments = comments.copy()
    mapped = (
        comments.pop(MAPPED_TOUCHPOINT) if MAPPED_TOUCHPOINT in comments else comments[s.TOUCHPOINT]
    )
    comments[s.THEMES], comments[s.TOUCHPOINT] = _comment_themes(comments, mentions, mapped)
    return comments, mentions


def analyze(
    feedback: pd.DataFrame,
    *,
    taxonomy: str = "ecommerce-cx",
    sentiment_model: str | None = "builtin",
    redact_pii: bool = False,
    batch_size: int = 32,
    discover: bool = True,
    models: Models | None = None,
    progress: Progress | None = None,
) -> Analysis:
    """Analyse a canonical feedback frame (from `read_feedback`, or built by hand with a `text`
    column): clauses, transformer sentiment per comment and per clause, themes from the taxonomy
    plus discovered ones. Rows not yet cleaned are cleaned first; every row comes back with a
    `status`.

    >>> import feedback_nlp as fnlp, pandas as pd
    >>> result = fnlp.analyze(pd.DataFrame({"text": ["Delivery was late", ""]}))  # doctest: +SKIP
    >>> result.comments.status.tolist()                                            # doctest: +SKIP
    ['analyzed', 'empty']
    """
    s.require_columns(feedback, [s.TEXT], what="analyze()")
    say = progress or (lambda _m: None)
    frame = feedback if _is_cleaned(feedback) else clean(feedback, redact_pii=redact_pii)
    models = models or Models(taxonomy=taxonomy, sentiment_model=sentiment_model, progress=say)
    chunk = analyze_chunk(frame, models, batch_size=batch_size, discover=discover, progress=say)
    timings = dict(chunk.timings)
    t0 = time.perf_counter()
    found = discover_candidates(chunk.candidates, chunk.embeddings, models) if discover else None
    comments, mentions = merge_discovered(
        chunk.comments, chunk.mentions, found if found is not None else chunk.mentions.iloc[:0]
    )
    timings["themes"] += time.perf_counter() - t0
    manifest = {
        "rows": {"read": len(comments), **status_counts(comments)},
        "clean": frame.attrs.get("clean_report", {}),
        "models": models.fingerprints(),
        "clauses": chunk.clauses,
        "mentions": mention_counts(mentions),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
    comments.attrs = {}
    return Analysis(
        comments=comments,
        mentions=mentions,
        manifest=manifest,
        labels=theme_labels(models, mentions),
    )


def theme_labels(models: Models, mentions: pd.DataFrame) -> dict:
    """(touchpoint, theme) -> label: the taxonomy's, and the discovered themes' from `mentions`."""
    labels = models.taxonomy.labels()
    labels.update(
        {
            (t, h): lab
            for t, h, lab in zip(mentions[s.TOUCHPOINT], mentions[s.THEME], mentions["label"])
        }
    )
    return labels


def mention_counts(mentions: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in mentions[s.MATCH].value_counts().items()}


def _mention_frame(mentions: pd.DataFrame) -> pd.DataFrame:
    """Contract 2 columns first, then the extras; clause ids unique across the whole output."""
    out = mentions.copy()
    for col in MENTION_COLUMNS + MENTION_EXTRAS:
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), dtype=object)
    out[s.CLAUSE_ID] = pd.Series(
        [f"{c}#{k}" for c, k in zip(out[s.COMMENT_ID], out[s.CLAUSE_ID])],
        index=out.index,
        dtype=object,
    )
    return out[MENTION_COLUMNS + MENTION_EXTRAS].reset_index(drop=True)


def _order_mentions(mentions: pd.DataFrame, comment_ids: pd.Series) -> pd.DataFrame:
    """Mentions in the order of their comments, then of their place in the text."""
    position = {c: i for i, c in enumerate(comment_ids)}
    order = mentions[s.COMMENT_ID].map(position)
    return (
        mentions.assign(_o=order)
        .sort_values(["_o", s.START_CHAR, s.TOUCHPOINT, s.THEME], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
