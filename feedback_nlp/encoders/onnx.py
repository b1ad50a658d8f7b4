"""ONNX graphs of the builtin models, built once into the user cache and checked on every load.

Two graphs per set of weights: ``sentiment`` (the encoder with the LoRA adapter merged, mean
pooling and the linear head: ``inputs_embeds, attention_mask -> logits``) and ``encoder`` (the
encoder with mean pooling and L2 normalisation: ``-> vectors``). Neither holds the 250,037-row
word-embedding matrix: the packed 4-bit lookup (:mod:`feedback_nlp.encoders.packed`) runs in
numpy in front of the graph (:func:`lookup`) and feeds ``inputs_embeds``. In the graph that
matrix would be 384 MB of float32 per graph file and per loaded session, twice (see
docs/benchmarks.md, "Inference backends", for the measured sizes); in front of it the two
graphs share the 60 MB packed copy.

The cache layout (under :func:`feedback_nlp.home.cache_dir`)::

    onnx/sentiment-<fingerprint>.onnx  sentiment-<fingerprint>.json
    onnx/encoder-<fingerprint>.onnx    encoder-<fingerprint>.json

The fingerprint hashes what the graph depends on: the weights' own fingerprint, the opset, the
onnxruntime version and :data:`EXPORT_VERSION`. The ``.json`` beside a graph (written last)
holds that fingerprint and the graph file's sha256; a graph whose file does not match it is
rebuilt, never used.

>>> path = prepare_graph("encoder", "builtin:e5-small:fdae86a2", build, dim=384)  # doctest: +SKIP
>>> session = open_session(path, threads=2)                                        # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from feedback_nlp import settings
from feedback_nlp.errors import ModelError
from feedback_nlp.home import Progress, cache_dir, file_lock

logger = logging.getLogger(__name__)

OPSET = 17  # the opset the export was verified with (PACKAGES.md, onnxruntime line)
EXPORT_VERSION = 1  # bump when the exported graphs change shape or meaning
KINDS = ("sentiment", "encoder")
INPUTS = ("inputs_embeds", "attention_mask")
OUTPUTS = {"sentiment": "logits", "encoder": "vectors"}


def ort_version() -> str:
    try:
        import onnxruntime
    except ImportError as exc:  # a dependency, but a broken install should say what to do
        raise ModelError(
            "The onnx backend needs onnxruntime (pip install onnxruntime==1.31.1), "
            "or pass --backend torch."
        ) from exc
    return str(onnxruntime.__version__)


class SentimentGraph(nn.Module):
    """What the sentiment graph computes: the classifier's forward from word embeddings on."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.bert, self.classifier = classifier.bert, classifier.classifier

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.classifier(pooled)


class EncoderGraph(nn.Module):
    """What the encoder graph computes: Embedder's mean pooling and normalisation, in the graph
    so that a batch crosses from onnxruntime to numpy once, as (batch, dim) vectors."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.bert = encoder

    def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return nn.functional.normalize(pooled, dim=-1)


def graph_fingerprint(kind: str, weights_id: str) -> str:
    """A graph's id: its kind, the weights it was built from, the opset, onnxruntime's version
    (a new runtime may optimise an old file differently) and :data:`EXPORT_VERSION`."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    what = f"{kind}|{weights_id}|opset={OPSET}|ort={ort_version()}|export={EXPORT_VERSION}"
    return hashlib.sha256(what.encode()).hexdigest()[:16]


