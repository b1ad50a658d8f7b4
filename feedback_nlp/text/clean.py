"""Clean a read frame: normalise text, redact PII, flag empty and duplicate rows, identify languages.

>>> import pandas as pd
>>> out = clean(pd.DataFrame({"text": ["Lieferung kam <b>drei Tage</b> zu spät", "n/a"]}))
>>> out[["text", "status", "lang"]].values.tolist()
[['Lieferung kam drei Tage zu spät', nan, 'de'], ['n/a', 'empty', nan]]

What ``clean`` found and changed is summarised, in counts only, in ``out.attrs["clean_report"]``.
Comment text never appears in log lines or exceptions: comments are personal data.
"""

from __future__ import annotations

import copy
import html
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from feedback_nlp.schema import (
    COMMENT_ID,
    CREATED_AT,
    ERROR,
    LANG,
    ROW_NUMBER,
    SOURCE,
    STATUS,
    STATUS_DUPLICATE,
    STATUS_EMPTY,
    STATUS_FAILED,
    SUPPORTED_LANGUAGES,
    TEXT,
    UNDETERMINED,
    require_columns,
)

__all__ = ["clean", "detect_languages", "is_empty_like", "normalize_text", "redact"]

logger = logging.getLogger(__name__)

# Columns clean() guarantees; a hand-built frame gets the missing ones.
_READ_COLUMNS = (COMMENT_ID, ROW_NUMBER, SOURCE, TEXT, LANG, STATUS, ERROR)
# Columns that say where a record sits in an export, not what it says: two rows that differ only
# here are the same record exported twice (overlapping exports, a re-run survey download).
_POSITION_COLUMNS = (COMMENT_ID, ROW_NUMBER, SOURCE, STATUS, ERROR)

# --- text normalisation ----------------------------------------------------------------------

