"""summarize / trends / example_quotes on hand-made frames shaped like DESIGN.md contract 2."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from feedback_nlp import schema as s
from feedback_nlp.errors import NothingRankedWarning, SchemaError
from feedback_nlp.report.impact import nps, nps_impact
from feedback_nlp.report.quotes import _char_ngram_tfidf, example_quotes
from feedback_nlp.report.summarize import summarize
from feedback_nlp.report.trends import trends

GROUPS = ("detractor", "passive", "promoter")


def make_comments(groups, *, ids=None, dates=None, langs=None, status=None) -> pd.DataFrame:
    n = len(groups)
    df = pd.DataFrame(
        {
            s.COMMENT_ID: ids or [f"c{i}" for i in range(n)],
            s.TEXT: ["text"] * n,
            s.LANG: langs or ["en"] * n,
            s.STATUS: status or [s.STATUS_ANALYZED] * n,
            s.NPS_GROUP: pd.array(list(groups), dtype="object"),
        }
    )
    if dates is not None:
        df[s.CREATED_AT] = pd.to_datetime(dates)
    return df


def make_mentions(rows) -> pd.DataFrame:
    """rows: (comment_id, touchpoint, theme, sentiment[, clause_text])."""
    out = []
    for i, r in enumerate(rows):
        cid, tp, theme, sentiment = r[:4]
        text = r[4] if len(r) > 4 else f"{theme} clause {i}"
        score = {"negative": -0.8, "neutral": 0.0, "positive": 0.7}[sentiment]
        out.append(
            {
                s.COMMENT_ID: cid,
                s.CLAUSE_ID: i,
                s.CLAUSE_TEXT: text,
                s.START_CHAR: 0,
                s.END_CHAR: len(text),
                s.TOUCHPOINT: tp,
                s.THEME: theme,
                s.MATCH: "keyword",
                s.CONFIDENCE: 1.0,
                s.SENTIMENT: sentiment,
                s.SENTIMENT_SCORE: score,
            }
        )
    return pd.DataFrame(out)


@pytest.fixture
def small():
    # c0..c5: D D P Pa P D ; c6 a duplicate of c0 (must not count); c7 unscored.
    comments = make_comments(
        [
            "detractor",
            "detractor",
            "promoter",
            "passive",
            "promoter",
            "detractor",
            "detractor",
            None,
        ],
        ids=["c0", "c1", "c2", "c3", "c4", "c5", "c0", "c7"],
        status=[s.STATUS_ANALYZED] * 6 + [s.STATUS_DUPLICATE, s.STATUS_ANALYZED],
        langs=["en", "de", "en", "pl", "en", "en", "en", "de"],
    )
    mentions = make_mentions(
        [
            ("c0", "delivery", "late_delivery", "negative"),
            ("c0", "delivery", "late_delivery", "negative"),  # same comment twice
            ("c1", "delivery", "late_delivery", "negative"),
            ("c5", "delivery", "late_delivery", "neutral"),
            ("c7", "delivery", "late_delivery", "negative"),  # unscored: counts, no NPS
            ("c1", "service", "rude_agent", "negative"),
            ("c3", "service", "rude_agent", "negative"),
            ("c2", "service", "friendly_staff", "positive"),
        ]
    )
    return comments, mentions


def test_nps_impact_matches_hand_computation(small):
    comments, mentions = small
    frame = summarize(comments, mentions, min_mentions=1, n_boot=200)
    assert list(frame.columns[: len(s.THEME_COLUMNS)]) == s.THEME_COLUMNS
    themes = frame.set_index(s.THEME)
    # Scored, non-duplicate: c0 D, c1 D, c2 P, c3 Pa, c4 P, c5 D -> NPS = (2 - 3) / 6 = -16.67
    assert nps(comments) == pytest.approx(-100 / 6)
    late = themes.loc["late_delivery"]
    # Complaints: c0, c1 (c5's mention is neutral). Without them: c2 P, c3 Pa, c4 P, c5 D -> 25;
    # impact = -16.67 - 25 = -41.67
    assert late[s.NPS_IMPACT] == pytest.approx(-100 / 6 - 25)
    assert (late[s.MENTIONS], late[s.COMMENTS], late[s.TOPIC_MENTIONS]) == (4, 3, 5)
    assert pd.isna(late[s.NEGATIVE_COMMENTS])  # no comment-level sentiment in this frame
    assert late[s.NET_SENTIMENT] == pytest.approx((-0.8 * 4 + 0.0) / 5)
    assert late[s.SCORED_COMMENTS] == 6
    # Without c1, c3: c0 D, c2 P, c4 P, c5 D -> 0; impact = -16.67
    assert themes.loc["rude_agent", s.NPS_IMPACT] == pytest.approx(-100 / 6)
    # Praise only: listed (rank NA), no NPS cost, no complaint counts
    staff = themes.loc["friendly_staff"]
    assert pd.isna(staff[s.RANK]) and pd.isna(staff[s.NPS_IMPACT]) and staff[s.MENTIONS] == 0
    assert (staff[s.PRAISE_MENTIONS], staff[s.PRAISE_COMMENTS]) == (1, 1)
    assert staff[s.EXAMPLE_QUOTES] == []
    for _, row in themes.drop(index="friendly_staff").iterrows():
        assert row[s.NPS_IMPACT_LOW] <= row[s.NPS_IMPACT] <= row[s.NPS_IMPACT_HIGH]
    assert themes.loc["late_delivery", s.RANK] == 1 and themes.loc["rude_agent", s.RANK] == 1
    assert themes.loc["late_delivery", s.RANK_OVERALL] == 1
    assert themes.loc["late_delivery", s.LABEL] == "Late delivery"
    assert frame[s.RANK].notna().tolist() == [True, True, False]  # praise listed after


def test_praise_is_counted_beside_a_complaint_never_as_one():
    """'fast delivery' matches the delivery-speed theme: it is praise, counted apart; it neither
    lifts the complaint's rank or NPS cost nor fills its quotes."""
    groups = ["detractor"] * 6 + ["promoter"] * 14
    comments = make_comments(groups).assign(**{s.SENTIMENT: ["negative"] * 6 + ["positive"] * 14})
    rows = [(f"c{i}", "delivery", "late", "negative", f"parcel {i} days late") for i in range(6)]
    rows += [(f"c{i}", "delivery", "late", "positive", "super fast delivery") for i in range(6, 20)]
    rows += [(f"c{i}", "delivery", "courier", "negative") for i in range(3)]
    rows += [(f"c{i}", "delivery", "courier", "negative") for i in range(14, 16)]
    themes = summarize(comments, make_mentions(rows), min_mentions=5, n_boot=50)
    late = themes.set_index(s.THEME).loc["late"]
    assert (late[s.MENTIONS], late[s.COMMENTS], late[s.NEGATIVE_COMMENTS]) == (6, 6, 6)
    assert (late[s.PRAISE_MENTIONS], late[s.PRAISE_COMMENTS]) == (14, 14)
    assert late[s.NEGATIVE_SHARE] == 1.0
    # the complaint costs points (its 6 detractors), although the topic's praise is larger
    assert late[s.NPS_IMPACT] < 0 and late[s.RANK] == 1
    assert all("late" in q for q in late[s.EXAMPLE_QUOTES])
    # courier: 5 complaints, 2 of them in positive comments
    courier = themes.set_index(s.THEME).loc["courier"]
    assert (courier[s.COMMENTS], courier[s.NEGATIVE_COMMENTS]) == (5, 3)
    assert courier[s.NEGATIVE_SHARE] == pytest.approx(0.6)
    # quotes prefer negative comments
    assert set(courier[s.EXAMPLE_COMMENT_IDS]) <= {"c0", "c1", "c2"}


