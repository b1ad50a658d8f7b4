"""Theme matching: every clause against a taxonomy, by keyword (lemmas) and by meaning.

- **keyword**: the taxonomy's keywords of the clause's language, lemmatised by the same spaCy
  pipeline as the clause, found with spaCy ``PhraseMatcher`` on lemmas and on lower-cased words;
  German/Dutch/Scandinavian compounds match their head ("Zugverspätungen" -> "Verspätung"), Thai
  keywords match inside the unsegmented text. A longer keyword of another theme that covers a
  shorter one wins ("price changed" over "price").
- **semantic**: the clause embedding against theme prototypes (label + description, and each
  example phrase); a theme is found when its best prototype similarity passes the taxonomy's
  calibrated ``semantic_threshold`` and lies within ``semantic_margin`` of the clause's best.

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

import itertools
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import COMMENT_INDEX, LEMMAS, TOKENS, install_extensions, token_lemma
from feedback_nlp.text.pipelines import get_pipeline, normalize_lang, transient_strings
from feedback_nlp.themes.taxonomy import ANY_LANGUAGE, MatchSettings, Taxonomy, Theme, load_taxonomy

Embed = Callable[[Sequence[str]], np.ndarray]

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

# Languages that write compounds as one word with the head last.
COMPOUNDING = ("de", "nl", "sv", "da", "nb", "no", "is", "lb")
_COMPOUND_ENDINGS = ("", "e", "n", "en", "s", "es", "er", "ern", "ns")
_UNSEGMENTED = ("th", "zh", "ja", "lo", "km", "my")
_SPACES = re.compile(r"\s+")
_MAX_VARIANTS = 16


# --------------------------------------------------------------------------------------------
# keywords


@dataclass(frozen=True)
class KeywordHit:
    theme: int  # index into Taxonomy.themes
    keyword: str
    start: int  # token offsets in the clause
    end: int


class _LanguageIndex:
    """The keywords that apply to one language, as spaCy phrase patterns. (Its hits are kept in
    the result cache: bump `pipelines.CLAUSE_FORMAT` when what it matches changes.)"""

    def __init__(self, taxonomy: Taxonomy, lang: str) -> None:
        themes = taxonomy.themes
        self.nlp: Language = get_pipeline(lang)
        self.lang = lang
        entries: list[tuple[int, str, bool]] = []  # (theme index, keyword, match lemmas?)
        for i, theme in enumerate(themes):
            if lang == s.UNDETERMINED:
                # language unknown: every language's keywords, on the words as written
                for words in theme.keywords.values():
                    entries.extend((i, w, False) for w in words)
            else:
                entries.extend((i, w, True) for w in theme.keywords.get(lang, ()))
                entries.extend((i, w, False) for w in theme.keywords.get(ANY_LANGUAGE, ()))
        self.entries = entries
        self.unsegmented = lang in _UNSEGMENTED
        self.lemma_matcher = PhraseMatcher(self.nlp.vocab, attr="LEMMA")
        self.lower_matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.heads: dict[str, list[str]] = {}
        self.substrings: list[tuple[str, str]] = []
        # "delivery + fast": every part within the clause, in any order
        parts = [
            (k, p, part.strip())
            for k, (_, word, _) in enumerate(entries)
            for p, part in enumerate(word.split(" + "))
        ]
        self.n_parts = Counter(k for k, _, part in parts if part)
        docs = self.nlp.pipe(part for _, _, part in parts)
        for (k, p, part), doc in zip(parts, docs):
            use_lemma = entries[k][2]
            tokens = [t for t in doc if not t.is_space]
            if not tokens:
                continue
            key = f"{k}.{p}"
            words = [t.lower_ for t in tokens]
            self.lower_matcher.add(key, [Doc(self.nlp.vocab, words=words)])
            if use_lemma:
                lemmas = [token_lemma(t) for t in tokens]
                # A keyword lemmatised alone can differ from the same word in a sentence
                # (pl "opóźnienie" -> "opóźnić" alone, but "opóźnieniem" -> "opóźnienie"), so
                # each keyword word may match as its lemma or as written.
                options = [sorted({lm, w}) for lm, w in zip(lemmas, words)]
                variants = list(itertools.islice(itertools.product(*options), _MAX_VARIANTS))
                self.lemma_matcher.add(
                    key, [Doc(self.nlp.vocab, words=words, lemmas=list(v)) for v in variants]
                )
                if (
                    lang in COMPOUNDING
                    and len(lemmas) == 1
                    and len(lemmas[0]) >= 4
                    and lemmas[0].isalpha()
                ):
                    self.heads.setdefault(lemmas[0], []).append(key)
            if self.unsegmented:
                self.substrings.append((_SPACES.sub("", part.lower()), key))

    def find(self, tokens: Sequence[str], lemmas: Sequence[str], text: str) -> list[KeywordHit]:
        words = [t if t else " " for t in tokens]
        if not words:
            return []
        doc = Doc(
            self.nlp.vocab, words=[w.lower() for w in words], lemmas=[lm or " " for lm in lemmas]
        )
        found: dict[str, set[tuple[int, int]]] = {}  # "k.p" -> token spans
        for matcher in (self.lemma_matcher, self.lower_matcher):
            for match_id, start, end in matcher(doc):
                found.setdefault(self.nlp.vocab.strings[match_id], set()).add((start, end))
        if self.heads:
            for i, lemma in enumerate(lemmas):
                for key in self._compound_heads(lemma):
                    found.setdefault(key, set()).add((i, i + 1))
        if self.substrings:
            compact = _SPACES.sub("", text.lower())
            for needle, key in self.substrings:
                if needle and needle in compact:
                    found.setdefault(key, set()).add(
                        (0, len(words))
                    )  # no offsets inside Thai words
        by_keyword: dict[int, dict[int, set[tuple[int, int]]]] = {}
        for key, spans in found.items():
            k, p = (int(x) for x in key.split("."))
            by_keyword.setdefault(k, {})[p] = spans
        hits = []
        for k, got in by_keyword.items():
            theme, word, _ = self.entries[k]
            if self.n_parts[k] == 1:
                hits.extend(KeywordHit(theme, word, a, b) for a, b in got[0])
            elif len(got) == self.n_parts[k]:
                spans = [min(v) for v in got.values()]
                hits.append(
                    KeywordHit(theme, word, min(a for a, _ in spans), max(b for _, b in spans))
                )
        return _drop_covered(hits)

    def _compound_heads(self, lemma: str) -> list[str]:
        if len(lemma) < 7 or not lemma.isalpha():
            return []
        out: list[str] = []
        for ending in _COMPOUND_ENDINGS:
            stem = lemma[: len(lemma) - len(ending)] if ending else lemma
            if ending and not lemma.endswith(ending):
                continue
            for cut in range(3, len(stem) - 3):
                out.extend(self.heads.get(stem[cut:], ()))
        return out


def _drop_covered(hits: list[KeywordHit]) -> list[KeywordHit]:
    """Drop a hit when a longer hit of another theme covers its tokens."""
    kept = []
    for h in hits:
        covered = any(
            o.theme != h.theme
            and o.start <= h.start
            and h.end <= o.end
            and (o.end - o.start) > (h.end - h.start)
            for o in hits
        )
        if not covered:
            kept.append(h)
    return kept


class KeywordMatcher:
    """Keyword matching of one taxonomy; per-language indexes are built on first use."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._indexes: dict[str, _LanguageIndex] = {}
        self._lock = threading.Lock()

    def index(self, lang: str) -> _LanguageIndex:
        code = normalize_lang(lang)
        with self._lock:
            if code not in self._indexes:
                self._indexes[code] = _LanguageIndex(self.taxonomy, code)
            return self._indexes[code]

    def find(
        self, tokens: Sequence[str], lemmas: Sequence[str], text: str, lang: str
    ) -> list[KeywordHit]:
        return self.index(lang).find(tokens, lemmas, text)


