"""The comments and mentions frames, checked and reduced to integer codes once (the index that
NPS impact, trends, quotes and the themes frame all compute from), and which comment rows count.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.errors import SchemaError

UNASSIGNED = "unassigned"  # touchpoint of a mention that has none
ALL = "all"  # the single group of by="theme"
# Rows that are not a customer's answer of their own (duplicate) or whose themes are unknown.
EXCLUDED = (s.STATUS_DUPLICATE, s.STATUS_FAILED)


def is_analysed(comments: pd.DataFrame) -> pd.Series:
    """Rows analysed (status NA or analyzed); all rows when the frame has no status column."""
    if s.STATUS not in comments.columns:
        return pd.Series(True, index=comments.index)
    st = comments[s.STATUS]
    return (st.isna() | (st == s.STATUS_ANALYZED)).astype(bool)


def validate(comments: pd.DataFrame, mentions: pd.DataFrame, by: str, what: str) -> None:
    s.require_columns(comments, [s.COMMENT_ID], what=f"{what} (comments)")
    s.require_columns(
        mentions,
        [s.COMMENT_ID, s.TOUCHPOINT, s.THEME, s.SENTIMENT, s.SENTIMENT_SCORE],
        what=f"{what} (mentions)",
    )
    if by not in (s.TOUCHPOINT, s.THEME) and by not in comments.columns:
        raise SchemaError(
            f"{what}: by={by!r} is neither 'touchpoint', 'theme' nor a column of the comments "
            f"frame; columns found: {', '.join(map(str, comments.columns))}."
        )


def _comment_positions(comments: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """Row position in `comments` of each id (-1 if unknown); duplicate/failed rows never win."""
    keep = np.ones(len(comments), dtype=bool)
    if s.STATUS in comments.columns:
        keep = ~comments[s.STATUS].isin(EXCLUDED).fillna(False).to_numpy(dtype=bool)
    # One factorize over both id columns: much faster than Index.get_indexer on strings.
    both = pd.concat([comments[s.COMMENT_ID], pd.Series(ids)], ignore_index=True)
    codes, uniques = pd.factorize(both)
    first = np.full(len(uniques) + 1, -1, dtype=np.int64)  # last slot: NA ids (code -1)
    rows = np.flatnonzero(keep & (codes[: len(comments)] >= 0))
    found, at = np.unique(codes[: len(comments)][rows], return_index=True)  # first row wins
    first[found] = rows[at]
    return first[codes[len(comments) :]]


@dataclass
class Prepared:
    """The mentions, reduced to integer codes once, for every computation of the report."""

    by: str
    keys: list[str]
    table: pd.DataFrame  # one row per key code: the key columns, sorted
    key: np.ndarray  # per kept mention: key code
    src: np.ndarray  # per kept mention: row in `mentions`
    pos: np.ndarray  # per kept mention: row in `comments`, -1 if unknown
    neg: np.ndarray  # per kept mention: sentiment is negative (a complaint)
    praise: np.ndarray  # per kept mention: sentiment is positive (praise)
    score: np.ndarray  # per kept mention: sentiment_score (NaN if missing)
    tp: np.ndarray  # per kept mention: touchpoint code (into `touchpoints`)
    touchpoints: np.ndarray
    seg_of_comment: np.ndarray  # per comment: segment code, -1 outside any (NA in `by`)
    seg_of_key: np.ndarray  # per key: segment code


def _factorize(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # mixed types that do not compare
        codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def blank_group(by: str, by_label: str | None = None) -> str:
    """The group of comments whose `by` value is blank: ``(no channel)``, ``(no lang)``."""
    return f"(no {(by_label or by).lower()})"


def group_values(comments: pd.DataFrame, by: str, by_label: str | None = None) -> pd.Series:
    """The comments' `by` values, a blank (NA, empty or spaces) as the group of its own."""
    values = comments[by]
    text = values.astype("string").str.strip()
    blank = values.isna() | (text == "").fillna(True).astype(bool)
    return values.astype(object).where(~blank, blank_group(by, by_label))


