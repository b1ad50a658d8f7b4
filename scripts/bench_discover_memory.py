"""Peak memory and time of theme discovery over the candidate clauses a run kept.

    .venv/bin/python scripts/bench_discover_memory.py PARTS_DIR

PARTS_DIR holds ``chunk-*.candidates.parquet`` and ``chunk-*.embeddings.npy`` as a run leaves
them in ``OUTDIR/.feedback-nlp-parts/`` (copy them out before the run ends). Prints the number
of candidates, the seconds, and how far resident memory rose above its level before discovery
(VmHWM, reset first through /proc/self/clear_refs).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from feedback_nlp.analysis.chunk import discover_candidates
from feedback_nlp.analysis.models import Models
from feedback_nlp.runner.engine import memory_mb


def main() -> None:
    parts = Path(sys.argv[1])
    frames = [pd.read_parquet(p) for p in sorted(parts.glob("chunk-*.candidates.parquet"))]
    vectors = [np.load(p) for p in sorted(parts.glob("chunk-*.embeddings.npy"))]
    candidates = pd.concat(frames, ignore_index=True)
    embeddings = np.concatenate([v for v in vectors if len(v)])
    models = Models(taxonomy="ecommerce-cx")  # the taxonomy its numbers were measured with
    models.matcher.prototypes  # noqa: B018 - embedded before the measurement
    with open("/proc/self/clear_refs", "w") as handle:  # VmHWM := current RSS
        handle.write("5")
    before = memory_mb()["rss"]
    t0 = time.perf_counter()
    found = discover_candidates(candidates, embeddings, models)
    seconds = time.perf_counter() - t0
    peak = memory_mb()["peak"]
    print(
        f"candidates {len(candidates):,}; discovered mentions {len(found):,} in "
        f"{found['theme'].nunique()} themes; {seconds:.1f} s; "
        f"peak {peak - before:+,} MB above the {before:,} MB before discovery"
    )


if __name__ == "__main__":
    main()
