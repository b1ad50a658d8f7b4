"""report.html / report.md / themes.csv / report.xlsx / the terminal table, on hand-made frames
shaped like DESIGN.md contract 2 (no models). Hostile customer text must come out inert."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from feedback_nlp import schema as s
from feedback_nlp.report import tables
from feedback_nlp.report.figures import complaint_groups
from feedback_nlp.report.html import render_html
from feedback_nlp.report.markdown import md_escape, render_markdown
from feedback_nlp.report.summarize import summarize
from feedback_nlp.report.terminal import top_complaints_table
from feedback_nlp.report.trends import trends
from feedback_nlp.report.write import write_report

SCRIPT = "<script>alert(1)</script>"
FORMULAS = ['=HYPERLINK("x","click")', "+cmd|' /C calc'!A0", "-2+3+cmd", "@SUM(1+1)"]
PIPE = "app | crashes | at checkout"

# (touchpoint, theme, negative clause templates, languages)
THEMES = [
    (
        "delivery",
        "late_delivery",
        [
            "My parcel arrived two weeks late",
            "Delivery took forever, still waiting",
            "Paket kam zu spät an",
            "Kurier spóźnił się trzy dni",
            "พัสดุมาช้ามาก",
            "the courier was late again and nobody told me",
        ],
    ),
    (
        "delivery",
        "damaged_parcel",
        [
            "The box was crushed and the mug broken",
            "Paket war beschädigt",
            "Item arrived damaged, packaging torn",
        ],
    ),
    (
        "app",
        "app_crash",
        [
            "The app crashes every time I open my basket",
            PIPE,
            "App stürzt beim Bezahlen ab",
            "aplikacja się zawiesza przy płatności",
        ],
    ),
    (
        "customer_service",
        "rude_agent",
        [
            "The agent on the phone was rude",
            "Agent hung up on me",
            SCRIPT,
            "La agente fue muy maleducada",
        ],
    ),
    (
        "returns",
        "refund_slow",
        [
            "Refund took six weeks",
            "Still no refund after a month",
            "Remboursement très lent",
        ]
        + FORMULAS,
    ),
]
LANG = {
    "Paket": "de",
    "App st": "de",
    "Kurier": "pl",
    "aplik": "pl",
    "พัส": "th",
    "La ag": "es",
    "Rembo": "fr",
}


def _lang(text: str) -> str:
    return next((v for k, v in LANG.items() if text.startswith(k)), "en")


def frames(n: int = 400, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Comments and mentions like contract 2: detractors mention complaints more often; the app
    crash theme grows in the last month."""
    rng = np.random.default_rng(seed)
    groups = rng.choice(["detractor", "passive", "promoter"], n, p=[0.35, 0.25, 0.4])
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    comments, mentions = [], []
    for i in range(n):
        cid = f"r{i:04d}"
        p_mention = {"detractor": 0.9, "passive": 0.5, "promoter": 0.15}[groups[i]]
        texts = []
        for t, (tp, theme, clauses) in enumerate(THEMES):
            boost = 3 if theme == "app_crash" and dates[i] >= pd.Timestamp("2024-04-01") else 1
            if rng.random() < p_mention * [0.5, 0.15, 0.12, 0.2, 0.25][t] * boost:
                text = clauses[rng.integers(len(clauses))]
                neg = groups[i] != "promoter" or rng.random() < 0.5
                score = -rng.uniform(0.4, 0.95) if neg else rng.uniform(0.1, 0.8)
                mentions.append(
                    {
                        s.COMMENT_ID: cid,
                        s.CLAUSE_ID: len(mentions),
                        s.CLAUSE_TEXT: text,
                        s.START_CHAR: 0,
                        s.END_CHAR: len(text),
                        s.TOUCHPOINT: tp,
                        s.THEME: theme,
                        s.MATCH: "keyword",
                        s.CONFIDENCE: 0.9,
                        s.SENTIMENT: "negative" if neg else "positive",
                        s.SENTIMENT_SCORE: score,
                    }
                )
                texts.append(text)
        text = ". ".join(texts) or "Fine"
        comments.append(
            {
                s.COMMENT_ID: cid,
                s.TEXT: text,
                s.LANG: _lang(texts[0]) if texts else "en",
                s.STATUS: s.STATUS_ANALYZED,
                s.SENTIMENT: "negative" if texts else "positive",
                s.SENTIMENT_SCORE: -0.5 if texts else 0.6,
                s.SCORE: {"detractor": 3.0, "passive": 7.0, "promoter": 10.0}[groups[i]],
                s.NPS_GROUP: groups[i],
                s.TOUCHPOINT: None,
                s.THEMES: [],
                s.CREATED_AT: dates[i],
                "source": "survey.csv",
            }
        )
    c = pd.DataFrame(comments)
    c[s.SCORE] = c[s.SCORE].astype("Float64")
    return c, pd.DataFrame(mentions)


