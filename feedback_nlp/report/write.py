"""Reports from a summary: report.html, report.md, themes.csv and report.xlsx, written together
(the terminal table is in report.terminal).

Every piece of text that comes from customers (quotes, ids, languages, labels of discovered
themes, user columns) is escaped for its medium: HTML-escaped in report.html (which also carries
a Content-Security-Policy that forbids scripts and any network request), Markdown-escaped in
report.md, formula-neutralised in CSV/XLSX, and never read as markup by rich.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.output import write_atomic, write_csv
from feedback_nlp.report.figures import complete_themes, headline, ranked_by_text, report_title
from feedback_nlp.report.html import render_html
from feedback_nlp.report.markdown import render_markdown
from feedback_nlp.report.tables import themes_for_csv, write_xlsx


def write_report(
    comments: pd.DataFrame,
    mentions: pd.DataFrame,
    themes: pd.DataFrame,
    outdir: str | Path,
    *,
    trends: pd.DataFrame | None = None,
    manifest: dict | None = None,
    title: str | None = None,
    touchpoint_view: tuple[pd.DataFrame, pd.DataFrame | None] | None = None,
) -> list[Path]:
    """Write report.html, report.md, themes.csv and report.xlsx into `outdir` (each atomically).
    `touchpoint_view`: (themes, trends) ranked by taxonomy touchpoint, where `themes` ranks by the
    export's own stage / channel: report.html offers both views, report.xlsx adds it as a sheet.

    >>> write_report(result.comments, result.mentions, themes, "out/")   # doctest: +SKIP
    """
    s.require_columns(themes, s.THEME_COLUMNS, what="write_report() (themes)")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    page = render_html(
        comments,
        themes,
        trends=trends,
        manifest=manifest,
        title=title,
        touchpoint_view=touchpoint_view,
    )
    text = render_markdown(comments, themes, trends=trends, manifest=manifest, title=title)
    head = headline(comments, themes)
    summary = {"title": report_title(title), **head, **themes.attrs.get("summary", {})}
    summary["ranked by"] = ranked_by_text(complete_themes(themes))  # names the scale
    return [
        write_atomic(out / "report.html", lambda tmp: tmp.write_text(page, encoding="utf-8")),
        write_atomic(out / "report.md", lambda tmp: tmp.write_text(text, encoding="utf-8")),
        write_csv(themes_for_csv(themes), out / "themes.csv"),
        write_xlsx(
            out / "report.xlsx",
            comments,
            mentions,
            themes,
            summary=summary,
            by_touchpoint=None if touchpoint_view is None else touchpoint_view[0],
        ),
    ]
