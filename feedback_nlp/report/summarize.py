"""Rank complaint themes: counts, NPS impact with a bootstrap interval, trends, example quotes.

Pure functions from the comments and mentions frames (DESIGN.md contract 2) to the themes frame
(themes.csv) and a trends frame; nothing here reads files, prints, or loads a model.

NPS impact of a theme = NPS of all scored comments - NPS of the scored comments that do not
mention it: the points the theme costs (negative) or earns (positive). Its 90 % interval comes
from a seeded bootstrap that resamples comments once per replicate and recomputes every theme's
impact from the same resample, through a sparse comment x theme incidence (numpy only).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.errors import SchemaError

Embed = Callable[[list[str]], np.ndarray]

NPS_POINTS = {"detractor": -1, "passive": 0, "promoter": 1}
UNASSIGNED = "unassigned"  # touchpoint of a mention that has none
ALL = "all"  # the single group of by="theme"
# Rows that are not a customer's answer of their own (duplicate) or whose themes are unknown.
_EXCLUDED = (s.STATUS_DUPLICATE, s.STATUS_FAILED)
_FREQ = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}
_BOOT_CELLS = (
    3_000_000  # bootstrap chunk: replicates x max(comments, pairs); small = cache-friendly
)


# --- helpers ----------------------------------------------------------------------------------


def prettify(theme_id: object) -> str:
    """Default label of a theme or touchpoint id: ``late_delivery`` -> ``Late delivery``."""
    text = re.sub(r"[_\-]+", " ", str(theme_id)).strip()
    return text[:1].upper() + text[1:] if text else str(theme_id)


def theme_label(labels: dict | None, touchpoint: object, theme: object) -> str:
    if labels:
        for key in ((touchpoint, theme), theme):
            if labels.get(key):
                return str(labels[key])
    return prettify(theme)


def touchpoint_label(labels: dict | None, touchpoint: object) -> str:
    if labels and touchpoint in labels and labels[touchpoint]:
        return str(labels[touchpoint])
    return prettify(touchpoint)


def nps_points(comments: pd.DataFrame) -> pd.Series:
    """-1 / 0 / +1 per comment (detractor / passive / promoter), NA where unscored or excluded.

    Uses ``nps_group``; where a frame has no such column, a 0-10 ``score`` is grouped the usual way.
    Duplicate and failed rows are excluded (not a separate answer / themes unknown).
    """
    if s.NPS_GROUP in comments.columns:
        points = comments[s.NPS_GROUP].map(NPS_POINTS, na_action="ignore")
    elif s.SCORE in comments.columns:
        score = pd.to_numeric(comments[s.SCORE], errors="coerce").astype("Float64")
        valid = score.between(0, 10)
        points = pd.Series(pd.NA, index=comments.index, dtype="Float64")
        points[valid & (score >= 9)] = 1
        points[valid & (score <= 6)] = -1
        points[valid & (score > 6) & (score < 9)] = 0
    else:
        return pd.Series(pd.NA, index=comments.index, dtype="Float64")
    points = pd.to_numeric(points, errors="coerce").astype("Float64")
    if s.STATUS in comments.columns:
        points[comments[s.STATUS].isin(_EXCLUDED).fillna(False).astype(bool)] = pd.NA
    return points


def nps(comments: pd.DataFrame) -> float | None:
    """NPS (-100..100) of the scored, non-duplicate comments; None without scores."""
    points = nps_points(comments).dropna()
    return float(points.mean() * 100) if len(points) else None


def _validate(comments: pd.DataFrame, mentions: pd.DataFrame, by: str, what: str) -> None:
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
        keep = ~comments[s.STATUS].isin(_EXCLUDED).fillna(False).to_numpy(dtype=bool)
    # One factorize over both id columns: much faster than Index.get_indexer on strings.
    both = pd.concat([comments[s.COMMENT_ID], pd.Series(ids)], ignore_index=True)
    codes, uniques = pd.factorize(both)
    first = np.full(len(uniques) + 1, -1, dtype=np.int64)  # last slot: NA ids (code -1)
    rows = np.flatnonzero(keep & (codes[: len(comments)] >= 0))
    found, at = np.unique(codes[: len(comments)][rows], return_index=True)  # first row wins
    first[found] = rows[at]
    return first[codes[len(comments) :]]


@dataclass
class _Prepared:
    """The mentions, reduced to integer codes once, for every computation below."""

    by: str
    keys: list[str]
    table: pd.DataFrame  # one row per key code: the key columns, sorted
    key: np.ndarray  # per kept mention: key code
    src: np.ndarray  # per kept mention: row in `mentions`
    pos: np.ndarray  # per kept mention: row in `comments`, -1 if unknown
    neg: np.ndarray  # per kept mention: sentiment is negative
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


def _prepare(comments: pd.DataFrame, mentions: pd.DataFrame, by: str) -> _Prepared:
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
        seg_of_comment, groups = _factorize(comments[by])
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
    return _Prepared(
        by=by,
        keys=_keys(by),
        table=table,
        key=key.astype(np.int64).ravel(),
        src=idx,
        pos=pos[idx],
        neg=(mentions[s.SENTIMENT] == "negative").fillna(False).to_numpy(dtype=bool)[idx],
        score=score.to_numpy(dtype="float64", na_value=np.nan)[idx],
        tp=tp[idx],
        touchpoints=touchpoints,
        seg_of_comment=seg_of_comment,
        seg_of_key=gq.astype(np.int64)
        if by not in (s.TOUCHPOINT, s.THEME)
        else (np.zeros(len(uniq), dtype=np.int64)),
    )


def _keys(by: str) -> list[str]:
    return [s.GROUP, s.THEME] if by == s.THEME else [s.GROUP, s.TOUCHPOINT, s.THEME]


def _comment_pairs(p: _Prepared, sel: np.ndarray | None = None):
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


# --- NPS impact ------------------------------------------------------------------------------


def _bucket_sums(
    w: np.ndarray, columns: np.ndarray | None, ids: np.ndarray, starts: np.ndarray, n_buckets: int
) -> np.ndarray:
    """Sum the columns of w (b, N) - gathered by `columns` if given - into buckets (b, n_buckets);
    `starts` are where each non-empty bucket `ids` begins in the (gathered) column order."""
    out = np.zeros((w.shape[0], n_buckets), dtype=np.int64)
    if len(ids):
        # int64 on purpose: numpy's reduceat upcasts smaller ints element by element (slow);
        # np.take, not w[:, columns]: the fancy-index gather is several times slower here.
        cols = w if columns is None else np.take(w, columns, axis=1)
        out[:, ids] = np.add.reduceat(cols, starts, axis=1)
    return out


def _impacts(seg_cells: np.ndarray, row_cells: np.ndarray, row_seg: np.ndarray) -> np.ndarray:
    """NPS impact (points) per row, from (b, G*3) and (b, R*3) detractor/passive/promoter counts."""
    b = seg_cells.shape[0]
    seg_cells, row_cells = seg_cells.reshape(b, -1, 3), row_cells.reshape(b, -1, 3)
    ng = seg_cells.sum(axis=2)[:, row_seg]
    sg = (seg_cells[:, :, 2] - seg_cells[:, :, 0])[:, row_seg]
    c_row = row_cells.sum(axis=2)
    s_row = row_cells[:, :, 2] - row_cells[:, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 100 * (sg / ng - (sg - s_row) / (ng - c_row))
    out[(c_row == 0) | (ng - c_row == 0)] = np.nan
    return out


def nps_impact(
    points: np.ndarray,
    segment: np.ndarray,
    row_segment: np.ndarray,
    pair_row: np.ndarray,
    pair_comment: np.ndarray,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.9,
) -> pd.DataFrame:
    """NPS impact of each row (theme) with a percentile bootstrap interval.

    points: -1/0/+1 per scored comment; segment: the comment's segment code (0..G-1);
    row_segment: each row's segment code; (pair_row, pair_comment): "comment mentions row",
    unique pairs. Returns columns nps_impact, nps_impact_low, nps_impact_high, scored_comments,
    nps, one row per row code.

    Each replicate draws N comment indices with replacement; their counts w (replicates x N) are
    summed per (segment, NPS group) and, through the pairs, per (row, NPS group), which gives every
    row's impact in that replicate at once. Where the percentile interval misses the point
    estimate (tiny or lopsided groups) it is widened to include it: low <= impact <= high.
    """
    n, n_rows = len(points), len(row_segment)
    n_segs = int(max(segment.max(initial=-1), row_segment.max(initial=-1))) + 1
    cat = np.asarray(points, dtype=np.int64) + 1  # 0 detractor, 1 passive, 2 promoter
    # Comments ordered by (segment, group) so that bucket sums need no gather.
    comment_bucket = np.asarray(segment, dtype=np.int64) * 3 + cat
    order = np.argsort(comment_bucket, kind="stable")
    where = np.empty_like(order)
    where[order] = np.arange(n)
    seg_ids, seg_starts = np.unique(comment_bucket[order], return_index=True)
    pair_comment = where[pair_comment]
    pair_bucket = np.asarray(pair_row, dtype=np.int64) * 3 + cat[order][pair_comment]
    sort = np.lexsort((pair_comment, pair_bucket))  # by bucket, then comment: cache-friendly
    pair_comment = pair_comment[sort]
    row_ids, row_starts = np.unique(pair_bucket[sort], return_index=True)

    def run(w: np.ndarray) -> np.ndarray:
        seg = _bucket_sums(w, None, seg_ids, seg_starts, n_segs * 3)
        rows = _bucket_sums(w, pair_comment, row_ids, row_starts, n_rows * 3)
        return _impacts(seg, rows, row_segment), seg

    ones = np.ones((1, n), dtype=np.int64)
    point, seg = run(ones)
    low, high = np.full(n_rows, np.nan), np.full(n_rows, np.nan)
    ok = np.isfinite(point[0])
    if n and n_boot > 0 and ok.any():
        rng = np.random.default_rng(seed)
        chunk = max(1, min(n_boot, _BOOT_CELLS // max(n, len(pair_comment), 1)))
        reps = []
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            draws = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]
            w = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n)
            reps.append(run(w)[0][:, ok])
        boot = np.concatenate(reps)
        alpha = (1 - level) / 2
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: tiny groups
            q = np.nanquantile(boot, [alpha, 1 - alpha], axis=0)
        low[ok] = np.fmin(q[0], point[0, ok])
        high[ok] = np.fmax(q[1], point[0, ok])
    seg = seg[0].reshape(-1, 3)
    n_g = seg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        seg_nps = np.where(n_g > 0, 100 * (seg[:, 2] - seg[:, 0]) / n_g, np.nan)
    return pd.DataFrame(
        {
            s.NPS_IMPACT: point[0],
            s.NPS_IMPACT_LOW: low,
            s.NPS_IMPACT_HIGH: high,
            s.SCORED_COMMENTS: n_g[row_segment].astype(np.int64),
            s.NPS: seg_nps[row_segment],
        }
    ).astype({c: "Float64" for c in (s.NPS_IMPACT, s.NPS_IMPACT_LOW, s.NPS_IMPACT_HIGH, s.NPS)})


# --- trends ----------------------------------------------------------------------------------


def _periods(comments: pd.DataFrame, period: str) -> pd.Series | None:
    if period not in _FREQ:
        raise SchemaError(f"period={period!r}: expected one of {', '.join(_FREQ)}.")
    if s.CREATED_AT not in comments.columns:
        return None
    dates = pd.to_datetime(comments[s.CREATED_AT], errors="coerce", utc=True)
    if dates.notna().sum() == 0:
        return None
    return dates.dt.tz_convert(None).dt.to_period(_FREQ[period])


def _period_label(p: pd.Period, period: str) -> str:
    if period == "week":
        return p.start_time.strftime("%G-W%V")
    return str(p)


def _two_proportion_p(x1, n1, x2, n2) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = np.abs(x2 / n2 - x1 / n1) / se
    erfc = np.frompyfunc(math.erfc, 1, 1)
    p = np.where(np.isfinite(z), erfc(np.nan_to_num(z) / math.sqrt(2)).astype(float), np.nan)
    return np.where((n1 > 0) & (n2 > 0) & (se > 0), p, np.nan)


def _trends(p: _Prepared, comments: pd.DataFrame, period: str, alpha: float) -> pd.DataFrame:
    columns = [
        *p.keys,
        s.PERIOD,
        s.PERIOD_START,
        s.PERIOD_COMMENTS,
        s.MENTIONS,
        s.COMMENTS,
        s.NEGATIVE_SHARE,
        s.SHARE,
        s.CHANGE,
        s.P_VALUE,
        s.EMERGING,
    ]
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    periods = _periods(comments, period)
    if periods is None or not len(p.key):
        return empty
    ordinals = periods.array.asi8
    dated = periods.notna().to_numpy()
    first, last = ordinals[dated].min(), ordinals[dated].max()
    n_p = int(last - first + 1)
    pidx = np.where(dated, ordinals - first, -1)
    # Denominators: analysed comments with a date, per (segment, period).
    analysed = dated & (p.seg_of_comment >= 0)
    if s.STATUS in comments.columns:
        st = comments[s.STATUS]
        analysed &= (st.isna() | (st == s.STATUS_ANALYZED)).to_numpy(dtype=bool)
    n_seg = int(max(p.seg_of_comment.max(initial=-1), p.seg_of_key.max(initial=-1))) + 1
    totals = np.bincount(
        p.seg_of_comment[analysed] * n_p + pidx[analysed], minlength=n_seg * n_p
    ).reshape(n_seg, n_p)
    n_keys = len(p.table)
    m_p = np.where(p.pos >= 0, pidx[np.maximum(p.pos, 0)], -1)
    ok = m_p >= 0
    mentions = np.bincount(p.key[ok] * n_p + m_p[ok], minlength=n_keys * n_p).reshape(n_keys, n_p)
    key, pos, neg = _comment_pairs(p, ok)
    cell = key * n_p + pidx[pos]
    x = np.bincount(cell, minlength=n_keys * n_p).reshape(n_keys, n_p).astype(float)
    negs = np.bincount(cell, weights=neg, minlength=n_keys * n_p).reshape(n_keys, n_p)
    present = mentions.sum(axis=1) > 0
    x, negs, mentions = x[present], negs[present], mentions[present]
    n = totals[p.seg_of_key[present]].astype(float)
    x1 = np.concatenate([np.full((len(x), 1), np.nan), x[:, :-1]], axis=1)
    n1 = np.concatenate([np.full((len(n), 1), np.nan), n[:, :-1]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, x / n, np.nan)
        prev = x1 / n1
        change = np.where(prev > 0, share / prev - 1, np.nan)
        neg_share = np.where(x > 0, negs / x, np.nan)
    pval = _two_proportion_p(x1, n1, x, n)
    seen_before = (np.cumsum(x, axis=1) - x) > 0
    new = (x > 0) & ~seen_before & (np.arange(n_p) > 0)
    emerging = new | ((np.nan_to_num(change) > 0) & (np.nan_to_num(pval, nan=1.0) < alpha))

    freq = periods.dt.freq
    labels = pd.period_range(pd.Period(ordinal=first, freq=freq), periods=n_p, freq=freq)
    out = p.table.iloc[np.repeat(np.flatnonzero(present), n_p)].reset_index(drop=True)
    out[s.PERIOD] = np.tile([_period_label(q, period) for q in labels], len(x))
    out[s.PERIOD_START] = np.tile(labels.start_time, len(x))
    out[s.PERIOD_COMMENTS] = n.ravel().astype(np.int64)
    out[s.MENTIONS] = mentions.ravel().astype(np.int64)
    out[s.COMMENTS] = x.ravel().astype(np.int64)
    out[s.NEGATIVE_SHARE] = pd.array(neg_share.ravel(), dtype="Float64")
    out[s.SHARE] = pd.array(share.ravel(), dtype="Float64")
    out[s.CHANGE] = pd.array(change.ravel(), dtype="Float64")
    out[s.P_VALUE] = pd.array(pval.ravel(), dtype="Float64")
    out[s.EMERGING] = emerging.ravel()
    return out[columns]


def trends(
    comments: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    period: str,
    by: str = s.TOUCHPOINT,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Per (group, touchpoint, theme, period): mentions, comments, negative share, `share` of the
    period's analysed comments that mention the theme, `change` of that share against the previous
    period, `p_value` of a two-proportion z-test of the change, and `emerging` (share grew with
    p < alpha, or first seen in this period after at least one earlier period). Every period from
    the first to the last date is present (zeros where a theme was not mentioned); empty without
    dates. `by` as in `summarize`.

    >>> trends(comments, mentions, period="month").query("emerging")   # doctest: +SKIP
    """
    _validate(comments, mentions, by, "trends()")
    return _trends(_prepare(comments, mentions, by), comments, period, alpha)


