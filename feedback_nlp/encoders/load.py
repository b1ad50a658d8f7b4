"""Resolving and loading an encoder spec: "builtin", a local folder, or a Hugging Face hub id.

The builtin encoder is prepared on first use (:func:`feedback_nlp.encoders.convert.prepare_encoder`);
while loaded, its tokenizer and packed word embeddings are shared by every model that holds it.

>>> model, tokenizer = load_encoder()  # doctest: +SKIP
>>> encoder_fingerprint()              # doctest: +SKIP
'builtin:e5-small:fdae86a2f6f02a67'
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feedback_nlp.encoders.convert import (
    HUB_ID,
    _read_fingerprint,
    builtin_weights_sha256,
    prepare_encoder,
)
from feedback_nlp.encoders.device import limit_kernel_caches
from feedback_nlp.errors import ModelError
from feedback_nlp.home import Progress

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

logger = logging.getLogger(__name__)

BUILTIN = "builtin"


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

    limit_kernel_caches()
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
    current = model.get_input_embeddings()
    packed = _shared_packed(weights, current.padding_idx, current.num_embeddings)
    if packed is None:
        logger.info("the encoder's word embeddings are not 4-bit blocks; kept as float32")
        return False
    model.set_input_embeddings(packed)
    return True


def _shared_packed(weights: Path, padding_idx: int | None, rows: int):
    """The packed word embeddings of ``weights``, one copy per process while any user holds it."""
    from feedback_nlp.encoders.packed import read_packed_embedding

    key = _file_key(weights)
    packed = _PACKED.get(key)
    if packed is None:
        packed = read_packed_embedding(
            weights, "embeddings.word_embeddings.weight", padding_idx=padding_idx
        )
        if packed is None or packed.num_embeddings != rows:
            return None
        _PACKED[key] = packed
    return packed


def load_builtin_parts(*, progress: Progress | None = None) -> tuple[Path, dict, Any, Any]:
    """What the onnx backend needs of the builtin encoder, without loading its torch model:
    ``(folder, config dict, fast tokenizer, PackedEmbedding)``, shared like :func:`load_encoder`'s.
    """
    from transformers import AutoTokenizer

    location = prepare_encoder(progress=progress)
    try:
        config = json.loads((location / "config.json").read_text(encoding="utf-8"))
        tokenizer = _shared_tokenizer(location)
        if tokenizer is None:
            with _quiet_progress_bars():
                tokenizer = AutoTokenizer.from_pretrained(str(location), local_files_only=True)
            _TOKENIZERS[_file_key(location / "tokenizer.json")] = tokenizer
    except (OSError, ValueError, KeyError) as exc:
        raise _load_error(location, exc) from exc
    packed = _shared_packed(
        location / "model.safetensors", config.get("pad_token_id"), int(config["vocab_size"])
    )
    if packed is None:
        raise ModelError(
            f"The builtin encoder in {location} has no 4-bit word embeddings; run "
            "`feedback-nlp models prepare --force`, or pass --backend torch."
        )
    return location, config, tokenizer, packed


def encoder_fingerprint(spec: str | os.PathLike | None = None) -> str:
    """A stable id for result caches: the weights' sha256 for the builtin encoder (known
    without converting), file names/sizes/times for a local folder, id + revision for a hub id.
    """
    if _is_builtin(spec):
        sha = builtin_weights_sha256()
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
