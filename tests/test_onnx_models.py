"""The onnx backend: graphs built into the cache, fingerprinted and checked on load; the option.

Fast tests export a tiny BERT built here. Tests marked `models` compare onnxruntime with PyTorch
fp32 on real mixed-language comments from examples/nps_sample.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from feedback_nlp.encoders import onnx
from feedback_nlp.errors import ModelError, OptionError
from feedback_nlp.settings import ModelOptions, RunOptions

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """No test writes into the user's real cache."""
    monkeypatch.setenv("FEEDBACK_NLP_HOME", str(tmp_path / "home"))


def _tiny_bert(seed: int = 0):
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64,
    )  # fmt: skip
    return BertModel(config, add_pooling_layer=False).eval()


def _packed(bert):
    from feedback_nlp.encoders.packed import PackedEmbedding

    # 4-bit rows, so that the numpy lookup in front of the graph has codes to read
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (40, 16), dtype=np.uint8)
    scales = rng.uniform(0.01, 0.1, (40, 1)).astype(np.float32)
    module = PackedEmbedding(torch.from_numpy(codes), torch.from_numpy(scales))
    bert.embeddings.word_embeddings.weight.data = module(torch.arange(40))
    return codes, scales


def test_graph_matches_torch_and_is_reused(tmp_path):
    bert = _tiny_bert()
    codes, scales = _packed(bert)
    built = []

    def build():
        built.append(1)
        return onnx.EncoderGraph(bert)

    path = onnx.prepare_graph("encoder", "tiny:1", build, dim=32)
    assert onnx.prepare_graph("encoder", "tiny:1", build, dim=32) == path
    assert len(built) == 1  # the second call found it in the cache
    ids = np.array([[2, 5, 7, 9, 3], [2, 6, 3, 0, 0]])
    mask = (np.arange(5) < np.array([[5], [3]])).astype(np.int64)
    got = onnx.GraphRunner(path, codes, scales, threads=1)(ids, mask)
    with torch.inference_mode():
        hidden = bert(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))[0]
        m = torch.from_numpy(mask).unsqueeze(-1).float()
        want = torch.nn.functional.normalize((hidden * m).sum(1) / m.sum(1), dim=-1).numpy()
    assert np.abs(got - want).max() < 1e-5


def test_damaged_or_stale_graph_is_rebuilt():
    bert = _tiny_bert()
    built = []

    def build():
        built.append(1)
        return onnx.EncoderGraph(bert)

    path = onnx.prepare_graph("encoder", "tiny:1", build, dim=32)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["opset"] == onnx.OPSET and meta["onnxruntime"] == onnx.ort_version()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    path.write_bytes(bytes(data))
    assert not onnx.is_valid(path, meta["fingerprint"])
    assert onnx.prepare_graph("encoder", "tiny:1", build, dim=32) == path
    assert len(built) == 2 and onnx.is_valid(path, meta["fingerprint"])
    # the .json naming another fingerprint (a graph of other weights/runtime) is stale too
    path.with_suffix(".json").write_text(json.dumps({**meta, "fingerprint": "0" * 16}))
    onnx.prepare_graph("encoder", "tiny:1", build, dim=32)
    assert len(built) == 3
    # other weights, another graph beside it
    other = onnx.prepare_graph("encoder", "tiny:2", build, dim=32)
    assert other != path and len(built) == 4


def test_fingerprint_names_weights_opset_and_runtime(monkeypatch):
    a = onnx.graph_fingerprint("sentiment", "w1")
    assert a != onnx.graph_fingerprint("sentiment", "w2")
    assert a != onnx.graph_fingerprint("encoder", "w1")
    monkeypatch.setattr(onnx, "OPSET", 18)
    assert a != onnx.graph_fingerprint("sentiment", "w1")
    monkeypatch.setattr(onnx, "ort_version", lambda: "0.0.0")
    monkeypatch.setattr(onnx, "OPSET", 17)
    assert a != onnx.graph_fingerprint("sentiment", "w1")


