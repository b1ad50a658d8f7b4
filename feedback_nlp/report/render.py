"""Reports from a summary: report.html, report.md, themes.csv, report.xlsx, and a terminal table.

Every piece of text that comes from customers (quotes, ids, languages, labels of discovered
themes, user columns) is escaped for its medium: HTML-escaped in report.html (which also carries
a Content-Security-Policy that forbids scripts and any network request), Markdown-escaped in
report.md, formula-neutralised in CSV/XLSX, and never read as markup by rich.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table
from rich.text import Text

from feedback_nlp import schema as s
from feedback_nlp.output import neutralize_formulas, write_atomic, write_csv
from feedback_nlp.report.impact import nps_points
from feedback_nlp.report.labels import prettify
from feedback_nlp.report.summarize import rank_themes

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, the header included
EXCEL_MAX_CELL = 32_767  # characters per cell
MAX_THEMES_PER_GROUP = 10  # in report.html / report.md; themes.csv has them all
NO_COMPLAINTS = "No complaint theme (a theme with negative comments) reached the minimum mentions."
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


# --- shared figures ------------------------------------------------------------------------------


def _is_analysed(comments: pd.DataFrame) -> pd.Series:
    if s.STATUS not in comments.columns:
        return pd.Series(True, index=comments.index)
    st = comments[s.STATUS]
    return (st.isna() | (st == s.STATUS_ANALYZED)).astype(bool)


def headline(comments: pd.DataFrame, themes: pd.DataFrame | None = None) -> dict:
    """The report's headline numbers, JSON-ready: rows, analysed, languages, NPS, date range."""
    analysed = _is_analysed(comments)
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


def _by(themes: pd.DataFrame) -> str:
    return themes.attrs.get("summary", {}).get("by", s.TOUCHPOINT)


