"""The fixed cost of `--taxonomy auto` on a cold result cache, part by part: the shipped
taxonomies' prototype vectors embedded on every run (as before issue 20) against read from the
model cache (`feedback-nlp models prepare`), side by side in one process.

    .venv/bin/python scripts/bench_choose.py /tmp/fixed_work/export_2000.csv [--limit N]

Both ways run `choose_taxonomy` on the same sample with the same loaded models, each on its own
empty result cache (what a first run has): the spaCy pipelines of the sample's languages are
loaded once beforehand, and reported apart, since both ways (and the analysis after them)
share them. Prints one line per part and a table; comment text is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from feedback_nlp import schema as s
from feedback_nlp.analysis import choose
from feedback_nlp.analysis.models import Models
from feedback_nlp.analysis.prototypes import prepare_prototypes, stored_loader
from feedback_nlp.cache import ResultCache
from feedback_nlp.io.load import read_feedback
from feedback_nlp.text.clean import clean
from feedback_nlp.text.pipelines import get_pipeline
from feedback_nlp.themes.taxonomy_file import shipped_taxonomies


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)


def choice_parts(models: Models, texts, langs, *, stored: bool) -> dict:
    """Seconds of one `choose_taxonomy` on an empty result cache, and of its parts."""
    parts = {"split": 0.0, "sample_embed": 0.0, "matchers": 0.0, "prototypes": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        cache = ResultCache.open(Path(tmp) / "results.sqlite")
        on_cache = models.with_cache(cache)
        calls = []

        def embed(batch):
            t0 = time.perf_counter()
            vectors = on_cache.embed_clauses(batch)
            calls.append(time.perf_counter() - t0)
            return vectors

        def matcher_for(name):
            t0 = time.perf_counter()
            if stored:
                matcher = on_cache.theme_matcher(name)
            else:  # before: every taxonomy's prototypes embedded through the result cache
                matcher = choose.ThemeMatcher(name, embed=embed, load_prototypes=stored_loader(None))
            t1 = time.perf_counter()
            _ = matcher.prototypes
            parts["matchers"] += t1 - t0
            parts["prototypes"] += time.perf_counter() - t1
            return matcher

        split = choose.split_clauses

        def timed_split(*args, **kwargs):
            t0 = time.perf_counter()
            out = split(*args, **kwargs)
            parts["split"] += time.perf_counter() - t0
            return out

        choose.split_clauses = timed_split
        try:
            t0 = time.perf_counter()
            choice, _ = choose.choose_taxonomy(texts, langs, embed=embed, matcher_for=matcher_for)
            total = time.perf_counter() - t0
        finally:
            choose.split_clauses = split
        cache.close()
    parts["sample_embed"] = calls[0] if calls else 0.0
    parts["keywords_and_matching"] = total - sum(parts.values())
    return {"total": total, "chosen": choice.chosen, **parts}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("export", type=Path)
    p.add_argument("--limit", type=int, default=0, help="first N rows only")
    args = p.parse_args()

    raw = read_feedback(args.export)
    frame = clean(raw.head(args.limit) if args.limit else raw)
    todo = frame[frame[s.STATUS].isna()]
    texts = todo[s.TEXT].astype(str).tolist()
    langs = todo[s.LANG].fillna(s.UNDETERMINED).astype(str).tolist()
    positions = choose.sample_positions(len(texts))
    sample_langs = sorted({langs[i] for i in positions})
    log(f"{len(texts)} analysable comments, {len(positions)} sampled, {len(sample_langs)} languages")

    t0 = time.perf_counter()
    models = Models()
    models.embed_clauses(["warm-up"])  # the first call opens the graph's session
    loaded = time.perf_counter() - t0
    prepare_prototypes(embedder=models.embedder)  # what `models prepare` stores (once)
    t0 = time.perf_counter()
    for lang in sample_langs:
        get_pipeline(lang)
    spacy_s = time.perf_counter() - t0
    choose.split_clauses([texts[i] for i in positions[:20]], [langs[i] for i in positions[:20]])

    # after first: the models are warm, so any advantage of order goes to "before"
    after = choice_parts(models, texts, langs, stored=True)
    before = choice_parts(models, texts, langs, stored=False)
    assert before["chosen"] == after["chosen"], (before["chosen"], after["chosen"])

    print(f"export: {args.export.name}, {len(texts)} analysable comments, {len(positions)} sampled")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"models loaded (both ways): {loaded:.1f} s; spaCy pipelines of {len(sample_langs)} "
          f"languages (both ways, reused by the analysis): {spacy_s:.1f} s")  # fmt: skip
    print(f"chosen: {after['chosen']} (the same both ways), {len(shipped_taxonomies())} candidates")
    print()
    print("| part of the choice (s) | prototypes embedded (before) | prototypes stored (after) |")
    print("|---|---:|---:|")
    for part in ("split", "sample_embed", "matchers", "prototypes", "keywords_and_matching",
                 "total"):  # fmt: skip
        print(f"| {part} | {before[part]:.2f} | {after[part]:.2f} |")


if __name__ == "__main__":
    main()
