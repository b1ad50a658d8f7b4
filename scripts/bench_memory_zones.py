"""RSS growth of clause splitting + keyword matching over 2,000-comment chunks, with and without
spaCy memory zones (`feedback_nlp.text.pipelines.transient_strings`).

    .venv/bin/python scripts/bench_memory_zones.py on  EXPORT.csv 30000
    .venv/bin/python scripts/bench_memory_zones.py off EXPORT.csv 30000

EXPORT.csv: e.g. the 100k export `make bench` builds (kept with `scripts/bench.py --work DIR`).
Prints RSS after each chunk and the size of the pipelines' string stores.
"""

from __future__ import annotations

import contextlib
import sys
import time

import feedback_nlp as fnlp
from feedback_nlp.runner.engine import release_memory
from feedback_nlp.text import clauses as nlp_module
from feedback_nlp.text import pipelines
from feedback_nlp.themes import matcher as themes_module

CHUNK = 2000


def rss_mib() -> int:
    with open("/proc/self/status", encoding="utf-8") as handle:
        return int(handle.read().split("VmRSS:")[1].split()[0]) // 1024


def main() -> None:
    mode, path, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "off":  # the behaviour before memory zones
        nlp_module.transient_strings = lambda nlp: contextlib.nullcontext()
        themes_module.transient_strings = nlp_module.transient_strings
    frame = fnlp.clean(fnlp.read_feedback(path))
    frame = frame[frame.status.isna()].head(limit)
    matcher = themes_module.ThemeMatcher("ecommerce-cx")
    after_chunk = []
    t0 = time.time()
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start : start + CHUNK]
        clauses = nlp_module.split_clauses(part.text.tolist(), part.lang.fillna("und").tolist())
        matcher.match(clauses, semantic=False)
        del clauses
        release_memory()
        after_chunk.append(rss_mib())
    strings = sum(len(p.vocab.strings) for p in pipelines._PIPELINES.values())
    print(
        f"{mode}: RSS after each chunk (MiB) {after_chunk}; strings {strings}; {time.time() - t0:.0f}s"
    )


if __name__ == "__main__":
    main()
