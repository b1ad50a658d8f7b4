"""feedback-nlp: offline, multilingual analysis of exported customer feedback."""

__version__ = "0.1.0"
