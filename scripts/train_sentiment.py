"""Train the builtin sentiment adapter (LoRA + LayerNorms + head on multilingual-e5-small).

    .venv/bin/python scripts/train_sentiment.py --out feedback_nlp/models        # train + evaluate
    .venv/bin/python scripts/train_sentiment.py --out feedback_nlp/models --eval-only

CPU budget: bf16 autocast, LoRA on every attention/feed-forward linear, max 128 tokens with
length-bucketed batches and dynamic padding, one pass over a class-balanced multilingual mix.
``--budget-min`` bounds the wall-clock time: the number of steps is re-estimated from the measured
speed as training goes (batches are in random order, so stopping early drops random batches) and
the learning-rate schedule follows the new total.

After training: per-language prior correction fitted on the dev parts (stored in sentiment.json),
then macro-F1 on the held-out test parts, written to metrics.json beside the model.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import sentiment_data as data
import torch
from torch import nn

from feedback_nlp.encoders.embedder import pad_batch
from feedback_nlp.encoders.lora import MeanPoolClassifier, add_lora, trainable_state
from feedback_nlp.encoders.sentiment import ADAPTER_FILE, CONFIG_FILE, SentimentModel

PREFIX = "query: "  # e5's prefix for classification-style use


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def make_batches(
    lengths: list[int], batch_size: int, rng: random.Random, chunk: int = 64
) -> list[list[int]]:
    """Length-bucketed batches: sort within random chunks of ``chunk`` batches, then shuffle batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches = []
    span = batch_size * chunk
    for start in range(0, len(order), span):
        part = sorted(order[start : start + span], key=lambda i: lengths[i])
        batches += [part[j : j + batch_size] for j in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(ids: list[list[int]], batch: list[int], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    return pad_batch(ids, batch, pad, max(len(ids[i]) for i in batch))


def save(model: MeanPoolClassifier, out: Path, config: dict) -> None:
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(torch.float16) for k, v in trainable_state(model).items()}
    save_file(state, str(out / ADAPTER_FILE), metadata={"format": "pt"})
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=1, sort_keys=True) + "\n")


def file_values(items: list[str], option: str, parse, rule: str) -> dict:
    """``FILE=V`` arguments as {file: parse(V)}; ``parse`` gives None for a V it cannot use, and
    then (or for an unknown FILE) the script exits saying ``rule``."""
    values = {}
    for item in items:
        file, _, text = item.partition("=")
        value = parse(text)
        if file not in data.FILES or value is None:
            raise SystemExit(f"{option} wants {rule} with FILE one of {', '.join(data.FILES)}")
        values[file] = value
    return values


def file_counts(items: list[str], option: str, minimum: int) -> dict[str, int]:
    """``FILE=N`` arguments (``--cap``, ``--repeat``) as {file: N}."""

    def parse(text: str) -> int | None:
        return int(text) if text.isdigit() and int(text) >= minimum else None

    return file_values(items, option, parse, f"FILE=N (N >= {minimum})")


def file_weights(items: list[str]) -> dict[str, float]:
    """``FILE=W`` arguments (``--neutral-weight``) as {file: W}, W > 0."""

    def parse(text: str) -> float | None:
        try:
            w = float(text)
        except ValueError:
            return None
        return w if w > 0 else None

    return file_values(items, "--neutral-weight", parse, "FILE=W (W > 0)")


