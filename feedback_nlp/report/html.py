"""report.html: one self-contained page (inline CSS and SVG, no script, no external resource).

Every piece of text that comes from customers is HTML-escaped, and the page carries a
Content-Security-Policy that forbids scripts and any network request.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone

import numpy as np
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
    group_title,
    headline,
    impact_columns,
    impact_name,
    impact_text,
    no_complaints_text,
    ranked_by,
    ranked_by_text,
    rating_scale,
    report_title,
    row_quotes,
    summary_by,
    trend_text,
    unranked_text,
)
from feedback_nlp.report.prepared import key_columns

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
.cat{font-size:.75rem;color:var(--muted);border:1px solid var(--line);border-radius:999px;
padding:.05em .6em;white-space:nowrap}
.views>input{position:absolute;opacity:0;pointer-events:none}
.switch{display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 4px}
.switch label{border:1px solid var(--line);border-radius:999px;padding:.2em .9em;cursor:pointer}
.view{display:none}
#view-a:checked~.switch label[for=view-a],#view-b:checked~.switch label[for=view-b]{
background:var(--fg);color:var(--bg);border-color:var(--fg)}
#view-a:focus-visible~.switch label[for=view-a],#view-b:focus-visible~.switch label[for=view-b]{
outline:2px solid var(--accent)}
#view-a:checked~#panel-a,#view-b:checked~#panel-b{display:block}
footer{margin-top:2.5em;font-size:.85rem;color:var(--muted);border-top:1px solid var(--line)}
@media (max-width:600px){main{padding:12px}.figs{grid-template-columns:1fr}.kpi b{font-size:1.3rem}}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _impact_svg(
    row: pd.Series, lo: float, hi: float, columns: tuple[str, str, str], name: str
) -> str:
    """A horizontal bar from 0 to the impact (NPS or rating, `columns`) with a 90 % interval
    whisker, on [lo, hi] points."""
    width, pad = 300.0, 6.0

    def x(v: float) -> float:
        return pad + (v - lo) / ((hi - lo) or 1.0) * (width - 2 * pad)

    col, low, high = columns
    value = float(row[col])
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
    if not pd.isna(row[low]):
        a, b = x(float(row[low])), x(float(row[high]))
        parts.append(
            f'<path d="M{a:.1f} 14H{b:.1f}M{a:.1f} 9V19M{b:.1f} 9V19" stroke="var(--ci)" '
            'stroke-width="1.5" fill="none" vector-effect="non-scaling-stroke"/>'
        )
    label = f"{name} {impact_text(row, columns)}"
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
    row: pd.Series,
    scale: tuple[float, float] | None,
    impact: tuple[tuple[str, str, str], str, str],
    spark: list[float],
    period: str | None,
    category: bool,
) -> str:
    emerging = bool(row.get(s.EMERGING)) if not pd.isna(row.get(s.EMERGING)) else False
    badge = '<span class="badge">emerging</span>' if emerging else ""
    if category:  # ranked by the export's stage: the taxonomy touchpoint is the theme's category
        badge = f'<span class="cat">{_e(row[s.TOUCHPOINT_LABEL])}</span>' + badge
    negative = row.get(s.NEGATIVE_COMMENTS)
    overall = "" if pd.isna(negative) else f" ({format_number(negative, ',')} negative overall)"
    stats = (
        f"<b>{count_text(row, s.MENTIONS)}</b> complaints in "
        f"<b>{count_text(row, s.COMMENTS)}</b> comments{overall} · "
        f"praise: <b>{count_text(row, s.PRAISE_MENTIONS)}</b> mentions · "
        f"net sentiment of the topic <b>{format_number(row[s.NET_SENTIMENT], '+.2f')}</b>"
    )
    columns, name, unit = impact
    if scale is not None and not pd.isna(row[columns[0]]):
        bar = _impact_svg(row, *scale, columns, name)
        text = impact_text(row, columns)
        caption = f"{_e(name)} <b>{_e(text.split(' (')[0])}</b> {_e(unit)}"
        if " (" in text:
            caption += f' <span class="ci">(90% CI {_e(text.split(" (")[1][:-1])})</span>'
    else:
        total = row.get(s.TOPIC_MENTIONS)
        share = float(row[s.MENTIONS]) / float(total) if not pd.isna(total) and total else 0.0
        bar = _volume_svg(share)
        caption = "complaints among all mentions of the topic (no NPS scores)"
    trend = trend_text(row)
    figs = f'<div class="fig">{bar}{caption}</div>'
    if spark or trend != "–":
        against = f" vs previous {period}" if period and trend != "–" else ""
        figs += (
            f'<div class="fig">{_sparkline_svg(spark, "complaints per " + (period or "period"))}'
            f"trend <b>{_e(trend)}</b>{_e(against)}</div>"
        )
    keys = row.get(s.KEY_PHRASES)  # a discovered theme's, per language
    asked = row.get(s.QUESTIONS)  # a survey with several open questions: where it was said
    quotes = "".join(
        f"<li><q>{_e(q)}</q><cite>{_e(' · '.join(x for x in (cid, lang) if x))}</cite></li>"
        for q, cid, lang in row_quotes(row)
    )
    return (
        f'<article class="theme"><header><span class="rank">{_e(row[s.RANK])}</span>'
        f"<h3>{_e(row[s.LABEL])}</h3>{badge}</header>"
        f'<p class="stats">{stats}</p>'
        + (f'<p class="stats">Key phrases: {_e(keys)}</p>' if isinstance(keys, str) else "")
        + (f'<p class="stats">Answers to: {_e(asked)}</p>' if isinstance(asked, str) and asked else "")
        + f'<div class="figs">{figs}</div>'
        + (f'<ul class="quotes">{quotes}</ul>' if quotes else "")
        + "</article>"
    )


def _ranking(themes: pd.DataFrame, trends: pd.DataFrame | None) -> list[str]:
    """The top complaints and one section per group of a themes frame (one view)."""
    themes = complete_themes(themes)
    groups = complaint_groups(themes)
    if not groups:
        return [f'<p class="note">{_e(no_complaints_text(themes))}</p>']
    shown = pd.concat([rows.head(MAX_THEMES_PER_GROUP) for _, _, rows in groups])
    scale = None
    columns = impact_columns(themes)
    rating = ranked_by(themes) == s.RATING_IMPACT
    unit = {"stars": "★", "csat2": "percentage points"}.get(
        rating_scale(themes).get("scale", "") if rating else "", "points"
    )
    shown_impact = (columns, impact_name(themes), unit)
    if shown[columns[0]].notna().any():
        vals = shown[list(columns)].astype("float64")
        scale = (
            min(0.0, float(np.nanmin(vals.to_numpy()))),
            max(0.0, float(np.nanmax(vals.to_numpy()))),
        )
    by = summary_by(themes)
    keys = key_columns(by)
    sparks = _series(trends, keys)
    period = themes.attrs.get("summary", {}).get("period")
    category = by not in (s.TOUCHPOINT, s.THEME)
    top = pd.concat([rows for _, _, rows in groups]).sort_values(s.RANK_OVERALL).head(5)
    body = [
        f'<h2>Top complaints</h2><p class="note">{_e(ranked_by_text(themes))}</p><ol class="top">'
    ]
    short = "NPS" if not rating else impact_name(themes).removesuffix(" impact")
    for _, row in top.iterrows():
        value = impact_text(row, columns).split(" (")[0]
        impact = "" if value == "–" else f" — {short} {value}"
        if by == s.THEME:
            where = ""
        elif by == s.TOUCHPOINT:
            where = f" ({row[s.TOUCHPOINT_LABEL]})"
        else:
            where = f" ({group_title(themes)}: {row[s.GROUP]})"
        body.append(f"<li><b>{_e(row[s.LABEL])}</b>{_e(where)}{_e(impact)}</li>")
    body.append("</ol>")
    for heading, _name, rows in groups:
        body.append(f"<section><h2>{_e(heading)}</h2>")
        for _, row in rows.head(MAX_THEMES_PER_GROUP).iterrows():
            key = tuple(row[k] for k in keys)
            body.append(
                _theme_card(row, scale, shown_impact, sparks.get(key, []), period, category)
            )
        if len(rows) > MAX_THEMES_PER_GROUP:
            body.append(
                f'<p class="note">{len(rows) - MAX_THEMES_PER_GROUP} more in '
                "themes.csv and report.xlsx.</p>"
            )
        body.append("</section>")
    if unranked_text(themes):
        body.append(f'<p class="note">{_e(unranked_text(themes))}</p>')
    return body


def _switch(first: str, second: str, a: list[str], b: list[str]) -> list[str]:
    """Two views and a switch between them without script: two radio inputs and CSS (with CSS
    off, both views show one after the other)."""
    return [
        '<div class="views">',
        '<input type="radio" name="view" id="view-a" checked>',
        '<input type="radio" name="view" id="view-b">',
        (
            f'<div class="switch" role="group" aria-label="Ranking view">'
            f'<label for="view-a">{_e(first)}</label><label for="view-b">{_e(second)}</label></div>'
        ),
        '<div class="view" id="panel-a">',
        *a,
        "</div>",
        '<div class="view" id="panel-b">',
        *b,
        "</div>",
        "</div>",
    ]


def render_html(
    comments: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    trends: pd.DataFrame | None = None,
    manifest: dict | None = None,
    title: str | None = None,
    touchpoint_view: tuple[pd.DataFrame, pd.DataFrame | None] | None = None,
) -> str:
    """report.html as a string: one self-contained page (inline CSS and SVG, no script, no
    external resource; a CSP meta tag forbids any request), readable on a phone.
    `touchpoint_view`: (themes, trends) ranked by taxonomy touchpoint, offered beside `themes`
    (ranked by the export's stage / channel) through a switch that needs no script."""
    themes = complete_themes(themes)
    head = headline(comments, themes)
    page_title = report_title(title)
    summary = themes.attrs.get("summary", {})

    langs = head.get("languages", {})
    total = sum(langs.values()) or 1
    lang_note = ", ".join(f"{k} {v / total:.0%}" for k, v in list(langs.items())[:4])
    rated = rating_scale(themes)
    score_kpi = (
        "–" if head["nps"] is None else f"{head['nps']:+.0f}",
        "NPS",
        f"{head.get('scored', 0):,} scored" if head["nps"] is not None else "no NPS scores",
    )
    if head["nps"] is None and rated.get("rated"):  # stars, CSAT, CES: the average rating
        score_kpi = (
            f"{rated['average']:.1f}" + ("%" if rated.get("unit") == "% satisfied" else ""),
            f"average {rated['name']}",
            f"{rated['rated']:,} rated",
        )
    kpis = [
        (f"{head['comments']:,}", "comments", f"{head['analysed']:,} analysed"),
        (str(len(langs)), "languages", lang_note),
        score_kpi,
        (
            str(int(themes[s.RANK].notna().sum())),
            "complaint themes ranked",
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
    ranking = _ranking(themes, trends)
    if touchpoint_view is not None and summary_by(themes) not in (s.TOUCHPOINT, s.THEME):
        other = _ranking(*touchpoint_view)
        body += _switch(f"By {group_title(themes)}", "By taxonomy touchpoint", ranking, other)
    else:
        body += ranking
    notes = [
        (
            "NPS impact = NPS of all scored comments − NPS of the scored comments that do not mention "
            "the theme (negative: the theme costs points); rating impact (stars, CSAT, CES) the "
            "same on the average rating, in the scale's points; 90% interval from a bootstrap over "
            f"comments ({summary.get('n_boot', 'n')} replicates)."
        ),
        (
            f"Each card is a topic; its numbers count complaints about it (negative mentions) and "
            f"the comments that carry one ({COMPLAINT_HEADER.lower()} the topic); praise (positive "
            "mentions) is counted beside it and never ranks or quotes a complaint. Trend = change "
            "of the share of comments complaining about it, latest period against the one "
            "before, shown only where both periods have at least 5 complaints and a "
            "two-proportion z-test gives p < 0.05; emerging = such a significant rise."
        ),
        (
            f"Quotes: negative clauses closest to the theme's centre "
            f"({summary.get('quotes', 'tfidf-char-3gram')}), one per comment, negative comments "
            "and each language first, near-duplicates removed."
        ),
    ]
    if manifest:
        versions = manifest.get("versions", {})
        made = manifest.get("created_at", "")
        notes.append(f"feedback-nlp {versions.get('feedback-nlp', '')} · {made}".strip(" ·"))
    body.append("<footer>" + "".join(f"<p>{_e(n)}</p>" for n in notes) + "</footer>")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    chosen = describe_choice((manifest or {}).get("taxonomy_choice"))
    taxonomy_note = f"<br>Taxonomy: {_e(chosen)}" if chosen else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">"
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(page_title)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>{_e(page_title)}</h1><p class="meta">Generated {_e(generated)} by feedback-nlp'
        f"{taxonomy_note}</p>" + "\n".join(body) + "</main></body></html>\n"
    )
