"""File formats -> raw tables: CSV/TSV (sniffed), XLSX, JSON, JSON Lines, Parquet.

Each reader turns a file's bytes into a ``Table`` of raw cells (header rows resolved, ragged rows
accounted for, unreadable records marked) and notes what it found in the file's report. Column
meaning is decided later, in load.py and mapping.py.
"""

from __future__ import annotations

import csv
import io as _io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from feedback_nlp.errors import InputFileError
from feedback_nlp.io.decoding import decode_bytes
from feedback_nlp.io.filereport import FileReport, rows_text
from feedback_nlp.io.footer import footer_rows
from feedback_nlp.io.header import detect_header, preamble_rows, unique_names
from feedback_nlp.io.values import missing

EXTRA_FIELDS = "extra_fields"  # surplus values of CSV rows longer than their header, as JSON
_DELIMITERS = (",", ";", "\t", "|")
_EXCEL_SEP = re.compile(r"sep=([^\r\n])\r?\n")


@dataclass
class Table:
    """A file's records as raw cells, before column mapping."""

    frame: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)  # column -> question text (Qualtrics)
    failed: dict[int, str] = field(default_factory=dict)  # 0-based record index -> error
    text_entry: list[str] = field(default_factory=list)  # columns the tool marks open-ended


def _no_records(report: FileReport) -> InputFileError:
    return InputFileError(
        f"{report.source}: has a header but no data rows; expected at least one record."
    )


def _sniff_delimiter(text: str, preferred: str) -> str | None:
    """Pick the delimiter that splits the first lines into the most consistent table, or None
    when no candidate splits the header (a one-column file, whose comments may hold commas).

    csv.Sniffer is easily fooled by commas inside comments; counting how many rows have the
    header's width is not.
    """
    sample = text[:65536]
    truncated = len(text) > len(sample)
    order = [preferred] + [d for d in _DELIMITERS if d != preferred]
    best, best_key = None, (-1.0, 0, 0)
    for rank, delim in enumerate(order):
        try:
            rows = [r for r in csv.reader(_io.StringIO(sample, newline=""), delimiter=delim) if r]
        except csv.Error:
            continue
        rows = rows[:-1] if truncated and len(rows) > 2 else rows
        if not rows:
            continue
        # the header is the first row, or the first below a title; a title only counts when the
        # table under it is consistent, so commas inside one-column comments never make one
        skip = preamble_rows(rows)
        width, consistent = _header_fit(rows, skip)
        if skip and consistent < 0.9:
            width, consistent = _header_fit(rows, 0)
        if width < 2:
            continue
        key = (round(consistent, 1), width, -rank)
        if key > best_key:
            best, best_key = delim, key
    return best


def _header_fit(rows: list[list[str]], header: int) -> tuple[int, float]:
    """The width of row ``header`` and the share of the (up to 200) rows below with that width."""
    width = len(rows[header])
    body = rows[header + 1 : header + 201]
    return width, sum(len(r) == width for r in body) / len(body) if body else 1.0


def read_delimited(data: bytes, suffix: str, report: FileReport) -> Table:
    text, report.encoding, note = decode_bytes(data, report.source)
    if note:
        report.problems.append(note)
    text = text.removeprefix("\ufeff")  # a second BOM left by a tool that re-saved the file
    preferred = "\t" if suffix in (".tsv", ".txt") else ","
    hint = _EXCEL_SEP.match(text)  # Excel's "sep=;" first line names the delimiter
    if hint:
        text = text[hint.end() :]
    delim = report.delimiter = hint.group(1) if hint else _sniff_delimiter(text, preferred)
    if suffix == ".txt" and delim == "\t":
        report.format = "tsv"
    if delim is None:  # one column: split on a character that does not occur in the text
        unused = [c for c in ("\x1f", "\x1e", "\x1d", "\x1c", "\x07") if c not in text]
        delim = unused[0] if unused else ","
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # 1 MB comments exist
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=delim, strict=True)
    rows: list[list[Any]] = []
    start = 1
    try:
        for row in reader:
            if row and not (len(row) == 1 and not row[0].strip()):
                rows.append(row)
            start = reader.line_num + 1
    except csv.Error as exc:
        message = str(exc)
        if "unexpected end of data" in message:
            raise InputFileError(
                f"{report.source}: line {start}: a quoted field opens here and is never closed, "
                "so the rest of the file would run into one cell. Close the quote (a quote inside "
                'a quoted field is written as "") and export again.'
            ) from None
        if "expected after" in message:
            raise InputFileError(
                f"{report.source}: line {reader.line_num}: text follows the closing quote of a "
                'field. Quote the whole field and write quotes inside it as "".'
            ) from None
        raise InputFileError(
            f"{report.source}: line {reader.line_num}: malformed CSV ({message})."
        ) from None
    return _rows_to_table(rows, report)


