"""Airline coverage of the `travel` taxonomy, fourth and fifth rounds (issue 19;
docs/taxonomies.md, "Airline coverage, fourth round" and "fifth round"): complaints written for
this test in the words negative airline tweets use for topics the taxonomy has (a runway wait,
bags left behind, "cs", a hot cabin, a diversion; a callback, the 800 number, a wait for the
jetway), each with the theme it must get; and texts that must not get the theme a looser keyword
would give them. Real models end to end (spaCy lemmas, the encoder), as users run it."""

from __future__ import annotations

import pandas as pd
import pytest

import feedback_nlp as fnlp
from feedback_nlp import schema as s

pytestmark = pytest.mark.models

FOUND = [
    # (complaint, theme it is about)
    ("Two hours now still sitting on runway, nobody tells us a thing", "delays"),
    ("We boarded at nine and are waiting for a pilot to show up", "delays"),
    ("Cruise leaves tomorrow and I am stuck here with no luggage", "lost_baggage"),
    ("Pretty sure the bags never made it onto our plane in Chicago", "lost_baggage"),
    ("Honestly the worst cs I have dealt with this year", "customer_service_quality"),
    ("Just answer the stupid phone for once", "customer_service_contact"),
    ("It must be 95 degrees on this plane and the crew shrug", "amenities"),
    ("They diverted us to a different city and left us to sort it out", "missed_connections"),
    ("Their computers crashed and now no flight is leaving", "delays"),
    ("Our gate got moved three times in one hour", "boarding"),
    # fifth round (docs/taxonomies.md, "Airline coverage, fifth round")
    ("Still waiting for the callback they promised this morning", "customer_service_contact"),
    ("Your 800 number is a joke", "customer_service_contact"),
    ("Sent me the same autoresponse three times, read what I wrote", "customer_service_quality"),
    ("45 minutes waiting for the jetway after landing", "delays"),
    ("We have waited forty minutes for a gate at this point", "delays"),
    ("Been sitting on this plane for ninety minutes now", "delays"),
    ("Departure time changed again, now it says midnight", "delays"),
    ("Cabin pressurization failed and we turned back", "aircraft_safety"),
    ("No baggage updates since Tuesday", "lost_baggage"),
    ("Your link doesn't work on my phone", "booking_problems"),
    ("Never got a confirmation email for the trip", "booking_problems"),
    ("Gate agent refused to put me on an earlier flight with empty seats", "missed_connections"),
    ("Can you hold the plane for us, we are running from the other terminal", "missed_connections"),
    ("Only one checkpoint open and the line is out the door", "check_in"),
    ("Another devaluation of the miles, thanks for nothing", "miles_points"),
    ("The gate agent yelled at me in front of everyone", "staff_attitude"),
    ("Such disrespect from the crew on this flight", "staff_attitude"),
]

KEPT = [
    # (text, theme it must not get): a word the round added only in a pair or a phrase
    ("Thanks for the quick reply, all sorted now", "customer_service_contact"),
    ("Free cancelation until the day before, lovely hotel", "cancellations"),
    ("I paid it with my credit card and got an email receipt", "refunds"),
    # the seed-19 blind audit: a plane on the ground is no hotel's grounds
    ("Stuck on the ground for two hours with no gate", "facilities"),
    # fifth round: "earlier flight" is lemmatised "early flight", so only "on / to an earlier
    # flight" are keywords; "still haven't left" is a plane, not a bag
    ("Wanted an early flight so I could sleep in the afternoon", "missed_connections"),
    ("My bag still has not left Chicago", "delays"),
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
def test_airline_complaint_finds_its_theme(themes, index):
    text, theme = FOUND[index]
    assert theme in themes[index], (text, themes[index])


@pytest.mark.parametrize("index", range(len(KEPT)), ids=[t[:30] for t, _ in KEPT])
def test_added_words_do_not_fire_beside_their_topic(themes, index):
    text, theme = KEPT[index]
    assert theme not in themes[len(FOUND) + index], (text, themes[len(FOUND) + index])