# cp1252/latin-1 renderings of UTF-8 lead bytes followed by a continuation byte ("Ã¶", "Å‚",
# "à¸"): only cells with such a pair are handed to ftfy, which keeps clean text untouched.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00c5\u00ce\u00d0\u00e0-\u00e3]"
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_HTML_TAG_NAMES = (
    "a|abbr|article|aside|audio|b|big|blockquote|body|br|button|caption|center|cite|code|col|"
    "colgroup|dd|del|div|dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]|head|header|"
    "hr|html|i|iframe|img|input|ins|kbd|label|li|link|main|mark|meta|nav|noscript|o:p|object|ol|"
    "option|p|pre|q|s|script|section|select|small|source|span|strike|strong|style|sub|sup|svg|"
    "table|tbody|td|template|textarea|tfoot|th|thead|title|tr|tt|u|ul|video|wbr"
)
# Only known tag names followed by a tag-like end count as markup, so "a < b and c > d", "<3" and
# "Dear <Name>" stay text. Elements whose content is not prose are dropped with their content.
_HTML_DROP = re.compile(
    r"<!--.*?-->|<(script|style|template)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_HTML_BREAK = re.compile(
    r"</?(?:br|p|div|li|tr|h[1-6]|ul|ol|table|blockquote|hr|section|article)\b(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_HTML_TAG = re.compile(rf"</?(?:{_HTML_TAG_NAMES})\b(?:\s[^<>]*)?/?>", re.IGNORECASE)
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# C0/C1 controls except \t \n \r (whitespace, handled below), DEL, zero-width space, BOM, lone
# surrogates (left by undecodable bytes; they cannot be written to Parquet). ZWJ/ZWNJ and bidi
# marks stay: emoji sequences and RTL text need them.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b\ufeff\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r" ?\n[\s]*")


def _normalize(text: str) -> tuple[str, bool, bool, int]:
    """Return (text, mojibake fixed, html stripped, control characters removed)."""
    mojibake = False
    if _MOJIBAKE_HINT.search(text):
        import ftfy  # only a few cells need it

        fixed = ftfy.fix_encoding(text)
        mojibake = fixed != text
        text = fixed
    stripped = False
    if "<" in text or "&" in text:
        new = _HTML_DROP.sub(" ", text)
        new = _HTML_BREAK.sub("\n", new)
        new = _HTML_TAG.sub("", new)
        # unescape after stripping, so that "&lt;b&gt;" ends as the literal text "<b>"
        new = _HTML_ENTITY.sub(lambda m: html.unescape(m.group()), new)
        stripped = new != text
        text = new
    text = _LINE_BREAK.sub("\n", text)
    text, controls = _CONTROL.subn("", text)
    text = unicodedata.normalize("NFC", text)
    text = _NEWLINES.sub("\n", _HSPACE.sub(" ", text)).strip()
    return text, mojibake, stripped, controls


def normalize_text(text: str) -> str:
    """Repair mojibake, strip HTML, drop control characters, NFC, collapse whitespace.

    Line breaks survive as single ``\\n``; emoji, Thai and RTL text are kept as they are.

    >>> normalize_text("  Great&nbsp;service<br>fast   delivery \\x07")
    'Great service\\nfast delivery'
    """
    return _normalize(text)[0]


# --- empty-like answers ----------------------------------------------------------------------

_NON_ANSWERS_RAW = {
    "en": "n/a, na, n.a., none, no, nope, nothing, nil, null, nan, no comment, no comments, "
    "nothing to add, nothing else, nothing to say, nothing really, none really, not applicable, "
    "no idea, don't know, dont know, idk, no opinion, x, xx, xxx",
    "de": "keine, kein, keins, nichts, nein, nix, k.a., k. a., keine angabe, keine angaben, "
    "kein kommentar, keine anmerkungen, keine anmerkung, nichts hinzuzufügen, nichts weiter, "
    "keine ahnung, weiß nicht, weiss nicht",
    "pl": "brak, nic, nie, brak uwag, bez uwag, brak komentarza, nie mam uwag, nie wiem, "
    "nic do dodania, brak zdania",
    "fr": "rien, aucun, aucune, non, sans commentaire, ras, r.a.s., rien à signaler, rien à dire, "
    "pas de commentaire, aucun commentaire, néant, sans objet, je ne sais pas",
    "es": "nada, ninguno, ninguna, no, sin comentarios, sin comentario, ningún comentario, "
    "nada que añadir, nada que decir, nada más, no sé, no lo sé",
    "th": "ไม่มี, ไม่มีครับ, ไม่มีค่ะ, ไม่มีคะ, ไม่มีความคิดเห็น, ไม่มีอะไร, ไม่ทราบ",
}
_EMPTY_KEY_MAX_CHARS = 40  # longer answers are never a bare "no comment"


def _answer_key(text: str) -> str:
    """Casefolded words with punctuation and symbols removed ("K.A." -> "ka"); keeps Thai marks."""
    kept = [
        ch if unicodedata.category(ch)[0] in "LNM" else " "
        for ch in unicodedata.normalize("NFC", text.casefold())
        if unicodedata.category(ch)[0] != "P" or ch in "-/"
    ]
    return " ".join("".join(kept).split())


_NON_ANSWERS = frozenset(
    _answer_key(phrase) for phrases in _NON_ANSWERS_RAW.values() for phrase in phrases.split(", ")
) - {""}
_WORD_CHAR = re.compile(r"[^\W_]")


def is_empty_like(text: str) -> bool:
    """True for answers that say nothing: blank, NA, only punctuation, or "n/a", "keine", "brak".

    Emoji count as an answer ("👍"); "no" alone is empty-like, "No delivery" is not.

    >>> [is_empty_like(t) for t in ["", " - ", "N/A", "Keine Angabe.", "No delivery", "👍"]]
    [True, True, True, True, False, False]
    """
    if text is None or text is pd.NA or (isinstance(text, float) and np.isnan(text)):
        return True
    text = str(text)
    if not _WORD_CHAR.search(text):
        # only punctuation, symbols and spaces, unless there is an emoji or other pictograph
        return not any(unicodedata.category(ch) == "So" for ch in text)
    if len(text) > _EMPTY_KEY_MAX_CHARS:
        return False
    return _answer_key(text) in _NON_ANSWERS


# --- PII redaction ---------------------------------------------------------------------------

PII_KINDS = ("email", "iban", "card", "phone", "order_id")
_PLACEHOLDER = {kind: f"[{kind.upper()}]" for kind in PII_KINDS}
_PLACEHOLDER_RE = re.compile(r"\[(?:EMAIL|IBAN|CARD|PHONE|ORDER_ID)\]")

_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%'-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(
    r"(?<![\w+.,/-])(?:\d{4}[ -]?){3}\d{1,7}(?![\w/]|[.,]\d)"
    r"|(?<![\w+.,/-])\d{4}[ -]?\d{6}[ -]?\d{5}(?![\w/]|[.,]\d)"  # Amex 4-6-5
)
# A number written right after a word for "phone" is a phone number even in an odd format.
_PHONE_CONTEXT = re.compile(
    r"(?i)(?:\b(?:tel|phone|telephone|mobile|cell|whatsapp|call me (?:at|on)|handy|telefon\w*|"
    r"rufnummer|mobil|komórk\w*|komork\w*|téléphone|portable|teléfono|telefono|móvil|movil|"
    r"celular)|โทร|เบอร์)[\s.:,-]*(?:(?:nr|no|number|numer|nummer)\b\.?[\s.:]*)?"
    r"((?:\+|00)?\(?\d[\d ()./-]{5,20}\d)"
)
_PHONE = re.compile(
    r"(?<![\w/.,+-])(?:\+\d{1,3}[ -]?)?(?:\(\d{1,5}\)[ -]?)?\d(?:[ -]?\d){5,14}(?![\w/]|[.,]\d)"
)
_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-\d{4}|\d{1,3}(?: 000)+")
_ORDER_STRONG = (
    r"orders?|order ?(?:number|no|nr|id)|bestellung|bestellnummer|bestell-?nr|auftrag|"
    r"auftragsnummer|sendungsnummer|rechnung|rechnungsnummer|commande|facture|pedido|factura|"
    r"zamówieni[ea]|zamowieni[ea]|faktur[aey]|przesyłk[aiię]|invoice|tracking|suivi|seguimiento"
)
_ORDER_WEAK = r"nr|no|n[°º]|numer|nummer|número|numero|numéro|ref|referenz|référence|referencia"
_ORDER_FILLER = r"(?:\s*(?:number|no\.?|nr\.?|n[°º]|id|numer|nummer|número|numéro|:|-))*\s*#?\s*"
_ORDER_ID_TOKEN = r"([A-Za-z0-9][A-Za-z0-9-]*\d[A-Za-z0-9-]*[A-Za-z0-9]|\d)"
_ORDER_KEYWORD = re.compile(
    rf"(?i)(?:\b(?:{_ORDER_STRONG})\b\.?|ออเดอร์|คำสั่งซื้อ){_ORDER_FILLER}{_ORDER_ID_TOKEN}"
)
_ORDER_WEAK_KEYWORD = re.compile(rf"(?i)(?:\b(?:{_ORDER_WEAK})\b\.?\s*|#\s?){_ORDER_ID_TOKEN}")
_ID_TOKEN = re.compile(r"(?<![\w#])#?(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6,}\b")