@pytest.fixture(scope="module")
def data():
    comments, mentions = frames()
    labels = {("returns", "refund_slow"): "Slow refunds | money back", "returns": "Returns"}
    themes = summarize(
        comments, mentions, period="month", n_boot=200, labels=labels, min_mentions=3
    )
    tr = trends(comments, mentions, period="month")
    return comments, mentions, themes, tr


def test_write_report_writes_the_four_files_atomically(data, tmp_path):
    comments, mentions, themes, tr = data
    paths = write_report(
        comments,
        mentions,
        themes,
        tmp_path,
        trends=tr,
        manifest={"versions": {"feedback-nlp": "0.1.0"}},
    )
    assert sorted(p.name for p in paths) == [
        "report.html",
        "report.md",
        "report.xlsx",
        "themes.csv",
    ]
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    back = pd.read_csv(tmp_path / "themes.csv", encoding="utf-8-sig")
    assert list(back.columns[: len(s.THEME_COLUMNS)]) == s.THEME_COLUMNS
    assert len(back) == len(themes)


def _hostile(themes: pd.DataFrame, *, label: bool = True) -> pd.DataFrame:
    """Hostile text in every customer-derived cell of the top theme (discovered themes get
    labels from customer text, so labels count too)."""
    hostile = themes.copy()
    first = hostile.sort_values(s.RANK_OVERALL).index[0]
    for col in (s.LABEL, s.TOUCHPOINT_LABEL, s.TREND) if label else (s.TREND,):
        hostile[col] = hostile[col].astype(object)
        hostile.at[first, col] = SCRIPT
    hostile.at[first, s.EXAMPLE_QUOTES] = [SCRIPT, '"><img src=x onerror=alert(1)>']
    hostile.at[first, s.EXAMPLE_COMMENT_IDS] = [SCRIPT, "<b>id</b>"]
    hostile.at[first, s.EXAMPLE_LANGS] = ["<i>", None]
    return hostile


def test_html_escapes_every_piece_of_customer_text(data):
    comments, _mentions, themes, tr = data
    hostile = _hostile(themes)
    odd = comments.copy()
    odd.loc[odd.index[0], s.LANG] = "<img src=x>"
    page = render_html(odd, hostile, trends=tr, title=SCRIPT, manifest={"created_at": SCRIPT})
    assert "<script" not in page.lower() and "<img" not in page and "<b>id" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_summarized_hostile_comment_is_escaped(tmp_path):
    comments, mentions = frames(60)
    mentions[s.CLAUSE_TEXT] = SCRIPT  # every clause: it must be among the quotes
    comments.loc[comments.index[0], s.TEXT] = SCRIPT
    themes = summarize(comments, mentions, n_boot=20, min_mentions=1)
    assert any(SCRIPT in qs for qs in themes[s.EXAMPLE_QUOTES])
    write_report(comments, mentions, themes, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def _assert_offline(page: str) -> None:
    """Nothing in the markup can make a request: no external tags or attributes, no CSS url()."""
    tags = re.findall(r"<[^>]*>", page)
    for tag in tags:
        assert not re.search(r"https?:|//", tag.replace("-->", "")), tag
        assert not re.search(r"\s(src|href|srcset|action|poster|data|formaction)\s*=", tag), tag
        assert not re.match(
            r"<\s*(script|link|iframe|img|object|embed|video|audio|source|base)\b",
            tag,
            re.IGNORECASE,
        ), tag
    style = "".join(re.findall(r"<style>(.*?)</style>", page, re.DOTALL))
    assert "url(" not in style and "@import" not in style


def test_html_is_self_contained(data):
    comments, _mentions, themes, tr = data
    page = render_html(comments, themes, trends=tr)
    _assert_offline(page)
    assert "<svg" in page and "<polyline" in page  # impact bars and sparklines inline
    assert '<meta name="viewport"' in page


def test_html_shows_ranked_themes_impact_trend_quotes(data):
    comments, _mentions, themes, tr = data
    page = render_html(comments, themes, trends=tr)
    top = themes.sort_values(s.RANK_OVERALL).iloc[0]
    assert top[s.NPS_IMPACT] < 0
    assert f"<h3>{top[s.LABEL]}</h3>" in page
    assert "NPS impact" in page and "90% CI" in page and "<q>" in page
    assert "Slow refunds | money back" in page  # labels mapping used
    assert "<h2>Returns</h2>" in page  # touchpoint label from the mapping


def test_markdown_escapes_pipes_and_markup(data):
    comments, _mentions, themes, tr = data
    text = render_markdown(comments, _hostile(themes, label=False), trends=tr)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "Slow refunds" in line]
    assert rows, text
    unescaped = re.findall(r"(?<!\\)\|", rows[0])
    assert len(unescaped) == 8  # 7 cells
    assert "Slow refunds \\| money back" in rows[0]
    assert "app \\| crashes \\| at checkout" in text
    assert SCRIPT not in text and "\\<script\\>" in text
    assert md_escape("a|b\nc") == "a\\|b c"


