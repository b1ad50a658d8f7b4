"""Sentence vectors from an encoder: mean pooling over real tokens, L2-normalised.

>>> vectors = Embedder().embed(["Parcel came late", "Paket kam zu spät"])  # doctest: +SKIP

The encoder is loaded by :func:`feedback_nlp.encoders.load.load_encoder` (the builtin one by
default); :func:`padded_batches` is the length-sorted, padded batching the sentiment model uses too.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from feedback_nlp.encoders.device import torch_threads
from feedback_nlp.encoders.load import encoder_fingerprint, load_encoder
from feedback_nlp.home import Progress
from feedback_nlp.settings import MAX_BATCH_ATTENTION, MAX_BATCH_TOKENS


class Embedder:
    """Load an encoder once and embed many texts: mean pooling over real tokens, L2-normalised.

    >>> embedder = Embedder()                                   # doctest: +SKIP
    >>> embedder.embed(["Lieferung kam zu spät"]).shape         # doctest: +SKIP
    (1, 384)

    Texts are deduplicated, sorted by length and batched with padding to the longest in each
    batch; texts longer than ``max_length`` tokens (prefix and specials included) are truncated.
    """

    def __init__(
        self,
        spec: str | os.PathLike | None = None,
        *,
        batch_size: int = 64,
        max_length: int = 512,
        num_threads: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.model, self.tokenizer = load_encoder(spec, progress=progress)
        if max_length < 3:
            raise ValueError(f"max_length must be at least 3 tokens, got {max_length}")
        limit = getattr(self.model.config, "max_position_embeddings", None) or max_length
        max_length = min(max_length, limit)  # never past the model's positions
        self.spec, self.batch_size, self.max_length = spec, batch_size, max_length
        self.num_threads = max(1, num_threads or os.cpu_count() or 1)
        self.dim = int(self.model.config.hidden_size)
        pad = self.tokenizer.pad_token_id
        self._pad_id = int(pad if pad is not None else 0)

    @property
    def fingerprint(self) -> str:
        """:func:`encoder_fingerprint` of this encoder, for result caches."""
        return encoder_fingerprint(self.spec)

    def embed(self, texts: Sequence[str], *, prefix: str = "passage: ") -> np.ndarray:
        """``(len(texts), dim)`` float32 unit vectors, in the order of ``texts``."""
        import torch

        ids, inverse = distinct_token_ids(self.tokenizer, texts, prefix, self.max_length)
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        if not ids:
            return out[inverse]
        with torch_threads(self.num_threads), torch.inference_mode():
            for batch, input_ids, mask in padded_batches(ids, self.batch_size, self._pad_id):
                hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled.float(), dim=-1)
                out[batch] = pooled.numpy()
        return out[inverse]


def distinct_token_ids(
    tokenizer, texts: Sequence[str], prefix: str, max_length: int
) -> tuple[list[list[int]], np.ndarray]:
    """The token ids of each distinct text (``prefix`` + text, truncated, unpadded) and, per
    text of ``texts``, the index of its distinct one: each distinct text is embedded once, by
    either backend. A bare string or a non-string item is a TypeError."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of strings; wrap a single text in a list")
    texts = list(texts)
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise TypeError(f"embed() needs strings; item {bad} is {type(texts[bad]).__name__}")
    unique: dict[str, int] = {}
    inverse = np.array([unique.setdefault(t, len(unique)) for t in texts], dtype=np.int64)
    if not unique:
        return [], inverse
    ids = tokenizer(
        [prefix + t for t in unique], truncation=True, max_length=max_length,
        padding=False, return_attention_mask=False,
    )["input_ids"]  # fmt: skip
    return ids, inverse


def padded_batches(
    ids: Sequence[Sequence[int]],
    batch_size: int,
    pad_id: int,
    max_tokens: int = MAX_BATCH_TOKENS,
    max_attention: int = MAX_BATCH_ATTENTION,
):
    """Batches of token-id lists, longest first: ``(indices, input_ids, attention_mask)``.

    Each batch holds consecutive texts of the length-sorted order (so padding is small), at most
    ``batch_size`` of them, at most ``max_tokens`` padded positions and at most ``max_attention``
    rows x width x width (the attention scores grow with the square of the width: the batch's
    peak memory, not its positions, is what a long batch must be bounded by); a single text longer
    than these budgets still forms a batch of its own.
    """
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
    start = 0
    while start < len(order):
        width = max(1, len(ids[order[start]]))
        size = max(1, min(batch_size, max_tokens // width, max_attention // (width * width)))
        batch = order[start : start + size]
        start += size
        yield batch, *pad_batch(ids, batch, pad_id, width)


def pad_batch(ids: Sequence[Sequence[int]], batch: Sequence[int], pad_id: int, width: int):
    """``(input_ids, attention_mask)`` of the texts ``batch`` picks from ``ids``, each padded with
    ``pad_id`` to ``width`` tokens (training scripts batch their own way and pad with this)."""
    import torch

    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, i in enumerate(batch):
        input_ids[row, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
        mask[row, : len(ids[i])] = 1
    return input_ids, mask
