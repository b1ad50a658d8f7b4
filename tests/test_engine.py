"""Chunked, resumable runs and the execution engines, with small stand-in models.

A test-only sentiment also calls "glitter" negative, so that unclaimed negative clauses exist and
theme discovery (which spans chunks) has something to find.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import HashEmbedder, KeywordSentiment, write_keyword_taxonomy

import feedback_nlp as fnlp
from feedback_nlp import schema as s
from feedback_nlp.analysis.models import Models
from feedback_nlp.runner.stream import PROGRESS_FILE, WORK_DIR

TESTS = Path(__file__).resolve().parent


class GlitterSentiment(KeywordSentiment):
    NEG = KeywordSentiment.NEG + ("glitter",)


@pytest.fixture(scope="module")
def glitter_models(tmp_path_factory):
    path = write_keyword_taxonomy(tmp_path_factory.mktemp("taxonomy") / "tiny.yaml")
    return Models(taxonomy=path, sentiment=GlitterSentiment(), embedder=HashEmbedder())


@pytest.fixture
def use_glitter(glitter_models, monkeypatch):
    from feedback_nlp.runner import pipeline

    monkeypatch.setattr(pipeline, "Models", lambda *_a, **_kw: glitter_models)
    return glitter_models


def _export(path: Path) -> Path:
    texts = (
        [f"The glitter cannon exploded in aquarium {i}" for i in range(7)]
        + ["The parcel arrived two weeks late.", "Great prices, fast delivery!", ""]
        + ["Die Lieferung kam viel zu spät.", "Support was rude on the phone."]
    )
    frame = pd.DataFrame(
        {
            "Date": [f"2026-0{1 + i % 3}-1{i % 9}" for i in range(len(texts))],
            "Comment": texts,
            "NPS": [i % 11 for i in range(len(texts))],
        }
    )
    # row 13 repeats row 8's whole record: a duplicate, in another chunk
    pd.concat([frame, frame.iloc[[7]]]).to_csv(path, index=False)
    return path


@pytest.fixture
def export(tmp_path):
    return _export(tmp_path / "nps.csv")


def _frames(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_parquet(out / "comments.parquet"), pd.read_parquet(out / "mentions.parquet")


def _assert_same_outputs(a: Path, b: Path) -> None:
    for x, y in zip(_frames(a), _frames(b)):
        pd.testing.assert_frame_equal(x, y)
    for name in ("comments.csv", "themes.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_chunks_give_the_same_outputs_as_one_batch(tmp_path, export, use_glitter):
    fnlp.run(export, tmp_path / "one", min_mentions=1)
    result, _ = fnlp.run(export, tmp_path / "many", min_mentions=1, chunk_size=2)
    assert result.manifest["run"]["chunks"] == 7
    _assert_same_outputs(tmp_path / "one", tmp_path / "many")
    assert not (tmp_path / "many" / WORK_DIR).exists()  # parts removed once complete


def test_a_run_records_its_memory_and_drops_the_pipelines_before_the_reports(
    tmp_path, export, use_glitter
):
    from feedback_nlp.text import pipelines as nlp

    result, _ = fnlp.run(export, tmp_path / "out", min_mentions=1, chunk_size=3)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    memory = manifest["memory_mb"]
    per_chunk = manifest["run"]["chunk_rss_mb"]
    assert len(per_chunk) == manifest["run"]["chunks"] > 1
    assert all(isinstance(mb, int) and 0 < mb <= memory["chunks"]["peak"] for mb in per_chunk)
    stages = [
        "read_clean",
        "load_models",
        "chunks",
        "release_transformers",
        "discover",
        "release_models",
        "assemble",
        "read_back",
        "summarize",
        "write",
    ]
    assert list(memory) == stages
    assert all(0 < m["rss"] <= m["peak"] for m in memory.values())
    peaks = [memory[k]["peak"] for k in stages]
    assert peaks == sorted(peaks)  # the peak so far never falls
    assert "en" in result.manifest["spacy_pipelines"]  # recorded before they were dropped
    assert nlp._PIPELINES == {}  # the summary and the reports ran without them
    assert gc.get_freeze_count() == 0  # the chunks froze the long-lived objects; now thawed


def test_release_memory_freezes_what_survives_until_thawed():
    from feedback_nlp.runner.engine import release_memory

    try:
        keep = [[i] for i in range(1000)]  # noqa: F841 - alive across the call
        release_memory()
        assert gc.get_freeze_count() >= 1000  # full collections no longer walk them
        release_memory(thaw=True)
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_themes_are_discovered_across_chunks(tmp_path, export, use_glitter):
    result, _ = fnlp.run(export, tmp_path / "out", min_mentions=1, chunk_size=2)
    found = result.mentions[result.mentions[s.MATCH] == "discovered"]
    # seven glitter comments, two per chunk: only clustering all chunks together finds them
    assert found[s.COMMENT_ID].nunique() == 7
    glitter = result.comments[result.comments[s.TEXT].str.contains("glitter")]
    assert all(
        any(t.split("/")[1].startswith("discovered_") for t in ts) for ts in glitter[s.THEMES]
    )
    # a warm re-run takes clauses and keywords from the result cache and parses only the
    # candidates' comments again for their lemmas: the same themes, labels and outputs
    warm, _ = fnlp.run(export, tmp_path / "warm", min_mentions=1, chunk_size=2)
    assert warm.manifest["run"]["cache"]["clause_misses"] == 0
    _assert_same_outputs(tmp_path / "out", tmp_path / "warm")


def test_chunked_run_agrees_with_analyze(tmp_path, export, use_glitter):
    result, _ = fnlp.run(export, tmp_path / "out", min_mentions=1, chunk_size=3)
    direct = fnlp.analyze(fnlp.read_feedback(export), models=use_glitter)
    assert result.comments[s.COMMENT_ID].tolist() == direct.comments[s.COMMENT_ID].tolist()
    assert result.comments[s.THEMES].tolist() == direct.comments[s.THEMES].tolist()
    cols = [s.COMMENT_ID, s.CLAUSE_ID, s.THEME, s.MATCH]
    assert result.mentions[cols].values.tolist() == direct.mentions[cols].values.tolist()


def test_duplicates_are_flagged_across_chunks(tmp_path, export, use_glitter):
    result, _ = fnlp.run(export, tmp_path / "out", min_mentions=1, chunk_size=2)
    status = result.comments.set_index("row_number")[s.STATUS]
    assert status[13] == s.STATUS_DUPLICATE  # its first occurrence, row 8, is in another chunk
    assert status[8] == s.STATUS_ANALYZED


DRIVER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from conftest import HashEmbedder, KeywordSentiment
    from feedback_nlp import cache
    from feedback_nlp.runner import pipeline
    from feedback_nlp.analysis.models import Models

    class GlitterSentiment(KeywordSentiment):
        NEG = KeywordSentiment.NEG + ("glitter",)

        def predict(self, texts, **kw):
            time.sleep({delay})  # slow enough for the test to kill the run between chunks
            return super().predict(texts, **kw)

    models = Models(taxonomy={taxonomy!r}, sentiment=GlitterSentiment(), embedder=HashEmbedder())
    pipeline.Models = lambda *_a, **_kw: models
    pipeline.run(sys.argv[1], sys.argv[2], min_mentions=1, chunk_size=2, cache=False)
    """
)