def _groups(themes: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(heading, complaint rows in rank order) per group that has complaints (themes with
    negative comments), the group with the worst theme first."""
    if themes.empty:
        return []
    by = _by(themes)
    out = []
    for group, rows in themes.groupby(s.GROUP, sort=False):
        rows = rows.sort_values(s.RANK, kind="stable")
        rows = rows[rows[s.NEGATIVE_COMMENTS].fillna(0) > 0]  # complaints only
        if rows.empty:
            continue
        if by == s.TOUCHPOINT:
            heading = str(rows[s.TOUCHPOINT_LABEL].iloc[0])
        elif by == s.THEME:
            heading = "All themes"
        else:
            heading = f"{by}: {group}"
        out.append((heading, rows))
    out.sort(key=lambda item: item[1][s.RANK_OVERALL].min())
    return out


def _num(value, fmt: str, default: str = "–") -> str:
    return default if value is None or pd.isna(value) else format(value, fmt)


def _impact_text(row: pd.Series) -> str:
    if pd.isna(row[s.NPS_IMPACT]):
        return "–"
    text = f"{row[s.NPS_IMPACT]:+.1f}"
    if not pd.isna(row[s.NPS_IMPACT_LOW]):
        text += f" ({row[s.NPS_IMPACT_LOW]:+.1f} to {row[s.NPS_IMPACT_HIGH]:+.1f})"
    return text


def _trend_text(row: pd.Series) -> str:
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


def _complete(themes: pd.DataFrame) -> pd.DataFrame:
    """The extra columns that a themes frame read back from themes.csv may lack, filled in."""
    out = themes.copy()
    if s.GROUP not in out.columns:
        out[s.GROUP] = out[s.TOUCHPOINT]
    if s.TOUCHPOINT_LABEL not in out.columns:
        out[s.TOUCHPOINT_LABEL] = [prettify(t) for t in out[s.TOUCHPOINT]]
    if s.RANK_OVERALL not in out.columns:
        out[s.RANK_OVERALL] = rank_themes(out, [])
    for col in (s.EXAMPLE_COMMENT_IDS, s.EXAMPLE_QUOTES, s.EXAMPLE_LANGS):
        values = out[col].tolist() if col in out.columns else [None] * len(out)
        out[col] = pd.Series([_as_list(v) for v in values], index=out.index, dtype=object)
    if s.EMERGING not in out.columns:
        out[s.EMERGING] = pd.array([pd.NA] * len(out), dtype="boolean")
    return out


def _quotes(row: pd.Series) -> list[tuple[str, str, str]]:
    """(quote, comment id, lang) triples of a theme row."""
    quotes = _as_list(row.get(s.EXAMPLE_QUOTES))
    ids = _as_list(row.get(s.EXAMPLE_COMMENT_IDS)) + [None] * len(quotes)
    langs = _as_list(row.get(s.EXAMPLE_LANGS)) + [None] * len(quotes)
    return [
        (str(q), "" if i is None else str(i), "" if lang is None or pd.isna(lang) else str(lang))
        for q, i, lang in zip(quotes, ids, langs)
    ]


def _title(title: str | None) -> str:
    return title or "Customer feedback: top complaints"


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--card:#f6f8fa;--line:#d1d9e0;--neg:#cf222e;
--pos:#1a7f37;--ci:#24292f;--accent:#0969da}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,
"Segoe UI",Roboto,"Noto Sans","Noto Sans Thai",Loma,"Helvetica Neue",Arial,sans-serif}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.55rem;line-height:1.25;margin:.2em 0 .1em}
h2{font-size:1.25rem;margin:1.6em 0 .4em;padding-bottom:.2em;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:0;line-height:1.3}
.meta,.stats,cite,.note,.ci{color:var(--muted)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin:14px 0}
.kpi{background:var(--card);border-radius:10px;padding:10px 12px}
.kpi b{display:block;font-size:1.5rem;line-height:1.2}
.kpi span{font-size:.85rem;color:var(--muted)}
.top{padding-left:1.4em;margin:.4em 0}
.top li{margin:.2em 0}
.theme{border:1px solid var(--line);border-radius:10px;padding:12px 14px;margin:10px 0}
.theme header{display:flex;gap:.6em;align-items:flex-start}
.rank{flex:none;width:1.8em;height:1.8em;border-radius:50%;background:var(--fg);color:var(--bg);
display:inline-flex;align-items:center;justify-content:center;font-weight:700;font-size:.85rem}
.badge{font-size:.75rem;font-weight:600;color:#fff;background:var(--neg);border-radius:999px;
padding:.05em .6em;white-space:nowrap}
.stats{margin:.35em 0;font-size:.92rem}
.stats b{color:var(--fg)}
.figs{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:6px 16px;align-items:end}
.fig{font-size:.85rem}
.fig .bar{display:block;width:100%;height:28px}
.fig .spark{display:inline-block;vertical-align:middle;width:120px;height:28px;margin-right:8px}
.quotes{list-style:none;padding:0;margin:.6em 0 0}
.quotes li{border-left:3px solid var(--line);padding:2px 10px;margin:8px 0;overflow-wrap:anywhere}
.quotes q{quotes:"\\201C" "\\201D"}
cite{display:block;font-style:normal;font-size:.8rem}
footer{margin-top:2.5em;font-size:.85rem;color:var(--muted);border-top:1px solid var(--line)}
@media (max-width:600px){main{padding:12px}.figs{grid-template-columns:1fr}.kpi b{font-size:1.3rem}}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _impact_svg(row: pd.Series, lo: float, hi: float) -> str:
    """A horizontal bar from 0 to the impact with a 90 % interval whisker, on [lo, hi] points."""
    width, pad = 300.0, 6.0

    def x(v: float) -> float:
        return pad + (v - lo) / ((hi - lo) or 1.0) * (width - 2 * pad)

    value = float(row[s.NPS_IMPACT])
    x0, x1 = x(0.0), x(value)
    colour = "var(--neg)" if value < 0 else "var(--pos)"
    parts = [
        (
            f'<rect x="{min(x0, x1):.1f}" y="7" width="{abs(x1 - x0):.1f}" height="14" rx="2" '
            f'fill="{colour}" opacity=".85"/>'
        ),
        (
            f'<line x1="{x0:.1f}" y1="2" x2="{x0:.1f}" y2="26" stroke="var(--muted)" stroke-width="1" '
            'vector-effect="non-scaling-stroke"/>'
        ),
    ]
    if not pd.isna(row[s.NPS_IMPACT_LOW]):
        a, b = x(float(row[s.NPS_IMPACT_LOW])), x(float(row[s.NPS_IMPACT_HIGH]))
        parts.append(
            f'<path d="M{a:.1f} 14H{b:.1f}M{a:.1f} 9V19M{b:.1f} 9V19" stroke="var(--ci)" '
            'stroke-width="1.5" fill="none" vector-effect="non-scaling-stroke"/>'
        )
    label = f"NPS impact {_impact_text(row)}"
    return (
        f'<svg class="bar" viewBox="0 0 {width:.0f} 28" preserveAspectRatio="none" role="img" '
        f'aria-label="{_e(label)}">'
        f"<title>{_e(label)}</title>{''.join(parts)}</svg>"
    )


def _volume_svg(share: float) -> str:
    width = 300.0
    w = max(0.0, min(1.0, share)) * (width - 12)
    return (
        f'<svg class="bar" viewBox="0 0 {width:.0f} 28" preserveAspectRatio="none" role="img" '
        'aria-label="negative share">'
        f'<rect x="6" y="7" width="{width - 12:.1f}" height="14" rx="2" fill="var(--card)"/>'
        f'<rect x="6" y="7" width="{w:.1f}" height="14" rx="2" fill="var(--neg)" '
        'opacity=".85"/></svg>'
    )


def _sparkline_svg(values: list[float], label: str) -> str:
    if len(values) < 2:
        return ""
    width, height, pad = 120.0, 28.0, 3.0
    top = max(values) or 1.0
    step = (width - 2 * pad) / (len(values) - 1)
    pts = [
        (pad + i * step, height - pad - v / top * (height - 2 * pad)) for i, v in enumerate(values)
    ]
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
    lx, ly = pts[-1]
    return (
        f'<svg class="spark" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{_e(label)}"><title>{_e(label)}</title>'
        f'<polyline points="{line}" fill="none" stroke="var(--accent)" stroke-width="1.8" '
        f'stroke-linejoin="round"/><circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.6" '
        'fill="var(--accent)"/></svg>'
    )


def _series(trends: pd.DataFrame | None, keys: list[str]) -> dict[tuple, list[float]]:
    if trends is None or trends.empty:
        return {}
    cols = [c for c in keys if c in trends.columns]
    ordered = trends.sort_values([*cols, s.PERIOD_START], kind="stable")
    return {
        (k if isinstance(k, tuple) else (k,)): g[s.SHARE].astype("float64").fillna(0).tolist()
        for k, g in ordered.groupby(cols, sort=False)
    }


def _theme_card(
    row: pd.Series, scale: tuple[float, float] | None, spark: list[float], period: str | None
) -> str:
    emerging = bool(row.get(s.EMERGING)) if not pd.isna(row.get(s.EMERGING)) else False
    badge = '<span class="badge">emerging</span>' if emerging else ""
    stats = (
        f"<b>{_num(row[s.MENTIONS], ',')}</b> mentions · "
        f"<b>{_num(row[s.NEGATIVE_SHARE], '.0%')}</b> negative "
        f"({_num(row[s.NEGATIVE_COMMENTS], ',')} comments) · "
        f"net sentiment <b>{_num(row[s.NET_SENTIMENT], '+.2f')}</b>"
    )
    if scale is not None and not pd.isna(row[s.NPS_IMPACT]):
        bar = _impact_svg(row, *scale)
        caption = f"NPS impact <b>{_e(_impact_text(row).split(' (')[0])}</b> points"
        if not pd.isna(row[s.NPS_IMPACT_LOW]):
            caption += (
                f' <span class="ci">(90% CI {row[s.NPS_IMPACT_LOW]:+.1f} to '
                f"{row[s.NPS_IMPACT_HIGH]:+.1f})</span>"
            )
    else:
        bar = _volume_svg(
            float(row[s.NEGATIVE_SHARE]) if not pd.isna(row[s.NEGATIVE_SHARE]) else 0.0
        )
        caption = "negative share (no NPS scores)"
    trend = _trend_text(row)
    figs = f'<div class="fig">{bar}{caption}</div>'
    if spark or trend != "–":
        against = f" vs previous {period}" if period and trend != "–" else ""
        figs += (
            f'<div class="fig">{_sparkline_svg(spark, "share of comments per " + (period or "period"))}'
            f"trend <b>{_e(trend)}</b>{_e(against)}</div>"
        )
    quotes = "".join(
        f"<li><q>{_e(q)}</q><cite>{_e(' · '.join(x for x in (cid, lang) if x))}</cite></li>"
        for q, cid, lang in _quotes(row)
    )
    return (
        f'<article class="theme"><header><span class="rank">{_e(row[s.RANK])}</span>'
        f"<h3>{_e(row[s.LABEL])}</h3>{badge}</header>"
        f'<p class="stats">{stats}</p><div class="figs">{figs}</div>'
        + (f'<ul class="quotes">{quotes}</ul>' if quotes else "")
        + "</article>"
    )


def render_html(
    comments: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    trends: pd.DataFrame | None = None,
    manifest: dict | None = None,
    title: str | None = None,
) -> str:
    """report.html as a string: one self-contained page (inline CSS and SVG, no script, no
    external resource; a CSP meta tag forbids any request), readable on a phone."""
    themes = _complete(themes)
    head = headline(comments, themes)
    page_title = _title(title)
    groups = _groups(themes)
    shown = (
        pd.concat([rows.head(MAX_THEMES_PER_GROUP) for _, rows in groups]) if groups else (themes)
    )
    scale = None
    if len(shown) and shown[s.NPS_IMPACT].notna().any():
        vals = shown[[s.NPS_IMPACT, s.NPS_IMPACT_LOW, s.NPS_IMPACT_HIGH]].astype("float64")
        scale = (
            min(0.0, float(np.nanmin(vals.to_numpy()))),
            max(0.0, float(np.nanmax(vals.to_numpy()))),
        )
    keys = [s.GROUP, s.THEME] if _by(themes) == s.THEME else [s.GROUP, s.TOUCHPOINT, s.THEME]
    sparks = _series(trends, keys)
    summary = themes.attrs.get("summary", {})

    langs = head.get("languages", {})
    total = sum(langs.values()) or 1
    lang_note = ", ".join(f"{k} {v / total:.0%}" for k, v in list(langs.items())[:4])
    kpis = [
        (f"{head['comments']:,}", "comments", f"{head['analysed']:,} analysed"),
        (str(len(langs)), "languages", lang_note),
        (
            "–" if head["nps"] is None else f"{head['nps']:+.0f}",
            "NPS",
            f"{head.get('scored', 0):,} scored" if head["nps"] is not None else "no NPS scores",
        ),
        (
            str(len(themes)),
            "themes ranked",
            f"{head['from']} – {head['to']}" if "from" in head else "",
        ),
    ]
    body = (
        ['<section class="kpis">']
        + [
            f'<div class="kpi"><b>{_e(v)}</b>{_e(k)}<br><span>{_e(n)}</span></div>'
            for v, k, n in kpis
        ]
        + ["</section>"]
    )
    if groups:
        top = pd.concat([rows for _, rows in groups]).sort_values(s.RANK_OVERALL).head(5)
        body.append('<h2 id="top">Top complaints</h2><ol class="top">')
        for _, row in top.iterrows():
            impact = "" if pd.isna(row[s.NPS_IMPACT]) else f" — NPS {row[s.NPS_IMPACT]:+.1f}"
            where = "" if _by(themes) == s.THEME else f" ({row[s.TOUCHPOINT_LABEL]})"
            body.append(f"<li><b>{_e(row[s.LABEL])}</b>{_e(where)}{_e(impact)}</li>")
        body.append("</ol>")
    else:
        body.append(f'<p class="note">{_e(NO_COMPLAINTS)}</p>')
    for heading, rows in groups:
        body.append(f"<section><h2>{_e(heading)}</h2>")
        for _, row in rows.head(MAX_THEMES_PER_GROUP).iterrows():
            key = tuple(row[k] for k in keys)
            body.append(_theme_card(row, scale, sparks.get(key, []), summary.get("period")))
        if len(rows) > MAX_THEMES_PER_GROUP:
            body.append(
                f'<p class="note">{len(rows) - MAX_THEMES_PER_GROUP} more in '
                "themes.csv and report.xlsx.</p>"
            )
        body.append("</section>")
    notes = [
        (
            "NPS impact = NPS of all scored comments − NPS of the scored comments that do not mention "
            "the theme (negative: the theme costs points); 90% interval from a bootstrap over "
            f"comments ({summary.get('n_boot', 'n')} replicates)."
        ),
        (
            "Negative = comments with a negative mention of the theme. Trend = change of the share of "
            "comments mentioning the theme, latest period against the one before (two-proportion "
            "z-test); emerging = significant growth (p < 0.05) or new in the latest period."
        ),
        (
            f"Quotes: negative clauses closest to the theme's centre "
            f"({summary.get('quotes', 'tfidf-char-3gram')}), near-duplicates removed."
        ),
    ]
    if manifest:
        versions = manifest.get("versions", {})
        made = manifest.get("created_at", "")
        notes.append(f"feedback-nlp {versions.get('feedback-nlp', '')} · {made}".strip(" ·"))
    body.append("<footer>" + "".join(f"<p>{_e(n)}</p>" for n in notes) + "</footer>")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">"
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(page_title)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>{_e(page_title)}</h1><p class="meta">Generated {_e(generated)} by feedback-nlp'
        "</p>" + "\n".join(body) + "</main></body></html>\n"
    )


# --- Markdown ------------------------------------------------------------------------------------


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
    themes = _complete(themes)
    head = headline(comments, themes)
    lines = [f"# {md_escape(_title(title))}", ""]
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
    for heading, rows in _groups(themes):
        lines += [
            f"## {md_escape(heading)}",
            "",
            "| # | Theme | Mentions | Negative | Net sentiment | NPS impact (90% CI) | Trend |",
            "|---:|---|---:|---:|---:|---|---|",
        ]
        shown = rows.head(MAX_THEMES_PER_GROUP)
        for _, row in shown.iterrows():
            cells = [
                _num(row[s.RANK], "d"),
                md_escape(row[s.LABEL]),
                _num(row[s.MENTIONS], ","),
                _num(row[s.NEGATIVE_SHARE], ".0%"),
                _num(row[s.NET_SENTIMENT], "+.2f"),
                md_escape(_impact_text(row)),
                md_escape(_trend_text(row)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        if len(rows) > len(shown):
            lines += ["", f"_{len(rows) - len(shown)} more in themes.csv._"]
        quoted = [(row, _quotes(row)) for _, row in shown.iterrows()]
        if any(q for _, q in quoted):
            lines += ["", "**What customers said**", ""]
            for row, quotes in quoted:
                for q, cid, lang in quotes:
                    source = md_escape(", ".join(x for x in (cid, lang) if x))
                    lines.append(f"- {md_escape(row[s.LABEL])}: “{md_escape(q)}” ({source})")
        lines.append("")
    if not _groups(themes):
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


# --- CSV / XLSX ----------------------------------------------------------------------------------


def _json_list(value):
    if not isinstance(value, (list, tuple, np.ndarray)):
        return value
    items = [None if x is None or (isinstance(x, float) and np.isnan(x)) else x for x in value]
    return json.dumps(items, ensure_ascii=False, default=str)


def themes_for_csv(themes: pd.DataFrame) -> pd.DataFrame:
    """themes.csv's frame: list columns as JSON arrays (unambiguous, readable in a spreadsheet)."""
    out = themes.copy() if len(themes) else themes.astype(object)  # empty str columns: see output
    for col in out.columns:
        if any(isinstance(v, (list, tuple, np.ndarray)) for v in out[col].tolist()):
            out[col] = pd.Series(
                [_json_list(v) for v in out[col].tolist()], index=out.index, dtype=object
            )
    return out


def _cell(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return (
            value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value
        ).to_pydatetime()
    if isinstance(value, (list, tuple, np.ndarray)):
        value = "; ".join("" if x is None else str(x) for x in value)
    if isinstance(value, (str, int, float, bool, datetime)):
        if isinstance(value, str):
            value = _ILLEGAL_XLSX.sub("", value)[:EXCEL_MAX_CELL]
        return value
    return str(value)


def _sheet_rows(df: pd.DataFrame) -> Iterable[list]:
    frame = df.copy()
    for col in frame.columns:  # lists first, so a joined "=..." is neutralised below
        if frame[col].dtype == object:
            frame[col] = frame[col].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v
            )
    frame = neutralize_formulas(frame)
    columns = [frame[c].tolist() for c in frame.columns]
    for values in zip(*columns):
        yield [_cell(v) for v in values]


def write_xlsx(
    path: str | Path,
    comments: pd.DataFrame,
    mentions: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    summary: dict | None = None,
) -> Path:
    """report.xlsx: sheets summary, themes, mentions, comments. Text cells that a spreadsheet would
    run as a formula are neutralised; a sheet over Excel's row limit is cut, with a note.

    Written with XlsxWriter row by row (`constant_memory`), faster than openpyxl's write-only mode
    (a warm 100k run's `write` stage: 19.6 vs 27.6 s, docs/benchmarks.md). Every string is
    written as a string — no formula, URL or number conversion."""
    import xlsxwriter  # imported here: only report writing needs it

    notes: list[str] = []
    sheets = [("themes", themes_for_csv(themes)), ("mentions", mentions), ("comments", comments)]
    limit = EXCEL_MAX_ROWS - 2  # header + the note row
    for name, frame in sheets:
        if len(frame) > limit:
            notes.append(
                f"Sheet '{name}' truncated to its first {limit:,} of {len(frame):,} rows "
                "(Excel's row limit); the full data is in the parquet/CSV files."
            )

    def save(tmp: Path) -> None:
        options = {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd hh:mm:ss",
            "remove_timezone": True,
        }
        wb = xlsxwriter.Workbook(str(tmp), options)
        summary_ws = wb.add_worksheet("summary")
        summary_ws.set_column(0, 0, 22)
        summary_ws.set_column(1, 1, 80)
        items = [*(summary or {}).items(), *(("note", n) for n in notes)]
        for r, (key, value) in enumerate(items):
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items())
            row = next(_sheet_rows(pd.DataFrame({"k": [str(key)], "v": [value]}, dtype=object)))
            summary_ws.write_row(r, 0, row)
        for name, frame in sheets:
            ws = wb.add_worksheet(name)
            ws.write_row(0, 0, [_cell(str(c)) for c in frame.columns])
            r = 0
            for r, row in enumerate(_sheet_rows(frame.head(limit)), start=1):
                ws.write_row(r, 0, row)
            if len(frame) > limit:
                note = f"… truncated: {len(frame) - limit:,} more rows not shown (Excel's limit)"
                ws.write_row(r + 1, 0, [note])
        wb.close()

    return write_atomic(Path(path), save)