def test_lookup_matches_packed_embedding():
    from feedback_nlp.encoders.packed import PackedEmbedding

    rng = np.random.default_rng(1)
    codes = rng.integers(0, 256, (10, 16), dtype=np.uint8)
    scales = rng.uniform(0.01, 0.1, (10, 1)).astype(np.float32)
    module = PackedEmbedding(torch.from_numpy(codes), torch.from_numpy(scales))
    ids = np.array([[0, 3, 9], [1, 1, 2]])
    want = module(torch.from_numpy(ids)).numpy()
    assert np.array_equal(onnx.lookup(codes, scales, ids), want)


def test_backend_option_is_checked():
    assert ModelOptions().backend == "onnx"
    assert RunOptions.build(backend="torch").models.backend == "torch"
    with pytest.raises(OptionError, match="--backend must be one of onnx, torch"):
        ModelOptions(backend="tensorrt")
    with pytest.raises(OptionError, match="--precision bf16 needs --backend torch"):
        ModelOptions(precision="bf16")
    assert ModelOptions(precision="bf16", backend="torch").precision == "bf16"


def test_load_functions_check_backend():
    from feedback_nlp.encoders.backend import exportable, load_embedder, load_sentiment

    with pytest.raises(ModelError, match="backend must be one of"):
        load_sentiment("builtin", backend="cuda")
    with pytest.raises(ModelError, match="needs --backend torch"):
        load_sentiment("builtin", backend="onnx", precision="bf16")
    with pytest.raises(ModelError, match="backend must be one of"):
        load_embedder(backend="cuda")
    assert exportable("builtin") and not exportable("some-org/some-classifier")


# --- the real models ---------------------------------------------------------------------------


def _real_texts(n: int = 50) -> list[str]:
    import pandas as pd

    frame = pd.read_csv(ROOT / "examples" / "nps_sample.csv", encoding="utf-8-sig")
    texts = frame["Why did you give this score?"].dropna().astype(str).drop_duplicates()
    return texts.iloc[:: max(1, len(texts) // n)].head(n).tolist()


@pytest.mark.models
def test_onnx_sentiment_equals_torch_fp32():
    from feedback_nlp.encoders.backend import load_sentiment

    texts = _real_texts()
    ort = load_sentiment("builtin", backend="onnx")
    torch_model = load_sentiment("builtin", backend="torch", precision="fp32")
    assert ort.fingerprint == torch_model.fingerprint  # so they share cached results
    a, b = ort.predict(texts), torch_model.predict(texts)
    assert a.shape == (len(texts), 3)
    assert np.abs(a - b).max() < 1e-4
    assert (a.argmax(1) == b.argmax(1)).all()


@pytest.mark.models
def test_onnx_clause_vectors_equal_torch_fp32():
    from feedback_nlp.encoders.backend import load_embedder

    texts = _real_texts()
    a = load_embedder(backend="onnx").embed(texts, prefix="query: ")
    b = load_embedder(backend="torch").embed(texts, prefix="query: ")
    assert a.shape == b.shape == (len(texts), 384)
    assert np.abs(a - b).max() < 1e-4


def test_models_list_names_the_graphs_without_building_them(tmp_path):
    from typer.testing import CliRunner

    from feedback_nlp.cli import app

    result = CliRunner().invoke(app, ["models", "list"], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert "encoder graph (onnx)" in result.output and "not prepared yet" in result.output
    assert not (tmp_path / "home" / "onnx").exists()


def test_session_is_opened_with_the_memory_settings(monkeypatch):
    import platform

    from feedback_nlp import settings

    bert = _tiny_bert()
    path = onnx.prepare_graph("encoder", "tiny:mem", lambda: onnx.EncoderGraph(bert), dim=32)
    calls = []
    monkeypatch.setattr(onnx, "_heap_limited", False)
    real = onnx.limit_heap_growth
    monkeypatch.setattr(onnx, "limit_heap_growth", lambda: calls.append(1) or real())
    session = onnx.open_session(path, threads=1)
    options = session.get_session_options()
    assert not options.enable_cpu_mem_arena  # the arena would keep the largest batch's buffers
    assert options.intra_op_num_threads == 1 and options.inter_op_num_threads == 1
    assert calls == [1]  # the mmap threshold is fixed where a session opens
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert settings.MALLOC_MMAP_THRESHOLD and onnx._heap_limited  # glibc took the value
