"""Cell values: absent cells, scores and dates, as survey tools write them.

Tools write scores and dates in their own styles. Everything here works on raw cell values and
returns plain values plus row numbers of what went wrong, so load.py can report without quoting
comments.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from feedback_nlp.io.names import normalize_name
from feedback_nlp.io.rating_words import is_no_rating, rating_word, three_point

NUMBER = re.compile(r"^\s*[+-]?\d+(?:[.,]\d+)?\s*$")


def missing(value: Any) -> bool:
    """True for every spelling of an absent cell: None, NaN, pd.NA, NaT."""
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def cell_text(value: Any) -> str:
    """A cell as stripped text; "" for an absent cell."""
    return "" if missing(value) else str(value).strip()


def reads_as_value(cell: Any) -> bool:
    """A number or a date: a data value, not the name of a column."""
    return parse_score(cell)[0] is not None or _parse_date(cell) is not None


# --- scores -------------------------------------------------------------------------------------

_STARS = re.compile(r"^[★☆⭐✩✰\s]+$")
_FRACTION = re.compile(
    r"^([+-]?\d+(?:[.,]\d+)?)\s*(?:/|out of|von|z|sur|de|จาก)\s*(\d+)(?:\s*\D*)?$", re.IGNORECASE
)
_LEADING = re.compile(
    r"^([+-]?\d+(?:[.,]\d+)?)\s*(?:$|stars?\b|sterne?\b|gwiazd\w*|étoiles?\b|estrellas?\b"
    r"|points?\b|pkt\b|punkte?\b|[-–—:=(]|\s+\D)",
    re.IGNORECASE,
)
# csat3/csat2 are read from labels (3-point satisfaction; Zendesk good = 1 / bad = 0), ces is
# customer effort on 1-5 or 1-7 (see rating_words.py for the labels and their values).
SCALES = {
    "nps": (0.0, 10.0),
    "stars": (1.0, 5.0),
    "csat": (1.0, 5.0),
    "csat3": (1.0, 3.0),
    "csat2": (0.0, 1.0),
    "ces": (1.0, 7.0),
    # a review score out of 10 (hotel and travel sites: "7.9", "8/10"); not NPS, which is an
    # answer to "how likely are you to recommend" and has no decimals
    "rating10": (0.0, 10.0),
}
# How a CES scale runs: the "it was easy to ..." agreement and ease labels rise with ease; the
# older "how much effort did you have to put in" (1-5) rises with effort.
HIGHER_IS_EASIER = "higher_is_easier"
HIGHER_IS_MORE_EFFORT = "higher_is_more_effort"
_WORD_SCALE = {"csat": "csat", "csat2": "csat2", "ease": "ces", "agree": "ces"}


def parse_score(value: Any) -> tuple[float | None, int | None]:
    """Read one score cell: "9", "9.0", "10 - Extremely likely", "4/5", "4 out of 5", "★★★★☆",
    "4 stars" (labels such as "Very satisfied" are read by :func:`parse_scores`).

    Returns (value, the scale's maximum if the cell says it) or (None, None) when unreadable.
    """
    if isinstance(value, bool):
        return None, None
    if isinstance(value, (int, float)):
        return (None, None) if math.isnan(value) else (float(value), None)
    text = cell_text(value)
    if _STARS.match(text):
        return float(sum(text.count(c) for c in "★⭐")), 5
    m = _FRACTION.match(text)
    if m:
        return float(m.group(1).replace(",", ".")), int(m.group(2))
    m = _LEADING.match(text)
    if m:
        return float(m.group(1).replace(",", ".")), None
    return None, None


def reads_as_rating(value: Any) -> bool:
    """A score cell: a number, a rating label, or a help desk's "offered" (no rating given)."""
    if parse_score(value)[0] is not None:
        return True
    text = cell_text(value)
    return bool(text) and (rating_word(text) is not None or is_no_rating(text))


@dataclass
class Scores:
    values: list[float | None]
    scale: str | None
    out_of_range: list[int]  # 1-based record numbers
    unparsed: list[int]
    words: dict[str, float] = field(default_factory=dict)  # label as written -> value read
    direction: str | None = None  # for ces: HIGHER_IS_EASIER or HIGHER_IS_MORE_EFFORT
    points: int | None = None  # for ces: 5 or 7


_NPS_NAME = re.compile(r"nps|recommend|likely|empfehl|polec|recomend")
_CSAT_NAME = re.compile(r"csat|satisf|zufrieden|zadowol")
# Names that say a review's score out of 10. A bare "Rating" / "Bewertung" / "Score" with values
# above 5 stays NPS (survey tools name the NPS question so too; --score-scale rating10 says
# otherwise): reading a real NPS as a rating would lose the NPS, the costlier mistake.
_RATING_NAME = re.compile(
    r"review.?score|reviewer.?score|guest.?score|review.?rating|out of 10|von 10|sur 10|na 10"
    r"|de 10|/ ?10"
)
_CES_NAME = re.compile(
    r"\bces\b|effort|easy|aufwand|leicht|einfach|wysiłek|łatw|esfuerzo|facil|facile"
)
_EASE_NAME = re.compile(r"easy|leicht|einfach|łatw|facil|facile")


def _out_of_ten(voters: list[float], maxima: set[int], folded: str) -> bool:
    """A rating out of 10 rather than NPS: cells that say "/ 10", decimals above 5 ("7.9"), or a
    column named for a review score ("Reviewer score", "Rating (out of 10)") with values above 5
    -- unless the name says NPS / recommend, CSAT or CES."""
    if _NPS_NAME.search(folded) or _CSAT_NAME.search(folded) or _CES_NAME.search(folded):
        return False
    if maxima == {10}:
        return True
    if not voters or max(voters) <= 5:
        return False
    return any(not x.is_integer() for x in voters) or bool(_RATING_NAME.search(folded))


def is_ces_name(name: str) -> bool:
    """A column named like a customer effort score ("CES", "Effort", "It was easy to ...")."""
    return bool(_CES_NAME.search(normalize_name(name)))


def _ces_direction(name: str, points: int, labelled: bool) -> str:
    """Labels and the agreement form ("easy to") rise with ease; a 1-5 column named only for
    effort is the older "how much effort" form; a 7-point CES is the agreement form (CES 2.0)."""
    folded = normalize_name(name)
    if labelled or _EASE_NAME.search(folded) or points == 7:
        return HIGHER_IS_EASIER
    return HIGHER_IS_MORE_EFFORT


def parse_scores(values: list[Any], scale: str, name: str = "") -> Scores:
    """Parse a score column and decide its scale; out-of-range and unreadable values become NA.

    "auto" reads NPS when a 0 or a maximum of 6-10 appears, stars when everything is 1-5
    (unless the column's name says NPS, CSAT or CES), a rating out of 10 (``rating10``) when the
    cells say "/ 10", have decimals above 5, or the column is named for a review score; values outside
    0-10 do not vote, so one typo (99) does not hide an NPS column. Rating labels ("Very satisfied", "Good", "Stimme zu")
    are read on their own scale (rating_words.py) when they are most of the column; the labels
    read are returned in ``words``. "Offered"/"Unoffered" (no rating given) are empty, not
    unreadable.
    """
    parsed: list[float | None] = []
    unparsed: list[int] = []
    maxima: set[int] = set()
    labelled: dict[int, tuple[str, float, str]] = {}  # index -> (family, value, label)
    cache: dict[Any, tuple[float | None, int | None]] = {}
    for i, v in enumerate(values, start=1):
        key = (type(v), v) if isinstance(v, (str, int, float)) else None
        if key is not None and key in cache:
            number, top = cache[key]
        else:
            number, top = parse_score(v)
            if key is not None:
                cache[key] = (number, top)
        text = cell_text(v) if number is None else ""
        if text:
            word = rating_word(text)
            if word is not None:
                labelled[i - 1] = (word[0], word[1], text)
            elif not is_no_rating(text):
                unparsed.append(i)
        if top is not None:
            maxima.add(top)
        parsed.append(number)
    numbers = sum(x is not None for x in parsed)
    family = None
    if labelled:
        counts: dict[str, int] = {}
        for fam, _, _ in labelled.values():
            counts[fam] = counts.get(fam, 0) + 1
        family = max(counts, key=lambda f: counts[f])
    if scale == "auto" and family is not None and len(labelled) >= numbers:
        scale = _WORD_SCALE[family]
        if scale == "csat" and three_point({w for f, _, w in labelled.values() if f == family}):
            scale = "csat3"
    elif scale == "auto":
        voters = [x for x in parsed if x is not None and 0 <= x <= 10]
        folded = normalize_name(name)
        if maxima == {5} and not is_ces_name(name):
            scale = "stars"
        elif is_ces_name(name) and voters and min(voters) >= 1 and max(voters) <= 7:
            scale = "ces"
        elif _out_of_ten(voters, maxima, folded):
            scale = "rating10"
        elif maxima == {10} or (voters and (0 in voters or max(voters) > 5)):
            scale = "nps"
        elif voters:
            scale = (
                "nps"
                if _NPS_NAME.search(folded)
                else ("csat" if _CSAT_NAME.search(folded) else "stars")
            )
        else:
            scale = None
    words: dict[str, float] = {}
    for i, (fam, value, label) in labelled.items():
        if scale is None or _WORD_SCALE[fam] != ("csat" if scale == "csat3" else scale):
            unparsed.append(i + 1)  # a label of another scale than the column's
            continue
        if scale == "csat3":
            value -= 1  # the plain labels' 5-point values 2-4 are 1-3 on three points
        parsed[i] = value
        words.setdefault(label, value)
    unparsed.sort()
    out_of_range: list[int] = []
    if scale is not None:
        low, high = SCALES[scale]
        for i, x in enumerate(parsed):
            if x is not None and not (low <= x <= high and (scale != "nps" or x.is_integer())):
                out_of_range.append(i + 1)
                parsed[i] = None
    direction = points = None
    if scale == "ces":
        agree = family == "agree" and bool(words)
        points = 7 if agree or any(x is not None and x > 5 for x in parsed) else 5
        direction = _ces_direction(name, points, bool(words))
    return Scores(parsed, scale, out_of_range, unparsed, words, direction, points)


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
        if not cell_text(v):
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
    unparsed = [i + 1 for i in parsed.index[parsed.isna()] if cell_text(raw[i])]
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
        text = cell_text(v)
        if not text or not any(c.isdigit() for c in text):
            return None
        if NUMBER.match(text):
            return _from_number(float(text.replace(",", ".")))
        if _DMY.match(text):  # the vectorised pass found no such day (31.02.)
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ts = pd.Timestamp(text)
        return None if pd.isna(ts) else _naive_utc(ts)
    except (ValueError, OverflowError, TypeError, pd.errors.OutOfBoundsDatetime):
        return None