def test_blank_stage_is_a_group_of_its_own():
    comments = make_comments(["detractor"] * 12).assign(
        **{s.INPUT_TOUCHPOINT: ["Website"] * 5 + [None] * 4 + ["  ", "", None]}
    )
    rows = [(f"c{i}", "delivery", "late", "negative") for i in range(12)]
    themes = summarize(
        comments,
        make_mentions(rows),
        by=s.INPUT_TOUCHPOINT,
        by_label="Channel",
        min_mentions=5,
        n_boot=20,
    )
    assert themes.set_index(s.GROUP)[s.MENTIONS].to_dict() == {"(no channel)": 7, "Website": 5}
    assert themes[s.RANK].tolist() == [1, 1]
    assert themes.attrs["summary"]["by_label"] == "Channel"
    # a stage with too few complaints is named, with its largest count, not silently missing
    comments.loc[0, s.INPUT_TOUCHPOINT] = "Store"
    rows.append(("c0", "delivery", "late", "negative"))
    themes = summarize(
        comments,
        make_mentions(rows),
        by=s.INPUT_TOUCHPOINT,
        by_label="Channel",
        min_mentions=5,
        n_boot=20,
    )
    assert themes.attrs["summary"]["unranked_groups"] == {"Store": 2, "Website": 4}


