"""How far the held-out macro-F1 numbers could move by the luck of the test draw alone.

Reads a ``metrics.json`` written by ``train_sentiment.py`` (default: the shipped model's), rebuilds
each test set's (true, predicted) pairs from its confusion matrix and resamples them with
replacement: a percentile bootstrap of every set's macro-F1 and of the SemEval-2016 mean of six
languages (each language resampled on its own, as the test parts are).

    .venv/bin/python scripts/bootstrap_metrics.py                       # the shipped model
    .venv/bin/python scripts/bootstrap_metrics.py /tmp/run/metrics.json --draws 5000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from train_sentiment import macro_f1

SHIPPED = Path(__file__).resolve().parents[1] / "models" / "metrics.json"


def pairs(confusion: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(true, predicted) label arrays with the counts of a confusion matrix (rows = true)."""
    cm = np.asarray(confusion)
    true = np.repeat(np.arange(3), cm.sum(1))
    pred = np.concatenate([np.repeat(np.arange(3), row) for row in cm])
    return true, pred


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("metrics", type=Path, nargs="?", default=SHIPPED)
    p.add_argument("--draws", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    test = json.loads(args.metrics.read_text())["test"]
    sets = {name: pairs(r["confusion"]) for name, r in test.items() if "confusion" in r}
    rng = np.random.default_rng(args.seed)
    draws: dict[str, list[float]] = {name: [] for name in sets}
    for _ in range(args.draws):
        for name, (y, pred) in sets.items():
            i = rng.integers(0, len(y), len(y))
            draws[name].append(macro_f1(y[i], pred[i]))
    semeval = [name for name in sets if name.startswith("semeval2016_")]
    if semeval:
        draws["semeval2016_mean"] = list(np.mean([draws[name] for name in semeval], axis=0))
    print(f"{args.metrics}: {args.draws} bootstrap draws, seed {args.seed}")
    print(f"{'test set':32s} {'n':>5s} {'macro-F1':>8s} {'95% interval':>15s} {'sd':>6s}")
    for name, values in draws.items():
        point = (
            test[name]["macro_f1"]
            if name in sets
            else float(np.mean([test[s]["macro_f1"] for s in semeval]))
        )
        n = str(len(sets[name][0])) if name in sets else ""
        low, high = np.percentile(values, [2.5, 97.5])
        print(f"{name:32s} {n:>5s} {point:8.3f}   {low:.3f}–{high:.3f} {np.std(values):6.3f}")


if __name__ == "__main__":
    main()
