"""Speed and precision of the builtin sentiment model; prints numbers and writes them to JSON.

    .venv/bin/python scripts/bench_sentiment.py --out bench_sentiment.json [--threads N]

1. precision: fp32, bf16 autocast and int8 dynamic quantisation on the held-out test parts
   (up to --per-set comments per evaluation set): macro-F1 per set, agreement with fp32, comments/s.
2. against a Hugging Face ``pipeline("text-classification")`` called once per comment, built from
   the same merged model + tokenizer saved to a temporary folder: comments/s of both on --n
   comments, and whether the labels are identical (both fp32, no calibration — the pipeline
   knows neither).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sentiment_data as data
import torch
from torch import nn
from train_sentiment import macro_f1

from feedback_nlp.encoders.sentiment import SentimentModel


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def test_texts(per_set: int, seed: int = 7) -> dict[str, list]:
    rng = random.Random(seed)
    out = {}
    for name in data.EVAL_SETS:
        items = data.eval_set(name)
        rng.shuffle(items)
        out[name] = items[:per_set]
    return out


def bench_precisions(args, sets) -> dict:
    results = {}
    reference = None
    all_items = [ex for items in sets.values() for ex in items]
    texts = [ex.text for ex in all_items]
    langs = [ex.lang for ex in all_items]
    for precision in args.precisions.split(","):
        model = SentimentModel.load(args.model, precision=precision)
        model.threads = args.threads or None
        model.predict(texts[:32], lang=langs[:32])  # warm-up
        t0 = time.perf_counter()
        probs = model.predict(texts, lang=langs)
        seconds = time.perf_counter() - t0
        pred = probs.argmax(1)
        if reference is None:
            reference = pred
        per_set, start = {}, 0
        for name, items in sets.items():
            y = np.array([ex.label for ex in items])
            per_set[name] = round(macro_f1(y, pred[start : start + len(items)]), 4)
            start += len(items)
        sem = np.mean([per_set[f"semeval2016_{lg}"] for lg in data.SEMEVAL_LANGS])
        headline = [
            per_set["thai_wisesight"],
            per_set["polish_polemo2_medicine"],
            per_set["german_germeval2017"],
            sem,
        ]
        results[precision] = {
            "comments_per_s": round(len(texts) / seconds, 1),
            "seconds": round(seconds, 1),
            "macro_f1": per_set,
            "semeval2016_mean": round(float(sem), 4),
            "headline_mean": round(float(np.mean(headline)), 4),
            "agreement_with_fp32": round(float(np.mean(pred == reference)), 4),
        }
        log(f"{precision}: {results[precision]}")
        del model
    return results


def hf_pipeline_from(model: SentimentModel, folder: Path):
    """Save the merged builtin model as a transformers classifier and build a pipeline on it."""
    from transformers import AutoTokenizer, BertModel, BertPreTrainedModel, pipeline
    from transformers.modeling_outputs import SequenceClassifierOutput

    class E5MeanPoolClassifier(BertPreTrainedModel):
        def __init__(self, config):
            super().__init__(config)
            self.bert = BertModel(config, add_pooling_layer=False)
            self.dropout = nn.Dropout(0.1)
            self.classifier = nn.Linear(config.hidden_size, config.num_labels)
            self.post_init()

        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, **_):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return SequenceClassifierOutput(logits=self.classifier(self.dropout(pooled)))

    config = model.model.config
    config.num_labels = 3
    config.id2label = {0: "negative", 1: "neutral", 2: "positive"}
    config.label2id = {v: k for k, v in config.id2label.items()}
    clf = E5MeanPoolClassifier(config)
    missing = clf.load_state_dict(model.model.state_dict(), strict=False)
    assert not missing.unexpected_keys, missing.unexpected_keys
    clf.save_pretrained(folder)
    model.tokenizer.save_pretrained(folder)
    loaded = E5MeanPoolClassifier.from_pretrained(folder).eval()
    return pipeline(
        "text-classification",
        model=loaded,
        tokenizer=AutoTokenizer.from_pretrained(folder),
        device=-1,
    )


def bench_pipeline(args) -> dict:
    rng = random.Random(11)
    pool = [ex.text for name in data.EVAL_SETS for ex in data.eval_set(name)]
    pool += [
        ex.text
        for ex in data.load_split(
            "test", ["cuba_hotels_es", "airline_tweets_en", "opener_de", "opener_fr"]
        )
    ]
    rng.shuffle(pool)
    texts = pool[: args.n]
    model = SentimentModel.load(args.model, precision="fp32")
    model.threads = args.threads or None
    model.calibration = {}  # the pipeline knows no calibration
    with tempfile.TemporaryDirectory() as tmp:
        pipe = hf_pipeline_from(model, Path(tmp))
    torch.set_num_threads(args.threads or torch.get_num_threads())
    n_tokens = [len(x) for x in model.tokenizer([model.prefix + t for t in texts])["input_ids"]]
    fits = [n <= model.max_length for n in n_tokens]

    for text in texts[:10]:  # warm-up, both
        pipe(model.prefix + text)
    model.predict(texts[:10])

    t0 = time.perf_counter()
    theirs = []
    with torch.inference_mode():
        for text in texts:
            theirs.append(
                pipe(model.prefix + text, truncation=True, max_length=model.max_length)[0]["label"]
            )
    t_pipe = time.perf_counter() - t0

    t0 = time.perf_counter()
    probs = model.predict(texts)
    t_ours = time.perf_counter() - t0
    ours = [("negative", "neutral", "positive")[i] for i in probs.argmax(1)]
    same = [a == b for a, b, f in zip(ours, theirs, fits) if f]
    result = {
        "n": len(texts),
        "threads": torch.get_num_threads(),
        "pipeline_comments_per_s": round(len(texts) / t_pipe, 1),
        "ours_fp32_comments_per_s": round(len(texts) / t_ours, 1),
        "speedup_fp32": round(t_pipe / t_ours, 2),
        "longer_than_window": int(len(texts) - sum(fits)),
        "identical_labels_within_window": f"{sum(same)}/{len(same)}",
    }
    if args.adopted != "fp32":
        fast = SentimentModel.load(args.model, precision=args.adopted)
        fast.threads = args.threads or None
        fast.calibration = {}
        fast.predict(texts[:10])
        t0 = time.perf_counter()
        probs_fast = fast.predict(texts)
        t_fast = time.perf_counter() - t0
        result[f"ours_{args.adopted}_comments_per_s"] = round(len(texts) / t_fast, 1)
        result[f"speedup_{args.adopted}"] = round(t_pipe / t_fast, 2)
        result[f"labels_{args.adopted}_vs_fp32_same"] = round(
            float(np.mean(probs_fast.argmax(1) == probs.argmax(1))), 4
        )
    log(f"pipeline: {result}")
    return result


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--model", default="builtin")
    p.add_argument("--out", type=Path, default=Path("bench_sentiment.json"))
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    p.add_argument("--per-set", type=int, default=300)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--precisions", default="fp32,bf16,int8")
    p.add_argument("--adopted", default="bf16", help="precision also timed against the pipeline")
    p.add_argument("--skip", default="", help="comma list: precision,pipeline")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    report = {"threads": args.threads or torch.get_num_threads(), "command": " ".join(sys.argv)}
    if "precision" not in args.skip:
        report["precision"] = bench_precisions(args, test_texts(args.per_set))
    if "pipeline" not in args.skip:
        report["pipeline"] = bench_pipeline(args)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