def test_csv_and_xlsx_neutralise_formulas(data, tmp_path):
    comments, mentions, _themes, _tr = data
    labels = {("returns", "refund_slow"): '=HYPERLINK("x")', ("app", "app_crash"): "@SUM(1)"}
    hostile = summarize(comments, mentions, n_boot=50, labels=labels, min_mentions=3)
    write_report(comments, mentions, hostile, tmp_path)
    with open(tmp_path / "themes.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    label_cells = {r[s.LABEL] for r in rows}
    assert '\'=HYPERLINK("x")' in label_cells and "'@SUM(1)" in label_cells
    for r in rows:
        for col in (s.LABEL, s.TOUCHPOINT, s.THEME, s.EXAMPLE_QUOTES, s.TREND):
            assert not r[col].startswith(("=", "+", "-", "@")), (col, r[col])

    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == ["summary", "themes", "mentions", "comments"]
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    for payload in FORMULAS:
        assert "'" + payload in texts


def test_xlsx_truncates_sheets_over_the_row_limit(data, tmp_path, monkeypatch):
    comments, mentions, themes, _tr = data
    monkeypatch.setattr(tables, "EXCEL_MAX_ROWS", 12)
    tables.write_xlsx(tmp_path / "r.xlsx", comments, mentions, themes, summary={"comments": 1})
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "r.xlsx")
    rows = list(wb["comments"].iter_rows(values_only=True))
    assert len(rows) == 12 and "truncated" in rows[-1][0]
    notes = [r[1] for r in wb["summary"].iter_rows(values_only=True) if r[0] == "note"]
    assert any("comments" in n and "truncated" in n for n in notes)


