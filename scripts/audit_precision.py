"""Precision audit of theme mentions on real complaints: is the theme right for the clause?

Three steps, so that a person judges each mention before seeing how confident the tool was:

    python scripts/audit_precision.py build /tmp/audit/complaints.csv          # the export
    feedback-nlp analyze /tmp/audit/complaints.csv -o /tmp/audit/out --taxonomy ecommerce-cx
    python scripts/audit_precision.py sample /tmp/audit/out docs/precision_audit.csv --n 200

or, one export per source as each industry would send it, each analysed with the default
`--taxonomy auto` (the taxonomy each export got is a column of the sheet):

    python scripts/audit_precision.py build /tmp/audit/exports --per-file
    for f in /tmp/audit/exports/*.csv; do feedback-nlp analyze "$f" -o "/tmp/audit/out/$(basename "$f" .csv)"; done
    python scripts/audit_precision.py sample /tmp/audit/out/* docs/precision_audit.csv --n 200
    #   ... fill the `correct` column of docs/precision_audit.csv (1 right, 0 wrong) by reading
    #   each clause and its theme; the confidences are in a separate file, seen only afterwards
    python scripts/audit_precision.py score docs/precision_audit.csv
    python scripts/audit_precision.py rematch docs/precision_audit.csv   # after mends

`rematch` matches each judged clause again by keyword with the current taxonomy files and
counts, of the keyword mentions judged wrong, those that no longer carry their theme (and prints what
they carry now), and of those judged right, those lost: what a mend did to a judged sheet,
without a second blind reading.

The export holds real complaints from ../shared/data (FEEDBACK_NLP_DATA): negative airline
tweets, consumer-finance complaint narratives (CFPB), telecom complaint titles filed with the
regulator (Comcast), negative Polish product/hotel reviews (PolEmo) and negative Thai shop
reviews. `sample` draws mentions at random, the same number from each source where it can, and
writes the judging sheet (no confidence) and, beside it, `<name>.key.csv` with the confidence
and match kind of each row. `score` prints precision overall, per source and per match kind.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
from pathlib import Path

import pandas as pd

DATA = Path(
    os.environ.get("FEEDBACK_NLP_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
# source -> (file, which records count as complaints)
SOURCES = {
    "airline_tweets": ("airline_tweets_en", lambda r: r.get("label") == "negative"),
    "cfpb_complaints": ("cfpb_complaints", lambda r: True),
    "telecom_titles": ("comcast_fcc_complaints_en", lambda r: True),
    "product_reviews_pl": ("polemo_hotels_products_pl", lambda r: r.get("label") == "negative"),
    "shop_reviews_th": ("th_review_shopping", lambda r: r.get("label") == "negative"),
}
MAX_CHARS = 1500  # long CFPB narratives: their opening says what the complaint is about


def _records(name: str):
    with gzip.open(DATA / f"{name}.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def build(out: Path, per_source: int, seed: int, per_file: bool = False) -> None:
    rng = random.Random(seed)
    rows = []
    for source, (name, keep) in SOURCES.items():
        pool = [r for r in _records(name) if keep(r) and (r.get("text") or "").strip()]
        rng.shuffle(pool)
        for r in pool[:per_source]:
            rows.append(
                {"Response ID": r["id"], "Source": source, "Comment": r["text"][:MAX_CHARS]}
            )
        print(f"{source}: {min(per_source, len(pool))} of {len(pool)} complaints", file=sys.stderr)
    frame = pd.DataFrame(rows)
    if per_file:  # one export per source, in the folder `out`
        out.mkdir(parents=True, exist_ok=True)
        for source, part in frame.groupby("Source"):
            part.to_csv(out / f"{source}.csv", index=False)
        print(f"wrote {len(rows)} rows to {out}/<source>.csv", file=sys.stderr)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    print(f"wrote {len(rows)} rows to {out}", file=sys.stderr)


def _taxonomy_of(outdir: Path) -> str:
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    choice = manifest.get("taxonomy_choice") or {}
    return choice.get("chosen") or manifest.get("options", {}).get("models", {}).get("taxonomy", "")


def sample(outdirs: list[Path], sheet: Path, n: int, seed: int) -> None:
    parts = []
    for outdir in outdirs:
        comments = pd.read_parquet(outdir / "comments.parquet")
        found = pd.read_parquet(outdir / "mentions.parquet")
        source = comments.set_index("comment_id")["Source"]
        parts.append(
            found.assign(source=found["comment_id"].map(source), taxonomy=_taxonomy_of(outdir))
        )
    mentions = pd.concat(parts, ignore_index=True)
    rng = random.Random(seed)
    by_source = {k: list(g.index) for k, g in mentions.groupby("source")}
    for rows in by_source.values():
        rng.shuffle(rows)
    picked: list[int] = []
    while len(picked) < min(n, len(mentions)):  # round robin: each source as evenly as it can
        for rows in by_source.values():
            if rows and len(picked) < n:
                picked.append(rows.pop())
    rng.shuffle(picked)
    chosen = mentions.loc[picked].reset_index(drop=True)
    chosen.insert(0, "audit_id", range(1, len(chosen) + 1))
    label = chosen["label"] if "label" in chosen else chosen["theme"]
    judging = pd.DataFrame(
        {
            "audit_id": chosen["audit_id"],
            "source": chosen["source"],
            "lang": chosen["lang"],
            "taxonomy": chosen["taxonomy"],
            "clause_text": chosen["clause_text"],
            "touchpoint": chosen["touchpoint"],
            "theme": chosen["theme"],
            "theme_label": label,
            "correct": "",
            "note": "",
        }
    )
    key = chosen[["audit_id", "match", "confidence", "sentiment", "comment_id"]]
    sheet.parent.mkdir(parents=True, exist_ok=True)
    judging.to_csv(sheet, index=False)
    key.to_csv(sheet.with_suffix(".key.csv"), index=False)
    counts = judging["source"].value_counts().to_dict()
    print(f"wrote {len(judging)} mentions to {sheet} ({counts}); key beside it", file=sys.stderr)


def score(sheet: Path) -> None:
    judged = pd.read_csv(sheet)
    key = pd.read_csv(sheet.with_suffix(".key.csv"))
    df = judged.merge(key, on="audit_id")
    df = df[df["correct"].astype(str).isin(["0", "1", "0.0", "1.0"])]
    df["correct"] = df["correct"].astype(float).astype(int)
    print(f"precision {df['correct'].mean():.3f} on {len(df)} judged mentions")
    for col in [c for c in ("source", "taxonomy", "match") if c in df]:
        table = df.groupby(col)["correct"].agg(["mean", "size"]).round(3)
        print(f"\nby {col}:\n{table.to_string()}")


def rematch(sheet: Path) -> None:
    from feedback_nlp.text.clauses import COMMENT_INDEX, split_clauses
    from feedback_nlp.themes.matcher import match_themes

    judged = pd.read_csv(sheet)
    judged = judged[judged["correct"].astype(str).isin(["0", "1", "0.0", "1.0"])]
    key = sheet.with_suffix(".key.csv")
    if key.exists() and "match" in (kinds := pd.read_csv(key)).columns:
        # matching again by keyword says nothing about semantic or discovered mentions
        keyword = set(kinds.loc[kinds["match"] == "keyword", "audit_id"])
        print(f"keyword mentions only: {judged['audit_id'].isin(keyword).sum()} of {len(judged)}")
        judged = judged[judged["audit_id"].isin(keyword)]
    now: dict[int, set[str]] = {}
    for taxonomy, rows in judged.groupby("taxonomy"):
        texts, langs = rows["clause_text"].tolist(), rows["lang"].tolist()
        found = match_themes(split_clauses(texts, langs), taxonomy, embed=None)
        themes = found.groupby(COMMENT_INDEX)["theme"].apply(set).to_dict()
        for k, audit_id in enumerate(rows["audit_id"]):
            now[audit_id] = themes.get(k, set())
    wrong = judged[judged["correct"].astype(float) == 0]
    right = judged[judged["correct"].astype(float) == 1]
    gone = [r for r in wrong.itertuples() if r.theme not in now[r.audit_id]]
    lost = [r for r in right.itertuples() if r.theme not in now[r.audit_id]]
    print(f"judged wrong: {len(wrong)}, no longer given: {len(gone)}")
    for r in gone:
        print(f"  {r.audit_id}: {r.theme} -> {sorted(now[r.audit_id]) or '-'}")
    print(f"judged right: {len(right)}, no longer given: {len(lost)}")
    for r in lost:
        print(f"  {r.audit_id}: {r.theme} -> {sorted(now[r.audit_id]) or '-'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="step", required=True)
    b = sub.add_parser("build", help="write the complaints export")
    b.add_argument("out", type=Path)
    b.add_argument("--per-source", type=int, default=150)
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--per-file", action="store_true", help="one export per source in folder OUT")
    s = sub.add_parser("sample", help="draw mentions for judging")
    s.add_argument("outdirs", type=Path, nargs="+", help="analysis folders, then the sheet")
    s.add_argument("sheet", type=Path)
    s.add_argument("--n", type=int, default=200)
    s.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("score", help="precision of a judged sheet")
    c.add_argument("sheet", type=Path)
    r = sub.add_parser("rematch", help="what the current keywords give the judged clauses")
    r.add_argument("sheet", type=Path)
    args = p.parse_args(argv)
    if args.step == "build":
        build(args.out, args.per_source, args.seed, args.per_file)
    elif args.step == "sample":
        sample(args.outdirs, args.sheet, args.n, args.seed)
    elif args.step == "rematch":
        rematch(args.sheet)
    else:
        score(args.sheet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
