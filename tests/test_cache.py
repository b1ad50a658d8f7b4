"""The persistent result cache: hits, misses, damaged files, concurrent writers, --no-cache."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import HashEmbedder, KeywordSentiment, write_keyword_taxonomy
from typer.testing import CliRunner

import feedback_nlp as fnlp
from feedback_nlp import cache as rc
from feedback_nlp.analysis import cached
from feedback_nlp.analysis.models import Models
from feedback_nlp.cli import app

TEXTS = [
    "The parcel arrived two weeks late and the box was damaged.",
    "Great prices, fast delivery, friendly staff!",
    "Die Lieferung kam viel zu spät.",
    "The parcel arrived two weeks late and the box was damaged.",  # a repeat
    "Support was rude, but the refund came fast.",
]


class CountingSentiment(KeywordSentiment):
    def __init__(self):
        self.texts = 0

    def predict(self, texts, *, lang=None, batch_size=32):
        self.texts += len(texts)
        return super().predict(texts, lang=lang, batch_size=batch_size)


class CountingEmbedder(HashEmbedder):
    def __init__(self):
        self.texts = 0

    def embed(self, texts, *, prefix="passage: "):
        self.texts += len(texts)
        return super().embed(texts, prefix=prefix)


@pytest.fixture
def counting(monkeypatch):
    """Fresh counting stand-ins that run() (and the CLI) will use."""
    from feedback_nlp.runner import pipeline

    models = Models(
        taxonomy="ecommerce-cx", sentiment=CountingSentiment(), embedder=CountingEmbedder()
    )
    models.matcher.prototypes  # taxonomy prototypes embedded now, not counted below  # noqa: B018
    models.embedder.texts = 0
    monkeypatch.setattr(pipeline, "Models", lambda *_a, **_kw: models)
    return models


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "nps.csv"
    pd.DataFrame(
        {
            "Response ID": [f"R{i}" for i in range(len(TEXTS))],
            "Comment": TEXTS,
            "NPS": [2, 10, 3, 4, 6],
        }
    ).to_csv(path, index=False)
    return path


def test_values_round_trip_and_language_is_part_of_the_sentiment_key(tmp_path):
    with rc.ResultCache.open(tmp_path / "r.sqlite") as cache:
        keys = [rc.text_key("a"), rc.text_key("b")]
        cache.put_sentiment("m1", keys, ["en", "de"], np.array([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]))
        got = cache.get_sentiment("m1", keys, ["en", "en"])
        assert set(got) == {("en", keys[0])}  # "b" was cached for German only
        assert np.allclose(got[("en", keys[0])], [0.1, 0.2, 0.7])
        assert cache.get_sentiment("m2", keys, ["en", "de"]) == {}  # another model
        vectors = np.random.default_rng(0).normal(size=(2, 384)).astype(np.float32)
        cache.put_embeddings("enc|query: ", keys, vectors)
        got = cache.get_embeddings("enc|query: ", keys, 384)
        assert np.array_equal(got[keys[1]], vectors[1])


def test_only_texts_missing_from_the_cache_reach_the_model(tmp_path):
    model = CountingSentiment()
    with rc.ResultCache.open(tmp_path / "r.sqlite") as cache:
        langs = ["en", "en", "de", "en", "en"]
        first = cached.cached_predict(cache, model, TEXTS, langs)
        assert model.texts == 4  # the repeat is computed once
        again = cached.cached_predict(cache, model, TEXTS + ["Brand new text"], langs + ["en"])
        assert model.texts == 5  # only the new text
        assert np.array_equal(again[:5], first)
        assert np.array_equal(first, model.predict(TEXTS, lang=langs))
        assert (cache.stats.sentiment_hits, cache.stats.sentiment_misses) == (5, 5 + 1)


def test_a_value_of_the_wrong_shape_is_not_trusted(tmp_path):
    path = tmp_path / "r.sqlite"
    embedder = CountingEmbedder()
    with rc.ResultCache.open(path) as cache:
        cached.cached_embed(cache, embedder.embed, "enc", ["hello"], dim=64)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE embedding SET vector = ?", (b"\x00\x00\xc0\x7f" * 64,))  # NaNs
    conn.commit()
    conn.close()
    with rc.ResultCache.open(path) as cache:
        vectors = cached.cached_embed(cache, embedder.embed, "enc", ["hello"], dim=64)
    assert embedder.texts == 2 and np.isfinite(vectors).all()


def _garbage(path):
    path.write_bytes(b"this is not a database at all" * 100)


def _damaged_pages(path):
    path.write_bytes(path.read_bytes()[:4096] + b"\x13" * 8192)  # all but the header page


def _foreign_database(path):
    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("damage", [_garbage, _damaged_pages, _foreign_database])
def test_a_damaged_cache_is_rebuilt_with_a_warning_and_never_used(tmp_path, damage):
    path = tmp_path / "r.sqlite"
    model = CountingSentiment()
    with rc.ResultCache.open(path) as cache:
        many = [f"comment number {i} was late" for i in range(300)]
        cached.cached_predict(cache, model, many, ["en"] * len(many))
    damage(path)
    with pytest.warns(rc.CacheWarning, match="damaged"):
        cache = rc.ResultCache.open(path)
    with cache:
        assert cache.stats.events == ["rebuilt"]
        before = model.texts
        probs = cached.cached_predict(cache, model, ["comment number 1 was late"], ["en"])
        assert model.texts == before + 1  # computed again, not read from the damaged file
        assert np.allclose(probs.sum(), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rc.ResultCache.open(path).close()  # healthy again: no warning


def _writer(path, worker):
    model = KeywordSentiment()
    texts = [f"text {i % 150} late" for i in range(worker, worker + 400)]
    with rc.ResultCache.open(path) as cache:
        for start in range(0, len(texts), 40):
            cached.cached_predict(cache, model, texts[start : start + 40], ["en"] * 40)
        return cache.stats.to_dict()


def test_concurrent_runs_share_the_cache_safely(tmp_path):
    path = tmp_path / "r.sqlite"
    rc.ResultCache.open(path).close()
    with multiprocessing.get_context("fork").Pool(3) as pool:
        stats = pool.starmap(_writer, [(path, w) for w in range(3)])
    assert all("events" not in s for s in stats)  # nobody had to bypass or rebuild it
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM sentiment").fetchone()[0] == 150
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


@pytest.fixture
def parsed(monkeypatch):
    """How many texts spaCy parses (through the modules that call split_clauses)."""
    from feedback_nlp.analysis import chunk
    from feedback_nlp.text import clauses as nlp

    seen: list[int] = []
    real = nlp.split_clauses

    def counting_split(texts, langs, **kw):
        seen.append(len(texts))
        return real(texts, langs, **kw)

    for module in (nlp, cached, chunk):
        monkeypatch.setattr(module, "split_clauses", counting_split)
    return seen


def test_a_warm_re_run_computes_nothing(tmp_path, export, counting, parsed):
    fnlp.run(export, tmp_path / "cold", min_mentions=1)
    assert counting.sentiment.texts > 0 and counting.embedder.texts > 0
    assert sum(parsed) == len(TEXTS)
    counting.sentiment.texts = counting.embedder.texts = 0
    parsed.clear()
    result, _ = fnlp.run(export, tmp_path / "warm", min_mentions=1)
    assert counting.sentiment.texts == 0 and counting.embedder.texts == 0
    stats = result.manifest["run"]["cache"]
    assert stats["sentiment_misses"] == 0 and stats["sentiment_hits"] > 0
    assert stats["clause_misses"] == 0 and stats["clause_hits"] == len(TEXTS)
    # clauses, keywords and content-word counts came from the cache; spaCy parsed again only
    # the comments whose clauses label a discovered theme (lemmas are never stored)
    # the comments whose clauses label a discovered theme (lemmas are never stored): none here
    assert sum(parsed) == 0, parsed
    for name in ("comments.parquet", "mentions.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "cold" / name), pd.read_parquet(tmp_path / "warm" / name)
        )


# near-identical complaints no keyword claims: discovery makes them a theme (3 comments at least)
WARDROBE = [
    "The wardrobe hinge squeaks and the glue smells damaged.",
    "The wardrobe hinge squeaks and the glue smells damaged!",
    "the wardrobe hinge squeaks and the glue smells damaged",
    "The wardrobe hinge squeaks and the glue smells so damaged.",
]


@pytest.fixture
def wardrobe_export(tmp_path, monkeypatch) -> Path:
    """An export whose wardrobe comments make one discovered theme (tiny keyword taxonomy)."""
    from feedback_nlp.runner import pipeline

    taxonomy = write_keyword_taxonomy(
        tmp_path / "tiny.yaml", discover_min_size=3, discover_distance=0.2
    )
    models = Models(sentiment=CountingSentiment(), embedder=CountingEmbedder(), taxonomy=taxonomy)
    monkeypatch.setattr(pipeline, "Models", lambda *_a, **_kw: models)
    export = tmp_path / "reviews.csv"
    texts = TEXTS + WARDROBE
    pd.DataFrame({"id": range(len(texts)), "review": texts}).to_csv(export, index=False)
    return export


def test_a_warm_re_run_parses_only_the_comments_that_label_a_discovered_theme(
    tmp_path, wardrobe_export, parsed
):
    export = wardrobe_export
    fnlp.run(export, tmp_path / "cold", min_mentions=1)
    assert sum(parsed) == len(TEXTS + WARDROBE)
    # the labels were remembered as pointers into the clusters' clauses, not as words
    conn = sqlite3.connect(rc.default_path())
    (stored,) = conn.execute("SELECT value FROM labels").fetchone()
    conn.execute("DELETE FROM labels")  # as if the labels had never been stored
    conn.commit()
    conn.close()
    assert all(isinstance(x, int) for found in json.loads(stored) for p in found for x in p)
    parsed.clear()
    fnlp.run(export, tmp_path / "warm", min_mentions=1)
    mentions = pd.read_parquet(tmp_path / "warm" / "mentions.parquet")
    discovered = mentions.loc[mentions["match"] == "discovered", "comment_id"]
    # spaCy parsed again the comments of the discovered theme alone, not the other candidates
    # (the damaged box; the rude support and the late German delivery are claimed by keyword)
    assert sum(parsed) == discovered.nunique() == len(WARDROBE), parsed
    # and now that the labels are stored, a re-run parses nothing at all
    parsed.clear()
    fnlp.run(export, tmp_path / "warm2", min_mentions=1)
    assert sum(parsed) == 0, parsed
    for run in ("warm", "warm2"):
        for name in ("comments.parquet", "mentions.parquet"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "cold" / name), pd.read_parquet(tmp_path / run / name)
            )


@pytest.mark.parametrize("value", [b"[[[0, 999]]]", b"[[[999, 0]]]", b"[]", b'[["x"]]', b"{"])
def test_label_pointers_that_do_not_fit_are_not_used(tmp_path, wardrobe_export, parsed, value):
    export = wardrobe_export
    fnlp.run(export, tmp_path / "cold", min_mentions=1)
    conn = sqlite3.connect(rc.default_path())
    conn.execute("UPDATE labels SET value = ?", (value,))
    conn.commit()
    conn.close()
    parsed.clear()
    fnlp.run(export, tmp_path / "warm", min_mentions=1)
    assert sum(parsed) == len(WARDROBE)  # worked out again from the comments
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "cold" / "mentions.parquet"),
        pd.read_parquet(tmp_path / "warm" / "mentions.parquet"),
    )


def test_clause_records_keep_offsets_and_keywords_but_no_words(tmp_path, export, counting):
    fnlp.run(export, tmp_path / "cold", min_mentions=1)
    conn = sqlite3.connect(rc.default_path())
    values = [v for (v,) in conn.execute("SELECT value FROM clauses")]
    conn.close()
    assert len(values) == len(set(TEXTS))
    stored = b" ".join(values).decode()
    for word in ("parcel", "Lieferung", "rude", "prices"):
        assert word not in stored  # only offsets and the taxonomy's keywords
    record = cached.ClauseRecord.decode(values[0])
    assert record is not None and cached.ClauseRecord.decode(record.encode()) == record


@pytest.mark.parametrize(
    "blob", [b"", b"{", b'{"a": 1}', b"[[5, 2, [], [], 1]]", b'[[0, 4, [0, 9, 1], [], 1]]',
             b'[[0, 4, [0, 4], [[-1, "x"]], 1]]', b"[[0, 4, [0, 4], [], -1]]",
             b'[[0, 4, [0, 4], [], "1"]]', b"[[0, 4, [0, 4], []]]", b"\xff\xfe"]
)  # fmt: skip
def test_a_malformed_clause_record_is_not_trusted(blob):
    assert cached.ClauseRecord.decode(blob) is None


def test_a_clause_record_that_does_not_fit_its_text_is_recomputed(tmp_path, export, counting):
    fnlp.run(export, tmp_path / "cold", min_mentions=1)
    conn = sqlite3.connect(rc.default_path())
    conn.execute("UPDATE clauses SET value = CAST('[[0, 100000, [0, 100000], []]]' AS BLOB)")
    conn.commit()
    conn.close()
    result, _ = fnlp.run(export, tmp_path / "warm", min_mentions=1)
    assert result.manifest["run"]["cache"]["clause_misses"] == len(TEXTS)
    for name in ("comments.parquet", "mentions.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "cold" / name), pd.read_parquet(tmp_path / "warm" / name)
        )


def test_a_damaged_cache_does_not_stop_a_run(tmp_path, export, counting, _result_cache_in_tmp):
    fnlp.run(export, tmp_path / "a", min_mentions=1)
    _result_cache_in_tmp.write_bytes(b"\x00garbage" * 1000)
    counting.sentiment.texts = 0
    with pytest.warns(rc.CacheWarning):
        result, _ = fnlp.run(export, tmp_path / "b", min_mentions=1)
    assert counting.sentiment.texts > 0  # recomputed: nothing was read from the damaged file
    assert result.manifest["run"]["cache"]["events"] == ["rebuilt"]


def test_no_cache_neither_reads_nor_writes_it(tmp_path, export, counting, _result_cache_in_tmp):
    runner = CliRunner()
    computed = []
    for outdir in ("a", "b"):
        args = ["analyze", str(export), "-o", str(tmp_path / outdir), "--no-cache", "--quiet"]
        assert runner.invoke(app, args).exit_code == 0
        computed.append(counting.sentiment.texts - sum(computed))
    assert not _result_cache_in_tmp.exists()
    assert computed[0] > 0 and computed[1] == computed[0]  # the second run computed it all again
