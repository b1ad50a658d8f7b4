"""Clean a read frame: normalise text, redact PII, flag empty and duplicate rows, identify languages.

>>> import pandas as pd
>>> out = clean(pd.DataFrame({"text": ["Lieferung kam <b>drei Tage</b> zu spät", "n/a"]}))
>>> out[["text", "status", "lang"]].values.tolist()
[['Lieferung kam drei Tage zu spät', nan, 'de'], ['n/a', 'empty', nan]]

What ``clean`` found and changed is summarised, in counts only, in ``out.attrs["clean_report"]``.
Comment text never appears in log lines or exceptions: comments are personal data.
"""

from __future__ import annotations

import copy
import logging
import re
from collections import Counter

import numpy as np
import pandas as pd

from feedback_nlp.schema import (
    COMMENT_ID,
    CONTENT,
    CONTENT_NONSPECIFIC,
    CONTENT_SPECIFIC,
    CREATED_AT,
    ERROR,
    LANG,
    ROW_NUMBER,
    SOURCE,
    STATUS,
    STATUS_DUPLICATE,
    STATUS_EMPTY,
    STATUS_FAILED,
    TEXT,
    require_columns,
)
from feedback_nlp.text.content import brand_words, is_nonspecific
from feedback_nlp.text.empty import is_empty_like
from feedback_nlp.text.language import identify_languages, language_code
from feedback_nlp.text.normalize import normalize
from feedback_nlp.text.pii import PII_KINDS, redact

__all__ = ["clean", "clean_with_report", "ids_were_mapped"]

logger = logging.getLogger(__name__)

# Columns clean() guarantees; a hand-built frame gets the missing ones.
_READ_COLUMNS = (COMMENT_ID, ROW_NUMBER, SOURCE, TEXT, LANG, STATUS, ERROR)
# Columns that say where a record sits in an export, not what it says: two rows that differ only
# here are the same record exported twice (overlapping exports, a re-run survey download).
_POSITION_COLUMNS = (COMMENT_ID, ROW_NUMBER, SOURCE, STATUS, ERROR)


def ids_were_mapped(report: object) -> bool | None:
    """Whether read_feedback() mapped an id column in any input file; None when unknown."""
    reports = [report] if isinstance(report, dict) else report
    if not isinstance(reports, list) or not all(isinstance(r, dict) for r in reports):
        return None
    if not reports or not all(isinstance(r.get("mapping"), dict) for r in reports):
        return None
    return any(r["mapping"].get(COMMENT_ID) for r in reports)


def _respondent_ids(df: pd.DataFrame, ids_mapped: bool | None) -> list[str | None]:
    """Per row, the export's own respondent id, or None where there is none (generated ids).

    read_feedback() generates ``<source>:<row_number>`` where a file has no id, and keeps ids
    unique: ``#<row_number>`` after an id repeated within a file, ``<source>[#k]:`` before ids
    that collide with an earlier file's. A record exported twice must still match itself, so
    those decorations are undone here.
    """
    n = len(df)
    if COMMENT_ID not in df.columns or ids_mapped is False:
        return [None] * n
    if df[COMMENT_ID].astype(str).tolist() == [str(i) for i in range(n)]:
        return [None] * n  # positions, as clean() numbers a hand-built frame: not respondents
    sources = df[SOURCE].tolist() if SOURCE in df.columns else [None] * n
    rows = df[ROW_NUMBER].tolist() if ROW_NUMBER in df.columns else [None] * n
    keys: list[str | None] = []
    for cid, source, row in zip(df[COMMENT_ID].tolist(), sources, rows):
        if cid is None or cid is pd.NA or (isinstance(cid, float) and np.isnan(cid)):
            keys.append(None)
            continue
        key = str(cid)
        source = source if isinstance(source, str) else None
        try:
            row = int(row)
        except (TypeError, ValueError):
            row = None
        generated = f"{source}:{row}" if source is not None and row is not None else None
        if source is not None and key != generated:
            prefix = re.match(re.escape(source) + r"(?:#\d+)?:", key)
            if prefix and prefix.end() < len(key):
                key = key[prefix.end() :]
        if row is not None and key != generated:
            suffix = f"#{row}"
            if key.endswith(suffix) and len(key) > len(suffix):
                key = key[: -len(suffix)]
        keys.append(None if key == generated else key)
    return keys


