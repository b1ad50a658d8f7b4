"""Where feedback-nlp keeps its files on the user's machine, how processes take turns writing
there, and the progress callback type.

They are needed on every floor of the package (the result cache, the encoder conversion, the
run), so they live here, beneath all of them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

# A callable that receives one short line of progress (no comment text: row numbers at most).
Progress = Callable[[str], None]


def advance(progress: Progress | None, done: int, total: int) -> None:
    """Tell `progress` that `done` of `total` comments are analysed. Only a progress that draws
    a bar has an ``advance(done, total)`` method (the CLI's on a terminal); others hear nothing."""
    bar = getattr(progress, "advance", None)
    if bar is not None:
        bar(done, total)


def is_quiet(progress: Progress | None) -> bool:
    """Whether nobody watches: no `progress` at all (``--quiet``, or stderr not a terminal).
    Then the Ray engine's own log lines and progress bars are silenced too."""
    return progress is None


def cache_dir() -> Path:
    """Where prepared models and the result cache live: ``$FEEDBACK_NLP_HOME`` or
    ``~/.cache/feedback-nlp``."""
    home = os.environ.get("FEEDBACK_NLP_HOME")
    return Path(home).expanduser() if home else Path.home() / ".cache" / "feedback-nlp"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) across processes, on POSIX.
    Elsewhere it does nothing: its users stay correct without it (an atomic rename or an
    idempotent rebuild decides), they only do the work twice."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
