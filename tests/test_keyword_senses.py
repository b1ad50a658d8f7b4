"""Keyword matching that keeps a keyword to its sense: exceptions ("-pünktlich zum"), German
compounds headed only by nouns, verb prefixes that are no compound front."""

from __future__ import annotations

import textwrap

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.themes.matcher import KEYWORD, match_themes
from feedback_nlp.themes.taxonomy_file import load_taxonomy


def themes_of(texts, lang, taxonomy="railway"):
    mentions = match_themes(split_clauses(texts, [lang] * len(texts)), taxonomy, embed=None)
    return set(zip(mentions[COMMENT_INDEX], mentions[s.TOUCHPOINT], mentions[s.THEME]))


TAXONOMY = """\
name: senses
touchpoints:
  journey:
    label: Journey
    themes:
      punctuality:
        label: Punctuality
        keywords:
          en: [on time, late, -late + night, -too late to]
      timetable:
        label: Timetable
        keywords:
          en: [late night, timetable]
"""


def test_an_exception_cancels_its_themes_keyword_inside_it(tmp_path):
    path = tmp_path / "senses.yaml"
    path.write_text(textwrap.dedent(TAXONOMY), encoding="utf-8")
    taxonomy = load_taxonomy(path)
    texts = [
        "The train was late again",
        "We took a late train home that night",  # "-late + night": anywhere in the clause
        "It is too late to complain",
        "The late night timetable is thin",
    ]
    found = themes_of(texts, "en", taxonomy)
    assert {c for c, _, t in found if t == "punctuality"} == {0}
    # an exception is no keyword of its own and leaves other themes alone
    assert (3, "journey", "timetable") in found


def test_railway_exceptions_keep_a_word_to_its_sense():
    texts = [
        "Pünktlich zur Landesgartenschau soll der Umbau fertig sein",  # just in time for
        "Der Zug war heute pünktlich",
        "Tarife: Lokführerstreik wird beendet",  # the wage agreement
        "Der neue Tarif ist viel zu teuer",
        "Notrufsystem: 250 Funklöcher bei der Deutschen Bahn",  # the train radio
        "Im ICE ständig Funklöcher, kein Telefonat möglich",
        "Die Pendler müssen auf Busse umsteigen",  # a change of mode
    ]
    found = themes_of(texts, "de")
    assert {c for c, _, t in found if t == "Pünktlichkeit"} == {1}
    assert {c for c, tp, _ in found if tp == "Ticketkauf"} == {3}
    assert {c for c, tp, _ in found if tp == "Connectivity"} == {5}
    assert not {c for c, _, t in found if t == "Anschlusserreichung"}


def test_only_a_german_noun_heads_a_compound():
    texts = [
        "Die Fahrt war ein Abenteuer",  # ends in "teuer", a word of its own
        "Die Stromsteuer steigt",
        "Die Fahrkarten sind schon wieder teurer geworden",
        "Schon wieder Zugverspätungen ohne Ende",
    ]
    found = themes_of(texts, "de")
    assert {c for c, tp, _ in found if tp == "Ticketkauf"} == {2}
    assert (3, "Zugfahrt", "Pünktlichkeit") in found


def test_a_verb_prefix_is_no_compound_front():
    texts = ["Die Zerstörung der alten Halle", "Weichenstörung in Köln"]
    found = themes_of(texts, "de")
    assert {c for c, tp, _ in found if tp == "Sonstige_Unregelmässigkeiten"} == {1}


REPORTED = """\
name: reported
touchpoints:
  returns:
    label: Returns
    themes:
      return_process:
        label: Return process
        keywords:
          en: [return, returns, return label, label + print]
"""


def test_the_keyword_reported_is_the_earliest_longest_then_first_listed(tmp_path):
    """Which of a theme's keywords a mention reports must not follow the matchers' order (the
    hashes of their pattern ids, which moved with every edit of the YAML)."""
    path = tmp_path / "reported.yaml"
    path.write_text(textwrap.dedent(REPORTED), encoding="utf-8")
    taxonomy = load_taxonomy(path)
    texts = ["A return label to print, why", "My returns were slow", "Print the label please"]
    mentions = match_themes(split_clauses(texts, ["en"] * 3), taxonomy, embed=None)
    reported = dict(zip(mentions[COMMENT_INDEX], mentions[KEYWORD]))
    # the longest at the earliest place; "returns" lemmatises to "return": the first listed
    assert reported == {0: "return label", 1: "return", 2: "label + print"}
