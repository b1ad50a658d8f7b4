"""How often real comments would be mistaken for export furniture by the shape rules of issue 21.

For every labelled file in ../shared/data (real comments), counts the comments that
`io.footer.footer_line` would call a footer line if they sat alone at the end of a table (the
worst case: an export with no id, date or score beside the comment), and the comments that
`io.rating_words.rating_word` reads as a rating label. Both should be (near) zero: a comment
taken for a footer is lost from the table, one taken for a label would only matter in a score
column. Prints one line per file and the total; no comment text is printed.

    python scripts/check_shapes.py [--data ../shared/data] [--limit 5000]
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from feedback_nlp.io.footer import footer_line
from feedback_nlp.io.rating_words import rating_word

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=5000, help="comments per file (0: all)")
    args = parser.parse_args()
    total = footers = labels = 0
    for path in sorted(args.data.glob("*.jsonl.gz")):
        n = f = w = 0
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                text = json.loads(line).get("text")
                if not isinstance(text, str) or not text.strip():
                    continue
                n += 1
                f += footer_line(["", text, ""])
                w += rating_word(text) is not None
                if args.limit and n >= args.limit:
                    break
        print(f"{path.name}: {n} comments, {f} read as a footer line, {w} as a rating label")
        total, footers, labels = total + n, footers + f, labels + w
    print(f"total: {total} comments, {footers} read as a footer line, {labels} as a rating label")


if __name__ == "__main__":
    main()
