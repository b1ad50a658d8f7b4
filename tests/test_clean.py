"""clean(): text normalisation, empty/duplicate flags, language id, PII redaction."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import pandas as pd
import pytest

from feedback_nlp.errors import SchemaError
from feedback_nlp.schema import (
    COMMENT_ID,
    LANG,
    ROW_NUMBER,
    SOURCE,
    STATUS,
    STATUS_DUPLICATE,
    STATUS_EMPTY,
    STATUS_FAILED,
    TEXT,
    UNDETERMINED,
)
from feedback_nlp.text.clean import clean
from feedback_nlp.text.empty import is_empty_like
from feedback_nlp.text.language import (
    detect_languages,
    identify_languages,
    release_language_models,
)
from feedback_nlp.text.normalize import normalize_text
from feedback_nlp.text.pii import redact


def read_like(texts, *, source="survey.csv", ids=None, **columns):
    """A frame shaped like read_feedback()'s output: generated ids unless `ids` are given."""
    n = len(texts)
    rows = list(range(1, n + 1))
    frame = pd.DataFrame(
        {
            COMMENT_ID: ids if ids is not None else [f"{source}:{r}" for r in rows],
            ROW_NUMBER: rows,
            SOURCE: [source] * n,
            TEXT: texts,
            LANG: [None] * n,
            STATUS: [None] * n,
            **columns,
        }
    )
    frame.attrs["read_report"] = {"rows": n}
    return frame


# --- normalize_text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Great <b>service</b></p>", "Great service"),
        ("Fast<br>delivery<br/>thanks", "Fast\ndelivery\nthanks"),
        ("Fish &amp; chips &lt;3 &nbsp;ok", "Fish & chips <3 ok"),
        ("&lt;b&gt;not a tag", "<b>not a tag"),  # escaped markup is text once unescaped
        ("Hi <script>alert(1)</script>there", "Hi there"),
        ("<!-- export note -->Nice", "Nice"),
        ("a < b and c > d", "a < b and c > d"),
        ("I <3 this shop", "I <3 this shop"),
        ("Dear <Name>, thanks", "Dear <Name>, thanks"),
    ],
)
def test_normalize_text_strips_html_only_where_there_is_html(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_text_controls_whitespace_and_unicode_forms():
    assert normalize_text("ok\x00\x07 \u200bfine\ufeff") == "ok fine"
    assert normalize_text("  line one\r\n\r\n  line\ttwo   end  ") == "line one\nline two end"
    assert normalize_text("cafe\u0301") == "caf\u00e9"  # NFC
    assert normalize_text("Die Lieferung war schnell, aber die GrÃ¶ÃŸe passt nicht") == (
        "Die Lieferung war schnell, aber die Größe passt nicht"
    )


@pytest.mark.parametrize(
    "text",
    [
        "ส่งของช้ามาก แต่คุณภาพดี",
        "שלום, המשלוח הגיע מהר",
        "Love it 😍👍🏽 👨‍👩‍👧",
        "Świetna obsługa, dziękuję!",
    ],
)
def test_normalize_text_keeps_scripts_and_emoji(text):
    assert normalize_text(text) == text


# --- is_empty_like -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", None, pd.NA, float("nan"), "-", ".", "...", "?", "!!!", "*/*",
        # en
        "n/a", "N/A", "NA", "none", "No", "no.", "nothing", "Nil", "null", "No comment",
        "no comments!", "Nothing to add",
        # de
        "keine", "Kein", "nichts", "Nein", "k.A.", "Keine Angabe",
        # pl
        "brak", "Nic", "brak uwag", "nie",
        # fr
        "rien", "Aucun", "non", "Sans commentaire", "RAS",
        # es
        "nada", "Ninguno", "ninguna", "Sin comentarios",
        # th
        "ไม่มี", "ไม่มีครับ",
    ],
)  # fmt: skip
def test_empty_like_answers(text):
    assert is_empty_like(text)


@pytest.mark.parametrize(
    "text",
    ["No delivery", "Nothing arrived", "nein danke, zu teuer", "Brak rozmiaru M", "👍", "ok",
     "10", "Rien ne marche", "Nada llegó a tiempo", "ไม่มีของ"],
)  # fmt: skip
def test_real_answers_are_not_empty_like(text):
    assert not is_empty_like(text)