def _driver(tmp_path: Path, delay: float) -> Path:
    taxonomy = write_keyword_taxonomy(tmp_path / "tiny.yaml")
    path = tmp_path / "driver.py"
    path.write_text(DRIVER.format(tests=str(TESTS), delay=delay, taxonomy=taxonomy))
    return path


def _chunks_done(out: Path) -> int:
    try:
        return len(json.loads((out / WORK_DIR / PROGRESS_FILE).read_text())["done"])
    except (OSError, ValueError, KeyError):
        return 0


def test_a_killed_run_resumes_from_its_last_chunk(tmp_path, export, use_glitter):
    out = tmp_path / "out"
    env = {**os.environ, "FEEDBACK_NLP_HOME": str(tmp_path / "home")}
    slow = _driver(tmp_path, 0.4)
    proc = subprocess.Popen(
        [sys.executable, str(slow), str(export), str(out)], env=env, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while _chunks_done(out) < 1:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the first chunk never finished"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _chunks_done(out)
    assert 1 <= done < 7, done
    assert not (out / "comments.parquet").exists()  # nothing final under its name yet

    result, _ = fnlp.run(export, out, min_mentions=1, chunk_size=2, cache=False)
    assert result.manifest["run"]["chunks_resumed"] == done
    fnlp.run(export, tmp_path / "whole", min_mentions=1, chunk_size=2, cache=False)
    _assert_same_outputs(out, tmp_path / "whole")
    assert not (out / WORK_DIR).exists()


def test_changed_input_is_not_resumed(tmp_path, export, use_glitter):
    out = tmp_path / "out"
    fnlp.run(export, out, min_mentions=1, chunk_size=2)
    # leave an interrupted run's parts behind, then change the input
    work = out / WORK_DIR
    work.mkdir()
    (work / PROGRESS_FILE).write_text(json.dumps({"fingerprint": "old", "done": {"0": {}}}))
    frame = pd.read_csv(export)
    frame.loc[0, "Comment"] = "A completely different comment about rude staff"
    frame.to_csv(export, index=False)
    result, _ = fnlp.run(export, out, min_mentions=1, chunk_size=2)
    assert result.manifest["run"]["chunks_resumed"] == 0
    assert result.comments[s.TEXT].iloc[0].startswith("A completely different")


def test_two_runs_never_write_into_one_folder_at_once(tmp_path, export, use_glitter):
    from feedback_nlp.runner.stream import StreamedRun
    from feedback_nlp.settings import RunOptions

    holder = StreamedRun(export, tmp_path / "out", RunOptions(chunk_size=2, cache=False))
    with holder, pytest.raises(fnlp.FeedbackError, match="Another `feedback-nlp analyze`"):
        fnlp.run(export, tmp_path / "out", min_mentions=1)
    fnlp.run(export, tmp_path / "out", min_mentions=1)  # free again


def test_unknown_engine_is_a_usage_error(tmp_path, export, use_glitter):
    from typer.testing import CliRunner

    from feedback_nlp.cli import app

    result = CliRunner().invoke(
        app, ["analyze", str(export), "-o", str(tmp_path), "--engine", "spark"]
    )
    assert result.exit_code == 1 and "--engine" in result.output


class GlitterFactory:
    """Builds the stand-in models wherever it is called: in a Ray worker too (pickled by
    reference, so the workers import this module)."""

    def __init__(self, taxonomy: str) -> None:
        self.taxonomy = taxonomy

    def __call__(self, *_a, **_kw) -> Models:
        return Models(taxonomy=self.taxonomy, sentiment=GlitterSentiment(), embedder=HashEmbedder())


def test_ray_engine_gives_the_same_outputs_as_local(tmp_path, export, monkeypatch):
    ray = pytest.importorskip(
        "ray", reason="the Ray engine needs `pip install 'feedback-nlp[ray]'`"
    )
    from feedback_nlp.runner import pipeline

    taxonomy = write_keyword_taxonomy(tmp_path / "tiny.yaml")
    monkeypatch.setattr(pipeline, "Models", GlitterFactory(taxonomy))
    # Ray's socket paths must stay under 108 bytes: a short folder of its own, not tmp_path
    ray_tmp = tempfile.mkdtemp(prefix="fnlp-ray-")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_TMPDIR", ray_tmp)
    env = {
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "FEEDBACK_NLP_HOME": str(tmp_path / "home"),  # workers never touch the user's cache
        "RAY_AUTH_MODE": "disabled",
    }
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": env},
        _temp_dir=ray_tmp,
    )
    try:
        result, _ = fnlp.run(
            export, tmp_path / "ray-out", min_mentions=1, chunk_size=3, engine="ray", cache=False
        )
    finally:
        ray.shutdown()
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert result.manifest["run"]["engine"] == "ray"
    fnlp.run(export, tmp_path / "local-out", min_mentions=1, chunk_size=3, cache=False)
    _assert_same_outputs(tmp_path / "ray-out", tmp_path / "local-out")

