"""Errors a user can fix. Each message says what was expected, what was found, and the fix.

Messages name files, columns and row numbers, never comment text: comments are personal data.
The CLI prints ``str(error)`` on one line and exits 1; anything else is a bug and may traceback.
"""

from __future__ import annotations


class FeedbackError(Exception):
    """Base class for every error caused by input or usage rather than by a bug."""

    exit_code = 1


class InputFileError(FeedbackError):
    """A file is missing, unreadable, of an unsupported kind, empty or malformed."""


class EncodingError(InputFileError):
    """The bytes of a file could not be decoded as text."""


class ColumnError(FeedbackError):
    """A column could not be found, is ambiguous, or holds the wrong kind of values."""


class SchemaError(FeedbackError):
    """A DataFrame handed to the Python API lacks columns the function needs."""


class TaxonomyError(FeedbackError):
    """A taxonomy file is missing or invalid."""


class ModelError(FeedbackError):
    """A model could not be found, prepared or loaded offline."""


class OptionError(FeedbackError):
    """An option (a CLI flag, or the keyword argument of the same name) has a value it cannot
    take; the message names the flag and the values it can."""


class NothingRankedWarning(UserWarning):
    """summarize() ranked no complaint theme; the message says why (also in the themes frame's
    ``attrs["summary"]["reason"]``)."""
