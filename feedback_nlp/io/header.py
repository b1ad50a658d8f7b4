"""Header rows: the shape of a table's header (plain, Qualtrics, SurveyMonkey), title rows
above it, and distinct column names.

Survey tools wrap the column names in extra header rows (Qualtrics, SurveyMonkey), and reports
saved from Excel or a dashboard often start with a title or notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from feedback_nlp.io.names import KEYWORDS, role_score
from feedback_nlp.io.values import cell_text, reads_as_value

# fmt: off
_QUALTRICS_META = {
    "startdate", "enddate", "responseid", "recordeddate", "finished", "progress", "ipaddress",
    "durationinseconds", "status", "distributionchannel", "userlanguage",
}
# fmt: on
_SURVEYMONKEY_SUB = {"response", "open-ended response"}
_QUALTRICS_TEXT = re.compile(r'"ImportId"\s*:\s*"QID\d+(?:_\d+)*_TEXT"')


@dataclass
class Header:
    """The column names of a table and how they were found."""

    shape: str  # plain | qualtrics | surveymonkey
    names: list[str]
    skip: int  # rows after the first that are header rows, not data
    labels: dict[str, str] = field(default_factory=dict)  # column -> question text
    text_entry: list[str] = field(default_factory=list)  # open-ended questions, per the tool


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
    spans = [max((i + 1 for i, v in enumerate(r) if cell_text(v)), default=0) for r in rows[:201]]
    if len(spans) < 3:
        return 0
    usual = max(set(spans[1:]), key=lambda s: (spans[1:].count(s), s))
    most = 1 if usual < 4 else 2
    skip = 0
    while skip < min(MAX_PREAMBLE_ROWS, len(rows) - 2) and spans[skip] < usual:
        filled = [cell_text(v) for v in rows[skip] if cell_text(v)]
        if len(filled) > most:
            break
        # in a narrow table a header may name one column and leave the other blank
        # ("comment", ""): a row naming columns is a title only when the row below names more
        # ("NPS export Q3" above "id, comment, score")
        if usual < 4 and _named_cells(filled) >= max(1, _named_cells(rows[skip + 1])):
            break
        skip += 1
    if skip and any(reads_as_value(v) for v in rows[skip] if cell_text(v)):
        return 0  # the row below the "title" holds data: the title is the header
    return skip


def _named_cells(row: list[Any]) -> int:
    """How many cells of a row are named like a column of some role (comment, score, date...)."""
    cells = [cell_text(v) for v in row]
    return sum(1 for c in cells if c and any(role_score(role, [c]) > 0 for role in KEYWORDS))


def detect_header(rows: list[list[Any]]) -> Header:
    """Recognise Qualtrics (3 header rows) and SurveyMonkey (2 header rows) exports."""
    first = [cell_text(c) for c in rows[0]]
    second = [cell_text(c) for c in rows[1]] if len(rows) > 1 else []
    third = [cell_text(c) for c in rows[2]] if len(rows) > 2 else []
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
