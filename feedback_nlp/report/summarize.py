"""Rank complaint themes: counts, NPS impact with a bootstrap interval, trends, example quotes.

Pure functions from the comments and mentions frames (DESIGN.md contract 2) to the themes frame
(themes.csv); nothing here reads files, prints, or loads a model. Its parts: NPS impact in
report.impact, trends in report.trends, quotes in report.quotes, all on report.prepared's index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.report.impact import nps_impact, nps_points
from feedback_nlp.report.labels import theme_label, touchpoint_label
from feedback_nlp.report.prepared import comment_pairs, prepare, validate
from feedback_nlp.report.quotes import Embed, select_quotes
from feedback_nlp.report.trends import check_period, latest_trend


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
    validate(comments, mentions, by, "summarize()")
    if period is not None:
        check_period(period)
    p = prepare(comments, mentions, by)
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
    pair_key, pair_pos, pair_neg = comment_pairs(p, keep[p.key])
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
        latest_trend(p, comments, themes, period)
        if period
        else latest_trend(p, comments.iloc[:0], themes, "month")
    )
    themes = pd.concat([themes, trend], axis=1)

    ids, quotes, langs = ([[] for _ in range(len(themes))] for _ in range(3))
    q = select_quotes(
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
