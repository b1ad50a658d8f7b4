"""Discovered themes: what customers complain about that the taxonomy does not name.

Negative and mixed clauses that no taxonomy theme claims are clustered on their embeddings
(average-linkage agglomerative clustering on cosine distance, over the distinct clause texts in
sorted order, so the result does not depend on row order). Clusters that reach a minimum number
of comments become themes, named by a phrase of their own clauses in the cluster's main language
(:mod:`feedback_nlp.themes.discovered_labels`), with key phrases per language, and placed under
the touchpoint whose themes the cluster and most of its clauses are nearest (or ``other``).
Mentions come back with ``match = "discovered"`` and ``key_phrases``.

>>> extra = discover_themes(clauses, mentions, embeddings, matcher=matcher)   # doctest: +SKIP
>>> extra[["touchpoint", "theme", "label"]].drop_duplicates()                  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import COMMENT_INDEX, CONTENT_WORDS, LEMMAS, TOKENS
from feedback_nlp.text.pipelines import get_pipeline
from feedback_nlp.themes.discovered_labels import (
    as_label,
    format_key_phrases,
    lowered_words,
    phrase_pointers,
    read_pointer,
)
from feedback_nlp.themes.matcher import (
    KEYWORD,
    LABEL,
    MATCH_DISCOVERED,
    ThemeMatcher,
    assemble_mentions,
)
from feedback_nlp.themes.taxonomy import OTHER_TOUCHPOINT, MatchSettings

KEY_PHRASES = s.KEY_PHRASES

BLOCK_ROWS = 4096  # candidates compared with centroids at a time (bounded memory)
MAX_CLUSTERED = 4000  # distinct texts clustered directly; the rest join their nearest cluster
_SLUG = re.compile(r"[^\w]+")
_NOISE = re.compile(r"^(@|https?:|www\.|rt$|/)|\d", re.IGNORECASE)
NULL_SIMILARITY = 0.9  # a clause this close to a content-free statement is not discovered
MIN_CONTENT_WORDS = 2  # a clause needs this many content words to join a discovered theme
# sha256 (hex) of a clause's comment text: with it, a re-run over the same comments finds its
# clusters' labels in the result cache instead of parsing those comments again
COMMENT_KEY = "comment_key"
# v3: pointers name phrases ([clause, first token, end token]: label, then key phrases)
# v4: labels refuse Thai verbs alone and one comment's phrase: pointers cached before are stale
# v5: labels refuse names alone ("Comcast")
_LABEL_KEY_VERSION = b"labels-v5"


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
    by_text: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        lemmas = clauses.at[i, LEMMAS]
        if lemmas is None:  # from the cache: the stored count decides, the words come later
            enough = clauses.at[i, CONTENT_WORDS] >= MIN_CONTENT_WORDS
        else:
            terms = _content_lemmas(lemmas, clauses.at[i, TOKENS], clauses.at[i, s.LANG])
            enough = len(terms) >= MIN_CONTENT_WORDS
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

    # one theme across languages: named in the language most of its clauses use (English
    # where tied), with the key phrases of each language
    main_lang = {c: _main_lang(clauses.loc[m, s.LANG]) for c, m in clusters.items()}
    centroids = {c: _unit(embeddings[m].mean(axis=0)) for c, m in clusters.items()}
    centrality = np.zeros(len(clauses), dtype=np.float64)
    for c, m in clusters.items():
        unit = embeddings[m] / np.linalg.norm(embeddings[m], axis=1, keepdims=True).clip(1e-12)
        centrality[m] = unit @ centroids[c]
    key = _label_key(clauses, clusters) if label_cache is not None else None
    phrases = _phrases_from_pointers(clauses, clusters, label_cache.get(key)) if key else None
    if phrases is None:
        lacking = [i for m in clusters.values() for i in m if clauses.at[i, LEMMAS] is None]
        if lacking and lemmatize is None:
            raise ValueError(f"{len(lacking)} clauses have no lemmas and no lemmatize was given")
        lemmas_of = dict(zip(lacking, lemmatize(lacking))) if lacking else {}
        pointers = phrase_pointers(
            texts=clauses[s.CLAUSE_TEXT].tolist(),
            tokens=clauses[TOKENS].tolist(),
            lemmas=[lemmas_of.get(i, x) for i, x in enumerate(clauses[LEMMAS])],
            langs=clauses[s.LANG].tolist(),
            comments=clauses[COMMENT_INDEX].tolist(),
            centrality=centrality.tolist(),
            clusters=clusters,
            main_lang=main_lang,
        )
        found_pointers = [pointers.get(c, []) for c in clusters]
        phrases = _phrases_from_pointers(clauses, clusters, found_pointers)
        if key and phrases is not None:
            label_cache.put(key, found_pointers)
        if phrases is None:  # cannot happen: the pointers were just made from these clauses
            raise RuntimeError("discovered-theme phrases do not fit their clauses")

    clusters = {c: m for c, m in clusters.items() if c in phrases}
    if not clusters:
        return assemble_mentions(clauses.iloc[:0], _empty_found(), clause_sentiment, [])
    labels = {c: as_label(phrases[c][0][1]) for c in clusters}
    ordered = sorted(clusters, key=lambda c: (-len(clusters[c]), labels[c]))  # stable ids
    used: set[str] = set()
    rows_i, tps, ids, label_col, keys_col, confs = [], [], [], [], [], []
    for c in ordered:
        touchpoint = _placement(matcher, prototypes, centroids[c], embeddings[clusters[c]])
        slug = _SLUG.sub("_", phrases[c][0][1].lower()).strip("_") or "theme"
        theme_id, n = f"discovered_{slug}", 2
        while theme_id in used:
            theme_id, n = f"discovered_{slug}_{n}", n + 1
        used.add(theme_id)
        key_phrases = format_key_phrases(phrases[c][1:])
        for i in clusters[c]:
            rows_i.append(i)
            tps.append(touchpoint)
            ids.append(theme_id)
            label_col.append(labels[c])
            keys_col.append(key_phrases)
            confs.append(round(float(centrality[i]), 4))
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
            KEY_PHRASES: [keys_col[k] for k in order],
        }
    )
    return assemble_mentions(
        clauses.iloc[rows_i].reset_index(drop=True), found, clause_sentiment, rows_i
    )


def _main_lang(langs: pd.Series) -> str:
    """The language most clauses use; English where it ties for first, else alphabetical."""
    counts = Counter(langs)
    top = max(counts.values())
    tied = sorted(lang for lang, n in counts.items() if n == top)
    return "en" if "en" in tied else tied[0]


def _placement(matcher, prototypes, centroid: np.ndarray, members: np.ndarray) -> str:
    """The touchpoint whose themes the cluster matches: the centroid's most specific theme at
    `touchpoint_threshold` or more, where most member clauses are nearest that touchpoint too
    (a centroid can lean on a touchpoint its clauses do not speak of); else `other`."""
    if prototypes is None or matcher is None or not matcher.taxonomy.themes:
        return OTHER_TOUCHPOINT
    themes = matcher.taxonomy.themes
    spec = prototypes.scores(np.vstack([centroid[None, :], members])).specificity
    best = int(spec[0].argmax())
    if spec[0, best] < matcher.taxonomy.matching.touchpoint_threshold:
        return OTHER_TOUCHPOINT
    touchpoint = themes[best].touchpoint
    # each clause's nearest touchpoint: that of its most specific theme
    nearest = [themes[int(j)].touchpoint for j in spec[1:].argmax(axis=1)]
    agree = sum(t == touchpoint for t in nearest)
    return touchpoint if 2 * agree > len(nearest) else OTHER_TOUCHPOINT


def _label_key(clauses: pd.DataFrame, clusters: dict[int, list[int]]) -> bytes | None:
    """What a cluster's phrases depend on: its clauses (their comment's text hash, offsets and
    language), in cluster order. None without comment hashes."""
    if COMMENT_KEY not in clauses.columns:
        return None
    h = hashlib.sha256(_LABEL_KEY_VERSION)
    for c, rows in clusters.items():
        h.update(f"#{c}".encode())
        for i in rows:
            comment = clauses.at[i, COMMENT_KEY]
            if not isinstance(comment, str) or not comment:
                return None
            start, end = clauses.at[i, s.START_CHAR], clauses.at[i, s.END_CHAR]
            h.update(f"{comment}:{start}:{end}:{clauses.at[i, s.LANG]};".encode())
    return h.digest()


def _phrases_from_pointers(
    clauses: pd.DataFrame, clusters: dict[int, list[int]], pointers: list | None
) -> dict[int, list[tuple[str, str]]] | None:
    """Per cluster, the (lang, phrase) its pointers name (label first, then key phrases), read
    from the clauses' text; None if the pointers do not fit."""
    if not isinstance(pointers, list) or len(pointers) != len(clusters):
        return None
    texts, tokens = clauses[s.CLAUSE_TEXT], clauses[TOKENS]
    out: dict[int, list[tuple[str, str]]] = {}
    for (c, rows), found in zip(clusters.items(), pointers):
        if found == []:  # no phrase names it (sentiment words alone): not a theme
            continue
        if not isinstance(found, list) or len(found) < 2:
            return None
        phrases = []
        lowered = lowered_words(tokens[i] for i in rows)
        for pointer in found:
            phrase = read_pointer(pointer, rows, texts, tokens, clauses[s.LANG], lowered)
            if phrase is None:
                return None
            phrases.append(phrase)
        out[c] = phrases
    return out


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
            KEY_PHRASES: pd.Series(dtype="object"),
        }
    )