def test_summarize_says_why_nothing_is_ranked(small):
    comments, mentions = small
    with pytest.warns(NothingRankedWarning, match="min_mentions=5.*the largest has 4"):
        themes = summarize(comments, mentions, min_mentions=5, n_boot=20)
    assert themes.empty or themes[s.RANK].isna().all()
    assert "the largest has 4" in themes.attrs["summary"]["reason"]
    praise = mentions.assign(**{s.SENTIMENT: "positive"})
    with pytest.warns(NothingRankedWarning, match="No negative mention"):
        themes = summarize(comments, praise, min_mentions=1, n_boot=20)
    assert themes[s.RANK].isna().all() and len(themes) == 3  # listed as praise
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ranked = summarize(comments, mentions, min_mentions=1, n_boot=20)
    assert ranked.attrs["summary"]["reason"] is None


def test_vectorised_bootstrap_equals_a_plain_loop():
    rng = np.random.default_rng(3)
    n, n_rows = 40, 3
    points = rng.integers(-1, 2, n)
    mention = rng.random((n, n_rows)) < 0.4
    pair_comment, pair_row = np.nonzero(mention)
    got = nps_impact(
        points, np.zeros(n, int), np.zeros(n_rows, int), pair_row, pair_comment, n_boot=300, seed=7
    )
    # Same draws: nps_impact numbers comments in (segment, NPS group) order before resampling.
    order = np.argsort(points + 1, kind="stable")
    draws = order[np.random.default_rng(7).integers(0, n, size=(300, n))]
    reps = []
    for idx in draws:
        p, m = points[idx], mention[idx]
        reps.append(
            [
                100 * (p.mean() - p[~m[:, r]].mean())
                if m[:, r].any() and (~m[:, r]).any()
                else np.nan
                for r in range(n_rows)
            ]
        )
    lo, hi = np.nanquantile(np.array(reps), [0.05, 0.95], axis=0)
    point = [100 * (points.mean() - points[~mention[:, r]].mean()) for r in range(n_rows)]
    np.testing.assert_allclose(got[s.NPS_IMPACT].astype(float), point)
    np.testing.assert_allclose(got[s.NPS_IMPACT_LOW].astype(float), np.minimum(lo, point))
    np.testing.assert_allclose(got[s.NPS_IMPACT_HIGH].astype(float), np.maximum(hi, point))


def _frames_from(cells):
    """cells: list of (nps group index, mentions theme?) -> comments, mentions."""
    comments = make_comments([GROUPS[g] for g, _ in cells])
    rows = [(f"c{i}", "delivery", "late", "negative") for i, (_, m) in enumerate(cells) if m]
    return comments, make_mentions(rows)


