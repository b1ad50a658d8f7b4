"""A staged NPS export from real complaints, for the complaint-ranking audit (docs/themes.md,
"Complaint ranking"): airline tweets (../shared/data/airline_tweets_en.jsonl.gz) with a "Stage"
column from their negative reason (Booking, Airport, Flight, Baggage, Customer service), an NPS
score from their label and a date; positive and neutral tweets get a random stage, and about
8 % of the rows a blank stage (ranked as "(no stage)").

    python scripts/staged_export.py /tmp/staged.csv --n 1500
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

DATA = Path(
    os.environ.get("FEEDBACK_NLP_DATA", Path(__file__).resolve().parents[2] / "shared/data")
)
STAGE_OF_REASON = {
    "Flight Booking Problems": "Booking",
    "longlines": "Airport",
    "Late Flight": "Flight",
    "Cancelled Flight": "Flight",
    "Bad Flight": "Flight",
    "Flight Attendant Complaints": "Flight",
    "Lost Luggage": "Baggage",
    "Damaged Luggage": "Baggage",
    "Customer Service Issue": "Customer service",
}
STAGES = sorted(set(STAGE_OF_REASON.values()))


def build(n: int, seed: int = 0) -> pd.DataFrame:
    rng = random.Random(seed)
    with gzip.open(DATA / "airline_tweets_en.jsonl.gz", "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    rng.shuffle(records)
    rows, start = [], date(2026, 1, 1)
    for i, rec in enumerate(records[:n]):
        reason = rec["meta"].get("negativereason")
        stage = STAGE_OF_REASON.get(reason) or rng.choice(STAGES)
        if rng.random() < 0.08:
            stage = ""
        label = rec["label"]
        score = {
            "negative": rng.randint(0, 6),
            "neutral": rng.randint(6, 8),
            "positive": rng.randint(8, 10),
        }[label]
        rows.append(
            {
                "Response ID": f"AT-{i:05d}",
                "Date": (start + timedelta(days=rng.randrange(180))).isoformat(),
                "Stage": stage,
                "How likely are you to recommend us? (0-10)": score,
                "Why did you give this score?": rec["text"],
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    frame = build(args.n, args.seed)
    frame.to_csv(args.out, index=False, encoding="utf-8-sig")
    print(
        f"{args.out}: {len(frame)} rows; stages {frame['Stage'].replace('', '(blank)').value_counts().to_dict()}"
    )


if __name__ == "__main__":
    main()
