"""Static (calibrated) int8 against onnxruntime fp32, the default; prints numbers, writes JSON.

    cd scripts && ../.venv/bin/python bench_int8.py --per-set 70 --threads 2 --calibration 300

Issue 20's rule for int8: it may become the default only if >= 99 % of the sentiment labels stay
the same as fp32 and held-out macro-F1 stays within 0.5 point (mean of the sets; no set worse by
more than 1 point). For each variant (--variants) the sentiment graph is quantised (QDQ, int8
per-channel weights, uint8 activations, only the weight MatMuls: the attention products are left
in float) and calibrated on --calibration texts of the TRAINING parts (scripts/sentiment_data.py;
never the held-out test texts). Calibration runs one batch at a time (``CalibStridedMinMax``: the
calibrator reduces each batch to ranges or histograms and drops its tensors), which keeps it in a
few GB instead of every intermediate tensor of every batch (10.7 GB and an OOM kill before).

Measured per variant, on the held-out test texts of bench_sentiment (--per-set of each of the 10
sets): texts/s of int8 and fp32 (same texts, same --threads, one timed pass each, the order
alternating from variant to variant; with --chunks N the texts are timed in N slices and the
order flips from slice to slice), labels same as fp32, macro-F1 per set and their mean. Then
the encoder (clause vectors, "query: " prefix) with --encoder-variant: cosine of the int8 vector
to the fp32 one, and the share of clauses whose top theme by meaning (best prototype similarity,
the prototypes embedded by the same graph) changes, on --clauses SemEval-2016 restaurant
sentences (restaurant taxonomy) and as many Comcast complaint titles (telecom taxonomy).

Variants: ``minmax`` (MinMax ranges), ``percentile`` (99.999th percentile of |x|, symmetric),
``minmax-keep-ffn-out`` (MinMax, the feed-forward output MatMuls -- the ones reading the GELU
output, whose range has the largest outliers -- left in float), ``qoperator`` (MinMax, QOperator
format instead of QDQ), ``minmax-keep-ffn-out-ends`` (as keep-ffn-out, and every MatMul of the
first and the last layer in float), ``percentile-keep-ffn-out``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import sys
import time
from pathlib import Path

import numpy as np
import sentiment_data as data
from bench_backends import attention_products, cpu_flags, f1_mean
from bench_sentiment import log, test_texts
from train_sentiment import macro_f1

from feedback_nlp.encoders import onnx
from feedback_nlp.encoders.backend import load_embedder, load_sentiment
from feedback_nlp.encoders.embedder import padded_batches

VARIANTS = (
    "minmax", "percentile", "minmax-keep-ffn-out", "qoperator", "minmax-keep-ffn-out-ends",
    "percentile-keep-ffn-out",
)  # fmt: skip


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_avg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def ffn_out_matmuls(path: Path) -> list[str]:
    """The MatMuls whose weight has more rows than columns: the feed-forward down-projections
    (intermediate 1536 -> hidden 384), which read the GELU output."""
    import onnx as onnx_lib

    graph = onnx_lib.load(str(path)).graph
    shapes = {t.name: tuple(t.dims) for t in graph.initializer}
    out = []
    for n in graph.node:
        dims = next((shapes[i] for i in n.input if i in shapes and len(shapes[i]) == 2), None)
        if n.op_type == "MatMul" and dims and dims[0] > dims[1]:
            out.append(n.name)
    return out


def end_layer_matmuls(path: Path) -> list[str]:
    """Every MatMul of the first and the last encoder layer."""
    import onnx as onnx_lib

    names = [n.name for n in onnx_lib.load(str(path)).graph.node if n.op_type == "MatMul"]
    layers = {int(n.split("/layer.")[1].split("/")[0]) for n in names if "/layer." in n}
    ends = (f"/layer.{min(layers)}/", f"/layer.{max(layers)}/")
    return [n for n in names if any(e in n for e in ends)]


def quantise(
    runner, ids: list[list[int]], pad: int, out: Path, variant: str, batch: int = 8
) -> Path:
    """``runner``'s graph quantised to int8 as ``variant`` says, calibrated on the token windows
    ``ids`` one batch of ``batch`` at a time."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    batches = [(m, i) for _, i, m in padded_batches(ids, batch, pad)]

    class Reader(CalibrationDataReader):
        """One padded batch per item; quantize_static asks for one stride at a time."""

        def __init__(self) -> None:
            self.set_range(0, len(batches))

        def __len__(self) -> int:
            return len(batches)

        def set_range(self, start_index: int, end_index: int) -> None:
            self.todo = iter(batches[start_index:end_index])

        def get_next(self):
            item = next(self.todo, None)
            if item is None:
                return None
            mask, input_ids = item
            embeds = onnx.lookup(runner.codes, runner.scales, input_ids.numpy())
            return {"inputs_embeds": embeds, "attention_mask": mask.numpy()}

    exclude = attention_products(runner.path)
    if "keep-ffn-out" in variant:
        exclude += ffn_out_matmuls(runner.path)
    if variant.endswith("-ends"):
        exclude += end_layer_matmuls(runner.path)
    percentile = variant.startswith("percentile")
    method = CalibrationMethod.Percentile if percentile else CalibrationMethod.MinMax
    fmt = QuantFormat.QOperator if variant == "qoperator" else QuantFormat.QDQ
    quantize_static(
        str(runner.path), str(out), Reader(), quant_format=fmt, per_channel=True,
        weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
        op_types_to_quantize=["MatMul"], nodes_to_exclude=exclude, calibrate_method=method,
        extra_options={"CalibStridedMinMax": 1},
    )  # fmt: skip
    return out


