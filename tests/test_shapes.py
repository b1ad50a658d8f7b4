"""Real export shapes (issue 21): several open questions, ratings written as words, CES, review
titles and footer lines — each fixture written the way its tool writes it (bytes built here)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from feedback_nlp import schema as s
from feedback_nlp.cli import app
from feedback_nlp.io.load import load
from feedback_nlp.io.values import parse_score
from feedback_nlp.report.html import render_html
from feedback_nlp.report.markdown import render_markdown
from feedback_nlp.report.summarize import summarize
from feedback_nlp.runner.pipeline import inspect_inputs
from feedback_nlp.schema import COMMENT_ID, NPS_GROUP, ROW_NUMBER, SCORE, STATUS, TEXT
from feedback_nlp.settings import ReadOptions
from tests.test_summarize import make_comments, make_mentions


def write_csv(path: Path, rows: list[list[object]], *, delimiter: str = ",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


def messages(result) -> str:
    """Everything a user is told about the files: problems, notes, the whole report."""
    return json.dumps([f.to_dict() for f in result.files], ensure_ascii=False)


LIKED = [
    "The courier was friendly and on time",
    "Great prices on the winter jackets",
    "Easy returns through the app",
]
IMPROVE = [
    "Your hotline kept me waiting for forty minutes",
    "",
    "Sizes run small, please fix the size guide",
]


def qualtrics_two_questions(tmp_path: Path) -> Path:
    rows = [
        ["StartDate", "EndDate", "RecordedDate", "ResponseId", "Q1", "Q2", "Q3"],
        [
            "Start Date",
            "End Date",
            "Recorded Date",
            "Response ID",
            "How likely are you to recommend us?",
            "What did you like most?",
            "What should we improve?",
        ],
        [
            '{"ImportId":"startDate"}',
            '{"ImportId":"endDate"}',
            '{"ImportId":"recordedDate"}',
            '{"ImportId":"_recordId"}',
            '{"ImportId":"QID1"}',
            '{"ImportId":"QID2_TEXT"}',
            '{"ImportId":"QID3_TEXT"}',
        ],
    ]
    for k, (liked, improve) in enumerate(zip(LIKED, IMPROVE)):
        stamp = f"2024-05-0{k + 1} 10:00:00"
        rows.append([stamp, stamp, stamp, f"R_{k}", str(9 - 4 * k), liked, improve])
    return write_csv(tmp_path / "qualtrics_nps.csv", rows)


def test_qualtrics_two_open_questions_give_one_row_per_response_and_question(
    tmp_path: Path,
) -> None:
    result = load(qualtrics_two_questions(tmp_path))
    df, report = result.frame, result.files[0]
    assert report.questions == ["What did you like most?", "What should we improve?"]
    assert len(df) == 2 * 3  # rows in = rows out per question
    assert df["question"].tolist() == report.questions * 3
    assert df[COMMENT_ID].tolist() == [f"R_{k}:q{q}" for k in range(3) for q in (1, 2)]
    assert df[COMMENT_ID].is_unique
    assert df[ROW_NUMBER].tolist() == [1, 1, 2, 2, 3, 3]
    assert df[TEXT].tolist()[::2] == LIKED and df[TEXT].tolist()[1::2][0] == IMPROVE[0]
    assert df[SCORE].tolist() == [9.0, 9.0, 5.0, 5.0, 1.0, 1.0]
    assert df[NPS_GROUP].tolist()[:2] == ["promoter", "promoter"]
    assert "Q2" not in df.columns and "Q3" not in df.columns  # analysed, not passed through
    # the empty answer is a row too, and cleaning marks it empty
    inspected = inspect_inputs(result.files[0].path, ReadOptions())
    assert inspected["rows"] == 6 and inspected["status"]["empty"] == 1
    assert not any(t in messages(result) for t in LIKED + IMPROVE if t)


def test_repeated_text_col_chooses_the_questions_and_their_order(tmp_path: Path) -> None:
    path = qualtrics_two_questions(tmp_path)
    both = load(path, text_col=["Q3", "Q2"])
    assert both.files[0].questions == ["What should we improve?", "What did you like most?"]
    assert len(both.frame) == 6
    one = load(path, text_col="Q2")
    assert one.files[0].questions == [] and "question" not in one.frame.columns
    assert one.frame[COMMENT_ID].tolist() == ["R_0", "R_1", "R_2"]  # today's ids
    assert "Q3" in one.frame.columns


def test_cli_inspect_shows_the_questions_and_takes_text_col_twice(tmp_path: Path) -> None:
    path = qualtrics_two_questions(tmp_path)
    runner = CliRunner()
    shown = runner.invoke(app, ["inspect", str(path)])
    assert shown.exit_code == 0, shown.output
    assert "What did you like most?" in shown.output and "questions" in shown.output
    picked = runner.invoke(
        app, ["inspect", str(path), "--text-col", "Q2", "--text-col", "Q3", "--json"]
    )
    assert picked.exit_code == 0, picked.output
    assert json.loads(picked.output)["rows"] == 6
    assert not any(t in shown.output + picked.output for t in LIKED + IMPROVE if t)


def test_zendesk_satisfaction_words(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "zendesk_tickets.csv",
        [
            ["Id", "Subject", "Satisfaction Score", "Satisfaction Comment", "Created at"],
            ["101", "Refund", "Bad", "Still no refund after three weeks", "2024-04-01 09:00"],
            ["102", "Login", "Good", "Quick help, thanks a lot", "2024-04-02 09:00"],
            ["103", "Order", "Offered", "", "2024-04-03 09:00"],
            ["104", "Order", "Unoffered", "", "2024-04-04 09:00"],
            ["105", "Order", "Meh", "The parcel arrived broken", "2024-04-05 09:00"],
        ],
    )
    result = load(path)
    df, report = result.frame, result.files[0]
    assert report.mapping[SCORE] == "Satisfaction Score" and report.score_scale == "csat2"
    assert report.score_words == {"Bad": 0.0, "Good": 1.0}
    assert df[SCORE].isna().tolist() == [False, False, True, True, True]
    assert df[SCORE].tolist()[:2] == [0.0, 1.0]
    # offered/unoffered: no rating; an unknown word: unreadable, counted like a bad number
    assert report.counts["scores_unparsed"] == 1
    assert any("row 5 not readable as a score" in p for p in report.problems)
    assert "parcel arrived" not in messages(result)


@pytest.mark.parametrize(
    ("labels", "scale", "values"),
    [
        (["Sehr zufrieden", "Unzufrieden", "Weder zufrieden noch unzufrieden"], "csat", [5, 2, 3]),
        (["Bardzo zadowolony", "Bardzo niezadowolona", "Raczej zadowolony"], "csat", [5, 1, 4]),
        (["Très satisfait", "Plutôt insatisfait", "Neutre"], "csat", [5, 2, 3]),
        (["Muy insatisfecho", "Satisfecho", "Muy satisfecha"], "csat", [1, 4, 5]),
        (["พอใจมาก", "ไม่พอใจ", "พอใจ"], "csat", [5, 2, 4]),
        (["Extremely satisfied", "Somewhat dissatisfied", "Neither satisfied nor dissatisfied"],
         "csat", [5, 2, 3]),
        (["Satisfied", "Dissatisfied", "Neutral"], "csat3", [3, 1, 2]),
    ],
)
def test_csat_labels_on_a_declared_scale(
    tmp_path: Path, labels: list[str], scale: str, values: list[float]
) -> None:
    rows = [["Kommentar", "Zufriedenheit"]] + [[f"Antwort {k}", w] for k, w in enumerate(labels)]
    result = load(write_csv(tmp_path / "csat.csv", rows, delimiter=";"))
    report = result.files[0]
    assert report.score_scale == scale and result.frame[SCORE].tolist() == values
    assert report.score_words == dict(zip(labels, map(float, values)))
    assert report.counts["scores_unparsed"] == 0


def test_score_scale_flag_still_overrides_and_other_scales_labels_are_unreadable(
    tmp_path: Path,
) -> None:
    rows = [["comment", "rating"], ["a words", "Good"], ["b words", "Very satisfied"]]
    path = write_csv(tmp_path / "mixed.csv", rows)
    forced = load(path, score_scale="csat").files[0]
    assert forced.score_scale == "csat" and forced.score_words == {"Very satisfied": 5.0}
    assert forced.counts["scores_unparsed"] == 1  # "Good" is no 5-point label


@pytest.mark.parametrize(
    ("raw", "value"),
    [("4 out of 5", 4.0), ("4/5", 4.0), ("★★★★☆", 4.0), ("8 - likely", 8.0), ("3 von 5", 3.0)],
)
def test_more_written_scores(raw: str, value: float) -> None:
    assert parse_score(raw)[0] == value


@pytest.mark.parametrize(
    ("header", "cells", "scale"),
    [
        ("Reviewer_Score", ["7.9", "10", "2.5", "8.8"], "rating10"),  # decimals above 5
        ("score", ["8/10", "3/10", "10/10", "6/10"], "rating10"),  # the cells say "out of 10"
        ("Review score", [1, 7, 10, 9], "rating10"),  # named for a review's score
        ("Note (sur 10)", [6, 2, 9, 10], "rating10"),
        ("Rating", [1, 7, 10, 9], "nps"),  # a bare "Rating" above 5 stays NPS, as before
        ("How likely are you to recommend us?", [0, 7, 10, 9], "nps"),
        ("Score", [1, 7, 10, 9], "nps"),  # a bare "score" above 5 stays NPS, as before
        ("NPS rating", ["8/10", "3/10", "10/10", "6/10"], "nps"),  # the name says NPS
        ("Rating", [1, 4, 5, 3], "stars"),
    ],
)
def test_a_review_score_out_of_ten_is_not_nps(
    tmp_path: Path, header: str, cells: list[object], scale: str
) -> None:
    rows = [["comment", header]] + [[f"answer {k} words", c] for k, c in enumerate(cells)]
    result = load(write_csv(tmp_path / "scores.csv", rows))
    report = result.files[0]
    assert report.score_scale == scale and report.counts["scores_out_of_range"] == 0
    assert result.frame[SCORE].notna().all()
    assert result.frame[NPS_GROUP].notna().all() == (scale == "nps")


def test_ces_export(tmp_path: Path) -> None:
    agreement = write_csv(
        tmp_path / "ces.csv",
        [
            ["Ticket", "The company made it easy to handle my issue", "Comment"],
            ["t1", "7", "Solved in one call"],
            ["t2", "2", "I had to explain everything three times"],
            ["t3", "5", "Fine overall"],
        ],
    )
    report = load(agreement).files[0]
    assert report.score_scale == "ces" and report.score_points == 7
    assert report.score_direction == "higher_is_easier"
    effort = write_csv(
        tmp_path / "effort.csv",
        [["id", "Customer Effort", "Comment"], ["1", "1", "easy"], ["2", "5", "hard work"]],
    )
    report = load(effort).files[0]
    assert report.score_scale == "ces" and report.score_points == 5
    assert report.score_direction == "higher_is_more_effort"
    labels = write_csv(
        tmp_path / "ces_words.csv",
        [["CES", "Comment"], ["Strongly agree", "ok"], ["Disagree", "slow"]],
    )
    result = load(labels)
    assert result.files[0].score_scale == "ces" and result.frame[SCORE].tolist() == [7.0, 2.0]
    assert result.files[0].score_direction == "higher_is_easier"
    assert load(effort, score_scale="ces").files[0].score_scale == "ces"


def test_trustpilot_title_and_body(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "trustpilot.csv",
        [
            ["Review Id", "Review Created (UTC)", "Review Stars", "Review Title", "Review Content"],
            ["a1", "2024-03-01 10:00", "1", "Never again", ""],
            ["a2", "2024-03-02 10:00", "5", "Great shop!", "Fast delivery and good packaging"],
            ["a3", "2024-03-03 10:00", "2", "Late", "The parcel came a week late"],
        ],
    )
    result = load(path)
    df, report = result.frame, result.files[0]
    assert report.title == "Review Title" and report.mapping[TEXT] == "Review Content"
    assert df[TEXT].tolist() == [
        "Never again",
        "Great shop! Fast delivery and good packaging",
        "Late. The parcel came a week late",
    ]
    assert df["title"].tolist() == ["Never again", "Great shop!", "Late"]
    inspected = inspect_inputs(path, ReadOptions())
    assert inspected["status"]["empty"] == 0  # the title-only review is analysed
    assert "Never again" not in messages(result)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_totals_footer_is_not_a_comment(tmp_path: Path, fmt: str) -> None:
    rows = [
        ["Response ID", "Comment", "NPS"],
        ["1", "Delivery was late again", "3"],
        ["2", "Total disaster: two hours on hold", "0"],
        ["3", "Great service", "10"],
        ["", "Total responses: 532", ""],
        ["Average NPS", "", "4.3"],
        ["Exported on", "2024-10-01", ""],
    ]
    if fmt == "csv":
        path = write_csv(tmp_path / "nps.csv", rows)
    else:
        path = tmp_path / "nps.xlsx"
        pd.DataFrame(rows[1:], columns=rows[0]).to_excel(path, index=False)
    result = load(path)
    df, report = result.frame, result.files[0]
    assert len(df) == 3 and report.counts["rows_below_table"] == 3
    assert df[TEXT].tolist()[1].startswith("Total disaster")  # a comment, not a footer
    assert any("the last 3 rows" in p and "not comments" in p for p in report.problems)
    assert df[STATUS].isna().all()
    assert "Delivery was late" not in messages(result)


@pytest.mark.parametrize(
    "footer",
    [["", "Gesamt: 3", ""], ["Razem", "", "3"], ["", "Moyenne : 4,2", ""], ["Promedio", "", "4.1"]],
)
def test_footer_words_in_several_languages(tmp_path: Path, footer: list[str]) -> None:
    rows = [["id", "Kommentar", "Punkte"], ["1", "Zu spät geliefert", "2"], ["2", "Gut", "9"]]
    result = load(write_csv(tmp_path / "f.csv", [*rows, footer], delimiter=";"))
    assert len(result.frame) == 2 and result.files[0].counts["rows_below_table"] == 1


def test_a_last_comment_is_never_taken_for_a_footer(tmp_path: Path) -> None:
    rows = [["comment", "score"], ["fine", "5"], ["Overall: great", ""], ["Total: never again", ""]]
    result = load(write_csv(tmp_path / "f.csv", rows))
    assert len(result.frame) == 3 and "rows_below_table" not in result.files[0].counts


def test_themes_name_the_questions_and_rank_by_question() -> None:
    comments = make_comments(["detractor"] * 6, ids=[f"R{k}:q{q}" for k in range(3) for q in (1, 2)])
    comments[s.QUESTION] = ["Liked?", "Improve?"] * 3
    mentions = make_mentions(
        [(cid, "delivery", "late", "negative") for cid in comments[s.COMMENT_ID]]
    )
    themes = summarize(comments, mentions, min_mentions=1)
    assert themes[s.QUESTIONS].tolist() == ["Improve? (3) | Liked? (3)"]
    by_question = summarize(comments, mentions, by=s.QUESTION, min_mentions=1)
    assert sorted(by_question[s.GROUP].astype(str)) == ["Improve?", "Liked?"]
    assert s.QUESTIONS not in summarize(comments.drop(columns=s.QUESTION), mentions).columns
    # the reports say which question the complaints answered
    assert "Answers to: Improve? (3) | Liked? (3)" in render_html(comments, themes)
    assert "- Late: Improve? (3) | Liked? (3)" in render_markdown(comments, themes).replace("\\", "")


def test_a_title_without_a_body_column_is_the_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [["id", "Review Title", "stars"], ["1", "Too slow", "2"]])
    result = load(path)
    assert result.files[0].mapping[TEXT] == "Review Title" and result.files[0].title is None
    assert result.frame[TEXT].tolist() == ["Too slow"]
