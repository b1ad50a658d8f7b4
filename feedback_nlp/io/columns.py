"""Understanding the columns of an export: header shapes, which column means what, scores, dates.

Survey tools name the same thing in many ways and many languages ("Why did you give this
score?", "Kommentar", "Review Text"), wrap it in extra header rows (Qualtrics, SurveyMonkey), and
write scores and dates in their own styles. Everything here works on raw cell values and returns
plain values plus row numbers of what went wrong, so io.py can report without quoting comments.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from feedback_nlp.errors import ColumnError
from feedback_nlp.schema import COMMENT_ID, CREATED_AT, LANG, SCORE, TEXT, TOUCHPOINT

# Role -> CLI flag that overrides its detection. Order = priority when one column fits two roles
# equally well ("Feedback Score" is a score, "Comment ID" an id).
FLAGS = {
    COMMENT_ID: "--id-col",
    CREATED_AT: "--date-col",
    SCORE: "--score-col",
    LANG: "--lang-col",
    TOUCHPOINT: "--touchpoint-col",
    TEXT: "--text-col",
}

# Names per role. For roles other than text, earlier names win ties (RecordedDate over StartDate).
# Keyword tables are data: kept compact rather than one name per line.
# fmt: off
KEYWORDS: dict[str, list[str]] = {
    TEXT: [
        "comment", "comments", "feedback", "verbatim", "verbatims", "review", "review text",
        "review content", "review body", "text", "answer", "response", "open ended response",
        "why did you give this score", "why did you give us this score", "why did you give",
        "why did you rate", "tell us why", "main reason", "primary reason", "reason",
        "reason for score", "reason for your score", "message", "content", "remarks", "remark",
        "suggestions", "suggestion", "please explain", "anything else", "free text",
        "customer comment", "customer feedback", "feedback text", "kommentar", "kommentare",
        "anmerkung", "anmerkungen", "bemerkung", "bemerkungen", "rezension", "begründung",
        "freitext", "warum", "dlaczego", "pourquoi", "por qué", "komentarz", "komentarze",
        "opinia", "opinie", "uwagi", "uzasadnienie", "commentaire", "commentaires", "avis",
        "remarque", "remarques", "comentario", "comentarios", "opinión", "opiniones", "reseña",
        "reseñas", "observaciones", "ความคิดเห็น", "ข้อเสนอแนะ", "รีวิว",
    ],
    COMMENT_ID: [
        "response id", "respondent id", "review id", "comment id", "feedback id", "ticket id",
        "record id", "id", "uuid", "review uuid", "antwort id", "identyfikator",
    ],
    SCORE: [
        "nps", "nps score", "score", "rating", "star rating", "stars", "likelihood to recommend",
        "how likely", "recommend", "csat", "satisfaction", "overall satisfaction", "ratings",
        "bewertung", "punktzahl", "punkte", "sterne", "weiterempfehlung", "ocena", "ocena nps",
        "punkty", "gwiazdki", "note", "note globale", "puntuación", "calificación", "valoración",
        "estrellas", "คะแนน",
    ],
    CREATED_AT: [
        "recorded date", "end date", "review submit date and time", "created at", "created",
        "creation date", "date", "submitted at", "submitted", "submission date", "submit date",
        "date submitted", "response date", "review date", "timestamp", "datetime", "time",
        "start date", "updated at", "last updated", "datum", "erstellt am", "erstellt", "data",
        "data utworzenia", "date de création", "fecha", "fecha de creación", "วันที่",
    ],
    TOUCHPOINT: [
        "touchpoint", "touch point", "touchpoints", "journey stage", "customer journey stage",
        "journey step", "stage", "channel", "kanal", "kontaktpunkt", "kanał", "etap",
        "punkt styku", "canal", "étape", "point de contact", "etapa", "punto de contacto",
        "ช่องทาง",
    ],
    LANG: [
        "lang", "language", "reviewer language", "review language", "comment language", "locale",
        "sprache", "język", "langue", "idioma", "ภาษา",
    ],
}

# Survey-tool metadata whose names look like a role but are not (Qualtrics DistributionChannel
# is "email"/"anonymous", UserLanguage is the survey UI language, not the comment's).
_NOT_CANDIDATES = {
    "distribution channel", "user language", "q language", "collector id", "ip address",
    "email address", "first name", "last name", "recipient email", "recipient first name",
    "recipient last name", "external reference", "external data reference",
}
_QUALTRICS_META = {
    "startdate", "enddate", "responseid", "recordeddate", "finished", "progress", "ipaddress",
    "durationinseconds", "status", "distributionchannel", "userlanguage",
}
# fmt: on
_SURVEYMONKEY_SUB = {"response", "open-ended response"}
_QUALTRICS_TEXT = re.compile(r'"ImportId"\s*:\s*"QID\d+(?:_\d+)*_TEXT"')

_NUMBER = re.compile(r"^\s*[+-]?\d+(?:[.,]\d+)?\s*$")


def normalize_name(name: str) -> str:
    """Fold a column name to lowercase words without accents or punctuation ("ResponseId" ->
    "response id", "Opinión" -> "opinion") so that names match however a tool spells them."""
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name))
    name = unicodedata.normalize("NFKD", name)
    name = "".join(c for c in name if not unicodedata.combining(c)).casefold()
    return " ".join(re.split(r"[\W_]+", name)).strip()


_NORMALIZED_KEYWORDS = {role: [normalize_name(k) for k in ks] for role, ks in KEYWORDS.items()}


@dataclass
class Header:
    """The column names of a table and how they were found."""

    shape: str  # plain | qualtrics | surveymonkey
    names: list[str]
    skip: int  # rows after the first that are header rows, not data
    labels: dict[str, str] = field(default_factory=dict)  # column -> question text
    text_entry: list[str] = field(default_factory=list)  # open-ended questions, per the tool


def missing(value: Any) -> bool:
    """True for every spelling of an absent cell: None, NaN, pd.NA, NaT."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def _cell(value: Any) -> str:
    return "" if missing(value) else str(value).strip()