# --- redact ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked", "kind"),
    [
        ("mail me at jan.kowalski+shop@example.co.uk pls", "mail me at [EMAIL] pls", "email"),
        ("call +49 30 1234567 tomorrow", "call [PHONE] tomorrow", "phone"),
        ("my number is (555) 123-4567.", "my number is [PHONE].", "phone"),
        ("zadzwońcie 0048 600 123 456", "zadzwońcie [PHONE]", "phone"),
        ("Telefon: 030/1234567", "Telefon: [PHONE]", "phone"),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN] please", "iban"),
        ("to DE89370400440532013000.", "to [IBAN].", "iban"),
        ("card 4111 1111 1111 1111 charged twice", "card [CARD] charged twice", "card"),
        ("4111-1111-1111-1111", "[CARD]", "card"),
        ("order #12345 never came", "order #[ORDER_ID] never came", "order_id"),
        ("Bestellnummer 123456789 fehlt", "Bestellnummer [ORDER_ID] fehlt", "order_id"),
        ("zamówienie nr 1234567 nie dotarło", "zamówienie nr [ORDER_ID] nie dotarło", "order_id"),
        ("commande n° 99887766", "commande n° [ORDER_ID]", "order_id"),
        ("Mi pedido 7845123 no llegó", "Mi pedido [ORDER_ID] no llegó", "order_id"),
        ("ticket #A1B2C3D4 open", "ticket #[ORDER_ID] open", "order_id"),
        ("parcel B07XJ8C8F5 lost", "parcel [ORDER_ID] lost", "order_id"),
    ],
)
def test_redact_masks_pii(text, masked, kind):
    assert redact(text) == (masked, {kind: 1})


def test_redact_checks_iban_and_card_checksums():
    # wrong IBAN check digits and a non-Luhn 16-digit number are not masked as IBAN / card
    assert "iban" not in redact("DE00 3704 0044 0532 0130 00")[1]
    assert "card" not in redact("1234 5678 9012 3456")[1]


@pytest.mark.parametrize(
    "text",
    [
        "10/10 would buy again", "took 2 weeks", "3 days late", "paid €49.99 for shipping",
        "delivered 12.03.2024", "5 stars", "model XR500 broke", "ordered on 2024-03-12",
        "RTX4090 and COVID19", "1h30min on hold", "it cost 1 299 zł", "my order 2 weeks late",
        "Größe 38 statt 40", "8:30-17:00", "4.5/5", "#1 shop", "12/03/2024",
    ],
)  # fmt: skip
def test_redact_keeps_numbers_that_are_not_pii(text):
    assert redact(text) == (text, {})


# --- detect_languages --------------------------------------------------------------------------

SENTENCES = {
    "en": [
        "The parcel arrived three days late and the box was crushed.",
        "Customer service never answered my emails about the refund.",
        "Great quality jacket, fits perfectly and shipping was fast.",
        "The app keeps crashing when I try to pay at checkout.",
        "Colours look nothing like the photos on the website.",
    ],
    "de": [
        "Die Lieferung kam drei Tage zu spät und der Karton war beschädigt.",
        "Der Kundenservice hat nie auf meine E-Mails geantwortet.",
        "Sehr gute Qualität, die Jacke passt perfekt.",
        "Die App stürzt beim Bezahlen jedes Mal ab.",
        "Die Rücksendung war kompliziert und die Erstattung dauerte Wochen.",
    ],
    "pl": [
        "Paczka przyszła uszkodzona, a kurier zostawił ją pod drzwiami.",
        "Zwrot pieniędzy trwał ponad trzy tygodnie.",
        "Bardzo dobra jakość, sukienka leży idealnie.",
        "Aplikacja zawiesza się przy płatności.",
        "Obsługa klienta była bardzo pomocna i miła.",
    ],
    "th": [
        "ส่งของช้ามาก รอเกือบสองสัปดาห์",
        "กล่องพัสดุเสียหาย เสื้อเปื้อนด้วย",
        "คุณภาพดีมาก ใส่สบาย จะสั่งอีกแน่นอน",
        "แอปค้างตอนจ่ายเงิน ลองหลายครั้งแล้ว",
        "พนักงานบริการดี ตอบเร็ว",
    ],
    "fr": [
        "Le colis est arrivé avec une semaine de retard.",
        "Le service client ne répond jamais au téléphone.",
        "Très bonne qualité, la robe taille parfaitement.",
        "Le remboursement a pris plus d'un mois.",
        "Les couleurs ne correspondent pas du tout aux photos.",
    ],
    "es": [
        "El pedido llegó una semana tarde y la caja estaba rota.",
        "El servicio de atención al cliente nunca contestó mis correos.",
        "Muy buena calidad, la chaqueta me queda perfecta.",
        "La aplicación se cierra cada vez que intento pagar.",
        "El reembolso tardó casi un mes en llegar.",
    ],
}


