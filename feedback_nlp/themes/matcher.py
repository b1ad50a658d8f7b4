"""Theme matching: every clause against a taxonomy, by keyword (lemmas,
:mod:`feedback_nlp.themes.keywords`) and by meaning (:mod:`feedback_nlp.themes.semantic`).

A clause can carry several themes. Mentions carry the clause span and its sentiment
(DESIGN.md contract 2, ``mentions.parquet``).

>>> from feedback_nlp.text.clauses import split_clauses
>>> clauses = split_clauses(["Great prices but the delivery was late"], ["en"])
>>> match_themes(clauses, load_taxonomy("ecommerce-cx"), embed=None)[["theme", "match"]]  # doctest: +SKIP
           theme    match
0    high_prices  keyword
1  late_delivery  keyword
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.settings import GENERAL_TOUCHPOINT
from feedback_nlp.text.clauses import COMMENT_INDEX, LEMMAS, TOKENS
from feedback_nlp.text.pipelines import normalize_lang, transient_strings
from feedback_nlp.themes.keywords import KeywordMatcher
from feedback_nlp.themes.semantic import (
    Embed,
    Prototypes,
    SemanticScores,
    giving_way,
    prefer_specific,
    select_themes,
    settings_params,
    yield_matrix,
)
from feedback_nlp.themes.taxonomy import Taxonomy, Theme
from feedback_nlp.themes.taxonomy_file import load_taxonomy

LABEL = "label"
KEYWORD = "keyword"  # the taxonomy keyword that matched (keyword matches only)
MATCH_KEYWORD, MATCH_SEMANTIC, MATCH_DISCOVERED = "keyword", "semantic", "discovered"
MENTION_COLUMNS = [
    COMMENT_INDEX,
    s.CLAUSE_ID,
    s.CLAUSE_TEXT,
    s.START_CHAR,
    s.END_CHAR,
    s.LANG,
    s.TOUCHPOINT,
    s.THEME,
    LABEL,
    s.MATCH,
    s.CONFIDENCE,
    KEYWORD,
    s.SENTIMENT,
    s.SENTIMENT_SCORE,
]


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


class ThemeMatcher:
    """Keyword and semantic matching of one taxonomy, built once and reused across batches.

    >>> matcher = ThemeMatcher("ecommerce-cx", embed=lambda t: embedder.embed(t, prefix="query: "))  # doctest: +SKIP
    >>> mentions = matcher.match(clauses, embeddings=clause_vectors, clause_sentiment=sentiment)  # doctest: +SKIP
    """

    def __init__(
        self,
        taxonomy: Taxonomy | str = "ecommerce-cx",
        *,
        embed: Embed | None = None,
        load_prototypes: Callable[[Taxonomy, Embed], Prototypes] = Prototypes,
    ) -> None:
        """`load_prototypes(taxonomy, embed)` builds the prototypes when first needed: the
        analysis passes one that reads the shipped taxonomies' vectors from the model cache
        (:mod:`feedback_nlp.analysis.prototypes`) instead of embedding them on every run."""
        self.taxonomy = load_taxonomy(taxonomy)
        self.embed = embed
        self.keywords = KeywordMatcher(self.taxonomy)
        self.load_prototypes = load_prototypes
        self._prototypes: Prototypes | None = None

    @property
    def prototypes(self) -> Prototypes | None:
        if self._prototypes is None and self.embed is not None:
            self._prototypes = self.load_prototypes(self.taxonomy, self.embed)
        return self._prototypes

    def scores(self, embeddings: np.ndarray) -> SemanticScores:
        """Semantic scores of clause embeddings against this taxonomy's themes."""
        if self.prototypes is None:
            raise ValueError("semantic matching needs an embed function")
        return self.prototypes.scores(embeddings)

    def keyword_hits(self, clauses: pd.DataFrame) -> list[list[tuple[int, str]]]:
        """Per clause, the (theme index, keyword) of each theme its keywords find, first hit per
        theme, in the order found."""
        s.require_columns(clauses, [s.CLAUSE_TEXT, s.LANG, TOKENS, LEMMAS], what="match_themes()")
        hits: list[list[tuple[int, str]]] = [[] for _ in range(len(clauses))]
        texts = clauses[s.CLAUSE_TEXT].tolist()
        tokens, lemmas = clauses[TOKENS].tolist(), clauses[LEMMAS].tolist()
        by_lang: dict[str, list[int]] = {}
        for i, lang in enumerate(clauses[s.LANG]):
            by_lang.setdefault(normalize_lang(lang), []).append(i)
        for lang, rows in by_lang.items():
            index = self.keywords.index(lang)  # built outside the zone: its patterns must stay
            with transient_strings(index.nlp):
                for i in rows:
                    seen: set[int] = set()
                    for hit in index.find(list(tokens[i]), list(lemmas[i]), texts[i]):
                        if hit.theme not in seen:
                            seen.add(hit.theme)
                            hits[i].append((hit.theme, hit.keyword))
        return hits

    def match(
        self,
        clauses: pd.DataFrame,
        *,
        embeddings: np.ndarray | None = None,
        clause_sentiment: pd.DataFrame | None = None,
        semantic: bool = True,
        keyword_hits: list[list[tuple[int, str]]] | None = None,
    ) -> pd.DataFrame:
        """Mentions (one row per clause x theme found) for clauses from ``split_clauses``.
        ``keyword_hits`` (from :meth:`keyword_hits`, e.g. kept in the result cache) saves
        matching the keywords again; the clauses then need no ``tokens``/``lemmas``."""
        settings = self.taxonomy.matching
        themes = self.taxonomy.themes
        n = len(clauses)
        if keyword_hits is None:
            keyword_hits = self.keyword_hits(clauses)
        elif len(keyword_hits) != n:
            raise ValueError(f"keyword_hits has {len(keyword_hits)} rows for {n} clauses")
        s.require_columns(clauses, [s.CLAUSE_TEXT, s.LANG], what="match_themes()")
        found: list[dict[int, tuple[str, float, str | None]]] = [
            {theme: (MATCH_KEYWORD, settings.keyword_confidence, word) for theme, word in hits}
            for hits in keyword_hits
        ]
        texts = clauses[s.CLAUSE_TEXT].tolist()
        general = np.array([t.touchpoint == GENERAL_TOUCHPOINT for t in themes], dtype=bool)
        yields = yield_matrix(themes)
        keyword = np.zeros((n, len(themes)), dtype=bool)
        for i, hits in enumerate(keyword_hits):
            keyword[i, [j for j, _ in hits]] = True
        # A general or catch-all keyword theme takes no part in the keyword margin: being closer
        # in meaning to a short title ("Terrible customer service") it would otherwise drop the
        # specific theme it gives way to, and be left alone.
        specific_keyword = keyword & ~giving_way(keyword, yields)

        if (
            semantic
            and n
            and (embeddings is not None or self.embed is not None)
            and self.embed is not None
        ):
            vectors = np.asarray(
                self.embed(texts) if embeddings is None else embeddings, dtype=np.float32
            )
            if len(vectors) != n:
                raise ValueError(f"embeddings has {len(vectors)} rows for {n} clauses")
            scores = self.scores(vectors)
            conf = _sigmoid(
                (scores.specificity - settings.semantic_threshold) / settings.confidence_scale
            )
            kept, chosen = select_themes(scores, specific_keyword, *settings_params(settings))
            kept, chosen = prefer_specific(
                scores,
                keyword,
                kept,
                chosen,
                general,
                settings.specific_over_general,
                settings.null_margin,
                yields,
            )
            for i, j in np.argwhere(keyword & ~kept).tolist():  # a stronger keyword theme won
                del found[i][j]
            for i, j in np.argwhere(chosen).tolist():
                if j in found[i]:  # a keyword theme close in meaning: the higher confidence
                    kind, c, kw = found[i][j]
                    found[i][j] = (kind, max(c, float(conf[i, j])), kw)
                else:
                    found[i][j] = (MATCH_SEMANTIC, float(conf[i, j]), None)
        elif n and yields.any():  # no encoder: a specific keyword theme still beats a general one
            kept, _ = prefer_specific(
                None, keyword, keyword, np.zeros_like(keyword), general, 2.0, yields=yields
            )
            for i, j in np.argwhere(keyword & ~kept).tolist():
                del found[i][j]

        return self._frame(clauses, found, themes, clause_sentiment)

    def _frame(self, clauses, found, themes: tuple[Theme, ...], clause_sentiment) -> pd.DataFrame:
        rows_i, theme_j, kinds, confs, kws = [], [], [], [], []
        for i, hits in enumerate(found):
            for j, (kind, conf, kw) in sorted(hits.items(), key=lambda kv: (-kv[1][1], kv[0])):
                rows_i.append(i)
                theme_j.append(j)
                kinds.append(kind)
                confs.append(round(conf, 4))
                kws.append(kw)
        base = clauses.iloc[rows_i].reset_index(drop=True)
        out = pd.DataFrame(
            {
                s.TOUCHPOINT: [themes[j].touchpoint for j in theme_j],
                s.THEME: [themes[j].id for j in theme_j],
                LABEL: [themes[j].label for j in theme_j],
                s.MATCH: kinds,
                s.CONFIDENCE: pd.Series(confs, dtype="float64"),
                KEYWORD: pd.Series(kws, dtype="object"),
            }
        )
        return assemble_mentions(base, out, clause_sentiment, rows_i)


