"""Coverage, spread and label agreement of the industry taxonomies on real complaints.

    .venv/bin/python scripts/evaluate_industry_taxonomies.py --set comcast --limit 600
    .venv/bin/python scripts/evaluate_industry_taxonomies.py --set cfpb --limit 600 --show 40
    .venv/bin/python scripts/evaluate_industry_taxonomies.py --set cfpb --no-semantic   # keywords

Sets (gzip JSON lines in ../shared/data): ``comcast`` = comcast_fcc_complaints_en (complaint
titles about a cable/broadband provider) with ``telecom``; ``cfpb`` = cfpb_complaints (consumer
finance narratives, labelled with ``meta.product`` / ``meta.issue``) with ``banking``. Every text
in both sets is a complaint, so "negative texts" are all of them (the sets carry no sentiment).

Prints, per set: the share of texts with a theme (keyword / keyword + semantic, from
``evaluate_themes.coverage``), the largest single theme's share of texts, the themes by share,
for CFPB the top theme per ``meta.issue`` / ``meta.product`` and its share, and ``--show N``
random matched (clause, theme) pairs to judge by reading. The sample is seeded (``--seed``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate_themes import ClauseEmbedder, coverage

from feedback_nlp import schema as s
from feedback_nlp.cache import timed_open
from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
from feedback_nlp.themes.matcher import ThemeMatcher

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("FEEDBACK_NLP_DATA", ROOT.parent / "shared" / "data"))
SETS = {
    "comcast": ("comcast_fcc_complaints_en", "telecom", ()),
    "cfpb": ("cfpb_complaints", "banking", ("issue", "product")),
}


def load(data_dir: Path, name: str, limit: int, seed: int) -> pd.DataFrame:
    with gzip.open(data_dir / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    df = pd.DataFrame(
        {
            "text": [r["text"] for r in rows],
            "lang": [r["lang"] for r in rows],
            "issue": [(r.get("meta") or {}).get("issue") for r in rows],
            "product": [(r.get("meta") or {}).get("product") for r in rows],
        }
    )
    if limit and len(df) > limit:
        df = df.sample(limit, random_state=seed)
    return df.reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--set", choices=sorted(SETS), required=True)
    ap.add_argument("--taxonomy", default=None, help="default: the set's industry taxonomy")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=600, help="texts sampled (0: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-semantic", action="store_true", help="keywords only, no encoder")
    ap.add_argument("--show", type=int, default=0, help="print N random matched clauses")
    ap.add_argument("--unmatched", type=int, default=0, help="print N texts without a theme")
    args = ap.parse_args(argv)

    name, default_tax, labels = SETS[args.set]
    taxonomy = args.taxonomy or default_tax
    df = load(args.data_dir, name, args.limit, args.seed)
    print(f"{name} ({taxonomy}): {len(df)} texts, seed {args.seed}")

    results, _ = timed_open(not args.no_semantic)
    try:
        embedder = None if args.no_semantic else ClauseEmbedder(results)
        clauses = split_clauses(df["text"].tolist(), df["lang"].tolist())
        if embedder is not None:
            cov = coverage(
                df["text"], df["lang"], taxonomy, embedder, discover=False, sentiment=False
            )
            print(
                f"texts with a theme: keyword {cov['keyword']:.3f}, "
                f"keyword + semantic {cov['taxonomy']:.3f}"
            )
            vectors = embedder.embed(clauses[s.CLAUSE_TEXT].tolist(), progress=False)
            mentions = ThemeMatcher(taxonomy, embed=embedder).match(clauses, embeddings=vectors)
        else:
            mentions = ThemeMatcher(taxonomy).match(clauses)
            share = mentions[COMMENT_INDEX].nunique() / max(1, len(df))
            print(f"texts with a theme: keyword {share:.3f}")
    finally:
        if results is not None:
            results.close()

    n = max(1, len(df))
    key = mentions[s.TOUCHPOINT] + "/" + mentions[s.THEME]
    per_text = pd.DataFrame({"doc": mentions[COMMENT_INDEX], "theme": key}).drop_duplicates()
    spread = per_text["theme"].value_counts() / n
    print(
        f"all texts are complaints: negative texts with a theme = the share above; "
        f"largest theme {spread.index[0]} {spread.iloc[0]:.3f} of texts"
    )
    print("match kinds:", mentions[s.MATCH].value_counts().to_dict())
    print("\nthemes by share of texts:")
    for theme, share in spread.items():
        print(f"  {share:6.3f}  {theme}")

    # the top theme per gold label: each text's themes, counted per label
    for label in labels:
        print(f"\ncrosstab meta.{label} -> top theme (share of the label's texts), unmatched")
        joined = per_text.merge(df[[label]], left_on="doc", right_index=True)
        for value, group in df.groupby(label):
            if len(group) < 5:
                continue
            themes = joined.loc[joined[label] == value, "theme"].value_counts()
            top = f"{themes.index[0]} {themes.iloc[0] / len(group):.2f}" if len(themes) else "-"
            none = 1 - per_text.loc[per_text["doc"].isin(group.index), "doc"].nunique() / len(group)
            print(f"  {len(group):4d}  {value[:60]:60s} -> {top}; none {none:.2f}")

    if args.show:
        pick = mentions.sample(min(args.show, len(mentions)), random_state=args.seed)
        print(f"\n{len(pick)} random matched clauses (theme <- match: keyword):")
        for _, m in pick.iterrows():
            text = str(m[s.CLAUSE_TEXT]).replace("\n", " ")[:220]
            print(f"- [{m[s.TOUCHPOINT]}/{m[s.THEME]} <- {m[s.MATCH]}: {m['keyword']}] {text}")
    if args.unmatched:
        missing = df.loc[~df.index.isin(per_text["doc"])]
        print(f"\n{len(missing)} texts without a theme; {args.unmatched} of them:")
        for text in missing["text"].head(args.unmatched):
            print("-", str(text).replace("\n", " ")[:200])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
