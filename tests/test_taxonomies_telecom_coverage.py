"""Ways customers name telecom topics that the Comcast titles left without a specific theme
(issue 19, fourth round; docs/taxonomies.md "Telecom coverage, fourth round"): comments written
for this test, never the data's, each with the theme it must get and, for the precision cases,
the neighbour it must not get. Real spaCy pipelines, so the lemmas are the ones users get."""

from __future__ import annotations

import pytest

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.themes.matcher import match_themes

pytestmark = pytest.mark.models


def themes_of(text: str, lang: str) -> set[str]:
    mentions = match_themes(split_clauses([text], [lang]), "telecom", embed=None)
    return set(mentions.loc[mentions[COMMENT_INDEX] == 0, s.THEME])


# Each failed before this round (no theme, or only `overall`) and names a topic the taxonomy has.
NEW = [
    ("Our cable services are not working again", "en", "outage_no_service"),
    ("A failure of service for the whole weekend", "en", "outage_no_service"),
    ("Very unreliable service ever since we signed up", "en", "internet_quality"),
    ("They cannot give us a consistent service", "en", "internet_quality"),
    ("Such a refusal of service is unacceptable", "en", "service_availability"),
    ("Constant miscommunication between their departments", "en", "customer_service_general"),
    ("Daily tele-marketing from my own provider", "en", "unwanted_contact"),
    ("My TV problems started after the upgrade", "en", "tv_phone_service"),
    ("A threat to shut off everything by Friday", "en", "payments"),
    ("Der Dienst funktioniert seit gestern nicht", "de", "outage_no_service"),
    ("El servicio es poco fiable desde hace meses", "es", "internet_quality"),
    # the seed-19 blind audit: billing named with what is wrong is no "billing in general"
    ("Inaccurate billing for the third month", "en", "billing_errors"),
    ("They are still billing me after I closed the account", "en", "billing_errors"),
    ("Another billing increase this year", "en", "price_increase"),
]

# Precision: the theme they had before must stay, and the neighbour must not come.
KEPT = [
    ("Intermittent and inconsistent internet all week", "en", "unstable_connection",
     "internet_quality"),
    ("Poor service from my provider", "en", "service_quality_general", "outage_no_service"),
    ("The payment was reported to my credit bureau twice", "en", None, "collections"),
]


@pytest.mark.parametrize("text,lang,theme", NEW)
def test_new_ways_of_naming_a_topic(text, lang, theme):
    got = themes_of(text, lang)
    assert theme in got, got


@pytest.mark.parametrize("text,lang,theme,neighbour", KEPT)
def test_neighbours_keep_their_theme(text, lang, theme, neighbour):
    got = themes_of(text, lang)
    if theme is not None:
        assert theme in got, got
    assert neighbour not in got, got
