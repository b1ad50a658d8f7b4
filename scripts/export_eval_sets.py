"""Write the held-out test parts of the sentiment evaluation sets (issue 3) as labelled JSONL
files, so that `feedback-nlp evaluate` can be run on each of them:

    .venv/bin/python scripts/export_eval_sets.py --out /tmp/eval
    .venv/bin/feedback-nlp evaluate /tmp/eval/german_germeval2017.jsonl \
        --text-col text --label-col label --lang-col lang

The split is the one training never saw (scripts/sentiment_data.py: sha256 of file + id).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sentiment_data import EVAL_SETS, LABELS, eval_set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in EVAL_SETS:
        rows = eval_set(name, args.split)
        path = args.out / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for ex in rows:
                record = {"id": ex.id, "text": ex.text, "lang": ex.lang, "label": LABELS[ex.label]}
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"{path}: {len(rows)} rows")


if __name__ == "__main__":
    main()
