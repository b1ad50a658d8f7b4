"""The shipped taxonomies' prototype vectors are stored in the model cache and read back instead
of embedded again, as long as the encoder key, the taxonomy and its texts are those they were
built from; a changed YAML is embedded again, a user's taxonomy never goes into the store."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import HashEmbedder, KeywordSentiment
from typer.testing import CliRunner

from feedback_nlp.analysis import prototypes
from feedback_nlp.analysis.models import Models
from feedback_nlp.themes.semantic import NULL_EXAMPLES, Prototypes
from feedback_nlp.themes.taxonomy_file import load_taxonomy

KEY = "test-encoder|query: |fp32"
TAXONOMY = """
name: mine
version: 1
touchpoints:
  delivery:
    label: Delivery
    themes:
      late_delivery:
        label: Late delivery
        description: The parcel arrived late.
        keywords: {en: [late]}
        examples: [My parcel came two weeks late]
"""


class CountingEmbedder(HashEmbedder):
    """HashEmbedder that counts the texts it embeds."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed(self, texts, *, prefix="passage: "):
        self.texts.extend(texts)
        return super().embed(texts, prefix=prefix)


def counting_models(taxonomy: str) -> tuple[Models, CountingEmbedder]:
    embedder = CountingEmbedder()
    return Models(taxonomy=taxonomy, sentiment=KeywordSentiment(), embedder=embedder), embedder


def test_shipped_prototypes_are_stored_then_read_back(_prototype_store_in_tmp):
    first, embedded = counting_models("telecom")
    built = first.matcher.prototypes
    n = len(built.vectors) + len(NULL_EXAMPLES)
    assert len(embedded.texts) == n  # the first use embeds (the result cache was off)
    assert len(list(_prototype_store_in_tmp.rglob("telecom-*.npz"))) == 1

    second, embedded_again = counting_models("telecom")
    loaded = second.matcher.prototypes
    assert embedded_again.texts == []  # read from the store, nothing embedded
    np.testing.assert_array_equal(loaded.vectors, built.vectors)
    np.testing.assert_array_equal(loaded.null_vectors, built.null_vectors)
    np.testing.assert_array_equal(loaded.owner, built.owner)


def test_another_encoder_key_is_not_read(_prototype_store_in_tmp):
    taxonomy = load_taxonomy("restaurant")
    embedder = CountingEmbedder()

    def embed(texts):
        return embedder.embed(texts)

    prototypes.load_prototypes(taxonomy, embed, KEY)
    before = len(embedder.texts)
    prototypes.load_prototypes(taxonomy, embed, KEY)
    assert len(embedder.texts) == before
    prototypes.load_prototypes(taxonomy, embed, KEY + "-other")
    assert len(embedder.texts) == 2 * before


def test_a_changed_yaml_is_embedded_again(tmp_path, _prototype_store_in_tmp):
    path = tmp_path / "mine.yaml"
    path.write_text(TAXONOMY, encoding="utf-8")
    embedder = CountingEmbedder()
    old = prototypes.load_prototypes(load_taxonomy(str(path)), embedder.embed, KEY)
    n = len(embedder.texts)
    stored = prototypes.stored_path(load_taxonomy(str(path)), KEY)
    assert stored.is_file()

    path.write_text(TAXONOMY.replace("two weeks late", "a month late"), encoding="utf-8")
    changed = load_taxonomy(str(path))
    new = prototypes.load_prototypes(changed, embedder.embed, KEY)
    assert len(embedder.texts) == 2 * n  # embedded again, not read
    assert "My parcel came a month late" in embedder.texts[n:]
    assert not np.array_equal(new.vectors, old.vectors)
    assert prototypes.stored_path(changed, KEY).is_file()
    assert not stored.exists()  # the old file of this taxonomy went


def test_a_stale_or_damaged_file_is_rebuilt(tmp_path, _prototype_store_in_tmp):
    taxonomy = load_taxonomy("restaurant")
    embedder = CountingEmbedder()
    good = prototypes.load_prototypes(taxonomy, embedder.embed, KEY)
    path = prototypes.stored_path(taxonomy, KEY)
    n = len(embedder.texts)

    # the same name and fingerprint, other texts (e.g. NULL_EXAMPLES changed): not used
    meta = prototypes._meta(taxonomy, KEY, ["something else"])
    prototypes.write_stored(path, meta, np.ones((1, HashEmbedder.dim), np.float32))
    again = prototypes.load_prototypes(taxonomy, embedder.embed, KEY)
    assert len(embedder.texts) == 2 * n
    np.testing.assert_array_equal(again.vectors, good.vectors)

    path.write_bytes(b"not a numpy file")
    prototypes.load_prototypes(taxonomy, embedder.embed, KEY)
    assert len(embedder.texts) == 3 * n
    prototypes.load_prototypes(taxonomy, embedder.embed, KEY)  # and now it is whole again
    assert len(embedder.texts) == 3 * n


def test_a_user_taxonomy_is_never_stored(tmp_path, _prototype_store_in_tmp):
    path = tmp_path / "mine.yaml"
    path.write_text(TAXONOMY, encoding="utf-8")
    models, embedded = counting_models(str(path))
    assert isinstance(models.matcher.prototypes, Prototypes)
    assert embedded.texts  # embedded, as before
    assert not list(_prototype_store_in_tmp.rglob("*.npz"))
    assert not prototypes.is_shipped(load_taxonomy(str(path)))
    assert prototypes.is_shipped(load_taxonomy("telecom"))


@pytest.mark.parametrize("force", [False, True])
def test_prepare_stores_every_shipped_taxonomy(force, _prototype_store_in_tmp):
    from feedback_nlp.themes.taxonomy_file import shipped_taxonomies

    embedder = CountingEmbedder()
    paths = prototypes.prepare_prototypes(embedder=embedder)
    assert len(paths) == len(shipped_taxonomies()) and all(p.is_file() for p in paths)
    n = len(embedder.texts)
    prototypes.prepare_prototypes(embedder=embedder, force=force)
    assert len(embedder.texts) == (2 * n if force else n)
    # what the analysis then reads: no prototype embedded
    models, embedded = counting_models("banking")
    _ = models.matcher.prototypes
    assert embedded.texts == []


def test_models_prepare_command_prepares_prototypes(monkeypatch, _prototype_store_in_tmp):
    from feedback_nlp.cli import app
    from feedback_nlp.encoders import backend, convert
    from feedback_nlp.themes.taxonomy_file import shipped_taxonomies

    monkeypatch.setattr(convert, "prepare_encoder", lambda **_kw: _prototype_store_in_tmp)
    monkeypatch.setattr(backend, "prepare_graphs", lambda **_kw: [])
    monkeypatch.setattr(backend, "load_embedder", lambda **_kw: HashEmbedder())
    result = CliRunner().invoke(app, ["models", "prepare"])
    assert result.exit_code == 0, result.output
    n = len(shipped_taxonomies())
    assert f"Prototype vectors of {n} shipped taxonomies ready" in result.output
    assert len(list(_prototype_store_in_tmp.rglob("*.npz"))) == n
