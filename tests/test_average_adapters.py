"""scripts/average_adapters.py: the shipped adapter is the element-wise mean of several runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from feedback_nlp.encoders.sentiment import ADAPTER_FILE, CONFIG_FILE

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "average_adapters.py"
LORA = {"lora_r": 4, "lora_alpha": 8.0, "lora_first_layer": 0}


def _member(folder: Path, seed: int, **overrides) -> dict[str, torch.Tensor]:
    """A tiny adapter: one LoRA pair and a head, fp16 like the shipped one."""
    g = torch.Generator().manual_seed(seed)
    state = {
        "bert.encoder.layer.0.attention.self.query.lora_A": torch.randn(4, 6, generator=g),
        "bert.encoder.layer.0.attention.self.query.lora_B": torch.randn(6, 4, generator=g),
        "classifier.weight": torch.randn(3, 6, generator=g),
    }
    state = {k: v.half() for k, v in state.items()}
    folder.mkdir(parents=True)
    save_file(state, str(folder / ADAPTER_FILE))
    config = {
        **LORA,
        "name": "tiny",
        "train_args": {"seed": seed},
        "calibration": {"en": [0, 1, 0]},
    }
    (folder / CONFIG_FILE).write_text(json.dumps({**config, **overrides}))
    return state


def _run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)], check=False, capture_output=True, text=True
    )


def test_mean_of_members_and_their_provenance(tmp_path):
    states = [_member(tmp_path / f"m{i}", seed=i) for i in range(3)]
    result = _run(*(tmp_path / f"m{i}" for i in range(3)), "--out", tmp_path / "soup")
    assert result.returncode == 0, result.stderr
    soup = load_file(str(tmp_path / "soup" / ADAPTER_FILE))
    for key, tensor in soup.items():
        expected = sum(s[key].float() for s in states) / 3
        assert tensor.dtype == torch.float16
        assert torch.allclose(tensor.float(), expected, atol=1e-3)
    config = json.loads((tmp_path / "soup" / CONFIG_FILE).read_text())
    assert [m["train_args"]["seed"] for m in config["soup_of"]] == [0, 1, 2]
    assert "calibration" not in config  # refitted for the average by --eval-only
    assert config["lora_r"] == 4


def test_members_with_other_lora_settings_are_refused(tmp_path):
    _member(tmp_path / "a", seed=1)
    _member(tmp_path / "b", seed=2, lora_r=8)
    result = _run(tmp_path / "a", tmp_path / "b", "--out", tmp_path / "soup")
    assert result.returncode != 0
    assert "LoRA settings differ" in result.stderr
    assert not (tmp_path / "soup").exists()


@pytest.mark.parametrize(
    ("members", "message"),
    [(["a"], "at least two"), (["a", "nowhere"], "nowhere: no adapter there")],
)
def test_clear_error_without_two_members(tmp_path, members, message):
    _member(tmp_path / "a", seed=1)
    result = _run(*(tmp_path / m for m in members), "--out", tmp_path / "soup")
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
