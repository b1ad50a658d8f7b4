"""Model passes per analysed comment, and what theme discovery finds, under each way of giving
discovery candidates a sentiment (settings.CANDIDATE_SENTIMENT); prints one line per mode.

    .venv/bin/python scripts/bench_passes.py examples/nps_sample.csv [--limit 800] [--all-clauses]

`clause`: every candidate clause is scored; `comment`: candidates borrow their comment's
sentiment. `--all-clauses` first prints (without running a model) what the analysis sent before
issue 20: every comment and every clause through the sentiment model, every clause through the
encoder (distinct texts, as the models dedupe). Models in fp32, no result cache. Comment text is
never printed: theme ids and counts only.
"""

from __future__ import annotations

import argparse
import time

from feedback_nlp import schema as s
from feedback_nlp.io.load import read_feedback
from feedback_nlp.text.clean import clean


def all_clauses(frame) -> str:
    from feedback_nlp.text.clauses import split_clauses

    todo = frame[frame[s.STATUS].isna()]
    texts = todo[s.TEXT].astype(str).tolist()
    langs = todo[s.LANG].fillna(s.UNDETERMINED).astype(str).tolist()
    clauses = split_clauses(texts, langs)
    senti = set(zip(texts + clauses[s.CLAUSE_TEXT].tolist(), langs + clauses[s.LANG].tolist()))
    vectors = set(clauses[s.CLAUSE_TEXT])
    return (
        f"every clause: comments {len(texts)} clauses {len(clauses)} sentiment {len(senti)} "
        f"embedder {len(vectors)} per comment {(len(senti) + len(vectors)) / len(texts):.3f}"
    )


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("path")
    p.add_argument("--limit", type=int, default=0, help="first N rows only")
    p.add_argument("--all-clauses", action="store_true")
    args = p.parse_args()
    from feedback_nlp.analysis.chunk import analyze_chunk, discover_candidates
    from feedback_nlp.analysis.models import Models

    raw = read_feedback(args.path)
    frame = clean(raw.head(args.limit) if args.limit else raw)
    if args.all_clauses:
        print(all_clauses(frame), flush=True)
    models = Models(precision="fp32")
    found_by = {}
    for mode in ("clause", "comment"):
        t0 = time.perf_counter()
        chunk = analyze_chunk(frame, models, candidate_sentiment=mode)
        found = discover_candidates(chunk.candidates, chunk.embeddings, models)
        passes = chunk.passes
        per = (passes["sentiment_texts"] + passes["embedding_texts"]) / max(passes["comments"], 1)
        themes = found.groupby(s.THEME)[s.COMMENT_ID].nunique().to_dict() if len(found) else {}
        found_by[mode] = set(zip(found[s.COMMENT_ID], found[s.CLAUSE_ID], found[s.THEME]))
        print(
            f"{mode}: {passes} per comment {per:.3f}; {time.perf_counter() - t0:.0f} s; "
            f"candidates {len(chunk.candidates)}; discovered mentions {len(found)}; "
            f"themes (comments) {themes}",
            flush=True,
        )
    a, b = found_by["clause"], found_by["comment"]
    print(f"discovered mentions: clause only {len(a - b)}, comment only {len(b - a)}, both {len(a & b)}")


if __name__ == "__main__":
    main()