def train(args: argparse.Namespace, encoder, tokenizer) -> None:
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    caps = file_counts(args.cap, "--cap", minimum=0)
    mix = data.training_mix(seed=args.seed, scale=args.scale, caps=caps)
    for file, k in file_counts(args.repeat, "--repeat", minimum=1).items():
        # more weight for a file's sentences without new data: its drawn rows appear K times
        mix += [ex for ex in mix if ex.file == file] * (k - 1)
    if args.repeat:  # own generator: runs without --repeat keep their batch order
        random.Random(args.seed + 1).shuffle(mix)
    log(f"training mix:\n{data.describe(mix)}")
    enc = tokenizer(
        [PREFIX + ex.text for ex in mix],
        add_special_tokens=True,
        truncation=True,
        max_length=args.max_length,
    )["input_ids"]
    labels = torch.tensor([ex.label for ex in mix])
    lengths = [len(x) for x in enc]
    log(
        f"tokens: mean {np.mean(lengths):.1f}, p90 {np.percentile(lengths, 90):.0f}, truncated "
        f"{sum(n >= args.max_length for n in lengths)}"
    )

    device = torch.device(args.device)
    model = MeanPoolClassifier(encoder, num_labels=3, dropout=0.1)
    for p in model.parameters():
        p.requires_grad_(False)
    n_lora = add_lora(model.bert, args.r, args.alpha, first_layer=args.first_layer, dropout=0.05)
    lora, norms = [], []
    for name, p in model.named_parameters():
        if "lora_" in name:
            p.requires_grad_(True)
            lora.append(p)
        elif (
            "LayerNorm" in name and (args.first_layer == 0 or _layer_of(name) >= args.first_layer)
        ) or name.startswith("classifier."):
            p.requires_grad_(True)
            norms.append(p)
    log(f"LoRA on {n_lora} linears; trainable {sum(p.numel() for p in lora + norms):,} parameters")
    if args.resume_from:
        from safetensors.torch import load_file

        state = {k: v.float() for k, v in load_file(str(args.resume_from / ADAPTER_FILE)).items()}
        result = model.load_state_dict(state, strict=False)
        assert not result.unexpected_keys, result.unexpected_keys[:3]
        log(f"resumed from {args.resume_from} ({len(state)} tensors)")
    model.to(device)
    opt = torch.optim.AdamW(
        [{"params": lora, "weight_decay": 0.01}, {"params": norms, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.98),
    )
    counts = Counter(labels.tolist())
    weights = torch.tensor([(len(labels) / (3 * counts[c])) ** 0.5 for c in range(3)])
    loss_fn = nn.CrossEntropyLoss(weight=weights.to(device), label_smoothing=0.05, reduction="none")
    log(f"class weights {weights.tolist()}")
    # a neutral-specific objective: more loss weight on the neutral sentences of some files
    # (SemEval's neutral = every aspect neutral, rarer and unlike the mid-scale ratings elsewhere)
    neutral_weight = file_weights(args.neutral_weight)
    row_weights = torch.tensor(
        [neutral_weight.get(ex.file, 1.0) if ex.label == 1 else 1.0 for ex in mix]
    )
    if neutral_weight:
        log(f"neutral loss weight {neutral_weight}")

    # each epoch its own shuffle; the budget below may cut the last ones short
    batches = [b for _ in range(args.epochs) for b in make_batches(lengths, args.batch_size, rng)]
    if (
        args.start_batch
    ):  # continue an earlier run's pass: the same order, minus what it already saw
        log(f"skipping the first {args.start_batch} of {len(batches)} batches")
        batches = batches[args.start_batch :]
    total = len(batches)
    warmup = max(10, int(args.warmup * total))
    budget = args.budget_min * 60
    pad = tokenizer.pad_token_id
    model.train()
    start = time.time()
    running, seen = 0.0, 0
    config = _config(args)
    step = 0
    while step < total:
        batch = batches[step]
        frac = step / max(1, total)
        lr = (
            args.lr
            * min(1.0, (step + 1) / warmup)
            * max(0.0, 1 - max(0, step - warmup) / max(1, total - warmup))
        )
        for group in opt.param_groups:
            group["lr"] = lr
        input_ids, mask = collate(enc, batch, pad)
        input_ids, mask = input_ids.to(device), mask.to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            logits = model(input_ids=input_ids, attention_mask=mask)
        target, rows = labels[batch].to(device), row_weights[batch].to(device)
        # = the mean CrossEntropyLoss takes with class weights, when every row weight is 1
        loss = (loss_fn(logits.float(), target) * rows).sum() / (
            rows * loss_fn.weight[target]
        ).sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lora + norms, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        running += loss.item() * len(batch)
        seen += len(batch)
        step += 1
        elapsed = time.time() - start
        if step in (5, 10, 20) or step % args.log_every == 0:
            # re-plan the number of steps from the measured speed so the run ends inside the budget
            per_step = elapsed / step
            affordable = step + int((budget - elapsed) / per_step)
            total = max(step + 1, min(len(batches), affordable))
            log(
                f"step {step}/{total} ({frac:.0%}) loss {running / seen:.4f} lr {lr:.2e} "
                f"{seen / elapsed:.1f} samples/s elapsed {elapsed / 60:.1f} min"
            )
        if step % (4 * args.log_every) == 0:
            save(model, args.out, config)
    config["train_seconds"] = round(time.time() - start)
    config["train_steps"] = step
    config["train_examples"] = min(seen, len(mix))
    config["train_examples_seen"] = seen  # more than the mix when --epochs > 1
    config["train_mix"] = {
        f: dict(sorted(Counter(data.LABELS[ex.label] for ex in mix if ex.file == f).items()))
        for f in sorted({ex.file for ex in mix})
    }
    save(model, args.out, config)
    log(f"trained {step} steps, {seen} examples in {config['train_seconds'] / 60:.1f} min")


def _layer_of(name: str) -> int:
    parts = name.split(".")
    return int(parts[parts.index("layer") + 1]) if "layer" in parts else -1


def _config(args: argparse.Namespace) -> dict:
    return {
        "name": "e5-small-sentiment",
        "labels": list(data.LABELS),
        "prefix": PREFIX,
        "pooling": "mean",
        "lora_r": args.r,
        "lora_alpha": args.alpha,
        "lora_first_layer": args.first_layer,
        "max_length": 512,
        "train_max_length": args.max_length,
        "train_args": {
            k: (str(v) if isinstance(v, Path) else sorted(v) if isinstance(v, set) else v)
            for k, v in vars(args).items()
        },
    }


# ---------------------------------------------------------------------------------------------
# evaluation + calibration


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Macro-F1 over the classes present in ``y`` or ``pred`` (as scikit-learn computes it)."""
    scores = []
    for c in np.union1d(np.unique(y), np.unique(pred)):
        tp = np.sum((pred == c) & (y == c))
        fp = np.sum((pred == c) & (y != c))
        fn = np.sum((pred != c) & (y == c))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def fit_bias(logp: np.ndarray, y: np.ndarray, groups: np.ndarray, l2: float = 0.02) -> np.ndarray:
    """A logit offset (neutral, positive relative to negative) maximising the mean macro-F1 of groups.

    Coordinate search on a grid, with a small penalty towards zero so that noise on small dev
    sets does not move the decision much. ``groups`` = the file of each example, so a language's
    offset serves each of its sources equally rather than its largest one.
    """
    grid = np.round(np.arange(-2.0, 2.01, 0.1), 2)
    # a source without all three classes (binary star sets) says nothing about the neutral prior
    full = [g for g in np.unique(groups) if len(np.unique(y[groups == g])) == 3]
    keep = np.isin(groups, full)
    if not keep.any():
        return np.zeros(3)
    logp, y, groups = logp[keep], y[keep], groups[keep]

    def score(b):
        pred = (logp + b).argmax(1)
        return np.mean(
            [macro_f1(y[groups == g], pred[groups == g]) for g in np.unique(groups)]
        ) - l2 * np.sum(b**2)

    bias = np.zeros(3)
    best = score(bias)
    for _ in range(3):
        for k in (1, 2):
            for v in grid:
                b = bias.copy()
                b[k] = v
                s = score(b)
                if s > best + 1e-9:
                    best, bias = s, b
    return bias


def evaluate(args: argparse.Namespace, encoder_model) -> dict:
    model = SentimentModel.from_adapter(
        args.out, encoder_model=encoder_model, precision=args.eval_precision
    )
    model.threads = args.threads or None
    # calibration: per language, on the dev parts of every file in that language (each file
    # weighs the same in fit_bias, so capping them only saves time)
    rng = random.Random(1)
    dev_by_lang: dict[str, list] = defaultdict(list)
    for file in data.FILES:
        dev = [ex for ex in data.load_file(file) if ex.split == "dev"]
        rng.shuffle(dev)
        by_lang = defaultdict(list)
        for ex in dev:
            by_lang[ex.lang].append(ex)
        for lang, items in by_lang.items():
            if lang in args.calibrate_langs:
                dev_by_lang[lang] += items[: args.dev_cap or None]
    calibration = {}
    model.calibration = {}
    t0 = time.time()
    dev_pred: dict[str, tuple] = {}
    dev_results: dict[str, dict] = {}
    for lang, items in sorted(dev_by_lang.items()):
        probs = model.predict([ex.text for ex in items], batch_size=64)
        y = np.array([ex.label for ex in items])
        groups = np.array([ex.file for ex in items])
        dev_pred[lang] = (np.log(probs.clip(1e-9)), y, groups)
        for name, (file, set_lang) in data.EVAL_SETS.items():  # the dev parts of the test sets
            rows = groups == file
            if set_lang in (None, lang) and rows.any():
                dev_results[name] = {
                    "n": int(rows.sum()),
                    "macro_f1_raw": round(macro_f1(y[rows], probs[rows].argmax(1)), 4),
                }
    for lang, (logp, y, groups) in dev_pred.items():
        bias = fit_bias(logp, y, groups)
        calibration[lang] = [round(float(b), 2) for b in bias]
        log(
            f"dev {lang}: n={len(y)} raw macro-F1 {macro_f1(y, logp.argmax(1)):.3f} bias {calibration[lang]}"
        )
    sem_dev = [
        dev_results.get(f"semeval2016_{lg}", {}).get("macro_f1_raw") for lg in data.SEMEVAL_LANGS
    ]
    if None not in sem_dev:  # all six languages calibrated (the default --calibrate-langs)
        dev_results["semeval2016_mean"] = {"macro_f1_raw": round(float(np.mean(sem_dev)), 4)}
    log(f"dev raw macro-F1 per set: { {k: v['macro_f1_raw'] for k, v in dev_results.items()} }")
    log(f"calibration took {time.time() - t0:.0f}s")

    results = {}
    t0 = time.time()
    n_texts = 0
    for name in data.EVAL_SETS:
        items = data.eval_set(name)
        y = np.array([ex.label for ex in items])
        model.calibration = {}
        probs = model.predict([ex.text for ex in items], batch_size=64)
        n_texts += len(items)
        raw = probs.argmax(1)
        lang = items[0].lang
        bias = np.array(calibration.get(lang, [0, 0, 0]), dtype=np.float32)
        cal = (np.log(probs.clip(1e-9)) + bias).argmax(1)
        results[name] = {
            "n": len(items),
            "lang": lang,
            "macro_f1_raw": round(macro_f1(y, raw), 4),
            "macro_f1": round(macro_f1(y, cal), 4),
            "accuracy": round(float(np.mean(cal == y)), 4),
            "confusion": [[int(np.sum((y == a) & (cal == b))) for b in range(3)] for a in range(3)],
        }
        log(f"test {name}: {results[name]}")
    elapsed = time.time() - t0
    sem = [results[f"semeval2016_{lg}"] for lg in data.SEMEVAL_LANGS]
    results["semeval2016_mean"] = {
        "macro_f1_raw": round(float(np.mean([r["macro_f1_raw"] for r in sem])), 4),
        "macro_f1": round(float(np.mean([r["macro_f1"] for r in sem])), 4),
    }
    log(f"test semeval2016_mean: {results['semeval2016_mean']}")
    metrics = {
        "test": results,
        "dev": dev_results,
        "targets": data.TARGETS,
        "calibration": calibration,
        "eval_precision": args.eval_precision,
        "eval_texts_per_s": round(n_texts / elapsed, 1),
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    if args.calibrate:
        config = json.loads((args.out / CONFIG_FILE).read_text())
        config["calibration"] = calibration
        (args.out / CONFIG_FILE).write_text(json.dumps(config, indent=1, sort_keys=True) + "\n")
    return metrics


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--out", type=Path, default=Path("models"))
    p.add_argument(
        "--encoder", default=None, help="encoder spec for feedback_nlp.encoders.load.load_encoder"
    )
    p.add_argument(
        "--scale", type=float, default=0.72, help="multiplies every per-file cap of the mix"
    )
    p.add_argument(
        "--cap",
        action="append",
        default=[],
        metavar="FILE=N",
        help="per-file cap of the mix instead of sentiment_data.CAPS (per language for "
        "semeval2016_train); repeatable, e.g. --cap wisesight_train=9000",
    )
    p.add_argument(
        "--repeat",
        action="append",
        default=[],
        metavar="FILE=K",
        help="use the rows drawn from FILE K times per pass (oversampling); repeatable, "
        "e.g. --repeat semeval2016_train=3",
    )
    p.add_argument(
        "--neutral-weight",
        action="append",
        default=[],
        metavar="FILE=W",
        help="multiply the loss of FILE's neutral sentences by W; repeatable, "
        "e.g. --neutral-weight semeval2016_train=3",
    )
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=6e-4)
    p.add_argument("--r", type=int, default=16)
    p.add_argument("--alpha", type=float, default=32)
    p.add_argument("--first-layer", type=int, default=0, help="LoRA only from this layer up")
    p.add_argument("--budget-min", type=float, default=38)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default="cpu", help="torch device for training, e.g. cuda")
    p.add_argument("--epochs", type=int, default=1, help="passes over the mix (budget permitting)")
    p.add_argument("--log-every", type=int, default=25, help="steps between progress lines")
    p.add_argument("--eval-only", action="store_true")
    p.add_argument("--resume-from", type=Path, default=None, help="adapter folder to continue from")
    p.add_argument("--start-batch", type=int, default=0, help="skip this many batches of the pass")
    p.add_argument("--warmup", type=float, default=0.05, help="fraction of steps")
    p.add_argument("--no-calibrate", dest="calibrate", action="store_false")
    p.add_argument("--calibrate-langs", default="th,pl,de,en,es,fr,nl,ru,tr,it")
    p.add_argument(
        "--dev-cap", type=int, default=0, help="dev rows per file and language (0 = all)"
    )
    p.add_argument("--eval-precision", default="bf16")
    return p


def main() -> None:
    args = build_parser().parse_args()
    args.calibrate_langs = set(args.calibrate_langs.split(","))
    if args.threads:
        torch.set_num_threads(args.threads)
    encoder, tokenizer = load_encoder(args.encoder)
    log(f"encoder loaded; threads {torch.get_num_threads()}")
    if not args.eval_only:
        train(args, encoder, tokenizer)
    evaluate(args, load_encoder(args.encoder))  # a fresh, unmerged copy of the encoder


def load_encoder(spec: str | None):
    """feedback_nlp.encoders.load.load_encoder; a local BertModel folder also works without it."""
    try:
        from feedback_nlp.encoders.load import load_encoder as load
    except ImportError:
        if spec is None:
            raise
        from transformers import AutoTokenizer, BertModel

        return BertModel.from_pretrained(
            spec, add_pooling_layer=False
        ), AutoTokenizer.from_pretrained(spec)
    return load(spec, compact_embeddings=False)  # a plain nn.Embedding, as trained so far


if __name__ == "__main__":
    main()
