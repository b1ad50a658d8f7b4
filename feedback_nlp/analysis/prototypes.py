"""The prototype vectors of the shipped taxonomies, kept in the user's model cache.

A taxonomy's prototypes (each theme's label + description and examples, and the content-free
statements, :class:`feedback_nlp.themes.semantic.Prototypes`) are a function of the encoder and
the taxonomy alone. The automatic taxonomy choice needs those of every shipped taxonomy (~1,300
texts), and the result cache is empty on a first run: so they are embedded once per machine,
by ``feedback-nlp models prepare`` or on first use, and stored under
``<cache_dir>/prototypes/<encoder key>/<taxonomy>-<taxonomy fingerprint>.npz``, next to the
converted encoder and the onnx graphs. A stored file is used only when the encoder key (weights,
prefix, precision), the taxonomy's content and the very texts to embed are those it was built
from; anything else embeds again and replaces it. A taxonomy from the user's own YAML file is
embedded as before (through the result cache).

>>> matcher = ThemeMatcher("telecom", embed=embed, load_prototypes=stored_loader(key))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from feedback_nlp.analysis.models import embed_clauses, embedding_key
from feedback_nlp.home import Progress, cache_dir, file_lock
from feedback_nlp.settings import DEFAULT_BACKEND
from feedback_nlp.themes.semantic import Embed, Prototypes
from feedback_nlp.themes.taxonomy import Taxonomy
from feedback_nlp.themes.taxonomy_file import load_taxonomy, shipped_taxonomies

logger = logging.getLogger(__name__)

FOLDER = "prototypes"
FORMAT = 1  # of the stored file; another value is rebuilt


def store_dir() -> Path:
    """Where the stored prototype vectors live (tests point it elsewhere)."""
    return cache_dir() / FOLDER


def is_shipped(taxonomy: Taxonomy) -> bool:
    """Whether `taxonomy` was loaded from a YAML file shipped with feedback-nlp."""
    if not taxonomy.source:
        return False
    shipped = Path(str(resources.files("feedback_nlp.themes.taxonomies"))).resolve()
    try:
        return Path(taxonomy.source).resolve().parent == shipped
    except OSError:
        return False


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _texts_digest(texts: Sequence[str]) -> str:
    return _digest(json.dumps(list(texts), ensure_ascii=False))


def stored_path(taxonomy: Taxonomy, key: str) -> Path:
    """The file of `taxonomy`'s prototype vectors under the encoder `key`."""
    return store_dir() / _digest(key)[:16] / f"{taxonomy.name}-{taxonomy.fingerprint[:16]}.npz"


def _meta(taxonomy: Taxonomy, key: str, texts: Sequence[str]) -> dict:
    return {
        "format": FORMAT,
        "key": key,
        "taxonomy": taxonomy.name,
        "taxonomy_fingerprint": taxonomy.fingerprint,
        "texts": _texts_digest(texts),
        "n": len(texts),
    }


def read_stored(path: Path, meta: dict) -> np.ndarray | None:
    """The vectors in `path` when it was built for exactly `meta`, else None (missing, another
    encoder, taxonomy or text list, or damaged)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            found = json.loads(str(data["meta"]))
            vectors = np.asarray(data["vectors"], dtype=np.float32)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if found != meta or vectors.ndim != 2 or len(vectors) != meta["n"]:
        return None
    if not np.isfinite(vectors).all():
        return None
    return vectors


def write_stored(path: Path, meta: dict, vectors: np.ndarray) -> None:
    """Store `vectors` for `meta` by an atomic rename; the same taxonomy's files of other
    contents go (the YAML changed). A cache that cannot be written is only logged: the vectors
    are then embedded again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(path.parent / ".lock"):
            fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".npz", dir=path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                np.savez(tmp, vectors=np.asarray(vectors, np.float32), meta=json.dumps(meta))
                tmp.chmod(0o644)
                tmp.replace(path)
            finally:
                tmp.unlink(missing_ok=True)
            for stale in path.parent.glob(f"{meta['taxonomy']}-*.npz"):
                if stale != path:
                    stale.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("Could not store the prototype vectors in %s: %s", path.parent, exc)


def load_prototypes(taxonomy: Taxonomy, embed: Embed, key: str) -> Prototypes:
    """`taxonomy`'s :class:`Prototypes`, their vectors read from the store when they were built
    for the encoder `key` and these very texts, else embedded with `embed` and stored."""
    path = stored_path(taxonomy, key)

    def stored_or_embedded(texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        meta = _meta(taxonomy, key, texts)
        vectors = read_stored(path, meta)
        if vectors is None:
            vectors = np.asarray(embed(texts), dtype=np.float32)
            if vectors.ndim == 2 and len(vectors) == len(texts):
                write_stored(path, meta, vectors)
        return vectors

    return Prototypes(taxonomy, stored_or_embedded)


def stored_loader(key: str | None) -> Callable[[Taxonomy, Embed], Prototypes]:
    """The ``load_prototypes`` of a ThemeMatcher whose clause vectors are those of the encoder
    `key` (:func:`feedback_nlp.analysis.models.embedding_key`): shipped taxonomies through the
    store, any other as :class:`Prototypes` embeds them. ``key`` None: never the store."""

    def load(taxonomy: Taxonomy, embed: Embed) -> Prototypes:
        if key is None or not is_shipped(taxonomy):
            return Prototypes(taxonomy, embed)
        return load_prototypes(taxonomy, embed, key)

    return load


def prepare_prototypes(
    *,
    backend: str = DEFAULT_BACKEND,
    force: bool = False,
    embedder=None,
    progress: Progress | None = None,
) -> list[Path]:
    """Embed and store the prototype vectors of every shipped taxonomy now, as ``feedback-nlp
    models prepare`` does, with the builtin encoder on `backend` (or `embedder`) at fp32, the
    precision of the default backend; ``force`` embeds them again even where stored. Returns the
    stored files."""
    if embedder is None:
        from feedback_nlp.encoders.backend import load_embedder

        embedder = load_embedder(backend=backend, progress=progress)
    key = embedding_key(embedder, "fp32")
    say = progress or (lambda _m: None)
    paths = []
    for name in shipped_taxonomies():
        taxonomy = load_taxonomy(name)
        path = stored_path(taxonomy, key)
        if force:
            path.unlink(missing_ok=True)
        say(f"Prototype vectors of the {name} taxonomy")
        load_prototypes(
            taxonomy, lambda texts: embed_clauses(embedder, texts, precision="fp32"), key
        )
        paths.append(path)
    return paths
