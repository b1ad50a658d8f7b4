"""Rank complaint themes: counts, NPS / rating impact with a bootstrap interval, trends, quotes.

Pure functions from the comments and mentions frames (DESIGN.md contract 2) to the themes frame
(themes.csv); nothing here reads files, prints, or loads a model. Its parts: NPS impact in
report.impact, trends in report.trends, quotes in report.quotes, all on report.prepared's index.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.errors import NothingRankedWarning
from feedback_nlp.report.impact import mean_impact, nps_impact, nps_points, ratings
from feedback_nlp.report.labels import theme_label, touchpoint_label
from feedback_nlp.report.prepared import (
    comment_pairs,
    group_values,
    is_analysed,
    prepare,
    validate,
)
from feedback_nlp.report.quotes import Embed, select_quotes
from feedback_nlp.report.trends import check_period, latest_trend


def ranked_by(themes: pd.DataFrame) -> str:
    """The one ranking rule: NPS impact where the comments have NPS scores, else rating impact
    (stars, CSAT, CES) where they have ratings, else the number of complaining comments."""
    if s.SCORED_COMMENTS in themes.columns and (themes[s.SCORED_COMMENTS].fillna(0) > 0).any():
        return s.NPS_IMPACT
    if s.RATED_COMMENTS in themes.columns and (themes[s.RATED_COMMENTS].fillna(0) > 0).any():
        return s.RATING_IMPACT
    return s.COMMENTS


def rank_themes(df: pd.DataFrame, within: list[str], by: str = s.NPS_IMPACT) -> pd.Series:
    """1 = worst complaint: most negative impact in column `by` (nps_impact or rating_impact;
    NA counts as 0), then most comments with a complaint, most complaints (negative mentions),
    label. Without scores (`by` = comments) that is the number of complaining comments. Rows that
    are no complaint (fewer than `min_mentions` negative mentions, `rank` already NA where the
    frame has one) get NA."""
    ranked = df[s.RANK].notna() if s.RANK in df.columns else pd.Series(True, index=df.index)
    sub = df[ranked.to_numpy(dtype=bool)]
    order = sub.assign(
        _impact=(  # NA: no measurable impact
            sub[by].astype("float64").fillna(0.0) if by in (s.NPS_IMPACT, s.RATING_IMPACT) else 0.0
        ),
        _com=-sub[s.COMMENTS].astype("float64"),
        _men=-sub[s.MENTIONS].astype("float64"),
    ).sort_values(["_impact", "_com", "_men", s.LABEL, s.THEME], kind="stable")
    if within:
        ranks = order.groupby(within, sort=False).cumcount() + 1
    else:
        ranks = pd.Series(np.arange(1, len(order) + 1), index=order.index)
    return ranks.reindex(df.index).astype("Int64")


def nothing_ranked_reason(themes: pd.DataFrame, neg_counts: np.ndarray, min_mentions: int) -> str:
    """Why a summary ranks no complaint theme, in a sentence."""
    if not len(neg_counts):
        return "No theme was mentioned, so no complaint theme is ranked."
    largest = int(neg_counts.max())
    if largest == 0:
        return "No negative mention of any theme, so no complaint theme is ranked."
    return (
        f"No complaint theme reached min_mentions={min_mentions} negative mentions; the largest "
        f"has {largest}. A lower min_mentions (--min-mentions) ranks smaller ones."
    )


def _comment_negative(comments: pd.DataFrame) -> np.ndarray | None:
    """Per comment row: its own (comment-level) sentiment is negative; None without one."""
    if s.SENTIMENT not in comments.columns:
        return None
    return (comments[s.SENTIMENT] == "negative").fillna(False).to_numpy(dtype=bool)


def _questions_of(
    questions: pd.Series, pair_row: np.ndarray, pair_pos: np.ndarray, n_rows: int
) -> list[str]:
    """Per theme row, the open questions its complaining comments answer, most first, with
    their counts ("What should we improve? (12) | What did you like most? (3)")."""
    names = np.append(questions.astype(object).to_numpy(), None)  # pos -1: unknown comment
    tally: list[dict[str, int]] = [{} for _ in range(n_rows)]
    for row, pos in zip(pair_row, pair_pos):
        name = names[pos]
        if isinstance(name, str):
            tally[row][name] = tally[row].get(name, 0) + 1
    return [
        " | ".join(f"{q} ({n})" for q, n in sorted(t.items(), key=lambda kv: (-kv[1], kv[0])))
        for t in tally
    ]


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
    by_label: str | None = None,
    score_scales: str | dict | None = None,
) -> pd.DataFrame:
    """The themes frame (themes.csv, DESIGN.md contract 2): complaint themes ranked by their
    complaints (negative mentions), one row per (group, touchpoint, theme), sorted by group, then
    rank. Extra columns after the contract's: group, touchpoint_label, rank_overall,
    scored_comments, nps, example_langs, trend_change, trend_p_value, emerging, praise_mentions,
    praise_comments, topic_mentions. docs/reports.md says what each column counts.

    A theme is a complaint (ranked) where it has at least `min_mentions` negative mentions in its
    group; its mentions, comments, NPS impact, trend and quotes all come from those negative
    mentions. Praise (positive mentions) is counted beside it in praise_mentions /
    praise_comments and never lifts it. A theme with at least `min_mentions` praise mentions but
    fewer complaints is listed after the ranked ones with rank NA. Where nothing is ranked,
    ``attrs["summary"]["reason"]`` says why and a `NothingRankedWarning` is issued.

    by: "touchpoint" (the mention's touchpoint; ranks within it), "theme" (one row per theme id,
    ranked overall; touchpoint = its most frequent one) or a comments column such as
    "input_touchpoint", "lang" or "source" (rows per value and (touchpoint, theme); NPS impact
    within that value's comments; comments with a blank value form the group "(no <by_label>)").
    by_label: how the export names that column ("Channel"), for headings.
    period: "week", "month", "quarter" (or "day", "year") fills `trend` (see report.trends);
    without it, or without dates, `trend` is NA. labels: {(touchpoint, theme): label},
    optionally also {theme: label} and {touchpoint: label}; others are the prettified id.
    quote_embeddings: texts -> array (n, d) to pick quotes with; without it, TF-IDF character
    3-grams. Without NPS groups (or 0-10 scores) nps_impact is NA.

    score_scales: the scale of the scores, one name ("stars") or {source file: the manifest's
    input record with score_scale, score_points, score_direction}; without it, a `score_scale`
    column of `comments` if any. Where comments are rated on stars, CSAT or CES the frame also
    has rating_impact, rating_impact_low, rating_impact_high, rated_comments and rating (the
    average), and ``attrs["summary"]["rating_scale"]`` records the scale (report.impact.ratings).
    Ranks follow NPS impact where there are NPS scores, else rating impact, else the number of
    complaining comments (``attrs["summary"]["ranked_by"]``).

    >>> themes = summarize(result.comments, result.mentions, period="month")  # doctest: +SKIP
    >>> themes.query("rank <= 3")[["touchpoint", "label", "nps_impact"]]       # doctest: +SKIP
    """
    validate(comments, mentions, by, "summarize()")
    if period is not None:
        check_period(period)
    p = prepare(comments, mentions, by, by_label)
    n_keys = len(p.table)
    floor = max(1, min_mentions)

    counts = np.bincount(p.key, minlength=n_keys)
    neg_counts = np.bincount(p.key[p.neg], minlength=n_keys)
    praise_counts = np.bincount(p.key[p.praise], minlength=n_keys)
    finite = np.isfinite(p.score)
    with np.errstate(divide="ignore", invalid="ignore"):
        net = np.bincount(p.key[finite], weights=p.score[finite], minlength=n_keys) / np.bincount(
            p.key[finite], minlength=n_keys
        )
    complaint = neg_counts >= floor
    keep = complaint | (praise_counts >= floor)
    row_of_key = np.cumsum(keep) - 1
    themes = p.table[keep].reset_index(drop=True)
    n_rows = len(themes)
    themes[s.MENTIONS] = neg_counts[keep]
    themes[s.NET_SENTIMENT] = pd.array(net[keep], dtype="Float64")
    themes[s.PRAISE_MENTIONS] = praise_counts[keep]
    themes[s.TOPIC_MENTIONS] = counts[keep]
    # Complaints: (row, comment) pairs of the negative mentions; praise: of the positive ones.
    pair_key, pair_pos, _ = comment_pairs(p, keep[p.key] & p.neg)
    pair_row = row_of_key[pair_key]
    themes[s.COMMENTS] = np.bincount(pair_row, minlength=n_rows)
    negative = _comment_negative(comments)
    if negative is None:
        themes[s.NEGATIVE_COMMENTS] = pd.array([pd.NA] * n_rows, dtype="Int64")
    else:
        neg_pair = np.append(negative, False)[pair_pos]  # pos -1 (unknown comment): no
        themes[s.NEGATIVE_COMMENTS] = np.bincount(pair_row, weights=neg_pair, minlength=n_rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = themes[s.NEGATIVE_COMMENTS].astype("Float64") / themes[s.COMMENTS].replace(
            0, np.nan
        )
    themes[s.NEGATIVE_SHARE] = pd.array(share, dtype="Float64")
    praise_key, _, _ = comment_pairs(p, keep[p.key] & p.praise)
    themes[s.PRAISE_COMMENTS] = np.bincount(row_of_key[praise_key], minlength=n_rows)
    if by == s.THEME:  # touchpoint of a theme row: its most frequent one (ties: alphabetical)
        n_tp = max(len(p.touchpoints), 1)
        sel = keep[p.key]
        tally = np.bincount(
            row_of_key[p.key[sel]] * n_tp + p.tp[sel], minlength=n_rows * n_tp
        ).reshape(n_rows, n_tp)
        themes.insert(1, s.TOUCHPOINT, p.touchpoints[tally.argmax(axis=1)] if n_rows else [])

    # NPS / rating impact of the complaint: the scored comments that carry a negative mention of
    # it, against the others (within each segment when `by` is a comments column).
    rating, scale = ratings(comments, score_scales)
    points = nps_points(comments).to_numpy(dtype="float64", na_value=np.nan)
    points[np.isfinite(rating)] = np.nan  # a rating (1-5 stars) is no NPS answer

    def scored_pairs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scored = np.isfinite(values) & (p.seg_of_comment >= 0)
        new_pos = np.full(len(comments) + 1, -1, dtype=np.int64)  # last slot: pos -1
        new_pos[np.flatnonzero(scored)] = np.arange(int(scored.sum()))
        pair_scored = new_pos[pair_pos]
        ok = pair_scored >= 0
        return scored, pair_row[ok], pair_scored[ok]

    scored, rows, cols = scored_pairs(points)
    impact = nps_impact(
        points[scored].astype(np.int64),
        p.seg_of_comment[scored],
        p.seg_of_key[keep],
        rows,
        cols,
        n_boot=n_boot,
        seed=seed,
    )
    themes = pd.concat([themes, impact], axis=1)
    if scale is not None:
        scored, rows, cols = scored_pairs(rating)
        point, low, high, n_rated, mean = mean_impact(
            rating[scored],
            p.seg_of_comment[scored],
            p.seg_of_key[keep],
            rows,
            cols,
            n_boot=n_boot,
            seed=seed,
            factor=scale["factor"],
        )
        if not scale["higher_is_better"]:  # the average as the scale reads it (more effort)
            mean = scale["factor"] * (scale["low"] + scale["high"]) - mean
        themes[s.RATING_IMPACT] = pd.array(point, dtype="Float64")
        themes[s.RATING_IMPACT_LOW] = pd.array(low, dtype="Float64")
        themes[s.RATING_IMPACT_HIGH] = pd.array(high, dtype="Float64")
        themes[s.RATED_COMMENTS] = n_rated
        themes[s.RATING] = pd.array(mean, dtype="Float64")
    else:
        themes[s.RATED_COMMENTS] = 0
    rank_by = ranked_by(themes)

    themes[s.LABEL] = [
        theme_label(labels, t, h) for t, h in zip(themes[s.TOUCHPOINT], themes[s.THEME])
    ]
    themes[s.TOUCHPOINT_LABEL] = [touchpoint_label(labels, t) for t in themes[s.TOUCHPOINT]]
    themes[s.RANK] = pd.array(np.where(complaint[keep], 0, -1), dtype="Int64")
    themes[s.RANK] = themes[s.RANK].where(themes[s.RANK] >= 0, pd.NA)
    themes[s.RANK] = rank_themes(themes, [] if by == s.THEME else [s.GROUP], rank_by)
    themes[s.RANK_OVERALL] = rank_themes(themes, [], rank_by)
    trend = (
        latest_trend(p, comments, themes, period)
        if period
        else latest_trend(p, comments.iloc[:0], themes, "month")
    )
    themes = pd.concat([themes, trend], axis=1)
    for c in (s.TREND, s.TREND_CHANGE, s.TREND_P_VALUE, s.EMERGING):  # complaints only
        themes.loc[themes[s.RANK].isna(), c] = pd.NA

    ids, quotes, langs = ([[] for _ in range(len(themes))] for _ in range(3))
    q = select_quotes(
        p,
        mentions,
        comments,
        keep & complaint,
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
    themes[s.KEY_PHRASES] = _key_phrases(mentions, themes)

    for c in (
        s.MENTIONS,
        s.COMMENTS,
        s.NEGATIVE_COMMENTS,
        s.SCORED_COMMENTS,
        s.RATED_COMMENTS,
        s.PRAISE_MENTIONS,
        s.PRAISE_COMMENTS,
        s.TOPIC_MENTIONS,
    ):
        themes[c] = themes[c].astype("Int64")
    extras = [
        s.GROUP,
        s.TOUCHPOINT_LABEL,
        s.RANK_OVERALL,
        s.SCORED_COMMENTS,
        s.NPS,
        # only where comments are rated (stars, CSAT, CES): NPS-only outputs keep their columns
        *(s.RATING_COLUMNS if scale is not None else []),
        s.EXAMPLE_LANGS,
        s.TREND_CHANGE,
        s.TREND_P_VALUE,
        s.EMERGING,
        s.PRAISE_MENTIONS,
        s.PRAISE_COMMENTS,
        s.TOPIC_MENTIONS,
        s.KEY_PHRASES,
    ]
    if s.QUESTION in comments.columns:  # a survey with several open questions: which ones
        themes[s.QUESTIONS] = _questions_of(comments[s.QUESTION], pair_row, pair_pos, n_rows)
        extras.append(s.QUESTIONS)
    out = themes[s.THEME_COLUMNS + extras].assign(_praise=-themes[s.PRAISE_MENTIONS])
    out = out.sort_values([s.GROUP, s.RANK, "_praise"], kind="stable", na_position="last")
    out = out.drop(columns="_praise").reset_index(drop=True)
    reason = None
    if not out[s.RANK].notna().any():
        reason = nothing_ranked_reason(out, neg_counts, floor)
        warnings.warn(reason, NothingRankedWarning, stacklevel=2)
    # Groups of the ranking that rank nothing, with their largest complaint count (for the reports)
    groups = p.table[s.GROUP].to_numpy(dtype=object)
    largest: dict = {}
    for g, n in zip(groups, neg_counts):
        largest[str(g)] = max(largest.get(str(g), 0), int(n))
    if by not in (s.TOUCHPOINT, s.THEME) and s.RANK in out.columns:
        answered = comments[is_analysed(comments).to_numpy()]  # not empty, duplicate, failed
        for g in pd.unique(group_values(answered, by, by_label).astype(str)):
            largest.setdefault(str(g), 0)
    ranked_groups = set(out.loc[out[s.RANK].notna(), s.GROUP].astype(str))
    unranked = {g: n for g, n in sorted(largest.items()) if g not in ranked_groups}
    out.attrs["summary"] = {
        "by": by,
        "by_label": by_label,
        "period": period,
        "min_mentions": min_mentions,
        "n_boot": n_boot,
        "seed": seed,
        "interval": "90% bootstrap percentile",
        "ranked_by": rank_by,
        "rating_scale": scale,
        "quotes": "embeddings" if quote_embeddings else "tfidf-char-3gram",
        "ranked": int(out[s.RANK].notna().sum()),
        "reason": reason,
        "unranked_groups": unranked,  # group -> its largest number of complaints (< min_mentions)
    }
    return out


def _key_phrases(mentions: pd.DataFrame, themes: pd.DataFrame) -> pd.Series:
    """Per theme row, the key phrases its mentions carry (discovered themes; None for others)."""
    phrases: dict = {}
    if s.KEY_PHRASES in mentions.columns:
        known = mentions[mentions[s.KEY_PHRASES].notna()]
        for t, h, k in zip(known[s.TOUCHPOINT], known[s.THEME], known[s.KEY_PHRASES]):
            phrases.setdefault((t, h), k)
    return pd.Series(
        [phrases.get((t, h)) for t, h in zip(themes[s.TOUCHPOINT], themes[s.THEME])],
        index=themes.index,
        dtype="object",
    )
