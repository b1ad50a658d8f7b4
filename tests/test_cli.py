"""The command line through Typer's CliRunner: help texts, exit codes, output files, no tracebacks."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from feedback_nlp import schema as s
from feedback_nlp.cli import app

runner = CliRunner()

SECRET = "My secret complaint about Zbigniew"


def _commands(typer_app):
    import typer.main

    group = typer.main.get_command(typer_app)
    yield from group.commands.items()
    for name, cmd in group.commands.items():
        for sub, subcmd in getattr(cmd, "commands", {}).items():
            yield f"{name} {sub}", subcmd


def test_top_level_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "analyze" in result.output and "inspect" in result.output


@pytest.mark.parametrize("name", [name for name, _ in _commands(app)])
def test_every_command_has_help_with_example(name):
    result = runner.invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`{name} --help` shows no example"
    assert "feedback-nlp" in result.output.split("Example:")[1]


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "nps.csv"
    pd.DataFrame(
        {
            "Response ID": ["r1", "r2", "r3", "r3", "r4"],
            "Score": ["9", "3", "", "", "10 - Extremely likely"],
            "Comment": [
                "Fast delivery and friendly staff, thank you!",
                "The parcel arrived two weeks late and the box was damaged.",
                "n/a",
                "n/a",
                SECRET,
            ],
        }
    ).to_csv(path, index=False)
    return path


def test_analyze_writes_the_output_folder_with_every_row(export, tmp_path, patched_models):
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(export), "-o", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("comments.parquet", "comments.csv", "manifest.json"):
        assert (out / name).exists(), name
    comments = pd.read_parquet(out / "comments.parquet")
    assert len(comments) == 5
    assert comments[s.STATUS].notna().all()
    assert set(comments[s.STATUS]) <= set(s.STATUSES)
    assert list(comments.columns[: len(s.CANONICAL_COLUMNS)]) == s.CANONICAL_COLUMNS
    assert comments[s.STATUS].tolist()[2] == s.STATUS_EMPTY
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"]["read"] == 5
    assert manifest["inputs"][0]["source"] == "nps.csv"
    assert len(manifest["inputs"][0]["sha256"]) == 64
    assert "Output written to" in result.output
    assert SECRET not in result.output
    # what was read for what, and why nothing is ranked
    assert "text ← 'Comment'" in result.output and "score ← 'Score'" in result.output
    said = " ".join(result.output.split())  # the reason may wrap
    assert "No complaint theme reached min_mentions=5 negative mentions; the largest has" in said
    assert "Warning" not in said  # printed once, as the reason, not as a Python warning


def test_analyze_prints_each_files_problems(export, tmp_path, patched_models):
    titled = tmp_path / "titled.csv"
    titled.write_text("NPS export Q3,,\n" + export.read_text(), encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(titled), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "  ! titled.csv: the first row (a title or notes above the header" in result.output
    assert SECRET not in result.output


def test_an_output_folder_that_cannot_be_written_is_a_user_error(export, tmp_path, monkeypatch):
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    result = runner.invoke(app, ["analyze", str(export), "-o", str(taken)])
    assert result.exit_code == 1, result.output
    assert "is a file; the output (-o) is a folder" in " ".join(result.output.split())

    def refuse(*args, **kwargs):  # what a read-only folder does (root could write anyway)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("feedback_nlp.runner.pipeline.tempfile.TemporaryFile", refuse)
    result = runner.invoke(app, ["analyze", str(export), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert "cannot write the output there (Permission denied)" in message


def test_analyze_quiet_prints_nothing(export, tmp_path, patched_models):
    result = runner.invoke(app, ["analyze", str(export), "-o", str(tmp_path / "o"), "--quiet"])
    assert result.exit_code == 0
    assert result.output == ""


def test_python_m_entry_point_runs(export, tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "feedback_nlp", "inspect", str(export), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["rows"] == 5
    assert report["files"][0]["mapping"]["text"] == "Comment"


def test_inspect_shows_format_mapping_and_counts(export):
    result = runner.invoke(app, ["inspect", str(export)])
    assert result.exit_code == 0, result.output
    assert "csv" in result.output
    assert "Comment" in result.output
    assert "Rows: 5" in result.output
    assert SECRET not in result.output


@pytest.mark.parametrize(
    "args, needle",
    [
        (["analyze", "does-not-exist.csv", "-o", "out"], "does-not-exist.csv"),
        (["inspect", "does-not-exist.csv"], "does-not-exist.csv"),
    ],
)
def test_missing_file_is_one_line_error_exit_1(args, needle, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert needle in result.output
    assert result.output.strip().startswith("Error:")


def test_wrong_column_flag_suggests_the_closest(export, tmp_path):
    result = runner.invoke(app, ["inspect", str(export), "--text-col", "Coment"])
    assert result.exit_code == 1
    assert "Comment" in result.output
    assert "Traceback" not in result.output


def test_bad_score_scale_is_a_usage_error(export):
    result = runner.invoke(app, ["inspect", str(export), "--score-scale", "percent"])
    assert result.exit_code == 1
    assert "--score-scale" in result.output


def test_broken_jsonl_line_is_accounted_for_with_exit_2(tmp_path, patched_models):
    path = tmp_path / "reviews.jsonl"
    path.write_text('{"review": "Great app"}\n{"review": "broken\n{"review": "Crashes a lot"}\n')
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(path), "-o", str(out)])
    assert result.exit_code == 2, result.output
    comments = pd.read_parquet(out / "comments.parquet")
    assert len(comments) == 3
    assert comments[s.STATUS].tolist().count(s.STATUS_FAILED) == 1
    assert "line 2" in comments.loc[comments[s.STATUS] == s.STATUS_FAILED, s.ERROR].iloc[0]


def test_taxonomy_check_ok_and_problems_with_places(tmp_path):
    ok = runner.invoke(app, ["taxonomy", "check", "ecommerce-cx"])
    assert ok.exit_code == 0 and ok.output.startswith("OK:")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\ntouchpoints:\n  a:\n    themes:\n      b:\n        keywords:\n          de: 5\n"
    )
    result = runner.invoke(app, ["taxonomy", "check", str(bad)])
    assert result.exit_code == 1
    assert "touchpoints.a.themes.b.keywords.de" in result.output
    assert "line 7" in result.output


def test_taxonomy_show_yaml_round_trips(tmp_path):
    result = runner.invoke(app, ["taxonomy", "show", "restaurant", "--yaml"])
    assert result.exit_code == 0
    path = tmp_path / "mine.yaml"
    path.write_text(result.output)
    assert runner.invoke(app, ["taxonomy", "check", str(path)]).exit_code == 0


def test_taxonomy_show_marks_catch_all_themes():
    result = runner.invoke(app, ["taxonomy", "show", "telecom"])
    assert result.exit_code == 0
    assert "(catch-all)" in result.output  # in the label column (the table wraps it)
    assert "gives way to a specific theme" in " ".join(result.output.split())
    plain = runner.invoke(app, ["taxonomy", "show", "restaurant"])
    assert "(catch-all)" not in plain.output


def test_taxonomy_list_names_every_shipped_taxonomy():
    from feedback_nlp.themes.taxonomy_file import shipped_taxonomies

    result = runner.invoke(app, ["taxonomy", "list"], terminal_width=200)
    assert result.exit_code == 0
    for name in shipped_taxonomies():
        assert name in result.output


def test_summarize_and_report_rerank_an_existing_analysis(export, tmp_path, patched_models):
    out = tmp_path / "out"
    assert runner.invoke(app, ["analyze", str(export), "-o", str(out), "-q"]).exit_code == 0
    (out / "report.html").unlink()
    result = runner.invoke(app, ["summarize", str(out), "--by", "lang", "--min-mentions", "1"])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    themes = pd.read_csv(out / "themes.csv")
    assert "group" in themes.columns
    result = runner.invoke(app, ["report", str(out), "--taxonomy", "ecommerce-cx", "-q"])
    assert result.exit_code == 0, result.output
    missing = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1 and "not a complete feedback-nlp output folder" in missing.output


def _analysis_folder(path, mentions: pd.DataFrame):
    """An output folder as `analyze` leaves it, with the given mentions (no models needed)."""
    path.mkdir()
    ids = sorted(set(mentions["comment_id"])) or ["c0"]
    pd.DataFrame({"comment_id": ids, "themes": [[] for _ in ids]}).to_parquet(
        path / "comments.parquet"
    )
    mentions.to_parquet(path / "mentions.parquet")
    manifest = {"inputs": [{"path": "/data/complaints.csv"}],
                "models": {"taxonomy": "ecommerce-cx@0"}}  # fmt: skip
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return path


def test_taxonomy_suggest_writes_the_discovered_themes_as_a_taxonomy(tmp_path):
    from feedback_nlp.themes.taxonomy_file import load_taxonomy

    n = 5
    mentions = pd.DataFrame(
        {
            "comment_id": [f"c{i}" for i in range(n)] + ["k0"],
            "clause_text": ["router activation failed", "Router activation failed again",
                            "router activation never worked", "Router-Aktivierung fehlgeschlagen",
                            "router activation failed", "late parcel"],
            "touchpoint": ["other"] * n + ["delivery"],
            "theme": ["discovered_router_activation"] * n + ["late_delivery"],
            "label": ["Router activation"] * n + ["Late or slow delivery"],
            "match": ["discovered"] * n + ["keyword"],
            "confidence": [0.91, 0.95, 0.7, 0.8, 0.6, 0.9],
            "lang": ["en", "en", "en", "de", "en", "en"],
            "key_phrases": ["en: router activation; activation | de: Router-Aktivierung"] * n
            + [None],
        }
    )  # fmt: skip
    out = _analysis_folder(tmp_path / "out", mentions)
    target = tmp_path / "suggested.yaml"
    result = runner.invoke(app, ["taxonomy", "suggest", str(out), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output and "--taxonomy" in result.output
    assert runner.invoke(app, ["taxonomy", "check", str(target)]).exit_code == 0
    tax = load_taxonomy(str(target))  # the loader accepts it: round trip
    (theme,) = tax.themes
    assert (theme.touchpoint, theme.id, theme.label) == (
        "other", "router_activation", "Router activation"
    )  # fmt: skip
    assert tax.touchpoints[0].label == "Other"
    assert theme.description == "Discovered in complaints.csv: 5 mentions"
    assert theme.keywords["en"] == ("router activation", "activation")
    assert theme.keywords["de"] == ("Router-Aktivierung",)
    # most central first, one per comment, taxonomy mentions never
    assert list(theme.examples) == ["Router activation failed again", "router activation failed",
                                    "Router-Aktivierung fehlgeschlagen"]  # fmt: skip


def test_taxonomy_suggest_without_discovered_themes_is_a_one_line_error(tmp_path):
    one = {"comment_id": "k0", "clause_text": "late parcel", "touchpoint": "delivery",
           "theme": "late_delivery", "label": "Late", "match": "keyword", "confidence": 0.9,
           "lang": "en"}  # fmt: skip
    mentions = pd.DataFrame([one])
    out = _analysis_folder(tmp_path / "out", mentions)
    result = runner.invoke(app, ["taxonomy", "suggest", str(out)])
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert "no discovered themes" in line and "Traceback" not in result.output
    assert not (out / "suggested.yaml").exists()