def _tile(cells, k):
    return [c for _ in range(k) for c in cells]


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=12, max_size=60))
def test_bootstrap_interval_contains_estimate_and_narrows_with_more_data(cells):
    mentioned = [g for g, m in cells if m]
    others = [g for g, m in cells if not m]
    assume(len(mentioned) >= 3 and len(others) >= 3)
    assume(len(set(mentioned + others)) > 1)  # all scores alike: impact is 0 with no spread
    comments, mentions = _frames_from(cells)
    small = summarize(comments, mentions, min_mentions=1, n_boot=200, seed=1).iloc[0]
    assert small[s.NPS_IMPACT_LOW] <= small[s.NPS_IMPACT] <= small[s.NPS_IMPACT_HIGH]
    comments, mentions = _frames_from(_tile(cells, 9))
    big = summarize(comments, mentions, min_mentions=1, n_boot=200, seed=1).iloc[0]
    assert big[s.NPS_IMPACT] == pytest.approx(small[s.NPS_IMPACT])  # same proportions
    assert big[s.NPS_IMPACT_LOW] <= big[s.NPS_IMPACT] <= big[s.NPS_IMPACT_HIGH]
    width_small = small[s.NPS_IMPACT_HIGH] - small[s.NPS_IMPACT_LOW]
    width_big = big[s.NPS_IMPACT_HIGH] - big[s.NPS_IMPACT_LOW]
    assert width_big < width_small  # ~1/3 of it: sqrt(9) times more data


def test_bootstrap_is_seeded(small):
    comments, mentions = small
    a = summarize(comments, mentions, min_mentions=1, n_boot=100, seed=5)
    b = summarize(comments, mentions, min_mentions=1, n_boot=100, seed=5)
    pd.testing.assert_frame_equal(a, b)


def test_without_scores_impact_is_na_and_rank_follows_negative_volume(small):
    comments, mentions = small
    themes = summarize(comments.drop(columns=[s.NPS_GROUP]), mentions, min_mentions=1, n_boot=50)
    assert themes[s.NPS_IMPACT].isna().all()
    top = themes.sort_values(s.RANK_OVERALL)[s.THEME].tolist()
    assert top[0] == "late_delivery"  # 3 comments with a complaint
    assert top[-1] == "friendly_staff"  # none: not ranked
    assert pd.isna(themes.set_index(s.THEME).loc["friendly_staff", s.RANK_OVERALL])


def test_score_column_is_grouped_when_there_is_no_nps_group(small):
    comments, mentions = small
    scores = {"detractor": 2.0, "passive": 7.0, "promoter": 9.0}
    alt = comments.drop(columns=[s.NPS_GROUP]).assign(
        **{s.SCORE: pd.array([scores.get(g) for g in comments[s.NPS_GROUP]], dtype="Float64")}
    )
    a = summarize(comments, mentions, min_mentions=1, n_boot=20)
    b = summarize(alt, mentions, min_mentions=1, n_boot=20)
    np.testing.assert_allclose(a[s.NPS_IMPACT].astype(float), b[s.NPS_IMPACT].astype(float))


def test_min_mentions_and_labels(small):
    comments, mentions = small
    labels = {("delivery", "late_delivery"): "Late or slow delivery", "delivery": "Shipping"}
    themes = summarize(comments, mentions, min_mentions=2, labels=labels, n_boot=20)
    assert set(themes[s.THEME]) == {"late_delivery", "rude_agent"}
    late = themes.set_index(s.THEME).loc["late_delivery"]
    assert late[s.LABEL] == "Late or slow delivery" and late[s.TOUCHPOINT_LABEL] == "Shipping"


def test_by_theme_and_by_comment_column(small):
    comments, mentions = small
    extra = make_mentions([("c4", "checkout", "late_delivery", "negative")])
    both = pd.concat([mentions, extra], ignore_index=True)
    by_theme = summarize(comments, both, by="theme", min_mentions=1, n_boot=20)
    assert by_theme[s.THEME].is_unique and set(by_theme[s.GROUP]) == {"all"}
    late = by_theme.set_index(s.THEME).loc["late_delivery"]
    assert late[s.TOUCHPOINT] == "delivery" and late[s.MENTIONS] == 5
    ranked = by_theme[by_theme[s.RANK].notna()]
    assert (ranked[s.RANK] == ranked[s.RANK_OVERALL]).all()

    by_lang = summarize(comments, mentions, by="lang", min_mentions=1, n_boot=20)
    en = by_lang[(by_lang[s.GROUP] == "en") & (by_lang[s.THEME] == "late_delivery")].iloc[0]
    # English scored comments: c0 D, c2 P, c4 P, c5 D -> NPS 0; without c0 (c5 is neutral):
    # P P D -> 33.3, impact -33.3
    assert en[s.NPS_IMPACT] == pytest.approx(-100 / 3) and en[s.SCORED_COMMENTS] == 4
    assert en[s.NPS] == pytest.approx(0)
    with pytest.raises(SchemaError, match="by='nope'"):
        summarize(comments, mentions, by="nope")


