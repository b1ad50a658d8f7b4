"""Rating impact on a real star-rated review set: the top complaint themes and what each costs.

Samples `--limit` reviews (seeded) from a labelled file of ../shared/data whose `score` is a
1-5 star rating (cuba_hotels_es, restmex2021_es), writes them to a CSV (text + score), runs the
whole pipeline (real models, offline) on it and prints the scale read, the average rating and
the top complaint themes with their rating impact and 90% bootstrap interval. No comment text is
printed.

    python scripts/rating_impact.py [--data ../shared/data/cuba_hotels_es.jsonl.gz] [--limit 800]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
from pathlib import Path

import pandas as pd

import feedback_nlp as fnlp
from feedback_nlp import schema as s
from feedback_nlp.report.figures import ranked_by_text

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared" / "data" / "cuba_hotels_es.jsonl.gz"
    )
    parser.add_argument("--limit", type=int, default=800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()
    with gzip.open(args.data, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    rows = [r for r in rows if isinstance(r.get("text"), str) and r.get("score") is not None]
    rows = random.Random(args.seed).sample(rows, min(args.limit, len(rows)))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{args.data.name.split('.')[0]}_reviews.csv"
        pd.DataFrame(
            {"review": [r["text"] for r in rows], "stars": [r["score"] for r in rows]}
        ).to_csv(path, index=False)
        result, themes = fnlp.run(path, Path(tmp) / "out", by="theme", period=None)
    scale = themes.attrs["summary"]["rating_scale"]
    print(
        f"{args.data.name}: {len(rows)} reviews (seed {args.seed}), scale read: "
        f"{result.manifest['inputs'][0]['score_scale']}"
    )
    print(
        f"ranked by: {themes.attrs['summary']['ranked_by']}; "
        f"average {scale['average']:.2f} over {scale['rated']} rated"
    )
    print(ranked_by_text(themes))
    top = themes[themes[s.RANK].notna()].sort_values(s.RANK).head(args.top)
    print(f"{'rank':>4}  {'theme':<40} {'comments':>8}  rating_impact (90% CI)")
    for _, r in top.iterrows():
        print(
            f"{int(r[s.RANK]):>4}  {str(r[s.LABEL])[:40]:<40} {int(r[s.COMMENTS]):>8}  "
            f"{r[s.RATING_IMPACT]:+.3f} ({r[s.RATING_IMPACT_LOW]:+.3f} to "
            f"{r[s.RATING_IMPACT_HIGH]:+.3f})"
        )


if __name__ == "__main__":
    main()