def _iban_valid(candidate: str) -> bool:
    code = candidate.replace(" ", "")
    if not 15 <= len(code) <= 34:
        return False
    digits = "".join(str(int(ch, 36)) for ch in code[4:] + code[:4])
    return int(digits) % 97 == 1


def _luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _sub_iban(match: re.Match[str]) -> str | None:
    found = match.group()
    if _iban_valid(found):
        return _PLACEHOLDER["iban"]
    # the optional short last group may have been a neighbouring word's characters
    head, _, tail = found.rpartition(" ")
    if head and len(tail) < 4 and _iban_valid(head):
        return _PLACEHOLDER["iban"] + " " + tail
    return None


def _sub_card(match: re.Match[str]) -> str | None:
    digits = re.sub(r"\D", "", match.group())
    if 13 <= len(digits) <= 19 and digits[0] in "23456" and _luhn_valid(digits):
        return _PLACEHOLDER["card"]
    return None


def _sub_phone(match: re.Match[str]) -> str | None:
    found, rest = match.group(), ""
    # the pattern is greedy: "+49 30 1234567 654321" is a phone number followed by another number
    while sum(ch.isdigit() for ch in found) > 15 and " " in found:
        found, _, tail = found.rpartition(" ")
        rest = " " + tail + rest
    if not 7 <= sum(ch.isdigit() for ch in found) <= 15 or _DATE_LIKE.fullmatch(found):
        return None
    return _PLACEHOLDER["phone"] + rest