# --------------------------------------------------------------------------------------------
# semantic


# Content-free statements (thanks, sign-offs, "no comment", who the customer is). A clause closer
# to these than to its best theme by less than the taxonomy's `null_margin` gets no semantic
# theme: short generic clauses are otherwise near everything in embedding space.
NULL_EXAMPLES = (
    "Thank you", "Thanks a lot", "Regards", "Hello", "Danke", "Vielen Dank", "Viele Grüße",
    "Dziękuję", "Pozdrawiam", "Merci", "Cordialement", "Gracias", "Saludos", "ขอบคุณครับ",
    "ขอบคุณค่ะ", "Grazie", "Bedankt", "No comment", "Nothing to add", "n/a",
    "Nothing else to say", "Keine Angabe", "Nichts hinzuzufügen", "Brak uwag", "Nie mam zdania",
    "Rien à ajouter", "Sans commentaire", "Sin comentarios", "Nada que añadir",
    "ไม่มีความคิดเห็น", "-", "I have been a customer for years", "Long-time customer here",
    "I order from you quite often", "I ordered on Monday", "We went there last Friday",
    "I bought it for my daughter", "It was my second order", "We were a group of six",
    "Bin seit Jahren Kunde", "Ich bestelle regelmäßig bei euch", "Wir waren am Samstag dort",
    "Jestem klientem od lat", "Zamawiam u was regularnie", "Je suis client depuis des années",
    "Je commande régulièrement chez vous", "Soy cliente desde hace años",
    "Fuimos el sábado con unos amigos", "เป็นลูกค้าประจำ", "สั่งซื้อเป็นประจำ", "Keep it up",
    "That's all", "As always", "See you next time", "Weiter so", "Tak trzymać",
    "Continuez comme ça", "Seguid así", "Well", "So", "Why?", "ok", "Hmm", "Yes", "No", "lol",
)  # fmt: skip


