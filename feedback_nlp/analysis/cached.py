"""Cache-aware model calls: only the texts the result cache lacks reach a model.

The result cache (:mod:`feedback_nlp.cache`) is a store of keys and bytes; this module decides
what goes in it: sentiment probabilities, clause vectors, the clause records of a comment
(offsets and keyword hits, never words) and the labels of discovered themes as pointers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.cache import ResultCache, text_key
from feedback_nlp.settings import DEFAULT_BATCH_SIZE
from feedback_nlp.text.clauses import (
    CLAUSE_COLUMNS,
    COMMENT_INDEX,
    CONTENT_WORDS,
    TOKEN_SPANS,
    split_clauses,
)
from feedback_nlp.text.pipelines import normalize_lang
from feedback_nlp.themes.discover import content_word_counts


@dataclass(frozen=True)
class LabelCache:
    """:class:`feedback_nlp.themes.discover.LabelCache` on a :class:`ResultCache`, for one clause
    fingerprint (the spaCy pipelines and the taxonomy, which decide tokens and lemmas)."""

    cache: ResultCache
    model: str

    def get(self, key: bytes) -> list | None:
        return self.cache.get_labels(self.model, key)

    def put(self, key: bytes, pointers: list) -> None:
        self.cache.put_labels(self.model, key, pointers)


@dataclass(frozen=True)
class ClauseRecord:
    """The clauses of one comment without its words: per clause its (start, end) character
    offsets, each token's (start, end), the (theme index, keyword) pairs its keywords matched,
    and how many content words it has (what theme discovery asks of a candidate; see
    :func:`feedback_nlp.themes.discover.content_word_counts`). Stored as compact JSON."""

    clauses: tuple[tuple[int, int], ...]
    tokens: tuple[tuple[tuple[int, int], ...], ...]
    keywords: tuple[tuple[tuple[int, str], ...], ...]
    content: tuple[int, ...]

    def encode(self) -> bytes:
        value = [
            [a, b, [x for span in toks for x in span], [[j, w] for j, w in kws], n]
            for (a, b), toks, kws, n in zip(self.clauses, self.tokens, self.keywords, self.content)
        ]
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def decode(cls, blob: bytes) -> ClauseRecord | None:
        """The record, or None for anything not of the expected form."""
        try:
            value = json.loads(blob.decode("utf-8"))
            clauses, tokens, keywords, content = [], [], [], []
            for a, b, flat, kws, n in value:
                ints = [a, b, n, *flat]
                if not all(type(x) is int and x >= 0 for x in ints) or a > b or len(flat) % 2:
                    return None
                spans = tuple(zip(flat[::2], flat[1::2]))
                if any(x > y for x, y in spans):
                    return None
                if not all(type(j) is int and j >= 0 and isinstance(w, str) for j, w in kws):
                    return None
                clauses.append((a, b))
                tokens.append(spans)
                keywords.append(tuple((j, w) for j, w in kws))
                content.append(n)
        except (ValueError, TypeError, UnicodeDecodeError):
            return None
        return cls(tuple(clauses), tuple(tokens), tuple(keywords), tuple(content))

    def fits(self, text: str, n_themes: int) -> bool:
        """Whether the offsets lie within `text` and the themes within the taxonomy."""
        n = len(text)
        return (
            all(b <= n for _, b in self.clauses)
            and all(b <= n for spans in self.tokens for _, b in spans)
            and all(j < n_themes for kws in self.keywords for j, _ in kws)
        )



def cached_predict(
    cache: ResultCache | None,
    model,
    texts: Sequence[str],
    langs: Sequence[str | None],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    fingerprint: str | None = None,
) -> np.ndarray:
    """``model.predict(texts, lang=langs)`` (n, 3), computing only the (text, lang) pairs the
    cache lacks. ``fingerprint`` (default ``model.fingerprint``) must name everything that
    changes the results. Without a cache or a fingerprint it is a plain predict."""
    texts = list(texts)
    langs = list(langs)
    fingerprint = fingerprint or getattr(model, "fingerprint", None)
    if cache is None or not cache.active or not fingerprint or not texts:
        return np.asarray(model.predict(texts, lang=langs, batch_size=batch_size), np.float32)
    # A model without per-language calibration gives the same answer in every language.
    calibrated = bool(getattr(model, "calibration", True))
    lang_keys = [(lg or "") if calibrated else "" for lg in langs]
    keys = [text_key(t) for t in texts]
    found = cache.get_sentiment(fingerprint, keys, lang_keys)
    out = np.zeros((len(texts), 3), dtype=np.float32)
    missing: dict[tuple[str, bytes], list[int]] = {}
    for i, pair in enumerate(zip(lang_keys, keys)):
        hit = found.get(pair)
        if hit is None:
            missing.setdefault(pair, []).append(i)
        else:
            out[i] = hit
    cache.stats.sentiment_hits += len(texts) - sum(map(len, missing.values()))
    cache.stats.sentiment_misses += sum(map(len, missing.values()))
    if missing:
        first = [rows[0] for rows in missing.values()]
        probs = np.asarray(
            model.predict(
                [texts[i] for i in first], lang=[langs[i] for i in first], batch_size=batch_size
            ),
            dtype=np.float32,
        ).reshape(-1, 3)
        for p, rows in zip(probs, missing.values()):
            out[rows] = p
        cache.put_sentiment(
            fingerprint, [keys[i] for i in first], [lang_keys[i] for i in first], probs
        )
    return out


def cached_embed(
    cache: ResultCache | None,
    embed: Callable[[list[str]], np.ndarray],
    fingerprint: str | None,
    texts: Sequence[str],
    *,
    dim: int | None = None,
) -> np.ndarray:
    """``embed(texts)`` (n, dim), computing only the texts the cache lacks. ``fingerprint``
    must name everything that changes the vectors (encoder weights, prefix)."""
    texts = list(texts)
    if cache is None or not cache.active or not fingerprint or not texts:
        return np.asarray(embed(texts), dtype=np.float32)
    keys = [text_key(t) for t in texts]
    found = cache.get_embeddings(fingerprint, keys, dim)
    if found:
        dim = len(next(iter(found.values())))
    missing: dict[bytes, list[int]] = {}
    for i, key in enumerate(keys):
        if key not in found:
            missing.setdefault(key, []).append(i)
    n_missing = sum(map(len, missing.values()))
    cache.stats.embedding_hits += len(texts) - n_missing
    cache.stats.embedding_misses += n_missing
    computed = None
    if missing:
        first = [rows[0] for rows in missing.values()]
        computed = np.asarray(embed([texts[i] for i in first]), dtype=np.float32)
        if dim is not None and computed.shape[1] != dim:  # cached under another shape: distrust
            return cached_embed(None, embed, None, texts)
        cache.put_embeddings(fingerprint, list(missing), computed)
        dim = computed.shape[1]
    out = np.zeros((len(texts), dim or 0), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in found:
            out[i] = found[key]
    if computed is not None:
        for vector, rows in zip(computed, missing.values()):
            out[rows] = vector
    return out


def cached_clauses(
    cache: ResultCache | None,
    fingerprint: str | None,
    texts: Sequence[str],
    langs: Sequence[str],
    *,
    keyword_hits: Callable,
    n_themes: int,
) -> tuple:
    """``nlp.split_clauses(texts, langs)`` and ``keyword_hits(clauses)`` (per clause, the
    (theme index, keyword) pairs found), parsing only the comments the cache lacks.
    ``fingerprint`` must name everything that changes clauses, tokens and keyword hits.

    Every clause also gets ``content_words`` (:func:`feedback_nlp.themes.discover.content_word_counts`).
    A comment found in the cache is rebuilt from its record's offsets, without spaCy; its
    clauses carry ``lemmas`` = None (lemmas are the comment's words and are never stored: theme
    discovery parses again the comments of the few clauses whose lemmas label a theme). A
    record that does not fit its text is deleted and the comment parsed again."""
    texts, langs = list(texts), list(langs)
    if cache is None or not cache.active or not fingerprint:
        clauses = split_clauses(texts, langs)
        clauses[CONTENT_WORDS] = content_word_counts(clauses)
        return clauses, keyword_hits(clauses)
    codes = [normalize_lang(lg) for lg in langs]
    keys = [text_key(t) for t in texts]
    found = cache.get_clauses(fingerprint, keys, codes, ClauseRecord.decode)
    rows: list[tuple] = []  # clauses of the comments found, each with its keyword hits
    missing: list[int] = []
    wrong: list[tuple] = []
    for i, (text, code, key) in enumerate(zip(texts, codes, keys)):
        if not text.strip():
            continue  # no clauses, as split_clauses
        record = found.get((code, key))
        if record is not None and not record.fits(text, n_themes):
            wrong.append((fingerprint, code, key))
            record = None
        if record is None:
            missing.append(i)
            continue
        for k, ((a, b), spans, hits, n) in enumerate(
            zip(record.clauses, record.tokens, record.keywords, record.content)
        ):
            words = [text[x:y] for x, y in spans]
            rows.append((i, k, text[a:b], a, b, code, words, None, n, list(hits)))
    if wrong:
        cache.forget_clauses(wrong)
    cache.stats.clause_hits += len(texts) - len(missing)
    cache.stats.clause_misses += len(missing)
    frames = [pd.DataFrame(rows, columns=[*CLAUSE_COLUMNS, CONTENT_WORDS, "_hits"])]
    if missing:
        parsed = split_clauses(
            [texts[i] for i in missing], [langs[i] for i in missing], token_spans=True
        )
        parsed[COMMENT_INDEX] = [missing[j] for j in parsed[COMMENT_INDEX]]
        parsed["_hits"] = keyword_hits(parsed)
        parsed[CONTENT_WORDS] = content_word_counts(parsed)
        _store_clauses(cache, fingerprint, parsed, codes, keys)
        frames.append(parsed.drop(columns=TOKEN_SPANS))
    frames = [f for f in frames if len(f)] or frames[:1]
    frame = (
        pd.concat(frames, ignore_index=True)
        .sort_values([COMMENT_INDEX, s.CLAUSE_ID], kind="stable")
        .reset_index(drop=True)
        .astype({COMMENT_INDEX: "int64", s.CLAUSE_ID: "int64", s.START_CHAR: "int64",
                 s.END_CHAR: "int64", CONTENT_WORDS: "int64"})
    )  # fmt: skip
    hits = frame.pop("_hits").tolist()
    return frame, [[tuple(h) for h in hs] for hs in hits]


def _store_clauses(cache: ResultCache, fingerprint: str, parsed, codes, keys) -> None:
    """One record per distinct (language, comment) of `parsed` (split_clauses with token spans,
    ``_hits`` and ``content_words`` columns)."""
    by_comment: dict[int, list[tuple]] = {}
    for i, a, b, spans, hits, n in zip(
        parsed[COMMENT_INDEX], parsed[s.START_CHAR], parsed[s.END_CHAR], parsed[TOKEN_SPANS],
        parsed["_hits"], parsed[CONTENT_WORDS],
    ):  # fmt: skip
        by_comment.setdefault(int(i), []).append(((a, b), spans, hits, int(n)))
    first: dict[tuple[str, bytes], int] = {}
    for i in by_comment:
        first.setdefault((codes[i], keys[i]), i)
    cache.put_clauses(
        fingerprint,
        [keys[i] for i in first.values()],
        [codes[i] for i in first.values()],
        [
            ClauseRecord(
                clauses=tuple((int(a), int(b)) for (a, b), _, _, _ in by_comment[i]),
                tokens=tuple(tuple(map(tuple, spans)) for _, spans, _, _ in by_comment[i]),
                keywords=tuple(tuple(map(tuple, hits)) for _, _, hits, _ in by_comment[i]),
                content=tuple(n for _, _, _, n in by_comment[i]),
            ).encode()
            for i in first.values()
        ],
    )