def _rows_to_table(rows: list[list[Any]], report: FileReport) -> Table:
    """Header detection and ragged rows, shared by CSV and XLSX."""
    if not rows:
        raise InputFileError(
            f"{report.source}: contains no table (expected a header row and data rows)."
        )
    title = preamble_rows(rows)
    if title:
        report.counts["rows_above_header"] = title
        report.problems.append(
            f"{'the first row' if title == 1 else f'the first {title} rows'} (a title or notes "
            "above the header: one or two filled cells) skipped; the header is the row below."
        )
    rows = rows[title:]
    header = detect_header(rows)
    report.header_shape = header.shape
    records = rows[1 + header.skip :]
    if not records:
        raise _no_records(report)
    footer = footer_rows(records)
    if footer:  # totals and export notes under the table: not records, as title rows are not
        report.counts["rows_below_table"] = footer
        report.problems.append(
            f"{'the last row' if footer == 1 else f'the last {footer} rows'} (totals or export "
            "notes under the table: a summary label and its value) skipped; they are not "
            "comments."
        )
        records = records[: len(records) - footer]
    width = len(header.names)
    short, long_ = [], []
    extras: list[str | None] = []
    cleaned: list[list[Any]] = []
    for i, row in enumerate(records, start=1):
        row = [None if v == "" else v for v in row]
        surplus = row[width:]
        if len(row) < width:
            short.append(i)
            row = row + [None] * (width - len(row))
        if any(v is not None and v != "" for v in surplus):
            long_.append(i)
            extras.append(json.dumps(surplus, ensure_ascii=False, default=str))
        else:
            extras.append(None)
        cleaned.append(row[:width])
    frame = pd.DataFrame(cleaned, columns=header.names, dtype=object)
    if short:
        report.counts["rows_short"] = len(short)
        report.problems.append(
            f"{rows_text(short)}: fewer fields than the header; the missing values are left empty."
        )
    if long_:
        name = EXTRA_FIELDS if EXTRA_FIELDS not in frame.columns else f"{EXTRA_FIELDS}_"
        frame[name] = pd.Series(extras, dtype=object)
        report.counts["rows_long"] = len(long_)
        report.problems.append(
            f"{rows_text(long_)}: more fields than the header; the surplus values are kept in "
            f"column {name!r} (as a JSON list). Check for unquoted delimiters."
        )
    return Table(frame=frame, labels=header.labels, text_entry=header.text_entry)


def read_xlsx(data: bytes, sheet: str | None, report: FileReport) -> Table:
    try:
        book = pd.ExcelFile(_io.BytesIO(data), engine="openpyxl")
    except (zipfile.BadZipFile, ValueError, KeyError, OSError) as exc:
        raise InputFileError(
            f"{report.source}: not a readable XLSX workbook ({type(exc).__name__}). "
            "Open it in Excel and save it as .xlsx again, or export it as CSV."
        ) from None
    names = [str(n) for n in book.sheet_names]
    listing = ", ".join(repr(n) for n in names)
    if sheet is None:
        if len(names) > 1:
            raise InputFileError(
                f"{report.source}: the workbook has {len(names)} sheets ({listing}); "
                "choose the one with the feedback with --sheet NAME."
            )
        sheet = names[0]
    elif sheet not in names:
        raise InputFileError(
            f"{report.source}: no sheet named {sheet!r}; the workbook has {listing}. Fix --sheet."
        )
    report.sheet = sheet
    # no NA guessing: a comment reading "N/A" or "null" is what the customer wrote
    raw = pd.read_excel(
        book, sheet_name=sheet, header=None, dtype=object, keep_default_na=False, na_values=[]
    )
    rows = [
        [None if missing(v) else v for v in row] for row in raw.itertuples(index=False, name=None)
    ]
    rows = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
    return _rows_to_table(rows, report)


