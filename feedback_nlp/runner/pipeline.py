"""The whole run, as `feedback-nlp analyze` does it: read -> clean -> analyze -> summarize ->
write the output folder (DESIGN.md, contract 2). Also re-summarising and re-rendering from an
existing output folder, without models.
"""

from __future__ import annotations

import json
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.analysis.analyze import Analysis
from feedback_nlp.analysis.models import Models
from feedback_nlp.errors import FeedbackError, InputFileError, NothingRankedWarning
from feedback_nlp.home import Progress
from feedback_nlp.io.load import load
from feedback_nlp.output import write_csv, write_json, write_parquet
from feedback_nlp.report.summarize import summarize
from feedback_nlp.report.trends import trends
from feedback_nlp.report.write import write_report as render
from feedback_nlp.runner.engine import memory_mb
from feedback_nlp.runner.stream import StreamedRun
from feedback_nlp.settings import (
    BY_AUTO,
    DEFAULT_MIN_MENTIONS,
    PERIOD_AUTO,
    ReadOptions,
    RunOptions,
)
from feedback_nlp.text.clean import clean_with_report, ids_were_mapped


def resolve_period(comments: pd.DataFrame, period: str | None) -> str | None:
    """`auto` means monthly trends where the comments have dates, none otherwise."""
    if period != PERIOD_AUTO:
        return period
    has_dates = s.CREATED_AT in comments.columns and comments[s.CREATED_AT].notna().any()
    return "month" if has_dates else None


def resolve_by(comments: pd.DataFrame, by: str) -> str:
    """`auto`: the input's own touchpoints (``input_touchpoint``) where it names any, else the
    taxonomy's touchpoints."""
    if by != BY_AUTO:
        return by
    named = s.INPUT_TOUCHPOINT in comments.columns and comments[s.INPUT_TOUCHPOINT].notna().any()
    return s.INPUT_TOUCHPOINT if named else s.TOUCHPOINT


def by_label(result: Analysis, by: str) -> str | None:
    """How the export names the column a ranking groups by: the input's touchpoint column as
    mapped ("Channel", "Survey Stage"; several names joined by " / "), else None."""
    if by != s.INPUT_TOUCHPOINT:
        return None
    names = []
    for f in (result.manifest or {}).get("inputs", []):
        name = (f.get("mapping") or {}).get(s.TOUCHPOINT)
        if name and str(name) not in names:
            names.append(str(name))
    return " / ".join(names) or None


def score_scales(result: Analysis) -> dict[str, dict]:
    """{source file name: its scale record (score_scale, score_points, score_direction)} from
    the manifest's inputs: a row's scale is its file's (also when re-ranking an output folder)."""
    found = {}
    for f in (result.manifest or {}).get("inputs", []):
        if f.get("source") and f.get("score_scale"):
            found[str(f["source"])] = {
                k: f.get(k) for k in ("score_scale", "score_points", "score_direction")
            }
    return found


