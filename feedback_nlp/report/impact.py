"""NPS points, ratings, and the NPS / rating impact of themes with a bootstrap interval.

NPS impact of a theme = NPS of all scored comments - NPS of the scored comments that do not
mention it: the points the theme costs (negative) or earns (positive). Rating impact is the same
on the average rating (stars, CSAT, CES): average of all rated comments - average of those that
do not mention it. Both come from :func:`mean_impact` (a per-comment value vector); its 90 %
interval comes from a seeded bootstrap that resamples comments once per replicate and recomputes
every theme's impact from the same resample, through a sparse comment x theme incidence.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.io.values import HIGHER_IS_MORE_EFFORT, SCALES
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


# Scales with a rating impact (NPS has its own); how the reports name them and their unit.
RATING_SCALES = {
    "stars": ("star rating", "★"),
    "csat": ("CSAT", "/ 5"),
    "csat3": ("CSAT", "/ 3"),
    "csat2": ("CSAT", "% satisfied"),
    "ces": ("CES", ""),
    "rating10": ("rating", "/ 10"),
}


def row_scales(comments: pd.DataFrame, scales: str | dict | None) -> pd.Series:
    """Per comment, its scale's record {score_scale, score_points, score_direction} (None where
    unknown). `scales`: one scale name for all rows, or {source file name: the manifest's input
    record} (a row's scale is its file's); without it, a ``score_scale`` column if the frame has
    one."""
    if isinstance(scales, str):
        return pd.Series([{"score_scale": scales}] * len(comments), index=comments.index)
    if isinstance(scales, dict) and s.SOURCE in comments.columns:
        return comments[s.SOURCE].map(lambda src: scales.get(src) if isinstance(src, str) else None)
    if "score_scale" in comments.columns:
        return comments["score_scale"].map(
            lambda v: {"score_scale": v} if isinstance(v, str) else None
        )
    return pd.Series([None] * len(comments), index=comments.index, dtype=object)


def ratings(comments: pd.DataFrame, scales: str | dict | None) -> tuple[np.ndarray, dict | None]:
    """Per comment, its rating oriented so that higher is better (NaN where unscored, excluded,
    NPS or on another rating scale), and the record of the rating scale used (None: no rating).

    Rows of one run may come from files on different scales; averaging 1-5 stars with a 1-7 CES
    means nothing, so the scale (scale, points, direction) that most rated comments carry is
    used and the others are counted in ``left_out``. CES where higher means more effort is
    flipped (points + 1 - score), so that the effort a theme causes is a cost (negative
    impact) like a low rating; ``higher_is_better`` says so, and reports show the average the
    way the scale reads. A 0/1 CSAT (good / bad) is in % satisfied.
    """
    per_row = row_scales(comments, scales)
    score = (
        pd.to_numeric(comments[s.SCORE], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        if s.SCORE in comments.columns
        else np.full(len(comments), np.nan)
    )
    usable = np.isfinite(score)
    if s.STATUS in comments.columns:
        usable &= ~comments[s.STATUS].isin(EXCLUDED).fillna(False).to_numpy(dtype=bool)
    keys = [
        (r.get("score_scale"), r.get("score_points"), r.get("score_direction"))
        if isinstance(r, dict) and r.get("score_scale") in RATING_SCALES
        else None
        for r in per_row
    ]
    tally: dict[tuple, int] = {}
    for key, ok in zip(keys, usable):
        if key is not None and ok:
            tally[key] = tally.get(key, 0) + 1
    values = np.full(len(comments), np.nan)
    if not tally:
        return values, None
    scale, points, direction = max(tally, key=lambda k: (tally[k], str(k)))
    chosen = np.array([k == (scale, points, direction) for k in keys], dtype=bool) & usable
    low, high = SCALES[scale]
    if scale == "ces":
        high = float(points or high)
    better = not (scale == "ces" and direction == HIGHER_IS_MORE_EFFORT)
    values[chosen] = score[chosen] if better else (low + high) - score[chosen]
    name, unit = RATING_SCALES[scale]
    factor = 100.0 if scale == "csat2" else 1.0
    return values, {
        "scale": scale,
        "name": name,
        "unit": unit,
        "points": points,
        "direction": direction,
        "low": low,
        "high": high,
        "higher_is_better": better,
        "factor": factor,
        # the average as the scale reads it (before any flip), times factor
        "average": float(factor * score[chosen].mean()),
        "rated": int(chosen.sum()),
        "left_out": int(sum(tally.values()) - chosen.sum()),
    }


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


def _impacts(
    seg_cells: np.ndarray,
    row_cells: np.ndarray,
    row_seg: np.ndarray,
    levels: np.ndarray,
    factor: float,
) -> np.ndarray:
    """Impact per row = mean of its segment - mean of the segment without the row's comments,
    from (b, G*K) and (b, R*K) counts of each of the K values `levels`, times `factor`."""
    b, k = seg_cells.shape[0], len(levels)
    seg_cells, row_cells = seg_cells.reshape(b, -1, k), row_cells.reshape(b, -1, k)
    ng = seg_cells.sum(axis=2)[:, row_seg]
    sg = (seg_cells @ levels)[:, row_seg]  # counts x values: exact sums for integer values
    c_row = row_cells.sum(axis=2)
    s_row = row_cells @ levels
    with np.errstate(divide="ignore", invalid="ignore"):
        out = factor * (sg / ng - (sg - s_row) / (ng - c_row))
    out[(c_row == 0) | (ng - c_row == 0)] = np.nan
    return out


def mean_impact(
    values: np.ndarray,
    segment: np.ndarray,
    row_segment: np.ndarray,
    pair_row: np.ndarray,
    pair_comment: np.ndarray,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.9,
    factor: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Impact of each row (theme) on the mean of a per-comment value, with a percentile bootstrap
    interval: mean of the row's segment - mean of that segment without the comments of the row.

    values: one finite value per comment (NPS points -1/0/+1, a star rating...), few distinct
    ones; segment: the comment's segment code (0..G-1); row_segment: each row's segment code;
    (pair_row, pair_comment): "comment mentions row", unique pairs. Returns (impact, low, high,
    comments of the row's segment, mean of the row's segment), one entry per row; impacts and
    means are multiplied by `factor` (100 for NPS points).

    Comments are bucketed by (segment, value). Each replicate draws N comment indices with
    replacement; their counts w (replicates x N) are summed per bucket and, through the pairs,
    per (row, value), which gives every row's impact in that replicate at once. Where the
    percentile interval misses the point estimate (tiny or lopsided groups) it is widened to
    include it: low <= impact <= high.
    """
    values = np.asarray(values, dtype=np.float64)
    n, n_rows = len(values), len(row_segment)
    n_segs = int(max(np.max(segment, initial=-1), np.max(row_segment, initial=-1))) + 1
    levels, cat = np.unique(values, return_inverse=True)
    levels = levels if len(levels) else np.zeros(1)
    k = len(levels)
    cat = cat.astype(np.int64).reshape(-1)
    # Comments ordered by (segment, value) so that bucket sums need no gather.
    comment_bucket = np.asarray(segment, dtype=np.int64) * k + cat
    order = np.argsort(comment_bucket, kind="stable")
    where = np.empty_like(order)
    where[order] = np.arange(n)
    seg_ids, seg_starts = np.unique(comment_bucket[order], return_index=True)
    pair_comment = where[np.asarray(pair_comment, dtype=np.int64)]
    pair_bucket = np.asarray(pair_row, dtype=np.int64) * k + cat[order][pair_comment]
    sort = np.lexsort((pair_comment, pair_bucket))  # by bucket, then comment: cache-friendly
    pair_comment = pair_comment[sort]
    row_ids, row_starts = np.unique(pair_bucket[sort], return_index=True)

    def run(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        seg = _bucket_sums(w, None, seg_ids, seg_starts, n_segs * k)
        rows = _bucket_sums(w, pair_comment, row_ids, row_starts, n_rows * k)
        return _impacts(seg, rows, row_segment, levels, factor), seg

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
    seg = seg[0].reshape(-1, k)
    n_g = seg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        seg_mean = np.where(n_g > 0, factor * (seg @ levels) / n_g, np.nan)
    return point[0], low, high, n_g[row_segment].astype(np.int64), seg_mean[row_segment]


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
    """NPS impact of each row (theme) with a percentile bootstrap interval (:func:`mean_impact`
    of the -1/0/+1 points, in NPS points). Returns columns nps_impact, nps_impact_low,
    nps_impact_high, scored_comments, nps, one row per row code."""
    point, low, high, n_g, mean = mean_impact(
        points,
        segment,
        row_segment,
        pair_row,
        pair_comment,
        n_boot=n_boot,
        seed=seed,
        level=level,
        factor=100.0,
    )
    return pd.DataFrame(
        {
            s.NPS_IMPACT: point,
            s.NPS_IMPACT_LOW: low,
            s.NPS_IMPACT_HIGH: high,
            s.SCORED_COMMENTS: n_g,
            s.NPS: mean,
        }
    ).astype({c: "Float64" for c in (s.NPS_IMPACT, s.NPS_IMPACT_LOW, s.NPS_IMPACT_HIGH, s.NPS)})
