"""Inference backends side by side on the same real comments; prints numbers and writes JSON.

    .venv/bin/python scripts/bench_backends.py --per-set 70 --threads 2 [--int8] [--sizes]

The comments: the held-out test parts of the 10 sentiment evaluation sets (scripts/
sentiment_data.py, --per-set each: 700 texts in 9 languages). For the sentiment model: texts/s
of torch fp32, torch bf16 autocast (where the CPU computes bf16 natively), onnxruntime fp32 and,
with --int8, onnxruntime static int8 (scripts/bench_int8.py's "minmax" variant, calibrated on
--calibration texts of the training parts); the largest probability difference and the label
agreement with torch fp32, and macro-F1 (mean over the sets). For the encoder (clause vectors, "query: " prefix): texts/s and the
largest vector difference. Ratios are against torch fp32. --sizes: file size and resident memory
of a graph session with the word embeddings looked up in front (what feedback-nlp does) and with
them inside the graph.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sentiment_data as data
from bench_sentiment import log, test_texts  # the same held-out texts, the same log lines
from train_sentiment import macro_f1

from feedback_nlp.encoders import onnx
from feedback_nlp.encoders.backend import load_embedder, load_sentiment
from feedback_nlp.encoders.device import has_fast_bf16, torch_threads


def f1_mean(sets: dict[str, list], pred: np.ndarray) -> float:
    scores, start = [], 0
    for items in sets.values():
        y = np.array([ex.label for ex in items])
        scores.append(macro_f1(y, pred[start : start + len(items)]))
        start += len(items)
    return float(np.mean(scores))


def autocast(on: bool):
    if not on:
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cpu", dtype=torch.bfloat16)


def timed(fn, *args, repeat: int = 1):
    fn(*[a[:16] for a in args])  # warm-up: first-call allocations and kernel choice
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return result, best


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def session_rss(path: Path, threads: int) -> float:
    """Resident MB one onnxruntime session of `path` adds, in a fresh process (memory this one
    freed would be reused and hide it)."""
    import subprocess

    code = (
        "import sys; sys.path.insert(0, 'scripts'); from bench_backends import rss_mb;"
        "from feedback_nlp.encoders.onnx import open_session; before = rss_mb();"
        f"s = open_session({str(path)!r}, {threads}); print(rss_mb() - before)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return round(float(done.stdout.split()[-1]), 1)


def attention_products(path: Path) -> list[str]:
    """The MatMul nodes that multiply two activations (query x key, weights x value): no weight
    to quantise per channel, and their ranges vary most from text to text."""
    import onnx as onnx_lib

    graph = onnx_lib.load(str(path)).graph
    weights = {t.name for t in graph.initializer}
    return [
        n.name for n in graph.node
        if n.op_type == "MatMul" and not any(i in weights for i in n.input)
    ]  # fmt: skip


def static_int8(model, texts: list[str], folder: Path) -> Path:
    """The sentiment graph quantised to int8 (QDQ, per-channel weights, the weight MatMuls only,
    MinMax ranges), calibrated on `texts` one batch at a time (scripts/bench_int8.py, which
    measures this and other variants against the rule of issue 20)."""
    from bench_int8 import quantise  # it imports this module: import when used

    ids = model.windows(texts)[0]
    pad = model.tokenizer.pad_token_id or 0
    return quantise(model.runner, ids, pad, folder / "sentiment-int8.onnx", "minmax")


def bench_sentiment(args, sets) -> dict:
    items = [ex for part in sets.values() for ex in part]
    texts, langs = [ex.text for ex in items], [ex.lang for ex in items]
    runs: dict[str, dict] = {}
    ref = None
    variants = [("torch fp32", "torch", False), ("onnx fp32", "onnx", False)]
    if has_fast_bf16():
        variants.insert(1, ("torch bf16", "torch", True))
    ort_model = None
    for name, backend, bf16 in variants:
        model = load_sentiment("builtin", backend=backend, precision="bf16" if bf16 else "fp32")
        model.threads = args.threads
        probs, seconds = timed(lambda t, g, m=model: m.predict(t, lang=g), texts, langs)
        runs[name] = {"probs": probs, "seconds": seconds}
        if ref is None:
            ref = probs
        if backend == "onnx":
            ort_model = model
        else:
            del model
    if args.int8:
        calib = random.Random(3).sample(
            [ex.text for ex in data.load_split("train")], args.calibration
        )
        with tempfile.TemporaryDirectory() as tmp:
            log(f"calibrating static int8 on {len(calib)} training texts")
            path = static_int8(ort_model, calib, Path(tmp))
            ort_model.runner.path = path
            ort_model.runner._session = None
            probs, seconds = timed(lambda t, g: ort_model.predict(t, lang=g), texts, langs)
            runs["onnx int8 static"] = {"probs": probs, "seconds": seconds}
    base = runs["torch fp32"]["seconds"]
    onnx_labels = runs["onnx fp32"]["probs"].argmax(1)
    out = {}
    for name, run in runs.items():
        pred = run["probs"].argmax(1)
        out[name] = {
            "texts_per_s": round(len(texts) / run["seconds"], 1),
            "ratio_vs_torch_fp32": round(base / run["seconds"], 2),
            "max_prob_diff_vs_torch_fp32": float(np.abs(run["probs"] - ref).max()),
            "labels_same_as_torch_fp32": round(float(np.mean(pred == ref.argmax(1))), 4),
            "labels_same_as_onnx_fp32": round(float(np.mean(pred == onnx_labels)), 4),
            "macro_f1_mean": round(f1_mean(sets, pred), 4),
        }
        log(f"sentiment {name}: {out[name]}")
    return out


def bench_encoder(args, texts: list[str]) -> dict:
    runs = {}
    variants = [("torch fp32", "torch", False), ("onnx fp32", "onnx", False)]
    if has_fast_bf16():
        variants.insert(1, ("torch bf16", "torch", True))
    for name, backend, bf16 in variants:
        embedder = load_embedder(backend=backend)
        embedder.num_threads = args.threads

        def embed(t, embedder=embedder, bf16=bf16):
            with autocast(bf16):
                return embedder.embed(t, prefix="query: ")

        vectors, seconds = timed(embed, texts)
        runs[name] = (vectors, seconds)
        del embedder
    ref, base = runs["torch fp32"]
    out = {}
    for name, (vectors, seconds) in runs.items():
        out[name] = {
            "texts_per_s": round(len(texts) / seconds, 1),
            "ratio_vs_torch_fp32": round(base / seconds, 2),
            "max_abs_diff_vs_torch_fp32": float(np.abs(vectors - ref).max()),
        }
        log(f"encoder {name}: {out[name]}")
    return out


def bench_sizes(args) -> dict:
    """The encoder graph with the packed lookup in front vs nn.Embedding inside: file, RSS."""
    import torch

    from feedback_nlp.encoders.load import load_encoder

    out = {}
    path = load_embedder(backend="onnx").runner.path
    out["lookup_in_front"] = {
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "session_rss_mb": session_rss(path, args.threads),
    }

    class WithEmbedding(torch.nn.Module):
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]

    bert = load_encoder(None, compact_embeddings=False)[0]
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "with-embedding.onnx"
        ids = torch.ones(2, 7, dtype=torch.long)
        with torch.no_grad():
            torch.onnx.export(
                WithEmbedding(bert), (ids, ids), str(file), opset_version=onnx.OPSET,
                input_names=["input_ids", "attention_mask"], dynamo=False,
                dynamic_axes={"input_ids": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "t"}},
            )  # fmt: skip
        out["embedding_in_graph"] = {
            "file_mb": round(file.stat().st_size / 2**20, 1),
            "session_rss_mb": session_rss(file, args.threads),
        }
    log(f"sizes: {out}")
    return out


def cpu_flags() -> list[str]:
    text = Path("/proc/cpuinfo").read_text()
    flags = next((line for line in text.splitlines() if line.startswith("flags")), "").split()
    return [f for f in flags if f.startswith(("avx", "amx")) or f in ("fma", "f16c")]


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--per-set", type=int, default=70)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--int8", action="store_true", help="also static int8 onnx (sentiment)")
    p.add_argument("--calibration", type=int, default=300, help="int8 calibration texts")
    p.add_argument("--sizes", action="store_true", help="graph file size / RSS, both layouts")
    p.add_argument("--out", type=Path, default=Path("bench_backends.json"))
    args = p.parse_args()
    sets = test_texts(args.per_set)
    texts = [ex.text for part in sets.values() for ex in part]
    log(f"{len(texts)} texts from {len(sets)} held-out sets, {args.threads} threads")
    with torch_threads(args.threads):
        result = {
            "texts": len(texts),
            "threads": args.threads,
            "cpu_flags": cpu_flags(),
            "python": sys.version.split()[0],
            "onnxruntime": onnx.ort_version(),
            "sentiment": bench_sentiment(args, sets),
            "encoder": bench_encoder(args, texts),
        }
        if args.sizes:
            result["sizes"] = bench_sizes(args)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
