"""How many complaints get a specific theme, by the reason their data set gives them: negative
airline tweets by their annotated ``negativereason`` ("Late Flight", "Lost Luggage", "Can't
Tell"...), consumer finance complaints by their ``product``.

The complaints are sampled (--seed) from ../shared/data (FEEDBACK_NLP_DATA), written as one
export (comment, language) and analysed for real (builtin sentiment model and encoder, the
taxonomy the set is made for unless --taxonomy), as ``feedback-nlp analyze`` would. A comment is
covered when it has a taxonomy theme outside the general touchpoint (coverage_report's "specific
theme"). Printed: covered / all, the same without the reasons that name no topic ("Can't
Tell"), and per reason; --uncovered writes the ones left without a theme, with their reason, to
read (comment text stays in that file).

    .venv/bin/python scripts/coverage_by_reason.py --set airline_tweets_en --n 600 --seed 29
    .venv/bin/python scripts/coverage_by_reason.py --set cfpb_complaints --n 300 --uncovered left.jsonl
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import feedback_nlp as fnlp
from feedback_nlp import schema as s

sys.path.insert(0, str(Path(__file__).resolve().parent))
from coverage_report import _AIRLINE_ARTEFACT, specific_mentions, write_jsonl
from evaluate_themes import DEFAULT_DATA, _read_jsonl

# set -> (taxonomy, which records are complaints, their reason, reasons that name no topic)
SETS = {
    "airline_tweets_en": (
        "travel",
        lambda r: r["label"] == "negative",
        lambda r: r["meta"]["negativereason"],
        {"Can't Tell"},
    ),
    "cfpb_complaints": ("banking", lambda r: True, lambda r: r["meta"]["product"], set()),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=sorted(SETS), default="airline_tweets_en")
    ap.add_argument("--n", type=int, default=600, help="complaints sampled")
    ap.add_argument("--seed", type=int, default=29)
    ap.add_argument("--taxonomy", help="default: the one the set is made for")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--uncovered", type=Path, help="write the uncovered complaints here (JSONL)")
    args = ap.parse_args(argv)
    taxonomy, is_complaint, reason_of, no_topic = SETS[args.set]
    records = [r for r in _read_jsonl(args.data_dir / f"{args.set}.jsonl.gz") if is_complaint(r)]
    rng = np.random.default_rng(args.seed)
    rows = [records[i] for i in sorted(rng.choice(len(records), args.n, replace=False))]
    texts = [r["text"] for r in rows]
    if args.set == "airline_tweets_en":
        for pattern, original in _AIRLINE_ARTEFACT:
            texts = [pattern.sub(original, text) for text in texts]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{args.set}.csv"
        pd.DataFrame({"Comment": texts, "Language": [r["lang"] for r in rows]}).to_csv(
            path, index=False
        )
        feedback = fnlp.read_feedback(path, lang_col="Language")
        result = fnlp.analyze(feedback, models=fnlp.Models(taxonomy=args.taxonomy or taxonomy))
    comments = result.comments.reset_index(drop=True)
    covered_ids = set(specific_mentions(result.mentions)[s.COMMENT_ID])
    covered = comments[s.COMMENT_ID].isin(covered_ids).to_numpy()
    reasons = pd.Series([str(reason_of(r)) for r in rows])
    named = ~reasons.isin(no_topic).to_numpy()

    def share(mask: np.ndarray) -> str:
        n = int(mask.sum())
        return (
            f"{int((covered & mask).sum()):>4} / {n:>4} = {covered[mask].mean():.1%}" if n else "-"
        )

    print(
        f"{args.set}, {args.n} complaints (seed {args.seed}), taxonomy {args.taxonomy or taxonomy}"
    )
    print(f"  {'all':<40} {share(np.ones(len(rows), bool))}")
    if no_topic:
        print(f"  {'without ' + ', '.join(sorted(no_topic)):<40} {share(named)}")
    for reason in reasons.value_counts().index:
        print(f"    {reason[:38]:<38} {share((reasons == reason).to_numpy())}")
    if args.uncovered:
        left = [
            {"reason": reasons[i], "content": comments[s.CONTENT][i], "text": comments[s.TEXT][i]}
            for i in np.flatnonzero(~covered)
        ]
        write_jsonl(args.uncovered, left, "uncovered complaints")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
