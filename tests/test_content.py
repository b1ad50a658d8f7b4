"""Comments with no specific content (text.content) and the coverage counted without them."""

from __future__ import annotations

import pandas as pd
import pytest

from feedback_nlp import schema as s
from feedback_nlp.analysis.chunk import theme_coverage
from feedback_nlp.text.clean import clean
from feedback_nlp.text.content import brand_words, is_nonspecific


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
        ("I will NOT recommend this hotel to anyone.", "en"), ("I don't recommend this hotel!", "en"),
        ("This place is just awful.", "en"), ("I would not go back!", "en"),
        ("@united I will not be flying you again", "en"), ("Worst airline ever", "en"),
        ("Great experience, highly recommended", "en"), ("Nie polecam tego pensjonatu !", "pl"),
        ("Zdecydowanie nie polecam .", "pl"), ("Nigdy więcej tego hotelu", "pl"),
        ("Ich kann dieses Hotel nicht empfehlen", "de"), ("Je ne recommande pas cet hôtel", "fr"),
        ("No recomiendo este hotel", "es"),
    ],
)  # fmt: skip
def test_a_verdict_on_the_business_as_a_whole_is_nonspecific(text, lang):
    # the business itself and recommending it or coming back name no topic a theme could be about
    assert is_nonspecific(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("I would not recommend the breakfast", "en"), ("The hotel room was dirty", "en"),
        ("Will never fly with you again after the lost bag", "en"),
        ("Nie polecam tego hotelu, pokoje brudne", "pl"), ("Hotel zu laut", "de"),
        ("Je ne recommande pas cet hôtel, trop cher", "fr"),
    ],
)  # fmt: skip
def test_a_verdict_with_a_topic_stays_specific(text, lang):
    assert not is_nonspecific(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Such a lovely hotel, everything was excellent", "en"), ("Absolutely breathtaking", "en"),
        ("Awesome resort and vacation", "en"), ("A beautiful hotel", "en"),
        ("Overall the hotel can be recomended.", "en"), ("The best holiday ever, we will be back again", "en"),
        ("I am very upset about this hotel!", "en"), ("We really enjoyed our stay.", "en"),
        ("Nothing special!!!", "en"), ("What a mistake.", "en"), ("Don't bother coming here.", "en"),
        ("I probably won't be coming back here.", "en"), ("Good 4 stars hotel", "en"),
        ("@USAirways disappointment?", "en"), ("@united i understand, thanks", "en"),
        ("@AmericanAir appreciate it!!", "en"),
        ("Ogólnie wakacje udane .", "pl"), ("Gorąco polecamy .", "pl"),
        ("Miejsce w 100 % godne polecenia .", "pl"), ("Bardzo złe doświadczenie : (", "pl"),
        ("Tu nie można narzekać .", "pl"), ("Czego chcieć więcej ?", "pl"),
        ("Na pewno jeszcze wrócimy !", "pl"), ("Dziękuję za wspaniały pobyt .", "pl"),
        ("There is absolutely nothing to dislike about the hotel.", "en"),
        ("Einfach nur super!", "de"), ("Sehr schön!", "de"), ("Keine Empfehlung!", "de"),
        ("Un séjour inoubliable", "fr"), ("Magnifique !!", "fr"), ("Hôtel à éviter", "fr"),
        ("Muy buen hotel.", "es"), ("Excelentes vacaciones", "es"), ("Se los recomiendo!", "es"),
    ],
)  # fmt: skip
def test_words_that_only_say_how_good_the_whole_was_are_nonspecific(text, lang):
    # how good or bad, how the customer feels, the whole holiday/trip/stay: no topic named
    assert is_nonspecific(text, lang)


