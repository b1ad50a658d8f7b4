"""scripts/bench_int8.py: which MatMuls each static int8 variant quantises, on a tiny BERT graph
exported here and calibrated one batch at a time (the memory fix of issue 20 item 4)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from feedback_nlp.encoders import onnx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
bench_int8 = pytest.importorskip("bench_int8")
pytest.importorskip("onnxruntime.quantization")


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_NLP_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=40, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=64,
    )  # fmt: skip
    bert = BertModel(config, add_pooling_layer=False).eval()
    folder = tmp_path_factory.mktemp("graph")
    path = folder / "encoder.onnx"
    onnx._export(onnx.EncoderGraph(bert), path, "encoder", "f", "tiny:1", 32)
    rng = np.random.default_rng(0)
    runner = SimpleNamespace(
        path=path,
        codes=rng.integers(0, 256, (40, 16), dtype=np.uint8),
        scales=rng.uniform(0.01, 0.1, (40, 1)).astype(np.float32),
    )
    ids = [list(rng.integers(4, 40, n)) for n in (9, 5, 12, 3, 7, 6, 11, 4, 8, 10)]
    return runner, ids, folder


def _quantised_weights(path: Path) -> dict[str, bool]:
    """MatMul name -> whether its second input comes from a DequantizeLinear (int8 weights)."""
    import onnx as onnx_lib

    nodes = onnx_lib.load(str(path)).graph.node
    dequantised = {o for n in nodes if n.op_type == "DequantizeLinear" for o in n.output}
    return {n.name: n.input[1] in dequantised for n in nodes if n.op_type == "MatMul"}


def _run(path: Path, runner, ids) -> np.ndarray:
    from feedback_nlp.encoders.embedder import padded_batches

    _, input_ids, mask = next(padded_batches(ids, 16, 0))
    return onnx.GraphRunner(path, runner.codes, runner.scales, 1)(input_ids.numpy(), mask.numpy())


def test_minmax_quantises_weight_matmuls_only(graph):
    runner, ids, folder = graph
    out = bench_int8.quantise(runner, ids, 0, folder / "minmax.onnx", "minmax", batch=4)
    quantised = _quantised_weights(out)
    products = set(bench_int8.attention_products(runner.path))
    assert len(products) == 6  # two per layer
    assert not any(quantised[n] for n in products)
    assert all(q for n, q in quantised.items() if n not in products)
    fp32, int8 = _run(runner.path, runner, ids), _run(out, runner, ids)
    assert np.abs(fp32 - int8).max() > 0  # it is int8: the numbers moved
    assert (fp32 * int8).sum(1).min() > 0.9  # and still the same vectors, roughly


def test_keep_variants_leave_their_matmuls_in_float(graph):
    runner, ids, folder = graph
    ffn_out = set(bench_int8.ffn_out_matmuls(runner.path))
    assert ffn_out == {f"/bert/encoder/layer.{i}/output/dense/MatMul" for i in range(3)}
    ends = set(bench_int8.end_layer_matmuls(runner.path))
    assert {n.split("/")[3] for n in ends} == {"layer.0", "layer.2"}
    path = folder / "ends.onnx"
    quantised = _quantised_weights(
        bench_int8.quantise(runner, ids, 0, path, "minmax-keep-ffn-out-ends", batch=4)
    )
    kept = ffn_out | ends | set(bench_int8.attention_products(runner.path))
    assert not any(quantised[n] for n in kept)
    assert [n for n, q in quantised.items() if q] == [
        n for n in quantised if n not in kept and "/layer.1/" in n
    ]
