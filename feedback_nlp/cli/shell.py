"""The Typer app, its consoles, the options several commands share, and the error mapping.

Every command parses options, calls one API function, prints a short summary, and turns a
FeedbackError into a one-line message on stderr with exit code 1 (DESIGN.md, contract 1).
Exit 2 means "partial": some rows could not be analysed, all of them accounted for in `status`.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from feedback_nlp.errors import FeedbackError, NothingRankedWarning

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

InputsArg = Annotated[
    list[Path], typer.Argument(help="Export file(s): CSV/TSV, XLSX, JSON, JSONL or Parquet.")
]
TextCol = Annotated[
    list[str] | None,
    typer.Option(
        "--text-col",
        metavar="COLUMN",
        help="Column with the comment text; repeat it for several open questions (one output "
        "row per response and question).",
    ),
]
IdCol = Annotated[str | None, typer.Option("--id-col", help="Respondent / response id column.")]
ScoreCol = Annotated[str | None, typer.Option("--score-col", help="NPS / rating column.")]
ScoreScale = Annotated[
    str,
    typer.Option(
        "--score-scale",
        help=(
            "auto | nps (0-10) | stars (1-5) | csat (1-5) | ces (effort, 1-5 or 1-7) | "
            "rating10 (a review score out of 10, e.g. 7.9 or 8/10)."
        ),
    ),
]
TouchpointCol = Annotated[
    str | None, typer.Option("--touchpoint-col", help="Touchpoint / channel column.")
]
DateCol = Annotated[str | None, typer.Option("--date-col", help="Response date column.")]
LangCol = Annotated[str | None, typer.Option("--lang-col", help="Language column (else detected).")]
Sheet = Annotated[str | None, typer.Option("--sheet", help="XLSX sheet to read.")]
BackendOpt = Annotated[
    str,
    typer.Option(
        "--backend",
        help="onnx (onnxruntime, fp32, faster than torch fp32; docs/benchmarks.md) | torch "
        "(PyTorch; bf16 via --precision). A custom --sentiment-model runs on torch either way.",
    ),
]


TaxonomyOpt = Annotated[
    str,
    typer.Option(
        "--taxonomy",
        help="auto (default: the shipped taxonomy that covers the most of a sample of the "
        "comments; printed and recorded in manifest.json) | a shipped taxonomy (ecommerce-cx, "
        "telecom, banking, travel, saas, railway, restaurant: `feedback-nlp taxonomy list`) | "
        "your own FILE.yaml (used as given).",
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
    typer.Option(
        "--by",
        help="Rank within: auto (the export's own stage/channel column if it has one, else "
        "touchpoint) | touchpoint | theme | any comments column (input_touchpoint, lang, "
        "question where a survey has several open questions...).",
    ),
]
MinMentionsOpt = Annotated[
    int, typer.Option("--min-mentions", min=1, help="Leave out themes with fewer mentions.")
]
LabelTaxonomyOpt = Annotated[
    str | None,
    typer.Option("--taxonomy", help="Take theme labels from this taxonomy (name or YAML file)."),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Print nothing but errors: no progress bar, and with --engine ray none of Ray's "
        "own log lines or bars.",
    ),
]


@contextmanager
def user_errors() -> Iterator[None]:
    """One line on stderr and exit 1 for mistakes the user can fix; bugs still traceback.
    A summary that ranks nothing is no error: the commands print its reason themselves."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NothingRankedWarning)
            yield
    except FeedbackError as exc:
        err.print(f"[bold red]Error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(EXIT_INPUT) from None


class ProgressPrinter:
    """Progress on a terminal's stderr: a dim line per step and, while comments are analysed,
    a bar (comments done / total, comments per second, time left) that vanishes when done."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar = None
        self._task = None
        self._start = (0.0, 0)  # when the bar appeared, and how many were done then (resumed)

    def __call__(self, message: str) -> None:
        self.console.print(f"[dim]… {message}[/]")  # drawn above the bar while it shows

    def advance(self, done: int, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        if self._bar is None:
            if done >= total:
                return
            self._bar = Progress(
                TextColumn("Analysing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("comments  {task.fields[rate]}"),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._task = self._bar.add_task("analyse", total=total, rate="")
            self._start = (time.perf_counter(), done)
            self._bar.start()
        elapsed = time.perf_counter() - self._start[0]
        rate = (done - self._start[1]) / elapsed if elapsed > 0 else 0.0
        shown = f"{rate:.1f} comments/s" if done > self._start[1] else ""
        self._bar.update(self._task, completed=done, total=total, rate=shown)
        if done >= total:
            self.close()

    def close(self) -> None:
        """Take the bar off the terminal (also when the run stops early)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def progress_printer(quiet: bool) -> ProgressPrinter | None:
    """Progress goes to stderr, and only when a person is watching (a TTY) and not --quiet."""
    if quiet or not sys.stderr.isatty():
        return None
    return ProgressPrinter(err)
