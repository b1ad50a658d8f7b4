"""Calibrate `specific_over_general` (feedback_nlp.settings.SPECIFIC_OVER_GENERAL): in analysis
folders made *without* the rule, the clauses whose only themes are general ones (touchpoint
`overall`) found by a keyword, each with the specific theme that is its best match by meaning
and that theme's specificity — the theme the rule would file it under at a bar at or below that
specificity. Printed sorted by specificity, so that a reader judges each replacement and picks
the bar where they stop being right; then how many clauses each bar would move.

    python scripts/audit_precision.py build /tmp/cal/exports --per-file --seed 1
    for f in /tmp/cal/exports/*.csv; do feedback-nlp analyze "$f" -o "/tmp/cal/out/$(basename "$f" .csv)" -q; done
    .venv/bin/python scripts/general_vs_specific.py /tmp/cal/out/*

(run `analyze` on a checkout before the rule, or with `matching: specific_over_general: 2` in the
taxonomy, so that the general themes are still there to be judged). Clause vectors come from the
result cache `analyze` filled (fp32, as `analyze --precision fp32` computes them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.analysis.models import Models
from feedback_nlp.cache import timed_open
from feedback_nlp.settings import GENERAL_TOUCHPOINT
from feedback_nlp.themes.matcher import KEYWORD, ThemeMatcher

BARS = (0.02, 0.03, 0.04, 0.05, 0.06, 0.07)


def general_only(mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per clause whose themes are all general, at least one by keyword."""
    by_clause = mentions.groupby([s.COMMENT_ID, s.CLAUSE_ID])
    general = by_clause[s.TOUCHPOINT].transform(lambda t: (t == GENERAL_TOUCHPOINT).all())
    keyword = by_clause[s.MATCH].transform(lambda m: (m == "keyword").any())
    rows = mentions[general & keyword]
    return rows.drop_duplicates([s.COMMENT_ID, s.CLAUSE_ID])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdirs", type=Path, nargs="+")
    args = ap.parse_args(argv)
    cache, _ = timed_open(True)  # analyze's result cache: the clause vectors are there
    models = None
    table = []
    for outdir in args.outdirs:
        manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
        taxonomy = (manifest.get("taxonomy_choice") or {}).get("chosen") or "ecommerce-cx"
        rows = general_only(pd.read_parquet(outdir / "mentions.parquet"))
        if rows.empty:
            continue
        if models is None:
            models = Models(taxonomy=taxonomy, precision="fp32", cache=cache)
        matcher = ThemeMatcher(taxonomy, embed=models.embed_clauses)
        texts = rows[s.CLAUSE_TEXT].tolist()
        scores = matcher.scores(matcher.embed(texts))
        themes = matcher.taxonomy.themes
        best = scores.specificity.argmax(axis=1)
        for k, (_, row) in enumerate(rows.iterrows()):
            j = int(best[k])
            table.append(
                {
                    "set": outdir.name,
                    "general": f"{row[s.THEME]} ({row[KEYWORD]})",
                    "best": f"{themes[j].touchpoint}/{themes[j].id}",
                    "specific": themes[j].touchpoint != GENERAL_TOUCHPOINT,
                    "specificity": float(scores.specificity[k, j]),
                    "null_gap": float(scores.similarity[k, j] - scores.null[k]),
                    "clause": row[s.CLAUSE_TEXT][:110].replace("\n", " "),
                }
            )
    frame = pd.DataFrame(table).sort_values("specificity", ascending=False)
    with pd.option_context("display.width", 250, "display.max_colwidth", 110):
        print(frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    specific = frame[frame["specific"]]
    print(
        f"\n{len(frame)} clauses with only general themes, one by keyword; "
        f"best by meaning is specific in {len(specific)}"
    )
    for bar in BARS:
        print(f"  bar {bar:.2f}: {int((specific['specificity'] >= bar).sum())} would move")
    return 0


if __name__ == "__main__":
    np.set_printoptions(suppress=True)
    sys.exit(main())
