"""Discovered themes: what customers complain about that the taxonomy does not name.

Negative and mixed clauses that no taxonomy theme claims are clustered on their embeddings
(average-linkage agglomerative clustering on cosine distance, over the distinct clause texts in
sorted order, so the result does not depend on row order). Clusters that reach a minimum number
of comments become themes, labelled by their most distinctive lemmas (class-based TF-IDF) in the
cluster's main language, and placed under the touchpoint of the nearest taxonomy theme (or
``other`` when none is near). Mentions come back with ``match = "discovered"``.

>>> extra = discover_themes(clauses, mentions, embeddings, matcher=matcher)   # doctest: +SKIP
>>> extra[["touchpoint", "theme", "label"]].drop_duplicates()                  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import COMMENT_INDEX, CONTENT_WORDS, LEMMAS, TOKENS
from feedback_nlp.text.pipelines import get_pipeline
from feedback_nlp.themes.matcher import (
    KEYWORD,
    LABEL,
    MATCH_DISCOVERED,
    ThemeMatcher,
    assemble_mentions,
)
from feedback_nlp.themes.taxonomy import OTHER_TOUCHPOINT, MatchSettings

BLOCK_ROWS = 4096  # candidates compared with centroids at a time (bounded memory)
MAX_CLUSTERED = 4000  # distinct texts clustered directly; the rest join their nearest cluster
LABEL_TERMS = 3
_SLUG = re.compile(r"[^\w]+")
_NOISE = re.compile(r"^(@|https?:|www\.|rt$|/)|\d", re.IGNORECASE)
NULL_SIMILARITY = 0.9  # a clause this close to a content-free statement is not discovered
MIN_CONTENT_WORDS = 2  # a clause needs this many content words to join a discovered theme
# sha256 (hex) of a clause's comment text: with it, a re-run over the same comments finds its
# clusters' labels in the result cache instead of parsing those comments again
COMMENT_KEY = "comment_key"
_LABEL_KEY_VERSION = b"labels-v1"


class LabelCache(Protocol):
    """Where discovered labels are remembered between runs, as *pointers* (per cluster, per
    label term: the position of a labelling clause in the cluster and of a token in it), never
    as words: the words are read again from the comments themselves."""

    def get(self, key: bytes) -> list | None: ...

    def put(self, key: bytes, pointers: list) -> None: ...


def _candidates(
    clauses: pd.DataFrame, mentions: pd.DataFrame, sentiment: pd.DataFrame | None
) -> np.ndarray:
    """Row positions of clauses that are unclaimed and negative or mixed (all unclaimed clauses
    when no sentiment is known)."""
    claimed = set(zip(mentions[COMMENT_INDEX], mentions[s.CLAUSE_ID])) if len(mentions) else set()
    keep = np.array(
        [(ci, cid) not in claimed for ci, cid in zip(clauses[COMMENT_INDEX], clauses[s.CLAUSE_ID])],
        dtype=bool,
    )
    if sentiment is not None and len(sentiment) == len(clauses):
        sent = sentiment.reset_index(drop=True)
        if s.P_NEGATIVE in sent.columns:
            negative = sent[s.P_NEGATIVE].to_numpy(dtype=float) >= 0.3
        elif s.SENTIMENT_SCORE in sent.columns:
            negative = sent[s.SENTIMENT_SCORE].to_numpy(dtype=float) < 0.0
        elif s.SENTIMENT in sent.columns:
            negative = (sent[s.SENTIMENT] == "negative").to_numpy()
        else:
            negative = np.ones(len(clauses), dtype=bool)
        keep &= np.nan_to_num(negative.astype(float), nan=1.0).astype(bool)
    return np.flatnonzero(keep)


def _content_lemmas(lemmas, tokens, lang: str) -> list[tuple[str, str]]:
    """(lemma, token) of the words that can name a theme: no stop words, handles, links, numbers."""
    stop = get_pipeline(lang).Defaults.stop_words
    out = []
    for lemma, token in zip(lemmas, tokens):
        if len(lemma) < 2 or not any(ch.isalpha() for ch in lemma) or _NOISE.match(token):
            continue
        if lemma in stop or token.lower() in stop:
            continue
        out.append((lemma, token))
    return out


def content_word_counts(clauses: pd.DataFrame) -> list[int]:
    """Per clause (``split_clauses`` rows, lemmas present), how many words could name a theme.

    A candidate needs MIN_CONTENT_WORDS of them to be clustered. The result cache keeps this
    count with each clause, so a warm run can select its candidates without the lemmas (which
    it never stores) and parse again only the comments whose lemmas label a theme."""
    return [
        len(_content_lemmas(lemmas, tokens, lang))
        for lemmas, tokens, lang in zip(clauses[LEMMAS], clauses[TOKENS], clauses[s.LANG])
    ]


def _cluster(vectors: np.ndarray, distance: float, seed: int) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    n = len(vectors)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    if n <= MAX_CLUSTERED:
        model = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
        )
        return model.fit_predict(vectors).astype(np.int64)
    rng = np.random.default_rng(seed)
    core = np.sort(rng.choice(n, size=MAX_CLUSTERED, replace=False))
    labels = np.full(n, -1, dtype=np.int64)
    labels[core] = _cluster(vectors[core], distance, seed)
    centroids = np.stack(
        [vectors[core][labels[core] == c].mean(axis=0) for c in range(labels[core].max() + 1)]
    )
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True).clip(1e-12)
    rest = np.setdiff1d(np.arange(n), core)
    # in blocks: all of `rest` against thousands of centroids at once took gigabytes at 10^5
    for start in range(0, len(rest), BLOCK_ROWS):
        part = rest[start : start + BLOCK_ROWS]
        sims = vectors[part] @ centroids.T
        best = sims.argmax(axis=1)
        labels[part] = np.where(sims[np.arange(len(part)), best] >= 1.0 - distance, best, -1)
    return labels


def _shown(token: str) -> str:
    """How a token shows in a label: "Parcel" as "parcel", "DHL" and "iPhone" as written."""
    return token.lower() if token[:1].isupper() and token[1:].islower() else token


def _ctfidf_labels(docs: dict[int, list[tuple[str, str]]]) -> dict[int, list[str]]:
    """Top terms per cluster by class-based TF-IDF: tf(t, c) * log(1 + A / f(t))."""
    counts = {c: Counter(lemma for lemma, _ in terms) for c, terms in docs.items()}
    total = Counter()
    for cnt in counts.values():
        total.update(cnt)
    avg_words = sum(total.values()) / max(1, len(counts))
    shown: dict[int, list[str]] = {}
    for c, cnt in counts.items():
        size = sum(cnt.values()) or 1
        scored = sorted(((cnt[t] / size) * math.log(1 + avg_words / total[t]), t) for t in cnt)
        scored.sort(key=lambda x: (-x[0], x[1]))
        surface = defaultdict(Counter)
        for lemma, token in docs[c]:
            surface[lemma][_shown(token)] += 1
        shown[c] = [surface[t].most_common(1)[0][0] for _, t in scored[:LABEL_TERMS]]
    return shown


def discover_themes(
    clauses: pd.DataFrame,
    mentions: pd.DataFrame,
    embeddings: np.ndarray,
    *,
    matcher: ThemeMatcher | None = None,
    clause_sentiment: pd.DataFrame | None = None,
    min_size: int | None = None,
    distance: float | None = None,
    seed: int = 0,
    lemmatize: Callable[[Sequence[int]], Sequence[list[str]]] | None = None,
    label_cache: LabelCache | None = None,
) -> pd.DataFrame:
    """Mentions of discovered themes (``match = "discovered"``), in the columns of
    :func:`feedback_nlp.themes.matcher.match_themes`.

    ``clauses`` and ``embeddings`` (one row per clause, same order) are what was matched;
    ``mentions`` are the taxonomy mentions already found (their clauses are not rediscovered).
    ``clause_sentiment`` (aligned with ``clauses``; ``p_negative``, ``sentiment_score`` or
    ``sentiment``) restricts discovery to negative and mixed clauses. ``matcher`` (with an embed
    function) places each theme under its nearest touchpoint and supplies the defaults for
    ``min_size`` (distinct comments per theme) and ``distance`` (cosine distance within a
    cluster) from the taxonomy's ``matching:`` settings.

    Clauses whose ``lemmas`` are None (rebuilt from the result cache) need ``content_words``;
    ``lemmatize(rows)`` then returns the lemmas of those rows, and is asked only for the members
    of the final clusters that label them. With a ``label_cache`` and a ``comment_key`` column,
    labels already worked out for the same clusters of the same comments are read from it (no
    lemmas needed), and new ones are added to it.
    """
    settings = matcher.taxonomy.matching if matcher is not None else MatchSettings()
    min_size = settings.discover_min_size if min_size is None else min_size
    distance = settings.discover_distance if distance is None else distance
    if min_size < 2:
        raise ValueError(f"min_size must be at least 2, got {min_size}")
    embeddings = np.asarray(embeddings, dtype=np.float32)
    if len(embeddings) != len(clauses):
        raise ValueError(f"embeddings has {len(embeddings)} rows for {len(clauses)} clauses")
    clauses = clauses.reset_index(drop=True)
    rows = _candidates(clauses, mentions, clause_sentiment)
    prototypes = matcher.prototypes if matcher is not None else None
    if prototypes is not None and len(rows):
        # near-paraphrases of content-free statements ("long-time customer here", "thanks")
        # make no theme; anything else, however far from the taxonomy, may
        rows = rows[prototypes.null_similarity(embeddings[rows]) < NULL_SIMILARITY]
    # one point per distinct text with enough content words, in sorted text order
    content: dict[int, list[tuple[str, str]]] = {}  # row -> its (lemma, token) content words
    by_text: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        lemmas = clauses.at[i, LEMMAS]
        if lemmas is None:  # from the cache: the stored count decides, the words come later
            enough = clauses.at[i, CONTENT_WORDS] >= MIN_CONTENT_WORDS
        else:
            terms = _content_lemmas(lemmas, clauses.at[i, TOKENS], clauses.at[i, s.LANG])
            enough = len(terms) >= MIN_CONTENT_WORDS
            if enough:
                content[i] = terms
        if enough:
            by_text[clauses.at[i, s.CLAUSE_TEXT].strip().lower()].append(i)
    if not by_text:
        return assemble_mentions(clauses.iloc[:0], _empty_found(), clause_sentiment, [])
    keys = sorted(by_text)
    first = np.array([by_text[k][0] for k in keys])
    vectors = embeddings[first]
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)
    labels = _cluster(vectors, distance, seed)

    members: dict[int, list[int]] = defaultdict(list)  # cluster -> clause rows
    for key, label in zip(keys, labels):
        if label >= 0:
            members[int(label)].extend(by_text[key])
    clusters = {
        c: sorted(m)
        for c, m in members.items()
        if len(set(clauses.loc[m, COMMENT_INDEX])) >= min_size
    }
    if not clusters:
        return assemble_mentions(clauses.iloc[:0], _empty_found(), clause_sentiment, [])

    main_lang = {
        c: Counter(clauses.loc[m, s.LANG]).most_common(1)[0][0] for c, m in clusters.items()
    }
    labelling = {
        c: [i for i in m if clauses.at[i, s.LANG] == main_lang[c]] for c, m in clusters.items()
    }
    key = _label_key(clauses, labelling) if label_cache is not None else None
    terms = _labels_from_pointers(clauses, labelling, label_cache.get(key)) if key else None
    if terms is None:
        lacking = [i for m in labelling.values() for i in m if i not in content]
        if lacking:
            if lemmatize is None:
                raise ValueError(
                    f"{len(lacking)} clauses have no lemmas and no lemmatize was given"
                )
            for i, lemmas in zip(lacking, lemmatize(lacking)):
                content[i] = _content_lemmas(lemmas, clauses.at[i, TOKENS], clauses.at[i, s.LANG])
        terms = _ctfidf_labels(
            {c: [t for i in m for t in content[i]] for c, m in labelling.items()}
        )
        if key:
            pointers = _label_pointers(clauses, labelling, terms)
            if pointers is not None:
                label_cache.put(key, pointers)

    centroids = {c: _unit(embeddings[m].mean(axis=0)) for c, m in clusters.items()}
    themes_of_tax = matcher.taxonomy.themes if matcher is not None else ()

    # stable order and ids: biggest first, then by label
    ordered = sorted(clusters, key=lambda c: (-len(clusters[c]), " ".join(terms[c])))
    used: set[str] = set()
    rows_i, tps, ids, label_col, confs = [], [], [], [], []
    for c in ordered:
        touchpoint = OTHER_TOUCHPOINT
        if prototypes is not None:
            spec = prototypes.scores(centroids[c][None, :]).specificity[0]
            j = int(spec.argmax())
            if spec[j] >= settings.touchpoint_threshold:
                touchpoint = themes_of_tax[j].touchpoint
        slug = "_".join(_SLUG.sub("_", t.lower()).strip("_") for t in terms[c][:2]) or "theme"
        theme_id, n = f"discovered_{slug}", 2
        while theme_id in used:
            theme_id, n = f"discovered_{slug}_{n}", n + 1
        used.add(theme_id)
        label = " / ".join(terms[c])
        for i in clusters[c]:
            rows_i.append(i)
            tps.append(touchpoint)
            ids.append(theme_id)
            label_col.append(label)
            confs.append(
                round(
                    float(embeddings[i] @ centroids[c] / max(np.linalg.norm(embeddings[i]), 1e-12)),
                    4,
                )
            )
    order = sorted(
        range(len(rows_i)),
        key=lambda k: (
            clauses.at[rows_i[k], COMMENT_INDEX],
            clauses.at[rows_i[k], s.CLAUSE_ID],
            ids[k],
        ),
    )
    rows_i = [rows_i[k] for k in order]
    found = pd.DataFrame(
        {
            s.TOUCHPOINT: [tps[k] for k in order],
            s.THEME: [ids[k] for k in order],
            LABEL: [label_col[k] for k in order],
            s.MATCH: MATCH_DISCOVERED,
            s.CONFIDENCE: pd.Series([confs[k] for k in order], dtype="float64"),
            KEYWORD: pd.Series([None] * len(order), dtype="object"),
        }
    )
    return assemble_mentions(
        clauses.iloc[rows_i].reset_index(drop=True), found, clause_sentiment, rows_i
    )


def _label_key(clauses: pd.DataFrame, labelling: dict[int, list[int]]) -> bytes | None:
    """What a set of labels depends on: each cluster's labelling clauses (their comment's text
    hash, offsets and language), in cluster order. None without comment hashes."""
    if COMMENT_KEY not in clauses.columns:
        return None
    h = hashlib.sha256(_LABEL_KEY_VERSION + str(LABEL_TERMS).encode())
    for c, rows in labelling.items():
        h.update(f"#{c}".encode())
        for i in rows:
            comment = clauses.at[i, COMMENT_KEY]
            if not isinstance(comment, str) or not comment:
                return None
            start, end = clauses.at[i, s.START_CHAR], clauses.at[i, s.END_CHAR]
            h.update(f"{comment}:{start}:{end}:{clauses.at[i, s.LANG]};".encode())
    return h.digest()


def _label_pointers(
    clauses: pd.DataFrame, labelling: dict[int, list[int]], terms: dict[int, list[str]]
) -> list | None:
    """Per cluster, per term: [position of a labelling clause, token index] showing that term."""
    out = []
    for c, rows in labelling.items():
        found = []
        for term in terms[c]:
            hit = next(
                (
                    [j, k]
                    for j, i in enumerate(rows)
                    for k, token in enumerate(clauses.at[i, TOKENS])
                    if _shown(token) == term
                ),
                None,
            )
            if hit is None:  # cannot happen: every term is a member's token
                return None
            found.append(hit)
        out.append(found)
    return out


def _labels_from_pointers(
    clauses: pd.DataFrame, labelling: dict[int, list[int]], pointers: list | None
) -> dict[int, list[str]] | None:
    """The terms the pointers name, read from the clauses' tokens; None if they do not fit."""
    if pointers is None or len(pointers) != len(labelling):
        return None
    terms: dict[int, list[str]] = {}
    try:
        for (c, rows), found in zip(labelling.items(), pointers):
            shown = []
            for j, k in found:
                if not (isinstance(j, int) and 0 <= j < len(rows)):
                    return None
                tokens = clauses.at[rows[j], TOKENS]
                if not (isinstance(k, int) and 0 <= k < len(tokens)):
                    return None
                shown.append(_shown(tokens[k]))
            terms[c] = shown
    except (TypeError, ValueError, IndexError):
        return None
    return terms


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _empty_found() -> pd.DataFrame:
    return pd.DataFrame(
        {
            s.TOUCHPOINT: pd.Series(dtype="object"),
            s.THEME: pd.Series(dtype="object"),
            LABEL: pd.Series(dtype="object"),
            s.MATCH: pd.Series(dtype="object"),
            s.CONFIDENCE: pd.Series(dtype="float64"),
            KEYWORD: pd.Series(dtype="object"),
        }
    )
