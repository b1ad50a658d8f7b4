"""Which comments change `content` (text.content: specific / nonspecific) between a git revision's
lists and the working tree's, to read every change before it lands.

Each set of ../shared/data (FEEDBACK_NLP_DATA) is shuffled with --seed and cut to --limit
comments, read as one file (its brand words found as ``clean`` finds them, by the working tree's
rules), and classified by both versions of ``feedback_nlp/text/content.py``; every comment whose
class differs is printed with its language and new class (comment text: this is for reading).

    .venv/bin/python scripts/content_diff.py --base main --sets opener_en uci_yelp_en --limit 1000
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from feedback_nlp.text import content as current

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_themes import DEFAULT_DATA, _read_jsonl

ROOT = Path(__file__).resolve().parents[1]
MODULE = "feedback_nlp/text/content.py"


def module_at(rev: str, folder: Path):
    """text.content as it was at git revision `rev` (its imports resolve to the working tree)."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:{MODULE}"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    path = folder / "content_at_base.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("content_at_base", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="main", help="git revision to compare with")
    ap.add_argument("--sets", nargs="+", default=["opener_en", "polemo_hotels_products_pl"])
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        base = module_at(args.base, Path(folder))
        total = changed_total = 0
        for name in args.sets:
            records = _read_jsonl(args.data_dir / f"{name}.jsonl.gz")
            random.Random(args.seed).shuffle(records)
            records = records[: args.limit]
            texts = [r["text"] for r in records]
            langs = [r.get("lang") for r in records]
            brands = current.brand_words(texts, langs)
            changed = [
                (text, lang)
                for text, lang, found in zip(texts, langs, brands)
                if base.is_nonspecific(text, lang, found)
                != current.is_nonspecific(text, lang, found)
            ]
            print(f"## {name}: {len(changed)} of {len(texts)} changed")
            for text, lang in changed:
                now = "nonspecific" if current.is_nonspecific(text, lang) else "specific"
                print(f"  [{lang}] {now:<11} | {' '.join(text.split())[:160]}")
            total += len(texts)
            changed_total += len(changed)
    print(f"changed {changed_total} of {total}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