def test_missing_columns_raise_a_clear_error(small):
    comments, mentions = small
    with pytest.raises(SchemaError, match="sentiment_score"):
        summarize(comments, mentions.drop(columns=[s.SENTIMENT_SCORE]))
    with pytest.raises(SchemaError, match="period"):
        summarize(comments, mentions, period="fortnight")


def _growing(months=6, per_month=300, seed=0):
    """`app_crash` at ~3 % of comments for months, then ~15 % in the last month; `late` flat;
    `new_bug` only in the last month."""
    rng = np.random.default_rng(seed)
    ids, dates, rows = [], [], []
    for m in range(months):
        for j in range(per_month):
            cid = f"m{m}c{j}"
            ids.append(cid)
            dates.append(pd.Timestamp(2024, m + 1, 1 + j % 28))
            if rng.random() < (0.15 if m == months - 1 else 0.03):
                rows.append((cid, "app", "app_crash", "negative"))
            if rng.random() < 0.10:
                rows.append((cid, "delivery", "late", "negative"))
            if m == months - 1 and j < 8:
                rows.append((cid, "app", "new_bug", "negative"))
    groups = rng.choice(GROUPS, len(ids)).tolist()
    return make_comments(groups, ids=ids, dates=dates), make_mentions(rows)


def test_trends_flag_a_growing_theme_as_emerging():
    comments, mentions = _growing()
    tr = trends(comments, mentions, period="month")
    assert tr.groupby(s.THEME).size().eq(6).all()  # every month present, zeros included
    last = tr[tr[s.PERIOD] == "2024-06"].set_index(s.THEME)
    crash = last.loc["app_crash"]
    assert crash[s.EMERGING] and crash[s.CHANGE] > 1 and crash[s.P_VALUE] < 0.001
    assert crash[s.TESTABLE]
    assert crash[s.PERIOD_COMMENTS] == 300 and crash[s.SHARE] == pytest.approx(
        crash[s.COMMENTS] / 300
    )
    assert not last.loc["late", s.EMERGING] and last.loc["late", s.P_VALUE] > 0.05
    # new in the last month: nothing to compare with, not "new" or "up from 0"
    assert not last.loc["new_bug", s.EMERGING] and not last.loc["new_bug", s.TESTABLE]

    themes = summarize(comments, mentions, period="month", n_boot=50).set_index(s.THEME)
    assert themes.loc["app_crash", s.TREND].endswith("(emerging)")
    assert themes.loc["app_crash", s.TREND].startswith("+")
    assert pd.isna(themes.loc["new_bug", s.TREND])
    assert pd.isna(themes.loc["late", s.TREND])  # not significant: empty
    assert themes.loc["late", s.TREND_P_VALUE] > 0.05  # tested, shown in the extra columns
    weekly = trends(comments, mentions, period="week")
    assert weekly[s.PERIOD].str.match(r"^\d{4}-W\d{2}$").all()


def test_trend_is_empty_with_too_few_mentions():
    """3 complaints -> 0: a "-100 %" on a handful of mentions is no trend."""
    ids = [f"c{i}" for i in range(40)]
    dates = [pd.Timestamp(2024, 1, 5)] * 20 + [pd.Timestamp(2024, 2, 5)] * 20
    comments = make_comments(["detractor"] * 40, ids=ids, dates=dates)
    rows = [(f"c{i}", "app", "crash", "negative") for i in range(3)]  # January only
    rows += [(f"c{i}", "app", "slow", "negative") for i in range(20, 24)]  # February only
    rows += [(f"c{i}", "app", "login", "negative") for i in [0, 1, 2, 3, 4, 20, 21, 22, 23, 24]]
    tr = trends(comments, make_mentions(rows), period="month")
    assert not tr[s.TESTABLE].iloc[-1]
    themes = summarize(comments, make_mentions(rows), period="month", min_mentions=1, n_boot=20)
    assert themes[s.TREND].isna().all()
    login = themes.set_index(s.THEME).loc["login"]  # 5 and 5: tested, not significant
    assert login[s.TREND_P_VALUE] > 0.05 and pd.isna(login[s.TREND])
    assert pd.isna(themes.set_index(s.THEME).loc["crash", s.TREND_CHANGE])  # not testable


