"""Turning an export's bytes into the text its author typed.

Two separate problems live here. ``decode_bytes`` picks the encoding of a whole file: exports
come as UTF-8 (with or without BOM), UTF-16 (Google Play), or a legacy Windows code page when
someone re-saved the file in Excel. ``repair_text`` fixes single cells that were already
garbled before the export was made (mojibake), which no choice of file encoding can undo.

Both must leave correct text alone: a Thai, Polish or Chinese comment that is already right is
worth more than a clever fix of a rare broken one.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
from ftfy import chardata

from feedback_nlp.errors import EncodingError, InputFileError

# Legacy code pages we consider when a file is not UTF-8, in order of preference on a tie:
# Western European first (most exports), then Central European (Polish), Cyrillic, Thai.
LEGACY_CANDIDATES = ("cp1252", "cp1250", "iso8859_2", "cp1251", "cp874", "latin_1")

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)

# Signatures of binary files that users rename to .csv by mistake, with the fix to suggest.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive; if it is an Excel workbook, rename it to .xlsx"),
    (b"PAR1", "a Parquet file: rename it to .parquet"),
    (b"%PDF", "a PDF document: export the data as CSV instead"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive: unpack it first"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook: save it as .xlsx or CSV"),
    (b"SQLite format 3", "an SQLite database"),
)

# Letters that the supported languages (and their neighbours) use; anything else that a legacy
# decoding produces counts against that decoding.
_EXPECTED_LATIN = set(
    "äöüßÄÖÜéèêëàâáçîïíìôóòûúùñœæÉÈÊËÀÂÁÇÎÏÍÔÓÒÛÚÙÑŒąćęłńśźżĄĆĘŁŃŚŹŻčďěňřšťůžýČĎĚŇŘŠŤŮŽÝőűŐŰ"
)
_ALLOWED_PUNCT = set("€–—„“”‘’‚…«»°§¡¿·•×½¼\u00a0")


def _mojibake_precheck() -> re.Pattern[str]:
    """A fast necessary condition for ftfy.fix_encoding to change a text.

    ftfy only rewrites text that, re-encoded in one of its single-byte code pages, yields a
    UTF-8 lead byte followed by a continuation byte (or a space/'?' standing in for a lost one),
    that its own UTF-8 detector flags, or that holds C1 controls. One regex for that spares the
    ftfy call on most cells (German, Polish, Thai, CJK text that is fine).
    """
    import ftfy.bad_codecs  # noqa: F401  (registers the sloppy-windows-* codecs)

    def klass(chars: set[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    pairs = set()
    for encoding in chardata.CHARMAP_ENCODINGS:
        leads = set(bytes(range(0xC0, 0xF8)).decode(encoding, errors="ignore"))
        conts = set(bytes(range(0x80, 0xC0)).decode(encoding, errors="ignore")) | set(" ?\ufffd")
        pairs.add(klass(leads) + klass(conts))
    return re.compile("|".join(["[\x80-\x9f]", *sorted(pairs)]))


_MAYBE_MOJIBAKE = _mojibake_precheck()
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _script(ch: str) -> str:
    o = ord(ch)
    if o < 0x250:
        return "latin"
    if 0x370 <= o < 0x400:
        return "greek"
    if 0x400 <= o < 0x530:
        return "cyrillic"
    if 0x590 <= o < 0x700:
        return "rtl"
    if 0xE00 <= o < 0xE80:
        return "thai"
    return "other"


def implausibility(text: str, limit: int = 2_000_000) -> int:
    """Score how unlikely a decoding is (0 = every non-ASCII character fits a real language).

    Wrong code pages betray themselves by C1 control characters, symbols in the middle of words
    (cp1250 Polish read as cp1252 gives ``Za¿ó³æ``), letters of two scripts in one word and
    capitals after lowercase letters.
    """
    bad = 0
    sample = text[:limit]
    for m in re.finditer(r"[^\x00-\x7f]", sample):
        i = m.start()
        ch = m.group()
        prev = sample[i - 1] if i else " "
        nxt = sample[i + 1] if i + 1 < len(sample) else " "
        cat = unicodedata.category(ch)
        if "\x80" <= ch <= "\x9f":
            bad += 10
        elif cat[0] == "L":
            script = _script(ch)
            if script == "latin" and ch not in _EXPECTED_LATIN:
                bad += 1
            if prev.isalpha() and _script(prev) != script:
                bad += 3
            if ch.isupper() and prev.islower():
                bad += 2
        elif cat[0] == "M":
            if not prev.isalpha():
                bad += 2
        elif ch == "’":
            continue
        else:
            inside_word = prev.isalpha() and nxt.isalpha()
            bad += (0 if ch in _ALLOWED_PUNCT else 2) + (3 if inside_word else 0)
    return bad


def _binary_error(name: str, what: str) -> EncodingError:
    return EncodingError(
        f"{name}: expected a text file (CSV/TSV), found binary data ({what}). "
        "Check that you picked the right file, or export it again as CSV (UTF-8)."
    )


def decode_bytes(data: bytes, name: str) -> tuple[str, str, str | None]:
    """Decode a text export; return (text, encoding, note) where note flags a low-confidence guess.

    Order matters: a BOM is proof, strict UTF-8 almost is (legacy text is rarely valid UTF-8),
    and only then do we guess among legacy code pages, keeping the guess whose text is most
    plausible (charset-normalizer alone misreads short German text as cp1250 or cp1006).
    """
    if not data.strip():
        raise InputFileError(f"{name}: the file is empty (expected a header row and data rows).")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise _binary_error(name, what)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                raise EncodingError(
                    f"{name}: starts with a {encoding} byte-order mark but byte {exc.start} is not "
                    f"valid {encoding}. Re-export the file as UTF-8."
                ) from None
            return text, encoding, None
    head = data[:65536]
    # UTF-16 without a BOM: ASCII characters leave a NUL in every other byte.
    even, odd = head[0::2], head[1::2]
    for zeros, others, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        mostly_zero = zeros.count(0) > 0.4 * len(zeros)
        if len(head) >= 4 and mostly_zero and others.count(0) < 0.05 * len(others):
            try:
                return data.decode(encoding), encoding, None
            except UnicodeDecodeError:
                break
    if head.count(0) > 0.25 * len(head):
        raise _binary_error(name, "mostly NUL bytes")
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError:
        pass
    controls = sum(head.count(b) for b in (*range(9), 11, *range(14, 32), 127))
    if controls > 0.05 * len(head):
        raise _binary_error(name, "control bytes that text files do not contain")
    return _guess_legacy(data, name)


def _guess_legacy(data: bytes, name: str) -> tuple[str, str, str | None]:
    candidates = list(LEGACY_CANDIDATES)
    scored: list[tuple[int, int, str, str]] = []
    for rank, encoding in enumerate(candidates):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        scored.append((implausibility(text), rank, encoding, text))
    best = min(scored)
    if best[0] > 0:
        # None of our candidates reads cleanly: let charset-normalizer propose another code page
        # (e.g. Shift-JIS), and keep it only if its text is more plausible.
        import charset_normalizer

        match = charset_normalizer.from_bytes(data).best()
        if match is not None and match.encoding not in candidates:
            try:
                text = data.decode(match.encoding)
                scored.append((implausibility(text), len(candidates), match.encoding, text))
                best = min(scored)
            except (UnicodeDecodeError, LookupError):
                pass
    score, _, encoding, text = best
    note = None
    if score > 0:
        note = (
            f"encoding: not UTF-8; read as {encoding}, but some characters look wrong. "
            "Re-export the file as UTF-8 if accented letters are garbled."
        )
    return text, encoding, note


def _undo_gbk(text: str) -> str | None:
    """Undo UTF-8 bytes that were decoded as GBK (``Verst盲ndnis``), or None if that is not it.

    ftfy does not know this case. The test is strict: every CJK run must turn back into valid
    UTF-8 without CJK, so genuine Chinese (whose GBK bytes are not valid UTF-8) stays as it is.
    """
    if not any(c.isascii() and c.isalpha() for c in text):
        return None
    out: list[str] = []
    pos = 0
    for m in _NON_ASCII_RUN.finditer(text):
        out.append(text[pos : m.start()])
        run = m.group()
        if _CJK.search(run):
            try:
                fixed = run.encode("gbk").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                return None
            if _CJK.search(fixed) or "\ufffd" in fixed or not any(c.isalpha() for c in fixed):
                return None
            # Mojibake sits inside words: a lone ideograph between spaces is more likely real.
            before = text[m.start() - 1] if m.start() else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if not (before.isascii() and before.isalpha()) and not (
                after.isascii() and after.isalpha()
            ):
                return None
            run = fixed
        out.append(run)
        pos = m.end()
    out.append(text[pos:])
    result = "".join(out)
    return result if result != text else None


def repair_text(text: str) -> tuple[str, list[str]]:
    """Repair one cell; return the text and the kinds of repair made (empty if untouched).

    Kinds: ``nul_removed``, ``surrogates_replaced``, ``mojibake_ftfy``, ``mojibake_gbk``.
    Only encoding damage is repaired; whitespace, quotes and case are text/normalize.py's business.

    >>> repair_text("fÃ¼r")
    ('für', ['mojibake_ftfy'])
    """
    kinds: list[str] = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        kinds.append("nul_removed")
    if text.isascii():
        return text, kinds
    if _SURROGATE.search(text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        kinds.append("surrogates_replaced")
    suspect = _MAYBE_MOJIBAKE.search(text) or chardata.UTF8_DETECTOR_RE.search(text)
    fixed = ftfy.fix_encoding(text) if suspect else text
    if fixed != text:
        text = fixed
        kinds.append("mojibake_ftfy")
    if _CJK.search(text):
        undone = _undo_gbk(text)
        if undone is not None:
            text = undone
            kinds.append("mojibake_gbk")
    return text, kinds
