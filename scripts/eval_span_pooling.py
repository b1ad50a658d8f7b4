"""Would one sentiment pass per comment do for its clauses too? ("span pooling", issue 6)

Today every comment and each of its clauses goes through the sentiment model on its own
(`analyze` makes ~4.2 sentiment passes per comment). Span pooling would run the comment once
and read each clause's sentiment from the mean of the clause's own token states in that pass
(the same head, the same mean pooling the model was trained with, over fewer tokens). This
script measures what that would cost in accuracy, on held-out labelled sentences:

* each SemEval-2016 test sentence (six languages; the test parts of issue 3) is placed in a
  made-up comment between two other sentences of the same language's file, drawn at random
  (the file's sentences are shuffled, so neighbours are other reviews: a harder case than a
  real comment, whose clauses share one subject);
* (a) the sentence alone, as `analyze` scores a clause now (`SentimentModel.predict`, with the
  per-language offsets); (b) span pooling inside the made-up comment, same offsets; (c) the
  same with neighbours of the sentence's own label (train sentences): context that agrees;
* macro-F1 against the sentence labels per language and the mean, the share of labels (a)
  and (b) agree on, and the model time of each way over the same comments (a: the comments
  and their three sentences, as `analyze` does; b: the comments only).

    .venv/bin/python scripts/eval_span_pooling.py --threads 2
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import time

import numpy as np
import sentiment_data as data
import torch
from train_sentiment import macro_f1

from feedback_nlp.encoders.sentiment import SentimentModel, _softmax


def made_up_comments(
    lang: str, tests: list, rng: random.Random, *, same_label: bool = False
) -> list[tuple[str, int, int]]:
    """(comment, start, end of the test sentence in it) for each test sentence; neighbours
    drawn from all the language's sentences, or (``same_label``) from its labelled train
    sentences of the test sentence's own label."""
    if same_label:
        train = [ex for ex in data.load_file("semeval2016_train") if ex.split == "train"]
        by_label = {
            k: [ex.text for ex in train if ex.lang == lang and ex.label == k] for k in range(3)
        }
    else:
        path = data.DATA_DIR / "semeval2016_train.jsonl.gz"
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            pool = [r["text"].strip() for r in map(json.loads, fh) if r["lang"] == lang]
        pool = [t for t in pool if t]
    out = []
    for ex in tests:
        choices = by_label[ex.label] if same_label else pool
        before, after = rng.choice(choices), rng.choice(choices)
        start = len(before) + 1
        out.append((f"{before} {ex.text} {after}", start, start + len(ex.text)))
    return out


def span_probs(
    model: SentimentModel, comments: list[tuple[str, int, int]], lang: str, batch_size: int
) -> np.ndarray:
    """Probabilities (n, 3) of each comment's marked span, from one pass over the comment."""
    clf = model.model
    tok = model.tokenizer
    prefix = model.prefix
    autocast = (
        torch.autocast("cpu", dtype=torch.bfloat16)
        if model.precision == "bf16"
        else contextlib.nullcontext()
    )
    order = sorted(range(len(comments)), key=lambda i: len(comments[i][0]))
    logits = np.zeros((len(comments), clf.classifier.out_features), dtype=np.float32)
    with torch.inference_mode(), autocast:
        for b in range(0, len(order), batch_size):
            batch = order[b : b + batch_size]
            enc = tok(
                [prefix + comments[i][0] for i in batch],
                return_offsets_mapping=True,
                padding=True,
                truncation=True,
                max_length=model.max_length,
                return_tensors="pt",
            )
            offsets = enc.pop("offset_mapping")
            hidden = clf.bert(
                input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]
            ).last_hidden_state.float()
            for row, i in enumerate(batch):
                _, start, end = comments[i]
                lo, hi = offsets[row, :, 0] - len(prefix), offsets[row, :, 1] - len(prefix)
                inside = (hi > start) & (lo < end) & (offsets[row, :, 1] > offsets[row, :, 0])
                pooled = hidden[row, inside].mean(0)
                logits[i] = clf.classifier(pooled).float().numpy()
    probs = _softmax(logits)  # the builtin model's labels are already negative/neutral/positive
    bias = model.calibration.get(lang)
    return probs if bias is None else _softmax(np.log(probs.clip(1e-12)) + bias)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model = SentimentModel.load("builtin")
    model.threads = args.threads
    rng = random.Random(args.seed)
    rows = []
    time_a = time_b = 0.0
    tokens_a = tokens_b = 0
    for lang in data.SEMEVAL_LANGS:
        tests = data.eval_set(f"semeval2016_{lang}")
        y = np.array([ex.label for ex in tests])
        comments = made_up_comments(lang, tests, rng)
        t0 = time.perf_counter()
        alone = model.predict([ex.text for ex in tests], lang=lang, batch_size=args.batch_size)
        # what analyze computes today for these comments: each comment, and each of its clauses
        neighbours = [c[:s].strip() for c, s, _ in comments] + [
            c[e:].strip() for c, _, e in comments
        ]
        model.predict(
            [c for c, _, _ in comments] + neighbours, lang=lang, batch_size=args.batch_size
        )
        time_a += time.perf_counter() - t0
        t0 = time.perf_counter()
        pooled = span_probs(model, comments, lang, args.batch_size)
        time_b += time.perf_counter() - t0
        texts_a = [ex.text for ex in tests] + [c for c, _, _ in comments] + neighbours
        tokens_a += sum(len(ids) for ids in model.tokenizer(texts_a)["input_ids"])
        tokens_b += sum(
            len(ids) for ids in model.tokenizer([c for c, _, _ in comments])["input_ids"]
        )
        consistent = span_probs(
            model, made_up_comments(lang, tests, rng, same_label=True), lang, args.batch_size
        )
        a, b, c = alone.argmax(1), pooled.argmax(1), consistent.argmax(1)
        rows.append(
            (lang, len(tests), macro_f1(y, a), macro_f1(y, b), float(np.mean(a == b)),
             macro_f1(y, c))
        )  # fmt: skip
    head = f"{'set':18s} {'n':>5s} {'alone':>7s} {'span':>7s} {'same label':>10s}"
    print(f"{head} {'span, neighbours of its label':>30s}")
    for lang, n, fa, fb, same, fc in rows:
        print(f"semeval2016_{lang:6s} {n:5d} {fa:7.3f} {fb:7.3f} {same:10.1%} {fc:30.3f}")
    mean_a, mean_b = np.mean([r[2] for r in rows]), np.mean([r[3] for r in rows])
    mean_c = np.mean([r[5] for r in rows])
    same = np.average([r[4] for r in rows], weights=[r[1] for r in rows])
    print(f"{'mean of 6':18s} {'':5s} {mean_a:7.3f} {mean_b:7.3f} {same:10.1%} {mean_c:30.3f}")
    print(
        f"model time over the same made-up comments: (a) comment + each clause alone "
        f"{time_a:.1f} s, {tokens_a:,} tokens; (b) one pass per comment {time_b:.1f} s, "
        f"{tokens_b:,} tokens ({time_a / time_b:.2f}x less time)"
    )


if __name__ == "__main__":
    main()
