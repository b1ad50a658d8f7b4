"""The theme mentions that differ between two `feedback-nlp analyze` output folders of the same
export (before / after a taxonomy or labelling change), to read them one by one: mentions only
in the first folder (removed) and only in the second (added), with match kind and theme label.
Unlike scripts/compare_outputs.py (same or not), this prints the clauses, for reading: use it on
exports you may read (it prints clause text).

    feedback-nlp analyze export.csv -o out/before --taxonomy old.yaml
    feedback-nlp analyze export.csv -o out/after --taxonomy telecom
    .venv/bin/python scripts/mention_diff.py out/before out/after
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

KEY = ["comment_id", "clause_id", "theme"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    args = ap.parse_args()
    old = pd.read_parquet(args.before / "mentions.parquet")
    new = pd.read_parquet(args.after / "mentions.parquet")
    both = old.merge(new[KEY], on=KEY, how="outer", indicator=True)
    removed = old.merge(new[KEY], on=KEY, how="left", indicator=True)
    removed = removed[removed["_merge"] == "left_only"]
    added = new.merge(old[KEY], on=KEY, how="left", indicator=True)
    added = added[added["_merge"] == "left_only"]
    print(
        f"{args.before} -> {args.after}: mentions {len(old)} -> {len(new)}; "
        f"removed {len(removed)}, added {len(added)}, kept {int((both['_merge'] == 'both').sum())}"
    )
    for name, rows in (("removed", removed), ("added", added)):
        print(f"\n{name} ({len(rows)}): theme [match] | clause")
        for r in rows.sort_values(KEY).itertuples():
            print(f"  {r.theme} [{r.match}] | {str(r.clause_text)[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
