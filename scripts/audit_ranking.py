"""Audit the complaint ranking of an output folder (issue 18; docs/themes.md, "Complaint ranking").

1. Per stage (group) of the ranking: does each output rank complaint themes for it — themes.csv,
   report.md, report.html, report.xlsx and the terminal table (`feedback-nlp summarize OUTDIR`,
   which re-ranks with the same defaults and prints the table)?
2. Of the mentions that the ranked complaint themes count, the share that are negative: by the
   clause's sentiment (what is counted) and by the whole comment's sentiment.
3. Of the quotes under the top three complaints of each group, the share from comments whose
   own (comment-level) sentiment is negative.

    python scripts/audit_ranking.py OUTDIR [--no-terminal]
"""

from __future__ import annotations

import argparse
import html
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.report.markdown import md_escape
from feedback_nlp.report.prepared import group_values
from feedback_nlp.runner.pipeline import resolve_by


def _stage_label(out: Path) -> str | None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    names = {f.get("mapping", {}).get(s.TOUCHPOINT) for f in manifest.get("inputs", [])}
    names.discard(None)
    return " / ".join(sorted(names)) or None


def _terminal(out: Path) -> str:
    env = {**os.environ, "COLUMNS": "200"}
    cli = Path(sys.executable).with_name("feedback-nlp")
    run = subprocess.run(
        [str(cli), "summarize", str(out)], capture_output=True, text=True, env=env, check=True
    )
    return run.stdout


def _stages(out: Path, themes: pd.DataFrame, label: str | None) -> list[str]:
    """Every group the ranking should cover: the export's stages (blank ones as one group) where
    it ranks by them, else the groups of themes.csv."""
    comments = pd.read_parquet(out / "comments.parquet")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    by = resolve_by(comments, manifest["options"]["report"]["by"])
    if by in comments.columns:
        return sorted(group_values(comments, by, label).astype(str).unique())
    return sorted(themes[s.GROUP].astype(str).unique())


def coverage(out: Path, themes: pd.DataFrame, label: str | None, terminal: bool) -> pd.DataFrame:
    ranked = themes[themes[s.RANK].notna()]
    md = (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    page = page.split('id="panel-b"')[0]  # the stage view (panel a), when there is a switch
    xlsx = pd.read_excel(out / "report.xlsx", sheet_name="themes")
    table = _terminal(out) if terminal else None
    rows = []
    for group in _stages(out, themes, label):
        heading = f"{label}: {group}" if label else group
        md_at = md.find(f"## {md_escape(heading)}\n")
        html_at = page.find(f"<h2>{html.escape(heading)}</h2>")
        row = {
            "stage": group,
            "ranked": int((ranked[s.GROUP].astype(str) == group).sum()),
            "themes.csv": bool((ranked[s.GROUP].astype(str) == group).any()),
            "report.md": md_at >= 0 and "\n| 1 |" in md[md_at : md_at + 2000],
            "report.html": html_at >= 0
            and '<span class="rank">1</span>' in page[html_at : html_at + 4000],
            "report.xlsx": bool(
                ((xlsx[s.GROUP].astype(str) == group) & xlsx[s.RANK].notna()).any()
            ),
        }
        if table is not None:
            row["terminal"] = any(
                line.split("│")[1].strip() == group and line.split("│")[2].strip() == "1"
                for line in table.splitlines()
                if line.count("│") > 3
            )
        rows.append(row)
    return pd.DataFrame(rows)


def shares(out: Path, themes: pd.DataFrame, label: str | None) -> dict:
    comments = pd.read_parquet(out / "comments.parquet")
    mentions = pd.read_parquet(out / "mentions.parquet")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    by = resolve_by(comments, manifest["options"]["report"]["by"])
    ranked = themes[themes[s.RANK].notna()]
    comment_neg = dict(zip(comments[s.COMMENT_ID], comments[s.SENTIMENT] == "negative"))
    m = mentions[mentions[s.THEME].notna()].copy()
    if by == s.INPUT_TOUCHPOINT:
        groups = group_values(comments, s.INPUT_TOUCHPOINT, label)
        m[s.GROUP] = m[s.COMMENT_ID].map(dict(zip(comments[s.COMMENT_ID], groups)))
    else:
        m[s.GROUP] = m[s.TOUCHPOINT]
    keys = [s.GROUP, s.TOUCHPOINT, s.THEME]
    topic = m.merge(ranked[keys].astype(str), on=keys)  # all mentions of the ranked topics
    counted = topic[topic[s.SENTIMENT] == "negative"]  # what a complaint counts
    assert len(counted) == int(ranked[s.MENTIONS].sum()), (len(counted), ranked[s.MENTIONS].sum())
    top3 = ranked[ranked[s.RANK] <= 3]
    ids = [i for cell in top3[s.EXAMPLE_COMMENT_IDS] for i in json.loads(cell)]
    return {
        "complaint themes ranked": len(ranked),
        "mentions counted": len(counted),
        "counted mentions negative (clause sentiment)": counted[s.SENTIMENT].eq("negative").mean(),
        "counted mentions in negative comments": counted[s.COMMENT_ID].map(comment_neg).mean(),
        "all mentions of these topics negative (before: counted all)": topic[s.SENTIMENT]
        .eq("negative")
        .mean(),
        "quotes under top 3 per group": len(ids),
        "quotes from negative comments": pd.Series([comment_neg.get(i) for i in ids]).mean(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--no-terminal", action="store_true", help="skip the terminal table check")
    args = ap.parse_args()
    out = args.outdir
    themes = pd.read_csv(out / "themes.csv", encoding="utf-8-sig", keep_default_na=True)
    label = _stage_label(out)
    cov = coverage(out, themes, label, not args.no_terminal)
    print(f"Ranking groups ({label or 'taxonomy touchpoint'}), ranked in each output:")
    print(cov.to_string(index=False))
    checks = cov.drop(columns=["stage", "ranked"])
    print(f"every stage ranked in every output: {bool(checks.all().all())}\n")
    for k, v in shares(out, themes, label).items():
        print(f"{k:>60}: {v:.1%}" if isinstance(v, float) else f"{k:>60}: {v}")


if __name__ == "__main__":
    main()