@pytest.mark.parametrize(
    "text",
    ["Bylo swietnie, polecam", "Ogolnie nie polecam .", "Okropnosc !", "Wspanialy hotel .",
     "Napewno tam wrocimy ! ! !", "Dziekujemy .", "na pewno jeszcze przyjade : - )"],
)  # fmt: skip
def test_polish_written_without_diacritics_is_read_too(text):
    assert is_nonspecific(text, "pl")


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Tres bon sejour", "fr"), ("wunderschoen", "de"), ("Sehr schon", "de"),
     ("Una verguenza todo.", "es"), ("Decu", "fr")],
)  # fmt: skip
def test_every_listed_word_counts_typed_without_its_diacritics(text, lang):
    # none of these spellings is listed: they come from the accented words ("très", "séjour")
    assert is_nonspecific(text, lang)
    assert not is_nonspecific(text + " wifi", lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # staff and people are topics: "welcoming", "friendly" describe the staff
        ("Very welcoming!", "en"), ("Friendly staff", "en"), ("Good times, great people", "en"),
        ("Lovely room", "en"), ("The pool is absolutely beautiful.", "en"),
        ("Always on time", "en"),  # punctuality: "time" is not listed
        ("Fault", "en"),  # a line or train fault; "Can not fault" is left specific for it
        ("Słaby wybór .", "pl"),  # selection: "wybór" is not listed
        ("Wspaniały basen .", "pl"), ("Swietna lokalizacja", "pl"), ("Schönes Zimmer", "de"),
        ("Mauvaise adresse", "fr"),  # a delivery address: "adresse" is not listed
        ("Seguro de viaje", "es"),  # insurance: "seguro" is not listed
        ("Hermosa habitación", "es"), ("Great holiday, awful food", "en"),
    ],
)  # fmt: skip
def test_praise_with_a_topic_word_stays_specific(text, lang):
    assert not is_nonspecific(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("@united I did, and as I thought, nothing happened", "en"),
        ("@JetBlue yep it's for tomorrow", "en"), ("Will do, thanks!", "en"),
        ("@AmericanAir hi how are you", "en"), ("Sorry! Thought I did. It's done now.", "en"),
    ],
)  # fmt: skip
def test_a_reply_in_a_thread_is_nonspecific(text, lang):
    assert is_nonspecific(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("@united still waiting for my refund", "en"), ("Nobody told me anything", "en"),
        ("Why can't anyone answer?", "en"), ("It happened again with the app", "en"),
    ],
)  # fmt: skip
def test_a_reply_that_names_a_topic_or_a_service_act_stays_specific(text, lang):
    assert not is_nonspecific(text, lang)


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


# --- brand words and addresses (issue 19 item 7): made-up exports, no real models ---

_TOPICS = [
    "The internet drops every evening",
    "My bill went up again",
    "The technician never came",
    "Slow internet since Monday",
    "Cancelled my contract, still charged",
    "The router keeps restarting",
    "Nobody answers the phone",
    "Internet outage for three days",
    "Charged twice this month",
    "The app will not let me log in",
]


def _export(brand_comments: list[str], n_topics: int = 40) -> list[str]:
    return [_TOPICS[i % len(_TOPICS)] for i in range(n_topics)] + brand_comments


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("@AmericanAir you're the worst", "en"), ("@united thanks https://t.co/x1Y2", "en"),
        ("www.example.com", "en"), ("Complaint: jo.doe+x@example.co.uk", "en"),
        ("[EMAIL] [PHONE]", "en"), ("Same issue again", "en"), ("No complaints!", "en"),
    ],
)  # fmt: skip
def test_handles_links_and_emails_are_no_content(text, lang):
    assert is_nonspecific(text, lang)


def test_a_brand_hashtag_is_no_content_another_hashtag_is():
    brands = frozenset({"zorblax"})
    assert is_nonspecific("#Zorblax", "en", brands)
    assert not is_nonspecific("#Zorblax #lostluggage", "en", brands)


def test_the_files_brand_is_found_and_is_no_content():
    texts = _export(
        ["Zorblax", "Complaint against Zorblax", "ZORBLAX issues", "Zorblax/Zorbnet", "Zorblax"]
        + ["Zorblax internet is slow", "Zorblax billing"]
    )
    brands = brand_words(texts, ["en"] * len(texts))
    assert brands[0] == frozenset({"zorblax"})  # "zorbnet": in 1 of 47 comments, under 3 %
    verdicts = [is_nonspecific(t, "en", brands[0]) for t in texts[-7:]]
    assert verdicts == [True, True, True, False, True, False, False]