def test_detect_languages_on_real_sentences():
    texts = [t for sentences in SENTENCES.values() for t in sentences]
    gold = [lang for lang, sentences in SENTENCES.items() for _ in sentences]
    predicted = detect_languages(texts)
    for lang in SENTENCES:
        pairs = [(g, p) for g, p in zip(gold, predicted) if g == lang]
        correct = sum(g == p for g, p in pairs)
        assert correct / len(pairs) >= 0.9, (lang, [p for _, p in pairs])


def test_language_models_can_be_released_and_load_again():
    texts = ["Die Lieferung kam zwei Tage zu spät.", "La livraison est arrivée en retard."]
    first = detect_languages(texts)
    release_language_models()
    release_language_models()  # a second release is harmless
    assert detect_languages(texts) == first == ["de", "fr"]


def test_detect_languages_says_und_when_it_cannot_tell():
    assert detect_languages(["ok", "👍", "10/10", "", "!!", "[EMAIL]"]) == [UNDETERMINED] * 6
    assert detect_languages(["ส่งเร็ว", "แอป crash ตอน checkout ทุกครั้งเลย"]) == ["th", "th"]


ENGLISH_EXPORT = SENTENCES["en"] + [
    "The engineer never came and nobody called us back.",
    "Our bill went up again without any notice at all.",
]


def test_short_comments_in_an_english_export_read_as_english():
    short = ["Terrible service", "Late installation", "Excellent service"]
    # read alone, lingua calls them French: the prior is what makes them English
    assert identify_languages(short, prior=False).codes != ["en"] * 3
    found = identify_languages(ENGLISH_EXPORT + short + ["👍", "10/10"])
    assert found.codes == ["en"] * (len(ENGLISH_EXPORT) + 3) + [UNDETERMINED] * 2
    assert found.by_prior >= 2


def test_a_mixed_export_keeps_each_comments_language():
    texts = SENTENCES["de"] + SENTENCES["en"] + SENTENCES["pl"]
    short = ["Sehr gut", "Bardzo dobrze", "Billing issues", "👍"]
    codes = identify_languages(texts + short).codes
    assert codes[-4:] == ["de", "pl", "en", UNDETERMINED]
    assert codes[:-4] == detect_languages(texts)


def test_a_clear_other_language_is_not_overridden_by_the_prior():
    # one German answer in an English export: lingua's "en" is implausible (0.07), so it stays
    assert identify_languages(ENGLISH_EXPORT + ["Sehr gut", "Zu teuer"]).codes[-2:] == ["de", "de"]


def test_the_prior_is_per_file_and_per_respondent():
    texts = SENTENCES["en"] + SENTENCES["fr"] + ["Excellent service", "Excellent service"]
    files = ["en.csv"] * 5 + ["fr.csv"] * 5 + ["en.csv", "fr.csv"]
    assert identify_languages(texts, files=files).codes[-2:] == ["en", "fr"]
    # an English file, but this respondent's other answer is French
    texts = ENGLISH_EXPORT + ["Excellent service", "Livraison très lente, colis abîmé."]
    respondents = [None] * len(ENGLISH_EXPORT) + ["r1", "r1"]
    assert identify_languages(texts).codes[-2:] == ["en", "fr"]
    assert identify_languages(texts, respondents=respondents).codes[-2:] == ["fr", "fr"]


def test_clean_counts_languages_decided_by_the_prior():
    df = read_like(ENGLISH_EXPORT + ["Terrible service", "Late installation", "👍"])
    out = clean(df)
    assert out[LANG].tolist()[:-1] == ["en"] * (len(ENGLISH_EXPORT) + 2)
    assert out[LANG].iloc[-1] == UNDETERMINED
    assert out.attrs["clean_report"]["languages_by_prior"] >= 1


# --- clean -------------------------------------------------------------------------------------


def test_clean_hand_built_frame_gets_canonical_columns():
    df = pd.DataFrame({"text": ["Great service and fast delivery", "n/a"], "score": [10, 7]})
    out = clean(df)
    assert list(out.columns[:7]) == [COMMENT_ID, ROW_NUMBER, SOURCE, TEXT, LANG, STATUS, "error"]
    assert out[COMMENT_ID].tolist() == ["0", "1"]
    assert out[ROW_NUMBER].tolist() == [1, 2]
    assert out["score"].tolist() == [10, 7]
    assert out[STATUS].isna().iloc[0] and out[STATUS].iloc[1] == STATUS_EMPTY
    assert out[LANG].iloc[0] == "en" and pd.isna(out[LANG].iloc[1])


