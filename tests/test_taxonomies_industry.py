"""The industry taxonomies (telecom, banking): they load and validate, cover their journey in the
core languages, and clear keyword cases land on the right theme (blank spaCy pipelines, no
encoder)."""

from __future__ import annotations

import pytest

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.themes.matcher import match_themes
from feedback_nlp.themes.taxonomy_file import check_taxonomy, load_taxonomy, shipped_taxonomies

CORE_LANGUAGES = {"en", "de", "pl", "fr", "es", "th"}
INDUSTRY = ("telecom", "banking")


def themes_of(text: str, lang: str, taxonomy: str) -> set[tuple[str, str]]:
    mentions = match_themes(split_clauses([text], [lang]), taxonomy, embed=None)
    return set(zip(mentions[s.TOUCHPOINT], mentions[s.THEME]))


@pytest.mark.parametrize("name", INDUSTRY)
def test_industry_taxonomy_is_shipped_valid_and_complete(name):
    assert name in shipped_taxonomies()
    assert check_taxonomy(name) == []
    tax = load_taxonomy(name)
    assert tax.name == name
    assert tax.description  # printed by `taxonomy show`, read by automatic choice
    assert "overall" in {tp.id for tp in tax.touchpoints}
    assert len(tax.themes) >= 25
    for theme in tax.themes:
        assert theme.description, theme.key
        assert CORE_LANGUAGES <= set(theme.keywords), (theme.key, set(theme.keywords))
        assert len(theme.examples) >= 4, theme.key


def test_telecom_covers_the_journey():
    ids = {tp.id for tp in load_taxonomy("telecom").touchpoints}
    assert {
        "installation",
        "activation",
        "outages",
        "network_quality",
        "equipment",
        "billing",
        "moving_cancelling",
        "customer_service",
        "overall",
    } <= ids


def test_banking_covers_the_journey():
    ids = {tp.id for tp in load_taxonomy("banking").touchpoints}
    assert {
        "accounts",
        "cards_payments",
        "transfers",
        "fees_interest",
        "lending",
        "credit_reports",
        "digital_banking",
        "insurance",
        "service",
        "communication",
        "overall",
    } <= ids


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "It was not easy to change my installation appointment",
            "en",
            ("installation", "missed_appointment"),
        ),
        ("2 months with no service", "en", ("outages", "outage_no_service")),
        ("Comcast Data Cap Overage Fees", "en", ("billing", "data_caps")),
        ("Throttled internet speeds every evening", "en", ("network_quality", "slow_speed")),
        ("Unable to cancel my service", "en", ("moving_cancelling", "cancellation")),
        ("Seit drei Tagen kein Internet", "de", ("outages", "outage_no_service")),
        ("Der Techniker hat den Termin verschoben", "de", ("installation", "missed_appointment")),
        ("Brak zasięgu w mieszkaniu", "pl", ("network_quality", "mobile_coverage")),
        ("Przeniesienie numeru trwało miesiąc", "pl", ("activation", "sim_and_porting")),
        ("Frais de résiliation abusifs", "fr", ("moving_cancelling", "cancellation")),
        ("El router se reinicia solo", "es", ("equipment", "faulty_equipment")),
        # issue 19: topics that used to sit in `overall` name a touchpoint
        ("Poor internet quality", "en", ("network_quality", "internet_quality")),
        ("Unfair pricing", "en", ("billing", "value_for_money")),
        ("Comcast monopoly", "en", ("activation", "no_choice_of_provider")),
    ],
)
def test_telecom_keywords(text, lang, expected):
    assert expected in themes_of(text, lang, "telecom")


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "There are two accounts on my credit report that are not mine",
            "en",
            ("credit_reports", "credit_report_errors"),
        ),
        (
            "A debt collector keeps calling me about a debt I paid",
            "en",
            ("credit_reports", "debt_collection"),
        ),
        (
            "They charged me three overdraft fees in one day",
            "en",
            ("fees_interest", "overdraft_fees"),
        ),
        ("My wire transfer never arrived", "en", ("transfers", "transfer_problems")),
        (
            "Someone opened a card in my name, this is identity theft",
            "en",
            ("credit_reports", "identity_theft"),
        ),
        (
            "Die Versicherung hat die Schadensregulierung verschleppt",
            "de",
            ("insurance", "claim_handling"),
        ),
        ("Mein Konto wurde ohne Grund gesperrt", "de", ("accounts", "account_closed_or_frozen")),
        (
            "Nieautoryzowana transakcja na mojej karcie",
            "pl",
            ("cards_payments", "fraud_unauthorized"),
        ),
        ("Les agios sont énormes", "fr", ("fees_interest", "overdraft_fees")),
        ("Me cobraron una comisión de mantenimiento", "es", ("fees_interest", "account_fees")),
    ],
)
def test_banking_keywords(text, lang, expected):
    assert expected in themes_of(text, lang, "banking")


def test_thai_keywords_of_the_industry_taxonomies():
    pytest.importorskip("pythainlp")
    assert ("outages", "outage_no_service") in themes_of("เน็ตล่มทั้งวัน", "th", "telecom")
    assert ("transfers", "transfer_problems") in themes_of("โอนเงินไม่เข้าบัญชี", "th", "banking")


def test_generic_words_alone_name_no_theme():
    # "account", "payment", "service" fit many themes: alone they must not claim one
    assert themes_of("I called about my account", "en", "banking") == set()
    assert themes_of("I explained that to the representative", "en", "banking") == set()
    assert themes_of("Comcast internet service", "en", "telecom") == set()
    # a card dispute is not a credit-report dispute, and the other way round
    card = themes_of("I disputed the charge with the merchant", "en", "banking")
    assert ("cards_payments", "disputes_chargebacks") in card
    assert ("credit_reports", "credit_bureau_dispute") not in card
    bureau = themes_of("I disputed the account with Equifax twice", "en", "banking")
    assert ("credit_reports", "credit_bureau_dispute") in bureau
    assert ("cards_payments", "disputes_chargebacks") not in bureau


def test_mentions_keep_the_comment_index():
    mentions = match_themes(
        split_clauses(["no internet", "wifi is weak"], ["en", "en"]), "telecom", embed=None
    )
    assert set(mentions[COMMENT_INDEX]) == {0, 1}


def test_telecom_misleading_price_is_a_sales_complaint():
    # the audit read "misleading pricing" as "prices too high"; the longer co-occurrence wins
    got = themes_of("Misleading pricing on my bundle", "en", "telecom")
    assert ("billing", "contract_and_sales") in got
    assert ("billing", "value_for_money") not in got
