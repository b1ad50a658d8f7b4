"""Airline precision of the `travel` taxonomy after the seed-19 audit (issue 18; docs/taxonomies.md,
"Airline neighbours after the seed-19 audit"): complaints written for this test in the words
airline tweets use, where a hotel word or a neighbouring theme's word used to file them under the
wrong theme (a flight the airline cancelled as the customer's booking change, "still on time?" as
a delay, a carry-on refused as lost luggage, a meal on the plane as hotel dining), each with the
theme it must get or must not get. Real models end to end (spaCy lemmas, the encoder), as users
run it."""

from __future__ import annotations

import pandas as pd
import pytest

import feedback_nlp as fnlp
from feedback_nlp import schema as s

pytestmark = pytest.mark.models

FOUND = [
    # (complaint, theme it is about)
    ("Sent you a DM, I doubt I will make my connection in Houston now", "missed_connections"),
    ("The vegan meal you served me was a spoonful of plain rice", "food_on_board"),
    ("Landed half an hour ago and we are still waiting for our gate", "delays"),
]

KEPT = [
    # (text, theme it must not get)
    ("Our 7am flight got cancelled and rescheduled to Tuesday", "booking_changes"),
    ("Is my flight to Denver still on time tonight?", "delays"),
    ("The vegan meal you served me was a spoonful of plain rice", "breakfast_dining"),
    ("The meal on the plane was cold and rubbery", "breakfast_dining"),
    ("Why won't you let me carry on my bag when it fits in the overhead?", "lost_baggage"),
    ("On hold for an hour after talking to the lady at the ticket counter", "check_in"),
    ("You lose your belongings and then refuse to offer compensation", "compensation"),
    # the seed-25 audit: the airline rescheduling a flight is no booking change of the
    # customer's, and "a/c" beside "spare" or "swap" is an aircraft, not air conditioning
    ("Why was my flight to Dallas rescheduled to Wednesday?", "booking_changes"),
    ("They called to say the trip has been rescheduled", "booking_changes"),
    ("Hoping there is a spare a/c for our flight tomorrow", "amenities"),
]


@pytest.fixture(scope="module")
def themes(tmp_path_factory):
    texts = [t for t, _ in FOUND] + [t for t, _ in KEPT]
    path = tmp_path_factory.mktemp("airline") / "tweets.csv"
    pd.DataFrame({"Comment": texts, "Language": "en"}).to_csv(path, index=False)
    feedback = fnlp.read_feedback(path, lang_col="Language")
    result = fnlp.analyze(feedback, models=fnlp.Models(taxonomy="travel"))
    ids = result.comments.reset_index(drop=True)[s.COMMENT_ID]
    by_id = result.mentions.groupby(s.COMMENT_ID)[s.THEME].apply(set).to_dict()
    return [by_id.get(i, set()) for i in ids]


@pytest.mark.parametrize("index", range(len(FOUND)), ids=[t[:30] for t, _ in FOUND])
def test_airline_complaint_gets_its_theme(themes, index):
    text, theme = FOUND[index]
    assert theme in themes[index], (text, themes[index])


@pytest.mark.parametrize("index", range(len(KEPT)), ids=[t[:30] for t, _ in KEPT])
def test_airline_complaint_keeps_out_of_the_neighbour(themes, index):
    text, theme = KEPT[index]
    assert theme not in themes[len(FOUND) + index], (text, themes[len(FOUND) + index])