def test_clean_requires_text_column():
    with pytest.raises(SchemaError, match="text"):
        clean(pd.DataFrame({"comment": ["hi"]}))


def test_clean_does_not_mutate_input_and_keeps_attrs():
    df = read_like(["<b>Late</b> delivery, call +49 30 1234567", "-"], score=[2, 5])
    before = df.copy()
    out = clean(df, redact_pii=True)
    pd.testing.assert_frame_equal(df, before)
    assert df.attrs == {"read_report": {"rows": 2}}
    assert out.attrs["read_report"] == {"rows": 2}
    assert out[TEXT].iloc[0] == "Late delivery, call [PHONE]"


def test_clean_report_counts_and_is_json_ready():
    df = read_like(
        [
            "<p>Die Lieferung kam zu spät</p>",
            "Paczka\x00 dotarła uszkodzona, zamówienie nr 1234567",
            "n/a",
            None,
            "Mail me: anna@example.com or +48 600 123 456",
        ]
    )
    df.loc[3, STATUS] = STATUS_FAILED
    report = clean(df, redact_pii=True).attrs["clean_report"]
    assert json.loads(json.dumps(report)) == report
    assert report["html_stripped"] == 1
    assert report["control_chars_removed"] == 1
    assert report["pii_redacted"] == {"email": 1, "iban": 0, "card": 0, "phone": 1, "order_id": 1}
    assert report["status"] == {"empty": 1, "duplicate": 0, "failed": 1}
    assert report["languages"]["de"] == 1 and report["languages"]["pl"] == 1
    assert clean(df).attrs["clean_report"]["pii_redacted"] == {}


def test_clean_keeps_failed_rows_failed():
    df = read_like(["Good", None, "Great shop"])
    df.loc[1, STATUS] = STATUS_FAILED
    df.loc[1, "error"] = "row 2: malformed quoting"
    out = clean(df)
    assert out[STATUS].tolist()[1] == STATUS_FAILED
    assert out["error"].iloc[1] == "row 2: malformed quoting"


def test_duplicates_without_ids_need_the_whole_record_to_repeat():
    texts = ["Great service", "Great service", "Great service", "Slow refund", "Slow refund"]
    dates = pd.to_datetime(["2026-05-01", "2026-05-02", "2026-05-02", "2026-06-01", "2026-06-01"])
    df = read_like(texts, score=[10, 10, 9, 3, 3], created_at=dates)
    out = clean(df)
    # rows 1-3 are three customers (other date or score); row 5 re-exports row 4
    assert out[STATUS].fillna("").tolist() == ["", "", "", "", STATUS_DUPLICATE]


def test_duplicates_across_overlapping_exports_without_ids():
    day = pd.Timestamp("2026-05-01 10:31")
    a = read_like(
        ["Parcel was damaged", "Fast delivery"],
        source="q1.csv",
        score=[2, 10],
        created_at=[day, day],
    )
    b = read_like(
        ["Fast delivery", "Sizes run small"], source="q2.csv", score=[10, 6], created_at=[day, day]
    )
    out = clean(pd.concat([a, b], ignore_index=True))
    assert out[STATUS].fillna("").tolist() == ["", "", STATUS_DUPLICATE, ""]


def test_undated_rows_without_ids_are_never_duplicates():
    # text and score alone cannot tell a re-export from two customers who wrote the same words
    out = clean(read_like(["Great service", "Great service"], score=[10, 10]))
    assert out[STATUS].isna().all()


def test_duplicates_with_respondent_ids():
    texts = ["Great service", "Great service", "Great  service", "Other text", "n/a", "n/a"]
    ids = ["R1", "R2", "R1", "R1", "R3", "R3"]
    out = clean(read_like(texts, ids=ids, score=[10, 10, 9, 9, 5, 5]))
    # same id + same normalised text (score may differ: a re-export after an edit of the score);
    # empty answers stay empty rather than duplicate
    assert out[STATUS].fillna("").tolist() == ["", "", STATUS_DUPLICATE, "", "empty", "empty"]


