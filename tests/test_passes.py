"""Each text goes through a model as few times as possible, and the manifest counts it; the
analysis shows a progress bar on a terminal only (issue 20)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

import feedback_nlp as fnlp
from feedback_nlp import schema as s
from feedback_nlp.analysis.chunk import analyze_chunk
from feedback_nlp.analysis.models import Models
from feedback_nlp.cache import ResultCache
from feedback_nlp.home import advance, is_quiet
from feedback_nlp.manifest import pass_totals
from feedback_nlp.text.clean import clean
from tests.conftest import HashEmbedder, KeywordSentiment

TEXTS = [
    "The parcel arrived two weeks late.",  # one clause, with a theme
    "The parcel arrived two weeks late. The app keeps crashing when I pay.",
    "The parcel arrived two weeks late and the box was damaged, but the staff were friendly.",
    "Lovely weather today.",  # one clause, no theme
    "The parcel arrived two weeks late. Lovely weather today.",  # clauses equal to other comments
]


class Recording:
    """Wraps a stand-in model and records every text it is given."""

    def __init__(self, model, method: str) -> None:
        self.model, self.method, self.seen = model, method, []
        self.fingerprint = model.fingerprint
        if hasattr(model, "dim"):
            self.dim = model.dim
        setattr(self, method, self._call)

    def _call(self, texts, **kw):
        self.seen.extend(texts)
        return getattr(self.model, self.method)(texts, **kw)


@pytest.fixture
def recorded():
    sentiment = Recording(KeywordSentiment(), "predict")
    embedder = Recording(HashEmbedder(), "embed")
    models = Models(taxonomy="ecommerce-cx", sentiment=sentiment, embedder=embedder)
    _ = models.matcher.prototypes  # the taxonomy's own vectors: not the comments' passes
    embedder.seen.clear()
    return models, sentiment, embedder


def _chunk(models, texts=TEXTS, **kw):
    return analyze_chunk(clean(pd.DataFrame({"text": texts})), models, **kw)


def test_every_distinct_text_goes_through_each_model_once(recorded):
    models, sentiment, embedder = recorded
    result = _chunk(models)
    assert len(sentiment.seen) == len(set(sentiment.seen))
    assert len(embedder.seen) == len(set(embedder.seen))
    # a clause equal to another comment's text is not scored again
    for text in TEXTS:
        assert sum(t.strip() == text for t in sentiment.seen) <= 1
    assert result.passes == {
        "comments": len(TEXTS),
        "sentiment_texts": len(sentiment.seen),
        "embedding_texts": len(embedder.seen),
        "cache_hits": 0,
    }
    # the embedder got no comment of one clause twice (its clause is the only text embedded)
    assert len(embedder.seen) <= result.clauses


def test_only_clauses_that_need_it_get_their_own_sentiment(recorded):
    models, sentiment, _ = recorded
    result = _chunk(models)
    comments = set(TEXTS)
    scored = {t for t in sentiment.seen if t not in comments}
    needed = set(result.mentions[s.CLAUSE_TEXT]) | set(result.candidates[s.CLAUSE_TEXT])
    assert scored <= needed
    # a one-clause comment's clause is never scored apart from its comment
    assert "Lovely weather today." not in scored
    assert "The parcel arrived two weeks late." not in scored


def test_a_one_clause_comment_lends_its_sentiment_to_its_mentions(recorded):
    models, _, _ = recorded
    result = _chunk(models)
    first = result.comments.iloc[0]
    mine = result.mentions[result.mentions[s.COMMENT_ID] == first[s.COMMENT_ID]]
    assert len(mine)
    assert (mine[s.SENTIMENT] == first[s.SENTIMENT]).all()
    assert np.allclose(mine[s.SENTIMENT_SCORE], first[s.SENTIMENT_SCORE])
    # every mention has a sentiment: none is left without it
    assert result.mentions[s.SENTIMENT].notna().all()


def test_comment_mode_scores_no_candidate_clause(recorded):
    models, sentiment, _ = recorded
    clause_mode = _chunk(models)
    n_clause = len(sentiment.seen)
    sentiment.seen.clear()
    comment_mode = _chunk(models, candidate_sentiment="comment")
    scored = set(sentiment.seen) - set(TEXTS)
    assert scored <= set(comment_mode.mentions[s.CLAUSE_TEXT])
    assert len(sentiment.seen) <= n_clause
    assert comment_mode.mentions.equals(clause_mode.mentions)


def test_cache_hits_are_counted_and_not_passes(recorded, tmp_path):
    models, sentiment, embedder = recorded
    with ResultCache.open(tmp_path / "results.sqlite") as cache:
        cached = models.with_cache(cache)
        first = _chunk(cached)
        sentiment.seen.clear()
        embedder.seen.clear()
        again = _chunk(cached)
    assert sentiment.seen == [] and embedder.seen == []
    assert again.passes["sentiment_texts"] == again.passes["embedding_texts"] == 0
    assert again.passes["cache_hits"] == first.passes["sentiment_texts"] + (
        first.passes["embedding_texts"]
    )


def test_pass_totals_sum_chunks_and_divide_by_comments():
    chunks = [
        {"comments": 3, "sentiment_texts": 4, "embedding_texts": 5, "cache_hits": 1},
        {"comments": 1, "sentiment_texts": 1, "embedding_texts": 2, "cache_hits": 0},
        {},  # a chunk recorded before passes were counted
    ]
    assert pass_totals(chunks) == {
        "comments": 4,
        "sentiment_texts": 5,
        "embedding_texts": 7,
        "cache_hits": 1,
        "per_comment": 3.0,
    }
    assert pass_totals([])["per_comment"] == 0.0


class BarRecorder:
    """A progress with a bar: records the messages and every (done, total)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.steps: list[tuple[int, int]] = []

    def __call__(self, message: str) -> None:
        self.messages.append(message)

    def advance(self, done: int, total: int) -> None:
        self.steps.append((done, total))