def test_a_frequent_topic_word_is_not_a_brand():
    texts = _export([f"Internet {w}" for w in ("down", "slow", "again", "!!")] + ["Zorblax"] * 5)
    share = sum("internet" in t.casefold() for t in texts) / len(texts)
    assert share >= 0.2
    brands = brand_words(texts, ["en"] * len(texts))[0]
    assert "internet" not in brands and "zorblax" in brands
    assert not is_nonspecific("Internet", "en", brands)


def test_lower_case_and_masked_words_are_no_brands():
    texts = _export(["ive been waiting"] * 6 + ["XXXX XXXX"] * 6)
    assert brand_words(texts, ["en"] * len(texts))[0] == frozenset()


def test_a_one_comment_file_has_no_brand():
    assert brand_words(["Zorblax"], ["en"]) == [frozenset()]
    out = clean(pd.DataFrame({"text": ["Zorblax"]}))
    assert out[s.CONTENT].tolist() == [s.CONTENT_SPECIFIC]


def test_brands_are_found_per_file():
    texts = _export(["Zorblax"] * 6)
    files = ["a.csv"] * (len(texts) - 6) + ["b.csv"] * 6
    brands = brand_words(texts + ["Zorblax"], ["en"] * (len(texts) + 1), files + ["a.csv"])
    assert brands[-1] == frozenset()  # in a.csv "Zorblax" is one comment of 41
    assert brands[-2] == frozenset({"zorblax"})  # b.csv: all six


@pytest.mark.parametrize(
    ("topics", "brand_comments", "lang", "specific"),
    [
        (
            ["Die Lieferung kam zu spät", "Der Kundenservice war freundlich", "Rechnung falsch"],
            ["Beschwerde über Zorblax", "Zorblax", "Probleme mit Zorblax", "Zorblax gut"],
            "de",
            "Zorblax Lieferung",
        ),
        (
            ["Dostawa była spóźniona", "Kurier był bardzo miły", "Faktura jest błędna"],
            ["Skarga na Zorblax", "Zorblax", "Reklamacja Zorblax", "Zorblax polecam"],
            "pl",
            "Zorblax dostawa",
        ),
    ],
)
def test_german_and_polish_brand_complaints(topics, brand_comments, lang, specific):
    texts = [topics[i % len(topics)] for i in range(40)] + brand_comments + ["Zorblax"] * 2
    brands = brand_words(texts, [lang] * len(texts))[0]
    assert brands == frozenset({"zorblax"})
    assert all(is_nonspecific(t, lang, brands) for t in brand_comments)
    assert not is_nonspecific(specific, lang, brands)
    assert not any(is_nonspecific(t, lang, brands) for t in topics)


def test_clean_marks_brand_only_comments_of_the_file():
    texts = _export(["Zorblax", "Complaint about Zorblax", "Zorblax", "Zorblax", "Zorblax"])
    out = clean(pd.DataFrame({"text": texts}))
    assert (out[s.CONTENT].iloc[-5:] == s.CONTENT_NONSPECIFIC).all()
    assert (out[s.CONTENT].iloc[:40] == s.CONTENT_SPECIFIC).all()


def test_the_taxonomy_words_read_as_text_are_every_shipped_keywords_words():
    """text.content reads the shipped taxonomies' keyword lines as text (the text layer may not
    load a taxonomy): every word the real parser finds must be among them, or a reformatted YAML
    (a list over several lines) would let a topic word be taken for a brand."""
    from feedback_nlp.text.content import _taxonomy_words, _tokens
    from feedback_nlp.themes.taxonomy_file import load_taxonomy, shipped_taxonomies

    read = _taxonomy_words()
    missing = {
        token
        for name in shipped_taxonomies()
        for theme in load_taxonomy(name).themes
        for words in theme.keywords.values()
        for keyword in words
        for token in _tokens(keyword)
        if token not in read
    }
    assert not missing, sorted(missing)[:20]