def _flatten(value: Any) -> Any:
    """Nested JSON values become JSON text, so every column stays writable to Parquet/CSV."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _records_table(records: list[Any], failed: dict[int, str]) -> Table:
    keys: dict[str, None] = {}
    for rec in records:
        if isinstance(rec, dict):
            keys.update(dict.fromkeys(str(k) for k in rec))
    columns = list(keys)
    rows = [
        [_flatten(rec.get(k)) for k in columns] if isinstance(rec, dict) else [None] * len(columns)
        for rec in records
    ]
    names = unique_names(columns)
    return Table(frame=pd.DataFrame(rows, columns=names, dtype=object), failed=failed)


def read_json(data: bytes, report: FileReport) -> Table:
    text, report.encoding, _ = decode_bytes(data, report.source)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = (
            " It looks like JSON Lines (one object per line): rename it to .jsonl."
            if exc.msg == "Extra data"
            else ""
        )
        raise InputFileError(
            f"{report.source}: invalid JSON at line {exc.lineno}, column {exc.colno} "
            f"({exc.msg}).{hint}"
        ) from None
    if isinstance(doc, dict):
        lists = [
            k for k, v in doc.items() if isinstance(v, list) and any(isinstance(x, dict) for x in v)
        ]
        if len(lists) != 1:
            found = f"{len(lists)} lists of objects" if lists else "no list of objects"
            raise InputFileError(
                f"{report.source}: expected a JSON array of objects, or an object holding exactly "
                f"one such array; found an object with {found}. Export the records as an array."
            )
        doc = doc[lists[0]]
    if not isinstance(doc, list) or not any(isinstance(x, dict) for x in doc):
        found = (
            type(doc).__name__
            if not isinstance(doc, list)
            else ("an empty array" if not doc else "an array without objects")
        )
        raise InputFileError(
            f"{report.source}: expected a JSON array of objects (one per comment); found {found}."
        )
    failed = {
        i: f"record {i + 1}: expected a JSON object, found {type(x).__name__}"
        for i, x in enumerate(doc)
        if not isinstance(x, dict)
    }
    return _records_table(doc, failed)


def read_jsonl(data: bytes, report: FileReport) -> Table:
    text, report.encoding, _ = decode_bytes(data, report.source)
    records: list[Any] = []
    failed: dict[int, str] = {}
    # split on "\n" only: str.splitlines() would also break at U+2028 and other separators that
    # JSON allows raw inside strings
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            failed[len(records)] = f"line {lineno}: invalid JSON"
            rec = None
        else:
            if not isinstance(rec, dict):
                failed[len(records)] = (
                    f"line {lineno}: expected a JSON object, found {type(rec).__name__}"
                )
        records.append(rec)
    if not records:
        raise InputFileError(
            f"{report.source}: contains no records (expected one JSON object per line)."
        )
    if len(failed) == len(records):
        raise InputFileError(
            f"{report.source}: no line holds a JSON object (first problem: {failed[0]}); "
            "expected one JSON object per line."
        )
    return _records_table(records, failed)


def read_parquet(data: bytes, report: FileReport) -> Table:
    import pyarrow as pa

    try:
        frame = pd.read_parquet(_io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputFileError(
            f"{report.source}: not a readable Parquet file ({type(exc).__name__}). "
            "Write it again, or export the data as CSV."
        ) from None
    if frame.empty:
        raise _no_records(report)
    # a named index (pandas writes it to Parquet) is data, e.g. the response id
    keep_index = not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None
    frame = frame.reset_index(drop=not keep_index)
    frame.columns = unique_names([str(c) for c in frame.columns])
    return Table(frame=frame)
