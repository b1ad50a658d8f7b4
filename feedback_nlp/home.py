"""Where feedback-nlp keeps its files on the user's machine, and the progress callback type.

Both are needed on every floor of the package (the result cache, the encoder conversion, the
run), so they live here, beneath all of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

# A callable that receives one short line of progress (no comment text: row numbers at most).
Progress = Callable[[str], None]


def cache_dir() -> Path:
    """Where prepared models and the result cache live: ``$FEEDBACK_NLP_HOME`` or
    ``~/.cache/feedback-nlp``."""
    home = os.environ.get("FEEDBACK_NLP_HOME")
    return Path(home).expanduser() if home else Path.home() / ".cache" / "feedback-nlp"
