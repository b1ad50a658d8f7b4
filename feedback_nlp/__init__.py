"""feedback-nlp: offline, multilingual analysis of exported customer feedback.

>>> import feedback_nlp as fnlp
>>> feedback = fnlp.read_feedback("nps_q3.csv")          # doctest: +SKIP
>>> result = fnlp.analyze(feedback)                        # doctest: +SKIP
>>> themes = fnlp.summarize(result, period="month")        # doctest: +SKIP
>>> fnlp.write_report(result, themes, "out/")              # doctest: +SKIP
>>> fnlp.run("nps_q3.csv", "out/")                         # doctest: +SKIP
"""

import os as _os

# torch's CPU kernels (oneDNN, and ideep above it) keep a compiled kernel per input shape, up to
# 1,024 of each by default. Batches are length-sorted with dynamic padding, so nearly every batch
# has a shape of its own and those caches filled chunk after chunk: resident memory grew ~300 MB
# over a 20-chunk run and was still growing. With 16 entries each it grew ~40 MB and the chunks'
# peak fell 12 %, at ~2 % more model time (docs/benchmarks.md, "Inference settings, and why").
# torch reads both variables when it first runs such a kernel, so they are set before this
# package imports torch; a value already in the environment wins.
for _name in ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY"):
    _os.environ.setdefault(_name, "16")
del _name

from feedback_nlp.analysis.analyze import Analysis, analyze
from feedback_nlp.analysis.models import Models
from feedback_nlp.errors import FeedbackError
from feedback_nlp.io.load import load, read_feedback
from feedback_nlp.runner.pipeline import load_analysis, run, write_outputs, write_report
from feedback_nlp.runner.pipeline import summarize_analysis as summarize
from feedback_nlp.text.clean import clean

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "FeedbackError",
    "Models",
    "analyze",
    "clean",
    "load",
    "load_analysis",
    "read_feedback",
    "run",
    "summarize",
    "write_outputs",
    "write_report",
]
