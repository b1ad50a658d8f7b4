"""The real models end to end on the bundled sample, as `make demo` runs it (marked `models`)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

import feedback_nlp as fnlp
from feedback_nlp import schema as s

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "nps_sample.csv"
# The outputs of the sample in fp32: a change that should not change results is checked against
# them. Written by a375064 (before the move into folders); regenerated when the ranking began to
# group by the export's own channels (issue 18) — each regeneration says why in its commit.
GOLDEN = Path(__file__).resolve().parent / "golden" / "nps_sample"

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.getbasetemp() / "fnlp-home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEEDBACK_NLP_HOME", str(home))
        out = tmp_path_factory.mktemp("demo")
        # fp32: the same numbers on every CPU (bf16 autocast, the torch backend's default where
        # the CPU has it, would not match the golden outputs below); the onnx backend is fp32
        result, themes = fnlp.run(SAMPLE, out, precision="fp32")
    return out, result, themes


def test_every_row_is_in_the_output_with_a_status(demo):
    out, _result, _themes = demo
    comments = pd.read_parquet(out / "comments.parquet")
    raw = pd.read_csv(SAMPLE, encoding="utf-8-sig", keep_default_na=False)
    assert len(comments) == len(raw)
    assert comments[s.STATUS].isin(s.STATUSES).all()
    for name in ("mentions.parquet", "themes.csv", "report.html", "report.md", "report.xlsx"):
        assert (out / name).is_file(), name


def test_sentiment_agrees_with_the_customers_own_score(demo):
    _out, result, _themes = demo
    c = result.comments[result.comments[s.STATUS] == s.STATUS_ANALYZED]
    assert c[s.SENTIMENT].notna().all()
    detractors = c[c[s.NPS_GROUP] == "detractor"]
    promoters = c[c[s.NPS_GROUP] == "promoter"]
    assert (detractors[s.SENTIMENT] == "negative").mean() >= 0.8
    assert (promoters[s.SENTIMENT] == "positive").mean() >= 0.8


def test_most_comments_get_a_theme_and_late_delivery_is_found(demo):
    _out, result, themes = demo
    c = result.comments[result.comments[s.STATUS] == s.STATUS_ANALYZED]
    coverage = (c[s.THEMES].map(len) > 0).mean()
    assert coverage >= 0.9, coverage
    assert "late_delivery" in set(result.mentions[s.THEME])
    assert len(themes) > 0 and themes[s.RANK].notna().any()


def test_report_escapes_hostile_comment_text(demo):
    out, _result, _themes = demo
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "<script" not in html.lower()


def test_manifest_records_models_inputs_and_timings(demo):
    out, _result, _themes = demo
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["models"]["encoder"].startswith("builtin:e5-small")
    # the default backend ran both builtin models, from fingerprinted graphs
    assert manifest["models"]["sentiment_backend"] == manifest["models"]["encoder_backend"] == "onnx"
    assert manifest["models"]["sentiment_graph"].startswith("onnx-")
    assert manifest["models"]["encoder_graph"].startswith("onnx-")
    assert manifest["inputs"][0]["source"] == "nps_sample.csv"
    assert manifest["rows"]["read"] == manifest["rows"]["analyzed"] + manifest["rows"].get(
        "empty", 0
    ) + manifest["rows"].get("duplicate", 0) + manifest["rows"].get("failed", 0)
    assert set(manifest["timings_s"]) >= {"read", "clean", "sentiment", "themes", "write"}


def test_the_sample_gets_the_ecommerce_taxonomy_by_itself(demo):
    """The default, taxonomy auto: the sample (an online fashion shop's NPS export) is matched
    best by ecommerce-cx, and the golden outputs below were made with it."""
    out, _result, _themes = demo
    manifest = json.loads((out / "manifest.json").read_text())
    choice = manifest["taxonomy_choice"]
    assert choice["how"] == "auto" and choice["chosen"] == "ecommerce-cx" and choice["fits"]
    assert manifest["options"]["models"]["taxonomy"] == "ecommerce-cx"
    # Markdown escapes the brackets: "**Taxonomy:** ecommerce-cx \\(auto: covers 96 % ..."
    assert "**Taxonomy:** ecommerce-cx \\(auto: covers" in (out / "report.md").read_text()


def test_outputs_equal_the_golden_ones(demo):
    """comments.parquet, mentions.parquet and themes.csv as recorded in tests/golden (floats
    within 1e-4: another CPU may round the last bits of fp32 differently). Regenerate them only
    for a change meant to change results, and say why in the commit."""
    out, _result, _themes = demo
    spec = importlib.util.spec_from_file_location(
        "compare_outputs", ROOT / "scripts" / "compare_outputs.py"
    )
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    differences = compare.compare_folders(GOLDEN, out, atol=1e-4)
    assert not any(differences.values()), differences