def graph_path(kind: str, fingerprint: str) -> Path:
    return cache_dir() / "onnx" / f"{kind}-{fingerprint}.onnx"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_meta(path: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def is_valid(path: Path, fingerprint: str) -> bool:
    """Whether ``path`` is the complete, undamaged graph of ``fingerprint`` (its sha256 is read
    again: ~0.1 s for the 90 MB graphs, against a silently wrong model)."""
    info = read_meta(path) or {}
    if info.get("fingerprint") != fingerprint or not path.is_file():
        return False
    if path.stat().st_size != info.get("bytes"):
        return False
    return _sha256(path) == info.get("sha256")


def prepare_graph(
    kind: str,
    weights_id: str,
    build: Callable[[], nn.Module],
    *,
    dim: int,
    force: bool = False,
    progress: Progress | None = None,
) -> Path:
    """The graph of ``kind`` for the weights ``weights_id``: from the cache when it is there and
    intact, else exported from ``build()`` (a torch module taking ``inputs_embeds`` of width
    ``dim`` and ``attention_mask``) and stored. One process builds at a time; the file appears
    by a rename, then its ``.json`` marks it complete."""
    fingerprint = graph_fingerprint(kind, weights_id)
    path = graph_path(kind, fingerprint)
    if not force and is_valid(path, fingerprint):
        return path
    say = progress or logger.info
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(path.parent / f".{path.stem}.lock"):
            if force or not is_valid(path, fingerprint):
                say(f"Building the onnx {kind} graph (once; ~20 s), into {path.parent}")
                _export(build(), path, kind, fingerprint, weights_id, dim)
    except OSError as exc:
        raise ModelError(f"Could not write the onnx graph into {path.parent}: {exc}") from exc
    return path


def _export(
    module: nn.Module, path: Path, kind: str, fingerprint: str, weights_id: str, dim: int
) -> None:
    # drop a stale .json first: from here until the new one is written the graph is incomplete
    path.with_suffix(".json").unlink(missing_ok=True)
    module = module.eval().float()
    # two rows of different lengths, so the traced graph keeps the masking general
    embeds = torch.randn(2, 7, dim)
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, 4:] = 0
    axes = {"inputs_embeds": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.tmp-", suffix=".onnx", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        # the tracer warns about transformers' shape checks, which hold for every input here
        # (the mask is always as long as the tokens); the user has nothing to act on
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module, (embeds, mask), str(tmp), input_names=list(INPUTS),
                output_names=[OUTPUTS[kind]], dynamic_axes={**axes, OUTPUTS[kind]: {0: "batch"}},
                opset_version=OPSET, dynamo=False,
            )  # fmt: skip
        tmp.chmod(0o644)  # mkstemp makes it private; the cache is an ordinary folder
        info = {
            "kind": kind, "fingerprint": fingerprint, "weights": weights_id, "opset": OPSET,
            "onnxruntime": ort_version(), "export_version": EXPORT_VERSION,
            "bytes": tmp.stat().st_size, "sha256": _sha256(tmp),
        }  # fmt: skip
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    path.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h


def limit_heap_growth(threshold: int | None = None) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes (:data:`settings.MALLOC_MMAP_THRESHOLD`),
    once per process: large freed buffers then go back to the system instead of staying in the
    heap (settings.py says what it measured). False where there is no glibc (macOS, musl,
    Windows) or the setting is None: nothing changes there."""
    global _heap_limited
    threshold = settings.MALLOC_MMAP_THRESHOLD if threshold is None else threshold
    if _heap_limited or threshold is None:
        return _heap_limited
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        _heap_limited = bool(libc.mallopt(_M_MMAP_THRESHOLD, int(threshold)))
    except (OSError, AttributeError):
        _heap_limited = False
    return _heap_limited


_heap_limited = False


def open_session(path: Path, threads: int) -> Any:
    """An onnxruntime CPU session on ``path``: all graph optimisations, ``threads`` intra-op
    threads (the cores feedback-nlp uses) and one inter-op thread (the graph is one chain); no
    memory arena, and glibc's mmap threshold fixed (:func:`limit_heap_growth`), so that a batch's
    buffers leave with the batch."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = max(1, int(threads))
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only: optimiser notes are not the user's business
    # No CPU memory arena: it keeps the buffers of the largest batch for the session's life.
    # On the bench's 600-comment export peak RSS fell from 2.63-2.66 GB to 2.40 GB (two runs
    # each, order swapped; wall time within the machine's noise: 49/92 s with, 56/59 s without).
    options.enable_cpu_mem_arena = False
    limit_heap_growth()
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own classes; all mean "unusable file"
        raise ModelError(f"Could not load the onnx graph {path}: {type(exc).__name__}") from exc


def lookup(codes: np.ndarray, scales: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The packed word embeddings of ``ids`` (any shape) as float32, exactly as
    :class:`feedback_nlp.encoders.packed.PackedEmbedding` computes them."""
    packed = codes[ids]
    k = np.stack((packed & 15, packed >> 4), axis=-1).astype(np.float32) - np.float32(8.0)
    block = scales.shape[1]
    k = k.reshape(*ids.shape, block, -1)
    return (k * scales[ids][..., None]).reshape(*ids.shape, -1)


class GraphRunner:
    """One graph with a session opened lazily for the current thread count (reopened when the
    count changes: onnxruntime fixes a session's threads when it is created)."""

    def __init__(self, path: Path, codes: np.ndarray, scales: np.ndarray, threads: int) -> None:
        self.path, self.codes, self.scales = path, codes, scales
        self.threads = threads
        self._session: Any = None
        self._session_threads = 0

    def __call__(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._session is None or self._session_threads != self.threads:
            self._session = None  # let the old one go before the new one loads its weights
            self._session = open_session(self.path, self.threads)
            self._session_threads = self.threads
        embeds = lookup(self.codes, self.scales, input_ids)
        feed = {"inputs_embeds": embeds, "attention_mask": mask.astype(np.int64)}
        return self._session.run(None, feed)[0]
