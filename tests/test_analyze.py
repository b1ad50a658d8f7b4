"""analyze() and the whole run with small stand-in models: every row accounted for, sentiment and
themes filled, the output folder complete. The real models run in the `models`-marked tests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import feedback_nlp as fnlp
from feedback_nlp import schema as s
from feedback_nlp.errors import ModelError

FRAME = pd.DataFrame(
    {
        "text": [
            "The parcel arrived two weeks late and the box was damaged.",
            "Great prices, fast delivery, friendly staff!",
            "",
            "n/a",
            "Die Lieferung kam viel zu spät.",
        ],
        "score": [2.0, 10.0, 8.0, None, 3.0],
        "region": ["north", "south", "east", "west", "north"],
    }
)


def test_every_row_comes_back_with_a_status_and_user_columns_kept(models):
    result = fnlp.analyze(FRAME, models=models)
    c = result.comments
    assert len(c) == len(FRAME)
    assert c[s.STATUS].tolist() == ["analyzed", "analyzed", "empty", "empty", "analyzed"]
    assert c["region"].tolist() == FRAME["region"].tolist()
    assert list(c.columns[: len(s.CANONICAL_COLUMNS)]) == s.CANONICAL_COLUMNS


def test_sentiment_columns_follow_the_contract(models):
    c = fnlp.analyze(FRAME, models=models).comments
    analysed = c[c[s.STATUS] == "analyzed"]
    assert analysed[s.SENTIMENT].tolist() == ["negative", "positive", "negative"]
    probs = analysed[[s.P_NEGATIVE, s.P_NEUTRAL, s.P_POSITIVE]].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert np.allclose(analysed[s.SENTIMENT_SCORE], probs[:, 2] - probs[:, 0], atol=1e-6)
    assert c.loc[c[s.STATUS] == "empty", s.SENTIMENT].isna().all()


def test_keyword_themes_reach_mentions_and_comments(models):
    result = fnlp.analyze(FRAME, models=models, discover=False)
    m = result.mentions
    assert list(m.columns[: len(s.MENTION_COLUMNS)]) == s.MENTION_COLUMNS
    late = m[(m[s.THEME] == "late_delivery") & (m[s.MATCH] == "keyword")]
    assert set(late[s.COMMENT_ID]) >= {
        result.comments[s.COMMENT_ID][0],
        result.comments[s.COMMENT_ID][4],
    }
    first = result.comments.iloc[0]
    assert "delivery/late_delivery" in first[s.THEMES]
    assert first[s.TOUCHPOINT] == "delivery"  # no touchpoint column: the strongest mention's
    assert m[s.CLAUSE_ID].is_unique or m.duplicated([s.CLAUSE_ID, s.THEME]).sum() == 0
    # clause spans point into the comment text
    for _, row in m.iterrows():
        text = result.comments.set_index(s.COMMENT_ID).loc[row[s.COMMENT_ID], s.TEXT]
        assert text[row[s.START_CHAR] : row[s.END_CHAR]] == row[s.CLAUSE_TEXT]


def test_same_input_gives_identical_mentions(models):
    a = fnlp.analyze(FRAME, models=models).mentions
    b = fnlp.analyze(FRAME, models=models).mentions
    pd.testing.assert_frame_equal(a, b)


def test_a_hand_built_frame_without_text_is_a_clear_error(models):
    with pytest.raises(fnlp.FeedbackError, match="text"):
        fnlp.analyze(pd.DataFrame({"comment": ["x"]}), models=models)


def test_run_writes_the_whole_output_folder(tmp_path, patched_models):
    export = tmp_path / "nps.csv"
    FRAME.rename(columns={"text": "Comment", "score": "NPS"}).assign(
        Date=["2026-05-03", "2026-05-20", "2026-06-02", "2026-06-09", "2026-06-30"]
    ).to_csv(export, index=False)
    out = tmp_path / "out"
    _result, themes = fnlp.run(export, out, min_mentions=1)
    for name in (
        "comments.parquet",
        "comments.csv",
        "mentions.parquet",
        "themes.csv",
        "report.html",
        "report.md",
        "report.xlsx",
        "manifest.json",
    ):
        assert (out / name).is_file(), name
    assert len(pd.read_parquet(out / "comments.parquet")) == len(FRAME)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["models"]["sentiment"] == patched_models.sentiment.fingerprint
    # the transformers go before discovery (whose candidates grow with the rows), and the
    # models handed to the run stay usable
    stages = list(manifest["memory_mb"])
    assert stages.index("chunks") < stages.index("release_transformers") < stages.index("discover")
    assert patched_models.sentiment is not None and patched_models.embedder is not None
    assert manifest["options"]["report"]["period"] == "month"
    assert manifest["rows"]["analyzed"] == 3
    assert "late_delivery" in set(themes[s.THEME])
    # re-rank without models
    again = fnlp.summarize(fnlp.load_analysis(out), by="lang", period=None, min_mentions=1)
    assert len(again)


def test_releasing_the_transformers_keeps_what_discovery_needs(models):
    own = models.with_cache(None)  # a run's own copy, as in a streamed run
    fingerprints = own.fingerprints()
    own.release_transformers()
    assert own.sentiment is None and own.embedder is None
    assert own.fingerprints() == fingerprints
    assert own.matcher.prototypes is not None
    scores = own.matcher.scores(models.embed_clauses(["the parcel arrived late"]))
    assert scores.similarity.shape[0] == 1
    assert models.sentiment is not None and models.embedder is not None
    with pytest.raises(ModelError, match="released"):
        own.embed_clauses(["the parcel arrived late"])
    with pytest.raises(ModelError, match="released"):
        own.predict_sentiment(["the parcel arrived late"], ["en"])


def test_a_run_flags_a_re_exported_record_of_an_export_without_ids(tmp_path, patched_models):
    """Without an id column, a whole record that repeats (date included) is a re-export — in
    `run()` (which hands the reader's "no id column" to cleaning explicitly) as in
    `clean(read_feedback(...))` (where it rides in attrs)."""
    export = tmp_path / "no_ids.csv"
    pd.DataFrame(
        {
            "Date": ["2026-05-01", "2026-05-02", "2026-05-01"],
            "Comment": ["Parcel arrived late", "Great prices", "Parcel arrived late"],
            "Score": [3, 9, 3],
        }
    ).to_csv(export, index=False)
    result, _ = fnlp.run(export, tmp_path / "out", min_mentions=1)
    assert result.comments[s.STATUS].tolist() == ["analyzed", "analyzed", "duplicate"]
    by_api = fnlp.clean(fnlp.read_feedback(export))
    assert by_api[s.STATUS].tolist()[2] == "duplicate"
