"""Compare two output folders of `feedback-nlp analyze`: are comments.parquet, mentions.parquet and
themes.csv the same?

Used to show that a change that should not change results (a refactor, a faster backend) did
not: run the same export before and after, then

    python scripts/compare_outputs.py out/before out/after            # exact
    python scripts/compare_outputs.py golden/ out/ --atol 1e-4        # floats within 1e-4

Prints one line per file (`same` or what differs) and exits 1 when any differs. Float columns
are compared within --atol (default 0: exact); everything else exactly. Comment text is never
printed, only column names and row numbers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("comments.parquet", "mentions.parquet", "themes.csv")
MAX_ROWS_SHOWN = 5


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False, dtype=str, encoding="utf-8-sig")
    return pd.read_parquet(path)


def _cell_text(value: object) -> str:
    """A comparable form of any cell: lists and arrays (the `themes` column) as their items."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "\x1f".join(map(str, value))
    try:
        if pd.isna(value):
            return "<NA>"
    except (TypeError, ValueError):
        pass
    return str(value)


def _float_column(a: pd.Series, b: pd.Series) -> bool:
    return pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b)


def _all_text(values: pd.Series) -> bool:
    return bool(values.map(lambda v: isinstance(v, str)).all())


def _numeric_text(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """A CSV column of numbers on both sides (read as text), as floats; None otherwise."""
    x, y = pd.to_numeric(a, errors="coerce"), pd.to_numeric(b, errors="coerce")
    filled = (a != "") | (b != "")
    if x[filled].isna().any() or y[filled].isna().any():
        return None
    return x.to_numpy(float), y.to_numpy(float)


def compare_frames(a: pd.DataFrame, b: pd.DataFrame, atol: float = 0.0) -> list[str]:
    """What differs between two frames: columns, row count, then per column the first rows."""
    problems = []
    if list(a.columns) != list(b.columns):
        only_a = [c for c in a.columns if c not in b.columns]
        only_b = [c for c in b.columns if c not in a.columns]
        problems.append(f"columns differ (only in first: {only_a}, only in second: {only_b})")
    if len(a) != len(b):
        return problems + [f"{len(a)} rows vs {len(b)}"]
    for col in [c for c in a.columns if c in b.columns]:
        x, y = a[col].reset_index(drop=True), b[col].reset_index(drop=True)
        numbers = None
        if _float_column(x, y):
            numbers = x.to_numpy(float), y.to_numpy(float)
        elif atol > 0 and _all_text(x) and _all_text(y):  # a CSV column read as text
            numbers = _numeric_text(x, y)
        if numbers is not None:
            p, q = numbers
            same = np.isclose(p, q, rtol=0.0, atol=atol, equal_nan=True)
        else:
            same = np.array([_cell_text(u) == _cell_text(v) for u, v in zip(x, y)], dtype=bool)
        if not same.all():
            rows = np.flatnonzero(~same)
            shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
            more = f" (+{len(rows) - MAX_ROWS_SHOWN} more)" if len(rows) > MAX_ROWS_SHOWN else ""
            problems.append(f"column {col!r}: {len(rows)} rows differ, rows {shown}{more}")
    return problems


def compare_folders(first: Path, second: Path, atol: float = 0.0) -> dict[str, list[str]]:
    """File name -> what differs (an empty list: the same)."""
    result = {}
    for name in FILES:
        pa, pb = first / name, second / name
        missing = [str(p) for p in (pa, pb) if not p.is_file()]
        if missing:
            result[name] = [f"missing: {', '.join(missing)}"]
            continue
        result[name] = compare_frames(_read(pa), _read(pb), atol)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("first", type=Path, help="an output folder")
    p.add_argument("second", type=Path, help="another output folder")
    p.add_argument("--atol", type=float, default=0.0, help="tolerance for float columns")
    args = p.parse_args(argv)
    result = compare_folders(args.first, args.second, args.atol)
    for name, problems in result.items():
        print(f"{name}: {'same' if not problems else 'DIFFERENT'}")
        for problem in problems:
            print(f"  - {problem}")
    return 1 if any(result.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