def _sub_phone_in_context(match: re.Match[str]) -> str | None:
    number = match.group(1)
    if not 7 <= sum(ch.isdigit() for ch in number) <= 15:
        return None
    return match.group()[: match.start(1) - match.start()] + _PLACEHOLDER["phone"]


def _sub_order(match: re.Match[str], min_len: int) -> str | None:
    token = match.group(1)
    alnum = token.replace("-", "")
    if len(alnum) < min_len:
        return None
    return match.group()[: match.start(1) - match.start()] + _PLACEHOLDER["order_id"]


def _sub_id_token(match: re.Match[str]) -> str | None:
    token = match.group().lstrip("#")
    runs = len(re.findall(r"\d+|[A-Z]+", token))
    n_digits = sum(ch.isdigit() for ch in token)
    # "A1B2C3D4", "B07XJ8C8F5", "DE123456" yes; "COVID19", "RTX4090", "100PLN" no
    if runs >= 3 or (runs == 2 and n_digits >= 5):
        return _PLACEHOLDER["order_id"]
    return None


# (kind, pattern, replacement): earlier rules win, and what they mask is not seen by later ones.
_PII_RULES = (
    ("email", _EMAIL, lambda m: _PLACEHOLDER["email"]),
    ("iban", _IBAN, _sub_iban),
    ("card", _CARD, _sub_card),
    ("phone", _PHONE_CONTEXT, _sub_phone_in_context),
    ("order_id", _ORDER_KEYWORD, lambda m: _sub_order(m, 5)),
    ("order_id", _ORDER_WEAK_KEYWORD, lambda m: _sub_order(m, 6)),
    ("order_id", _ID_TOKEN, _sub_id_token),
    ("phone", _PHONE, _sub_phone),
)
_PII_GATE = re.compile(r"[@\d]")


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Mask e-mail addresses, phone numbers, IBANs, card numbers and order ids.

    Returns the masked text and how many of each kind were masked (kinds with none are left out).
    Scores, prices, dates, durations and short model numbers are kept.

    >>> redact("Order #12345 never came, call me at +49 30 1234567 or mail jo@example.com")
    ('Order #[ORDER_ID] never came, call me at [PHONE] or mail [EMAIL]', {'email': 1, \
'phone': 1, 'order_id': 1})
    """
    counts: dict[str, int] = {}
    if not _PII_GATE.search(text):
        return text, counts
    for kind, pattern, replace in _PII_RULES:
        n = 0

        def _apply(match: re.Match[str], replace=replace) -> str:
            nonlocal n
            new = replace(match)
            if new is None:
                return match.group()
            n += 1
            return new

        text = pattern.sub(_apply, text)
        if n:
            counts[kind] = counts.get(kind, 0) + n
    return text, counts


# --- language identification -----------------------------------------------------------------

_MIN_LETTERS = 3  # "ok", "👍", "10/10" say nothing about their language
_MIN_CONFIDENCE = 0.5  # below: lingua is guessing between languages ("super", "merci", "top")
_MAX_DETECT_CHARS = 1000  # the opening of a long comment identifies it as well as the whole
_THAI = re.compile("[\u0e01-\u0e4e]")
_LANGUAGE_NAMES = {
    "en": "english englisch angielski anglais inglés ingles อังกฤษ ภาษาอังกฤษ eng",
    "de": "german deutsch niemiecki allemand alemán aleman เยอรมัน ภาษาเยอรมัน deu ger",
    "pl": "polish polnisch polski polonais polaco โปแลนด์ ภาษาโปแลนด์ pol",
    "th": "thai thailändisch tajski thaï tailandés tailandes ไทย ภาษาไทย tha",
    "fr": "french französisch francuski français francais francés frances ฝรั่งเศส fra fre",
    "es": "spanish spanisch hiszpański espagnol español espanol castellano สเปน spa",
}
_LANGUAGE_ALIASES = {
    name: code for code, names in _LANGUAGE_NAMES.items() for name in names.split()
}


@lru_cache(maxsize=1)
def _detector():
    """The lingua detector for the supported languages; built once, models load lazily."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [IsoCode639_1.from_str(code) for code in SUPPORTED_LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def release_language_models() -> None:
    """Unload lingua's language models (~150 MB for the six languages); the next language
    identification loads them again. A long run calls this once cleaning is done."""
    if _detector.cache_info().currsize:
        _detector().unload_language_models()
        _detector.cache_clear()


