"""Neighbouring themes that the precision audit found confused (issue 18; docs/themes.md
"Precision work after the audit"): comments written for this test, never the audit's, each with
the theme it is about and the neighbour it must not get (keyword matching, blank pipelines)."""

from __future__ import annotations

import pytest

from feedback_nlp import schema as s
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.themes.matcher import match_themes


def themes_of(text: str, lang: str, taxonomy: str) -> set[str]:
    mentions = match_themes(split_clauses([text], [lang]), taxonomy, embed=None)
    return set(mentions.loc[mentions[COMMENT_INDEX] == 0, s.THEME])


CASES = [
    # (taxonomy, text, lang, theme it is about, neighbour it must not get)
    ("ecommerce-cx", "กล่องฉีกขาดมาถึงบ้าน", "th", "damaged_in_transit", None),
    ("ecommerce-cx", "แพ็คของไม่ดีมากเลย", "th", "damaged_in_transit", "general_impression"),
    ("ecommerce-cx", "ขนส่งช้ามาก รอเป็นอาทิตย์", "th", "late_delivery", "courier_conduct"),
    ("ecommerce-cx", "สินค้ามีตำหนิหลายจุด", "th", "defective_product", None),
    ("ecommerce-cx", "The box was torn open on arrival", "en", "damaged_in_transit", None),
    ("telecom", "My service was disconnected for a late payment", "en", None, "unstable_connection"),
    ("telecom", "The internet disconnects randomly all evening", "en", "unstable_connection", None),
    ("telecom", "Frequent disconnects since the upgrade", "en", "unstable_connection", None),
    ("travel", "We sat at the gate because the crew timed out", "en", "delays", "staff_attitude"),
    ("travel", "Still no crew two hours after boarding time", "en", "delays", "staff_attitude"),
    ("travel", "The crew were lovely on the night flight", "en", "staff_attitude", None),
    ("travel", "They want 80 dollars per seat to sit together", "en", "high_prices", None),
    ("travel", "W pokoju były karaluchy i robaki", "pl", "cleanliness", None),
    ("travel", "Po łóżku łaziły jakieś owady", "pl", "cleanliness", "room"),
    ("travel", "Había hormigas por todo el baño", "es", "cleanliness", None),
    ("travel", "Ungeziefer im ganzen Zimmer", "de", "cleanliness", None),
    ("travel", "La recepcionista nous a traités avec mépris, très impoli", "fr", "staff_attitude", None),
    ("travel", "Kelnerzy byli nieuprzejmi i źle traktują gości", "pl", "staff_attitude", None),
    (
        "banking",
        "Still no response on my dispute with Experian after two months",
        "en",
        "credit_bureau_dispute",
        "hard_to_reach",
    ),
    (
        "banking",
        "I wrote a letter asking them to validate the debt and heard nothing",
        "en",
        "debt_collection",
        "statements_notices",
    ),
    ("banking", "I never received a letter about the rate change", "en", "statements_notices", None),
]


@pytest.mark.parametrize("taxonomy,text,lang,theme,neighbour", CASES)
def test_neighbouring_themes(taxonomy, text, lang, theme, neighbour):
    if lang == "th":
        pytest.importorskip("pythainlp")
    got = themes_of(text, lang, taxonomy)
    if theme is not None:
        assert theme in got, got
    if neighbour is not None:
        assert neighbour not in got, got
