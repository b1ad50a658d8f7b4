"""report.md: the headline numbers and the ranking as Markdown tables, with quotes; customers'
text Markdown-escaped."""

from __future__ import annotations

import re

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.report.figures import (
    MAX_THEMES_PER_GROUP,
    NO_COMPLAINTS,
    complaint_groups,
    complete_themes,
    format_number,
    headline,
    impact_text,
    report_title,
    row_quotes,
    trend_text,
)

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_escape(value: object) -> str:
    """Text safe inside a Markdown table cell: one line, `|` and markup characters escaped."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(
    comments: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    trends: pd.DataFrame | None = None,
    manifest: dict | None = None,
    title: str | None = None,
) -> str:
    """report.md: headline numbers and the ranking as Markdown tables, with quotes."""
    themes = complete_themes(themes)
    head = headline(comments, themes)
    lines = [f"# {md_escape(report_title(title))}", ""]
    langs = head.get("languages", {})
    facts = [
        f"**Comments:** {head['comments']:,} ({head['analysed']:,} analysed)",
        f"**Languages:** {len(langs)} ({md_escape(', '.join(list(langs)[:6]))})",
    ]
    if head["nps"] is not None:
        facts.append(f"**NPS:** {head['nps']:+.0f} ({head.get('scored', 0):,} scored)")
    if "from" in head:
        facts.append(f"**Period:** {head['from']} to {head['to']}")
    lines += [f"- {f}" for f in facts] + [""]
    for heading, rows in complaint_groups(themes):
        lines += [
            f"## {md_escape(heading)}",
            "",
            "| # | Theme | Mentions | Negative | Net sentiment | NPS impact (90% CI) | Trend |",
            "|---:|---|---:|---:|---:|---|---|",
        ]
        shown = rows.head(MAX_THEMES_PER_GROUP)
        for _, row in shown.iterrows():
            cells = [
                format_number(row[s.RANK], "d"),
                md_escape(row[s.LABEL]),
                format_number(row[s.MENTIONS], ","),
                format_number(row[s.NEGATIVE_SHARE], ".0%"),
                format_number(row[s.NET_SENTIMENT], "+.2f"),
                md_escape(impact_text(row)),
                md_escape(trend_text(row)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        if len(rows) > len(shown):
            lines += ["", f"_{len(rows) - len(shown)} more in themes.csv._"]
        quoted = [(row, row_quotes(row)) for _, row in shown.iterrows()]
        if any(q for _, q in quoted):
            lines += ["", "**What customers said**", ""]
            for row, quotes in quoted:
                for q, cid, lang in quotes:
                    source = md_escape(", ".join(x for x in (cid, lang) if x))
                    lines.append(f"- {md_escape(row[s.LABEL])}: “{md_escape(q)}” ({source})")
        lines.append("")
    if not complaint_groups(themes):
        lines += [NO_COMPLAINTS, ""]
    lines += [
        "---",
        "",
        (
            "NPS impact = NPS of all scored comments minus NPS of the scored "
            "comments that do not mention the theme; 90% bootstrap interval. Trend: change of "
            "the share of comments mentioning the theme against the previous period."
        ),
        "",
    ]
    return "\n".join(lines)
