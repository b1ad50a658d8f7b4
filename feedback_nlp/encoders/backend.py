"""The inference backends: onnxruntime (the default) or PyTorch, for the sentiment model and the
clause embedder.

On ``onnx`` the builtin sentiment model (or a retrained adapter folder) and the builtin encoder
run as ONNX graphs (:mod:`feedback_nlp.encoders.onnx`), in float32; they give the same
probabilities and vectors as PyTorch fp32 within 1e-4 (tests/test_onnx_models.py), so cached
results are shared between the two. Any other Hugging Face classifier runs on PyTorch whatever the
backend: exporting arbitrary architectures is not checked here. ``bf16`` is a PyTorch autocast and
exists only there.

>>> sentiment = load_sentiment("builtin", backend="onnx")   # doctest: +SKIP
>>> embedder = load_embedder(backend="onnx")                # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp import settings
from feedback_nlp.encoders.convert import prepare_encoder
from feedback_nlp.encoders.device import usable_cores
from feedback_nlp.encoders.embedder import distinct_token_ids, padded_batches
from feedback_nlp.encoders.labels import NEGATIVE, NEUTRAL, POSITIVE
from feedback_nlp.encoders.load import encoder_fingerprint, load_builtin_parts, load_encoder
from feedback_nlp.encoders.onnx import (
    EncoderGraph,
    GraphRunner,
    SentimentGraph,
    graph_fingerprint,
    prepare_graph,
)
from feedback_nlp.encoders.sentiment import (
    ADAPTER_FILE,
    BUILTIN,
    CONFIG_FILE,
    SentimentModel,
    _special_tokens,
    adapter_fingerprint,
)
from feedback_nlp.errors import ModelError
from feedback_nlp.home import Progress

BACKENDS = settings.BACKENDS


def _adapter_dir(spec: str | None) -> Any:
    """The folder of a builtin-style model (the packaged one or a retrained adapter), else None."""
    if spec is None or spec == BUILTIN:
        return resources.files("feedback_nlp.model_files")
    path = Path(spec).expanduser()
    if (path / CONFIG_FILE).is_file() and (path / ADAPTER_FILE).is_file():
        return path
    return None


def exportable(spec: str | None) -> bool:
    """Whether the sentiment model ``spec`` runs on the onnx backend (builtin-style ones do)."""
    return _adapter_dir(spec) is not None


def load_sentiment(
    spec: str | None = BUILTIN,
    *,
    backend: str = settings.DEFAULT_BACKEND,
    precision: str = "auto",
    progress: Progress | None = None,
) -> SentimentModel:
    """The sentiment model on ``backend``; a classifier that is not builtin-style runs on torch.
    On onnx ``precision`` must be ``auto`` or ``fp32`` (the graphs run float32)."""
    _check(backend, precision)
    directory = _adapter_dir(spec) if backend == "onnx" else None
    if directory is None:
        return SentimentModel.load(spec, precision="fp32" if backend == "onnx" else precision)
    return OnnxSentimentModel.from_adapter(directory, progress=progress)


def load_embedder(
    *, backend: str = settings.DEFAULT_BACKEND, progress: Progress | None = None
) -> Any:
    """The builtin encoder's clause embedder on ``backend``."""
    _check(backend, "auto")
    if backend == "onnx":
        return OnnxEmbedder(progress=progress)
    from feedback_nlp.encoders.embedder import Embedder

    return Embedder(progress=progress)


def _check(backend: str, precision: str) -> None:
    if backend not in BACKENDS:
        raise ModelError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if backend == "onnx" and precision not in ("auto", "fp32"):
        raise ModelError(f"--precision {precision} needs --backend torch (onnx runs fp32).")


def _sentiment_build(directory: Any):
    def build() -> SentimentGraph:  # the torch model, built only to be exported
        return SentimentGraph(SentimentModel.from_adapter(directory, precision="fp32").model)

    return build


def _encoder_build() -> EncoderGraph:
    return EncoderGraph(load_encoder(None)[0])


def adapter_id(directory: Any) -> str:
    """The fingerprint of the builtin-style model in ``directory`` (``SentimentModel``'s own),
    without loading it."""
    return adapter_fingerprint(
        (directory / CONFIG_FILE).read_bytes(), (directory / ADAPTER_FILE).read_bytes(),
        encoder_fingerprint(None),
    )  # fmt: skip


def prepare_graphs(*, force: bool = False, progress: Progress | None = None) -> list[Path]:
    """Build (or check) the builtin sentiment and encoder graphs now, as ``models prepare`` does;
    ``force`` exports them again even when the cached ones are intact."""
    location = prepare_encoder(progress=progress)
    dim = int(json.loads((location / "config.json").read_text(encoding="utf-8"))["hidden_size"])
    directory = _adapter_dir(BUILTIN)
    return [
        prepare_graph(
            "sentiment", adapter_id(directory), _sentiment_build(directory), dim=dim,
            force=force, progress=progress,
        ),
        prepare_graph(
            "encoder", encoder_fingerprint(None), _encoder_build, dim=dim, force=force,
            progress=progress,
        ),
    ]  # fmt: skip