def _language_code(value: object) -> str | None:
    """ISO 639-1 code for a user-supplied language value ("German", "de-DE", "DEU"), or None."""
    if not isinstance(value, str):
        return None
    key = value.strip().casefold().replace("_", "-")
    if not key or key in (UNDETERMINED, "unknown", "other", "-"):
        return None
    if key in _LANGUAGE_ALIASES:
        return _LANGUAGE_ALIASES[key]
    from lingua import IsoCode639_1, IsoCode639_3, Language

    primary = key.split("-")[0]
    try:
        if len(primary) == 2:
            return IsoCode639_1.from_str(primary).name.lower()
        if len(primary) == 3:
            return Language.from_iso_code_639_3(
                IsoCode639_3.from_str(primary)
            ).iso_code_639_1.name.lower()
        return Language.from_str(key).iso_code_639_1.name.lower()
    except ValueError:
        return None


def detect_languages(texts: Sequence[str]) -> list[str]:
    """ISO 639-1 code per text among the supported languages, or ``und`` when it can't be told.

    Thai script is recognised directly; the rest go to lingua in one parallel batch, each
    distinct text once.

    >>> detect_languages(["Die Lieferung kam zu spät.", "ส่งของช้ามาก", "ok", "👍"])
    ['de', 'th', 'und', 'und']
    """
    result = [UNDETERMINED] * len(texts)
    pending: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            continue
        text = _PLACEHOLDER_RE.sub(" ", text)[:_MAX_DETECT_CHARS]
        n_letters = len(_WORD_CHAR.findall(text)) - sum(ch.isdigit() for ch in text)
        n_thai = len(_THAI.findall(text))
        if n_thai >= 2 and 4 * n_thai >= n_letters:  # Thai with English brand names
            result[i] = "th"
        elif n_letters >= _MIN_LETTERS:
            pending.setdefault(text, []).append(i)
    if pending:
        batch = list(pending)
        values = _detector().compute_language_confidence_values_in_parallel(batch)
        for text, confidences in zip(batch, values):
            best = confidences[0] if confidences else None
            if best is not None and best.value >= _MIN_CONFIDENCE:
                code = best.language.iso_code_639_1.name.lower()
                for i in pending[text]:
                    result[i] = code
    return result


# --- the frame -------------------------------------------------------------------------------


