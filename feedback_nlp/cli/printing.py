"""What the commands print: the run's summary, the top complaints, the inspect report.
Row numbers and column names only — never comment text (it is personal data)."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text

from feedback_nlp import schema as s
from feedback_nlp.cli.shell import out
from feedback_nlp.report.figures import unranked_text
from feedback_nlp.report.terminal import top_complaints_table

MAX_PROBLEMS_SHOWN = 10


def print_analysis_summary(manifest: dict, outdir: Path) -> None:
    rows = manifest["rows"]
    parts = [f"{rows.get(k, 0)} {k}" for k in s.STATUSES if rows.get(k)]
    out.print(f"Read {rows['read']} rows: " + ", ".join(parts) + ".")
    langs = manifest.get("clean", {}).get("languages", {})
    if langs:
        out.print("Languages: " + ", ".join(f"{k} {v}" for k, v in langs.items()) + ".")
    cov = manifest.get("coverage")
    if cov:
        out.print(
            f"Themes in {cov['specific_with_themes']} of {cov['specific']} comments with specific "
            f"content ({cov['specific_coverage']:.0%}); {cov['nonspecific']} comments had no "
            "specific content."
        )
    # what was read from each file, and what went wrong there (row numbers, never comment text)
    for f in manifest.get("inputs", []):
        used = ", ".join(f"{role} ← {col!r}" for role, col in f.get("mapping", {}).items())
        out.print(Text(f"{f['source']}: {used}"), soft_wrap=True)
        for what, how in recognised(f):
            out.print(Text(f"  {what}: {how}"), soft_wrap=True)
    problems = [f"{f['source']}: {p}" for f in manifest.get("inputs", []) for p in f["problems"]]
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        out.print(Text(f"  ! {p}", style="yellow"), soft_wrap=True)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        out.print(f"  … {len(problems) - MAX_PROBLEMS_SHOWN} more in {outdir}/manifest.json")
    out.print(f"Output written to {outdir}/")


def recognised(f: dict) -> list[tuple[str, str]]:
    """What was recognised in one file's shape, as (what, how) pairs: the open questions, the
    score scale and the rating labels read, the review title, the footer and title rows."""
    found = []
    if f.get("questions"):
        found.append(("questions", " | ".join(repr(q) for q in f["questions"])))
    if f.get("score_scale"):
        scale = f["score_scale"]
        if f.get("score_points"):
            scale += f" {f['score_points']}-point"
        if f.get("score_direction"):
            scale += f", {f['score_direction'].replace('_', ' ')}"
        words = ", ".join(f"{w!r}={v:g}" for w, v in list(f.get("score_words", {}).items())[:8])
        found.append(("score scale", scale + (f" (labels read: {words})" if words else "")))
    if f.get("title"):
        found.append(("title", f"{f['title']!r} joined before the text"))
    counts = f.get("counts", {})
    for key, what in (("rows_above_header", "title rows"), ("rows_below_table", "footer rows")):
        if counts.get(key):
            found.append((what, f"{counts[key]} skipped"))
    return found


def print_top_complaints(themes, report: Path, min_mentions: int) -> None:
    if len(themes) and themes[s.RANK].notna().any():
        out.print(top_complaints_table(themes))
        if unranked_text(themes):
            out.print(Text(unranked_text(themes)), soft_wrap=True)
    else:
        reason = themes.attrs.get("summary", {}).get("reason") or (
            f"No complaint theme has {min_mentions} or more negative mentions, so none is ranked."
        )
        out.print(Text(reason), soft_wrap=True)
    out.print(f"Report: {report}")


def print_inspect(report: dict) -> None:
    for f in report["files"]:
        table = Table(title=f["source"], show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        table.add_row("format", f["format"] + (f" (sheet {f['sheet']})" if f.get("sheet") else ""))
        if f.get("encoding"):
            table.add_row("encoding", f["encoding"])
        if f.get("delimiter"):
            table.add_row("delimiter", repr(f["delimiter"]))
        table.add_row("header shape", f["header_shape"])
        table.add_row("rows", str(f["rows"]))
        table.add_row("columns found", ", ".join(f["columns_found"]))
        mapping = ", ".join(f"{k} ← {v}" for k, v in f["mapping"].items())
        table.add_row("column mapping", mapping or "(none)")
        for what, how in recognised(f):
            table.add_row(what, how)
        repairs = ", ".join(f"{k} {v}" for k, v in f["repairs"].items() if v)
        table.add_row("repairs", repairs or "none")
        counts = ", ".join(f"{k} {v}" for k, v in f["counts"].items() if v)
        if counts:
            table.add_row("counts", counts)
        out.print(table)
    status = ", ".join(f"{k} {v}" for k, v in report["status"].items())
    out.print(f"Rows: {report['rows']} ({status})")
    if report["languages"]:
        out.print("Languages: " + ", ".join(f"{k} {v}" for k, v in report["languages"].items()))
    if report["problems"]:
        out.print("Problems:")
        for p in report["problems"]:
            out.print(f"  - {p}")
    else:
        out.print("Problems: none found")
