"""The analysis stage and the whole run: read -> clean -> analyze -> write (DESIGN.md data flow).

`analyze` turns a cleaned canonical frame into an `Analysis` (comments + mentions frames);
`run` is what `feedback-nlp analyze` does, end to end, and returns the same `Analysis`.
Each stage is a plain function; nothing here prints, exits or imports the CLI.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from . import schema as s
from .clean import clean
from .io import load
from .output import write_csv, write_json, write_parquet

Progress = Callable[[str], None]

MENTION_COLUMNS = [
    s.COMMENT_ID,
    s.CLAUSE_ID,
    s.CLAUSE_TEXT,
    s.START_CHAR,
    s.END_CHAR,
    s.TOUCHPOINT,
    s.THEME,
    s.MATCH,
    s.CONFIDENCE,
    s.SENTIMENT,
    s.SENTIMENT_SCORE,
]


@dataclass
class Analysis:
    """What `analyze` returns: one row per input row, one row per theme mention, and a record of
    what was done (versions, counts, timings) that becomes manifest.json."""

    comments: pd.DataFrame
    mentions: pd.DataFrame
    manifest: dict = field(default_factory=dict)


def _is_cleaned(df: pd.DataFrame) -> bool:
    return "clean_report" in df.attrs


def _with_canonical_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Put the contract's columns first (adding any still missing as nulls), the user's after."""
    out = df.copy()
    for col in s.CANONICAL_COLUMNS:
        if col not in out.columns:
            out[col] = pd.NA
    others = [c for c in out.columns if c not in s.CANONICAL_COLUMNS]
    return out[s.CANONICAL_COLUMNS + others]


def status_counts(comments: pd.DataFrame) -> dict[str, int]:
    counts = comments[s.STATUS].value_counts(dropna=False)
    return {str(k): int(v) for k, v in counts.items()}


def analyze(
    feedback: pd.DataFrame,
    *,
    redact_pii: bool = False,
    progress: Progress | None = None,
) -> Analysis:
    """Analyse a canonical feedback frame (from `read_feedback`, or built by hand with a `text`
    column) and return an `Analysis`. Rows not yet cleaned are cleaned first.

    >>> import feedback_nlp as fnlp, pandas as pd
    >>> result = fnlp.analyze(pd.DataFrame({"text": ["Delivery was late", ""]}))
    >>> result.comments.status.tolist()
    ['analyzed', 'empty']
    """
    s.require_columns(feedback, [s.TEXT], what="analyze()")
    started = time.perf_counter()
    frame = feedback if _is_cleaned(feedback) else clean(feedback, redact_pii=redact_pii)
    comments = _with_canonical_columns(frame)
    pending = comments[s.STATUS].isna()
    if progress:
        progress(f"Analysing {int(pending.sum())} comments")
    comments.loc[pending, s.STATUS] = s.STATUS_ANALYZED
    mentions = pd.DataFrame({c: pd.Series(dtype="object") for c in MENTION_COLUMNS})
    manifest = {
        "rows": {"read": len(comments), **status_counts(comments)},
        "clean": frame.attrs.get("clean_report", {}),
        "timings_s": {"analyze": round(time.perf_counter() - started, 3)},
    }
    comments.attrs = {}
    return Analysis(comments=comments, mentions=mentions, manifest=manifest)


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("feedback-nlp", "pandas", "pyarrow", "torch", "transformers", "spacy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return versions


def write_outputs(result: Analysis, outdir: str | Path) -> list[Path]:
    """Write comments.parquet, comments.csv, mentions.parquet and manifest.json into `outdir`."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_parquet(result.comments, out / "comments.parquet"),
        write_csv(result.comments, out / "comments.csv"),
        write_parquet(result.mentions, out / "mentions.parquet"),
    ]
    written.append(write_json(result.manifest, out / "manifest.json"))
    return written


def run(
    inputs: str | Path | Sequence[str | Path],
    outdir: str | Path,
    *,
    text_col: str | None = None,
    id_col: str | None = None,
    score_col: str | None = None,
    score_scale: str = "auto",
    touchpoint_col: str | None = None,
    date_col: str | None = None,
    lang_col: str | None = None,
    sheet: str | None = None,
    redact_pii: bool = False,
    progress: Progress | None = None,
) -> Analysis:
    """Everything `feedback-nlp analyze` does: read the exports, clean, analyse, write `outdir`.

    >>> result = fnlp.run("nps_q3.csv", "out/")   # doctest: +SKIP
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if progress:
        progress("Reading input")
    loaded = load(
        inputs,
        text_col=text_col,
        id_col=id_col,
        score_col=score_col,
        score_scale=score_scale,
        touchpoint_col=touchpoint_col,
        date_col=date_col,
        lang_col=lang_col,
        sheet=sheet,
    )
    timings["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if progress:
        progress(f"Cleaning {len(loaded.frame)} rows and identifying languages")
    cleaned = clean(loaded.frame, redact_pii=redact_pii)
    timings["clean"] = time.perf_counter() - t0
    result = analyze(cleaned, progress=progress)
    timings["analyze"] = result.manifest["timings_s"]["analyze"]
    files = [f.to_dict() for f in loaded.files]
    repairs: dict[str, int] = {}
    for f in files:
        for kind, n in f["repairs"].items():
            repairs[kind] = repairs.get(kind, 0) + int(n)
    result.manifest = {
        "tool": "feedback-nlp",
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "options": {"redact_pii": redact_pii, "score_scale": score_scale},
        "models": {},
        "inputs": files,
        "repairs": repairs,
        **{k: v for k, v in result.manifest.items() if k != "timings_s"},
        "timings_s": {},
    }
    t0 = time.perf_counter()
    write_outputs(result, outdir)
    timings["write"] = time.perf_counter() - t0
    result.manifest["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    write_json(result.manifest, Path(outdir) / "manifest.json")
    return result
