"""Which taxonomy ``--taxonomy auto`` picks for real exports, and how much of them it explains.

For each set it builds an export-like CSV (comment text, the score where the set has one, the
language it names), reads it with ``read_feedback`` and runs the real analysis with
``taxonomy="auto"`` (builtin sentiment model and encoder, loaded once for all sets, through the
user's result cache), then prints one table:

  set, taxonomy picked (and the one expected where it ships), the coverage of every candidate in
  the auto-choice's sample, the share of analysed comments with a specific taxonomy theme (a
  keyword or semantic match outside an ``overall`` touchpoint), the share of negative comments
  (negative sentiment, or NPS detractors where there are scores) with one, and the largest single
  theme's share of the negative comments (a catch-all theme shows up there).

Sets: examples/nps_sample.csv and files of ../shared/data (FEEDBACK_NLP_DATA), each sampled to
--limit rows (seeded); the airline tweets' label artefact ("Late Flight" for "late") is undone.
The table also gives the share of analysed comments with no specific content (``nonspec``:
"ok", "@united thanks", "Complaint against Comcast": text.content) and the share with a specific
theme among the others (``cont spec``: themes / comments with content specific), the same share
among the negative ones (``neg cont``: a detractor who says only "never again" names nothing a
theme could be about), and
--uncovered writes the analysed comments left without a specific theme, to read why.

    .venv/bin/python scripts/coverage_report.py --limit 600
    .venv/bin/python scripts/coverage_report.py --sets nps_sample germeval2017_dev --limit 200 \\
        --output coverage.json
    .venv/bin/python scripts/coverage_report.py --sets opener_en --limit 300 --seed 1 \\
        --uncovered left.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import feedback_nlp as fnlp
from feedback_nlp import schema as s
from feedback_nlp.cache import timed_open
from feedback_nlp.settings import GENERAL_TOUCHPOINT
from feedback_nlp.themes.taxonomy_file import shipped_taxonomies

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("FEEDBACK_NLP_DATA", ROOT.parent / "shared" / "data"))
SAMPLE = ROOT / "examples" / "nps_sample.csv"

# set -> the taxonomy that should fit it (None: no shipped taxonomy is made for it)
SETS = {
    "nps_sample": "ecommerce-cx",
    "semeval2016_train": "restaurant",
    "germeval2017_dev": "railway",
    "comcast_fcc_complaints_en": "telecom",
    "airline_tweets_en": "travel",
    "cfpb_complaints": "banking",
    "polemo_hotels_products_pl": None,  # hotel sentences and product reviews, mixed
    "opener_en": "travel",  # hotel review sentences
    "opener_es": "travel",  # the same in Spanish (often written without accents)
}


# The airline tweets' publisher replaced words by its complaint labels ("Cancelled Flightled" was
# "cancelled", "reFlight Booking Problems" "rebooking"); a real export has the customer's words,
# and the labels would hand "flight + late" to every "later" (as in evaluate_taxonomy_sets.py).
_AIRLINE_ARTEFACT = [
    (re.compile(r"Cancelled Flight", re.IGNORECASE), "cancel"),
    (re.compile(r"Late Flight", re.IGNORECASE), "late"),
    (re.compile(r"Flight Booking Problems", re.IGNORECASE), "booking"),
]


def export_frame(name: str, limit: int, seed: int) -> pd.DataFrame:
    """Up to `limit` rows of a set (seeded) as an export: Comment, Language, Score if any."""
    if name == "nps_sample":
        frame = pd.read_csv(SAMPLE, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        return frame.sample(n=min(limit, len(frame)), random_state=seed).sort_index()
    path = DATA / f"{name}.jsonl.gz"
    if not path.is_file():
        raise SystemExit(f"{path} not found: set FEEDBACK_NLP_DATA to the data folder")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle]
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(records), size=min(limit, len(records)), replace=False))
    rows = [records[i] for i in picked]
    texts = [r["text"] for r in rows]
    if name == "airline_tweets_en":
        for pattern, original in _AIRLINE_ARTEFACT:
            texts = [pattern.sub(original, text) for text in texts]
    frame = pd.DataFrame({"Comment": texts, "Language": [r.get("lang") for r in rows]})
    scores = [r.get("score") for r in rows]
    if any(v is not None for v in scores):
        frame["Score"] = scores
    return frame


def specific_mentions(mentions: pd.DataFrame) -> pd.DataFrame:
    """Mentions of a taxonomy theme (keyword or semantic) outside the general touchpoint: what
    "a specific theme" means in every share this script prints."""
    taxonomy = mentions[s.MATCH].isin(["keyword", "semantic"])
    return mentions[taxonomy & (mentions[s.TOUCHPOINT] != GENERAL_TOUCHPOINT)]


def write_jsonl(path: Path, records: list[dict], what: str) -> None:
    """``records`` as JSON lines (comment text stays in this file: it is for reading)."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(records)} {what} to {path}", file=sys.stderr)


