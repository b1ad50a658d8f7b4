"""Language identification of short comments, without and with the file prior (issue 19, item 6).

    .venv/bin/python scripts/evaluate_language.py                 # all three measurements
    .venv/bin/python scripts/evaluate_language.py --limit 2000    # fewer airline tweets

Each set is read as one file, as `clean()` reads an export; "alone" is every text read by
itself (`identify_languages(prior=False)`, the behaviour before the prior), "prior" the default.

- comcast_fcc_complaints_en titles (all English, mostly 2-6 words): share read as `en`.
- airline_tweets_en (all English): share read as `en`.
- mixed: short OpeNER hotel sentences (at most --max-words words) in de, en and fr, the same
  number of each, interleaved: accuracy against the data's language, and `und` share.

- with --semeval: SemEval-2016 restaurant sentences, each language read as one file.

Prints a table and the process's peak resident memory, and writes the table as JSON (--output).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

from feedback_nlp.text.language import identify_languages

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("FEEDBACK_NLP_DATA", ROOT.parent / "shared" / "data"))


def language_set() -> tuple[str, ...]:
    from feedback_nlp.text import language

    return language.SUPPORTED_LANGUAGES


def read_texts(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def mixed_short(data_dir: Path, per_language: int, max_words: int, seed: int) -> tuple:
    """`per_language` short sentences from each of opener_de/en/fr, interleaved."""
    rng = np.random.default_rng(seed)
    picked = []
    for lang in ("de", "en", "fr"):
        rows = [
            r["text"]
            for r in read_texts(data_dir / f"opener_{lang}.jsonl.gz")
            if 1 <= len(r["text"].split()) <= max_words
        ]
        chosen = rng.choice(len(rows), size=min(per_language, len(rows)), replace=False)
        picked.append([(rows[i], lang) for i in sorted(chosen)])
    interleaved = [pair for triple in zip(*picked) for pair in triple]
    return [t for t, _ in interleaved], [g for _, g in interleaved]


def measure(texts: list[str], gold: list[str]) -> dict:
    result = {"texts": len(texts)}
    for name, prior in (("alone", False), ("prior", True)):
        t0 = time.perf_counter()
        found = identify_languages(texts, prior=prior)
        seconds = time.perf_counter() - t0
        codes = np.array(found.codes)
        result[name] = {
            "accuracy": round(float(np.mean(codes == np.array(gold))), 4),
            "und": round(float(np.mean(codes == "und")), 4),
            "by_prior": found.by_prior,
            "seconds": round(seconds, 2),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--limit", type=int, default=5000, help="airline tweets read (first N)")
    ap.add_argument("--per-language", type=int, default=100, help="mixed set: texts per language")
    ap.add_argument("--max-words", type=int, default=5, help="mixed set: 'short' in words")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--output", type=Path, default=None)
    ap.add_argument(
        "--lingua-languages",
        default=None,
        help="languages lingua chooses among (comma-separated; default "
        "schema.SUPPORTED_LANGUAGES), e.g. the six before issue 19: en,de,pl,th,fr,es",
    )
    ap.add_argument(
        "--semeval",
        action="store_true",
        help="also: SemEval-2016 sentences (en es fr nl ru tr), per language, each read as a file",
    )
    args = ap.parse_args(argv)
    if args.lingua_languages:
        from feedback_nlp.text import language

        language._detector.cache_clear()
        language.SUPPORTED_LANGUAGES = tuple(args.lingua_languages.split(","))

    results = {}
    titles = [r["text"] for r in read_texts(args.data_dir / "comcast_fcc_complaints_en.jsonl.gz")]
    results["comcast_titles_en"] = measure(titles, ["en"] * len(titles))
    tweets = [r["text"] for r in read_texts(args.data_dir / "airline_tweets_en.jsonl.gz")]
    tweets = tweets[: args.limit]
    results["airline_tweets_en"] = measure(tweets, ["en"] * len(tweets))
    texts, gold = mixed_short(args.data_dir, args.per_language, args.max_words, args.seed)
    results[f"opener_de_en_fr_short{args.max_words}w"] = measure(texts, gold)

    if args.semeval:
        rows = read_texts(args.data_dir / "semeval2016_train.jsonl.gz")
        texts, gold = [r["text"] for r in rows], [r["lang"] for r in rows]
        for name, prior in (("alone", False), ("prior", True)):
            t0 = time.perf_counter()
            found = identify_languages(texts, files=gold, prior=prior)
            seconds = time.perf_counter() - t0
            for lang in sorted(set(gold)):
                pairs = [(g, c) for g, c in zip(gold, found.codes) if g == lang]
                results.setdefault(f"semeval2016_{lang}", {"texts": len(pairs)})[name] = {
                    "accuracy": round(sum(g == c for g, c in pairs) / len(pairs), 4),
                    "und": round(sum(c == "und" for _, c in pairs) / len(pairs), 4),
                    "by_prior": found.by_prior,  # over all six languages
                    "seconds": round(seconds, 2),  # all six languages
                }
    print(
        f"{'set':32} {'texts':>6} {'acc alone':>10} {'acc prior':>10} "
        f"{'und alone':>10} {'und prior':>10} {'by prior':>9}"
    )
    for name, r in results.items():
        print(
            f"{name:32} {r['texts']:>6} {r['alone']['accuracy']:>10.3f} "
            f"{r['prior']['accuracy']:>10.3f} {r['alone']['und']:>10.3f} "
            f"{r['prior']['und']:>10.3f} {r['prior']['by_prior']:>9}"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"lingua languages: {','.join(language_set())}; peak resident memory {peak} MB")
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
