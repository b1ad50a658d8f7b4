"""report.md: the headline numbers and the ranking as Markdown tables, with quotes; customers'
text Markdown-escaped."""

from __future__ import annotations

import re

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.manifest import describe_choice
from feedback_nlp.report.figures import (
    COMPLAINT_HEADER,
    MAX_THEMES_PER_GROUP,
    complaint_groups,
    complete_themes,
    count_text,
    format_number,
    headline,
    impact_columns,
    impact_name,
    impact_text,
    no_complaints_text,
    ranked_by_text,
    report_title,
    row_quotes,
    trend_text,
    unranked_text,
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
    rated = themes.attrs.get("summary", {}).get("rating_scale") or {}
    if rated.get("rated"):
        facts.append(
            f"**Average {md_escape(rated['name'])}:** {rated['average']:.2f} "
            f"({rated['rated']:,} rated)"
        )
    if "from" in head:
        facts.append(f"**Period:** {head['from']} to {head['to']}")
    chosen = describe_choice((manifest or {}).get("taxonomy_choice"))
    if chosen:
        facts.append(f"**Taxonomy:** {md_escape(chosen)}")
    lines += [f"- {f}" for f in facts] + [""]
    groups = complaint_groups(themes)
    columns = impact_columns(themes)
    if groups:
        lines += [md_escape(ranked_by_text(themes)), ""]
    for heading, _name, rows in groups:
        lines += [
            f"## {md_escape(heading)}",
            "",
            (
                f"| # | {COMPLAINT_HEADER} | Complaints | Comments | {impact_name(themes)} "
                "(90% CI) | Praise "
                "| Trend |"
            ),
            "|---:|---|---:|---:|---|---:|---|",
        ]
        shown = rows.head(MAX_THEMES_PER_GROUP)
        for _, row in shown.iterrows():
            cells = [
                format_number(row[s.RANK], "d"),
                md_escape(row[s.LABEL]),
                count_text(row, s.MENTIONS),
                count_text(row, s.COMMENTS),
                md_escape(impact_text(row, columns)),
                count_text(row, s.PRAISE_MENTIONS),
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
        asked = [row for _, row in shown.iterrows() if isinstance(row.get(s.QUESTIONS), str)]
        if any(row[s.QUESTIONS] for row in asked):  # several open questions: which one
            lines += ["", "**Answers to**", ""]
            lines += [
                f"- {md_escape(row[s.LABEL])}: {md_escape(row[s.QUESTIONS])}"
                for row in asked
                if row[s.QUESTIONS]
            ]
        keyed = [row for _, row in shown.iterrows() if isinstance(row.get(s.KEY_PHRASES), str)]
        if keyed:  # discovered themes: what their comments keep saying, per language
            lines += ["", "**Key phrases of discovered themes**", ""]
            lines += [
                f"- {md_escape(row[s.LABEL])}: {md_escape(row[s.KEY_PHRASES])}" for row in keyed
            ]
        lines.append("")
    if not groups:
        lines += [md_escape(no_complaints_text(themes)), ""]
    if unranked_text(themes):
        lines += [f"_{md_escape(unranked_text(themes))}_", ""]
    lines += [
        "---",
        "",
        (
            "Each row is a topic; Complaints counts its negative mentions, Comments the comments "
            "with one, Praise its positive mentions (never counted as complaints). NPS impact = "
            "NPS of all scored comments minus NPS of the scored comments without a complaint "
            "about the topic; rating impact (stars, CSAT, CES) the same on the average rating, in "
            "the scale's points (negative: the complaints cost); 90% bootstrap interval. Trend: "
            "change of the share of comments "
            "complaining about it against the previous period, shown only where both periods "
            "have at least 5 complaints and the change is significant (p < 0.05)."
        ),
        "",
    ]
    return "\n".join(lines)