def write_report(
    comments: pd.DataFrame,
    mentions: pd.DataFrame,
    themes: pd.DataFrame,
    outdir: str | Path,
    *,
    trends: pd.DataFrame | None = None,
    manifest: dict | None = None,
    title: str | None = None,
) -> list[Path]:
    """Write report.html, report.md, themes.csv and report.xlsx into `outdir` (each atomically).

    >>> write_report(result.comments, result.mentions, themes, "out/")   # doctest: +SKIP
    """
    s.require_columns(themes, s.THEME_COLUMNS, what="write_report() (themes)")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    page = render_html(comments, themes, trends=trends, manifest=manifest, title=title)
    text = render_markdown(comments, themes, trends=trends, manifest=manifest, title=title)
    head = headline(comments, themes)
    summary = {"title": _title(title), **head, **themes.attrs.get("summary", {})}
    return [
        write_atomic(out / "report.html", lambda tmp: tmp.write_text(page, encoding="utf-8")),
        write_atomic(out / "report.md", lambda tmp: tmp.write_text(text, encoding="utf-8")),
        write_csv(themes_for_csv(themes), out / "themes.csv"),
        write_xlsx(out / "report.xlsx", comments, mentions, themes, summary=summary),
    ]


# --- terminal ------------------------------------------------------------------------------------


