"""Representative quotes: short, diverse negative clauses closest to a theme's centre
(character 3-gram TF-IDF, or the caller's embeddings).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.report.prepared import Prepared, prepare, validate

Embed = Callable[[list[str]], np.ndarray]


def _char_ngram_tfidf(texts: Sequence[str]) -> np.ndarray:
    """Rows = L2-normalised TF-IDF vectors (sublinear tf, smooth idf) of the character 3-grams of
    " text " (case-folded); vectorised over code points, no Python loop per n-gram."""
    padded = [f" {' '.join(t.casefold().split())} " for t in texts]
    codes = np.frombuffer("\0".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    grams = (codes[:-2] << 42) | (codes[1:-1] << 21) | codes[2:]
    row = np.cumsum(codes == 0)[:-2]  # text number of each 3-gram's first character
    ok = (codes[:-2] != 0) & (codes[1:-1] != 0) & (codes[2:] != 0)
    vocab, col = np.unique(grams[ok], return_inverse=True)
    n_vocab = max(len(vocab), 1)
    tf = np.bincount(row[ok] * n_vocab + col.ravel(), minlength=len(texts) * n_vocab)
    x = tf.reshape(len(texts), n_vocab).astype(float)
    x[x > 0] = 1 + np.log(x[x > 0])
    df = (x > 0).sum(axis=0)
    x *= np.log((1 + len(texts)) / (1 + df)) + 1
    return _normalise(x)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _shorten(text: str, max_chars: int) -> str:
    text = " ".join(str(text).split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0] or text[: max_chars - 1]
    return cut.rstrip(" ,;:-") + "…"


def _pick(
    vec: np.ndarray,
    lex: np.ndarray,
    n: int,
    near_dup: float,
    preferred: np.ndarray | None = None,
    langs: list | None = None,
) -> list[int]:
    """Greedy: closest to the centroid first, skipping anything near a quote already chosen.
    `preferred` candidates (from negative comments) come before the others; among them, first
    one quote per language (so the quotes speak the languages of the complaints), then the
    rest; returned most typical first."""
    centroid = vec.mean(axis=0)
    sim = vec @ centroid / (np.linalg.norm(centroid) or 1.0)
    preferred = np.ones(len(sim), dtype=bool) if preferred is None else preferred
    order = np.lexsort((-sim, ~preferred))
    chosen: list[int] = []

    def take(candidates, one_per_language: bool) -> None:
        seen = {langs[j] for j in chosen} if langs is not None else set()
        for i in candidates:
            if len(chosen) == n:
                return
            if i in chosen or any(lex[i] @ lex[j] >= near_dup for j in chosen):
                continue
            if one_per_language and langs is not None:
                if langs[i] in seen:
                    continue
                seen.add(langs[i])
            chosen.append(int(i))

    best = [int(i) for i in order if preferred[i]]
    take(best, one_per_language=True)
    take(best, one_per_language=False)
    take([int(i) for i in order], one_per_language=False)
    rank = {int(i): r for r, i in enumerate(order)}
    return sorted(chosen, key=rank.__getitem__)


def select_quotes(
    p: Prepared,
    mentions: pd.DataFrame,
    comments: pd.DataFrame,
    wanted: np.ndarray,
    *,
    n: int,
    embeddings: Embed | None,
    max_chars: int,
    max_candidates: int,
    near_duplicate: float,
    seed: int,
) -> pd.DataFrame:
    """Quotes for the key codes where `wanted` is true (see `example_quotes`)."""
    columns = [*p.keys, "quote_rank", s.COMMENT_ID, s.LANG, "quote", "similarity"]
    sel = np.flatnonzero(p.neg & wanted[p.key])
    if not len(sel) or s.CLAUSE_TEXT not in mentions.columns:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    key, pos, src = p.key[sel], p.pos[sel], p.src[sel]
    cid = np.where(pos >= 0, pos, -1 - src)
    # The most negative clause of each comment, then a seeded sample per key (2x the cap, as some
    # candidates drop out below), all before any string work.
    order = np.lexsort((np.nan_to_num(p.score[sel], nan=0.0), cid, key))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (key[order][1:] != key[order][:-1]) | (cid[order][1:] != cid[order][:-1])
    cand = order[first]
    rng = np.random.default_rng(seed)
    cand = cand[rng.permutation(len(cand))]
    cand = cand[np.argsort(key[cand], kind="stable")]
    k = key[cand]
    rank_in_key = np.arange(len(k)) - np.searchsorted(k, k)
    cand = cand[rank_in_key < 2 * max_candidates]

    texts = mentions[s.CLAUSE_TEXT].to_numpy(dtype=object)[src[cand]]
    ids = mentions[s.COMMENT_ID].to_numpy(dtype=object)[src[cand]]
    langs = comments[s.LANG].to_numpy(dtype=object) if s.LANG in comments.columns else None
    negative = (
        (comments[s.SENTIMENT] == "negative").fillna(False).to_numpy(dtype=bool)
        if s.SENTIMENT in comments.columns
        else None
    )
    pools = []  # (key code, candidate numbers, quote texts) per key
    for code, block in pd.Series(np.arange(len(cand))).groupby(key[cand], sort=True):
        seen, pool = set(), []
        for i in block:
            text = " ".join(str(texts[i]).split()) if isinstance(texts[i], str) else ""
            norm = re.sub(r"[\W_]+", " ", text.casefold()).strip()
            if norm and norm not in seen:
                seen.add(norm)
                pool.append((i, text))
        short = [(i, t) for i, t in pool if 12 <= len(t) <= max_chars]
        pool = (short if len(short) >= n else pool)[:max_candidates]
        if pool:
            pools.append((code, [i for i, _ in pool], [_shorten(t, max_chars) for _, t in pool]))
    if embeddings is not None and pools:  # one call for all themes: the encoder batches
        everything = [q for _, _, quotes in pools for q in quotes]
        vectors = _normalise(np.asarray(embeddings(everything), dtype=float))
        bounds = np.cumsum([0] + [len(quotes) for _, _, quotes in pools])
    rows = []
    for n_pool, (code, members, quotes) in enumerate(pools):
        lex = _char_ngram_tfidf(quotes)
        vec = vectors[bounds[n_pool] : bounds[n_pool + 1]] if embeddings is not None else lex
        centroid = vec.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        at = [pos[cand[i]] for i in members]  # comment row of each candidate (-1: unknown)
        cand_langs = [langs[c] if langs is not None and c >= 0 else None for c in at]
        preferred = (
            None if negative is None else np.array([c >= 0 and negative[c] for c in at], bool)
        )
        picked = _pick(vec, lex, n, near_duplicate, preferred, cand_langs)
        for rank, j in enumerate(picked, start=1):
            i = members[j]
            c = pos[cand[i]]
            lang = langs[c] if langs is not None and c >= 0 else None
            rows.append(
                (
                    *p.table.iloc[code],
                    rank,
                    ids[i],
                    None if pd.isna(lang) else lang,
                    quotes[j],
                    float(vec[j] @ centroid),
                )
            )
    return pd.DataFrame(rows, columns=columns)


def example_quotes(
    mentions: pd.DataFrame,
    comments: pd.DataFrame | None = None,
    *,
    by: str = s.TOUCHPOINT,
    n: int = 3,
    embeddings: Embed | None = None,
    max_chars: int = 160,
    max_candidates: int = 150,
    near_duplicate: float = 0.6,
    seed: int = 0,
) -> pd.DataFrame:
    """Up to `n` short, representative, diverse negative clauses per (group, touchpoint, theme).

    Candidates: the theme's negative mentions (complaints; never praise), the most negative clause
    per comment (so each quote is from a different comment), exact repeats
    (ignoring case and punctuation) dropped, at most `max_candidates` (a seeded sample); clauses of
    12..`max_chars` characters are preferred, longer ones are cut at a word. Representative:
    closest (cosine) to the candidates' centroid in ``embeddings(texts)`` space when given, else
    in TF-IDF character 3-gram space (lexical). Diverse: a candidate whose character 3-gram cosine
    to an already chosen quote is >= `near_duplicate` is skipped (near-duplicate). Clauses from
    comments whose own sentiment is negative come first, one per language before a second in any.
    Returns one row per quote: the key columns, quote_rank, comment_id, lang, quote, similarity.

    >>> example_quotes(result.mentions, result.comments).head()   # doctest: +SKIP
    """
    comments = comments if comments is not None else pd.DataFrame({s.COMMENT_ID: []})
    validate(comments, mentions, by, "example_quotes()")
    s.require_columns(mentions, [s.CLAUSE_TEXT], what="example_quotes() (mentions)")
    p = prepare(comments, mentions, by)
    return select_quotes(
        p,
        mentions,
        comments,
        np.ones(len(p.table), dtype=bool),
        n=n,
        embeddings=embeddings,
        max_chars=max_chars,
        max_candidates=max_candidates,
        near_duplicate=near_duplicate,
        seed=seed,
    )
