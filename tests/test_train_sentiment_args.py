"""scripts/train_sentiment.py: per-file options of the training mix and loss."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import train_sentiment


def test_neutral_weight_parses_file_weights_and_refuses_what_it_cannot_use():
    args = train_sentiment.build_parser().parse_args(
        ["--neutral-weight", "semeval2016_train=3", "--neutral-weight", "germeval2017_dev=1.5"]
    )
    assert train_sentiment.file_weights(args.neutral_weight) == {
        "semeval2016_train": 3.0,
        "germeval2017_dev": 1.5,
    }
    assert train_sentiment.file_weights([]) == {}
    for bad in (
        "semeval2016_train=0",
        "semeval2016_train=x",
        "no_such_file=2",
        "semeval2016_train",
    ):
        with pytest.raises(SystemExit, match="--neutral-weight wants FILE=W"):
            train_sentiment.file_weights([bad])
