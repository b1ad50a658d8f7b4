"""Benchmark summarize() on a synthetic analysis: 100,000 comments, 300,000 mentions.

Prints the timings and writes them as JSON (default out/bench_summarize.json). No models needed.

    .venv/bin/python scripts/bench_summarize.py [--comments 100000] [--mentions 300000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.report.summarize import summarize
from feedback_nlp.report.trends import trends

WORDS = [
    "parcel",
    "late",
    "again",
    "courier",
    "rude",
    "refund",
    "slow",
    "app",
    "crash",
    "checkout",
    "payment",
    "failed",
    "size",
    "wrong",
    "colour",
    "broken",
    "box",
    "waited",
    "hours",
    "support",
    "never",
    "answered",
    "price",
    "high",
]


def synthetic(
    n_comments: int, n_mentions: int, *, touchpoints: int = 8, themes: int = 8, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = np.array([f"c{i}" for i in range(n_comments)], dtype=object)
    groups = rng.choice(np.array(s.NPS_GROUPS, dtype=object), n_comments, p=[0.3, 0.3, 0.4])
    comments = pd.DataFrame(
        {
            s.COMMENT_ID: ids,
            s.TEXT: "synthetic",
            s.LANG: rng.choice(np.array(s.SUPPORTED_LANGUAGES, dtype=object), n_comments),
            s.STATUS: s.STATUS_ANALYZED,
            s.SCORE: pd.array(rng.integers(0, 11, n_comments), dtype="Float64"),
            s.NPS_GROUP: groups,
            s.CREATED_AT: pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n_comments), unit="D"),
        }
    )
    tp = rng.integers(0, touchpoints, n_mentions)
    th = rng.zipf(1.6, n_mentions) % themes
    neg = rng.random(n_mentions) < 0.6
    words = rng.choice(np.array(WORDS, dtype=object), (n_mentions, 5))
    mentions = pd.DataFrame(
        {
            s.COMMENT_ID: ids[rng.integers(0, n_comments, n_mentions)],
            s.CLAUSE_ID: np.arange(n_mentions),
            s.CLAUSE_TEXT: [" ".join(w) for w in words],
            s.TOUCHPOINT: np.array([f"tp{i}" for i in range(touchpoints)], dtype=object)[tp],
            s.THEME: np.array([f"tp{a}_theme{b}" for a, b in zip(tp, th)], dtype=object),
            s.SENTIMENT: np.where(neg, "negative", "positive"),
            s.SENTIMENT_SCORE: np.where(neg, -rng.random(n_mentions), rng.random(n_mentions)),
        }
    )
    return comments, mentions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comments", type=int, default=100_000)
    ap.add_argument("--mentions", type=int, default=300_000)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("out/bench_summarize.json"))
    args = ap.parse_args()
    comments, mentions = synthetic(args.comments, args.mentions)
    load_before = round(os.getloadavg()[0], 2)  # the machine is shared: say how busy it was
    results: dict[str, list[float]] = {
        "summarize_period_month": [],
        "summarize_no_period": [],
        "trends_month": [],
    }
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        themes = summarize(comments, mentions, period="month", n_boot=args.n_boot)
        results["summarize_period_month"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        summarize(comments, mentions, n_boot=args.n_boot)
        results["summarize_no_period"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        trends(comments, mentions, period="month")
        results["trends_month"].append(time.perf_counter() - t0)
    report = {
        "comments": args.comments,
        "mentions": args.mentions,
        "themes": len(themes),
        "n_boot": args.n_boot,
        "load_average_1m_before": load_before,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        **{f"{k}_s_best": round(min(v), 3) for k, v in results.items()},
        **{f"{k}_s_all": [round(x, 3) for x in v] for k, v in results.items()},
    }
    for k, v in results.items():
        print(f"{k:>26}: best {min(v):.2f} s  (runs: {', '.join(f'{x:.2f}' for x in v)})")
    print(
        f"{len(themes)} (touchpoint, theme) rows, {args.comments:,} comments, "
        f"{args.mentions:,} mentions, {args.n_boot} bootstrap replicates"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
