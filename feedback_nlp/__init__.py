"""feedback-nlp: offline, multilingual analysis of exported customer feedback.

>>> import feedback_nlp as fnlp
>>> feedback = fnlp.read_feedback("nps_q3.csv")          # doctest: +SKIP
>>> result = fnlp.analyze(feedback)                        # doctest: +SKIP
>>> themes = fnlp.summarize(result, period="month")        # doctest: +SKIP
>>> fnlp.write_report(result, themes, "out/")              # doctest: +SKIP
>>> fnlp.run("nps_q3.csv", "out/")                         # doctest: +SKIP
"""

from .analyze import Analysis, Models, analyze
from .clean import clean
from .errors import FeedbackError
from .io import load, read_feedback
from .pipeline import load_analysis, run, write_outputs, write_report
from .pipeline import summarize_analysis as summarize

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