@dataclass(frozen=True)
class SemanticScores:
    """Similarities of clauses to a taxonomy's themes.

    ``similarity`` (clauses x themes) is each theme's best prototype similarity; ``specificity``
    is that minus the clause's mean similarity over all themes (short generic clauses are close
    to every theme, so only what stands out counts); ``null`` is the clause's best similarity to
    content-free statements (NULL_EXAMPLES).
    """

    similarity: np.ndarray
    specificity: np.ndarray
    null: np.ndarray


class Prototypes:
    """Embeddings that stand for each theme: its label + description and each example phrase."""

    def __init__(self, taxonomy: Taxonomy, embed: Embed) -> None:
        texts: list[str] = []
        owner: list[int] = []
        for i, theme in enumerate(taxonomy.themes):
            for text in theme.prototype_texts():
                texts.append(text)
                owner.append(i)
        vectors = np.asarray(embed([*texts, *NULL_EXAMPLES]), dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(texts) + len(NULL_EXAMPLES):
            raise ValueError(
                f"embed() returned shape {vectors.shape} for "
                f"{len(texts) + len(NULL_EXAMPLES)} texts; expected (n, dim)"
            )
        vectors = _normalise(vectors)
        self.vectors = vectors[: len(texts)]
        self.null_vectors = vectors[len(texts) :]
        self.owner = np.asarray(owner, dtype=np.int64)
        self.n_themes = len(taxonomy.themes)

    def similarities(self, embeddings: np.ndarray) -> np.ndarray:
        """(n clauses, n themes): each theme's best prototype similarity."""
        sims = _normalise(np.asarray(embeddings, dtype=np.float32)) @ self.vectors.T
        out = np.full((len(sims), self.n_themes), -1.0, dtype=np.float32)
        for j in range(self.n_themes):  # a loop over themes is cheap
            cols = self.owner == j
            if cols.any():
                out[:, j] = sims[:, cols].max(axis=1)
        return out

    def null_similarity(self, embeddings: np.ndarray, block: int = 4096) -> np.ndarray:
        """(n clauses,): each clause's best similarity to a content-free statement, computed
        `block` rows at a time."""
        out = np.zeros(len(embeddings), dtype=np.float32)
        for start in range(0, len(embeddings), block):
            unit = _normalise(np.asarray(embeddings[start : start + block], dtype=np.float32))
            out[start : start + len(unit)] = (unit @ self.null_vectors.T).max(axis=1)
        return out

    def scores(self, embeddings: np.ndarray) -> SemanticScores:
        unit = _normalise(np.asarray(embeddings, dtype=np.float32))
        sims = self.similarities(unit)
        null = self.null_similarity(unit)
        mean = sims.mean(axis=1, keepdims=True) if sims.size else sims[:, :0]
        return SemanticScores(sims, sims - mean, null)


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.clip(norms, 1e-12, None)


def semantic_mask(
    scores: SemanticScores, threshold: float, margin: float, max_themes: int, null_margin: float
) -> np.ndarray:
    """(clauses x themes) True where a theme is found semantically: specificity >= threshold,
    within ``margin`` of the clause's best, among its ``max_themes`` best, and the similarity
    at least ``null_margin`` above the clause's similarity to content-free statements."""
    spec = scores.specificity
    if max_themes <= 0 or spec.size == 0:
        return np.zeros(spec.shape, dtype=bool)
    best = spec.max(axis=1, keepdims=True)
    ok = (spec >= threshold) & (spec >= best - margin)
    ok &= scores.similarity - scores.null[:, None] >= null_margin
    if max_themes < spec.shape[1]:
        kth = -np.partition(-spec, max_themes - 1, axis=1)[:, max_themes - 1 : max_themes]
        ok &= spec >= kth
    return ok


def semantic_choices(scores: SemanticScores, settings: MatchSettings) -> list[list[int]]:
    """For each clause, the themes found semantically, most specific first."""
    mask = semantic_mask(
        scores,
        settings.semantic_threshold,
        settings.semantic_margin,
        settings.max_semantic_themes,
        settings.null_margin,
    )
    spec = scores.specificity
    return [
        sorted(np.flatnonzero(row).tolist(), key=lambda j, i=i: (-spec[i, j], j))
        for i, row in enumerate(mask)
    ]


def _sigmoid(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


# --------------------------------------------------------------------------------------------
# the matcher


class ThemeMatcher:
    """Keyword and semantic matching of one taxonomy, built once and reused across batches.

    >>> matcher = ThemeMatcher("ecommerce-cx", embed=lambda t: embedder.embed(t, prefix="query: "))  # doctest: +SKIP
    >>> mentions = matcher.match(clauses, embeddings=clause_vectors, clause_sentiment=sentiment)  # doctest: +SKIP
    """

    def __init__(
        self, taxonomy: Taxonomy | str = "ecommerce-cx", *, embed: Embed | None = None
    ) -> None:
        self.taxonomy = load_taxonomy(taxonomy)
        self.embed = embed
        self.keywords = KeywordMatcher(self.taxonomy)
        self._prototypes: Prototypes | None = None

    @property
    def prototypes(self) -> Prototypes | None:
        if self._prototypes is None and self.embed is not None:
            self._prototypes = Prototypes(self.taxonomy, self.embed)
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
            picks = semantic_choices(scores, settings)
            for i, chosen in enumerate(picks):
                for j in chosen:
                    if j in found[i]:
                        kind, c, kw = found[i][j]
                        found[i][j] = (kind, max(c, float(conf[i, j])), kw)
                    else:
                        found[i][j] = (MATCH_SEMANTIC, float(conf[i, j]), None)

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
        return _assemble(base, out, clause_sentiment, rows_i)


def _assemble(
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


# --------------------------------------------------------------------------------------------
# spaCy component: keyword themes on a Doc


class ThemeComponent:
    """Keyword theme matching inside a spaCy pipeline: ``doc._.theme_mentions`` lists, for each
    clause (``doc._.clauses``, or the whole Doc), the (touchpoint, theme, keyword, start_char,
    end_char) found in it."""

    def __init__(self, nlp: Language, name: str, taxonomy: str) -> None:
        install_extensions()
        self.name = name
        self.lang = nlp.lang
        self.matcher = KeywordMatcher(load_taxonomy(taxonomy))

    def __call__(self, doc: Doc) -> Doc:
        themes = self.matcher.taxonomy.themes
        spans = doc._.clauses or [doc[:]]
        mentions = []
        for span in spans:
            tokens = [t.text for t in span]
            lemmas = [token_lemma(t) for t in span]
            for hit in self.matcher.find(tokens, lemmas, span.text, self.lang):
                theme = themes[hit.theme]
                mentions.append(
                    {
                        s.TOUCHPOINT: theme.touchpoint,
                        s.THEME: theme.id,
                        KEYWORD: hit.keyword,
                        s.START_CHAR: span.start_char,
                        s.END_CHAR: span.end_char,
                    }
                )
        doc._.theme_mentions = mentions
        return doc


@Language.factory(
    "feedback_nlp_themes",
    assigns=["doc._.theme_mentions"],
    requires=["token.lemma"],
    default_config={"taxonomy": "ecommerce-cx"},
)
def make_theme_component(nlp: Language, name: str, taxonomy: str) -> ThemeComponent:
    return ThemeComponent(nlp, name, taxonomy)
