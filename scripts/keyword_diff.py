"""What a change to a shipped taxonomy's keywords does on real texts: the (clause, theme) keyword
mentions the current file makes that the file at a git revision did not (added), and the ones it
no longer makes (removed), with the keyword that fired, counted and sampled for reading. Keyword
matching only (the same ``ThemeMatcher.keyword_hits`` and the same rule that a specific keyword
theme beats a general one as ``analyze`` without an encoder), so it runs in seconds on the
shared CPUs; semantic matches are not compared.

    .venv/bin/python scripts/keyword_diff.py ecommerce-cx th_review_shopping --limit 3000
    .venv/bin/python scripts/keyword_diff.py travel airline_tweets_en --base main --show 30

`--sheet FILE` also writes every added mention as a blind judging sheet (clause and theme, no
keyword; the columns and scoring of scripts/audit_precision.py, shuffled by --seed) and the
keyword that fired beside it (FILE.key.csv), for a judge who did not write the keywords:

    .venv/bin/python scripts/keyword_diff.py travel airline_tweets_en --base 2326d09 --seed 29 --sheet added.csv
    .venv/bin/python scripts/audit_precision.py score added.csv     # once judged
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from feedback_nlp.text.clauses import split_clauses
from feedback_nlp.themes.matcher import ThemeMatcher
from feedback_nlp.themes.taxonomy_file import load_taxonomy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_themes import DEFAULT_DATA, _read_jsonl  # FEEDBACK_NLP_DATA, as the other scripts

ROOT = Path(__file__).resolve().parent.parent


def load_texts(data_dir: Path, name: str, limit: int, seed: int) -> list[tuple[str, str]]:
    """(text, lang) of a seeded sample of ``limit`` records of ``name``.jsonl.gz."""
    rows = _read_jsonl(data_dir / f"{name}.jsonl.gz")
    rows = [r for r in rows if str(r.get("text") or "").strip()]
    random.Random(seed).shuffle(rows)
    return [(r["text"], r.get("lang") or "en") for r in rows[:limit]]


def mentions(taxonomy_path: str, clauses: pd.DataFrame) -> dict[tuple[int, str], str]:
    """{(clause row, theme id): keyword} after a specific keyword theme beat a general one."""
    found = ThemeMatcher(load_taxonomy(taxonomy_path)).match(clauses, semantic=False)
    row = {k: i for i, k in enumerate(zip(clauses["comment_index"], clauses["clause_id"]))}
    return {
        (row[(c, k)], t): w
        for c, k, t, w in zip(
            found["comment_index"], found["clause_id"], found["theme"], found["keyword"]
        )
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("taxonomy", help="shipped taxonomy name")
    ap.add_argument("data", help="data set name under --data-dir (without .jsonl.gz)")
    ap.add_argument("--base", default="HEAD", help="git revision of the old file (HEAD)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--show", type=int, default=30, help="added/removed mentions to print")
    ap.add_argument("--sheet", type=Path, help="write the added mentions as a judging sheet")
    args = ap.parse_args()

    rel = f"feedback_nlp/themes/taxonomies/{args.taxonomy}.yaml"
    old_text = subprocess.run(
        ["git", "show", f"{args.base}:{rel}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    texts = load_texts(args.data_dir, args.data, args.limit, args.seed)
    clauses = split_clauses([t for t, _ in texts], [lang for _, lang in texts])
    with tempfile.TemporaryDirectory() as tmp:
        old_path = Path(tmp) / f"{args.taxonomy}.yaml"
        old_path.write_text(old_text, encoding="utf-8")
        old = mentions(str(old_path), clauses)
    new = mentions(str(ROOT / rel), clauses)
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    print(
        f"{args.taxonomy} on {args.data}: {len(texts)} texts, {len(clauses)} clauses, "
        f"seed {args.seed}; keyword mentions {len(old)} -> {len(new)}; "
        f"added {len(added)}, removed {len(removed)}"
    )
    text_of = clauses["clause_text"].tolist()
    rng = random.Random(args.seed)
    for name, keys, src in (("added", added, new), ("removed", removed, old)):
        shown = rng.sample(keys, min(args.show, len(keys)))
        print(f"\n{name} ({len(keys)}; {len(shown)} shown): theme [keyword] | clause")
        for i, theme in sorted(shown):
            others = sorted(t for (j, t) in new if j == i and t != theme)
            print(
                f"  {theme} [{src[(i, theme)]}] | {text_of[i][:160]}"
                + (f"  (now also: {', '.join(others)})" if others else "")
            )
    if args.sheet:
        write_sheet(args.sheet, args.taxonomy, args.data, added, new, clauses, args.seed)
    return 0


def write_sheet(sheet: Path, taxonomy: str, data: str, added, new, clauses, seed: int) -> None:
    """The added (clause row, theme) mentions as audit_precision.py's judging sheet + key."""
    themes = {t.id: t for t in load_taxonomy(taxonomy).themes}
    order = list(added)
    random.Random(seed).shuffle(order)
    rows = [
        {
            "audit_id": n,
            "source": data,
            "lang": clauses["lang"].iloc[i],
            "taxonomy": taxonomy,
            "clause_text": clauses["clause_text"].iloc[i],
            "touchpoint": themes[theme].touchpoint,
            "theme": theme,
            "theme_label": themes[theme].label,
            "correct": "",
            "note": "",
        }
        for n, (i, theme) in enumerate(order, 1)
    ]
    sheet.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(sheet, index=False)
    key = [{"audit_id": n, "keyword": new[k]} for n, k in enumerate(order, 1)]
    pd.DataFrame(key).to_csv(sheet.with_suffix(".key.csv"), index=False)
    print(f"wrote {len(rows)} added mentions to {sheet}; keywords beside it", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