def unique_names(names: list[str]) -> list[str]:
    """Give blank and repeated header cells distinct names, because a frame needs them."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        base = name or f"column_{i + 1}"
        candidate, k = base, 2
        while candidate in seen:
            candidate, k = f"{base} ({k})", k + 1
        seen.add(candidate)
        out.append(candidate)
    return out


MAX_PREAMBLE_ROWS = 10


def preamble_rows(rows: list[list[Any]]) -> int:
    """How many rows above the header are a title or notes ("NPS export Q3", "Date range: …").

    Reports saved from Excel or a dashboard often start with such rows. A row counts as one when
    it fills one cell (two in a table of four columns or more: "Date range:", "Jul-Sep") and
    ends before the table's usual last cell — the usual span of the rows below, so a title
    padded with delimiters ("Title;;;") is caught too — and the row under the last of them
    reads like a header (no cell is a number or a date). A real header names more columns or
    reaches the last one; SurveyMonkey's first header row names Respondent ID, Collector ID
    and the dates, so it is never taken for a title. In a table of two or three columns a
    row naming a column ("comment", blank) is a header, unless the row below names more
    ("NPS export Q3" above "id, comment, score"). When unsure, nothing is skipped: a
    header kept as a header loses nothing, a header taken for a title would lose a record.
    """
    spans = [max((i + 1 for i, v in enumerate(r) if _cell(v)), default=0) for r in rows[:201]]
    if len(spans) < 3:
        return 0
    usual = max(set(spans[1:]), key=lambda s: (spans[1:].count(s), s))
    most = 1 if usual < 4 else 2
    skip = 0
    while skip < min(MAX_PREAMBLE_ROWS, len(rows) - 2) and spans[skip] < usual:
        filled = [_cell(v) for v in rows[skip] if _cell(v)]
        if len(filled) > most:
            break
        # in a narrow table a header may name one column and leave the other blank
        # ("comment", ""): a row naming columns is a title only when the row below names more
        # ("NPS export Q3" above "id, comment, score")
        if usual < 4 and _named_cells(filled) >= max(1, _named_cells(rows[skip + 1])):
            break
        skip += 1
    if skip and any(_reads_as_value(v) for v in rows[skip] if _cell(v)):
        return 0  # the row below the "title" holds data: the title is the header
    return skip


def _reads_as_value(cell: Any) -> bool:
    """A number or a date: a data value, not the name of a column."""
    return parse_score(cell)[0] is not None or _parse_date(cell) is not None


def _named_cells(row: list[Any]) -> int:
    """How many cells of a row are named like a column of some role (comment, score, date...)."""
    cells = [_cell(v) for v in row]
    return sum(1 for c in cells if c and any(role_score(role, [c]) > 0 for role in KEYWORDS))


def detect_header(rows: list[list[Any]]) -> Header:
    """Recognise Qualtrics (3 header rows) and SurveyMonkey (2 header rows) exports."""
    first = [_cell(c) for c in rows[0]]
    second = [_cell(c) for c in rows[1]] if len(rows) > 1 else []
    third = [_cell(c) for c in rows[2]] if len(rows) > 2 else []
    squashed = {re.sub(r"\W", "", c).casefold() for c in first}
    if len(squashed & _QUALTRICS_META) >= 2 and second:
        labels = {}
        names = unique_names(first)
        for name, text in zip(names, second):
            if text and text != name:
                labels[name] = text
        import_ids = [c for c in third if c]
        tagged = sum(c.startswith('{"ImportId"') for c in import_ids)
        if import_ids and tagged >= len(import_ids) / 2:
            entry = [n for n, c in zip(names, third) if _QUALTRICS_TEXT.search(c)]
            return Header("qualtrics", names, 2, labels, entry)
        second_squashed = {re.sub(r"\W", "", c).casefold() for c in second}
        if len(second_squashed & _QUALTRICS_META) >= 2:  # legacy export: no ImportId row
            return Header("qualtrics", names, 1, labels)
    if (
        second
        and any(c.casefold() in _SURVEYMONKEY_SUB for c in second)
        and (
            "respondent id" in {c.casefold() for c in first}
            or any(not a and b for a, b in zip(first, second))
        )
    ):
        names, question, entry = [], "", []
        for i, q_here in enumerate(first):
            sub = second[i] if i < len(second) else ""
            question = q_here or question  # a blank question cell continues the one before
            if not question:
                names.append(sub)
            elif q_here and (not sub or sub.casefold() in _SURVEYMONKEY_SUB):
                names.append(question)
                if sub.casefold() == "open-ended response":
                    entry.append(i)
            else:
                names.append(f"{question} - {sub}" if sub else "")
        names = unique_names(names)
        return Header("surveymonkey", names, 1, text_entry=[names[i] for i in entry])
    return Header("plain", unique_names(first), 0)


def _match(label: str, keyword: str, rank: float) -> float:
    """How well a normalised column label fits a normalised keyword (0 = not at all)."""
    if not label or not keyword:
        return 0.0
    if label == keyword:
        return 100.0 - rank
    ltoks, ktoks = label.split(), keyword.split()
    n = len(ktoks)
    for i in range(len(ltoks) - n + 1):
        if ltoks[i : i + n] == ktoks:
            return 60.0 + 5 * n - min(20, len(ltoks) - n) - rank
    if not keyword.isascii() and " " not in keyword and keyword in label:
        return 60.0 - rank  # scripts without spaces between words (Thai)
    if n == 1 and len(keyword) >= 6 and any(t.endswith(keyword) for t in ltoks):
        return 55.0 - rank  # German compounds: "Kundenkommentar", "Gesamtbewertung"
    return 0.0


def role_score(role: str, labels: list[str]) -> float:
    """Best fit of any of a column's labels (name, question text) to a role's keywords."""
    best = 0.0
    for label in labels:
        norm = normalize_name(label)
        if norm in _NOT_CANDIDATES:
            continue
        for i, keyword in enumerate(_NORMALIZED_KEYWORDS[role]):
            best = max(best, _match(norm, keyword, 0.0 if role == TEXT else 0.1 * i))
    return best


def is_numeric_column(values: list[Any]) -> bool:
    """True when every non-empty value is a number: such a column holds scores or ids, not words."""
    seen = False
    for v in values:
        if not _cell(v):
            continue
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) or _NUMBER.match(str(v))):
            return False
        seen = True
    return seen


def _columns_listing(columns: list[str]) -> str:
    # Shortened: in a file without a header row, the "names" are a customer's comment.
    short = [c if len(c) <= 40 else c[:39] + "…" for c in map(str, columns)]
    return ", ".join(repr(c) for c in short) or "(none)"


def resolve_flag(
    columns: list[str], labels: dict[str, str], value: str, flag: str, source: str
) -> str:
    """Find the column a user named, forgiving case and punctuation; suggest the closest one."""
    if value in columns:
        return value
    norm = normalize_name(value)
    hits = [c for c in columns if normalize_name(c) == norm]
    hits = hits or [c for c, q in labels.items() if normalize_name(q) == norm]
    if len(hits) == 1:
        return hits[0]
    close = difflib.get_close_matches(str(value), [str(c) for c in columns], n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ColumnError(
        f"{source}: column {value!r} given with {flag} was not found.{hint} "
        f"Columns found: {_columns_listing(columns)}."
    )


def map_columns(
    frame: pd.DataFrame,
    labels: dict[str, str],
    flags: dict[str, str | None],
    source: str,
    text_entry: Collection[str] = (),
    notes: list[str] | None = None,
) -> dict[str, str]:
    """Decide which column holds each role: flags first, then names, checked against values.

    A candidate for score, date or id must look the part (parsable scores or dates, mostly
    unique ids), so a German "Bewertung" holding review text is not mistaken for a rating.
    Columns the survey tool marks as open-ended (``text_entry``) are weak text candidates, so
    "Please tell us more" is found when no column is named like a comment. When no column is
    named or marked like one, the column whose cells read like written comments is taken, and
    a line saying so is added to ``notes``.
    """
    columns = [str(c) for c in frame.columns]
    mapping: dict[str, str] = {}
    for role, value in flags.items():
        if value is not None:
            mapping[role] = resolve_flag(columns, labels, value, FLAGS[role], source)
    if TEXT in mapping and is_numeric_column(frame[mapping[TEXT]].tolist()):
        raise ColumnError(
            f"{source}: column {mapping[TEXT]!r} given with --text-col holds only numbers, so it "
            "is not a comment column. Pass the column with the written comments to --text-col."
        )
    used = set(mapping.values())
    priority = list(FLAGS)
    pairs = []
    for pos, col in enumerate(columns):
        if col in used:
            continue
        col_labels = [col] + ([labels[col]] if col in labels else [])
        col_labels += ["open ended text entry"] if col in text_entry else []
        for role in priority:
            if role not in mapping:
                s = role_score(role, col_labels)
                if s > 0:
                    pairs.append((-s, priority.index(role), pos, role, col))
    pairs.sort()
    numeric_text: list[str] = []
    for neg, _, _, role, col in pairs:
        if role in mapping or col in used:
            continue
        values = frame[col].tolist()
        if role == TEXT:
            if is_numeric_column(values):
                numeric_text.append(col)
                continue
            rivals = [
                c
                for n2, _, _, r2, c in pairs
                if r2 == TEXT
                and n2 == neg
                and c != col
                and c not in used
                and not is_numeric_column(frame[c].tolist())
            ]
            if rivals:
                raise ColumnError(
                    f"{source}: several columns could hold the comments "
                    f"({_columns_listing([col, *rivals])}). Choose one with --text-col. "
                    f"Columns found: {_columns_listing(columns)}."
                )
        elif not _looks_like(role, values, exact=-neg >= 99):
            continue
        mapping[role] = col
        used.add(col)
    if TEXT not in mapping and not numeric_text:
        col, rivals = _free_text_column(frame, columns, used)
        if rivals:
            raise ColumnError(
                f"{source}: no column is named like a comment column, and several hold written "
                f"text ({_columns_listing([col, *rivals])}). Choose one with --text-col."
            )
        if col is not None:
            mapping[TEXT] = col
            if notes is not None:
                notes.append(
                    f"no column is named like a comment column; {_columns_listing([col])} was "
                    "taken because its cells read like written comments. Pass --text-col to "
                    "choose another."
                )
    if TEXT not in mapping:
        if numeric_text:
            raise ColumnError(
                f"{source}: column {numeric_text[0]!r} is named like a comment column but holds "
                "only numbers, so it is not one. Pass the column with the written comments to "
                f"--text-col. Columns found: {_columns_listing(columns)}."
            )
        raise ColumnError(
            f"{source}: no comment column found (expected a name like comment, feedback, review, "
            f"verbatim, Kommentar, komentarz). Columns found: {_columns_listing(columns)}. "
            "Name the column with --text-col."
        )
    return mapping


def _free_text_column(
    frame: pd.DataFrame, columns: list[str], used: set[str]
) -> tuple[str | None, list[str]]:
    """The column whose cells read like written comments, and any that read almost as much so.

    Written comments are long (median ≥ 15 characters) and mostly distinct; scores, dates,
    categories and ids are not. A rival within 60 % of the longest median makes it ambiguous.
    Nothing is taken from a file that may have no header row — one column, or a "column name"
    that is a number or a date — because its first comment would be read as a name and lost.
    """
    if len(columns) < 2 or any(_reads_as_value(c) for c in columns if _cell(c)):
        return None, []
    found = []
    for col in columns:
        if col in used:
            continue
        present = [c for c in (_cell(v) for v in frame[col].tolist()[:2000]) if c]
        if not present or is_numeric_column(present):
            continue
        median = sorted(len(c) for c in present)[len(present) // 2]
        distinct = len(set(present)) >= 0.5 * len(present)
        if median >= 15 and distinct and not _looks_like(CREATED_AT, present, exact=False):
            found.append((median, col))
    if not found:
        return None, []
    found.sort(key=lambda mc: -mc[0])
    best = found[0][0]
    return found[0][1], [col for median, col in found[1:] if median >= 0.6 * best]


def _looks_like(role: str, values: list[Any], *, exact: bool) -> bool:
    present = [v for v in values if _cell(v)]
    if role != COMMENT_ID:
        present = present[:2000]  # a sample decides; the whole column is parsed later
    if not present:
        return exact
    if role == SCORE:
        parsed = sum(parse_score(v)[0] is not None for v in present)
        return parsed >= len(present) / 2
    if role == CREATED_AT:
        parsed, _, _ = parse_dates(present)
        return int(parsed.notna().sum()) >= len(present) / 2
    if role == COMMENT_ID:
        return len({_cell(v) for v in present}) >= 0.95 * len(present)
    return True


# --- scores -------------------------------------------------------------------------------------

_STARS = re.compile(r"^[★☆⭐✩✰\s]+$")
_FRACTION = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*/\s*(\d+)$")
_LEADING = re.compile(
    r"^([+-]?\d+(?:[.,]\d+)?)\s*(?:$|stars?\b|sterne?\b|gwiazd\w*|étoiles?\b|estrellas?\b"
    r"|points?\b|pkt\b|punkte?\b|[-–—:=(]|\s+\D)",
    re.IGNORECASE,
)
SCALES = {"nps": (0.0, 10.0), "stars": (1.0, 5.0), "csat": (1.0, 5.0)}


def parse_score(value: Any) -> tuple[float | None, int | None]:
    """Read one score cell: "9", "9.0", "10 - Extremely likely", "4/5", "★★★★☆", "4 stars".

    Returns (value, the scale's maximum if the cell says it) or (None, None) when unreadable.
    """
    if isinstance(value, bool):
        return None, None
    if isinstance(value, (int, float)):
        return (None, None) if math.isnan(value) else (float(value), None)
    text = _cell(value)
    if _STARS.match(text):
        return float(sum(text.count(c) for c in "★⭐")), 5
    m = _FRACTION.match(text)
    if m:
        return float(m.group(1).replace(",", ".")), int(m.group(2))
    m = _LEADING.match(text)
    if m:
        return float(m.group(1).replace(",", ".")), None
    return None, None


@dataclass
class Scores:
    values: list[float | None]
    scale: str | None
    out_of_range: list[int]  # 1-based record numbers
    unparsed: list[int]


_NPS_NAME = re.compile(r"nps|recommend|likely|empfehl|polec|recomend")
_CSAT_NAME = re.compile(r"csat|satisf|zufrieden|zadowol")


def parse_scores(values: list[Any], scale: str, name: str = "") -> Scores:
    """Parse a score column and decide its scale; out-of-range and unreadable values become NA.

    "auto" reads NPS when a 0 or a maximum of 6-10 appears, stars when everything is 1-5
    (unless the column's name says NPS or CSAT); values outside 0-10 do not vote, so one typo
    (99) does not hide an NPS column.
    """
    parsed: list[float | None] = []
    unparsed: list[int] = []
    maxima: set[int] = set()
    cache: dict[Any, tuple[float | None, int | None]] = {}
    for i, v in enumerate(values, start=1):
        key = (type(v), v) if isinstance(v, (str, int, float)) else None
        if key is not None and key in cache:
            number, top = cache[key]
        else:
            number, top = parse_score(v)
            if key is not None:
                cache[key] = (number, top)
        if number is None and _cell(v):
            unparsed.append(i)
        if top is not None:
            maxima.add(top)
        parsed.append(number)
    if scale == "auto":
        voters = [x for x in parsed if x is not None and 0 <= x <= 10]
        if maxima == {5}:
            scale = "stars"
        elif maxima == {10} or (voters and (0 in voters or max(voters) > 5)):
            scale = "nps"
        elif voters:
            folded = normalize_name(name)
            scale = (
                "nps"
                if _NPS_NAME.search(folded)
                else ("csat" if _CSAT_NAME.search(folded) else "stars")
            )
        else:
            scale = None
    out_of_range: list[int] = []
    if scale is not None:
        low, high = SCALES[scale]
        for i, x in enumerate(parsed):
            if x is not None and not (low <= x <= high and (scale != "nps" or x.is_integer())):
                out_of_range.append(i + 1)
                parsed[i] = None
    return Scores(parsed, scale, out_of_range, unparsed)


def nps_group(score: float | None) -> str | None:
    """NPS convention: 0-6 detractor, 7-8 passive, 9-10 promoter."""
    if score is None:
        return None
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


# --- dates --------------------------------------------------------------------------------------

_DMY = re.compile(
    r"^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?)?$"
)
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _from_number(x: float) -> pd.Timestamp | None:
    if 10_000 <= x <= 100_000:  # Excel serial day (1927..2173)
        return pd.Timestamp(_EXCEL_EPOCH + timedelta(days=x))
    if 1e8 <= x < 1e11:  # Unix seconds
        return pd.Timestamp(x, unit="s")
    if 1e11 <= x < 1e14:  # Unix milliseconds
        return pd.Timestamp(x, unit="ms")
    return None


def _naive_utc(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts


def parse_dates(values: list[Any]) -> tuple[pd.Series, list[int], str | None]:
    """Parse a date column; return (datetime64 series, unparsed record numbers, note).

    Day-first or month-first is decided once per column from the values themselves (31.12. and
    12/31 decide it; dots mean day-first), because parsing each cell alone would silently mix
    up 3 April and 4 March in the same export. ISO and d/m/y strings are parsed vectorised;
    the rest (numbers, datetimes, other spellings) one distinct value at a time.
    """
    raw = pd.Series(values, dtype=object)
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    strs = raw[raw.map(type) == str].str.strip()
    iso = strs[strs.str.match(r"\d{4}-\d{1,2}-\d{1,2}")]
    if len(iso):
        stamps = pd.to_datetime(iso, format="ISO8601", utc=True, errors="coerce")
        parsed[iso.index] = stamps.dt.tz_localize(None).astype("datetime64[ns]")
    parts = strs.str.extract(_DMY.pattern)
    parts = parts[parts[0].notna()]
    dayfirst, note = True, None
    if len(parts):
        a, b = parts[0].astype(int), parts[2].astype(int)
        dayfirst_votes = bool((a > 12).any() or (parts[1] == ".").any())
        monthfirst_votes = bool((b > 12).any())
        dayfirst = dayfirst_votes or not monthfirst_votes
        if not dayfirst_votes and not monthfirst_votes:
            dayfirst = not parts[7].notna().any()  # AM/PM is the US style
            note = (
                "dates: day and month order is ambiguous in every value; read as "
                f"{'day-first (31/12)' if dayfirst else 'month-first (12/31)'}. "
                "Check the created_at column."
            )
        # A value with a part above 12 settles its own order.
        day = a.where(a > 12, b.where(b > 12, a if dayfirst else b))
        month = (a + b) - day
        year = parts[3].astype(int)
        year = year.where(parts[3].str.len() == 4, year + 2000 - 100 * (year >= 70))
        hour = parts[4].fillna(0).astype(int)
        pm = parts[7].fillna("").str[:1].str.lower()
        hour = hour.where(pm == "", hour % 12 + 12 * (pm == "p"))
        frame = pd.DataFrame(
            {
                "year": year,
                "month": month,
                "day": day,
                "hour": hour,
                "minute": parts[5].fillna(0).astype(int),
                "second": parts[6].fillna(0).astype(int),
            }
        )
        parsed[parts.index] = pd.to_datetime(frame, errors="coerce").astype("datetime64[ns]")
    cache: dict[Any, pd.Timestamp | None] = {}
    for i in parsed.index[parsed.isna()]:
        v = raw[i]
        if not _cell(v):
            continue
        key = (type(v), v) if isinstance(v, (str, int, float)) else None
        if key is None or key not in cache:
            ts = _parse_date(v)
            if key is not None:
                cache[key] = ts
        else:
            ts = cache[key]
        if ts is not None:
            parsed[i] = ts
    parsed = parsed.where((parsed.dt.year >= 1900) & (parsed.dt.year <= 2200))
    unparsed = [i + 1 for i in parsed.index[parsed.isna()] if _cell(raw[i])]
    return parsed.reset_index(drop=True), unparsed, note


def _parse_date(v: Any) -> pd.Timestamp | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        if isinstance(v, (datetime, date, pd.Timestamp)):
            ts = pd.Timestamp(v)
            return None if pd.isna(ts) else _naive_utc(ts)
        if isinstance(v, (int, float)):
            return None if math.isnan(v) else _from_number(float(v))
        text = _cell(v)
        if not text or not any(c.isdigit() for c in text):
            return None
        if _NUMBER.match(text):
            return _from_number(float(text.replace(",", ".")))
        if _DMY.match(text):  # the vectorised pass found no such day (31.02.)
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts = pd.Timestamp(text)
        return None if pd.isna(ts) else _naive_utc(ts)
    except (ValueError, OverflowError, TypeError, pd.errors.OutOfBoundsDatetime):
        return None
