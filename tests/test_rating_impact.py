"""Rating impact (stars, CSAT, CES) in summarize(): the theme whose complaints come with low
ratings costs rating points, with an interval around the point, and ranks first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feedback_nlp import schema as s
from feedback_nlp.io.values import HIGHER_IS_EASIER, HIGHER_IS_MORE_EFFORT
from feedback_nlp.report.impact import mean_impact, ratings
from feedback_nlp.report.summarize import summarize
from tests.test_summarize import make_mentions


def rated_export(bad: float, good: float, other: float, source: str = "reviews.csv"):
    """60 comments: 20 complain about `crash` with rating `bad`, 20 about `price` with `other`,
    20 praise `staff` with rating `good`; mentions of both complaints pass min_mentions."""
    n = 60
    score = [bad] * 20 + [other] * 20 + [good] * 20
    comments = pd.DataFrame(
        {
            s.COMMENT_ID: [f"c{i}" for i in range(n)],
            s.SOURCE: [source] * n,
            s.TEXT: ["text"] * n,
            s.LANG: ["en"] * n,
            s.STATUS: [s.STATUS_ANALYZED] * n,
            s.SCORE: pd.array(score, dtype="Float64"),
            s.NPS_GROUP: pd.array([None] * n, dtype="object"),
        }
    )
    rows = [(f"c{i}", "app", "crash", "negative") for i in range(20)]
    rows += [(f"c{i}", "billing", "price", "negative") for i in range(20, 40)]
    rows += [(f"c{i}", "service", "staff", "positive") for i in range(40, 60)]
    return comments, make_mentions(rows)


def _row(themes, theme):
    return themes[themes[s.THEME] == theme].iloc[0]


@pytest.mark.parametrize(
    "record, bad, good, other, mean",
    [
        ({"score_scale": "stars"}, 1, 5, 4, 10 / 3),
        ({"score_scale": "csat"}, 1, 5, 4, 10 / 3),
        ({"score_scale": "rating10"}, 3.5, 9.2, 8, (3.5 + 9.2 + 8) / 3),
        (
            {"score_scale": "ces", "score_points": 7, "score_direction": HIGHER_IS_EASIER},
            2,
            7,
            6,
            5.0,
        ),
        # effort rising with the score: the theme with high effort scores is the costly one
        (
            {"score_scale": "ces", "score_points": 5, "score_direction": HIGHER_IS_MORE_EFFORT},
            5,
            1,
            2,
            8 / 3,
        ),
    ],
)
def test_rating_impact_ranks_the_theme_of_low_ratings(record, bad, good, other, mean):
    comments, mentions = rated_export(bad, good, other)
    themes = summarize(
        comments,
        mentions,
        by="theme",
        min_mentions=5,
        n_boot=300,
        score_scales={"reviews.csv": record},
    )
    summary = themes.attrs["summary"]
    assert summary["ranked_by"] == s.RATING_IMPACT
    assert summary["rating_scale"]["scale"] == record["score_scale"]
    crash, price = _row(themes, "crash"), _row(themes, "price")
    assert crash[s.RANK] == 1 and price[s.RANK] == 2
    assert crash[s.RATED_COMMENTS] == 60
    assert crash[s.RATING] == pytest.approx(mean)  # the average as the scale reads it
    # average of all - average of those without the crash complaints (oriented: better = higher)
    sign = 1 if summary["rating_scale"]["higher_is_better"] else -1
    without = (20 * other + 20 * good) / 40
    assert crash[s.RATING_IMPACT] == pytest.approx(sign * (mean - without))
    assert crash[s.RATING_IMPACT] < 0
    assert crash[s.RATING_IMPACT_LOW] <= crash[s.RATING_IMPACT] <= crash[s.RATING_IMPACT_HIGH]
    assert crash[s.RATING_IMPACT_HIGH] < 0  # clearly a cost: the interval excludes 0
    assert pd.isna(crash[s.NPS_IMPACT])  # a rating is not an NPS answer


def test_zendesk_good_bad_csat_is_in_percent_satisfied():
    comments, mentions = rated_export(0, 1, 1)
    themes = summarize(comments, mentions, by="theme", n_boot=50, score_scales="csat2")
    crash = _row(themes, "crash")
    assert crash[s.RATING] == pytest.approx(100 * 40 / 60)
    assert crash[s.RATING_IMPACT] == pytest.approx(100 * 40 / 60 - 100)


def test_nps_ranks_first_and_without_a_scale_no_rating_columns():
    comments, mentions = rated_export(1, 5, 4)
    themes = summarize(comments, mentions, by="theme", n_boot=20)
    assert s.RATING_IMPACT not in themes.columns
    assert themes.attrs["summary"]["rating_scale"] is None
    # NPS where it exists: an NPS file beside the reviews decides the ranking
    nps = comments.assign(
        **{s.SOURCE: "nps.csv", s.COMMENT_ID: [f"n{i}" for i in range(60)]},
        **{s.SCORE: pd.array([10.0] * 20 + [0.0] * 20 + [10.0] * 20, dtype="Float64")},
    )
    nps[s.NPS_GROUP] = ["promoter"] * 20 + ["detractor"] * 20 + ["promoter"] * 20
    both = pd.concat([comments, nps], ignore_index=True)
    m2 = make_mentions(
        [(f"n{i}", "app", "crash", "negative") for i in range(20)]
        + [(f"n{i}", "billing", "price", "negative") for i in range(20, 40)]
    )
    themes = summarize(
        both,
        pd.concat([mentions, m2], ignore_index=True),
        by="theme",
        n_boot=50,
        score_scales={"reviews.csv": {"score_scale": "stars"}, "nps.csv": {"score_scale": "nps"}},
    )
    assert themes.attrs["summary"]["ranked_by"] == s.NPS_IMPACT
    assert _row(themes, "price")[s.RANK] == 1  # NPS detractors complain about price
    assert _row(themes, "crash")[s.RATING_IMPACT] < _row(themes, "price")[s.RATING_IMPACT]
    assert _row(themes, "crash")[s.SCORED_COMMENTS] == 60  # the NPS comments only


def test_most_common_rating_scale_is_used_and_others_left_out():
    comments, _ = rated_export(1, 5, 4)
    comments.loc[:9, s.SOURCE] = "ces.csv"
    values, scale = ratings(
        comments, {"reviews.csv": {"score_scale": "stars"}, "ces.csv": {"score_scale": "ces"}}
    )
    assert scale["scale"] == "stars" and scale["rated"] == 50 and scale["left_out"] == 10
    assert np.isnan(values[:10]).all() and np.isfinite(values[10:]).all()


def test_mean_impact_matches_the_definition_on_random_values():
    rng = np.random.default_rng(3)
    values = rng.integers(1, 6, 400).astype(float)
    segment = np.zeros(400, dtype=np.int64)
    mentioned = np.flatnonzero(rng.random(400) < 0.3)
    point, low, high, n, mean = mean_impact(
        values,
        segment,
        np.array([0]),
        np.zeros(len(mentioned), dtype=np.int64),
        mentioned,
        n_boot=200,
    )
    rest = np.setdiff1d(np.arange(400), mentioned)
    assert point[0] == pytest.approx(values.mean() - values[rest].mean())
    assert low[0] <= point[0] <= high[0] and n[0] == 400 and mean[0] == pytest.approx(values.mean())


def test_reports_name_the_scale_they_ranked_by(tmp_path):
    from rich.console import Console

    from feedback_nlp.report.figures import ranked_by_text
    from feedback_nlp.report.terminal import top_complaints_table
    from feedback_nlp.report.write import write_report

    comments, mentions = rated_export(1, 5, 4)
    themes = summarize(comments, mentions, by="theme", n_boot=50, score_scales="stars")
    crash = _row(themes, "crash")
    sentence = ranked_by_text(themes)
    assert sentence.startswith("Ranked by star-rating impact: average 3.33 ★ would be ")
    assert f"{crash[s.RATING] - crash[s.RATING_IMPACT]:.2f} ★" in sentence
    assert "'Crash'" in sentence
    console = Console(width=160, record=True)
    console.print(top_complaints_table(themes))
    shown = console.export_text()
    assert "Star-rating impact (90% CI)" in shown and f"{crash[s.RATING_IMPACT]:+.2f}" in shown
    write_report(comments, mentions, themes, tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Star-rating impact" in html and "average star rating" in html
    assert "Ranked by star-rating impact" in md and "Star-rating impact (90% CI)" in md
    csv = pd.read_csv(tmp_path / "themes.csv")
    assert list(csv.columns[: len(s.THEME_COLUMNS)]) == s.THEME_COLUMNS  # contract unchanged
    assert set(s.RATING_COLUMNS) <= set(csv.columns)
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)
    cells = [str(c) for row in wb["summary"].iter_rows(values_only=True) for c in row]
    assert any("Ranked by star-rating impact" in c for c in cells)


def test_the_ranked_by_sentence_names_the_group_its_numbers_belong_to():
    """Impacts are measured within a group: "NPS -2.7 would be +19.3" is that group's NPS, so the
    sentence says which group (it read as the whole export's before)."""
    from feedback_nlp.report.figures import ranked_by_text

    comments, mentions = rated_export(1, 5, 4)
    kw = {"n_boot": 50, "score_scales": "stars"}
    by_theme = ranked_by_text(summarize(comments, mentions, by="theme", **kw))
    by_touchpoint = ranked_by_text(summarize(comments, mentions, by="touchpoint", **kw))
    assert "(worst: in" not in by_theme
    assert "(worst: in Touchpoint '" in by_touchpoint
