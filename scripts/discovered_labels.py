"""How discovered themes are named on real complaints: does each label read like a phrase an
analyst would write, or like a word list?

    .venv/bin/python scripts/discovered_labels.py --limit 400 --seed 0

Runs the whole analysis (real sentiment model and encoder, the taxonomy chosen per set) on a
seeded sample of each set in ../shared/data (FEEDBACK_NLP_DATA) and on the bundled sample, then
prints per discovered theme: its label, touchpoint, size (comments) and first two key phrases.
A label counts as a word list when it contains " / " or is not a phrase found (case aside) in
the clauses of its theme. The last line sums them up.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FEEDBACK_NLP_DATA", ROOT.parent / "shared" / "data"))
MAX_CHARS = 1500  # long CFPB narratives: their opening says what the complaint is about
# set -> (file, which records are complaints, taxonomy)
SETS = {
    "comcast": ("comcast_fcc_complaints_en", lambda r: True, "ecommerce-cx"),
    "airline_negative": ("airline_tweets_en", lambda r: r.get("label") == "negative",
                         "ecommerce-cx"),
    "cfpb": ("cfpb_complaints", lambda r: True, "ecommerce-cx"),
}  # fmt: skip


def _frame(name: str, keep, limit: int, seed: int) -> pd.DataFrame:
    with gzip.open(DATA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
        pool = [r for r in map(json.loads, handle) if keep(r) and (r.get("text") or "").strip()]
    random.Random(seed).shuffle(pool)
    pool = pool[:limit]
    return pd.DataFrame(
        {
            "comment_id": [r["id"] for r in pool],
            "text": [r["text"][:MAX_CHARS] for r in pool],
            "lang": [r.get("lang") for r in pool],
        }
    )


def is_word_list(label: str, clauses: list[str]) -> bool:
    low = label.lower()
    return " / " in label or not any(low in c.lower() for c in clauses)


def report(name: str, mentions: pd.DataFrame, quotes: bool = False) -> tuple[int, int]:
    from feedback_nlp import schema as s
    from feedback_nlp.themes.discovered_labels import parse_key_phrases

    found = mentions[mentions[s.MATCH] == "discovered"]
    groups = list(found.groupby([s.TOUCHPOINT, s.THEME], sort=False))
    groups.sort(key=lambda g: -g[1][s.COMMENT_ID].nunique())
    lists = 0
    print(f"\n== {name}: {len(groups)} discovered themes")
    for (tp, _theme), g in groups:
        label = str(g[s.LABEL].iloc[0])
        bad = is_word_list(label, g[s.CLAUSE_TEXT].astype(str).tolist())
        lists += bad
        phrases = [p for ps in parse_key_phrases(g[s.KEY_PHRASES].iloc[0]).values() for p in ps]
        print(
            f"  {'WORDLIST ' if bad else ''}{label!r:40} {tp:20} "
            f"{g[s.COMMENT_ID].nunique():4d} comments  key: {'; '.join(phrases[:2])}"
        )
        if quotes:  # the most central clause, to judge the label by
            top = g.sort_values(s.CONFIDENCE, ascending=False)[s.CLAUSE_TEXT].iloc[0]
            print(f"      e.g. {str(top)[:90]!r}")
    return len(groups), lists


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--limit", type=int, default=400, help="comments per set (seeded sample)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sets", default="comcast,airline_negative,cfpb,sample")
    p.add_argument("--quotes", action="store_true", help="print each theme's most central clause")
    args = p.parse_args(argv)

    import feedback_nlp as fnlp
    from feedback_nlp.analysis.models import Models
    from feedback_nlp.settings import ModelOptions

    total = lists = 0
    models: dict[str, Models] = {}
    for name in args.sets.split(","):
        if name == "sample":
            frame = fnlp.read_feedback(ROOT / "examples" / "nps_sample.csv")
            taxonomy = "ecommerce-cx"
        else:
            file, keep, taxonomy = SETS[name]
            frame = _frame(file, keep, args.limit, args.seed)
        if taxonomy not in models:
            models[taxonomy] = Models(ModelOptions(taxonomy=taxonomy))
        result = fnlp.analyze(frame, models=models[taxonomy])
        n, bad = report(f"{name} ({len(frame)} comments, {taxonomy})", result.mentions, args.quotes)
        total, lists = total + n, lists + bad
    print(f"\n{total} discovered themes, {lists} labels that are word lists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
