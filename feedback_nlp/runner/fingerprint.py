"""What a resumable run's cleaned chunks depend on: a fingerprint of its inputs and read options.

A run killed part way continues from its last finished chunk only when this fingerprint is the
same (runner.stream)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from feedback_nlp.manifest import versions
from feedback_nlp.settings import ReadOptions

FORMAT_VERSION = 1


def _hash_file(path: Path, digest) -> None:
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        digest.update(b"<unreadable>")  # load() reports it properly


def input_fingerprint(inputs: Sequence[str | Path], read: ReadOptions, chunk_size: int) -> str:
    """What the cleaned chunks depend on: the input files' bytes (and names, in order), the read
    options (PII redaction included), the chunk size and the feedback-nlp version."""
    digest = hashlib.sha256()
    head = {
        "format": FORMAT_VERSION,
        "version": versions().get("feedback-nlp", "?"),
        "read": read.columns(),
        "redact_pii": read.redact_pii,
        "chunk_size": chunk_size,
        "names": [Path(p).name for p in inputs],
    }
    digest.update(json.dumps(head, sort_keys=True, default=str).encode())
    for path in inputs:
        digest.update(b"\0file\0")
        _hash_file(Path(path).expanduser(), digest)
    return digest.hexdigest()