def summarize_analysis(
    result: Analysis,
    *,
    by: str = BY_AUTO,
    period: str | None = PERIOD_AUTO,
    min_mentions: int = DEFAULT_MIN_MENTIONS,
) -> pd.DataFrame:
    """The themes frame of an Analysis: complaint themes ranked within each group (see
    `feedback_nlp.report.summarize.summarize` for the columns). `by`: ``auto`` (the input's own
    journey stages / channels where it has a touchpoint column, else the taxonomy's
    touchpoints), ``touchpoint``, ``theme`` or any comments column.

    Where nothing is ranked, ``themes.attrs["summary"]["reason"]`` says why (also issued as a
    `feedback_nlp.errors.NothingRankedWarning`).

    >>> themes = fnlp.summarize(result, by="touchpoint", period="month")  # doctest: +SKIP
    """
    by = resolve_by(result.comments, by)
    return summarize(
        result.comments,
        result.mentions,
        by=by,
        by_label=by_label(result, by),
        period=resolve_period(result.comments, period),
        min_mentions=min_mentions,
        labels=result.labels or None,
        score_scales=score_scales(result),
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
    by: str = BY_AUTO,
    frames: bool = True,
) -> list[Path]:
    """The whole output folder of contract 2: the frames and manifest.json (unless `frames` is
    false: a run that streamed them there already), themes.csv and the reports (report.html,
    report.md, report.xlsx).

    >>> fnlp.write_report(result, themes, "out/")   # doctest: +SKIP
    """
    written = write_outputs(result, outdir) if frames else []
    summary = themes.attrs.get("summary", {})
    period = summary.get("period", resolve_period(result.comments, period))
    by = summary.get("by") or resolve_by(result.comments, by)
    label = summary.get("by_label", by_label(result, by))

    def trends_by(group: str, group_label: str | None = None) -> pd.DataFrame | None:
        if not period:
            return None
        return trends(
            result.comments, result.mentions, period=period, by=group, by_label=group_label
        )

    view = None
    if by not in (s.TOUCHPOINT, s.THEME):  # the taxonomy's view, for the report's switch
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NothingRankedWarning)  # said for the main view
            by_tp = summarize_analysis(
                result,
                by=s.TOUCHPOINT,
                period=period,
                min_mentions=summary.get("min_mentions", DEFAULT_MIN_MENTIONS),
            )
        view = (by_tp, trends_by(s.TOUCHPOINT))
    return written + render(
        result.comments,
        result.mentions,
        themes,
        outdir,
        trends=trends_by(by, label),
        manifest=result.manifest,
        touchpoint_view=view,
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
    options: RunOptions | None = None,
    *,
    progress: Progress | None = None,
    **flags: Any,
) -> tuple[Analysis, pd.DataFrame]:
    """Everything `feedback-nlp analyze` does: read the exports, clean, analyse, rank the
    complaint themes, and write `outdir`. Returns the Analysis and the themes frame.

    Options, as keyword arguments named like the CLI flags (or a
    :class:`feedback_nlp.settings.RunOptions`): reading ``text_col`` (a name, or a list of
    them: one open question each, one output row per response and question), ``id_col``, ``score_col``,
    ``score_scale``, ``touchpoint_col``, ``date_col``, ``lang_col``, ``sheet``, ``redact_pii``;
    models ``taxonomy``, ``sentiment_model``, ``backend``, ``precision``, ``batch_size``;
    ranking ``by``, ``period``, ``min_mentions``; the run ``cache``, ``engine``, ``ray_address``, ``chunk_size``.

    The comments are analysed `chunk_size` rows at a time (on `engine`: ``local`` or ``ray``) and
    each finished chunk is kept in ``outdir/.feedback-nlp-parts/``: a run that is killed and
    started again with the same inputs and options goes on from its last finished chunk. With
    `cache`, model results are kept in the user's result cache (see `feedback_nlp.cache`), so a
    re-run only computes texts not seen before.

    >>> result, themes = fnlp.run("nps_q3.csv", "out/", period="quarter")   # doctest: +SKIP
    """
    if options is not None and flags:
        raise TypeError("pass either a RunOptions or keyword arguments, not both")
    options = options if options is not None else RunOptions.build(**flags)
    prepare_output_folder(outdir)  # before hours of work, not after
    report = options.report
    streamed = StreamedRun(inputs, outdir, options, make_models=Models, progress=progress)
    with streamed:
        result = streamed.analyse()
        say = progress or (lambda _m: None)
        t0 = time.perf_counter()
        say("Ranking complaint themes")
        themes = summarize_analysis(
            result, by=report.by, period=report.period, min_mentions=report.min_mentions
        )
        manifest = result.manifest
        manifest["options"]["report"]["period"] = resolve_period(result.comments, report.period)
        manifest["timings_s"]["summarize"] = round(time.perf_counter() - t0, 3)
        manifest["memory_mb"]["summarize"] = memory_mb()
        t0 = time.perf_counter()
        say("Writing the reports")
        write_report(result, themes, outdir, period=report.period, by=report.by, frames=False)
        timings = manifest["timings_s"]
        timings["write"] = round(timings.get("write", 0.0) + time.perf_counter() - t0, 3)
        manifest["memory_mb"]["write"] = memory_mb()
        write_json(manifest, Path(outdir) / "manifest.json")
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


def inspect_inputs(inputs: str | Path | Sequence[str | Path], options: ReadOptions) -> dict:
    """What `analyze` would read, without loading a model (`feedback-nlp inspect`): per file its
    format, encoding, header shape, column mapping, repairs and problems; the rows by status and
    the languages found."""
    loaded = load(inputs, options)
    files = [f.to_dict() for f in loaded.files]
    cleaned, report = clean_with_report(loaded.frame, ids_mapped=ids_were_mapped(files))
    problems = [p for f in loaded.files for p in f.problems]
    return {
        "files": files,
        "rows": len(cleaned),
        "status": report.get("status", {}),
        "languages": report.get("languages", {}),
        "problems": problems,
    }