class OnnxSentimentModel(SentimentModel):
    """A builtin-style sentiment model run by onnxruntime: the tokenizer, windows, calibration and
    aggregation of :class:`SentimentModel`, the logits from the graph. Loading it reads the
    adapter's small files and the graph; the torch model is built only to export the graph."""

    backend = "onnx"

    def __init__(
        self,
        runner: GraphRunner,
        tokenizer: Any,
        packed: Any,
        config: dict,
        *,
        fingerprint: str,
        graph: str,
        position_limit: int,
    ) -> None:
        self.model = None  # no torch module: Models' embedding sharing looks for one
        self.runner, self.packed, self.tokenizer = runner, packed, tokenizer
        self.label_map = [NEGATIVE, NEUTRAL, POSITIVE]
        self.fingerprint, self.graph_fingerprint = fingerprint, graph
        self.name = f"builtin sentiment ({config.get('name', 'e5-small')}, onnx)"
        self.prefix = config.get("prefix", "")
        self.calibration = {
            k: np.asarray(v, dtype=np.float32) for k, v in (config.get("calibration") or {}).items()
        }
        self.precision = "fp32"
        self.threads: int | None = None
        self.max_length = min(int(config.get("max_length", 512)), position_limit)
        self._head, self._tail = _special_tokens(tokenizer)

    @classmethod
    def from_adapter(cls, directory: Any, *, progress: Progress | None = None):
        config_bytes = (directory / CONFIG_FILE).read_bytes()
        fingerprint = adapter_id(directory)
        _, encoder_config, tokenizer, packed = load_builtin_parts(progress=progress)

        dim = int(encoder_config["hidden_size"])
        path = prepare_graph(
            "sentiment", fingerprint, _sentiment_build(directory), dim=dim, progress=progress
        )
        runner = GraphRunner(path, packed.codes.numpy(), packed.scales.numpy(), usable_cores())
        limit = int(encoder_config.get("max_position_embeddings", 512))
        model_max = getattr(tokenizer, "model_max_length", None)
        if isinstance(model_max, int) and 0 < model_max < 100_000:
            limit = min(limit, model_max)
        return cls(
            runner, tokenizer, packed, json.loads(config_bytes), fingerprint=fingerprint,
            graph=graph_fingerprint("sentiment", fingerprint), position_limit=limit,
        )  # fmt: skip

    def _window_logits(
        self, texts: list[str], batch_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ids, owner, lengths = self.windows(texts)
        out = np.zeros((len(ids), 3), dtype=np.float32)
        pad = self.tokenizer.pad_token_id or 0
        self.runner.threads = self.threads or usable_cores()
        for batch, input_ids, mask in padded_batches(ids, batch_size, pad):
            out[batch] = self.runner(input_ids.numpy(), mask.numpy())
        return out, np.asarray(owner), np.asarray(lengths, dtype=np.float32)


class OnnxEmbedder:
    """:class:`feedback_nlp.encoders.embedder.Embedder` on onnxruntime: the same tokens, batches,
    mean pooling and normalisation (the last two in the graph), for the builtin encoder."""

    backend = "onnx"

    def __init__(
        self,
        *,
        batch_size: int = 64,
        max_length: int = 512,
        num_threads: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        _, config, self.tokenizer, self.packed = load_builtin_parts(progress=progress)
        self.spec = None
        self.fingerprint = encoder_fingerprint(None)
        self.graph_fingerprint = graph_fingerprint("encoder", self.fingerprint)

        self.dim = int(config["hidden_size"])
        path = prepare_graph(
            "encoder", self.fingerprint, _encoder_build, dim=self.dim, progress=progress
        )
        self.num_threads = max(1, num_threads or usable_cores())
        self.runner = GraphRunner(
            path, self.packed.codes.numpy(), self.packed.scales.numpy(), self.num_threads
        )
        self.batch_size = batch_size
        self.max_length = min(max_length, int(config.get("max_position_embeddings", max_length)))
        pad = self.tokenizer.pad_token_id
        self._pad_id = int(pad if pad is not None else 0)

    def embed(self, texts: Sequence[str], *, prefix: str = "passage: ") -> np.ndarray:
        """``(len(texts), dim)`` float32 unit vectors, in the order of ``texts``."""
        ids, inverse = distinct_token_ids(self.tokenizer, texts, prefix, self.max_length)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        if not ids:
            return out[inverse]
        self.runner.threads = self.num_threads
        for batch, input_ids, mask in padded_batches(ids, self.batch_size, self._pad_id):
            out[batch] = self.runner(input_ids.numpy(), mask.numpy())
        return out[inverse]
