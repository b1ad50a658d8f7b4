"""What was read from one input file: the report the readers fill in and load() returns.

Both the readers (format, encoding, header) and load() (mapping, scores, dates) add to it, so it
lives beneath both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FileReport:
    """What was read from one input file; goes into manifest.json and `feedback-nlp inspect`.

    Never holds comment text (comments are personal data): only names, counts and row numbers.
    """

    source: str
    path: str
    sha256: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    header_shape: str = "plain"
    sheet: str | None = None
    rows: int = 0
    columns_found: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    score_scale: str | None = None
    score_words: dict[str, float] = field(default_factory=dict)  # rating label -> value read
    score_direction: str | None = None  # ces: higher_is_easier | higher_is_more_effort
    score_points: int | None = None  # ces: 5 or 7
    questions: list[str] = field(default_factory=list)  # open questions analysed, if several
    title: str | None = None  # the review-title column joined to the text
    repairs: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy."""
        return asdict(self)


def rows_text(rows: list[int], limit: int = 10) -> str:
    """Row numbers for a problem sentence: 'row 3', 'rows 3, 7, ... and 40 more'."""
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{'row' if len(rows) == 1 else 'rows'} {shown}{more}"