def test_one_period_of_dates_claims_no_trend():
    comments, mentions = _growing(months=1)
    assert trends(comments, mentions, period="month")[s.PERIOD].nunique() == 1
    themes = summarize(comments, mentions, period="month", n_boot=20)
    assert len(themes) and themes[s.TREND].isna().all()  # was "up from 0": nothing to compare
    two = summarize(*_growing(months=2), period="month", n_boot=20).set_index(s.THEME)
    assert pd.isna(two.loc["new_bug", s.TREND])


def test_no_dates_means_no_trends(small):
    comments, mentions = small
    assert trends(comments, mentions, period="month").empty
    themes = summarize(comments, mentions, period="month", min_mentions=1, n_boot=20)
    assert themes[s.TREND].isna().all()


NEAR_DUPES = [
    "The delivery was late",
    "the delivery was late!!",
    "The delivery was late.",
    "THE DELIVERY WAS LATE",
    "the delivery was late again",
    "Delivery was late",
    "Parcel came a week after the promised date",
    "Kurier spóźnił się trzy dni",
    "Paket kam viel zu spät an",
    "Still waiting for my order after two weeks",
]


def test_quotes_are_negative_diverse_and_short():
    rows = [(f"c{i}", "delivery", "late", "negative", t) for i, t in enumerate(NEAR_DUPES)]
    rows += [
        (f"p{i}", "delivery", "late", "positive", "Delivery was late but fine") for i in range(20)
    ]
    rows.append(("c99", "delivery", "late", "negative", "late " * 100))
    mentions = make_mentions(rows)
    comments = make_comments(
        ["detractor"] * len(rows),
        ids=[r[0] for r in rows],
        langs=["en"] * 7 + ["pl", "de"] + ["en"] * (len(rows) - 9),
    )
    q = example_quotes(mentions, comments)
    assert len(q) == 3 and q["quote_rank"].tolist() == [1, 2, 3]
    negative_ids = {r[0] for r in rows if r[3] == "negative"}
    assert set(q[s.COMMENT_ID]) <= negative_ids
    assert all(len(t) <= 160 for t in q["quote"])
    lex = _char_ngram_tfidf(q["quote"].tolist())
    sims = lex @ lex.T
    assert (sims[np.triu_indices(3, 1)] < 0.6).all(), q["quote"].tolist()
    lang = dict(zip(comments[s.COMMENT_ID], comments[s.LANG]))
    assert [lang[c] for c in q[s.COMMENT_ID]] == q[s.LANG].tolist()

    themes = summarize(comments, mentions, min_mentions=1, n_boot=20)
    row = themes.iloc[0]
    assert row[s.EXAMPLE_QUOTES] == q["quote"].tolist()
    assert row[s.EXAMPLE_COMMENT_IDS] == q[s.COMMENT_ID].tolist()


def test_quotes_use_embeddings_when_given():
    rows = [(f"c{i}", "delivery", "late", "negative", t) for i, t in enumerate(NEAR_DUPES)]
    mentions = make_mentions(rows)
    seen = []

    def embed(texts):
        seen.append(list(texts))
        # The others spread around "Still waiting...", which sits at the centre: it comes first.
        return np.array(
            [
                [1.0, 0.0] if t.startswith("Still") else [1.0, (-1.0) ** i]
                for i, t in enumerate(texts)
            ]
        )

    q = example_quotes(mentions, embeddings=embed)
    assert len(seen) == 1 and q["quote"].iloc[0].startswith("Still")
    assert q[s.LANG].isna().all()  # no comments frame: language unknown
