"""The terminal table of the top complaint themes (rich; no customer text is read as markup)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table
from rich.text import Text

from feedback_nlp import schema as s
from feedback_nlp.report.figures import (
    COMPLAINT_HEADER,
    complaint_groups,
    complete_themes,
    count_text,
    format_number,
    group_title,
    impact_columns,
    impact_name,
    impact_text,
    ranked_by_text,
    trend_text,
)


def top_complaints_table(themes: pd.DataFrame, *, per_touchpoint: int = 3) -> Table:
    """A rich Table of the top complaint themes per group of the ranking (the export's stage /
    channel, the taxonomy touchpoint, ...); every cell is a Text, so no label or id is read as
    rich markup."""
    themes = complete_themes(themes)
    table = Table(
        title="Top complaint themes",
        caption=ranked_by_text(themes),  # names the scale the ranking follows
        header_style="bold",
        expand=False,
    )
    columns = impact_columns(themes)
    # Theme gets room for a long word ("recommendation") so a narrow terminal breaks labels
    # between words; the numbers' headers wrap instead
    for name, justify, min_width in (
        (group_title(themes), "left", None),
        ("#", "right", None),
        (COMPLAINT_HEADER, "left", 14),
        ("Complaints", "right", None),
        (f"{impact_name(themes)} (90% CI)", "right", None),
        ("Praise", "right", None),
        ("Trend", "left", None),
    ):
        table.add_column(name, justify=justify, overflow="fold", min_width=min_width)
    groups = complaint_groups(themes)
    for g, (_heading, name, rows) in enumerate(groups):
        shown = rows.head(per_touchpoint)
        for i, (_, row) in enumerate(shown.iterrows()):
            trend = trend_text(row)
            style = "bold red" if "emerging" in trend else ""
            table.add_row(
                Text(name if i == 0 else ""),
                Text(format_number(row[s.RANK], "d")),
                Text(str(row[s.LABEL])),
                Text(count_text(row, s.MENTIONS)),
                Text(impact_text(row, columns)),
                Text(count_text(row, s.PRAISE_MENTIONS)),
                Text(trend, style=style),
                end_section=(i == len(shown) - 1 and g < len(groups) - 1),
            )
    return table
