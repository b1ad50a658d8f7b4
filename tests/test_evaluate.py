"""Label reading and metrics of `feedback-nlp evaluate`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from feedback_nlp.analysis.evaluate import evaluate_sentiment, normalize_labels
from feedback_nlp.errors import ColumnError


@pytest.mark.parametrize(
    ("values", "kind", "expected"),
    [
        (["negative", "Neutral", "POS", None], "words", ["negative", "neutral", "positive", None]),
        ([1, 2, 3, 4, 5], "stars", ["negative", "negative", "neutral", "positive", "positive"]),
        (
            [0, 6, 7, 8, 9, 10],
            "nps",
            ["negative", "negative", "neutral", "neutral", "positive", "positive"],
        ),
        ([-1, 0, 1], "polarity", ["negative", "neutral", "positive"]),
        (["negatywny", "pozytywny"], "words", ["negative", "positive"]),
    ],
)
def test_label_kinds(values, kind, expected):
    labels, found = normalize_labels(pd.Series(values, dtype=object))
    assert found == kind
    assert [None if pd.isna(v) else v for v in labels] == expected


def test_unreadable_labels_are_a_clear_error():
    with pytest.raises(ColumnError, match="expected words"):
        normalize_labels(pd.Series(["spam", "eggs"]))
    with pytest.raises(ColumnError, match="from 0 to 100"):
        normalize_labels(pd.Series([0, 50, 100]))


def test_metrics_per_language_and_skips():
    frame = pd.DataFrame(
        {
            "text": ["bad", "good", "ok", "schlecht", "gut", "x"],
            "lang": ["en", "en", "en", "de", "de", "en"],
            "status": [None, None, None, None, None, "empty"],
            "gold": ["negative", "positive", "neutral", "negative", "positive", "positive"],
        }
    )

    def predict(texts, langs):
        table = {"bad": 0, "schlecht": 0, "good": 2, "gut": 2, "ok": 2}
        return np.eye(3)[[table[t] for t in texts]]

    result = evaluate_sentiment(frame, label_col="gold", predict=predict)
    assert result["evaluated"] == 5 and result["skipped"] == 1
    assert result["languages"]["de"]["accuracy"] == 1.0
    assert result["languages"]["en"]["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    # gold neutral predicted positive: row "neutral", column "positive"
    assert result["overall"]["confusion"][1] == [0, 0, 1]


def test_evaluate_cli_with_a_tiny_classifier(tmp_path):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    from feedback_nlp.cli import app

    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\ngood\nbad\nservice")
    tok = BertTokenizerFast(vocab_file=str(vocab))
    cfg = BertConfig(
        vocab_size=7,
        hidden_size=8,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=16,
        max_position_embeddings=32,
        num_labels=3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
    )
    model_dir = tmp_path / "tiny"
    BertForSequenceClassification(cfg).save_pretrained(model_dir)
    tok.save_pretrained(model_dir)
    data = tmp_path / "labelled.csv"
    pd.DataFrame({"review": ["good service", "bad service", "service"], "stars": [5, 1, 3]}).to_csv(
        data, index=False
    )
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(data),
            "--label-col",
            "stars",
            "--sentiment-model",
            str(model_dir),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"label_kind": "stars"' in result.output
    assert '"evaluated": 3' in result.output