def _ids_mapped(report: object) -> bool | None:
    """Whether read_feedback() mapped an id column in any input file; None when unknown."""
    reports = [report] if isinstance(report, dict) else report
    if not isinstance(reports, list) or not all(isinstance(r, dict) for r in reports):
        return None
    if not reports or not all(isinstance(r.get("mapping"), dict) for r in reports):
        return None
    return any(r["mapping"].get(COMMENT_ID) for r in reports)


def _respondent_ids(df: pd.DataFrame) -> list[str | None]:
    """Per row, the export's own respondent id, or None where there is none (generated ids).

    read_feedback() generates ``<source>:<row_number>`` where a file has no id, and keeps ids
    unique: ``#<row_number>`` after an id repeated within a file, ``<source>[#k]:`` before ids
    that collide with an earlier file's. A record exported twice must still match itself, so
    those decorations are undone here.
    """
    n = len(df)
    if COMMENT_ID not in df.columns or _ids_mapped(df.attrs.get("read_report")) is False:
        return [None] * n
    if df[COMMENT_ID].astype(str).tolist() == [str(i) for i in range(n)]:
        return [None] * n  # positions, as clean() numbers a hand-built frame: not respondents
    sources = df[SOURCE].tolist() if SOURCE in df.columns else [None] * n
    rows = df[ROW_NUMBER].tolist() if ROW_NUMBER in df.columns else [None] * n
    keys: list[str | None] = []
    for cid, source, row in zip(df[COMMENT_ID].tolist(), sources, rows):
        if cid is None or cid is pd.NA or (isinstance(cid, float) and np.isnan(cid)):
            keys.append(None)
            continue
        key = str(cid)
        source = source if isinstance(source, str) else None
        try:
            row = int(row)
        except (TypeError, ValueError):
            row = None
        generated = f"{source}:{row}" if source is not None and row is not None else None
        if source is not None and key != generated:
            prefix = re.match(re.escape(source) + r"(?:#\d+)?:", key)
            if prefix and prefix.end() < len(key):
                key = key[prefix.end() :]
        if row is not None and key != generated:
            suffix = f"#{row}"
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
        keys.append(None if key == generated else key)
    return keys


def _with_read_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with the read-stage canonical columns first; missing ones added."""
    out = df.copy()
    n = len(out)
    if COMMENT_ID not in out.columns:
        out[COMMENT_ID] = pd.Series([str(i) for i in range(n)], index=out.index, dtype="str")
    if ROW_NUMBER not in out.columns:
        out[ROW_NUMBER] = np.arange(1, n + 1, dtype="int64")
    for column in (SOURCE, LANG, STATUS, ERROR):
        if column not in out.columns:
            out[column] = pd.Series([None] * n, index=out.index, dtype="str")
    first = [c for c in _READ_COLUMNS if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]]


def _duplicated(key: pd.DataFrame) -> pd.Series:
    try:
        return key.duplicated(keep="first")
    except TypeError:  # unhashable cells (lists, dicts) in a user column
        return key.astype(str).duplicated(keep="first")


def clean(df: pd.DataFrame, *, redact_pii: bool = False) -> pd.DataFrame:
    """Normalise text and flag rows that need no analysis; returns a new frame.

    - ``text``: mojibake repaired, HTML stripped, control characters removed, NFC, whitespace
      collapsed; with ``redact_pii`` e-mails, phones, IBANs, cards and order ids are masked first.
    - ``status``: ``failed`` rows stay failed; ``empty`` for blank or "n/a"-like answers;
      ``duplicate`` for repeats of an earlier row: the same respondent id and the same text; in
      an export without ids, the same text, date and every other column (undated rows without
      ids are never flagged). Other rows keep a missing status for ``analyze()``.
    - ``lang``: user-supplied values normalised to ISO 639-1; others identified, ``und`` when
      too short or unclear.

    ``out.attrs["clean_report"]`` holds counts of all of this (JSON-ready); other attrs are kept.

    >>> clean(pd.DataFrame({"text": ["Great service", "-"]}))["status"].tolist()
    [nan, 'empty']
    """
    require_columns(df, [TEXT], what="clean()")
    respondent = _respondent_ids(df)
    out = _with_read_columns(df)
    n = len(out)

    counts: Counter[str] = Counter()
    pii: Counter[str] = Counter()
    normalized: list[str | None] = []  # before redaction: the duplicate key
    texts: list[str | None] = []
    for value in out[TEXT].tolist():
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            normalized.append(None)
            texts.append(None)
            continue
        text, mojibake, stripped, controls = _normalize(str(value))
        counts["mojibake_fixed"] += mojibake
        counts["html_stripped"] += stripped
        counts["control_chars_removed"] += controls
        normalized.append(text)
        if redact_pii:
            text, found = redact(text)
            pii.update(found)
        texts.append(text)
    out[TEXT] = pd.Series(texts, index=out.index, dtype="str")

    failed = np.array([s == STATUS_FAILED for s in out[STATUS].tolist()], dtype=bool)
    empty = ~failed & np.array([is_empty_like(t) for t in texts], dtype=bool)
    duplicate = np.zeros(n, dtype=bool)
    eligible = ~failed & ~empty
    norm = pd.Series(normalized, index=out.index, dtype="object")
    with_id = eligible & np.array([k is not None for k in respondent], dtype=bool)
    if with_id.any():
        # the same respondent's same answer: a record exported twice (score edits may differ)
        key = pd.DataFrame({COMMENT_ID: respondent, TEXT: norm}, index=out.index)
        duplicate[with_id] = _duplicated(key[with_id]).to_numpy()
    # Without respondent ids, only a whole record that repeats, date included, is a re-export:
    # two customers may well both write "Great service" and give a 10 (no date: never flagged).
    dated = out[CREATED_AT].notna().to_numpy() if CREATED_AT in out.columns else np.zeros(n, bool)
    by_content = eligible & ~with_id & dated
    if by_content.any():
        key = df[[c for c in df.columns if c not in _POSITION_COLUMNS]].copy()
        key[TEXT] = norm
        duplicate[by_content] = _duplicated(key[by_content]).to_numpy()
    status = np.where(failed, STATUS_FAILED, None).astype(object)
    status[empty] = STATUS_EMPTY
    status[duplicate] = STATUS_DUPLICATE
    out[STATUS] = pd.Series(status, index=out.index, dtype="str")

    langs = [_language_code(v) for v in out[LANG].tolist()]
    to_detect = [i for i in np.flatnonzero(eligible | duplicate) if langs[i] is None]
    for i, code in zip(to_detect, detect_languages([texts[i] for i in to_detect])):
        langs[i] = code
    out[LANG] = pd.Series(langs, index=out.index, dtype="str")

    status_counts = Counter(s for s in status if s is not None)
    out.attrs = copy.deepcopy(df.attrs)  # a nested read_report must not be shared
    out.attrs["clean_report"] = {
        "rows": int(n),
        "mojibake_fixed": int(counts["mojibake_fixed"]),
        "html_stripped": int(counts["html_stripped"]),
        "control_chars_removed": int(counts["control_chars_removed"]),
        "pii_redacted": ({kind: int(pii[kind]) for kind in PII_KINDS} if redact_pii else {}),
        "status": {
            s: int(status_counts[s]) for s in (STATUS_EMPTY, STATUS_DUPLICATE, STATUS_FAILED)
        },
        "languages": dict(sorted((k, int(v)) for k, v in Counter(filter(None, langs)).items())),
    }
    logger.info(
        "cleaned %d rows: %d empty, %d duplicate, %d failed, %d PII masks",
        n,
        status_counts[STATUS_EMPTY],
        status_counts[STATUS_DUPLICATE],
        status_counts[STATUS_FAILED],
        sum(pii.values()),
    )
    return out
