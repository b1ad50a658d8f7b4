"""The brand words ``clean`` finds per data set, and the share of comments without content.

Each set is read as one export file (``coverage_report.export_frame``: the same seeded sample,
comment text and the set's language) and cleaned; it prints the brand words found
(:func:`feedback_nlp.text.content.brand_words`) and the share of analysed comments that are
``content = nonspecific``. ``--output`` writes each comment's content; ``--compare`` reads such a
file written by another checkout (the one before a change) and prints both shares, and with
``--newly`` writes the comments whose content changed, to read.

    .venv/bin/python scripts/brand_words.py --limit 300 --seed 1 --output now.json
    /work/main/.venv/bin/python scripts/brand_words.py --limit 300 --seed 1 --output before.json
    .venv/bin/python scripts/brand_words.py --limit 300 --seed 1 --compare before.json \\
        --newly newly.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coverage_report import SETS, export_frame, write_jsonl

import feedback_nlp as fnlp
from feedback_nlp import schema as s
from feedback_nlp.text.clean import clean

try:
    from feedback_nlp.text.content import brand_words
except ImportError:  # a checkout before brand words: content only
    brand_words = None

DEFAULT_SETS = [*SETS, "germeval2017_dev"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", nargs="+", default=list(dict.fromkeys(DEFAULT_SETS)))
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--output", type=Path, help="write each comment's content here (JSON)")
    ap.add_argument("--compare", type=Path, help="an --output file of another checkout")
    ap.add_argument("--newly", type=Path, help="with --compare: the changed comments (JSON lines)")
    args = ap.parse_args(argv)
    before = json.loads(args.compare.read_text(encoding="utf-8")) if args.compare else {}
    saved: dict[str, list] = {}
    changed: list[dict] = []
    print(f"--limit {args.limit} --seed {args.seed}; share of analysed comments nonspecific")
    for name in args.sets:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.csv"
            export_frame(name, args.limit, args.seed).to_csv(path, index=False)
            feedback = fnlp.read_feedback(
                path, lang_col=None if name == "nps_sample" else "Language"
            )
        out = clean(feedback)
        rows = out[out[s.STATUS].isna()]
        texts, langs = rows[s.TEXT].tolist(), rows[s.LANG].tolist()
        content = rows[s.CONTENT].tolist()
        saved[name] = [[int(r), c] for r, c in zip(rows[s.ROW_NUMBER], content)]
        share = sum(c == s.CONTENT_NONSPECIFIC for c in content) / max(1, len(content))
        brands = sorted(brand_words(texts, langs)[0]) if brand_words and texts else "-"
        line = f"{name:<27} n={len(content):>4} nonspecific {100 * share:5.1f}%"
        if name in before:
            old = {r: c for r, c in before[name]}
            was = sum(old.get(int(r)) == s.CONTENT_NONSPECIFIC for r in rows[s.ROW_NUMBER])
            line += f" (before {100 * was / max(1, len(content)):5.1f}%)"
            for r, c, text, lang in zip(rows[s.ROW_NUMBER], content, texts, langs):
                if old.get(int(r)) not in (None, c):
                    changed.append(
                        {
                            "set": name,
                            "row": int(r),
                            "lang": lang,
                            "was": old[int(r)],
                            "now": c,
                            "text": text,
                        }
                    )
        print(f"{line}  brand words: {', '.join(brands) if brands != '-' else '-'}")
    if args.output:
        args.output.write_text(json.dumps(saved), encoding="utf-8")
    if args.newly:
        write_jsonl(args.newly, changed, "changed comments")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
