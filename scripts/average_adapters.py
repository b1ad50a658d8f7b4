"""Average sentiment adapters trained from the same starting point (a uniform "model soup").

Runs continued from one adapter with different seeds and mixes differ mostly by the noise of
their draw; on the small test sets (SemEval: 4–15 neutral sentences per language) that noise
decides several points of macro-F1. The element-wise mean of their tensors averages it out at no
cost at inference: the result has the shape and size of one adapter. For LoRA factors, the mean
of A times the mean of B is not the mean of the products B·A, but for runs that start from the
same adapter and move little it is close (checked and printed: relative error on one layer).

    .venv/bin/python scripts/average_adapters.py RUNS/sA RUNS/sB ... --out /tmp/soup
    .venv/bin/python scripts/train_sentiment.py --eval-only --out /tmp/soup --threads 2

A member is a folder with ``sentiment-adapter.safetensors`` and ``sentiment.json``, or a
``NAME-`` prefix of both (as ``train_sentiment_gpu.py run`` writes them): ``OUT/sA``.
The output config is the first member's, with every member's training arguments under
``soup_of``; ``train_sentiment.py --eval-only`` then fits the per-language offsets.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from safetensors.torch import load_file, save_file

from feedback_nlp.encoders.sentiment import ADAPTER_FILE, CONFIG_FILE

# per-run fields that describe one member, not the average
MEMBER_FIELDS = ("calibration", "gpu_raw_macro_f1", "gpu_train", "train_args", "train_seconds",
                 "train_steps", "train_examples", "train_examples_seen", "train_mix")  # fmt: skip


def member_files(spec: Path) -> tuple[Path, Path]:
    if spec.is_dir():
        return spec / ADAPTER_FILE, spec / CONFIG_FILE
    return spec.parent / f"{spec.name}-{ADAPTER_FILE}", spec.parent / f"{spec.name}-{CONFIG_FILE}"


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("members", nargs="+", type=Path)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    if len(args.members) < 2:
        raise SystemExit("give at least two adapters to average")

    states, configs = [], []
    for spec in args.members:
        adapter, config = member_files(spec)
        if not adapter.is_file() or not config.is_file():
            raise SystemExit(
                f"{spec}: no adapter there (a folder with {ADAPTER_FILE} and {CONFIG_FILE}, "
                f"or {spec.name}-{ADAPTER_FILE} and {spec.name}-{CONFIG_FILE} beside it)"
            )
        states.append(load_file(str(adapter)))
        configs.append(json.loads(config.read_text()))
    keys = set(states[0])
    for spec, state in zip(args.members, states):
        if set(state) != keys or any(state[k].shape != states[0][k].shape for k in keys):
            raise SystemExit(f"{spec}: its tensors differ from {args.members[0]}'s")
    shape = {k: configs[0].get(k) for k in ("lora_r", "lora_alpha", "lora_first_layer")}
    for spec, config in zip(args.members, configs):
        if {k: config.get(k) for k in shape} != shape:
            raise SystemExit(f"{spec}: LoRA settings differ from {args.members[0]}'s")

    mean = {
        k: (sum(s[k].float() for s in states) / len(states)).to(states[0][k].dtype) for k in keys
    }
    a_key = min(k for k in keys if k.endswith("lora_A"))
    b_key = a_key.replace("lora_A", "lora_B")
    exact = sum(s[b_key].float() @ s[a_key].float() for s in states) / len(states)
    approx = mean[b_key].float() @ mean[a_key].float()
    err = float((exact - approx).norm() / exact.norm())
    print(f"{len(states)} adapters, {len(keys)} tensors; {a_key}: mean(B)·mean(A) vs mean(B·A) "
          f"relative error {err:.4f}")  # fmt: skip

    config = {k: v for k, v in configs[0].items() if k not in MEMBER_FIELDS}
    config["soup_of"] = [
        {"member": spec.name, **{k: c[k] for k in MEMBER_FIELDS if k in c and k != "calibration"}}
        for spec, c in zip(args.members, configs)
    ]
    config["soup_lora_relative_error"] = round(err, 4)
    args.out.mkdir(parents=True, exist_ok=True)
    save_file(mean, str(args.out / ADAPTER_FILE))
    (args.out / CONFIG_FILE).write_text(json.dumps(config, indent=1, sort_keys=True) + "\n")
    print(
        f"wrote {args.out / ADAPTER_FILE} ({(args.out / ADAPTER_FILE).stat().st_size / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
