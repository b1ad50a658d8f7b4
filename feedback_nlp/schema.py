"""Column names and allowed values of the frames feedback-nlp reads and writes (DESIGN.md, contract 2).

Every module names columns through these constants, so that a rename happens in one place.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from feedback_nlp.errors import SchemaError

# comments.parquet -----------------------------------------------------------------------------
COMMENT_ID = "comment_id"
ROW_NUMBER = "row_number"  # 1-based record number within its source file (header rows excluded)
SOURCE = "source"  # file name the row came from
TEXT = "text"
LANG = "lang"
STATUS = "status"
ERROR = "error"
SENTIMENT = "sentiment"
SENTIMENT_SCORE = "sentiment_score"
P_NEGATIVE = "p_negative"
P_NEUTRAL = "p_neutral"
P_POSITIVE = "p_positive"
SCORE = "score"
NPS_GROUP = "nps_group"
TOUCHPOINT = "touchpoint"
# The input's own journey stage / channel / touchpoint (a mapped touchpoint column), as written;
# empty where the input names none. The ranking groups by it when it has values.
INPUT_TOUCHPOINT = "input_touchpoint"
THEMES = "themes"
CREATED_AT = "created_at"
# Only where the export has them (after the canonical columns): the open question a row answers
# (its header text) in a survey with several, one row per (response, question); and a review's
# title, which is also the start of its analysed `text`.
QUESTION = "question"
TITLE = "title"
# Whether an analysed comment says anything a theme could be about (text.content): "specific",
# or "nonspecific" for bare sentiment, insults and fillers ("ok", "terrible", "you are crap").
# Empty when the row was not analysed. Coverage is counted over the specific ones.
CONTENT = "content"
CONTENT_SPECIFIC = "specific"
CONTENT_NONSPECIFIC = "nonspecific"

# mentions.parquet -----------------------------------------------------------------------------
CLAUSE_ID = "clause_id"
CLAUSE_TEXT = "clause_text"
START_CHAR = "start_char"
END_CHAR = "end_char"
THEME = "theme"
MATCH = "match"
CONFIDENCE = "confidence"

# The canonical columns of a read frame, in output order; the input's other columns follow.
CANONICAL_COLUMNS = [
    COMMENT_ID,
    ROW_NUMBER,
    SOURCE,
    TEXT,
    LANG,
    STATUS,
    ERROR,
    SENTIMENT,
    SENTIMENT_SCORE,
    P_NEGATIVE,
    P_NEUTRAL,
    P_POSITIVE,
    SCORE,
    NPS_GROUP,
    TOUCHPOINT,
    THEMES,
    CREATED_AT,
    CONTENT,
]

# status values: rows in == rows out, each row says what happened to it.
STATUS_ANALYZED = "analyzed"
STATUS_EMPTY = "empty"
STATUS_DUPLICATE = "duplicate"
STATUS_FAILED = "failed"
STATUSES = (STATUS_ANALYZED, STATUS_EMPTY, STATUS_DUPLICATE, STATUS_FAILED)

# mentions.parquet, contract 2: these first, in this order
MENTION_COLUMNS = [
    COMMENT_ID,
    CLAUSE_ID,
    CLAUSE_TEXT,
    START_CHAR,
    END_CHAR,
    TOUCHPOINT,
    THEME,
    MATCH,
    CONFIDENCE,
    SENTIMENT,
    SENTIMENT_SCORE,
]

SENTIMENT_LABELS = ("negative", "neutral", "positive")
NPS_GROUPS = ("detractor", "passive", "promoter")
# ces: customer effort, 1-5 or 1-7 (its direction is recorded per file in the manifest);
# rating10: a review's own rating out of 10 ("7.9", "8/10"), not NPS
SCORE_SCALES = ("auto", "nps", "stars", "csat", "ces", "rating10")

# Languages lingua identifies (nl, tr, ru, it since issue 19: before, Dutch read as German and
# Turkish and Russian as `und`); spaCy pipelines are blank for most. `und` = undetermined.
SUPPORTED_LANGUAGES = ("en", "de", "pl", "th", "fr", "es", "nl", "tr", "ru", "it")
UNDETERMINED = "und"


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise SchemaError naming the missing columns and the columns found.

    >>> require_columns(pd.DataFrame({"text": ["ok"]}), [TEXT], what="analyze()")
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{what} expects a pandas DataFrame, got {type(df).__name__}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        found = ", ".join(map(str, df.columns)) or "(none)"
        raise SchemaError(
            f"{what} needs column(s) {', '.join(missing)}; found: {found}. "
            "Rename your columns, or build the frame with feedback_nlp.read_feedback()."
        )


# === themes.csv (contract 2) and trends — appended by the summarize/report work ===============
LABEL = "label"
MENTIONS = "mentions"
COMMENTS = "comments"
NEGATIVE_COMMENTS = "negative_comments"
NEGATIVE_SHARE = "negative_share"
NET_SENTIMENT = "net_sentiment"
NPS_IMPACT = "nps_impact"
NPS_IMPACT_LOW = "nps_impact_low"
NPS_IMPACT_HIGH = "nps_impact_high"
TREND = "trend"
RANK = "rank"
EXAMPLE_COMMENT_IDS = "example_comment_ids"
EXAMPLE_QUOTES = "example_quotes"

# The contract's columns of themes.csv, in order; summarize() adds the extras below after them.
THEME_COLUMNS = [
    TOUCHPOINT,
    THEME,
    LABEL,
    MENTIONS,
    COMMENTS,
    NEGATIVE_COMMENTS,
    NEGATIVE_SHARE,
    NET_SENTIMENT,
    NPS_IMPACT,
    NPS_IMPACT_LOW,
    NPS_IMPACT_HIGH,
    TREND,
    RANK,
    EXAMPLE_COMMENT_IDS,
    EXAMPLE_QUOTES,
]

# Extra columns of the themes frame (not in the contract; kept in themes.csv after the above).
GROUP = "group"  # value of the `by` dimension a row is ranked within ("all" for by="theme")
TOUCHPOINT_LABEL = "touchpoint_label"
# a discovered theme's key phrases per language, "en: a; b | de: c" (mentions.parquet, themes.csv)
KEY_PHRASES = "key_phrases"
RANK_OVERALL = "rank_overall"
SCORED_COMMENTS = "scored_comments"  # comments with an NPS group in the row's population
NPS = "nps"  # NPS of that population
# Where comments are rated on stars, CSAT or CES (not NPS): the rating impact, in the scale's
# points (negative: the theme's complaints cost), its interval, the rated comments of the row's
# population and their average rating, as the scale reads it.
RATING_IMPACT = "rating_impact"
RATING_IMPACT_LOW = "rating_impact_low"
RATING_IMPACT_HIGH = "rating_impact_high"
RATED_COMMENTS = "rated_comments"
RATING = "rating"
RATING_COLUMNS = [RATING_IMPACT, RATING_IMPACT_LOW, RATING_IMPACT_HIGH, RATED_COMMENTS, RATING]
EXAMPLE_LANGS = "example_langs"
TREND_CHANGE = "trend_change"
TREND_P_VALUE = "trend_p_value"
EMERGING = "emerging"
PRAISE_MENTIONS = "praise_mentions"  # positive mentions of the theme (praise of the topic)
PRAISE_COMMENTS = "praise_comments"  # comments with a positive mention of it
TOPIC_MENTIONS = "topic_mentions"  # all its mentions, any sentiment
# where the comments answer several open questions: the questions of the theme's complaints
QUESTIONS = "questions"

# trends(): one row per (group, touchpoint, theme, period).
PERIOD = "period"
PERIOD_START = "period_start"
PERIOD_COMMENTS = "period_comments"
SHARE = "share"  # share of the period's analysed comments that mention the theme
CHANGE = "change"  # relative change of `share` against the previous period
P_VALUE = "p_value"  # two-proportion z-test of that change
TESTABLE = "testable"  # this period and the one before each have enough complaints to test
PERIODS = ("day", "week", "month", "quarter", "year")
