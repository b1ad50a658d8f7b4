"""One chunk of cleaned comments -> clauses, sentiment, embeddings and taxonomy themes; then
theme discovery over the candidates of all chunks, and the merge of what it found.

The local and the Ray engine both call :func:`analyze_chunk`; :func:`feedback_nlp.analyze` runs
the same steps on one frame.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.analysis.cached import LabelCache
from feedback_nlp.analysis.models import Models
from feedback_nlp.cache import text_key
from feedback_nlp.home import Progress
from feedback_nlp.settings import CANDIDATE_SENTIMENT
from feedback_nlp.text.clauses import COMMENT_INDEX, CONTENT_WORDS, LEMMAS, TOKENS, split_clauses
from feedback_nlp.themes.discover import (
    COMMENT_KEY,
    MIN_CONTENT_WORDS,
    _candidates,
    discover_themes,
)
from feedback_nlp.themes.matcher import MATCH_SEMANTIC

# Extra mention columns kept after the contract's: readable labels, language, what matched.
MENTION_EXTRAS = ["label", s.LANG, "keyword", s.KEY_PHRASES]
SENTIMENT_COLUMNS = [s.SENTIMENT, s.SENTIMENT_SCORE, s.P_NEGATIVE, s.P_NEUTRAL, s.P_POSITIVE]


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


def theme_coverage(comments: pd.DataFrame) -> dict[str, int | float]:
    """How many analysed comments got a theme, counted over those with specific content:
    "ok" or "you are crap" has nothing a theme could be about (text.content), so it is counted
    apart instead of lowering the coverage."""
    analysed = (comments[s.STATUS] == s.STATUS_ANALYZED).to_numpy()
    nonspecific = analysed & (comments[s.CONTENT] == s.CONTENT_NONSPECIFIC).to_numpy()
    specific = analysed & ~nonspecific
    themed = np.array([v is not None and len(v) > 0 for v in comments[s.THEMES]], dtype=bool)
    n_specific, n_themed = int(specific.sum()), int((specific & themed).sum())
    return {
        "analyzed": int(analysed.sum()),
        "nonspecific": int(nonspecific.sum()),
        "specific": n_specific,
        "specific_with_themes": n_themed,
        "specific_coverage": round(n_themed / n_specific, 4) if n_specific else 0.0,
    }


def theme_key(touchpoint: str, theme: str) -> str:
    """How a comment's `themes` list names a theme: unique across touchpoints."""
    return f"{touchpoint}/{theme}"


_ROW = "_row"  # a clause's position in the chunk's clause frame, carried onto its mentions


class _PassCounter:
    """The model calls of one chunk, each on distinct texts only, counted: texts that went
    through the sentiment model and the embedder, and those the result cache answered instead
    (its hit counters move during the call). The manifest adds them up (``run.passes``)."""

    def __init__(self, models: Models) -> None:
        self.models = models
        self.sentiment_texts = self.embedding_texts = self.cache_hits = 0

    def _hits(self) -> int:
        cache = self.models.cache
        if cache is None or not cache.active:
            return 0
        return cache.stats.sentiment_hits + cache.stats.embedding_hits

    def embed(self, texts: list[str]) -> np.ndarray:
        distinct = list(dict.fromkeys(texts))
        before = self._hits()
        vectors = self.models.embed_clauses(distinct)
        hits = self._hits() - before
        self.cache_hits += hits
        self.embedding_texts += len(distinct) - hits
        where = {t: i for i, t in enumerate(distinct)}
        return vectors[[where[t] for t in texts]]

    def sentiment(self, texts: list[str], langs: list[str]) -> pd.DataFrame:
        from feedback_nlp.encoders.sentiment import sentiment_frame  # torch: loaded when used

        pairs = list(zip(texts, langs))
        distinct = list(dict.fromkeys(pairs))
        before = self._hits()
        probs = self.models.predict_sentiment([t for t, _ in distinct], [lg for _, lg in distinct])
        hits = self._hits() - before
        self.cache_hits += hits
        self.sentiment_texts += len(distinct) - hits
        where = {p: i for i, p in enumerate(distinct)}
        probs = np.asarray(probs, dtype=np.float32).reshape(-1, 3)
        return sentiment_frame(probs[[where[p] for p in pairs]] if pairs else probs)

    def counts(self, comments: int) -> dict[str, int]:
        return {
            "comments": int(comments),
            "sentiment_texts": int(self.sentiment_texts),
            "embedding_texts": int(self.embedding_texts),
            "cache_hits": int(self.cache_hits),
        }


