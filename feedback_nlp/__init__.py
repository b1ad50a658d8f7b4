"""feedback-nlp: offline, multilingual analysis of exported customer feedback.

>>> import feedback_nlp as fnlp
>>> feedback = fnlp.read_feedback("nps_q3.csv")          # doctest: +SKIP
>>> result = fnlp.analyze(feedback)                        # doctest: +SKIP
>>> fnlp.run("nps_q3.csv", "out/")                         # doctest: +SKIP
"""

from .analyze import Analysis, analyze, run, write_outputs
from .clean import clean
from .errors import FeedbackError
from .io import load, read_feedback

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "FeedbackError",
    "analyze",
    "clean",
    "load",
    "read_feedback",
    "run",
    "write_outputs",
]