def timed_predict(model, path: Path, texts, langs) -> tuple[np.ndarray, float]:
    model.runner.path, model.runner._session = path, None
    model.predict(texts[:8], lang=langs[:8])  # warm-up: session load, first-call allocations
    t0 = time.perf_counter()
    probs = model.predict(texts, lang=langs)
    return probs, time.perf_counter() - t0


def timed_both(model, order, texts, langs, chunks: int) -> dict[str, tuple[np.ndarray, float]]:
    """Both graphs on ``texts`` in ``chunks`` slices, the order flipping from slice to slice
    (A B B A ...): on shared cores the load drifts, and a drift then weighs on both alike."""
    bounds = np.linspace(0, len(texts), chunks + 1).astype(int)
    parts: dict[str, list] = {name: [] for name, _ in order}
    seconds = dict.fromkeys(parts, 0.0)
    for i in range(chunks):
        a, b = bounds[i], bounds[i + 1]
        for name, path in order if i % 2 == 0 else order[::-1]:
            probs, s = timed_predict(model, path, texts[a:b], langs[a:b])
            parts[name].append(probs)
            seconds[name] += s
    for name in parts:
        log(f"  {name}: {len(texts) / seconds[name]:.1f} texts/s, load {load_avg()}")
    return {name: (np.concatenate(parts[name]), seconds[name]) for name in parts}


def per_set_f1(sets: dict[str, list], pred: np.ndarray) -> dict[str, float]:
    out, start = {}, 0
    for name, items in sets.items():
        y = np.array([ex.label for ex in items])
        out[name] = round(float(macro_f1(y, pred[start : start + len(items)])), 4)
        start += len(items)
    return out


def bench_sentiment(args, sets, folder: Path) -> dict:
    items = [ex for part in sets.values() for ex in part]
    texts, langs = [ex.text for ex in items], [ex.lang for ex in items]
    model = load_sentiment("builtin", backend="onnx", precision="fp32")
    model.threads = args.threads
    fp32_path = model.runner.path
    calib = random.Random(3).sample([ex.text for ex in data.load_split("train")], args.calibration)
    ids = model.windows(calib)[0]
    pad = model.tokenizer.pad_token_id or 0
    ref = None
    out: dict = {}
    for k, variant in enumerate(args.variants):
        model.runner.path = fp32_path  # timing below points it at the graph it runs
        log(f"sentiment {variant}: calibrating on {len(calib)} training texts ({len(ids)} windows)")
        t0 = time.perf_counter()
        path = quantise(model.runner, ids, pad, folder / f"sentiment-{variant}.onnx", variant)
        calib_s = time.perf_counter() - t0
        log(f"  calibrated in {calib_s:.0f} s, peak RSS so far {peak_rss_mb():.0f} MB")
        order = [("fp32", fp32_path), ("int8", path)]
        runs = timed_both(model, order if k % 2 == 0 else order[::-1], texts, langs, args.chunks)
        fp32_probs, fp32_s = runs["fp32"]
        probs, int8_s = runs["int8"]
        if ref is None:
            ref = fp32_probs
            out["fp32"] = {
                "macro_f1_mean": round(f1_mean(sets, ref.argmax(1)), 4),
                "macro_f1_per_set": per_set_f1(sets, ref.argmax(1)),
            }
        pred = probs.argmax(1)
        f1_sets = per_set_f1(sets, pred)
        worst = min(f1_sets[s] - out["fp32"]["macro_f1_per_set"][s] for s in f1_sets)
        same = float(np.mean(pred == fp32_probs.argmax(1)))
        f1 = f1_mean(sets, pred)
        passes = (
            same >= 0.99 and abs(f1 - out["fp32"]["macro_f1_mean"]) <= 0.005 and worst >= -0.01
        )
        out[variant] = {
            "calibration_s": round(calib_s, 1),
            "peak_rss_mb_after_calibration": round(peak_rss_mb()),
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "int8_texts_per_s": round(len(texts) / int8_s, 2),
            "fp32_texts_per_s": round(len(texts) / fp32_s, 2),
            "speedup_vs_fp32": round(fp32_s / int8_s, 2),
            "timed_first": (order if k % 2 == 0 else order[::-1])[0][0],
            "labels_same_as_fp32": round(same, 4),
            "max_prob_diff_vs_fp32": round(float(np.abs(probs - fp32_probs).max()), 4),
            "macro_f1_mean": round(f1, 4),
            "macro_f1_per_set": f1_sets,
            "worst_set_change": round(worst, 4),
            "passes_rule": bool(passes),
        }
        log(f"sentiment {variant}: {json.dumps(out[variant])}")
    return out


