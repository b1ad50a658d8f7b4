"""The commands that read exports and write output folders: analyze, summarize, report,
inspect, demo."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from feedback_nlp import schema as s
from feedback_nlp.cli.printing import print_analysis_summary, print_inspect, print_top_complaints
from feedback_nlp.cli.shell import (
    EXIT_PARTIAL,
    BackendOpt,
    ByOpt,
    DateCol,
    IdCol,
    InputsArg,
    LabelTaxonomyOpt,
    LangCol,
    MinMentionsOpt,
    PeriodOpt,
    QuietOpt,
    ScoreCol,
    ScoreScale,
    Sheet,
    TaxonomyOpt,
    TextCol,
    TouchpointCol,
    app,
    err,
    out,
    progress_printer,
    user_errors,
)
from feedback_nlp.manifest import describe_choice
from feedback_nlp.settings import (
    BUILTIN,
    BY_AUTO,
    DEFAULT_BATCH_SIZE,
    DEFAULT_MIN_MENTIONS,
    DEFAULT_TAXONOMY,
    PERIOD_AUTO,
    ModelOptions,
    ReadOptions,
    RunOptions,
    period_option,
)


@app.command()
def analyze(
    inputs: InputsArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")],
    text_col: TextCol = None,
    id_col: IdCol = None,
    score_col: ScoreCol = None,
    score_scale: ScoreScale = ReadOptions.score_scale,
    touchpoint_col: TouchpointCol = None,
    date_col: DateCol = None,
    lang_col: LangCol = None,
    sheet: Sheet = None,
    taxonomy: TaxonomyOpt = DEFAULT_TAXONOMY,
    sentiment_model: Annotated[
        str,
        typer.Option(
            "--sentiment-model",
            help="builtin, or a Hugging Face classifier: a local folder or a hub id.",
        ),
    ] = BUILTIN,
    precision: Annotated[
        str,
        typer.Option(
            "--precision",
            help="torch only: auto (bf16 where the CPU computes it natively, else fp32) | fp32 "
            "| bf16. The onnx backend runs fp32.",
        ),
    ] = ModelOptions.precision,
    backend: BackendOpt = ModelOptions.backend,
    period: PeriodOpt = PERIOD_AUTO,
    min_mentions: MinMentionsOpt = DEFAULT_MIN_MENTIONS,
    redact_pii: Annotated[
        bool, typer.Option("--redact-pii", help="Mask e-mails, phones, IBAN/cards, order ids.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Texts per model batch.")
    ] = DEFAULT_BATCH_SIZE,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Neither read nor fill the result cache (sentiment, clause vectors and clause "
            "offsets of texts seen before, keyed by hashes; no comment text is stored).",
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="local (this process) or ray (Ray Data; needs: pip install 'feedback-nlp\\[ray]').",
        ),
    ] = RunOptions.engine,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="With --engine ray: an existing cluster (auto, or ray://HOST:10001); "
            "default: a local Ray instance.",
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Analyse exported comments and write the output folder.

    Writes comments.parquet (+ comments.csv), mentions.parquet, themes.csv, report.html,
    report.md, report.xlsx and manifest.json. Every input row appears in comments.parquet with
    a status: analyzed, empty, duplicate or failed. Then prints the top complaint themes per
    touchpoint.

    A run that is interrupted continues where it stopped when started again with the same
    arguments; re-runs only compute comments not seen before (see --no-cache).

    The taxonomy is chosen automatically unless --taxonomy names one: the shipped taxonomy
    that covers the most of a sample of the comments (printed, and kept in manifest.json).

    Example:  feedback-nlp analyze nps_q3.csv reviews.xlsx --sheet Reviews -o out/

    Example:  feedback-nlp analyze complaints.csv --taxonomy my_taxonomy.yaml -o out/
    """
    from feedback_nlp.runner.pipeline import run  # torch and the models: loaded when used

    with user_errors():
        options = RunOptions.build(
            text_col=text_col,
            id_col=id_col,
            score_col=score_col,
            score_scale=score_scale,
            touchpoint_col=touchpoint_col,
            date_col=date_col,
            lang_col=lang_col,
            sheet=sheet,
            redact_pii=redact_pii,
            taxonomy=taxonomy,
            sentiment_model=sentiment_model,
            precision=precision,
            backend=backend,
            batch_size=batch_size,
            period=period_option(period),
            min_mentions=min_mentions,
            cache=not no_cache,
            engine=engine,
            ray_address=ray_address,
        )
        progress = progress_printer(quiet)
        try:
            result, themes = run(inputs, output, options, progress=progress)
        finally:  # an error's one line must not land inside the bar
            if progress is not None:
                progress.close()
    if not quiet:
        chosen = describe_choice(result.manifest.get("taxonomy_choice"))
        if chosen and progress is None:  # on a terminal the run's progress has said it
            err.print(Text(f"Taxonomy: {chosen}"), soft_wrap=True)
        print_analysis_summary(result.manifest, output)
        print_top_complaints(themes, output / "report.html", min_mentions)
    if result.manifest["rows"].get(s.STATUS_FAILED):
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def summarize(
    outdir: Annotated[Path, typer.Argument(help="An output folder of `feedback-nlp analyze`.")],
    by: ByOpt = BY_AUTO,
    period: PeriodOpt = PERIOD_AUTO,
    min_mentions: MinMentionsOpt = DEFAULT_MIN_MENTIONS,
    taxonomy: LabelTaxonomyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Re-rank the complaint themes of an existing analysis (no models are run).

    Rewrites themes.csv and the reports in OUTDIR with the new ranking.

    Example:  feedback-nlp summarize out/ --by lang --period quarter --min-mentions 10
    """
    from feedback_nlp.runner.pipeline import (
        load_analysis,
        prepare_output_folder,
        summarize_analysis,
        write_report,
    )

    with user_errors():
        result = load_analysis(outdir)
        prepare_output_folder(outdir)  # the reports are rewritten there
        if taxonomy:
            from feedback_nlp.themes.taxonomy_file import load_taxonomy

            result.labels.update(load_taxonomy(taxonomy).labels())
        themes = summarize_analysis(
            result, by=by, period=period_option(period), min_mentions=min_mentions
        )
        write_report(result, themes, outdir, period=period_option(period), by=by)
    if not quiet:
        print_top_complaints(themes, outdir / "report.html", min_mentions)


@app.command()
def report(
    outdir: Annotated[Path, typer.Argument(help="An output folder of `feedback-nlp analyze`.")],
    period: PeriodOpt = PERIOD_AUTO,
    min_mentions: MinMentionsOpt = DEFAULT_MIN_MENTIONS,
    taxonomy: LabelTaxonomyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Re-render report.html, report.md, report.xlsx and themes.csv from an existing analysis.

    Example:  feedback-nlp report out/ --taxonomy my_labels.yaml
    """
    summarize(
        outdir,
        by=BY_AUTO,
        period=period,
        min_mentions=min_mentions,
        taxonomy=taxonomy,
        quiet=True,
    )
    if not quiet:
        out.print(f"Report: {outdir / 'report.html'}")


@app.command()
def inspect(
    inputs: InputsArg,
    text_col: TextCol = None,
    id_col: IdCol = None,
    score_col: ScoreCol = None,
    score_scale: ScoreScale = ReadOptions.score_scale,
    touchpoint_col: TouchpointCol = None,
    date_col: DateCol = None,
    lang_col: LangCol = None,
    sheet: Sheet = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Show what would be read, without loading any model.

    Format, encoding and repairs, header shape (plain, Qualtrics, SurveyMonkey), column mapping,
    the open questions taken (one output row per response and question), the score scale with
    the rating labels read, a review title column, title and footer rows skipped, row counts by
    status, languages and problems found.

    Example:  feedback-nlp inspect google_play_reviews.csv --json
    """
    from feedback_nlp.runner.pipeline import inspect_inputs

    with user_errors():
        options = ReadOptions(
            text_col=text_col,
            id_col=id_col,
            score_col=score_col,
            score_scale=score_scale,
            touchpoint_col=touchpoint_col,
            date_col=date_col,
            lang_col=lang_col,
            sheet=sheet,
        )
        report = inspect_inputs(inputs, options)
    if as_json:
        out.print_json(json.dumps(report, ensure_ascii=False, default=str))
    else:
        print_inspect(report)


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")] = Path(
        "out/demo"
    ),
    quiet: QuietOpt = False,
) -> None:
    """Analyse the bundled multilingual sample NPS export.

    Example:  feedback-nlp demo -o out/demo
    """
    # The sample ships inside the package (examples/ is mapped to feedback_nlp.examples).
    with resources.as_file(resources.files("feedback_nlp.examples") / "nps_sample.csv") as sample:
        analyze([sample], output, quiet=quiet)
