"""Reading exports as survey tools and review sites write them (fixtures built in tmp_path)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import ftfy
import pandas as pd
import pytest
from ftfy import chardata
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from feedback_nlp.errors import (
    ColumnError,
    EncodingError,
    FeedbackError,
    InputFileError,
    OptionError,
)
from feedback_nlp.io.decoding import _MAYBE_MOJIBAKE, repair_text
from feedback_nlp.io.load import READ_COLUMNS, load, read_feedback
from feedback_nlp.io.mapping import is_numeric_column
from feedback_nlp.io.values import parse_score
from feedback_nlp.schema import (
    COMMENT_ID,
    CREATED_AT,
    ERROR,
    LANG,
    NPS_GROUP,
    ROW_NUMBER,
    SCORE,
    SOURCE,
    STATUS,
    TEXT,
    TOUCHPOINT,
)


def write_csv(
    path: Path, rows: list[list[object]], *, delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


# --- plain tables and formats --------------------------------------------------------------------


def test_plain_csv_canonical_frame(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "nps.csv",
        [
            ["Response ID", "Comment", "NPS", "Date", "Channel", "status", "Store"],
            ["r1", "Delivery was late, again", "3", "2024-03-01", "delivery", "closed", "Berlin"],
            ["r2", "", "9", "2024-03-02", "app", "open", "Kraków"],
            ["r3", "Great app", "7", "", "", "", ""],
        ],
    )
    result = load(path)
    df, report = result.frame, result.files[0]
    assert list(df.columns[: len(READ_COLUMNS)]) == READ_COLUMNS
    assert list(df.columns[len(READ_COLUMNS) :]) == ["status_input", "Store"]
    assert df[COMMENT_ID].tolist() == ["r1", "r2", "r3"]
    assert df[ROW_NUMBER].dtype == "Int64" and df[ROW_NUMBER].tolist() == [1, 2, 3]
    assert df[SOURCE].unique().tolist() == ["nps.csv"]
    assert df[TEXT].iloc[0] == "Delivery was late, again" and pd.isna(df[TEXT].iloc[1])
    assert df[SCORE].dtype == "Float64" and df[SCORE].tolist() == [3.0, 9.0, 7.0]
    assert df[NPS_GROUP].tolist() == ["detractor", "promoter", "passive"]
    assert df[TOUCHPOINT].iloc[0] == "delivery" and pd.isna(df[TOUCHPOINT].iloc[2])
    assert df[CREATED_AT].dtype.kind == "M" and df[CREATED_AT].iloc[0] == pd.Timestamp("2024-03-01")
    assert df[LANG].isna().all() and df[STATUS].isna().all() and df[ERROR].isna().all()
    assert report.mapping == {
        TEXT: "Comment",
        COMMENT_ID: "Response ID",
        SCORE: "NPS",
        CREATED_AT: "Date",
        TOUCHPOINT: "Channel",
    }
    assert (report.format, report.encoding, report.delimiter) == ("csv", "utf-8", ",")
    assert report.header_shape == "plain" and report.rows == 3 and report.score_scale == "nps"
    assert report.columns_found[:2] == ["Response ID", "Comment"]
    json.dumps(report.to_dict())  # manifest.json must be able to hold it


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_delimiter_sniffed_with_delimiters_inside_comments(tmp_path: Path, delimiter: str) -> None:
    rows = [
        ["id", "feedback", "rating"],
        ["1", "slow; late, and | broken\tagain", "2"],
        ["2", "fine", "5"],
    ]
    report = load(write_csv(tmp_path / "x.csv", rows, delimiter=delimiter)).files[0]
    assert report.delimiter == delimiter and report.rows == 2
    df = load(tmp_path / "x.csv").frame
    assert df[TEXT].iloc[0] == "slow; late, and | broken\tagain"


def test_german_excel_semicolon_cp1252(tmp_path: Path) -> None:
    raw = (
        "Kommentar;Bewertung;Datum;Kanal\r\n"
        "Lieferung kam zu spät, ärgerlich;2;31.12.2024;Lieferung\r\n"
        "Sehr schön;9;01.02.2025;Filiale\r\n"
    )
    (tmp_path / "export.csv").write_bytes(raw.encode("cp1252"))
    result = load(tmp_path / "export.csv")
    df, report = result.frame, result.files[0]
    assert (report.encoding, report.delimiter) == ("cp1252", ";")
    assert df[TEXT].tolist() == ["Lieferung kam zu spät, ärgerlich", "Sehr schön"]
    assert df[CREATED_AT].tolist() == [pd.Timestamp("2024-12-31"), pd.Timestamp("2025-02-01")]
    assert df[TOUCHPOINT].tolist() == ["Lieferung", "Filiale"] and report.score_scale == "nps"


def test_excel_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    raw = "sep=;\r\nKommentar;Bewertung\r\nZu spät, ärgerlich;2\r\nSehr schön;9\r\n"
    (tmp_path / "sep.csv").write_bytes(raw.encode("cp1252"))
    result = load(tmp_path / "sep.csv")
    df, report = result.frame, result.files[0]
    assert report.delimiter == ";" and "rows_above_header" not in report.counts
    assert df[TEXT].tolist() == ["Zu spät, ärgerlich", "Sehr schön"] and not report.problems


def test_one_column_file_keeps_commas(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("comment\nhello, world; again\nbye\n", encoding="utf-8")
    result = load(tmp_path / "c.txt")
    assert result.frame[TEXT].tolist() == ["hello, world; again", "bye"]
    assert result.files[0].delimiter is None


def test_utf16_without_bom(tmp_path: Path) -> None:
    raw = "comment\tscore\nZażółć\t5\nok\t4\n".encode("utf-16-le")
    (tmp_path / "u.tsv").write_bytes(raw)
    result = load(tmp_path / "u.tsv")
    assert result.files[0].encoding == "utf-16-le"
    assert result.frame[TEXT].tolist() == ["Zażółć", "ok"]


def test_google_play_utf16_tab_export(tmp_path: Path) -> None:
    header = [
        "Package Name",
        "App Version Code",
        "Reviewer Language",
        "Device",
        "Review Submit Date and Time",
        "Review Submit Millis Since Epoch",
        "Review Last Update Date and Time",
        "Star Rating",
        "Review Title",
        "Review Text",
        "Developer Reply Date and Time",
        "Developer Reply Text",
        "Review Link",
    ]
    rows = [
        header,
        [
            "com.shop",
            "41",
            "de",
            "a52",
            "2024-01-05T10:20:30Z",
            "1704450030000",
            "2024-01-05T10:20:30Z",
            "2",
            "",
            "Die App stürzt ständig ab",
            "",
            "",
            "",
        ],
        [
            "com.shop",
            "41",
            "th",
            "x1",
            "2024-01-06T01:00:00Z",
            "1704502800000",
            "2024-01-06T01:00:00Z",
            "5",
            "ดีมาก",
            "แอปใช้งานง่ายมาก",
            "",
            "",
            "",
        ],
    ]
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\n").writerows(rows)
    path = tmp_path / "reviews_reviews_com.shop_202401.csv"
    path.write_bytes(buf.getvalue().encode("utf-16"))  # BOM + native (little) endian
    result = load(path)
    report, df = result.files[0], result.frame
    assert report.encoding == "utf-16-le" and report.delimiter == "\t"
    assert report.mapping[TEXT] == "Review Text" and report.mapping[SCORE] == "Star Rating"
    assert report.mapping[LANG] == "Reviewer Language"
    assert report.mapping[CREATED_AT] == "Review Submit Date and Time"
    assert report.score_scale == "stars" and df[NPS_GROUP].isna().all()
    # the review title heads the analysed text and keeps its own column
    assert report.title == "Review Title"
    assert df[TEXT].tolist() == ["Die App stürzt ständig ab", "ดีมาก. แอปใช้งานง่ายมาก"]
    assert df["title"].isna().iloc[0] and df["title"].iloc[1] == "ดีมาก"
    assert df[CREATED_AT].iloc[0] == pd.Timestamp("2024-01-05 10:20:30")
    assert df[LANG].tolist() == ["de", "th"]


def test_xlsx_sheets_and_typed_cells(tmp_path: Path) -> None:
    path = tmp_path / "survey.xlsx"
    data = pd.DataFrame(
        {
            "Kommentar": ["Lieferung zu spät", 42],
            "Bewertung": [2, 10],
            "Datum": [pd.Timestamp("2024-05-01 08:00"), pd.Timestamp("2024-05-02")],
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        data.to_excel(writer, sheet_name="Antworten", index=False)
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Info", index=False)
    with pytest.raises(InputFileError) as err:
        load(path)
    assert "'Antworten'" in str(err.value) and "'Info'" in str(err.value)
    assert "--sheet" in str(err.value)
    with pytest.raises(InputFileError, match="no sheet named 'Nope'.*'Antworten'"):
        load(path, sheet="Nope")
    result = load(path, sheet="Antworten")
    df, report = result.frame, result.files[0]
    assert report.sheet == "Antworten" and report.encoding is None and report.format == "xlsx"
    assert df[TEXT].tolist() == ["Lieferung zu spät", "42"]
    assert df[SCORE].tolist() == [2.0, 10.0] and report.score_scale == "nps"
    assert df[CREATED_AT].tolist() == [pd.Timestamp("2024-05-01 08:00"), pd.Timestamp("2024-05-02")]


def test_xlsx_keeps_na_like_words_and_mixed_columns_write_to_parquet(tmp_path: Path) -> None:
    path = tmp_path / "m.xlsx"
    pd.DataFrame(
        {
            "comment": ["N/A", "null", "ok"],
            "zip": [12345, "n/a", None],
            "seen": [pd.Timestamp("2024-01-01"), None, pd.Timestamp("2024-01-03")],
        }
    ).to_excel(path, index=False)
    df = load(path).frame
    assert df[TEXT].tolist() == ["N/A", "null", "ok"]
    assert df["zip"].tolist()[:2] == ["12345", "n/a"] and df["seen"].dtype.kind == "M"
    df.to_parquet(tmp_path / "comments.parquet")  # what analyze writes must be storable


def test_json_shapes(tmp_path: Path) -> None:
    records = [
        {"id": 7, "review": "Świetna obsługa", "stars": "★★★★☆", "meta": {"a": 1}},
        {"id": 8, "review": "Zu teuer", "stars": "2 stars"},
    ]
    (tmp_path / "a.json").write_text(json.dumps(records), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"count": 2, "reviews": records}), encoding="utf-8")
    for name in ("a.json", "b.json"):
        df = load(tmp_path / name).frame
        assert df[COMMENT_ID].tolist() == ["7", "8"]
        assert df[TEXT].tolist() == ["Świetna obsługa", "Zu teuer"]
        assert df[SCORE].tolist() == [4.0, 2.0]
        assert json.loads(df["meta"].iloc[0]) == {"a": 1}
    (tmp_path / "c.json").write_text(json.dumps({"a": records, "b": records}), encoding="utf-8")
    (tmp_path / "d.json").write_text(json.dumps("text"), encoding="utf-8")
    (tmp_path / "e.json").write_text("[]", encoding="utf-8")
    for name in ("c.json", "d.json", "e.json"):
        with pytest.raises(InputFileError, match="expected a JSON array of objects"):
            load(tmp_path / name)


def test_jsonl_broken_line_is_a_failed_record(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    lines = [
        '{"comment": "ok", "score": 9}',
        "",
        '{"comment": "broken',
        '{"comment": "late"}',
        "[1]",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load(path)
    df, report = result.frame, result.files[0]
    assert len(df) == 4 and df[ROW_NUMBER].tolist() == [1, 2, 3, 4]
    assert df[STATUS].tolist()[1] == "failed" and df[ERROR].tolist()[1] == "line 3: invalid JSON"
    assert df[ERROR].tolist()[3] == "line 5: expected a JSON object, found list"
    assert pd.isna(df[STATUS].iloc[0]) and df[TEXT].tolist()[2] == "late"
    assert report.counts["rows_failed"] == 2 and "broken" not in " ".join(report.problems)


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pd.DataFrame(
        {
            "verbatim": ["bad", None, "ok"],
            "csat": pd.array([1, 5, None], dtype="Int64"),
            "n": [1.5, 2.5, 3.5],
        }
    ).to_parquet(path)
    result = load(path, score_scale="csat")
    assert result.frame[TEXT].iloc[0] == "bad" and pd.isna(result.frame[TEXT].iloc[1])
    assert result.frame[SCORE].tolist()[:2] == [1.0, 5.0] and pd.isna(result.frame[SCORE].iloc[2])
    assert result.files[0].score_scale == "csat"
    assert result.files[0].counts["scores_unparsed"] == 0
    assert result.frame["n"].tolist() == [1.5, 2.5, 3.5]


def test_several_files_concatenated_and_ids_unique(tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [["id", "comment"], ["1", "x"], ["2", "y"]])
    b = tmp_path / "b.jsonl"
    b.write_text('{"id": 1, "opinia": "z"}\n', encoding="utf-8")
    result = read_feedback([a, b])
    assert result[SOURCE].tolist() == ["a.csv", "a.csv", "b.jsonl"]
    assert result[ROW_NUMBER].tolist() == [1, 2, 1]
    assert result[TEXT].tolist() == ["x", "y", "z"]
    assert result[COMMENT_ID].is_unique and result[COMMENT_ID].iloc[2] == "b.jsonl:1"
    reports = result.attrs["read_report"]
    assert [r["mapping"][TEXT] for r in reports] == ["comment", "opinia"]


# --- encodings and repairs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16-be", "utf-16-be"),
        ("cp1252", "cp1252"),
    ],
)
def test_encodings_detected(tmp_path: Path, encoding: str, expected: str) -> None:
    text = "Grüße aus München – 20 € zu teuer"
    raw = f"id,comment\n1,{text}\n2,Größe passt\n".encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    (tmp_path / "f.csv").write_bytes(raw)
    result = load(tmp_path / "f.csv")
    assert result.files[0].encoding == expected
    assert result.frame[TEXT].tolist() == [text, "Größe passt"]


def test_cp1250_polish_detected(tmp_path: Path) -> None:
    text = "Paczka przyszła późno; źle zapakowana"
    (tmp_path / "f.csv").write_bytes(f"id,komentarz\n1,{text}\n".encode("cp1250"))
    result = load(tmp_path / "f.csv")
    assert result.files[0].encoding == "cp1250" and result.frame[TEXT].iloc[0] == text


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (bytes(range(256)) * 20, "binary"),
        (b"PK\x03\x04" + bytes(200), "xlsx"),
        (b"\x00\x01\x00\x00" * 100, "binary"),
    ],
)
def test_binary_renamed_csv(tmp_path: Path, content: bytes, needle: str) -> None:
    (tmp_path / "data.csv").write_bytes(content)
    with pytest.raises(EncodingError, match=needle):
        load(tmp_path / "data.csv")


def test_mojibake_repaired_and_counted(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [
            ["id", "comment", "Kanal"],
            ["1", "fÃ¼r mich zu teuer", "Lieferung"],
            ["2", "kein Verst盲ndnis", "Filiale"],
            ["3", "wir k枚nnen nicht", "App"],
            ["4", "null\x00byte", "Web"],
        ],
    )
    result = load(path)
    assert result.frame[TEXT].tolist() == [
        "für mich zu teuer",
        "kein Verständnis",
        "wir können nicht",
        "nullbyte",
    ]
    assert result.files[0].repairs == {"mojibake_ftfy": 1, "mojibake_gbk": 2, "nul_removed": 1}


GENUINE = [
    "这个应用很好用，但是送货太慢了",
    "我是盲人",
    "สินค้ามาถึงช้ามาก ไม่ประทับใจ",
    "Zażółć gęślą jaźń, przesyłka dotarła późno",
    "Top 👍🏽🚚 super",
    "التوصيل كان متأخرا جدا",
    "המשלוח הגיע באיחור",
    "Ça coûte très cher, déçu",
    "¿Por qué tardó tanto? Mañana",
    "iPhone很好 but 送货慢",
]


def test_correct_text_untouched(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "g.csv", [["comment"], *[[t] for t in GENUINE]])
    result = load(path)
    assert result.frame[TEXT].tolist() == GENUINE and result.files[0].repairs == {}
    for text in GENUINE:
        assert repair_text(text) == (text, [])


@settings(max_examples=50, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            [chr(c) for c in range(0x20, 0x180)] + list("€‚ƒ„…†‡ˆ‰Š‹Œ‘’“”•–—˜™š›œŸ")
        )
    )
)
def test_mojibake_precheck_never_skips_what_ftfy_would_fix(text: str) -> None:
    if not (_MAYBE_MOJIBAKE.search(text) or chardata.UTF8_DETECTOR_RE.search(text)):
        assert ftfy.fix_encoding(text) == text


def test_big_comment_rtl_and_emoji_intact(tmp_path: Path) -> None:
    big = ("Lieferung kam zu spät, " * 45_000)[:1_000_000]
    texts = [big, "שלום, המשלוח איחר", "مرحبا، التوصيل تأخر", "🚚💨😡 late"]
    path = write_csv(tmp_path / "big.csv", [["comment"], *[[t] for t in texts]])
    assert load(path).frame[TEXT].tolist() == texts


# --- export shapes ------------------------------------------------------------------------------


def test_qualtrics_export(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "qualtrics.csv",
        [
            [
                "StartDate",
                "EndDate",
                "Status",
                "Progress",
                "RecordedDate",
                "ResponseId",
                "DistributionChannel",
                "UserLanguage",
                "Q1",
                "Q2",
                "Q3",
            ],
            [
                "Start Date",
                "End Date",
                "Response Type",
                "Progress",
                "Recorded Date",
                "Response ID",
                "Distribution Channel",
                "User Language",
                "How likely are you to recommend us to a friend?",
                "Why did you give this score?",
                "Which store did you visit?",
            ],
            [
                '{"ImportId":"startDate"}',
                '{"ImportId":"endDate"}',
                '{"ImportId":"status"}',
                '{"ImportId":"progress"}',
                '{"ImportId":"recordedDate"}',
                '{"ImportId":"_recordId"}',
                '{"ImportId":"distributionChannel"}',
                '{"ImportId":"userLanguage"}',
                '{"ImportId":"QID1"}',
                '{"ImportId":"QID2_TEXT"}',
                '{"ImportId":"QID3"}',
            ],
            [
                "2024-02-01 10:00:00",
                "2024-02-01 10:05:00",
                "0",
                "100",
                "2024-02-01 10:05:01",
                "R_abc",
                "anonymous",
                "EN",
                "10 - Extremely likely",
                "Fast delivery",
                "Berlin",
            ],
            [
                "2024-02-02 11:00:00",
                "2024-02-02 11:03:00",
                "0",
                "100",
                "2024-02-02 11:03:02",
                "R_def",
                "email",
                "DE",
                "0 - Not at all likely",
                "Nie wieder",
                "Hamburg",
            ],
        ],
    )
    result = load(path)
    df, report = result.frame, result.files[0]
    assert report.header_shape == "qualtrics" and report.rows == 2
    assert df[ROW_NUMBER].tolist() == [1, 2]
    assert report.mapping[TEXT] == "Q2" and report.mapping[SCORE] == "Q1"
    assert report.mapping[COMMENT_ID] == "ResponseId"
    assert report.mapping[CREATED_AT] == "RecordedDate"
    assert TOUCHPOINT not in report.mapping and LANG not in report.mapping
    assert df[COMMENT_ID].tolist() == ["R_abc", "R_def"]
    assert df[SCORE].tolist() == [10.0, 0.0] and df[NPS_GROUP].tolist() == ["promoter", "detractor"]
    assert df[CREATED_AT].iloc[0] == pd.Timestamp("2024-02-01 10:05:01")
    assert "Status" in df.columns and "Q3" in df.columns


def test_open_ended_marks_find_unnamed_comment_questions(tmp_path: Path) -> None:
    qualtrics = write_csv(
        tmp_path / "q.csv",
        [
            ["StartDate", "ResponseId", "Q1", "Q2"],
            ["Start Date", "Response ID", "Which store?", "Tell us more"],
            [
                '{"ImportId":"startDate"}',
                '{"ImportId":"_recordId"}',
                '{"ImportId":"QID1"}',
                '{"ImportId":"QID2_TEXT"}',
            ],
            ["2024-01-01 10:00:00", "R_1", "Berlin", "Too slow"],
        ],
    )
    assert load(qualtrics).files[0].mapping[TEXT] == "Q2"
    monkey = write_csv(
        tmp_path / "m.csv",
        [
            ["Respondent ID", "Which store?", "Anything to add?"],
            ["", "Response", "Open-Ended Response"],
            ["1", "Berlin", "Too slow"],
        ],
    )
    assert load(monkey).files[0].mapping[TEXT] == "Anything to add?"


def test_surveymonkey_export(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "sm.csv",
        [
            [
                "Respondent ID",
                "Collector ID",
                "Start Date",
                "End Date",
                "IP Address",
                "How likely is it that you would recommend us to a friend?",
                "Which channel did you use?",
                "",
                "",
                "Why did you give this score?",
            ],
            [
                "",
                "",
                "",
                "",
                "",
                "Response",
                "Website",
                "App",
                "Other (please specify)",
                "Open-Ended Response",
            ],
            [
                "114",
                "9",
                "12/31/2024 1:05:00 PM",
                "12/31/2024 1:09:00 PM",
                "1.2.3.4",
                "6",
                "Website",
                "",
                "",
                "Checkout kept failing",
            ],
            [
                "115",
                "9",
                "01/02/2025 9:00:00 AM",
                "01/02/2025 9:04:00 AM",
                "1.2.3.5",
                "9",
                "",
                "App",
                "",
                "Nice",
            ],
        ],
    )
    result = load(path)
    df, report = result.frame, result.files[0]
    assert report.header_shape == "surveymonkey" and report.rows == 2
    assert report.mapping[TEXT] == "Why did you give this score?"
    assert report.mapping[SCORE] == "How likely is it that you would recommend us to a friend?"
    assert report.mapping[COMMENT_ID] == "Respondent ID"
    assert report.mapping[CREATED_AT] == "End Date"
    assert "Which channel did you use? - App" in df.columns
    assert "Which channel did you use? - Other (please specify)" in df.columns
    assert df[CREATED_AT].tolist() == [
        pd.Timestamp("2024-12-31 13:09"),
        pd.Timestamp("2025-01-02 09:04"),
    ]
    assert df[TEXT].tolist() == ["Checkout kept failing", "Nice"]


# --- column detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Comment",
        "comments",
        "Feedback",
        "Verbatim",
        "Review Text",
        "reviewText",
        "Answer",
        "Why did you give this score?",
        "Why did you give us a 6?",
        "What is the main reason for your score?",
        "Warum haben Sie diese Bewertung gegeben?",
        "Dlaczego?",
        "Pourquoi cette note ?",
        "¿Por qué?",
        "Reason",
        "Kommentar",
        "Anmerkung",
        "Bemerkung",
        "Rezension",
        "Kundenkommentar",
        "komentarz",
        "Opinia",
        "Uwagi",
        "Commentaire",
        "Avis",
        "Remarque",
        "Comentario",
        "Opinión",
        "Reseña",
        "ความคิดเห็น",
        "COMMENT_TEXT",
    ],
)
def test_text_column_names(tmp_path: Path, name: str) -> None:
    path = write_csv(tmp_path / "f.csv", [["Kennung", name, "Punkte"], ["a", "words", "3"]])
    assert load(path).files[0].mapping[TEXT] == name


@pytest.mark.parametrize(
    ("role", "name"),
    [
        (COMMENT_ID, "ResponseId"),
        (COMMENT_ID, "Respondent ID"),
        (COMMENT_ID, "review_id"),
        (SCORE, "Likelihood to recommend"),
        (SCORE, "Star rating"),
        (SCORE, "Ocena"),
        (SCORE, "Puntuación"),
        (SCORE, "note"),
        (CREATED_AT, "created_at"),
        (CREATED_AT, "Datum"),
        (CREATED_AT, "fecha"),
        (CREATED_AT, "Submitted"),
        (CREATED_AT, "Updated at"),
        (TOUCHPOINT, "Journey stage"),
        (TOUCHPOINT, "Kanał"),
        (TOUCHPOINT, "canal"),
        (LANG, "Sprache"),
        (LANG, "język"),
        (LANG, "idioma"),
    ],
)
def test_other_column_names(tmp_path: Path, role: str, name: str) -> None:
    value = {COMMENT_ID: "x1", SCORE: "4", CREATED_AT: "2024-01-01", TOUCHPOINT: "app", LANG: "de"}[
        role
    ]
    path = write_csv(tmp_path / "f.csv", [["comment", name], ["words", value]])
    assert load(path).files[0].mapping[role] == name


def test_exact_name_beats_partial_and_ties_are_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["Review Title", "Review Text"], ["t", "body"]])
    assert load(path).files[0].mapping[TEXT] == "Review Text"
    path = write_csv(tmp_path / "g.csv", [["Comment", "Feedback", "x"], ["a", "b", "c"]])
    with pytest.raises(ColumnError, match="'Comment', 'Feedback'.*--text-col"):
        load(path)
    assert load(path, text_col="Feedback").frame[TEXT].iloc[0] == "b"


def test_column_errors(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [["id", "when", "what"], ["1", "2024-01-01", "x"]])
    with pytest.raises(ColumnError, match=r"no comment column.*'id', 'when', 'what'.*--text-col"):
        load(path)
    with pytest.raises(ColumnError, match="Did you mean 'what'"):
        load(path, text_col="wht")
    with pytest.raises(ColumnError, match="--score-col"):
        load(path, text_col="what", score_col="nope")
    nums = write_csv(tmp_path / "n.csv", [["comment", "other"], ["5", "a"], ["7.5", "b"]])
    with pytest.raises(ColumnError, match="only numbers.*--text-col"):
        load(nums)
    with pytest.raises(ColumnError, match="only numbers"):
        load(nums, text_col="comment")
    with pytest.raises(OptionError, match="--score-scale"):
        load(path, text_col="what", score_scale="percent")
    # no header row: the "column names" are a customer's words, so only their start is shown
    secret = "my account number is 12345 and the courier was rude to me at the door"
    headless = write_csv(tmp_path / "h.csv", [["1", secret], ["2", "more words"]])
    with pytest.raises(ColumnError) as err:
        load(headless)
    assert secret not in str(err.value)


# --- scores and dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("9", 9.0),
        ("9.0", 9.0),
        ("10 - Extremely likely", 10.0),
        ("0 - Not at all likely", 0.0),
        ("4/5", 4.0),
        ("★★★★☆", 4.0),
        ("4 stars", 4.0),
        ("4,5", 4.5),
        (7, 7.0),
        ("great", None),
    ],
)
def test_parse_score(raw: object, value: float | None) -> None:
    assert parse_score(raw)[0] == value


@pytest.mark.parametrize(
    ("name", "values", "scale"),
    [
        ("score", ["1", "5", "3"], "stars"),
        ("score", ["0", "3"], "nps"),
        ("score", ["3", "8"], "nps"),
        ("score", ["4/5", "2/5"], "stars"),
        ("NPS", ["1", "5"], "nps"),
        ("CSAT", ["1", "5"], "csat"),
    ],
)
def test_score_scale_auto(tmp_path: Path, name: str, values: list[str], scale: str) -> None:
    path = write_csv(tmp_path / "f.csv", [["comment", name], *[["x", v] for v in values]])
    assert load(path).files[0].score_scale == scale


def test_scores_out_of_range_and_unparsed_counted(tmp_path: Path) -> None:
    rows = [
        ["comment", "score"],
        ["a", "9"],
        ["b", "11"],
        ["c", "secret words"],
        ["d", "6"],
        ["e", ""],
    ]
    result = load(write_csv(tmp_path / "f.csv", rows))
    report = result.files[0]
    assert result.frame[SCORE].tolist()[:2] == [9.0, pd.NA] or pd.isna(result.frame[SCORE].iloc[1])
    assert report.counts["scores_out_of_range"] == 1 and report.counts["scores_unparsed"] == 1
    assert any("row 2" in p for p in report.problems) and any("row 3" in p for p in report.problems)
    assert "secret" not in " ".join(report.problems)
    stars = load(tmp_path / "f.csv", score_scale="stars")
    assert stars.files[0].counts["scores_out_of_range"] == 3  # 9, 11 and 6 are not 1-5 stars
    assert stars.frame[NPS_GROUP].isna().all()


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["2024-01-05", "2024-01-05T10:00:00Z", "2024-01-05T12:00:00+02:00"],
            ["2024-01-05", "2024-01-05 10:00", "2024-01-05 10:00"],
        ),
        (["31.12.2024", "01.02.2024 14:30"], ["2024-12-31", "2024-02-01 14:30"]),
        (["31/12/2024", "01/02/2024"], ["2024-12-31", "2024-02-01"]),
        (["12/31/2024 1:05 PM", "01/02/2024"], ["2024-12-31 13:05", "2024-01-02"]),
        (["45292", "45292.5"], ["2024-01-01", "2024-01-01 12:00"]),
    ],
)
def test_dates(tmp_path: Path, values: list[str], expected: list[str]) -> None:
    path = write_csv(tmp_path / "f.csv", [["comment", "date"], *[["x", v] for v in values]])
    df = load(path).frame
    assert df[CREATED_AT].tolist() == [pd.Timestamp(e) for e in expected]


def test_unparseable_dates_counted_not_fatal(tmp_path: Path) -> None:
    rows = [
        ["comment", "created_at"],
        ["a", "2024-01-05"],
        ["b", "soon"],
        ["c", "2024-13-45"],
        ["d", "05.01.2024"],
        ["e", "2024-01-06"],
    ]
    result = load(write_csv(tmp_path / "f.csv", rows))
    assert result.frame[CREATED_AT].isna().tolist() == [False, True, True, False, False]
    assert result.files[0].counts["dates_unparsed"] == 2
    problems = result.files[0].problems
    assert any(p.startswith("created_at ('created_at'): rows 2, 3") for p in problems)
    # a column named like a date that mostly holds no dates is not taken for one...
    other = write_csv(tmp_path / "g.csv", [["comment", "date"], ["a", "soon"], ["b", "later"]])
    assert CREATED_AT not in load(other).files[0].mapping
    # ...unless the user says so
    assert load(other, date_col="date").files[0].counts["dates_unparsed"] == 2


# --- bad input ----------------------------------------------------------------------------------


def test_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        load(tmp_path / "missing.csv")
    with pytest.raises(InputFileError, match="folder"):
        load(tmp_path)
    (tmp_path / "x.xls").write_bytes(b"abc")
    with pytest.raises(InputFileError, match=r"unsupported.*\.csv.*\.xlsx"):
        load(tmp_path / "x.xls")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        load(tmp_path / "empty.csv")
    (tmp_path / "head.csv").write_text("id,comment\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="no data rows"):
        load(tmp_path / "head.csv")
    (tmp_path / "bad.xlsx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(InputFileError, match="XLSX"):
        load(tmp_path / "bad.xlsx")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 nonsense")
    with pytest.raises(InputFileError, match="Parquet"):
        load(tmp_path / "bad.parquet")
    (tmp_path / "bad.json").write_text('{"a": [1,', encoding="utf-8")
    with pytest.raises(InputFileError, match="invalid JSON at line 1"):
        load(tmp_path / "bad.json")
    with pytest.raises(InputFileError, match="no input files"):
        load([])


def test_unclosed_quote_reports_line(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        'id,comment\n1,fine\n2,"private words, never closed\n3,more\n4,rest\n', encoding="utf-8"
    )
    with pytest.raises(InputFileError, match="line 3: a quoted field") as err:
        load(path)
    assert "private" not in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, FeedbackError)


def test_ragged_rows_accounted_for(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "id,comment,score\n1,a,9\n2,b\n3,c,7,extra,more\n4,d,8,\n5,e,1,x\n", encoding="utf-8"
    )
    result = load(path)
    df, report = result.frame, result.files[0]
    assert len(df) == 5 and pd.isna(df[SCORE].iloc[1])
    assert json.loads(df["extra_fields"].iloc[2]) == ["extra", "more"]
    assert pd.isna(df["extra_fields"].iloc[3])  # a trailing delimiter loses nothing
    assert report.counts["rows_long"] == 2 and report.counts["rows_short"] == 1
    assert any(p.startswith("rows 3, 5: more fields than the header") for p in report.problems)
    assert any(p.startswith("row 2: fewer fields") for p in report.problems)


HEADER = ["Respondent ID", "How likely are you to recommend us? (0-10)", "Q2", "Submitted"]
ANSWERS = [
    ["1", "9", "Szybka dostawa, ale opakowanie było uszkodzone.", "2026-09-01"],
    ["2", "3", "Die Hotline war nicht erreichbar, drei Tage gewartet!", "2026-09-02"],
    ["3", "10", "Great app, love the new checkout flow.", "2026-09-04"],
]


@pytest.mark.parametrize("padded", [False, True])
def test_title_rows_above_the_header_are_skipped(tmp_path: Path, padded: bool) -> None:
    pad = ["", "", ""] if padded else [""]  # Excel pads a title row with delimiters
    rows = [["NPS export Q3 2026", *pad], ["Date range:", "Jul-Sep", *pad[2:]], HEADER, *ANSWERS]
    result = load(write_csv(tmp_path / "t.csv", rows, delimiter=";", encoding="utf-16"))
    df, report = result.frame, result.files[0]
    assert report.delimiter == ";" and report.counts["rows_above_header"] == 2
    assert df[TEXT].tolist() == [r[2] for r in ANSWERS] and df[SCORE].tolist() == [9.0, 3.0, 10.0]
    assert df[ROW_NUMBER].tolist() == [1, 2, 3]  # row numbers count records, as without a title
    assert any(p.startswith("the first 2 rows (a title or notes above") for p in report.problems)


def test_title_row_in_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    pd.DataFrame([["Customer feedback export", None, None, None], HEADER, *ANSWERS]).to_excel(
        path, index=False, header=False
    )
    result = load(path)
    assert result.files[0].counts["rows_above_header"] == 1
    assert result.frame[TEXT].tolist() == [r[2] for r in ANSWERS]


def test_a_header_is_never_taken_for_a_title(tmp_path: Path) -> None:
    # two named columns of three (an unnamed index column), and a header over ragged rows
    index = write_csv(tmp_path / "i.csv", [["", "comment", "score"], ["0", "slow", "3"]] * 1)
    assert load(index).files[0].counts.get("rows_above_header") is None
    ragged = write_csv(tmp_path / "r.csv", [["comment", "score"], ["a", "1", "x"], ["b", "2", "y"]])
    result = load(ragged)
    assert result.frame[TEXT].tolist() == ["a", "b"] and result.files[0].counts["rows_long"] == 2
    # a header naming one of two columns, over rows of words only
    half = [["comment", ""], ["Great product", "yes"], ["Too slow", "no"], ["Fine", "no"]]
    result = load(write_csv(tmp_path / "half.csv", half))
    assert result.frame[TEXT].tolist() == ["Great product", "Too slow", "Fine"]
    # ... but a title holding a column word, above a header naming more columns, is a title
    titled = [["NPS export Q3", "", ""], ["id", "comment", "score"], ["1", "Late again", "3"]]
    result = load(write_csv(tmp_path / "nps.csv", [*titled, ["2", "Great", "9"]]))
    assert result.files[0].counts["rows_above_header"] == 1
    assert result.frame[TEXT].tolist() == ["Late again", "Great"]


def test_comment_column_found_by_its_content_when_no_name_says_so(tmp_path: Path) -> None:
    result = load(write_csv(tmp_path / "q.csv", [HEADER, *ANSWERS]))
    df, report = result.frame, result.files[0]
    assert report.mapping[TEXT] == "Q2" and df[TEXT].tolist() == [r[2] for r in ANSWERS]
    assert any("'Q2' was taken because its cells read like written" in p for p in report.problems)
    # two columns of written text: two open questions, each response answers both
    two = [[*HEADER, "Q3"], *[[*r, r[2][::-1]] for r in ANSWERS]]
    both = load(write_csv(tmp_path / "two.csv", two))
    assert both.files[0].questions == ["Q2", "Q3"]
    assert len(both.frame) == 2 * len(ANSWERS)
    assert both.frame["question"].tolist() == ["Q2", "Q3"] * len(ANSWERS)
    assert load(write_csv(tmp_path / "one.csv", two), text_col="Q3").files[0].questions == []
    # a file without a header row keeps failing loudly: its first comment would be lost as a name
    headless = write_csv(tmp_path / "h.csv", ANSWERS)
    with pytest.raises(ColumnError, match="no comment column found"):
        load(headless)


def test_repeated_ids_made_unique(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv", [["id", "comment"], ["1", "a"], ["2", "b"], ["1", "c"], ["", "d"]]
    )
    result = load(path, id_col="id")
    assert result.frame[COMMENT_ID].tolist() == ["1", "2", "1#3", "d.csv:4"]
    assert any("row 3" in p for p in result.files[0].problems)


# --- property -----------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(texts=st.lists(_text, min_size=1, max_size=4))
def test_any_text_survives_a_csv_round_trip(tmp_path: Path, texts: list[str]) -> None:
    # A column of only empty or numeric cells is rejected as a comment column (tested above).
    assume(any(texts) and not is_numeric_column(texts))
    rows = [["id", "comment"], *[[i, t] for i, t in enumerate(texts)]]
    path = write_csv(tmp_path / "p.csv", rows)
    df = load(path).frame
    assert len(df) == len(texts)
    for got, sent in zip(df[TEXT].tolist(), texts):
        if sent == "":
            assert pd.isna(got)
        elif ftfy.fix_encoding(sent) == sent and repair_text(sent)[1] == []:
            assert got == sent
