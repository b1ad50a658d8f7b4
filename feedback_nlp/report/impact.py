"""NPS points and the NPS impact of themes with a bootstrap interval.

NPS impact of a theme = NPS of all scored comments - NPS of the scored comments that do not
mention it: the points the theme costs (negative) or earns (positive). Its 90 % interval comes
from a seeded bootstrap that resamples comments once per replicate and recomputes every theme's
impact from the same resample, through a sparse comment x theme incidence (numpy only).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.report.prepared import EXCLUDED

NPS_POINTS = {"detractor": -1, "passive": 0, "promoter": 1}
_BOOT_CELLS = (
    3_000_000  # bootstrap chunk: replicates x max(comments, pairs); small = cache-friendly
)


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
        points[comments[s.STATUS].isin(EXCLUDED).fillna(False).astype(bool)] = pd.NA
    return points


def nps(comments: pd.DataFrame) -> float | None:
    """NPS (-100..100) of the scored, non-duplicate comments; None without scores."""
    points = nps_points(comments).dropna()
    return float(points.mean() * 100) if len(points) else None


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
