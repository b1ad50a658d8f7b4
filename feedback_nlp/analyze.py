"""The analysis stage: cleaned comments -> clauses, sentiment, themes (DESIGN.md data flow).

`analyze` turns a canonical frame into an `Analysis` (comments + mentions frames). The models are
loaded once into `Models` and can be reused across calls (batches, chunks, Ray workers).
Nothing here prints, exits or imports the CLI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import schema as s
from .clean import clean

Progress = Callable[[str], None]

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
        progress: Progress | None = None,
    ) -> None:
        """Load the models; `sentiment` (with `.predict(texts, lang=..., batch_size=...)` and
        `.fingerprint`) and `embedder` (with `.embed(texts, prefix=...)` and `.fingerprint`) may
        be passed in instead, e.g. small models in tests."""
        from .themes import ThemeMatcher

        say = progress or (lambda _m: None)
        if sentiment is None:
            from .sentiment import SentimentModel

            say("Loading the sentiment model")
            sentiment = SentimentModel.load(sentiment_model)
        if embedder is None:
            from .encoder import Embedder

            say("Loading the builtin encoder for theme matching")
            embedder = Embedder(progress=progress)
        self.sentiment = sentiment
        self.embedder = embedder
        self.matcher = ThemeMatcher(taxonomy, embed=self.embed_clauses)

    def embed_clauses(self, texts) -> np.ndarray:
        # e5 wants "query: " for short symmetric texts (clauses vs theme prototypes)
        return self.embedder.embed(list(texts), prefix="query: ")

    @property
    def taxonomy(self):
        return self.matcher.taxonomy

    def fingerprints(self) -> dict[str, str]:
        return {
            "sentiment": self.sentiment.fingerprint,
            "encoder": self.embedder.fingerprint,
            "taxonomy": f"{self.taxonomy.name}@{self.taxonomy.fingerprint[:16]}",
        }


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
    from .sentiment import sentiment_frame

    probs = models.sentiment.predict(texts, lang=langs, batch_size=batch_size)
    return sentiment_frame(probs)


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
    from .discover import discover_themes
    from .nlp import COMMENT_INDEX, split_clauses

    s.require_columns(feedback, [s.TEXT], what="analyze()")
    say = progress or (lambda _m: None)
    timings: dict[str, float] = {}
    frame = feedback if _is_cleaned(feedback) else clean(feedback, redact_pii=redact_pii)
    comments = _with_canonical_columns(frame)
    # a comment_id must be a string key: mentions join on it
    comments[s.COMMENT_ID] = comments[s.COMMENT_ID].astype(str)
    models = models or Models(taxonomy=taxonomy, sentiment_model=sentiment_model, progress=say)

    pending = comments.index[comments[s.STATUS].isna()]
    texts = comments.loc[pending, s.TEXT].astype(str).tolist()
    langs = comments.loc[pending, s.LANG].fillna(s.UNDETERMINED).astype(str).tolist()
    ids = comments.loc[pending, s.COMMENT_ID].tolist()

    t0 = time.perf_counter()
    say(f"Splitting {len(texts)} comments into clauses")
    clauses = split_clauses(texts, langs)
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
    embeddings = (
        models.embed_clauses(clause_texts) if clause_texts else np.zeros((0, 384), np.float32)
    )
    mentions = models.matcher.match(clauses, embeddings=embeddings, clause_sentiment=clause_senti)
    if discover and len(clauses):
        found = discover_themes(
            clauses,
            mentions,
            embeddings,
            matcher=models.matcher,
            clause_sentiment=clause_senti,
        )
        mentions = pd.concat([mentions, found], ignore_index=True) if len(found) else mentions
    timings["themes"] = time.perf_counter() - t0

    comments.loc[pending, s.STATUS] = s.STATUS_ANALYZED
    for col in SENTIMENT_COLUMNS:  # rows not analysed keep nulls
        if col == s.SENTIMENT:
            column = pd.Series(None, index=comments.index, dtype=object)
        else:
            column = pd.Series(np.nan, index=comments.index, dtype="float64")
        column.loc[pending] = comment_senti[col].to_numpy()
        comments[col] = column
    if len(mentions):
        mentions[s.COMMENT_ID] = [ids[i] for i in mentions[COMMENT_INDEX]]
    mentions = _mention_frame(mentions)
    comments[s.THEMES], comments[s.TOUCHPOINT] = _comment_themes(
        comments, mentions, comments[s.TOUCHPOINT]
    )
    labels = models.taxonomy.labels()
    labels.update(
        {
            (t, h): lab
            for t, h, lab in zip(mentions[s.TOUCHPOINT], mentions[s.THEME], mentions["label"])
        }
    )
    manifest = {
        "rows": {"read": len(comments), **status_counts(comments)},
        "clean": frame.attrs.get("clean_report", {}),
        "models": models.fingerprints(),
        "clauses": len(clauses),
        "mentions": {str(k): int(v) for k, v in mentions[s.MATCH].value_counts().items()},
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
    comments.attrs = {}
    return Analysis(comments=comments, mentions=mentions, manifest=manifest, labels=labels)


def _mention_frame(mentions: pd.DataFrame) -> pd.DataFrame:
    """Contract 2 columns first, then the extras; clause ids unique across the whole output."""
    out = mentions.copy()
    for col in MENTION_COLUMNS + MENTION_EXTRAS:
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), dtype=object)
    out[s.CLAUSE_ID] = [f"{c}#{k}" for c, k in zip(out[s.COMMENT_ID], out[s.CLAUSE_ID])]
    out = out[MENTION_COLUMNS + MENTION_EXTRAS]
    order = out[s.COMMENT_ID].map({c: i for i, c in enumerate(dict.fromkeys(out[s.COMMENT_ID]))})
    return (
        out.assign(_o=order)
        .sort_values(["_o", s.START_CHAR, s.TOUCHPOINT, s.THEME], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )
