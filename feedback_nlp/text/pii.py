"""PII redaction: e-mail addresses, phone numbers, IBANs, card numbers and order ids masked
with placeholders ("[EMAIL]", "[PHONE]", ...), counted per kind.
"""

from __future__ import annotations

import re

__all__ = ["redact"]

PII_KINDS = ("email", "iban", "card", "phone", "order_id")
_PLACEHOLDER = {kind: f"[{kind.upper()}]" for kind in PII_KINDS}
PLACEHOLDER_RE = re.compile(r"\[(?:EMAIL|IBAN|CARD|PHONE|ORDER_ID)\]")

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
