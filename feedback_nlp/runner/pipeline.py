"""The whole run, as `feedback-nlp analyze` does it: read -> clean -> analyze -> summarize ->
write the output folder (DESIGN.md, contract 2). Also re-summarising and re-rendering from an
existing output folder, without models.
"""

from __future__ import annotations

import functools
import json
import platform
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.analysis.analyze import Analysis, Models, Progress
from feedback_nlp.errors import FeedbackError, InputFileError
from feedback_nlp.output import write_csv, write_json, write_parquet

# Imported here, not lazily: the package binds the name `summarize` to a function, and a first
# import of the submodule later would rebind it to the module.
from feedback_nlp.report.summarize import summarize
from feedback_nlp.report.trends import trends
from feedback_nlp.runner.engine import memory_mb

PERIOD_AUTO = "auto"
DEFAULT_CHUNK_SIZE = 2000  # rows; 5,000 peaked 0.45 GB higher at 10k comments, no faster


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("feedback-nlp", "pandas", "pyarrow", "torch", "transformers", "spacy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return versions


def resolve_period(comments: pd.DataFrame, period: str | None) -> str | None:
    """`auto` means monthly trends where the comments have dates, none otherwise."""
    if period != PERIOD_AUTO:
        return period
    has_dates = s.CREATED_AT in comments.columns and comments[s.CREATED_AT].notna().any()
    return "month" if has_dates else None


def summarize_analysis(
    result: Analysis,
    *,
    by: str = s.TOUCHPOINT,
    period: str | None = PERIOD_AUTO,
    min_mentions: int = 5,
) -> pd.DataFrame:
    """The themes frame of an Analysis: complaint themes ranked per touchpoint (see
    `feedback_nlp.report.summarize.summarize` for the columns).

    >>> themes = fnlp.summarize(result, by="touchpoint", period="month")  # doctest: +SKIP
    """
    return summarize(
        result.comments,
        result.mentions,
        by=by,
        period=resolve_period(result.comments, period),
        min_mentions=min_mentions,
        labels=result.labels or None,
    )


def write_outputs(result: Analysis, outdir: str | Path) -> list[Path]:
    """comments.parquet, comments.csv, mentions.parquet and manifest.json into `outdir`."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        write_parquet(result.comments, out / "comments.parquet"),
        write_csv(result.comments, out / "comments.csv"),
        write_parquet(result.mentions, out / "mentions.parquet"),
        write_json(result.manifest, out / "manifest.json"),
    ]


def write_report(
    result: Analysis,
    themes: pd.DataFrame,
    outdir: str | Path,
    *,
    period: str | None = PERIOD_AUTO,
    by: str = s.TOUCHPOINT,
) -> list[Path]:
    """The whole output folder of contract 2: the frames, manifest.json, themes.csv and the
    reports (report.html, report.md, report.xlsx).

    >>> fnlp.write_report(result, themes, "out/")   # doctest: +SKIP
    """
    written = write_outputs(result, outdir)
    return written + _render(result, themes, outdir, period=period, by=by)


def _render(
    result: Analysis,
    themes: pd.DataFrame,
    outdir: str | Path,
    *,
    period: str | None = PERIOD_AUTO,
    by: str = s.TOUCHPOINT,
) -> list[Path]:
    """themes.csv and the reports (report.html, report.md, report.xlsx)."""
    from feedback_nlp.report.write import write_report as render

    period = resolve_period(result.comments, period)
    trend = trends(result.comments, result.mentions, period=period, by=by) if period else None
    return render(
        result.comments, result.mentions, themes, outdir, trends=trend, manifest=result.manifest
    )


def prepare_output_folder(outdir: str | Path) -> Path:
    """Create `outdir` if missing and check that files can be written there; a FeedbackError
    naming the folder otherwise (a file of that name, no permission, a read-only disk)."""
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise FeedbackError(
            f"{out}: is a file; the output (-o) is a folder, created if missing. "
            "Choose another name."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise FeedbackError(
            f"{out}: cannot write the output there ({exc.strerror or type(exc).__name__}). "
            "Choose a folder you can write to with -o."
        ) from None
    return out


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
    taxonomy: str = "ecommerce-cx",
    sentiment_model: str | None = "builtin",
    period: str | None = PERIOD_AUTO,
    min_mentions: int = 5,
    redact_pii: bool = False,
    batch_size: int = 32,
    cache: bool = True,
    engine: str = "local",
    ray_address: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> tuple[Analysis, pd.DataFrame]:
    """Everything `feedback-nlp analyze` does: read the exports, clean, analyse, rank the
    complaint themes, and write `outdir`. Returns the Analysis and the themes frame.

    The comments are analysed `chunk_size` rows at a time (on `engine`: ``local`` or ``ray``) and
    each finished chunk is kept in ``outdir/.feedback-nlp-parts/``: a run that is killed and
    started again with the same inputs and options goes on from its last finished chunk. With
    `cache`, model results are kept in the user's result cache (see `feedback_nlp.cache`), so a
    re-run only computes texts not seen before.

    >>> result, themes = fnlp.run("nps_q3.csv", "out/")   # doctest: +SKIP
    """
    from feedback_nlp.runner.stream import StreamedRun

    if chunk_size < 1:
        raise FeedbackError(f"chunk_size must be at least 1, got {chunk_size}.")
    prepare_output_folder(outdir)  # before hours of work, not after
    options = {
        "taxonomy": taxonomy,
        "sentiment_model": sentiment_model or "builtin",
        "period": period,
        "min_mentions": min_mentions,
        "redact_pii": redact_pii,
        "score_scale": score_scale,
    }
    read_options = {
        "text_col": text_col,
        "id_col": id_col,
        "score_col": score_col,
        "score_scale": score_scale,
        "touchpoint_col": touchpoint_col,
        "date_col": date_col,
        "lang_col": lang_col,
        "sheet": sheet,
    }
    streamed = StreamedRun(
        inputs,
        outdir,
        read_options=read_options,
        redact_pii=redact_pii,
        make_models=functools.partial(Models, taxonomy=taxonomy, sentiment_model=sentiment_model),
        batch_size=batch_size,
        chunk_size=chunk_size,
        use_cache=cache,
        engine=engine,
        ray_address=ray_address,
        progress=progress,
    )
    with streamed:
        result = streamed.analyse()
        say = progress or (lambda _m: None)
        t0 = time.perf_counter()
        say("Ranking complaint themes")
        themes = summarize_analysis(result, period=period, min_mentions=min_mentions)
        timings = result.manifest.pop("timings_s")
        timings["summarize"] = time.perf_counter() - t0
        memory = result.manifest.pop("memory_mb")
        memory["summarize"] = memory_mb()
        result.manifest = {
            "tool": "feedback-nlp",
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "versions": _versions(),
            "options": {**options, "period": resolve_period(result.comments, period)},
            **result.manifest,
        }
        t0 = time.perf_counter()
        say("Writing the reports")
        _render(result, themes, outdir, period=period)
        timings["write"] = timings.get("write", 0.0) + time.perf_counter() - t0
        result.manifest["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
        memory["write"] = memory_mb()
        # resident memory after each stage and the process's peak so far, in MB
        result.manifest["memory_mb"] = memory
        write_json(result.manifest, Path(outdir) / "manifest.json")
        streamed.finish()
    return result, themes


def load_analysis(outdir: str | Path) -> Analysis:
    """Read an output folder back (comments, mentions, manifest), for re-ranking without models."""
    out = Path(outdir)
    needed = ["comments.parquet", "mentions.parquet", "manifest.json"]
    missing = [n for n in needed if not (out / n).is_file()]
    if missing:
        raise InputFileError(
            f"{out} is not a complete feedback-nlp output folder: {', '.join(missing)} missing. "
            f"Create it with `feedback-nlp analyze INPUT -o {out}`."
        )
    comments = pd.read_parquet(out / "comments.parquet")
    mentions = pd.read_parquet(out / "mentions.parquet")
    comments[s.THEMES] = comments[s.THEMES].map(lambda v: list(v) if v is not None else [])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    labels = {}
    if "label" in mentions.columns:
        labels = {
            (t, h): lab
            for t, h, lab in zip(mentions[s.TOUCHPOINT], mentions[s.THEME], mentions["label"])
        }
    return Analysis(comments=comments, mentions=mentions, manifest=manifest, labels=labels)
