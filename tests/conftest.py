"""Shared fixtures: small stand-in models, so most tests run without the real ones."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from feedback_nlp.analysis.models import Models

# A small taxonomy of its own, so that tests do not move with the shipped ones; semantic matching
# is off by default (the stand-in embedder's similarities mean little), so themes come from
# keywords alone and unclaimed complaints are left to discovery.
KEYWORD_TAXONOMY = """
name: tiny
version: 1
touchpoints:
  delivery:
    label: Delivery
    themes:
      late_delivery:
        label: Late delivery
        description: The order arrived later than promised.
        keywords: {en: [late], de: [spät]}
        examples: [My parcel arrived two weeks late]
  service:
    label: Customer service
    themes:
      staff_attitude:
        label: Rude staff
        description: Staff were rude or unfriendly.
        keywords: {en: [rude]}
        examples: [The agent was rude to me]
"""


def write_keyword_taxonomy(path, **matching) -> str:
    """KEYWORD_TAXONOMY with its `matching:` settings (JSON is YAML) written to `path`."""
    settings = {"semantic_threshold": 1.0, "discover_min_size": 5, **matching}
    path.write_text(KEYWORD_TAXONOMY + f"matching: {json.dumps(settings)}\n")
    return str(path)


class KeywordSentiment:
    """Negative where a complaint word occurs, positive where praise does, else neutral."""

    fingerprint = "test-keyword-sentiment"
    NEG = ("late", "broken", "damaged", "spät", "rude", "crash")
    POS = ("great", "fast", "love", "friendly")

    def predict(self, texts, *, lang=None, batch_size=32):
        rows = []
        for t in texts:
            t = t.lower()
            if any(w in t for w in self.NEG):
                rows.append([0.8, 0.1, 0.1])
            elif any(w in t for w in self.POS):
                rows.append([0.1, 0.1, 0.8])
            else:
                rows.append([0.2, 0.6, 0.2])
        return np.asarray(rows, dtype=np.float32).reshape(-1, 3)


class HashEmbedder:
    """Deterministic unit vectors from character trigrams: similar texts, similar vectors."""

    fingerprint = "test-hash-embedder"
    dim = 64

    def embed(self, texts, *, prefix="passage: "):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            t = f"  {t.lower()}  "
            for j in range(len(t) - 2):
                h = int(hashlib.md5(t[j : j + 3].encode()).hexdigest()[:8], 16)
                out[i, h % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


@pytest.fixture(scope="session")
def models():
    """Models with the stand-ins above and the real ecommerce-cx taxonomy."""
    return Models(taxonomy="ecommerce-cx", sentiment=KeywordSentiment(), embedder=HashEmbedder())


@pytest.fixture
def patched_models(models, monkeypatch):
    """Make `run()` (and so the CLI) use the stand-in models."""
    from feedback_nlp.runner import pipeline

    monkeypatch.setattr(pipeline, "Models", lambda *_a, **_kw: models)
    return models


@pytest.fixture
def real_models_home(tmp_path_factory, monkeypatch):
    """A FEEDBACK_NLP_HOME shared by the real-model tests of one session: the builtin encoder is
    converted once, and never into the user's home."""
    home = tmp_path_factory.getbasetemp() / "fnlp-home"
    monkeypatch.setenv("FEEDBACK_NLP_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _result_cache_in_tmp(tmp_path_factory, monkeypatch):
    """Tests never read or fill the user's result cache: each test gets its own file."""
    from feedback_nlp import cache

    path = tmp_path_factory.mktemp("result-cache") / cache.FILE_NAME
    monkeypatch.setattr(cache, "default_path", lambda: path)
    return path


@pytest.fixture(autouse=True)
def _prototype_store_in_tmp(tmp_path_factory, monkeypatch):
    """Tests never read or fill the user's stored prototype vectors: each test gets its own."""
    from feedback_nlp.analysis import prototypes

    folder = tmp_path_factory.mktemp("prototypes")
    monkeypatch.setattr(prototypes, "store_dir", lambda: folder)
    return folder
