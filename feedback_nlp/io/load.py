"""Reading analysts' exports exactly as their tools produce them.

``load`` turns CSV/TSV/XLSX/JSON/JSON Lines/Parquet exports into one canonical frame (schema.py
names) plus a ``FileReport`` per file saying what was read, guessed and repaired. It never
drops a record: a record that cannot be read stays as a row with status "failed" and an error,
so that rows in == rows out all the way to comments.parquet.

    >>> result = load(["nps_q3.csv", "reviews.xlsx"], sheet="Reviews")   # doctest: +SKIP
    >>> result.frame[["comment_id", "text", "score", "nps_group"]]         # doctest: +SKIP

File formats live in readers.py, decoding and mojibake repair in decoding.py, header rows in
header.py, column detection in mapping.py (names.py for the names), scores and dates in
values.py; the per-file report in filereport.py.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from feedback_nlp.errors import InputFileError
from feedback_nlp.io.decoding import repair_text
from feedback_nlp.io.filereport import FileReport, rows_text
from feedback_nlp.io.mapping import map_columns, resolve_flag
from feedback_nlp.io.questions import expand_questions, find_title, with_title
from feedback_nlp.io.readers import (
    Table,
    read_delimited,
    read_json,
    read_jsonl,
    read_parquet,
    read_xlsx,
)
from feedback_nlp.io.values import SCALES, missing, nps_group, parse_dates, parse_scores
from feedback_nlp.schema import (
    CANONICAL_COLUMNS,
    COMMENT_ID,
    CREATED_AT,
    ERROR,
    LANG,
    NPS_GROUP,
    QUESTION,
    ROW_NUMBER,
    SCORE,
    SOURCE,
    STATUS,
    STATUS_FAILED,
    TEXT,
    TITLE,
    TOUCHPOINT,
)
from feedback_nlp.settings import ReadOptions

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
# The canonical columns a read frame starts with; analyze() adds the sentiment/theme ones.
READ_COLUMNS = [
    COMMENT_ID,
    ROW_NUMBER,
    SOURCE,
    TEXT,
    LANG,
    STATUS,
    ERROR,
    SCORE,
    NPS_GROUP,
    TOUCHPOINT,
    CREATED_AT,
]


@dataclass
class LoadResult:
    """The canonical frame of all inputs, and one report per input file."""

    frame: pd.DataFrame
    files: list[FileReport]


def load(
    paths: str | Path | list[str | Path] | tuple[str | Path, ...],
    options: ReadOptions | None = None,
    **flags: Any,
) -> LoadResult:
    """Read one or more feedback exports into one canonical frame.

    Columns are detected per file from their names (several languages) unless named by the
    keyword arguments, which mirror the CLI flags: ``text_col``, ``id_col``, ``score_col``,
    ``score_scale`` (auto | nps | stars | csat | ces), ``touchpoint_col``, ``date_col``,
    ``lang_col``, ``sheet`` (see :class:`feedback_nlp.settings.ReadOptions`; or pass one as
    `options`). ``text_col`` may name several columns (a list): each is an open question, and
    each response gives one row per question (so do several detected ones; see questions.py).
    Raises a FeedbackError subclass with a one-line message for anything the user can fix.

    >>> load("nps_q3.csv").frame.text.head()                 # doctest: +SKIP
    """
    options = _read_options(options, flags)
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not items:
        raise InputFileError("no input files given; pass at least one export file.")
    texts = options.text_cols()
    columns = {
        COMMENT_ID: options.id_col,
        CREATED_AT: options.date_col,
        SCORE: options.score_col,
        LANG: options.lang_col,
        TOUCHPOINT: options.touchpoint_col,
        TEXT: texts[0] if texts else None,
    }
    frames, reports = [], []
    for item in items:
        frame, report = _load_file(
            Path(item).expanduser(), columns, options.score_scale, options.sheet, texts
        )
        frames.append(frame)
        reports.append(report)
    _make_ids_unique_across(frames, reports)
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return LoadResult(frame=frame, files=reports)


def read_feedback(
    paths: str | Path | list[str | Path] | tuple[str | Path, ...],
    options: ReadOptions | None = None,
    **flags: Any,
) -> pd.DataFrame:
    """Read exports into the canonical frame; the keyword arguments are those of :func:`load`.
    The per-file reports ride along in ``frame.attrs["read_report"]`` (a list of FileReport
    dicts), for the user to look at.

    >>> feedback = read_feedback("nps_q3.csv", score_scale="nps")   # doctest: +SKIP
    """
    result = load(paths, _read_options(options, flags))
    result.frame.attrs["read_report"] = [f.to_dict() for f in result.files]
    return result.frame


# --- one file -----------------------------------------------------------------------------------


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputFileError(f"{path}: file not found. Check the path and the file name.")
    if path.is_dir():
        raise InputFileError(
            f"{path}: is a folder, expected a file. Pass the export files inside it."
        )
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputFileError(
            f"{path.name}: unsupported file type {suffix or '(no extension)'!r}; expected one of "
            f"{', '.join(FORMATS)}. Export the data as CSV or XLSX."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror}).") from None
    if not data:
        raise InputFileError(
            f"{path.name}: the file is empty (0 bytes); expected a header row and data rows."
        )
    return data


def _load_file(
    path: Path,
    flags: dict[str, str | None],
    score_scale: str,
    sheet: str | None,
    texts: list[str],
) -> tuple[pd.DataFrame, FileReport]:
    data = _read_bytes(path)
    fmt = FORMATS[path.suffix.lower()]
    report = FileReport(
        source=path.name, path=str(path), sha256=hashlib.sha256(data).hexdigest(), format=fmt
    )
    if fmt in ("csv", "tsv"):
        table = read_delimited(data, path.suffix.lower(), report)
    elif fmt == "xlsx":
        table = read_xlsx(data, sheet, report)
    elif fmt == "json":
        table = read_json(data, report)
    elif fmt == "jsonl":
        table = read_jsonl(data, report)
    else:
        table = read_parquet(data, report)
    _repair(table, report)
    report.rows = len(table.frame)
    report.columns_found = [str(c) for c in table.frame.columns]
    return _assemble(table, report, flags, score_scale, texts), report


def _repair(table: Table, report: FileReport) -> None:
    """Repair encoding damage in every text cell (and header), counting cells per kind."""
    frame = table.frame
    renamed = {}
    for col in frame.columns:
        fixed, kinds = repair_text(str(col))
        if kinds and fixed and fixed not in frame.columns:
            renamed[col] = fixed
            report.repairs["header_names"] = report.repairs.get("header_names", 0) + 1
    if renamed:
        frame.rename(columns=renamed, inplace=True)
        table.labels = {renamed.get(k, k): v for k, v in table.labels.items()}
        table.text_entry = [renamed.get(k, k) for k in table.text_entry]
    for col in frame.columns:
        if not (frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])):
            continue
        values = frame[col].tolist()
        changed = False
        for i, v in enumerate(values):
            if isinstance(v, str) and (not v.isascii() or "\x00" in v):
                fixed, kinds = repair_text(v)
                if kinds:
                    values[i] = fixed
                    changed = True
                    for kind in kinds:
                        report.repairs[kind] = report.repairs.get(kind, 0) + 1
        if changed:
            frame[col] = pd.Series(values, index=frame.index, dtype=object)


# --- canonical frame ----------------------------------------------------------------------------


def _as_text(v: Any) -> str | None:
    """A cell as the string a reader of the export would see (Excel gives 5.0 for 5)."""
    if missing(v):
        return None
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _assemble(
    table: Table,
    report: FileReport,
    flags: dict[str, str | None],
    score_scale: str,
    texts: list[str],
) -> pd.DataFrame:
    raw = table.frame
    n = len(raw)
    questions: list[str] = []
    mapping = map_columns(
        raw,
        table.labels,
        flags,
        report.source,
        table.text_entry,
        notes=report.problems,
        questions=questions,
    )
    columns = [str(c) for c in raw.columns]
    if len(texts) > 1:  # --text-col given more than once: those questions, in that order
        questions = [resolve_flag(columns, table.labels, t, "--text-col", report.source) for t in texts]
        questions = list(dict.fromkeys(questions))
    if len(questions) > 1:
        report.questions = [table.labels.get(q, q) for q in questions]
    title = find_title(raw, set(mapping.values())) if len(questions) <= 1 else None
    report.title = title
    report.mapping = dict(mapping)
    row_numbers = list(range(1, n + 1))

    def column(role: str) -> list[Any]:
        return raw[mapping[role]].tolist() if role in mapping else [None] * n

    out = pd.DataFrame(index=pd.RangeIndex(n))
    ids = [_as_text(v) for v in column(COMMENT_ID)]
    ids = [i if i is not None else f"{report.source}:{r}" for i, r in zip(ids, row_numbers)]
    seen: set[str] = set()
    repeated: list[int] = []
    for k, (cid, r) in enumerate(zip(ids, row_numbers)):
        if cid in seen:
            ids[k] = f"{cid}#{r}"
            repeated.append(r)
        seen.add(ids[k])
    if repeated:
        report.problems.append(
            f"{rows_text(repeated)}: the id repeats an earlier row's; made unique by appending "
            "'#<row_number>' to comment_id."
        )
    out[COMMENT_ID] = pd.Series(ids, dtype="str")
    out[ROW_NUMBER] = pd.array(row_numbers, dtype="Int64")
    out[SOURCE] = pd.Series([report.source] * n, dtype="str")
    bodies = [_as_text(v) for v in column(TEXT)]
    if title is not None:
        titles = [_as_text(v) for v in raw[title].tolist()]
        bodies = with_title(titles, bodies)
    out[TEXT] = pd.Series(bodies, dtype="str")
    out[LANG] = pd.Series([_as_text(v) for v in column(LANG)], dtype="str")
    status = [None] * n
    errors = [None] * n
    for k, message in table.failed.items():
        status[k], errors[k] = STATUS_FAILED, message
    out[STATUS] = pd.Series(status, dtype="str")
    out[ERROR] = pd.Series(errors, dtype="str")
    report.counts["rows_failed"] = len(table.failed)
    if table.failed:
        report.problems.append(
            f"{rows_text(sorted(k + 1 for k in table.failed))}: could not be read; kept with "
            "status 'failed' and the reason in the error column."
        )

    scores = parse_scores(column(SCORE), score_scale, mapping.get(SCORE, ""))
    report.score_scale = scores.scale if SCORE in mapping else None
    report.score_words = scores.words
    report.score_direction, report.score_points = scores.direction, scores.points
    report.counts["scores_out_of_range"] = len(scores.out_of_range)
    report.counts["scores_unparsed"] = len(scores.unparsed)
    if scores.out_of_range:
        low, high = SCALES[scores.scale]
        report.problems.append(
            f"score ({mapping[SCORE]!r}): {rows_text(scores.out_of_range)} outside the "
            f"{scores.scale} range {low:g}-{high:g}; set to empty. Check --score-scale."
        )
    if scores.unparsed:
        report.problems.append(
            f"score ({mapping[SCORE]!r}): {rows_text(scores.unparsed)} not readable as a score; "
            "set to empty."
        )
    out[SCORE] = pd.array(scores.values, dtype="Float64")
    groups = [nps_group(s) for s in scores.values] if scores.scale == "nps" else [None] * n
    out[NPS_GROUP] = pd.Series(groups, dtype="str")
    out[TOUCHPOINT] = pd.Series([_as_text(v) for v in column(TOUCHPOINT)], dtype="str")

    dates, unparsed, note = parse_dates(column(CREATED_AT))
    out[CREATED_AT] = dates
    report.counts["dates_unparsed"] = len(unparsed)
    if unparsed:
        report.problems.append(
            f"created_at ({mapping[CREATED_AT]!r}): {rows_text(unparsed)} not readable as a date; "
            "set to empty."
        )
    if note and CREATED_AT in mapping:
        report.problems.append(note)

    if title is not None:
        out[TITLE] = pd.Series(titles, dtype="str")
    consumed = set(mapping.values()) | set(questions) | ({title} if title else set())
    taken = set(out.columns) | ({QUESTION} if len(questions) > 1 else set())
    for col in raw.columns:
        if col in consumed:
            continue
        name = str(col)
        if name in CANONICAL_COLUMNS or name in taken:
            name = f"{name}_input"
            while name in taken or name in raw.columns:
                name += "_"
        out[name] = _passthrough(raw[col])
        taken.add(name)
    if len(questions) > 1:
        answers = [raw[q].tolist() for q in questions]
        out = expand_questions(out, answers, report.questions, _as_text)
    return out


def _passthrough(values: pd.Series) -> pd.Series:
    """The user's column with its natural dtype; a column mixing kinds of values (numbers and
    "n/a" in one spreadsheet column) becomes text, or Parquet could not store it."""
    if values.dtype != object:
        return values
    inferred = values.infer_objects()
    if inferred.dtype == object:
        kinds = {type(v) for v in inferred if not missing(v)}
        if len(kinds) > 1:
            return pd.Series([_as_text(v) for v in inferred], index=values.index, dtype="str")
    return inferred


def _make_ids_unique_across(frames: list[pd.DataFrame], reports: list[FileReport]) -> None:
    """Two exports numbered 1..n would share comment ids, and ids join mentions to comments;
    prefix the later file's colliding ids with its file name (and its position if names repeat)."""
    seen: set[str] = set()
    for k, (frame, report) in enumerate(zip(frames, reports)):
        ids = frame[COMMENT_ID]
        if seen and ids.isin(seen).any():
            prefix = report.source
            if any(r.source == report.source for r in reports[:k]):
                prefix = f"{report.source}#{k + 1}"
            frame[COMMENT_ID] = (prefix + ":" + ids).astype("str")
            report.problems.append(
                f"comment ids also occur in an earlier input file; prefixed with '{prefix}:'."
            )
        seen.update(frame[COMMENT_ID].tolist())


def _read_options(options: ReadOptions | None, flags: dict[str, Any]) -> ReadOptions:
    if options is not None and flags:
        raise TypeError("pass either a ReadOptions or keyword arguments, not both")
    if "redact_pii" in flags:  # reading keeps the text as written; cleaning redacts
        raise TypeError("redact_pii applies when comments are cleaned: pass it to analyze() or run()")
    return options if options is not None else ReadOptions(**flags)
