"""manifest.json: what a run did, built in one place (DESIGN.md, contract 2).

``analyze()`` and ``run()`` both describe their work with :func:`build_manifest`; ``run()`` adds
the timings and memory of the stages after the analysis (ranking, writing) to the same dict.
"""

from __future__ import annotations

import platform
from collections import Counter
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from feedback_nlp.settings import AUTO_MIN_COVERAGE, TAXONOMY_AUTO

TOOL = "feedback-nlp"
# taxonomy_choice["how"]: picked from a sample of the export, or named by the user
HOW_AUTO, HOW_GIVEN = TAXONOMY_AUTO, "given"
_VERSIONED = ("feedback-nlp", "pandas", "pyarrow", "torch", "transformers", "spacy")


def versions() -> dict[str, str]:
    """Python's version and those of the packages that decide the results."""
    found = {"python": platform.python_version()}
    for dist in _VERSIONED:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return found


def build_manifest(
    *,
    rows: dict[str, int],
    clean: dict,
    models: dict[str, str],
    clauses: int,
    mentions: dict[str, int],
    timings: dict[str, float],
    options: dict[str, Any] | None = None,
    inputs: list[dict] | None = None,
    run: dict[str, Any] | None = None,
    memory: dict[str, dict[str, int]] | None = None,
    spacy_pipelines: dict[str, str] | None = None,
    coverage: dict[str, int | float] | None = None,
    passes: list[dict[str, int]] | None = None,
) -> dict[str, Any]:
    """The manifest of an analysis: `rows` by status (with ``read``), the cleaning report, model
    fingerprints, clause and mention counts, stage timings in seconds; for a whole run also the
    options, the input files (with their hashes, mapping, repairs and problems; repairs are
    summed over files), how it ran, resident memory per stage and the spaCy pipelines used;
    `coverage`: analysed comments with a theme, over those with specific content.
    `passes` (one dict per chunk) become the model passes of the run (:func:`pass_totals`)."""
    manifest: dict[str, Any] = {
        "tool": TOOL,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": versions(),
    }
    if options is not None:
        manifest["options"] = options
    if inputs is not None:
        repairs: Counter[str] = Counter()
        for f in inputs:
            repairs.update({kind: int(n) for kind, n in f.get("repairs", {}).items()})
        manifest["inputs"] = inputs
        manifest["repairs"] = dict(repairs)
    manifest.update(rows=rows, clean=clean, models=models, clauses=int(clauses), mentions=mentions)
    if coverage is not None:
        manifest["coverage"] = coverage
    if run is not None:
        manifest["run"] = run
    if spacy_pipelines is not None:
        manifest["spacy_pipelines"] = spacy_pipelines
    if passes is not None:
        manifest["passes"] = pass_totals(passes)
    manifest["timings_s"] = round_timings(timings)
    if memory is not None:
        manifest["memory_mb"] = memory  # resident MB after each stage, and the peak so far
    return manifest


def pass_totals(chunks: list[dict[str, int]]) -> dict[str, Any]:
    """The model passes of a run, summed over its chunks: texts through the sentiment model and
    through the embedder, texts the result cache answered instead, and model passes (sentiment
    + embedder) per analysed comment. A resumed run's earlier chunks count as they were run."""
    keys = ("comments", "sentiment_texts", "embedding_texts", "cache_hits")
    total = {k: int(sum(int(c.get(k, 0)) for c in chunks)) for k in keys}
    model = total["sentiment_texts"] + total["embedding_texts"]
    total["per_comment"] = round(model / total["comments"], 3) if total["comments"] else 0.0
    return total


def round_timings(timings: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 3) for k, v in timings.items()}


def _pct(share: float) -> str:
    return f"{100 * share:.0f} %"


def describe_choice(record: dict | None) -> str | None:
    """One line naming the taxonomy of an analysis and why, from manifest.json's
    ``taxonomy_choice`` (None where the manifest has none: an older output folder)."""
    if not record or not record.get("chosen"):
        return None
    chosen = record["chosen"]
    if record.get("how") != HOW_AUTO:
        return f"{chosen} (given)"
    candidates = record.get("candidates") or []
    n = record.get("sample", 0)
    if not candidates or not n:
        return f"{chosen} (auto: no analysable comment to sample; the general default)"
    best = candidates[0]
    covers = f"covers {_pct(best['coverage'])} of {n} sampled comments"
    if not record.get("fits", True):
        floor = _pct(record.get("min_coverage", AUTO_MIN_COVERAGE))
        return (
            f"{chosen} (auto: no shipped taxonomy fits well: the best {covers}, under {floor}; "
            "its themes are used and theme discovery names the rest; "
            "--taxonomy FILE.yaml gives your own)"
        )
    if len(candidates) > 1:
        nxt = candidates[1]
        covers += f"; next: {nxt['name']} {_pct(nxt['coverage'])}"
        if nxt["coverage"] >= best["coverage"] and "distinct_keyword_coverage" in best:
            # a near tie went to the taxonomy whose own words (no other candidate has them)
            # find more comments: say so, or the line reads as if the lower coverage won
            covers += (
                ", a near tie won by words no other taxonomy has: "
                f"{_pct(best['distinct_keyword_coverage'])} against "
                f"{_pct(nxt.get('distinct_keyword_coverage', 0))}"
            )
    return f"{chosen} (auto: {covers})"
