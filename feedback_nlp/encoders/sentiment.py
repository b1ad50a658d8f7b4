"""Sentiment of comments and clauses: the builtin e5 classifier, or any Hugging Face classifier.

The builtin model is multilingual-e5-small (converted by :mod:`feedback_nlp.encoders.convert`)
with a LoRA adapter, retrained LayerNorms and a linear head over mean-pooled tokens
(:mod:`feedback_nlp.encoders.lora`). Those small trained parts ship in ``models/`` and are merged
into the encoder's weights at load time, so inference runs a plain BERT forward pass.

>>> model = SentimentModel.load()                       # doctest: +SKIP
>>> probs = model.predict(["Parcel arrived late", "Super Service!"], lang=["en", "de"])
>>> sentiment_frame(probs)                              # doctest: +SKIP

Any other classifier: ``SentimentModel.load("path/or/hub-id")``; its labels are mapped onto
negative/neutral/positive by :func:`feedback_nlp.encoders.labels.map_labels`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from feedback_nlp.encoders.device import (
    limit_kernel_caches,
    resolve_precision,
    torch_threads,
    usable_cores,
)
from feedback_nlp.encoders.embedder import padded_batches
from feedback_nlp.encoders.labels import NEGATIVE, NEUTRAL, POSITIVE, map_labels
from feedback_nlp.encoders.lora import build_builtin
from feedback_nlp.errors import ModelError
from feedback_nlp.schema import (
    P_NEGATIVE,
    P_NEUTRAL,
    P_POSITIVE,
    SENTIMENT,
    SENTIMENT_LABELS,
    SENTIMENT_SCORE,
)

BUILTIN = "builtin"
ADAPTER_FILE = "sentiment-adapter.safetensors"
CONFIG_FILE = "sentiment.json"
DEFAULT_WINDOW_STRIDE = 64  # tokens shared by consecutive windows of a long comment

# ---------------------------------------------------------------------------------------------
# Inference


def _file_digest(paths: Sequence[Path], extra: str = "") -> str:
    h = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        h.update(path.name.encode())
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    h.update(extra.encode())
    return h.hexdigest()[:16]


def adapter_fingerprint(config_bytes: bytes, adapter_bytes: bytes, encoder_id: str) -> str:
    """The fingerprint of a builtin-style model: its config, adapter and encoder (the onnx backend
    computes it without loading the model, so both backends share cached results)."""
    digest = hashlib.sha256(config_bytes + adapter_bytes + encoder_id.encode()).hexdigest()[:16]
    return f"builtin-{digest}"


class SentimentModel:
    """A sentiment classifier with probabilities for negative, neutral, positive.

    Build it with :meth:`load`; call :meth:`predict`. ``fingerprint`` identifies the weights
    (for caches and the manifest).
    """

    def __init__(
        self,
        model: nn.Module,
        tokenizer: Any,
        *,
        label_map: Sequence[int | None],
        fingerprint: str,
        name: str,
        prefix: str = "",
        calibration: Mapping[str, Sequence[float]] | None = None,
        max_length: int | None = None,
        precision: str = "auto",
        threads: int | None = None,
    ):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.label_map = list(label_map)
        self.fingerprint = fingerprint
        self.name = name
        self.prefix = prefix
        self.calibration = {
            k: np.asarray(v, dtype=np.float32) for k, v in (calibration or {}).items()
        }
        self.precision = resolve_precision(precision)
        self.threads = (
            threads  # torch threads while predicting; None = the cores this process may use
        )
        if self.precision == "int8":
            self.model = torch.ao.quantization.quantize_dynamic(
                self.model, {nn.Linear}, dtype=torch.qint8
            )
        self.max_length = min(max_length or 512, self._position_limit())
        self._head, self._tail = _special_tokens(tokenizer)

    # -- loading --------------------------------------------------------------------------------

    @classmethod
    def load(
        cls, spec: str | None = BUILTIN, *, precision: str = "auto", encoder: str | None = None
    ) -> SentimentModel:
        """The builtin model (``None`` or ``"builtin"``), or a HF classifier by local path or hub id.

        A folder holding ``sentiment.json`` + ``sentiment-adapter.safetensors`` (what
        ``scripts/train_sentiment.py`` writes) is loaded as a builtin-style adapter.

        ``encoder`` chooses the builtin's encoder (see
        :func:`feedback_nlp.encoders.load.load_encoder`).
        """
        if spec is None or spec == BUILTIN:
            return cls.from_adapter(
                resources.files("feedback_nlp.model_files"), encoder=encoder, precision=precision
            )
        path = Path(spec).expanduser()
        if (path / CONFIG_FILE).is_file() and (
            path / ADAPTER_FILE
        ).is_file():  # a retrained adapter
            return cls.from_adapter(path, encoder=encoder, precision=precision)
        return cls.from_classifier(spec, precision=precision)

    @classmethod
    def from_adapter(
        cls,
        directory: Any,
        *,
        encoder: str | None = None,
        precision: str = "auto",
        encoder_model: Any = None,
    ) -> SentimentModel:
        """The builtin architecture from a folder holding ``sentiment.json`` + the adapter file.

        ``encoder_model`` = (model, tokenizer) already loaded (training and tests pass their own).
        """
        from safetensors.torch import load as load_safetensors

        limit_kernel_caches()
        config_path = directory / CONFIG_FILE
        adapter_path = directory / ADAPTER_FILE
        if not (config_path.is_file() and adapter_path.is_file()):
            raise ModelError(
                f"the builtin sentiment model files are missing from {directory} "
                f"(expected {CONFIG_FILE} and {ADAPTER_FILE}); reinstall feedback-nlp"
            )
        config_bytes = config_path.read_bytes()
        adapter_bytes = adapter_path.read_bytes()
        config = json.loads(config_bytes)
        if encoder_model is None:
            from feedback_nlp.encoders.load import encoder_fingerprint, load_encoder

            base, tokenizer = load_encoder(encoder)
            encoder_id = encoder_fingerprint(encoder)
        else:
            base, tokenizer = encoder_model
            encoder_id = "custom"
        model = build_builtin(base, load_safetensors(adapter_bytes), config)
        return cls(
            model,
            tokenizer,
            label_map=[NEGATIVE, NEUTRAL, POSITIVE],
            fingerprint=adapter_fingerprint(config_bytes, adapter_bytes, encoder_id),
            name=f"builtin sentiment ({config.get('name', 'e5-small')})",
            prefix=config.get("prefix", ""),
            calibration=config.get("calibration"),
            max_length=config.get("max_length", 512),
            precision=precision,
        )

    @classmethod
    def from_classifier(cls, spec: str, *, precision: str = "auto") -> SentimentModel:
        """Any ``AutoModelForSequenceClassification`` by local path or hub id."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        limit_kernel_caches()
        path = Path(spec).expanduser()
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path) if path.exists() else spec)
            model = AutoModelForSequenceClassification.from_pretrained(
                str(path) if path.exists() else spec
            )
        except (OSError, ValueError) as exc:
            where = (
                "folder"
                if path.exists()
                else "Hugging Face id (not a local folder; offline it must be in the HF cache)"
            )
            raise ModelError(
                f"could not load the sentiment model {spec!r} as a {where}: {exc}. "
                "Give a folder with config.json, the weights and the tokenizer, or --sentiment-model builtin"
            ) from None
        label_map = map_labels(model.config.id2label)
        if path.is_dir():
            files = [
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix in {".json", ".safetensors", ".bin", ".model", ".txt"}
            ]
            fingerprint = "hf-" + _file_digest(files)
        else:
            commit = getattr(model.config, "_commit_hash", None) or "unknown"
            fingerprint = "hf-" + hashlib.sha256(f"{spec}@{commit}".encode()).hexdigest()[:16]
        return cls(
            model,
            tokenizer,
            label_map=label_map,
            fingerprint=fingerprint,
            name=spec,
            precision=precision,
        )

    def _position_limit(self) -> int:
        config = self.model.config
        limit = int(getattr(config, "max_position_embeddings", 512) or 512)
        if "roberta" in str(getattr(config, "model_type", "")):  # positions start after padding_idx
            limit -= int(getattr(config, "pad_token_id", 1) or 1) + 1
        model_max = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(model_max, int) and 0 < model_max < 100_000:
            limit = min(limit, model_max)
        return limit

    # -- prediction -----------------------------------------------------------------------------

    def windows(
        self, texts: Sequence[str], stride: int = DEFAULT_WINDOW_STRIDE
    ) -> tuple[list[list[int]], list[int], list[int]]:
        """Token windows of every text: (input ids with special tokens, owner index, content length).

        A text longer than the model's window is read in windows that overlap by ``stride`` tokens.
        """
        # verbose=False: texts longer than the window are expected here (they are split below)
        encoded = self.tokenizer(
            [self.prefix + t for t in texts], add_special_tokens=False, verbose=False
        )["input_ids"]
        room = self.max_length - len(self._head) - len(self._tail)
        step = max(1, room - stride)
        ids, owner, lengths = [], [], []
        for i, tokens in enumerate(encoded):
            starts = [0] if len(tokens) <= room else list(range(0, len(tokens) - stride, step))
            for start in starts:
                piece = tokens[start : start + room]
                ids.append(self._head + piece + self._tail)
                owner.append(i)
                lengths.append(max(1, len(piece)))
        return ids, owner, lengths

    def predict(
        self,
        texts: Sequence[str],
        *,
        lang: str | Sequence[str | None] | None = None,
        batch_size: int = 32,
    ) -> np.ndarray:
        """Probabilities (n, 3) in the order negative, neutral, positive.

        Each distinct text is computed once; windows are sorted by length and padded per batch.
        ``lang`` (one code, or one per text) applies the per-language prior correction the
        builtin model was calibrated with; unknown or missing languages get none.

        >>> SentimentModel.load().predict(["Great app, fast delivery"])  # doctest: +SKIP
        array([[0.02, 0.05, 0.93]], dtype=float32)
        """
        texts = [t if isinstance(t, str) else "" for t in texts]
        n = len(texts)
        langs = [lang] * n if lang is None or isinstance(lang, str) else list(lang)
        if len(langs) != n:
            raise ValueError(f"lang has {len(langs)} entries for {n} texts")
        if n == 0:
            return np.zeros((0, 3), dtype=np.float32)
        # distinct (text, lang) pairs only: duplicates are common in exported feedback
        keys = list(zip(texts, langs))
        unique: dict[tuple[str, str | None], int] = {}
        slot = np.fromiter(
            (unique.setdefault(k, len(unique)) for k in keys), dtype=np.int64, count=n
        )
        distinct = list(unique)
        logits = self._window_logits([t for t, _ in distinct], batch_size)
        probs = self._aggregate(logits, [lg for _, lg in distinct])
        return probs[slot]

    def _window_logits(
        self, texts: list[str], batch_size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ids, owner, lengths = self.windows(texts)
        n_out = len(self.label_map)
        out = np.zeros((len(ids), n_out), dtype=np.float32)
        pad = self.tokenizer.pad_token_id or 0
        autocast = (
            torch.autocast("cpu", dtype=torch.bfloat16)
            if self.precision == "bf16"
            else contextlib.nullcontext()
        )
        with torch_threads(self.threads or usable_cores()), torch.inference_mode(), autocast:
            for batch, input_ids, mask in padded_batches(ids, batch_size, pad):
                result = self.model(input_ids=input_ids, attention_mask=mask)
                logits = result if isinstance(result, torch.Tensor) else result.logits
                out[batch] = logits.float().numpy()
        return out, np.asarray(owner), np.asarray(lengths, dtype=np.float32)

    def _aggregate(
        self, window_logits: tuple[np.ndarray, np.ndarray, np.ndarray], langs: list[str | None]
    ) -> np.ndarray:
        logits, owner, lengths = window_logits
        n = len(langs)
        # map the model's own labels onto neg/neu/pos before calibration and softmax
        probs_raw = _softmax(logits)
        probs = np.zeros((len(logits), 3), dtype=np.float32)
        for j, target in enumerate(self.label_map):
            if target is not None:
                probs[:, target] += probs_raw[:, j]
        probs /= probs.sum(1, keepdims=True).clip(min=1e-12)
        if self.calibration:
            bias = np.stack(
                [
                    self.calibration.get(
                        lg or "", self.calibration.get("*", np.zeros(3, np.float32))
                    )
                    for lg in langs
                ]
            )[owner]
            probs = _softmax(np.log(probs.clip(min=1e-12)) + bias)
        total = np.zeros((n, 3), dtype=np.float64)
        weight = np.zeros(n, dtype=np.float64)
        np.add.at(total, owner, probs * lengths[:, None])
        np.add.at(weight, owner, lengths)
        return (total / weight[:, None]).astype(np.float32)


def _special_tokens(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after a single text ([CLS] … [SEP], <s> … </s>)."""
    plain = tokenizer("hello", add_special_tokens=False)["input_ids"]
    full = tokenizer("hello", add_special_tokens=True)["input_ids"]
    for k in range(len(full) - len(plain) + 1):
        if full[k : k + len(plain)] == plain:
            return list(full[:k]), list(full[k + len(plain) :])
    return [], []


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=1, keepdims=True)
    e = np.exp(x)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def sentiment_frame(probs: np.ndarray) -> pd.DataFrame:
    """The sentiment columns of contract 2 from (n, 3) probabilities (negative, neutral, positive).

    >>> sentiment_frame(np.array([[0.7, 0.2, 0.1]]))["sentiment"].tolist()
    ['negative']
    """
    probs = np.asarray(probs, dtype=np.float32).reshape(-1, 3)
    labels = (
        np.asarray(SENTIMENT_LABELS, dtype=object)[probs.argmax(1)]
        if len(probs)
        else np.array([], dtype=object)
    )
    return pd.DataFrame(
        {
            SENTIMENT: pd.Series(labels, dtype="string"),
            SENTIMENT_SCORE: probs[:, POSITIVE] - probs[:, NEGATIVE],
            P_NEGATIVE: probs[:, NEGATIVE],
            P_NEUTRAL: probs[:, NEUTRAL],
            P_POSITIVE: probs[:, POSITIVE],
        }
    )
