"""Resident memory each language's spaCy pipeline adds (models, lemma tables, clause splitter).

    .venv/bin/python scripts/bench_pipeline_memory.py en de fr es pl th it nl

Loads the pipelines one after the other in one process, as a run over a mixed-language export
does, runs three short texts through each, and prints the VmRSS growth per language (MB) and the
total. Numbers in docs/benchmarks.md ("Inference settings, and why").
"""

from __future__ import annotations

import argparse
import gc
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("langs", nargs="+", help="ISO 639-1 codes, e.g. en de pl")
    args = parser.parse_args()

    import feedback_nlp  # noqa: F401  (imports as a run does: spaCy, pandas, ...)
    from feedback_nlp.runner.engine import memory_mb
    from feedback_nlp.text.pipelines import get_pipeline

    def resident_mb() -> int:
        return memory_mb()["rss"]

    texts = [
        "The service was slow and the staff rude.",
        "Obsługa była fatalna.",
        "Der Zug war spät.",
    ]
    print(f"after import: {resident_mb()} MB")
    for lang in args.langs:
        before, start = resident_mb(), time.perf_counter()
        nlp = get_pipeline(lang)
        list(nlp.pipe(texts))
        gc.collect()
        print(
            f"{lang}: +{resident_mb() - before} MB in {time.perf_counter() - start:.1f} s "
            f"({', '.join(nlp.pipe_names)})"
        )
    print(f"total: {resident_mb()} MB")


if __name__ == "__main__":
    main()