def measure(result, choice: dict) -> dict:
    comments, mentions = result.comments, result.mentions
    analysed = comments[comments[s.STATUS] == s.STATUS_ANALYZED]
    specific = specific_mentions(mentions)
    with_specific = set(specific[s.COMMENT_ID])
    negative = analysed[s.SENTIMENT] == "negative"
    if s.NPS_GROUP in analysed.columns and analysed[s.NPS_GROUP].notna().any():
        negative = negative | (analysed[s.NPS_GROUP] == "detractor")
    neg = analysed[negative]
    counts: dict[str, int] = {}
    for themes in neg[s.THEMES]:
        for key in set(themes):
            counts[key] = counts.get(key, 0) + 1
    top = max(counts.items(), key=lambda kv: (kv[1], kv[0])) if counts else (None, 0)
    n, n_neg = len(analysed), len(neg)
    # comments that name something (content == specific): the share a taxonomy can be asked for
    spec = analysed[analysed[s.CONTENT] == s.CONTENT_SPECIFIC]
    neg_spec = neg[neg[s.CONTENT] == s.CONTENT_SPECIFIC]
    return {
        "picked": choice["chosen"],
        "how": choice["how"],
        "fits": choice.get("fits", True),
        "sample": choice.get("sample", 0),
        "candidates": {c["name"]: c["coverage"] for c in choice.get("candidates", [])},
        "keyword_candidates": {
            c["name"]: c["keyword_coverage"] for c in choice.get("candidates", [])
        },
        "analysed": n,
        "specific_share": round(analysed[s.COMMENT_ID].isin(with_specific).mean(), 4) if n else 0,
        "content_specific": len(spec),
        "nonspecific_share": round(1 - len(spec) / n, 4) if n else 0,
        "content_specific_share": (
            round(spec[s.COMMENT_ID].isin(with_specific).mean(), 4) if len(spec) else 0
        ),
        "negative": n_neg,
        "negative_specific_share": (
            round(neg[s.COMMENT_ID].isin(with_specific).mean(), 4) if n_neg else 0
        ),
        "negative_content_specific": len(neg_spec),
        "negative_content_specific_share": (
            round(neg_spec[s.COMMENT_ID].isin(with_specific).mean(), 4) if len(neg_spec) else 0
        ),
        "top_negative_theme": top[0],
        "top_negative_theme_share": round(top[1] / n_neg, 4) if n_neg else 0,
    }


def uncovered(result, name: str) -> list[dict]:
    """Analysed comments with no specific theme, for reading why (text stays in this file)."""
    comments, mentions = result.comments, result.mentions
    specific = specific_mentions(mentions)
    analysed = comments[comments[s.STATUS] == s.STATUS_ANALYZED]
    left = analysed[~analysed[s.COMMENT_ID].isin(set(specific[s.COMMENT_ID]))]
    return [
        {
            "set": name,
            "comment_id": str(row[s.COMMENT_ID]),
            "lang": row[s.LANG],
            "content": row[s.CONTENT],
            "sentiment": row[s.SENTIMENT],
            "themes": list(row[s.THEMES]),
            "text": row[s.TEXT],
        }
        for _, row in left.iterrows()
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--limit", type=int, default=600, help="rows per set (seeded sample)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--precision", default="fp32", choices=["auto", "fp32", "bf16"])
    ap.add_argument("--output", type=Path, help="also write the numbers as JSON here")
    ap.add_argument(
        "--uncovered",
        type=Path,
        help="also write the analysed comments with no specific theme here (JSON lines)",
    )
    args = ap.parse_args(argv)

    shipped = shipped_taxonomies()
    print(f"shipped taxonomies: {', '.join(shipped)}", file=sys.stderr)
    models = fnlp.Models(taxonomy="auto", precision=args.precision)
    cache, _ = timed_open(True)
    models = models.with_cache(cache)
    results = {}
    left: list[dict] = []
    try:
        for name in args.sets:
            t0 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{name}.csv"
                export_frame(name, args.limit, args.seed).to_csv(path, index=False)
                lang_col = None if name == "nps_sample" else "Language"
                feedback = fnlp.read_feedback(path, lang_col=lang_col)
            result = fnlp.analyze(feedback, models=models)
            row = measure(result, result.manifest["taxonomy_choice"])
            if args.uncovered:
                left.extend(uncovered(result, name))
            row["expected"] = SETS[name] if SETS[name] in shipped else None
            row["seconds"] = round(time.perf_counter() - t0, 1)
            results[name] = row
            print(f"{name}: {row['picked']} in {row['seconds']} s", file=sys.stderr)
    finally:
        if cache is not None:
            cache.close()

    def pct(x: float) -> str:
        return f"{100 * x:.0f}%"

    print(
        f"taxonomy=auto, --limit {args.limit} rows per set (seed {args.seed}), "
        f"candidates: {', '.join(shipped)}"
    )
    header = (
        f"{'set':<27} {'picked':<13} {'expected':<13} {'n':>4} {'specific':>8} "
        f"{'neg':>4} {'neg spec':>8} {'nonspec':>7} {'cont spec':>9} {'neg cont':>8} "
        f"{'top neg theme':>14}  "
        "coverage of each candidate (keyword)"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        cands = ", ".join(
            f"{c} {pct(v)} ({pct(r['keyword_candidates'][c])})" for c, v in r["candidates"].items()
        )
        flag = "" if r["fits"] else " [fits poorly]"
        print(
            f"{name:<27} {r['picked']:<13} {r['expected'] or '-':<13} {r['analysed']:>4} "
            f"{pct(r['specific_share']):>8} {r['negative']:>4} "
            f"{pct(r['negative_specific_share']):>8} {pct(r['nonspecific_share']):>7} "
            f"{pct(r['content_specific_share']):>9} "
            f"{pct(r['negative_content_specific_share']):>8} "
            f"{pct(r['top_negative_theme_share']):>14}  "
            f"{cands}{flag}"
        )
    for name, r in results.items():
        print(f"  {name}: largest negative theme {r['top_negative_theme']}")
    if args.output:
        args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    if args.uncovered:
        write_jsonl(args.uncovered, left, "uncovered comments")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
