"""feedback-nlp: offline, multilingual analysis of exported customer feedback.

This module only re-exports the public API; it has no side effects (the settings that torch
needs are applied where the models load, in feedback_nlp.encoders).

>>> import feedback_nlp as fnlp
>>> feedback = fnlp.read_feedback("nps_q3.csv")          # doctest: +SKIP
>>> result = fnlp.analyze(feedback)                        # doctest: +SKIP
>>> themes = fnlp.summarize(result, period="month")        # doctest: +SKIP
>>> fnlp.write_report(result, themes, "out/")              # doctest: +SKIP
>>> fnlp.run("nps_q3.csv", "out/")                         # doctest: +SKIP
"""

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