def top_complaints_table(themes: pd.DataFrame, *, per_touchpoint: int = 3) -> Table:
    """A rich Table of the top complaint themes per touchpoint (or per group of `by`); every
    cell is a Text, so no label or id is read as rich markup."""
    themes = _complete(themes)
    table = Table(title="Top complaint themes", header_style="bold", expand=False)
    # Theme gets room for a long word ("recommendation") so a narrow terminal breaks labels
    # between words; the numbers' headers wrap instead
    for name, justify, min_width in (
        ("Touchpoint", "left", None),
        ("#", "right", None),
        ("Theme", "left", 14),
        ("Mentions", "right", None),
        ("Negative", "right", None),
        ("NPS impact (90% CI)", "right", None),
        ("Trend", "left", None),
    ):
        table.add_column(name, justify=justify, overflow="fold", min_width=min_width)
    groups = _groups(themes)
    for g, (heading, rows) in enumerate(groups):
        shown = rows.head(per_touchpoint)
        for i, (_, row) in enumerate(shown.iterrows()):
            trend = _trend_text(row)
            style = "bold red" if "emerging" in trend else ""
            table.add_row(
                Text(heading if i == 0 else ""),
                Text(_num(row[s.RANK], "d")),
                Text(str(row[s.LABEL])),
                Text(_num(row[s.MENTIONS], ",")),
                Text(_num(row[s.NEGATIVE_SHARE], ".0%")),
                Text(_impact_text(row)),
                Text(trend, style=style),
                end_section=(i == len(shown) - 1 and g < len(groups) - 1),
            )
    return table