def _clause_sentiment(
    senti: pd.DataFrame, n_comments: int, comment_index: np.ndarray, from_comment: np.ndarray,
    scored: np.ndarray,
) -> pd.DataFrame:  # fmt: skip
    """Sentiment per clause: the `from_comment` clauses' (a one-clause comment's, or a borrowed
    one) from their comment (rows ``< n_comments`` of `senti`), the `scored` clauses' from the
    rows after; nulls for the clauses not scored."""
    n = len(comment_index)
    take = np.full(n, -1, dtype=np.int64)
    take[from_comment] = comment_index[from_comment]
    take[scored] = n_comments + np.arange(len(scored))
    have = take >= 0
    out = {}
    for col in SENTIMENT_COLUMNS:
        if col == s.SENTIMENT:
            column = np.full(n, None, dtype=object)
        else:
            column = np.full(n, np.nan, dtype="float64")
        column[have] = senti[col].to_numpy()[take[have]]
        out[col] = column
    return pd.DataFrame(out)


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

    `comments` carry the input's own touchpoint in ``input_touchpoint``;
    `mentions` are the taxonomy's; `candidates` are the unclaimed negative or mixed clauses that
    discovery may cluster, with their sentiment and, row for row, their `embeddings`.
    """

    comments: pd.DataFrame
    mentions: pd.DataFrame
    candidates: pd.DataFrame
    embeddings: np.ndarray
    clauses: int = 0
    timings: dict = field(default_factory=dict)
    # texts through each model and cache hits (see _PassCounter)
    passes: dict = field(default_factory=dict)


CANDIDATE_COLUMNS = [s.COMMENT_ID, s.CLAUSE_ID, s.CLAUSE_TEXT, s.START_CHAR, s.END_CHAR, s.LANG]
# a candidate rebuilt from the result cache has no lemmas: its comment's text travels with it,
# so that discovery can parse it again if (and only if) the clause ends up labelling a theme
CANDIDATE_COMMENT_TEXT = "comment_text"


def _drop_meaning_on_nonspecific(
    mentions: pd.DataFrame, clauses: pd.DataFrame, content: pd.Series
) -> pd.DataFrame:
    """A comment with no specific content ("Comcast", "no comment": text.content) has nothing a
    theme could be about, so a match by meaning there is noise: the seed-7 precision audit's bare
    brand titles were all filed under billing by meaning. Keyword matches stay (a keyword is a
    topic word, so a comment with one is specific anyway)."""
    nonspecific = content.isin([s.CONTENT_NONSPECIFIC]).to_numpy(dtype=bool)
    if not nonspecific.any() or not len(mentions):
        return mentions
    comment_of = clauses[COMMENT_INDEX].to_numpy()[mentions[_ROW].to_numpy(dtype=np.int64)]
    noise = nonspecific[comment_of] & (mentions[s.MATCH] == MATCH_SEMANTIC).to_numpy()
    return mentions[~noise].reset_index(drop=True)


def analyze_chunk(
    frame: pd.DataFrame,
    models: Models,
    *,
    discover: bool = True,
    progress: Progress | None = None,
    candidate_sentiment: str = CANDIDATE_SENTIMENT,
) -> ChunkResult:
    """Clauses, sentiment, embeddings and taxonomy themes of a *cleaned* frame (rows with a
    status are passed through). Pure per batch: the local and Ray engines both call it.

    `candidate_sentiment` (:data:`feedback_nlp.settings.CANDIDATE_SENTIMENT`): ``clause`` scores
    each clause discovery may cluster; ``comment`` lets it borrow its comment's sentiment."""
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

    clause_texts = clauses[s.CLAUSE_TEXT].tolist()
    clause_langs = clauses[s.LANG].tolist()
    counter = _PassCounter(models)

    # Themes first: a clause needs its own sentiment only if a mention carries it or discovery
    # may cluster it. Each distinct clause text is embedded once.
    t0 = time.perf_counter()
    say(f"Matching {len(clause_texts)} clauses against the {models.taxonomy.name} taxonomy")
    embeddings = counter.embed(clause_texts) if clause_texts else None
    clauses[_ROW] = np.arange(len(clauses))
    mentions = models.matcher.match(clauses, embeddings=embeddings, keyword_hits=keyword_hits)
    mentions = _drop_meaning_on_nonspecific(mentions, clauses, comments.loc[pending, s.CONTENT])
    timings["themes"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # A one-clause comment is its own clause (the same text but for surrounding blanks): its
    # comment's sentiment stands for it. Other clauses are scored only where a mention or a
    # discovery candidate needs them; every distinct (text, language) is scored once.
    per_comment = np.bincount(clauses[COMMENT_INDEX].to_numpy(), minlength=len(texts))
    alone = per_comment[clauses[COMMENT_INDEX].to_numpy()] == 1
    mentioned = np.zeros(len(clauses), dtype=bool)
    mentioned[mentions[_ROW].to_numpy(dtype=np.int64)] = True
    unclaimed = ~mentioned
    if discover:  # what discovery can cluster: unclaimed clauses with enough content words
        unclaimed &= clauses[CONTENT_WORDS].to_numpy() >= MIN_CONTENT_WORDS
    else:
        unclaimed[:] = False
    if candidate_sentiment == "comment":  # candidates borrow their comment's sentiment
        borrow = ~alone & unclaimed
        scored = np.flatnonzero(~alone & mentioned)
    else:
        borrow = np.zeros(len(clauses), dtype=bool)
        scored = np.flatnonzero(~alone & (mentioned | unclaimed))
    say(f"Sentiment of {len(texts)} comments and {len(scored)} clauses")
    senti = counter.sentiment(
        texts + [clause_texts[i] for i in scored], langs + [clause_langs[i] for i in scored]
    )
    comment_senti = senti.iloc[: len(texts)].set_axis(pending)
    clause_senti = _clause_sentiment(
        senti, len(texts), clauses[COMMENT_INDEX].to_numpy(), alone | borrow, scored
    )
    timings["sentiment"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    at = mentions[_ROW].to_numpy(dtype=np.int64)
    for col in (s.SENTIMENT, s.SENTIMENT_SCORE):
        mentions[col] = clause_senti[col].to_numpy()[at]
    if discover and len(clauses):
        rows = _candidates(clauses, mentions, clause_senti)
        rows = rows[unclaimed[rows] & clause_senti[s.P_NEGATIVE].notna().to_numpy()[rows]]
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
    timings["themes"] += time.perf_counter() - t0

    comments.loc[pending, s.STATUS] = s.STATUS_ANALYZED
    for col in SENTIMENT_COLUMNS:  # rows not analysed keep nulls
        if col == s.SENTIMENT:
            column = pd.Series(None, index=comments.index, dtype=object)
        else:
            column = pd.Series(np.nan, index=comments.index, dtype="float64")
        column.loc[pending] = comment_senti[col].to_numpy()
        comments[col] = column
    comments[s.INPUT_TOUCHPOINT] = comments[s.TOUCHPOINT]
    mentions = _order_mentions(_mention_frame(mentions), comments[s.COMMENT_ID])
    return ChunkResult(
        comments=comments,
        mentions=mentions,
        candidates=candidates,
        embeddings=np.ascontiguousarray(candidate_vectors, dtype=np.float32),
        clauses=len(clauses),
        timings=timings,
        passes=counter.counts(len(texts)),
    )


def fill_lemmas(clauses: pd.DataFrame, texts: list[str], langs: list[str]) -> pd.DataFrame:
    """`clauses` with the lemmas their cached records left out (None) filled in by parsing their
    comments again: the lemmas are never stored (they are the comment's words), and only theme
    discovery needs them, for the clauses that label a discovered theme."""
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
    if s.INPUT_TOUCHPOINT not in comments:
        comments[s.INPUT_TOUCHPOINT] = comments[s.TOUCHPOINT]
    mapped = comments[s.INPUT_TOUCHPOINT]
    comments[s.THEMES], comments[s.TOUCHPOINT] = _comment_themes(comments, mentions, mapped)
    return comments, mentions


def mention_counts(mentions: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in mentions[s.MATCH].value_counts().items()}


def _mention_frame(mentions: pd.DataFrame) -> pd.DataFrame:
    """Contract 2 columns first, then the extras; clause ids unique across the whole output."""
    out = mentions.copy()
    for col in s.MENTION_COLUMNS + MENTION_EXTRAS:
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), dtype=object)
    out[s.CLAUSE_ID] = pd.Series(
        [f"{c}#{k}" for c, k in zip(out[s.COMMENT_ID], out[s.CLAUSE_ID])],
        index=out.index,
        dtype=object,
    )
    return out[s.MENTION_COLUMNS + MENTION_EXTRAS].reset_index(drop=True)


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