def _with_read_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with the read-stage canonical columns first; missing ones added."""
    out = df.copy()
    n = len(out)
    if COMMENT_ID not in out.columns:
        out[COMMENT_ID] = pd.Series([str(i) for i in range(n)], index=out.index, dtype="str")
    if ROW_NUMBER not in out.columns:
        out[ROW_NUMBER] = np.arange(1, n + 1, dtype="int64")
    for column in (SOURCE, LANG, STATUS, ERROR):
        if column not in out.columns:
            out[column] = pd.Series([None] * n, index=out.index, dtype="str")
    first = [c for c in _READ_COLUMNS if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]]


def _duplicated(key: pd.DataFrame) -> pd.Series:
    try:
        return key.duplicated(keep="first")
    except TypeError:  # unhashable cells (lists, dicts) in a user column
        return key.astype(str).duplicated(keep="first")


def clean(df: pd.DataFrame, *, redact_pii: bool = False) -> pd.DataFrame:
    """Normalise text and flag rows that need no analysis; returns a new frame.

    - ``text``: mojibake repaired, HTML stripped, control characters removed, NFC, whitespace
      collapsed; with ``redact_pii`` e-mails, phones, IBANs, cards and order ids are masked first.
    - ``status``: ``failed`` rows stay failed; ``empty`` for blank or "n/a"-like answers;
      ``duplicate`` for repeats of an earlier row: the same respondent id and the same text; in
      an export without ids, the same text, date and every other column (undated rows without
      ids are never flagged). Other rows keep a missing status for ``analyze()``.
    - ``lang``: user-supplied values normalised to ISO 639-1; others identified, short and
      unclear ones with their file's (and respondent's) languages as a prior
      (``languages_by_prior`` counts those it decided), ``und`` when still unclear or without
      letters.
    - ``content``: for the rows left to analyse, ``nonspecific`` when the comment has no word
      that could name a topic (:mod:`feedback_nlp.text.content`: "ok", "terrible", "you are
      crap"; handles, links and the file's own brand words, found once per input file: "Complaint
      against Comcast"), else ``specific``; empty for the other rows.

    ``out.attrs["clean_report"]`` holds counts of all of this (JSON-ready), for you to look at;
    other attrs are kept. Whether the export had respondent ids is read from the report that
    ``read_feedback`` leaves in ``attrs["read_report"]`` (the pipeline passes it explicitly to
    :func:`clean_with_report`).

    >>> clean(pd.DataFrame({"text": ["Great service", "-"]}))["status"].tolist()
    [nan, 'empty']
    """
    out, report = clean_with_report(
        df, redact_pii=redact_pii, ids_mapped=ids_were_mapped(df.attrs.get("read_report"))
    )
    out.attrs = copy.deepcopy(df.attrs)  # a nested read_report must not be shared
    out.attrs["clean_report"] = report
    return out


def clean_with_report(
    df: pd.DataFrame, *, redact_pii: bool = False, ids_mapped: bool | None = None
) -> tuple[pd.DataFrame, dict]:
    """:func:`clean`, with its report returned beside the frame (no attrs set). `ids_mapped`:
    whether the reader found a respondent id column (None: unknown, judged from the ids)."""
    require_columns(df, [TEXT], what="clean()")
    respondent = _respondent_ids(df, ids_mapped)
    out = _with_read_columns(df)
    n = len(out)

    counts: Counter[str] = Counter()
    pii: Counter[str] = Counter()
    normalized: list[str | None] = []  # before redaction: the duplicate key
    texts: list[str | None] = []
    for value in out[TEXT].tolist():
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            normalized.append(None)
            texts.append(None)
            continue
        text, mojibake, stripped, controls = normalize(str(value))
        counts["mojibake_fixed"] += mojibake
        counts["html_stripped"] += stripped
        counts["control_chars_removed"] += controls
        normalized.append(text)
        if redact_pii:
            text, found = redact(text)
            pii.update(found)
        texts.append(text)
    out[TEXT] = pd.Series(texts, index=out.index, dtype="str")

    failed = np.array([s == STATUS_FAILED for s in out[STATUS].tolist()], dtype=bool)
    empty = ~failed & np.array([is_empty_like(t) for t in texts], dtype=bool)
    duplicate = np.zeros(n, dtype=bool)
    eligible = ~failed & ~empty
    norm = pd.Series(normalized, index=out.index, dtype="object")
    with_id = eligible & np.array([k is not None for k in respondent], dtype=bool)
    if with_id.any():
        # the same respondent's same answer: a record exported twice (score edits may differ)
        key = pd.DataFrame({COMMENT_ID: respondent, TEXT: norm}, index=out.index)
        duplicate[with_id] = _duplicated(key[with_id]).to_numpy()
    # Without respondent ids, only a whole record that repeats, date included, is a re-export:
    # two customers may well both write "Great service" and give a 10 (no date: never flagged).
    dated = out[CREATED_AT].notna().to_numpy() if CREATED_AT in out.columns else np.zeros(n, bool)
    by_content = eligible & ~with_id & dated
    if by_content.any():
        key = df[[c for c in df.columns if c not in _POSITION_COLUMNS]].copy()
        key[TEXT] = norm
        duplicate[by_content] = _duplicated(key[by_content]).to_numpy()
    status = np.where(failed, STATUS_FAILED, None).astype(object)
    status[empty] = STATUS_EMPTY
    status[duplicate] = STATUS_DUPLICATE
    out[STATUS] = pd.Series(status, index=out.index, dtype="str")

    langs = [language_code(v) for v in out[LANG].tolist()]
    to_detect = [i for i in np.flatnonzero(eligible | duplicate) if langs[i] is None]
    # The whole export is here (the streaming run cleans before it chunks), so each file's
    # language shares are its own, not a chunk's: short comments are read in their file's language.
    sources = out[SOURCE].tolist()
    found = identify_languages(
        [texts[i] for i in to_detect],
        files=[sources[i] for i in to_detect],
        respondents=[respondent[i] for i in to_detect],
    )
    for i, code in zip(to_detect, found.codes):
        langs[i] = code
    out[LANG] = pd.Series(langs, index=out.index, dtype="str")
    # the export's brand words, per input file over the comments to analyse (a file's share,
    # not a chunk's): "Comcast" or "Complaint against Comcast" alone name no topic
    analysable = [i for i in range(n) if status[i] is None]
    brands = dict(
        zip(
            analysable,
            brand_words(
                [texts[i] for i in analysable],
                [langs[i] for i in analysable],
                files=[sources[i] for i in analysable],
            ),
        )
    )
    content = [
        (CONTENT_NONSPECIFIC if is_nonspecific(texts[i], langs[i], brands[i]) else CONTENT_SPECIFIC)
        if status[i] is None
        else None
        for i in range(n)
    ]
    out[CONTENT] = pd.Series(content, index=out.index, dtype="str")
    content_counts = Counter(c for c in content if c is not None)

    status_counts = Counter(s for s in status if s is not None)
    out.attrs = {}
    report = {
        "rows": int(n),
        "mojibake_fixed": int(counts["mojibake_fixed"]),
        "html_stripped": int(counts["html_stripped"]),
        "control_chars_removed": int(counts["control_chars_removed"]),
        "pii_redacted": ({kind: int(pii[kind]) for kind in PII_KINDS} if redact_pii else {}),
        "status": {
            s: int(status_counts[s]) for s in (STATUS_EMPTY, STATUS_DUPLICATE, STATUS_FAILED)
        },
        "languages": dict(sorted((k, int(v)) for k, v in Counter(filter(None, langs)).items())),
        "languages_by_prior": int(found.by_prior),
        "content": {c: int(content_counts[c]) for c in (CONTENT_SPECIFIC, CONTENT_NONSPECIFIC)},
    }
    logger.info(
        "cleaned %d rows: %d empty, %d duplicate, %d failed, %d PII masks",
        n,
        status_counts[STATUS_EMPTY],
        status_counts[STATUS_DUPLICATE],
        status_counts[STATUS_FAILED],
        sum(pii.values()),
    )
    return out, report