def test_the_run_advances_a_bar_comment_by_comment(patched_models, tmp_path):
    path = tmp_path / "in.csv"
    pd.DataFrame({"text": TEXTS * 3}).to_csv(path, index=False)
    bar = BarRecorder()
    fnlp.run(path, tmp_path / "out", chunk_size=5, progress=bar)
    assert bar.steps[0] == (0, 15) and bar.steps[-1] == (15, 15)
    assert [d for d, _ in bar.steps] == sorted(d for d, _ in bar.steps)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    passes = manifest["passes"]
    assert passes["comments"] == manifest["rows"]["analyzed"]  # duplicates are not analysed
    assert passes["per_comment"] == round(
        (passes["sentiment_texts"] + passes["embedding_texts"]) / passes["comments"], 3
    )


def test_plain_progress_and_none_get_no_bar():
    said: list[str] = []
    advance(said.append, 1, 2)  # a plain callable has no bar: nothing happens
    advance(None, 1, 2)
    assert said == []
    assert is_quiet(None) and not is_quiet(said.append)


def test_no_bar_when_quiet_or_not_a_terminal(monkeypatch):
    from feedback_nlp.cli import shell

    monkeypatch.setattr(shell.sys.stderr, "isatty", lambda: True, raising=False)
    assert shell.progress_printer(quiet=True) is None
    assert shell.progress_printer(quiet=False) is not None
    monkeypatch.setattr(shell.sys.stderr, "isatty", lambda: False, raising=False)
    assert shell.progress_printer(quiet=False) is None


def test_the_bar_shows_comments_rate_and_goes_away():
    from feedback_nlp.cli.shell import ProgressPrinter

    sink = io.StringIO()
    printer = ProgressPrinter(Console(file=sink, force_terminal=True, width=120))
    printer.advance(0, 10)
    printer.advance(5, 10)
    printer._bar.refresh()
    shown = sink.getvalue()
    assert "Analysing" in shown and "5/10" in shown and "comments/s" in shown
    printer.advance(10, 10)
    assert printer._bar is None  # done: the bar is stopped (and, transient, cleared)
    printer.close()  # closing twice is harmless


def test_bench_leads_with_the_headline_against_the_naive_way():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "bench.py"
    spec = importlib.util.spec_from_file_location("bench", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    passes = {"comments": 990, "sentiment_texts": 1800, "embedding_texts": 1500,
              "cache_hits": 0, "per_comment": 3.333}  # fmt: skip
    baseline = {
        "n": 1000, "analysed": 990, "naive_s": 40.0, "naive_per_s": 25.0,
        "naive_ms_per_sentiment_pass": 38.0, "ours_s": 50.0, "ours_per_s": 20.0,
        "ours_stages_s": {"sentiment": 10.0}, "ours_sentiment_texts": 1800,
        "ours_embedded_texts": 1500, "ours_ms_per_sentiment_text": 5.6, "speedup": 0.8,
        "naive_threads": 2, "ours_passes": passes,
        "before": {"python": "main/python", "per_s": 15.0, "speedup": 0.6},
    }  # fmt: skip
    report = {"command": "bench.py", "machine": "m", "load": "1", "sentiment_model": "builtin",
              "started": "now", "minutes": 1, "sizes": [], "notes": [],
              "baseline": baseline}  # fmt: skip
    text = bench.render(report)
    first = text.splitlines()[2]
    assert first.startswith("**Headline") and "0.8x" in first and "3.333 model passes" in first
    assert "0.6x the naive way" in first
    merged = bench.merge_into(Path("/nonexistent/benchmarks.md"), text)
    assert merged.startswith(bench.START)


def test_a_comment_with_no_specific_content_keeps_no_theme_by_meaning():
    from feedback_nlp.analysis.chunk import _ROW, _drop_meaning_on_nonspecific
    from feedback_nlp.text.clauses import COMMENT_INDEX

    clauses = pd.DataFrame({COMMENT_INDEX: [0, 1, 1, 2]})
    mentions = pd.DataFrame(
        {
            _ROW: [0, 1, 2, 3, 3],
            s.MATCH: ["semantic", "semantic", "keyword", "semantic", "keyword"],
            s.THEME: ["billing", "billing", "outage", "speed", "speed"],
        }
    )
    content = pd.Series([s.CONTENT_NONSPECIFIC, s.CONTENT_SPECIFIC, s.CONTENT_NONSPECIFIC])
    kept = _drop_meaning_on_nonspecific(mentions, clauses, content)
    # comment 0 ("Comcast") loses its match by meaning; comment 2 keeps only its keyword match
    assert kept[_ROW].tolist() == [1, 2, 3] and kept[s.MATCH].tolist() == [
        "semantic",
        "keyword",
        "keyword",
    ]
    missing = pd.Series([pd.NA, pd.NA, pd.NA], dtype="string")  # frames read without `content`
    assert len(_drop_meaning_on_nonspecific(mentions, clauses, missing)) == len(mentions)
