"""Which column means what: the user's flags first, then column names checked against values.

Everything here works on raw cell values; a column that is named like a role must also look the
part (parsable scores or dates, mostly unique ids) before it is taken.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection
from typing import Any

import pandas as pd

from feedback_nlp.errors import ColumnError
from feedback_nlp.io.names import is_title_name, normalize_name, role_score
from feedback_nlp.io.values import NUMBER, cell_text, parse_dates, reads_as_rating, reads_as_value
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


def is_numeric_column(values: list[Any]) -> bool:
    """True when every non-empty value is a number: such a column holds scores or ids, not words."""
    seen = False
    for v in values:
        if not cell_text(v):
            continue
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) or NUMBER.match(str(v))):
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
    questions: list[str] | None = None,
) -> dict[str, str]:
    """Decide which column holds each role: flags first, then names, checked against values.

    A candidate for score, date or id must look the part (parsable scores or dates, mostly
    unique ids), so a German "Bewertung" holding review text is not mistaken for a rating.
    Columns the survey tool marks as open-ended (``text_entry``) are weak text candidates, so
    "Please tell us more" is found when no column is named like a comment. When no column is
    named or marked like one, the column whose cells read like written comments is taken, and
    a line saying so is added to ``notes``.

    Several open questions in one survey are all analysed: ``questions`` (when given) is filled
    with the text columns in the export's order — the columns named (or marked) like comments
    that hold written answers, or, where none is named so, every column whose cells read like
    written comments. Columns named like a review title are left to ``find_title``.
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
            if role not in mapping and not (role == TEXT and is_title_name(col)):
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
            if rivals and not all(_answers(frame[c].tolist(), c in text_entry) for c in [col, *rivals]):
                raise ColumnError(
                    f"{source}: several columns could hold the comments "
                    f"({_columns_listing([col, *rivals])}). Choose one with --text-col. "
                    f"Columns found: {_columns_listing(columns)}."
                )
        elif not _looks_like(role, values, exact=-neg >= 99):
            continue
        mapping[role] = col
        used.add(col)
    found = []
    if TEXT not in mapping and not numeric_text:
        col, rivals = _free_text_column(frame, columns, used)
        if col is not None:
            found = sorted([col, *rivals], key=columns.index)
            mapping[TEXT] = found[0]
            if notes is not None:
                taken = _columns_listing(found)
                notes.append(
                    f"no column is named like a comment column; {taken} "
                    f"{'was' if len(found) == 1 else 'were'} taken because "
                    f"{'its' if len(found) == 1 else 'their'} cells read like written comments. "
                    "Pass --text-col to choose others."
                )
    elif TEXT in mapping and flags.get(TEXT) is None:
        best = min((n for n, _, _, r, c in pairs if r == TEXT and c == mapping[TEXT]), default=0)
        tied = {c for n, _, _, r, c in pairs if r == TEXT and n == best}
        found = [mapping[TEXT]] + [
            col
            for col in columns
            if col not in used
            and not is_title_name(col)
            and (col in tied or col in text_entry or _asks(col, labels))
            and _answers(frame[col].tolist(), col in text_entry)
        ]
    found = sorted(set(found), key=columns.index)  # q1, q2, ... in the export's order
    if questions is not None:
        questions[:] = found or ([mapping[TEXT]] if TEXT in mapping else [])
    titles = [c for c in columns if c not in used and is_title_name(c)]
    if TEXT not in mapping and len(titles) == 1 and not is_numeric_column(frame[titles[0]].tolist()):
        mapping[TEXT] = titles[0]  # a title and no body column: the title is the text
        if questions is not None:
            questions[:] = [titles[0]]
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


_REPLY = re.compile(r"\b(reply|replies|developer|owner|company|agent|antwort des|odpowiedz)\b")


def _asks(col: str, labels: dict[str, str]) -> bool:
    """A header that is a question ("What should we improve?"), and not a company's reply."""
    texts = [col] + ([labels[col]] if col in labels else [])
    return any(t.strip().endswith("?") for t in texts) and not any(
        _REPLY.search(normalize_name(t)) for t in texts
    )


def _answers(values: list[Any], marked_open: bool) -> bool:
    """Cells that read as written answers: not numbers, dates or links, mostly distinct, and
    several words long (median ≥ 15 characters) unless the survey tool marks them open-ended."""
    present = [c for c in (cell_text(v) for v in values[:2000]) if c]
    if not present or is_numeric_column(present) or _looks_like(CREATED_AT, present, exact=False):
        return False
    if sum(c.startswith(("http://", "https://", "www.")) for c in present) >= len(present) / 2:
        return False
    if len(set(present)) < 0.5 * len(present):
        return False
    return marked_open or sorted(len(c) for c in present)[len(present) // 2] >= 15


def _free_text_column(
    frame: pd.DataFrame, columns: list[str], used: set[str]
) -> tuple[str | None, list[str]]:
    """The column whose cells read like written comments, and any that read almost as much so.

    Written comments are long (median ≥ 15 characters) and mostly distinct; scores, dates,
    categories and ids are not. A rival within 60 % of the longest median makes it ambiguous.
    Nothing is taken from a file that may have no header row — one column, or a "column name"
    that is a number or a date — because its first comment would be read as a name and lost.
    """
    if len(columns) < 2 or any(reads_as_value(c) for c in columns if cell_text(c)):
        return None, []
    found = []
    for col in columns:
        if col in used or is_title_name(col):
            continue
        present = [c for c in (cell_text(v) for v in frame[col].tolist()[:2000]) if c]
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
    present = [v for v in values if cell_text(v)]
    if role != COMMENT_ID:
        present = present[:2000]  # a sample decides; the whole column is parsed later
    if not present:
        return exact
    if role == SCORE:
        parsed = sum(reads_as_rating(v) for v in present)
        return parsed >= len(present) / 2
    if role == CREATED_AT:
        parsed, _, _ = parse_dates(present)
        return int(parsed.notna().sum()) >= len(present) / 2
    if role == COMMENT_ID:
        return len({cell_text(v) for v in present}) >= 0.95 * len(present)
    return True
