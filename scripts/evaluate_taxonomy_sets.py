"""Coverage and agreement of an industry taxonomy on real development texts; prints the numbers.

    .venv/bin/python scripts/evaluate_taxonomy_sets.py travel --sets airline_tweets_en --limit 600
    .venv/bin/python scripts/evaluate_taxonomy_sets.py travel --sets cuba_hotels_es,opener_en
    .venv/bin/python scripts/evaluate_taxonomy_sets.py saas --sets airline_tweets_en \
        --filter app,website,online --show 40

Per set (a random sample of ``--limit`` texts, fixed seed): the share of texts with a theme by
keyword and by keyword + semantic (as `scripts/evaluate_themes.py` counts coverage), the share
of negative texts with a theme, the largest single theme's share of negative texts, the theme
shares among negatives and, where the set has a complaint label (airline tweets:
``meta.negativereason``; CFPB: ``meta.product`` / ``meta.issue``), the top theme per label and the
share of that label's texts it covers. ``--show N`` prints N random matched clauses (seeded) with
their theme, for reading whether each one is right.

The airline tweets carry an artefact of their publisher: every "late" became "Late Flight" and
every "cancel" "Cancelled Flight" ("Cancelled Flightled" = "cancelled"), which would hand the
keyword "flight + late" to every tweet that says "later". The script undoes it before matching
(``--keep-artefact`` to measure the raw text).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.cache import timed_open
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.themes.matcher import ThemeMatcher

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_themes import DEFAULT_DATA, ClauseEmbedder, _read_jsonl

LABELS = {"airline_tweets_en": ["negativereason"], "cfpb_complaints": ["product", "issue"]}
_ARTEFACT = [
    (re.compile(r"Cancelled Flight", re.IGNORECASE), "cancel"),
    (re.compile(r"Late Flight", re.IGNORECASE), "late"),
]


def load_set(data_dir: Path, name: str, limit: int, seed: int, keep_artefact: bool, words):
    rows = _read_jsonl(data_dir / f"{name}.jsonl.gz")
    frame = pd.DataFrame(
        {
            "text": [r["text"] for r in rows],
            "lang": [r["lang"] for r in rows],
            "label": [r.get("label") for r in rows],
        }
    )
    for key in LABELS.get(name, []):
        frame[key] = [(r.get("meta") or {}).get(key) for r in rows]
    if name == "airline_tweets_en" and not keep_artefact:
        for pattern, original in _ARTEFACT:
            frame["text"] = frame["text"].str.replace(pattern, original, regex=True)
    if words:
        pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"
        frame = frame[frame["text"].str.contains(pattern, case=False, regex=True)]
    if limit and len(frame) > limit:
        frame = frame.sample(n=limit, random_state=seed)
    return frame.reset_index(drop=True)


def evaluate(frame: pd.DataFrame, matcher: ThemeMatcher, embed: ClauseEmbedder, name: str):
    clauses = split_clauses(frame["text"].tolist(), frame["lang"].tolist())
    vectors = embed.embed(clauses[s.CLAUSE_TEXT].tolist())
    mentions = matcher.match(clauses, embeddings=vectors)
    mentions["key"] = mentions[s.TOUCHPOINT] + "/" + mentions[s.THEME]
    n = len(frame)
    keyword = set(mentions.loc[mentions[s.MATCH] == "keyword", COMMENT_INDEX])
    covered = set(mentions[COMMENT_INDEX])
    neg = frame.index[frame["label"] == "negative"]
    print(f"\n== {name}: {n} texts ({len(neg)} negative), taxonomy {matcher.taxonomy.name}")
    print(f"with a theme: keyword {len(keyword) / n:.3f}, keyword+semantic {len(covered) / n:.3f}")
    per_text = mentions.drop_duplicates([COMMENT_INDEX, "key"])
    if len(neg):
        neg_m = per_text[per_text[COMMENT_INDEX].isin(neg)]
        shares = neg_m["key"].value_counts() / len(neg)
        print(
            f"negative texts with a theme: {neg_m[COMMENT_INDEX].nunique() / len(neg):.3f}; "
            f"largest theme {shares.index[0] if len(shares) else '-'} "
            f"{shares.iloc[0] if len(shares) else 0:.3f} of negatives"
        )
        print("themes among negatives:", ", ".join(f"{k} {v:.2f}" for k, v in shares.head(12).items()))
    for key in LABELS.get(name, []):
        print(f"-- {key} -> top theme (share of the label's texts that have it; n texts)")
        for label, idx in frame.groupby(key).groups.items():
            got = per_text[per_text[COMMENT_INDEX].isin(idx)]
            if len(idx) < 5:
                continue
            counts = got["key"].value_counts()
            top = counts.index[0] if len(counts) else "-"
            share = counts.iloc[0] / len(idx) if len(counts) else 0.0
            print(f"  {label!s:40.40} -> {top:45.45} {share:.2f} (n={len(idx)})")
    return mentions


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("taxonomy")
    ap.add_argument("--sets", default="airline_tweets_en")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=600, help="random texts per set (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--filter", default="", help="only texts with one of these words (comma list)")
    ap.add_argument("--show", type=int, default=0, help="print N random matched clauses")
    ap.add_argument("--unmatched", type=int, default=0, help="print N negative texts without a theme")
    ap.add_argument("--keep-artefact", action="store_true")
    args = ap.parse_args(argv)
    results, _ = timed_open(True)  # analyze's result cache: reruns skip the encoder
    try:
        embed = ClauseEmbedder(results)
        matcher = ThemeMatcher(args.taxonomy, embed=embed)
        words = [w.strip() for w in args.filter.split(",") if w.strip()]
        for name in args.sets.split(","):
            frame = load_set(args.data_dir, name, args.limit, args.seed, args.keep_artefact, words)
            mentions = evaluate(frame, matcher, embed, name)
            if args.unmatched:
                left = frame[(frame["label"] == "negative") & ~frame.index.isin(mentions[COMMENT_INDEX])]
                print(f"-- {min(args.unmatched, len(left))} negative texts without a theme")
                for text in left["text"].head(args.unmatched):
                    print("  ", text[:200].replace("\n", " "))
            if args.show and len(mentions):
                rng = random.Random(args.seed)
                picks = rng.sample(range(len(mentions)), min(args.show, len(mentions)))
                print(f"-- {len(picks)} random matched clauses (theme | match | keyword | clause)")
                for i in picks:
                    m = mentions.iloc[i]
                    print(
                        f"  {m['key']} | {m[s.MATCH]} | {m['keyword'] or ''} | "
                        f"{m[s.CLAUSE_TEXT][:150]}"
                    )
    finally:
        if results is not None:
            results.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
