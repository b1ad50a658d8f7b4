"""What every report shows and how it reads the themes frame: the headline numbers, the complaint
groups in rank order, number/impact/trend texts, quotes of a row, and the columns a themes frame
read back from themes.csv may lack.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.report.impact import nps_points
from feedback_nlp.report.labels import prettify
from feedback_nlp.report.prepared import is_analysed
from feedback_nlp.report.summarize import rank_themes

MAX_THEMES_PER_GROUP = 10  # in report.html / report.md; themes.csv has them all
NO_COMPLAINTS = "No complaint theme (negative mentions) reached the minimum mentions."
# How every report reads a ranked row: the label names the topic, every number beside it counts
# complaints about it (negative mentions) except the praise column (docs/reports.md).
COMPLAINT_HEADER = "Complaints about"


def headline(comments: pd.DataFrame, themes: pd.DataFrame | None = None) -> dict:
    """The report's headline numbers, JSON-ready: rows, analysed, languages, NPS, date range."""
    analysed = is_analysed(comments)
    out: dict = {"comments": len(comments), "analysed": int(analysed.sum())}
    if s.STATUS in comments.columns:
        counts = comments[s.STATUS].value_counts()
        out["status"] = {str(k): int(v) for k, v in counts.items()}
    if s.LANG in comments.columns:
        langs = comments.loc[analysed, s.LANG].dropna()
        langs = langs[langs != s.UNDETERMINED].value_counts()
        out["languages"] = {str(k): int(v) for k, v in langs.items()}
    points = nps_points(comments).dropna()
    out["nps"] = round(float(points.mean()) * 100, 1) if len(points) else None
    out["scored"] = len(points)
    if s.CREATED_AT in comments.columns:
        dates = pd.to_datetime(comments[s.CREATED_AT], errors="coerce", utc=True).dropna()
        if len(dates):
            out["from"], out["to"] = str(dates.min().date()), str(dates.max().date())
    if themes is not None:
        out["themes"] = len(themes)
    return out


def summary_by(themes: pd.DataFrame) -> str:
    return themes.attrs.get("summary", {}).get("by", s.TOUCHPOINT)


def group_title(themes: pd.DataFrame) -> str:
    """What the groups are, as the export names them: "Channel", "Touchpoint", "Lang"."""
    summary = themes.attrs.get("summary", {})
    by = summary.get("by", s.TOUCHPOINT)
    if summary.get("by_label"):
        return str(summary["by_label"])
    if by in (s.TOUCHPOINT, s.INPUT_TOUCHPOINT):
        return "Touchpoint"
    return "Theme" if by == s.THEME else prettify(by)


def no_complaints_text(themes: pd.DataFrame) -> str:
    return themes.attrs.get("summary", {}).get("reason") or NO_COMPLAINTS


def unranked_text(themes: pd.DataFrame) -> str | None:
    """'Not ranked (fewer than 5 complaints about any theme): Channel: Store (largest 3), ...'
    for the groups of a by-stage ranking that rank nothing; None when every group ranks."""
    summary = themes.attrs.get("summary", {})
    groups = summary.get("unranked_groups") or {}
    if not groups or summary.get("by") in (s.TOUCHPOINT, s.THEME):
        return None
    title = group_title(themes)
    listed = ", ".join(f"{title}: {g} (largest {n})" for g, n in groups.items())
    floor = summary.get("min_mentions", 5)
    return f"Not ranked (fewer than {floor} complaints about any theme): {listed}."


