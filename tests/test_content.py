"""Comments with no specific content (text.content) and the coverage counted without them."""

from __future__ import annotations

import pandas as pd
import pytest

from feedback_nlp import schema as s
from feedback_nlp.analysis.chunk import theme_coverage
from feedback_nlp.text.clean import clean
from feedback_nlp.text.content import is_nonspecific


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("STOP", "en"), ("no comment", "en"), ("n/a", "und"), ("nothing", "en"),
        ("you are crap", "en"), ("ok", "und"), ("Good.", "en"), ("bad", "en"),
        ("Terrible!!!", "en"), ("Very very good, thank you", "en"), ("👍", "und"),
        ("Sehr gut, danke!", "de"), ("Bardzo dobrze, polecam", "pl"), ("Très bien merci", "fr"),
        ("Muy bueno, gracias", "es"), ("ดีมากครับ", "th"), ("Scheiße", "de"),
        ("@united Thank you!", "en"),
    ],
)  # fmt: skip
def test_bare_sentiment_insults_and_fillers_are_nonspecific(text, lang):
    assert is_nonspecific(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Terrible service", "en"), ("Late installation", "en"), ("delivery", "en"),
        ("Good price but slow shipping", "en"), ("Lieferung zu spät", "de"), ("Bad", "de"),
        ("Kurier był bardzo miły", "pl"), ("Livraison rapide", "fr"), ("Envío lento", "es"),
        ("ส่งช้ามาก", "th"), ("The app crashes", "und"), ("@united #lostluggage", "en"),
        ("good " * 13, "en"),  # more words than a bare verdict has: counted as saying something
    ],
)  # fmt: skip
def test_comments_with_a_topic_are_specific(text, lang):
    assert not is_nonspecific(text, lang)


def test_clean_marks_content_of_analysable_rows_only():
    df = pd.DataFrame({"text": ["Terrible service", "terrible", "n/a", "you are crap"]})
    out = clean(df)
    assert out[s.CONTENT].tolist()[:2] == [s.CONTENT_SPECIFIC, s.CONTENT_NONSPECIFIC]
    assert pd.isna(out[s.CONTENT].iloc[2])  # empty: not analysed
    assert out[s.CONTENT].iloc[3] == s.CONTENT_NONSPECIFIC
    assert out.attrs["clean_report"]["content"] == {"specific": 1, "nonspecific": 2}


def test_coverage_is_counted_over_specific_comments():
    comments = pd.DataFrame(
        {
            s.STATUS: [s.STATUS_ANALYZED] * 4 + [s.STATUS_EMPTY],
            s.CONTENT: [s.CONTENT_SPECIFIC] * 2 + [s.CONTENT_NONSPECIFIC] * 2 + [None],
            s.THEMES: [["delivery/late"], [], [], [], []],
        }
    )
    assert theme_coverage(comments) == {
        "analyzed": 4,
        "nonspecific": 2,
        "specific": 2,
        "specific_with_themes": 1,
        "specific_coverage": 0.5,
    }