def prepare(
    comments: pd.DataFrame, mentions: pd.DataFrame, by: str, by_label: str | None = None
) -> Prepared:
    """The index of `mentions` by key (group, touchpoint, theme). With `by` a comments column,
    comments whose value is blank form a group of their own (`blank_group`), not dropped."""
    pos = _comment_positions(comments, mentions[s.COMMENT_ID])
    keep = mentions[s.THEME].notna().to_numpy(dtype=bool)
    tp, touchpoints = _factorize(mentions[s.TOUCHPOINT].fillna(UNASSIGNED))
    th, themes = _factorize(mentions[s.THEME])
    if by in (s.TOUCHPOINT, s.THEME):
        seg_of_comment = np.zeros(len(comments), dtype=np.int64)
        g, groups = (
            (tp, touchpoints)
            if by == s.TOUCHPOINT
            else (np.zeros(len(mentions), dtype=np.int64), np.array([ALL], dtype=object))
        )
    else:
        seg_of_comment, groups = _factorize(group_values(comments, by, by_label))
        g = (
            np.where(pos >= 0, seg_of_comment[np.maximum(pos, 0)], -1)
            if len(comments)
            else (np.full(len(mentions), -1, dtype=np.int64))
        )
        keep = keep & (g >= 0)
    idx = np.flatnonzero(keep)
    n_tp = 1 if by == s.THEME else max(len(touchpoints), 1)
    raw = (g[idx] * n_tp + (0 if by == s.THEME else tp[idx])) * max(len(themes), 1) + th[idx]
    uniq, key = np.unique(raw, return_inverse=True)
    gq, rest = np.divmod(uniq, n_tp * max(len(themes), 1))
    tq, hq = np.divmod(rest, max(len(themes), 1))
    table = pd.DataFrame({s.GROUP: groups[gq] if len(uniq) else []})
    if by != s.THEME:
        table[s.TOUCHPOINT] = touchpoints[tq] if len(uniq) else []
    table[s.THEME] = themes[hq] if len(uniq) else []
    score = pd.to_numeric(mentions[s.SENTIMENT_SCORE], errors="coerce")
    sentiment = mentions[s.SENTIMENT]
    return Prepared(
        by=by,
        keys=key_columns(by),
        table=table,
        key=key.astype(np.int64).ravel(),
        src=idx,
        pos=pos[idx],
        neg=(sentiment == "negative").fillna(False).to_numpy(dtype=bool)[idx],
        praise=(sentiment == "positive").fillna(False).to_numpy(dtype=bool)[idx],
        score=score.to_numpy(dtype="float64", na_value=np.nan)[idx],
        tp=tp[idx],
        touchpoints=touchpoints,
        seg_of_comment=seg_of_comment,
        seg_of_key=gq.astype(np.int64)
        if by not in (s.TOUCHPOINT, s.THEME)
        else (np.zeros(len(uniq), dtype=np.int64)),
    )


def subset(p: Prepared, sel: np.ndarray) -> Prepared:
    """The same index (table, segments) over the kept mentions where `sel` is true."""
    return replace(
        p,
        key=p.key[sel],
        src=p.src[sel],
        pos=p.pos[sel],
        neg=p.neg[sel],
        praise=p.praise[sel],
        score=p.score[sel],
        tp=p.tp[sel],
    )


def key_columns(by: str) -> list[str]:
    return [s.GROUP, s.THEME] if by == s.THEME else [s.GROUP, s.TOUCHPOINT, s.THEME]


def comment_pairs(p: Prepared, sel: np.ndarray | None = None):
    """Unique (key, comment) pairs: key, pos (-1: comment unknown), any mention negative.
    A mention of an unknown comment id counts as a comment of its own."""
    key, pos, src, neg = p.key, p.pos, p.src, p.neg
    if sel is not None:
        key, pos, src, neg = key[sel], pos[sel], src[sel], neg[sel]
    cid = np.where(pos >= 0, pos, -1 - src)
    order = np.lexsort((cid, key))
    key, cid, neg = key[order], cid[order], neg[order]
    start = np.ones(len(key), dtype=bool)
    start[1:] = (key[1:] != key[:-1]) | (cid[1:] != cid[:-1])
    starts = np.flatnonzero(start)
    any_neg = np.maximum.reduceat(neg, starts) if len(starts) else neg[:0]
    return key[starts], np.maximum(cid[starts], -1), any_neg.astype(bool)