def assemble_mentions(
    base: pd.DataFrame, found: pd.DataFrame, clause_sentiment, rows_i: list[int]
) -> pd.DataFrame:
    """Clause columns + theme columns + clause sentiment, in MENTION_COLUMNS order (the clause
    frame's extra columns, e.g. comment_id, first)."""
    frame = pd.concat([base.drop(columns=[TOKENS, LEMMAS], errors="ignore"), found], axis=1)
    sentiment_cols = (s.SENTIMENT, s.SENTIMENT_SCORE)
    if clause_sentiment is not None:
        sent = clause_sentiment.reset_index(drop=True)
        for col in sentiment_cols:
            if col in sent.columns:
                frame[col] = (
                    sent[col].iloc[rows_i].to_numpy()
                    if len(rows_i)
                    else sent[col].iloc[:0].to_numpy()
                )
    for col in sentiment_cols:
        if col not in frame.columns:
            frame[col] = pd.Series(
                [None] * len(frame), dtype="object" if col == s.SENTIMENT else "float64"
            )
    lead = [c for c in (s.COMMENT_ID,) if c in frame.columns]
    ordered = lead + [c for c in MENTION_COLUMNS if c in frame.columns]
    rest = [c for c in frame.columns if c not in ordered]
    return frame[ordered + rest]


