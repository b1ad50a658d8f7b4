"""The `feedback-nlp` command line: a thin shell over the public functions (DESIGN.md,
contract 1). Each command lives in a module of this package and registers itself on the one
Typer app of :mod:`feedback_nlp.cli.shell`.

>>> from feedback_nlp.cli import app            # doctest: +SKIP
"""

from feedback_nlp.cli import runs as _runs  # noqa: F401  (registers analyze, summarize, ...)
from feedback_nlp.cli import tools as _tools  # noqa: F401  (registers evaluate, taxonomy, models)
from feedback_nlp.cli.shell import app

__all__ = ["app", "main"]


def main() -> None:
    """The console script `feedback-nlp` (and `python -m feedback_nlp`)."""
    app()
