"""Text normalisation: mojibake repair, HTML and control-character stripping, NFC, whitespace.

>>> normalize_text("Lieferung kam <b>drei Tage</b> zu spät")
'Lieferung kam drei Tage zu spät'
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["normalize_text"]

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


def normalize(text: str) -> tuple[str, bool, bool, int]:
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
    return normalize(text)[0]