def test_duplicates_see_through_the_readers_unique_ids():
    # read_feedback() keeps comment_id unique: "#<row_number>" after an id repeated in a file,
    # "<source>:" before an id that an earlier file already had
    a = read_like(["Late again", "Great service", "Late again"], ids=["R1", "R2", "R1#3"])
    b = read_like(["Great service", "Sizes too small"], source="q2.csv", ids=["q2.csv:R2", "R9"])
    out = clean(pd.concat([a, b], ignore_index=True))
    assert out[STATUS].fillna("").tolist() == ["", "", STATUS_DUPLICATE, STATUS_DUPLICATE, ""]


def test_generated_ids_are_not_respondent_ids():
    # two customers, same words, no id column in the export: ids "survey.csv:1", "survey.csv:2"
    df = read_like(["Great service", "Great service"], score=[10, 9])
    df.attrs["read_report"] = [{"source": "survey.csv", "mapping": {TEXT: "Comment"}}]
    assert clean(df)[STATUS].isna().all()


def test_user_languages_are_normalised_and_the_rest_detected():
    df = read_like(
        ["Lieferung zu spät", "Bardzo dobra jakość", "ok", "La livraison était rapide", "-"],
    )
    df[LANG] = ["German", "pl-PL", None, "FR", "de"]
    out = clean(df)
    assert out[LANG].tolist()[:4] == ["de", "pl", UNDETERMINED, "fr"]
    assert out[LANG].iloc[4] == "de"  # kept even on an empty answer


def test_clean_detects_languages_and_und_for_short_answers():
    out = clean(pd.DataFrame({"text": [*(s[0] for s in SENTENCES.values()), "ok", "👍"]}))
    assert out[LANG].tolist() == [*SENTENCES, UNDETERMINED, UNDETERMINED]
    assert out[STATUS].isna().all()  # "ok" and "👍" are answers, not empty


def test_redaction_happens_before_duplicates_and_languages_see_the_text():
    df = pd.DataFrame({"text": ["Order #A1B2C3D4 arrived broken, write to jo@example.org"]})
    out = clean(df, redact_pii=True)
    assert out[TEXT].iloc[0] == "Order #[ORDER_ID] arrived broken, write to [EMAIL]"
    assert out[LANG].iloc[0] == "en"


def test_comment_text_is_not_logged(caplog):
    secret = "My neighbour Jan Kowalski took my parcel"
    with caplog.at_level(logging.DEBUG, logger="feedback_nlp"):
        clean(pd.DataFrame({"text": [secret, secret]}), redact_pii=True)
    assert caplog.records and all("Kowalski" not in r.getMessage() for r in caplog.records)


# --- the bundled sample export -----------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "nps_sample.csv"


def test_sample_export_is_what_make_sample_writes(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_sample", ROOT / "scripts" / "make_sample.py"
    )
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    make_sample.write_csv(make_sample.build_rows(), tmp_path / "sample.csv")
    assert (tmp_path / "sample.csv").read_bytes() == SAMPLE.read_bytes()  # regenerate, never edit


def test_sample_export_cleans_as_documented():
    raw = pd.read_csv(SAMPLE, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert SAMPLE.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(raw) >= 360
    assert raw["Date"].str[:7].nunique() == 6
    comments = raw["Why did you give this score?"]
    assert comments.str.len().max() > 2000
    assert comments.str.contains("<script>", regex=False).sum() == 1
    assert comments.str.contains("<br>", regex=False).sum() == 1
    frame = pd.DataFrame(
        {
            COMMENT_ID: raw["Response ID"],
            TEXT: comments,
            "score": raw.iloc[:, 3],
            "date": raw["Date"],
        }
    )
    out = clean(frame, redact_pii=True)
    report = out.attrs["clean_report"]
    assert report["status"]["duplicate"] == 1
    assert report["status"]["empty"] >= 20
    assert report["mojibake_fixed"] == 1
    assert report["pii_redacted"]["email"] == 1 and report["pii_redacted"]["phone"] == 1
    mix = out.loc[out[STATUS].isna(), LANG].value_counts(normalize=True)
    target = {"en": 0.35, "de": 0.15, "pl": 0.15, "th": 0.10, "fr": 0.12, "es": 0.13}
    assert all(abs(mix.get(lang, 0) - share) < 0.03 for lang, share in target.items()), mix


def test_clean_is_idempotent():
    df = pd.DataFrame({"text": ["Great service", "Great service", "Lieferung zu spät", "n/a"]})
    once = clean(df)
    pd.testing.assert_frame_equal(clean(once), once)