def clauses(n: int) -> dict[str, list[str]]:
    rng = random.Random(11)
    # not the training part: the calibration texts come from there
    semeval = [
        ex.text for ex in data.load_file("semeval2016_train") if ex.lang == "en" and ex.split != "train"
    ]  # fmt: skip
    with gzip.open(data.DATA_DIR / "comcast_fcc_complaints_en.jsonl.gz", "rt") as fh:
        comcast = [r["text"] for r in map(json.loads, fh) if r.get("text")]
    return {"restaurant": rng.sample(semeval, n), "telecom": rng.sample(comcast, n)}


def bench_encoder(args, folder: Path) -> dict:
    from feedback_nlp.themes.semantic import Prototypes
    from feedback_nlp.themes.taxonomy_file import load_taxonomy

    embedder = load_embedder(backend="onnx")
    embedder.num_threads = args.threads
    fp32_path = embedder.runner.path
    calib = random.Random(3).sample([ex.text for ex in data.load_split("train")], args.calibration)
    ids = [embedder.tokenizer("query: " + t, truncation=True, max_length=512)["input_ids"]
           for t in calib]  # fmt: skip
    log(f"encoder {args.encoder_variant}: calibrating on {len(ids)} training texts")
    path = quantise(
        embedder.runner, ids, embedder._pad_id, folder / "encoder.onnx", args.encoder_variant
    )
    log(f"  calibrated, peak RSS so far {peak_rss_mb():.0f} MB")
    out: dict = {"variant": args.encoder_variant}
    for taxonomy, texts in clauses(args.clauses).items():
        vecs, tops, secs = {}, {}, {}
        for name, p in (("fp32", fp32_path), ("int8", path)):
            embedder.runner.path, embedder.runner._session = p, None
            embed = lambda t: embedder.embed(t, prefix="query: ")
            protos = Prototypes(load_taxonomy(taxonomy), embed)
            t0 = time.perf_counter()
            vecs[name] = embed(texts)
            secs[name] = time.perf_counter() - t0
            tops[name] = protos.similarities(vecs[name]).argmax(1)
        cos = (vecs["fp32"] * vecs["int8"]).sum(1)
        out[taxonomy] = {
            "clauses": len(texts),
            "cosine_mean": round(float(cos.mean()), 4),
            "cosine_min": round(float(cos.min()), 4),
            "top_theme_changed": round(float(np.mean(tops["fp32"] != tops["int8"])), 4),
            "speedup_vs_fp32": round(secs["fp32"] / secs["int8"], 2),
        }
        log(f"encoder {taxonomy}: {json.dumps(out[taxonomy])}")
    return out


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--per-set", type=int, default=70)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--calibration", type=int, default=300, help="training texts to calibrate on")
    p.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS[:3]))
    p.add_argument("--chunks", type=int, default=1, help="timed slices, order flipping (ABBA)")
    p.add_argument("--encoder-variant", choices=VARIANTS, default="minmax")
    p.add_argument("--clauses", type=int, default=150, help="per taxonomy, for the encoder")
    p.add_argument("--skip-encoder", action="store_true")
    p.add_argument("--work", type=Path, default=Path("/tmp/bench_int8"), help="quantised graphs")
    p.add_argument("--out", type=Path, default=Path("bench_int8.json"))
    args = p.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sets = test_texts(args.per_set)
    n = sum(len(v) for v in sets.values())
    log(f"{n} texts from {len(sets)} held-out sets, {args.threads} threads, load {load_avg()}")
    result = {
        "command": " ".join(["scripts/bench_int8.py", *sys.argv[1:]]),
        "texts": n,
        "threads": args.threads,
        "cpu_flags": cpu_flags(),
        "onnxruntime": onnx.ort_version(),
        "load_avg_start": load_avg(),
        "sentiment": bench_sentiment(args, sets, args.work),
    }
    if not args.skip_encoder:
        result["encoder"] = bench_encoder(args, args.work)
    result["load_avg_end"] = load_avg()
    result["peak_rss_mb"] = round(peak_rss_mb())
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
