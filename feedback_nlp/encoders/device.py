"""What inference needs to know about this machine's CPU, and the torch settings it implies.

One place for: the native-bf16 check and the precision names with their resolution, the cores
this process may use, a block with a given number of torch threads, and the cap on torch's
per-shape kernel caches (set before a model loads).

>>> limit_kernel_caches()                       # doctest: +SKIP
>>> resolve_precision("auto")                   # doctest: +SKIP
'bf16'
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from feedback_nlp import settings
from feedback_nlp.errors import ModelError

# A run chooses among settings.PRECISIONS; the sentiment model alone can also run int8.
PRECISIONS = (*settings.PRECISIONS, "int8")


def limit_kernel_caches() -> None:
    """Cap torch's per-shape CPU kernel caches at 16 entries each, unless the user set them.

    Called where models load (:func:`feedback_nlp.encoders.load.load_encoder`,
    :meth:`feedback_nlp.encoders.sentiment.SentimentModel.from_adapter` and
    ``from_classifier``), before any of their kernels runs.
    """
    # torch's CPU kernels (oneDNN, and ideep above it) keep a compiled kernel per input shape, up
    # to 1,024 of each by default. Batches are length-sorted with dynamic padding, so nearly every
    # batch has a shape of its own and those caches filled chunk after chunk: resident memory
    # grew ~300 MB over a 20-chunk run and was still growing. With 16 entries each it grew ~40 MB
    # and the chunks' peak fell 12 %, at ~2 % more model time (docs/benchmarks.md, "Inference
    # settings, and why"). torch reads both variables when it first runs such a kernel, so they
    # are set before a model loads; a value already in the environment wins.
    for name in ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY"):
        os.environ.setdefault(name, "16")


def has_fast_bf16() -> bool:
    """Whether the CPU computes bf16 natively (AVX-512 BF16 or AMX); elsewhere bf16 is emulated."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str) -> str:
    """``auto``: bf16 autocast where the CPU has native bf16, else fp32.

    Measured (scripts/bench_sentiment.py, docs/sentiment.md): bf16 autocast ~1.6x the speed of
    fp32 with 99.9 % identical labels; int8 dynamic quantisation changes more labels than that.
    """
    if precision not in PRECISIONS:
        raise ModelError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if precision == "auto":
        return "bf16" if has_fast_bf16() else "fp32"
    return precision


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


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