def test_reports_without_scores_or_dates(tmp_path):
    comments, mentions = frames(120)
    comments = comments.drop(columns=[s.NPS_GROUP, s.SCORE, s.CREATED_AT])
    themes = summarize(comments, mentions, period="month", n_boot=50, min_mentions=2)
    assert themes[s.NPS_IMPACT].isna().all() and themes[s.TREND].isna().all()
    paths = write_report(comments, mentions, themes, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "no NPS scores" in page and len(paths) == 4


def test_terminal_table_shows_top_themes_without_markup(data):
    _comments, _mentions, themes, _tr = data
    hostile = themes.copy()
    hostile.loc[hostile.index[0], s.LABEL] = "[bold red]not markup[/]"
    console = Console(record=True, width=140)
    console.print(top_complaints_table(hostile, per_touchpoint=2))
    out = console.export_text()
    assert "[bold red]not markup[/]" in out
    assert "Top complaint themes" in out
    shown = sum(min(2, len(g)) for _, _, g in complaint_groups(themes))
    assert out.count(" to ") >= shown  # one NPS interval per complaint shown
    assert "Complaints about" in out and "Praise" in out


def _staged(data):
    """The data with an export stage column ("Stage"), a quarter of it blank, ranked by it."""
    comments, mentions, _themes, _tr = data
    stages = np.array(["Web", "App", "Store", None], dtype=object)
    comments = comments.assign(**{s.INPUT_TOUCHPOINT: stages[np.arange(len(comments)) % 4]})
    kw = {"period": "month", "n_boot": 50, "min_mentions": 3}
    staged = summarize(comments, mentions, by=s.INPUT_TOUCHPOINT, by_label="Stage", **kw)
    tr = trends(comments, mentions, period="month", by=s.INPUT_TOUCHPOINT, by_label="Stage")
    view = (summarize(comments, mentions, **kw), trends(comments, mentions, period="month"))
    return comments, mentions, staged, tr, view


def test_reports_rank_per_stage_of_the_export_and_html_switches_views(data, tmp_path):
    comments, mentions, staged, tr, view = _staged(data)
    assert set(staged[s.GROUP]) == {"Web", "App", "Store", "(no stage)"}
    assert staged.groupby(s.GROUP)[s.RANK].min().eq(1).all()  # every stage ranks
    page = render_html(comments, staged, trends=tr, touchpoint_view=view)
    _assert_offline(page)
    assert '<input type="radio" name="view" id="view-a" checked>' in page
    assert '<label for="view-b">By taxonomy touchpoint</label>' in page
    a, b = page.split('id="panel-a"')[1].split('id="panel-b"')
    for stage in ("Web", "App", "Store", "(no stage)"):
        assert f"<h2>Stage: {stage}</h2>" in a
    assert "<h2>Delivery</h2>" in b and "<h2>Stage:" not in b
    assert 'class="cat">Delivery</span>' in a  # the taxonomy touchpoint as the category
    text = render_markdown(comments, staged)
    assert "## Stage: \\(no stage\\)" in text and "input_touchpoint" not in text + page
    console = Console(record=True, width=140)
    console.print(top_complaints_table(staged))
    out = console.export_text()
    assert "Stage" in out and "(no stage)" in out and "input_touchpoint" not in out
    write_report(comments, mentions, staged, tmp_path, trends=tr, touchpoint_view=view)
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)
    assert wb.sheetnames == ["summary", "themes", "themes by touchpoint", "mentions", "comments"]
    back = pd.read_csv(tmp_path / "themes.csv", encoding="utf-8-sig")
    assert set(back.dropna(subset=[s.RANK])[s.GROUP]) == set(staged[s.GROUP])


def test_reports_show_praise_apart_from_complaints(data):
    comments, _mentions, themes, _tr = data
    ranked = themes[themes[s.RANK].notna()]
    assert (ranked[s.MENTIONS] >= 3).all() and ranked[s.PRAISE_MENTIONS].sum() > 0
    row = ranked.iloc[0]
    page = render_html(comments, themes)
    assert f"praise: <b>{row[s.PRAISE_MENTIONS]}</b> mentions" in page
    text = render_markdown(comments, themes)
    assert "| Complaints | Comments | NPS impact (90% CI) | Praise |" in text


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM,
    reason="needs Debian's chromium (apt-get install chromium "
    "fonts-thai-tlwg-ttf); the Makefile/CI installs it",
)
def test_report_renders_offline_in_headless_chromium(data, tmp_path):
    comments, mentions, themes, tr = data
    write_report(comments, mentions, _hostile(themes, label=False), tmp_path, trends=tr)
    page_path = tmp_path / "report.html"
    page = page_path.read_text(encoding="utf-8")
    _assert_offline(page)
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run(
        [*flags, "--dump-dom", page_path.as_uri()],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    top = themes.sort_values(s.RANK_OVERALL).iloc[0][s.LABEL]
    assert f"<h3>{top}</h3>" in dom.stdout
    assert "<script" not in dom.stdout.lower() and "&lt;script&gt;" in dom.stdout
    shot = tmp_path / "report.png"
    run = subprocess.run(
        [
            *flags,
            f"--screenshot={shot}",
            "--window-size=390,2000",
            "--hide-scrollbars",
            page_path.as_uri(),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, run.stderr[
        -2000:
    ]
    print(f"screenshot: {shot}")


def test_reports_render_from_themes_csv_read_back(data, tmp_path):
    comments, mentions, themes, tr = data
    write_report(comments, mentions, themes, tmp_path, trends=tr)
    back = pd.read_csv(tmp_path / "themes.csv", encoding="utf-8-sig")[s.THEME_COLUMNS]
    page = render_html(comments, back, trends=tr)
    top = themes.sort_values(s.RANK_OVERALL).iloc[0]
    assert f"<h3>{top[s.LABEL]}</h3>" in page
    assert "<q>" in page and top[s.EXAMPLE_COMMENT_IDS][0] in page
    assert "Late delivery" in render_markdown(comments, back)
