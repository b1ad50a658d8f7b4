"""The analysis stage: cleaned comments -> clauses, sentiment, themes (DESIGN.md data flow).

`analyze` turns a canonical frame into an `Analysis` (comments + mentions frames). The models are
loaded once into `Models` and can be reused across calls (batches, chunks, Ray workers).
Nothing here prints, exits or imports the CLI.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.analysis.choose import resolve_taxonomy
from feedback_nlp.analysis.chunk import (
    analyze_chunk,
    discover_candidates,
    mention_counts,
    merge_discovered,
    status_counts,
    theme_coverage,
)
from feedback_nlp.analysis.models import Models
from feedback_nlp.home import Progress
from feedback_nlp.manifest import build_manifest
from feedback_nlp.settings import ModelOptions
from feedback_nlp.text.clean import clean


@dataclass
class Analysis:
    """What `analyze` returns: one row per input row, one row per theme mention, and a record of
    what was done (versions, counts, timings) that becomes manifest.json."""

    comments: pd.DataFrame
    mentions: pd.DataFrame
    manifest: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)  # (touchpoint, theme) -> label, for reports


def _is_cleaned(df: pd.DataFrame) -> bool:
    return "clean_report" in df.attrs


def analyze(
    feedback: pd.DataFrame,
    *,
    models: Models | None = None,
    discover: bool = True,
    progress: Progress | None = None,
    **options: Any,
) -> Analysis:
    """Analyse a canonical feedback frame (from `read_feedback`, or built by hand with a `text`
    column): clauses, transformer sentiment per comment and per clause, themes from the taxonomy
    plus discovered ones. Rows not yet cleaned are cleaned first; every row comes back with a
    `status`.

    Options, as the CLI flags: ``taxonomy``, ``sentiment_model``, ``backend``, ``precision``,
    ``batch_size`` (:class:`feedback_nlp.settings.ModelOptions`; ignored when loaded `models`
    are passed) and ``redact_pii`` (applied when the rows are cleaned). ``taxonomy="auto"`` (the
    default; also loaded `models` made with it) picks the shipped taxonomy that covers the most
    of a sample of the comments (:mod:`feedback_nlp.analysis.choose`);
    ``manifest["taxonomy_choice"]`` says which and why.

    >>> import feedback_nlp as fnlp, pandas as pd
    >>> result = fnlp.analyze(pd.DataFrame({"text": ["Delivery was late", ""]}))  # doctest: +SKIP
    >>> result.comments.status.tolist()                                            # doctest: +SKIP
    ['analyzed', 'empty']
    """
    redact_pii = bool(options.pop("redact_pii", False))
    model_options = ModelOptions(**options)
    s.require_columns(feedback, [s.TEXT], what="analyze()")
    say = progress or (lambda _m: None)
    frame = feedback if _is_cleaned(feedback) else clean(feedback, redact_pii=redact_pii)
    models = models or Models(model_options, progress=say)
    pending = frame[s.STATUS].isna()  # cleaned: the rows still to analyse have no status
    models, choice = resolve_taxonomy(
        models,
        frame.loc[pending, s.TEXT].astype(str).tolist(),
        frame.loc[pending, s.LANG].fillna(s.UNDETERMINED).astype(str).tolist(),
        progress=say,
    )
    chunk = analyze_chunk(frame, models, discover=discover, progress=say)
    timings = dict(chunk.timings)
    t0 = time.perf_counter()
    found = discover_candidates(chunk.candidates, chunk.embeddings, models) if discover else None
    comments, mentions = merge_discovered(
        chunk.comments, chunk.mentions, found if found is not None else chunk.mentions.iloc[:0]
    )
    timings["themes"] += time.perf_counter() - t0
    manifest = build_manifest(
        rows={"read": len(comments), **status_counts(comments)},
        clean=frame.attrs.get("clean_report", {}),
        models=models.fingerprints(),
        clauses=chunk.clauses,
        mentions=mention_counts(mentions),
        timings=timings,
        coverage=theme_coverage(comments),
        passes=[chunk.passes],
    )
    manifest["taxonomy_choice"] = choice.to_dict()
    comments.attrs = {}
    return Analysis(
        comments=comments,
        mentions=mentions,
        manifest=manifest,
        labels=theme_labels(models, mentions),
    )


def theme_labels(models: Models, mentions: pd.DataFrame) -> dict:
    """(touchpoint, theme) -> label: the taxonomy's, and the discovered themes' from `mentions`."""
    labels = models.taxonomy.labels()
    labels.update(
        {
            (t, h): lab
            for t, h, lab in zip(mentions[s.TOUCHPOINT], mentions[s.THEME], mentions["label"])
        }
    )
    return labels
