"""How long one full garbage collection takes with the models and spaCy pipelines loaded, before
and after ``gc.freeze()`` (why `engine.release_memory` freezes what survives a chunk).

    .venv/bin/python scripts/bench_gc.py
"""

from __future__ import annotations

import gc
import statistics
import time

from feedback_nlp.analysis.models import Models
from feedback_nlp.text.clauses import split_clauses
from feedback_nlp.text.pipelines import get_pipeline

LANGS = ("en", "de", "pl", "fr", "es", "th")


def timed_collect(times: int = 5) -> float:
    """Median seconds of one full collection."""
    seconds = []
    for _ in range(times):
        t0 = time.perf_counter()
        gc.collect()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


def main() -> None:
    models = Models(taxonomy="ecommerce-cx")  # sentiment model, encoder, taxonomy matcher
    for lang in LANGS:
        get_pipeline(lang)
    split_clauses(["Das ist gut, aber teuer.", "Dostawa była szybka."], ["de", "pl"])
    objects = len(gc.get_objects())
    before = timed_collect()
    gc.freeze()
    after = timed_collect()
    gc.unfreeze()
    print(f"tracked objects with models + {len(LANGS)} pipelines loaded: {objects:,}")
    print(f"full gc.collect(), median of 5: {before:.3f} s; after gc.freeze(): {after:.4f} s")
    del models


if __name__ == "__main__":
    main()
