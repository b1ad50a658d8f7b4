"""Trends of complaint themes per period: share of the period's comments that complain about the
theme, change against the period before with a two-proportion z-test, emerging themes; and the
themes frame's trend columns. A change is shown only where it is real: both periods have at least
`MIN_TREND_MENTIONS` complaints (negative mentions) and the test gives p < 0.05.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.errors import SchemaError
from feedback_nlp.report.prepared import (
    Prepared,
    comment_pairs,
    is_analysed,
    prepare,
    subset,
    validate,
)

MIN_TREND_MENTIONS = 5  # complaints in each of the two periods before a change is tested
ALPHA = 0.05
FREQ = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


def check_period(period: str) -> None:
    if period not in FREQ:
        raise SchemaError(f"period={period!r}: expected one of {', '.join(FREQ)}.")


def _periods(comments: pd.DataFrame, period: str) -> pd.Series | None:
    check_period(period)
    if s.CREATED_AT not in comments.columns:
        return None
    dates = pd.to_datetime(comments[s.CREATED_AT], errors="coerce", utc=True)
    if dates.notna().sum() == 0:
        return None
    return dates.dt.tz_convert(None).dt.to_period(FREQ[period])


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


def _trends(p: Prepared, comments: pd.DataFrame, period: str, alpha: float) -> pd.DataFrame:
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
        s.TESTABLE,
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
    analysed &= is_analysed(comments).to_numpy(dtype=bool)
    n_seg = int(max(p.seg_of_comment.max(initial=-1), p.seg_of_key.max(initial=-1))) + 1
    totals = np.bincount(
        p.seg_of_comment[analysed] * n_p + pidx[analysed], minlength=n_seg * n_p
    ).reshape(n_seg, n_p)
    n_keys = len(p.table)
    m_p = np.where(p.pos >= 0, pidx[np.maximum(p.pos, 0)], -1)
    ok = m_p >= 0
    mentions = np.bincount(p.key[ok] * n_p + m_p[ok], minlength=n_keys * n_p).reshape(n_keys, n_p)
    key, pos, neg = comment_pairs(p, ok)
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
    m1 = np.concatenate([np.zeros((len(x), 1)), mentions[:, :-1]], axis=1)
    testable = (m1 >= MIN_TREND_MENTIONS) & (mentions >= MIN_TREND_MENTIONS) & np.isfinite(pval)
    emerging = testable & (np.nan_to_num(change) > 0) & (np.nan_to_num(pval, nan=1.0) < alpha)

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
    out[s.TESTABLE] = testable.ravel()
    out[s.EMERGING] = emerging.ravel()
    return out[columns]


def trends(
    comments: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    period: str,
    by: str = s.TOUCHPOINT,
    alpha: float = ALPHA,
    by_label: str | None = None,
) -> pd.DataFrame:
    """Complaints per (group, touchpoint, theme, period): `mentions` (negative mentions),
    `comments` (comments with one), `negative_share` (1.0 where any), `share` of the period's
    analysed comments that complain about the theme, `change` of that share against the previous
    period, `p_value` of a two-proportion z-test of the change, `testable` (this period and the
    one before each have >= MIN_TREND_MENTIONS complaints) and `emerging` (testable, grew,
    p < alpha). Every period from the first to the last date is present (zeros where a theme had
    no complaint); empty without dates. `by` and `by_label` as in `summarize`.

    >>> trends(comments, mentions, period="month").query("emerging")   # doctest: +SKIP
    """
    validate(comments, mentions, by, "trends()")
    p = prepare(comments, mentions, by, by_label)
    return _trends(subset(p, p.neg), comments, period, alpha)


def format_trend(row: pd.Series, alpha: float = ALPHA) -> str | None:
    """'+35% (emerging)', '-40%': the latest period's change where it is real (testable and
    p < alpha), else None (an empty cell)."""
    change, p_value = row.get(s.CHANGE), row.get(s.P_VALUE)
    if not bool(row.get(s.TESTABLE)) or pd.isna(change) or pd.isna(p_value) or p_value >= alpha:
        return None
    return f"{change:+.0%}" + (" (emerging)" if bool(row.get(s.EMERGING)) else "")


def latest_trend(
    p: Prepared, comments: pd.DataFrame, themes: pd.DataFrame, period: str
) -> pd.DataFrame:
    """The themes frame's trend, trend_change, trend_p_value and emerging from the complaints in
    `p` (its negative mentions): change and p-value where testable, trend text and emerging only
    where also significant, NA otherwise."""
    tr = _trends(subset(p, p.neg), comments, period, alpha=ALPHA)
    out = pd.DataFrame(index=themes.index)
    out[s.TREND] = pd.array([pd.NA] * len(themes), dtype="string")
    out[s.TREND_CHANGE] = pd.array([pd.NA] * len(themes), dtype="Float64")
    out[s.TREND_P_VALUE] = pd.array([pd.NA] * len(themes), dtype="Float64")
    out[s.EMERGING] = pd.array([pd.NA] * len(themes), dtype="boolean")
    # one period only: nothing to compare the latest with ("up from 0" would claim a rise)
    if len(tr) and len(themes) and tr[s.PERIOD_START].nunique() > 1:
        latest = tr[tr[s.PERIOD_START] == tr[s.PERIOD_START].max()]
        latest = themes[p.keys].merge(latest, on=p.keys, how="left")
        has = (latest[s.PERIOD].notna() & latest[s.TESTABLE].fillna(False).astype(bool)).to_numpy()
        if has.any():
            text = [format_trend(r) for _, r in latest[has].iterrows()]
            out.loc[has, s.TREND] = pd.array(text, dtype="string")
            out.loc[has, s.TREND_CHANGE] = latest.loc[has, s.CHANGE].to_numpy()
            out.loc[has, s.TREND_P_VALUE] = latest.loc[has, s.P_VALUE].to_numpy()
            out.loc[has, s.EMERGING] = latest.loc[has, s.EMERGING].astype(bool).to_numpy()
    return out