def format_trend(row: pd.Series) -> str:
    """'+35% (emerging)', 'new (emerging)', '-12%', 'up from 0' - the latest period's change."""
    change, emerging = row.get(s.CHANGE), bool(row.get(s.EMERGING))
    tag = " (emerging)" if emerging else ""
    if pd.isna(change):
        if row.get(s.COMMENTS, 0) > 0:
            return ("new" if emerging else "up from 0") + tag
        return "none in latest period"
    return f"{change:+.0%}{tag}"


# --- example quotes --------------------------------------------------------------------------


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


def _pick(vec: np.ndarray, lex: np.ndarray, n: int, near_dup: float) -> list[int]:
    """Greedy: closest to the centroid first, skipping anything near a quote already chosen."""
    centroid = vec.mean(axis=0)
    sim = vec @ centroid / (np.linalg.norm(centroid) or 1.0)
    chosen: list[int] = []
    for i in np.argsort(-sim, kind="stable"):
        if all(lex[i] @ lex[j] < near_dup for j in chosen):
            chosen.append(int(i))
            if len(chosen) == n:
                break
    return chosen


def _quotes(
    p: _Prepared,
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
        for rank, j in enumerate(_pick(vec, lex, n, near_duplicate), start=1):
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

    Candidates: the theme's negative mentions, the most negative clause per comment, exact repeats
    (ignoring case and punctuation) dropped, at most `max_candidates` (a seeded sample); clauses of
    12..`max_chars` characters are preferred, longer ones are cut at a word. Representative:
    closest (cosine) to the candidates' centroid in ``embeddings(texts)`` space when given, else
    in TF-IDF character 3-gram space (lexical). Diverse: a candidate whose character 3-gram cosine
    to an already chosen quote is >= `near_duplicate` is skipped (near-duplicate).
    Returns one row per quote: the key columns, quote_rank, comment_id, lang, quote, similarity.

    >>> example_quotes(result.mentions, result.comments).head()   # doctest: +SKIP
    """
    comments = comments if comments is not None else pd.DataFrame({s.COMMENT_ID: []})
    _validate(comments, mentions, by, "example_quotes()")
    s.require_columns(mentions, [s.CLAUSE_TEXT], what="example_quotes() (mentions)")
    p = _prepare(comments, mentions, by)
    return _quotes(
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


# --- the themes frame ------------------------------------------------------------------------


def rank_themes(df: pd.DataFrame, within: list[str]) -> pd.Series:
    """1 = worst: most negative NPS impact (NA counts as 0), then most negative comments,
    mentions, label. Without scores that is the number of negative comments."""
    order = df.assign(
        _impact=df[s.NPS_IMPACT].astype("float64").fillna(0.0),  # NA: no measurable impact
        _neg=-df[s.NEGATIVE_COMMENTS].astype("float64"),
        _men=-df[s.MENTIONS].astype("float64"),
    ).sort_values(["_impact", "_neg", "_men", s.LABEL, s.THEME], kind="stable")
    if within:
        ranks = order.groupby(within, sort=False).cumcount() + 1
    else:
        ranks = pd.Series(np.arange(1, len(order) + 1), index=order.index)
    return ranks.reindex(df.index).astype("Int64")


def _latest_trend(
    p: _Prepared, comments: pd.DataFrame, themes: pd.DataFrame, period: str
) -> pd.DataFrame:
    tr = _trends(p, comments, period, alpha=0.05)
    out = pd.DataFrame(index=themes.index)
    out[s.TREND] = pd.array([pd.NA] * len(themes), dtype="string")
    out[s.TREND_CHANGE] = pd.array([pd.NA] * len(themes), dtype="Float64")
    out[s.TREND_P_VALUE] = pd.array([pd.NA] * len(themes), dtype="Float64")
    out[s.EMERGING] = pd.array([pd.NA] * len(themes), dtype="boolean")
    # one period only: nothing to compare the latest with ("up from 0" would claim a rise)
    if len(tr) and len(themes) and tr[s.PERIOD_START].nunique() > 1:
        latest = tr[tr[s.PERIOD_START] == tr[s.PERIOD_START].max()]
        latest = themes[p.keys].merge(latest, on=p.keys, how="left")
        has = latest[s.PERIOD].notna().to_numpy()
        if has.any():
            text = latest[has].apply(format_trend, axis=1)
            out.loc[has, s.TREND] = text.to_numpy()
            out.loc[has, s.TREND_CHANGE] = latest.loc[has, s.CHANGE].to_numpy()
            out.loc[has, s.TREND_P_VALUE] = latest.loc[has, s.P_VALUE].to_numpy()
            out.loc[has, s.EMERGING] = latest.loc[has, s.EMERGING].astype(bool).to_numpy()
    return out


def summarize(
    comments: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    by: str = s.TOUCHPOINT,
    period: str | None = None,
    min_mentions: int = 5,
    labels: dict | None = None,
    seed: int = 0,
    n_boot: int = 1000,
    quote_embeddings: Embed | None = None,
) -> pd.DataFrame:
    """The themes frame (themes.csv, DESIGN.md contract 2): one row per (touchpoint, theme) with
    counts, negative share, net sentiment, NPS impact and its bootstrap 90 % interval, trend,
    rank and example quotes; sorted by group, then rank. Extra columns after the contract's:
    group, touchpoint_label, rank_overall, scored_comments, nps, example_langs, trend_change,
    trend_p_value, emerging.

    by: "touchpoint" (the mention's touchpoint; ranks within it), "theme" (one row per theme id,
    ranked overall; touchpoint = its most frequent one) or a comments column such as "lang" or
    "source" (rows per value and (touchpoint, theme); NPS impact within that value's comments).
    period: "week", "month", "quarter" (or "day", "year") fills `trend` from `trends()` (the
    latest period against the one before); without it, or without dates, `trend` is NA.
    Themes with fewer than `min_mentions` mentions are left out. labels: {(touchpoint, theme):
    label}, optionally also {theme: label} and {touchpoint: label}; others are the prettified
    id. quote_embeddings: texts -> array (n, d) to pick quotes with; without it, TF-IDF
    character 3-grams. Without NPS groups (or 0-10 scores) nps_impact is NA and ranks follow
    the number of negative comments.

    >>> themes = summarize(result.comments, result.mentions, period="month")  # doctest: +SKIP
    >>> themes.query("rank <= 3")[["touchpoint", "label", "nps_impact"]]       # doctest: +SKIP
    """
    _validate(comments, mentions, by, "summarize()")
    if period is not None and period not in _FREQ:
        raise SchemaError(f"period={period!r}: expected one of {', '.join(_FREQ)}.")
    p = _prepare(comments, mentions, by)
    n_keys = len(p.table)

    counts = np.bincount(p.key, minlength=n_keys)
    finite = np.isfinite(p.score)
    with np.errstate(divide="ignore", invalid="ignore"):
        net = np.bincount(p.key[finite], weights=p.score[finite], minlength=n_keys) / np.bincount(
            p.key[finite], minlength=n_keys
        )
    keep = counts >= max(1, min_mentions)
    row_of_key = np.cumsum(keep) - 1
    themes = p.table[keep].reset_index(drop=True)
    themes[s.MENTIONS] = counts[keep]
    themes[s.NET_SENTIMENT] = pd.array(net[keep], dtype="Float64")
    pair_key, pair_pos, pair_neg = _comment_pairs(p, keep[p.key])
    pair_row = row_of_key[pair_key]
    themes[s.COMMENTS] = np.bincount(pair_row, minlength=len(themes))
    themes[s.NEGATIVE_COMMENTS] = np.bincount(pair_row, weights=pair_neg, minlength=len(themes))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = themes[s.NEGATIVE_COMMENTS] / themes[s.COMMENTS].replace(0, np.nan)
    themes[s.NEGATIVE_SHARE] = pd.array(share, dtype="Float64")
    if by == s.THEME:  # touchpoint of a theme row: its most frequent one (ties: alphabetical)
        n_tp = max(len(p.touchpoints), 1)
        sel = keep[p.key]
        tally = np.bincount(
            row_of_key[p.key[sel]] * n_tp + p.tp[sel], minlength=len(themes) * n_tp
        ).reshape(len(themes), n_tp)
        themes.insert(1, s.TOUCHPOINT, p.touchpoints[tally.argmax(axis=1)] if len(themes) else [])

    # NPS impact over the scored comments (within each segment when `by` is a comments column).
    points = nps_points(comments).to_numpy(dtype="float64", na_value=np.nan)
    scored = np.isfinite(points) & (p.seg_of_comment >= 0)
    new_pos = np.full(len(comments) + 1, -1, dtype=np.int64)  # last slot: pos -1
    new_pos[np.flatnonzero(scored)] = np.arange(int(scored.sum()))
    pair_scored = new_pos[pair_pos]
    ok = pair_scored >= 0
    impact = nps_impact(
        points[scored].astype(np.int64),
        p.seg_of_comment[scored],
        p.seg_of_key[keep],
        pair_row[ok],
        pair_scored[ok],
        n_boot=n_boot,
        seed=seed,
    )
    themes = pd.concat([themes, impact], axis=1)

    themes[s.LABEL] = [
        theme_label(labels, t, h) for t, h in zip(themes[s.TOUCHPOINT], themes[s.THEME])
    ]
    themes[s.TOUCHPOINT_LABEL] = [touchpoint_label(labels, t) for t in themes[s.TOUCHPOINT]]
    themes[s.RANK] = rank_themes(themes, [] if by == s.THEME else [s.GROUP])
    themes[s.RANK_OVERALL] = rank_themes(themes, [])
    trend = (
        _latest_trend(p, comments, themes, period)
        if period
        else _latest_trend(p, comments.iloc[:0], themes, "month")
    )
    themes = pd.concat([themes, trend], axis=1)

    ids, quotes, langs = ([[] for _ in range(len(themes))] for _ in range(3))
    q = _quotes(
        p,
        mentions,
        comments,
        keep,
        n=3,
        embeddings=quote_embeddings,
        max_chars=160,
        max_candidates=150,
        near_duplicate=0.6,
        seed=seed,
    )
    if len(q):
        q = q.merge(themes[p.keys].assign(_row=np.arange(len(themes))), on=p.keys)
        for row, qid, lang, text in zip(q["_row"], q[s.COMMENT_ID], q[s.LANG], q["quote"]):
            ids[row].append(qid)
            langs[row].append(None if pd.isna(lang) else lang)
            quotes[row].append(text)
    themes[s.EXAMPLE_COMMENT_IDS] = pd.Series(ids, index=themes.index, dtype="object")
    themes[s.EXAMPLE_QUOTES] = pd.Series(quotes, index=themes.index, dtype="object")
    themes[s.EXAMPLE_LANGS] = pd.Series(langs, index=themes.index, dtype="object")

    for c in (s.MENTIONS, s.COMMENTS, s.NEGATIVE_COMMENTS, s.SCORED_COMMENTS):
        themes[c] = themes[c].astype("Int64")
    extras = [
        s.GROUP,
        s.TOUCHPOINT_LABEL,
        s.RANK_OVERALL,
        s.SCORED_COMMENTS,
        s.NPS,
        s.EXAMPLE_LANGS,
        s.TREND_CHANGE,
        s.TREND_P_VALUE,
        s.EMERGING,
    ]
    out = themes[s.THEME_COLUMNS + extras].sort_values([s.GROUP, s.RANK], kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["summary"] = {
        "by": by,
        "period": period,
        "min_mentions": min_mentions,
        "n_boot": n_boot,
        "seed": seed,
        "interval": "90% bootstrap percentile",
        "quotes": "embeddings" if quote_embeddings else "tfidf-char-3gram",
    }
    return out
