"""Output writers: atomic files and spreadsheet-safe CSV."""

from __future__ import annotations

import pandas as pd
import pytest

from feedback_nlp.output import atomic_path, neutralize_formulas, write_csv


def test_formula_cells_are_neutralised_and_lists_joined_first(tmp_path):
    df = pd.DataFrame(
        {"text": ["=HYPERLINK(1)", "+1", "-", "@x", "fine"], "themes": [["=a", "b"], [], [], [], []]}
    )
    write_csv(df, tmp_path / "c.csv")
    back = pd.read_csv(tmp_path / "c.csv", encoding="utf-8-sig", keep_default_na=False)
    assert back["text"].tolist() == ["'=HYPERLINK(1)", "'+1", "'-", "'@x", "fine"]
    assert back["themes"].iloc[0] == "'=a; b"


def test_empty_frame_writes_a_header_only_csv(tmp_path):
    write_csv(pd.DataFrame({"text": pd.Series([], dtype="str")}), tmp_path / "e.csv")
    assert (tmp_path / "e.csv").read_text(encoding="utf-8-sig").strip() == "text"


def test_neutralize_leaves_numbers_and_missing_alone():
    df = pd.DataFrame({"n": [-1, 2], "t": [None, "ok"]})
    out = neutralize_formulas(df)
    assert out["n"].tolist() == [-1, 2]
    assert out["t"].isna().iloc[0] and out["t"].iloc[1] == "ok"


def test_failed_write_leaves_no_file_under_the_final_name(tmp_path):
    target = tmp_path / "report.html"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
