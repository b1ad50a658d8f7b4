"""A staged NPS export from real complaints, for the complaint-ranking audit (docs/themes.md,
"Complaint ranking"): airline tweets (../shared/data/airline_tweets_en.jsonl.gz) with a "Stage"
column from their negative reason (Booking, Airport, Flight, Baggage, Customer service), an NPS
score from their label and a date; positive and neutral tweets get a random stage, and about
8 % of the rows a blank stage (ranked as "(no stage)").

    python scripts/staged_export.py /tmp/staged.csv --n 1500

With --bench: scripts/bench.py's export instead (5 % the bundled sample, the rest development
reviews; a random "Channel"), about 8 % of its channels blanked.

    python scripts/staged_export.py /tmp/bench_staged.csv --bench --n 2000
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
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


def build_bench(n: int, path: Path, seed: int = 0) -> pd.DataFrame:
    spec = importlib.util.spec_from_file_location("bench", Path(__file__).with_name("bench.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.build_export(n, path, seed=seed)
    frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    rng = random.Random(seed + 1)
    frame["Channel"] = [c if rng.random() >= 0.08 else "" for c in frame["Channel"]]
    return frame


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bench", action="store_true", help="scripts/bench.py's export instead")
    args = ap.parse_args()
    if args.bench:
        frame, col = build_bench(args.n, args.out, args.seed), "Channel"
    else:
        frame, col = build(args.n, args.seed), "Stage"
    frame.to_csv(args.out, index=False, encoding="utf-8-sig")
    stages = frame[col].replace("", "(blank)").value_counts().to_dict()
    print(f"{args.out}: {len(frame)} rows; {col} {stages}")


if __name__ == "__main__":
    main()
