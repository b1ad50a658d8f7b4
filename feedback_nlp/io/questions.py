"""Several open questions in one survey, and review titles: how they become analysed rows.

A survey asking "What did you like most?" and "What should we improve?" gives one output row per
(response, question): the response's other columns repeated, ``question`` holding the header
text, ``comment_id`` the response id plus ``:q<k>`` (k = the question's position among the
analysed ones), ``row_number`` the input row. A one-question export is left exactly as it was.

A review's title (Trustpilot, App Store, Amazon-style exports) is analysed with its body: the
text is title + body, joined with ". " unless the title ends in punctuation, so a review with a
title and no body is analysed too; the title is kept in its own column.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from feedback_nlp.io.mapping import is_numeric_column
from feedback_nlp.io.names import is_title_name
from feedback_nlp.io.values import cell_text
from feedback_nlp.schema import COMMENT_ID, CREATED_AT, QUESTION, TEXT

_END_PUNCT = tuple(".!?…:;。！？")


def find_title(frame: pd.DataFrame, used: set[str]) -> str | None:
    """The column named like a review title that holds words (not numbers), if exactly one."""
    found = [
        str(c)
        for c in frame.columns
        if str(c) not in used
        and is_title_name(str(c))
        and any(cell_text(v) for v in frame[c].tolist())
        and not is_numeric_column(frame[c].tolist())
    ]
    return found[0] if len(found) == 1 else None


def with_title(titles: list[str | None], bodies: list[str | None]) -> list[str | None]:
    """Title + body per review: "Never again" + "" -> "Never again"; "Late" + "Box was..." ->
    "Late. Box was..."; a title ending in punctuation is followed by a space only."""
    out: list[str | None] = []
    for title, body in zip(titles, bodies):
        title = (title or "").strip()
        body = body if body is not None and body.strip() else None
        if not title:
            out.append(body)
        elif body is None:
            out.append(title)
        else:
            out.append(f"{title}{' ' if title.endswith(_END_PUNCT) else '. '}{body}")
    return out


def expand_questions(
    out: pd.DataFrame, answers: list[list[Any]], names: list[str], as_text: Any
) -> pd.DataFrame:
    """One row per (response, question): `out` holds one row per response (its `text` the first
    question's answer), `answers` each question's column of cells, `names` their header text."""
    n, k = len(out), len(names)
    order = [i for i in range(n) for _ in range(k)]
    wide = out.iloc[order].reset_index(drop=True)
    wide[TEXT] = pd.Series(
        [as_text(answers[q][i]) for i in range(n) for q in range(k)], dtype="str"
    )
    wide[COMMENT_ID] = pd.Series(
        [f"{cid}:q{q + 1}" for cid in out[COMMENT_ID].tolist() for q in range(k)], dtype="str"
    )
    wide.insert(
        list(wide.columns).index(CREATED_AT) + 1,
        QUESTION,
        pd.Series([names[q] for _ in range(n) for q in range(k)], dtype="str"),
    )
    return wide
