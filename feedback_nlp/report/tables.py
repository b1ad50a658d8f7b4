"""themes.csv's frame and report.xlsx: list columns as JSON arrays in the CSV; in the workbook,
text that a spreadsheet would run as a formula is neutralised and sheets fit Excel's limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from feedback_nlp.output import neutralize_formulas, write_atomic

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, the header included
EXCEL_MAX_CELL = 32_767  # characters per cell
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _json_list(value):
    if not isinstance(value, (list, tuple, np.ndarray)):
        return value
    items = [None if x is None or (isinstance(x, float) and np.isnan(x)) else x for x in value]
    return json.dumps(items, ensure_ascii=False, default=str)


def themes_for_csv(themes: pd.DataFrame) -> pd.DataFrame:
    """themes.csv's frame: list columns as JSON arrays (unambiguous, readable in a spreadsheet)."""
    out = themes.copy() if len(themes) else themes.astype(object)  # empty str columns: see output
    for col in out.columns:
        if any(isinstance(v, (list, tuple, np.ndarray)) for v in out[col].tolist()):
            out[col] = pd.Series(
                [_json_list(v) for v in out[col].tolist()], index=out.index, dtype=object
            )
    return out


def _cell(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return (
            value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value
        ).to_pydatetime()
    if isinstance(value, (list, tuple, np.ndarray)):
        value = "; ".join("" if x is None else str(x) for x in value)
    if isinstance(value, (str, int, float, bool, datetime)):
        if isinstance(value, str):
            value = _ILLEGAL_XLSX.sub("", value)[:EXCEL_MAX_CELL]
        return value
    return str(value)


def _sheet_rows(df: pd.DataFrame) -> Iterable[list]:
    frame = df.copy()
    for col in frame.columns:  # lists first, so a joined "=..." is neutralised below
        if frame[col].dtype == object:
            frame[col] = frame[col].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v
            )
    frame = neutralize_formulas(frame)
    columns = [frame[c].tolist() for c in frame.columns]
    for values in zip(*columns):
        yield [_cell(v) for v in values]


def write_xlsx(
    path: str | Path,
    comments: pd.DataFrame,
    mentions: pd.DataFrame,
    themes: pd.DataFrame,
    *,
    summary: dict | None = None,
    by_touchpoint: pd.DataFrame | None = None,
) -> Path:
    """report.xlsx: sheets summary, themes, mentions, comments (and "themes by touchpoint", the
    taxonomy view, when `themes` ranks by the export's stage / channel). Text cells that a spreadsheet would
    run as a formula are neutralised; a sheet over Excel's row limit is cut, with a note.

    Written with XlsxWriter row by row (`constant_memory`), faster than openpyxl's write-only mode
    (a warm 100k run's `write` stage: 19.6 vs 27.6 s, docs/benchmarks.md). Every string is
    written as a string — no formula, URL or number conversion."""
    import xlsxwriter  # imported here: only report writing needs it

    notes: list[str] = []
    sheets = [("themes", themes_for_csv(themes)), ("mentions", mentions), ("comments", comments)]
    if by_touchpoint is not None:
        sheets.insert(1, ("themes by touchpoint", themes_for_csv(by_touchpoint)))
    limit = EXCEL_MAX_ROWS - 2  # header + the note row
    for name, frame in sheets:
        if len(frame) > limit:
            notes.append(
                f"Sheet '{name}' truncated to its first {limit:,} of {len(frame):,} rows "
                "(Excel's row limit); the full data is in the parquet/CSV files."
            )

    def save(tmp: Path) -> None:
        options = {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd hh:mm:ss",
            "remove_timezone": True,
        }
        wb = xlsxwriter.Workbook(str(tmp), options)
        summary_ws = wb.add_worksheet("summary")
        summary_ws.set_column(0, 0, 22)
        summary_ws.set_column(1, 1, 80)
        items = [*(summary or {}).items(), *(("note", n) for n in notes)]
        for r, (key, value) in enumerate(items):
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items())
            row = next(_sheet_rows(pd.DataFrame({"k": [str(key)], "v": [value]}, dtype=object)))
            summary_ws.write_row(r, 0, row)
        for name, frame in sheets:
            ws = wb.add_worksheet(name)
            ws.write_row(0, 0, [_cell(str(c)) for c in frame.columns])
            r = 0
            for r, row in enumerate(_sheet_rows(frame.head(limit)), start=1):
                ws.write_row(r, 0, row)
            if len(frame) > limit:
                note = f"… truncated: {len(frame) - limit:,} more rows not shown (Excel's limit)"
                ws.write_row(r + 1, 0, [note])
        wb.close()

    return write_atomic(Path(path), save)