def complaint_groups(themes: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    """(heading, group name, ranked complaint rows in rank order) per group that ranks any, the
    group with the worst complaint first. Heading: "Channel: Website" for a comments column,
    the touchpoint's label for by="touchpoint", "All themes" for by="theme"."""
    if themes.empty:
        return []
    by, title = summary_by(themes), group_title(themes)
    out = []
    for group, rows in themes.groupby(s.GROUP, sort=False):
        rows = rows[rows[s.RANK].notna()].sort_values(s.RANK, kind="stable")  # complaints only
        if rows.empty:
            continue
        if by == s.TOUCHPOINT:
            name = heading = str(rows[s.TOUCHPOINT_LABEL].iloc[0])
        elif by == s.THEME:
            name = heading = "All themes"
        else:
            name, heading = str(group), f"{title}: {group}"
        out.append((heading, name, rows))
    out.sort(key=lambda item: item[2][s.RANK_OVERALL].min())
    return out


def format_number(value, fmt: str, default: str = "–") -> str:
    return default if value is None or pd.isna(value) else format(value, fmt)


def ranked_by(themes: pd.DataFrame) -> str:
    """The column the ranking followed (summarize's rule): nps_impact, rating_impact or comments;
    a frame read back from themes.csv (no attrs) by what it carries."""
    found = themes.attrs.get("summary", {}).get("ranked_by")
    if found:
        return found
    if s.NPS_IMPACT in themes.columns and themes[s.NPS_IMPACT].notna().any():
        return s.NPS_IMPACT
    if s.RATING_IMPACT in themes.columns and themes[s.RATING_IMPACT].notna().any():
        return s.RATING_IMPACT
    return s.COMMENTS


def rating_scale(themes: pd.DataFrame) -> dict:
    return themes.attrs.get("summary", {}).get("rating_scale") or {}


def impact_name(themes: pd.DataFrame) -> str:
    """What the impact column of the reports measures: "NPS impact", "Star-rating impact"."""
    if ranked_by(themes) != s.RATING_IMPACT:
        return "NPS impact"
    name = rating_scale(themes).get("name", "rating")
    name = "star-rating" if name == "star rating" else name
    return f"{name[0].upper()}{name[1:]} impact"


def impact_columns(themes: pd.DataFrame) -> tuple[str, str, str]:
    """(impact, low, high) columns the reports show: the ranking's."""
    if ranked_by(themes) == s.RATING_IMPACT:
        return s.RATING_IMPACT, s.RATING_IMPACT_LOW, s.RATING_IMPACT_HIGH
    return s.NPS_IMPACT, s.NPS_IMPACT_LOW, s.NPS_IMPACT_HIGH


def _points(value: float, scale: dict) -> str:
    """An average on a rating scale as it reads: "3.41 ★", "3.41 / 5", "66.7% satisfied"."""
    if scale.get("unit") == "% satisfied":
        return f"{value:.1f}% satisfied"
    return f"{value:.2f} {scale.get('unit', '')}".strip()


def scale_note(scale: dict) -> str:
    """ " (1-5, higher = more effort)" for CES, whose direction varies; "" otherwise."""
    if scale.get("scale") != "ces":
        return ""
    way = "easier" if scale.get("higher_is_better", True) else "more effort"
    return f" (1-{float(scale.get('high', 7)):g}, higher = {way})"


def _within_group(themes: pd.DataFrame, row: pd.Series) -> str:
    """ " (worst: in Channel 'Mobile app')" for a row ranked within a group; "" for one ranking
    of the whole export (by theme)."""
    group = row.get(s.GROUP)
    if group is None or pd.isna(group) or str(group) == "all":
        return ""
    by = themes.attrs.get("summary", {}).get("by", s.TOUCHPOINT)
    if by == s.TOUCHPOINT and pd.notna(row.get(s.TOUCHPOINT_LABEL, pd.NA)):
        group = row[s.TOUCHPOINT_LABEL]
    return f" (worst: in {group_title(themes)} '{group}')"


def ranked_by_text(themes: pd.DataFrame) -> str:
    """How the complaints are ranked, with what the worst costs: "Ranked by star-rating impact:
    average 3.41 ★ would be 3.63 ★ without complaints about 'App crashes'."."""
    by = ranked_by(themes)
    if by == s.COMMENTS or s.RANK_OVERALL not in themes.columns:
        return "Ranked by the number of comments with a complaint (no NPS or rating scores)."
    top = themes[themes[s.RANK_OVERALL] == 1]
    name = impact_name(themes)
    head = "Ranked by " + (name if name.startswith(("NPS", "CSAT", "CES")) else name.lower())
    head += scale_note(rating_scale(themes)) if by == s.RATING_IMPACT else ""
    if top.empty or pd.isna(top.iloc[0][by]):
        return head + "."
    row = top.iloc[0]
    label = str(row[s.LABEL])
    # impacts are measured within the row's group: its NPS or average is the group's, not the
    # whole export's, so the sentence names the group ("in Channel 'Mobile app'")
    head += _within_group(themes, row)
    if by == s.NPS_IMPACT:
        if pd.isna(row.get(s.NPS)):
            return head + "."
        return (
            f"{head}: NPS {row[s.NPS]:+.1f} would be {row[s.NPS] - row[by]:+.1f} without "
            f"complaints about '{label}'."
        )
    scale = rating_scale(themes)
    if pd.isna(row.get(s.RATING)):
        return head + "."
    sign = 1 if scale.get("higher_is_better", True) else -1
    without = float(row[s.RATING]) - sign * float(row[by])
    return (
        f"{head}: average {_points(float(row[s.RATING]), scale)} would be "
        f"{_points(without, scale)} without complaints about '{label}'."
    )


def impact_text(row: pd.Series, columns: tuple[str, str, str] | None = None) -> str:
    """ "-0.21 (-0.30 to -0.12)": the impact with its interval, in the columns given (NPS's by
    default); 2 decimals for ratings (a fifth of a star matters), 1 for NPS points."""
    col, low, high = columns or (s.NPS_IMPACT, s.NPS_IMPACT_LOW, s.NPS_IMPACT_HIGH)
    if col not in row.index or pd.isna(row[col]):
        return "–"
    fmt = "+.2f" if col == s.RATING_IMPACT else "+.1f"
    text = format(row[col], fmt)
    if not pd.isna(row[low]):
        text += f" ({format(row[low], fmt)} to {format(row[high], fmt)})"
    return text


def count_text(row: pd.Series, column: str) -> str:
    """A count cell: "12", or "–" where the frame has no such column (an older themes.csv)."""
    return format_number(row.get(column), ",")


def trend_text(row: pd.Series) -> str:
    value = row.get(s.TREND)
    return "–" if value is None or pd.isna(value) else str(value)


def _as_list(value) -> list:
    """A list cell, also as read back from themes.csv (a JSON array)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if isinstance(value, str) and value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            return []
        return parsed if isinstance(parsed, list) else []
    return []


def complete_themes(themes: pd.DataFrame) -> pd.DataFrame:
    """The extra columns that a themes frame read back from themes.csv may lack, filled in."""
    out = themes.copy()
    if s.GROUP not in out.columns:
        out[s.GROUP] = out[s.TOUCHPOINT]
    if s.TOUCHPOINT_LABEL not in out.columns:
        out[s.TOUCHPOINT_LABEL] = [prettify(t) for t in out[s.TOUCHPOINT]]
    if s.RANK_OVERALL not in out.columns:
        out[s.RANK_OVERALL] = rank_themes(out, [], ranked_by(out))
    for col in (s.EXAMPLE_COMMENT_IDS, s.EXAMPLE_QUOTES, s.EXAMPLE_LANGS):
        values = out[col].tolist() if col in out.columns else [None] * len(out)
        out[col] = pd.Series([_as_list(v) for v in values], index=out.index, dtype=object)
    if s.EMERGING not in out.columns:
        out[s.EMERGING] = pd.array([pd.NA] * len(out), dtype="boolean")
    for col in (s.PRAISE_MENTIONS, s.PRAISE_COMMENTS, s.TOPIC_MENTIONS):
        if col not in out.columns:
            out[col] = pd.array([pd.NA] * len(out), dtype="Int64")
    return out


def row_quotes(row: pd.Series) -> list[tuple[str, str, str]]:
    """(quote, comment id, lang) triples of a theme row."""
    quotes = _as_list(row.get(s.EXAMPLE_QUOTES))
    ids = _as_list(row.get(s.EXAMPLE_COMMENT_IDS)) + [None] * len(quotes)
    langs = _as_list(row.get(s.EXAMPLE_LANGS)) + [None] * len(quotes)
    return [
        (str(q), "" if i is None else str(i), "" if lang is None or pd.isna(lang) else str(lang))
        for q, i, lang in zip(quotes, ids, langs)
    ]


def report_title(title: str | None) -> str:
    return title or "Customer feedback: top complaints"