def match_themes(
    clauses: pd.DataFrame,
    taxonomy: Taxonomy | str = "ecommerce-cx",
    *,
    embed: Embed | None = None,
    embeddings: np.ndarray | None = None,
    clause_sentiment: pd.DataFrame | None = None,
    matcher: ThemeMatcher | None = None,
) -> pd.DataFrame:
    """Theme mentions of clauses (from :func:`feedback_nlp.text.clauses.split_clauses`).

    ``embed(texts) -> (n, dim)`` unit vectors (the builtin encoder with the ``"query: "`` prefix)
    turns on semantic matching; ``embeddings`` passes the clause vectors already computed (one row
    per clause, same order) so they are not computed twice. ``clause_sentiment`` (one row per
    clause, with ``sentiment`` and ``sentiment_score``) is carried onto the mentions. Pass a
    ``matcher`` to reuse keyword indexes and theme prototypes across calls.

    Returns one row per (clause, theme): the clause's columns (``comment_index``, ``clause_id``,
    ``clause_text``, ``start_char``, ``end_char``, ``lang``, and ``comment_id`` where the clause
    frame has it), ``touchpoint``, ``theme``, ``label``, ``match`` (keyword | semantic),
    ``confidence`` (0-1), ``keyword`` (what matched), ``sentiment``, ``sentiment_score``.
    """
    if matcher is None:
        matcher = ThemeMatcher(taxonomy, embed=embed)
    return matcher.match(clauses, embeddings=embeddings, clause_sentiment=clause_sentiment)
