"""Writing the output folder (DESIGN.md, contract 2): atomic files, formula-safe CSV, the manifest.

Every file is written to a temporary name in the same folder and renamed into place, so a killed
run never leaves a half-written file under its final name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

# Spreadsheet apps run a cell that starts with one of these as a formula ("CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; outputs are ordinary files
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, writer: Callable[[Path], None]) -> Path:
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would evaluate with a quote, so they show as text."""
    out = df.copy()
    for col in out.columns:
        values = out[col].tolist()
        if any(isinstance(v, str) and v.startswith(FORMULA_PREFIXES) for v in values):
            out[col] = pd.Series(
                [
                    "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v
                    for v in values
                ],
                index=out.index,
                dtype=object,
            )
    return out


def to_parquet_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Make user columns of mixed Python types storable: Parquet needs one type per column."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            kinds = {type(v) for v in out[col].dropna()}
            if len(kinds) > 1 or (kinds and not kinds <= {str, list, bool, int, float}):
                out[col] = out[col].map(lambda v: v if v is None or v is pd.NA else str(v))
    return out


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    frame = to_parquet_frame(df)
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """UTF-8 with BOM so Excel shows accents and Thai correctly; formula cells neutralised."""
    frame = df.copy()
    for col in frame.columns:  # lists (themes) as "a; b": readable in a spreadsheet
        values = frame[col].tolist()
        if any(isinstance(v, list) for v in values):
            frame[col] = pd.Series(
                ["; ".join(map(str, v)) if isinstance(v, list) else v for v in values],
                index=frame.index,
                dtype=object,
            )
    frame = neutralize_formulas(frame)  # after joining: a list may start with "="
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8-sig"))


def write_json(data: dict, path: Path) -> Path:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    return write_atomic(path, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
