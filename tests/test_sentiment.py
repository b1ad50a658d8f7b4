"""Sentiment: LoRA merge, label mapping, HF classifiers, long texts, duplicates; the builtin model (marked)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from feedback_nlp.encoders.labels import map_labels
from feedback_nlp.encoders.lora import (
    LoRALinear,
    MeanPoolClassifier,
    add_lora,
    build_builtin,
    merge_lora,
    trainable_state,
)
from feedback_nlp.encoders.sentiment import SentimentModel, sentiment_frame
from feedback_nlp.errors import ModelError
from feedback_nlp.schema import P_NEGATIVE, P_NEUTRAL, P_POSITIVE, SENTIMENT, SENTIMENT_SCORE

CORPUS = [
    "the parcel arrived late and broken",
    "great service very happy",
    "awful app crashes",
    "ok fine",
]


def _tiny_tokenizer():
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(
        CORPUS * 3,
        trainers.WordPieceTrainer(
            vocab_size=200, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
        ),
    )
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )


def _tiny_config(vocab_size: int, max_positions: int = 64, **kwargs):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=max_positions,
        **kwargs,
    )


@pytest.fixture(scope="module")
def tokenizer():
    return _tiny_tokenizer()


@pytest.fixture
def classifier_dir(tmp_path, tokenizer):
    """A randomly initialised 3-label HF classifier saved like a downloaded model."""
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    config = _tiny_config(
        tokenizer.vocab_size,
        max_positions=32,
        num_labels=3,
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
    )
    BertForSequenceClassification(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    return tmp_path


# -- LoRA ----------------------------------------------------------------------------------------


def test_lora_merge_gives_the_same_outputs(tokenizer):
    from transformers import BertModel

    torch.manual_seed(0)
    encoder = BertModel(_tiny_config(tokenizer.vocab_size), add_pooling_layer=False).eval()
    model = MeanPoolClassifier(encoder).eval()
    assert add_lora(model.bert, r=4, alpha=8) == 2 * 6  # q, k, v, attention out, intermediate, out
    for module in model.modules():
        if isinstance(module, LoRALinear):
            nn.init.normal_(module.lora_B, std=0.5)  # B starts at zero: make the delta real
    batch = tokenizer(CORPUS, padding=True, return_tensors="pt")
    with torch.no_grad():
        before = model(batch["input_ids"], batch["attention_mask"])
        state = trainable_state(model)
        merge_lora(model)
        after = model(batch["input_ids"], batch["attention_mask"])
    assert not any(isinstance(m, LoRALinear) for m in model.modules())
    torch.testing.assert_close(before, after, atol=1e-5, rtol=1e-4)

    # the shipped form (trainable state only, in fp16) rebuilt on a fresh copy of the encoder
    torch.manual_seed(0)
    fresh = BertModel(_tiny_config(tokenizer.vocab_size), add_pooling_layer=False).eval()
    config = {"lora_r": 4, "lora_alpha": 8}
    rebuilt = build_builtin(fresh, {k: v.half() for k, v in state.items()}, config)
    with torch.no_grad():
        again = rebuilt(batch["input_ids"], batch["attention_mask"])
    torch.testing.assert_close(before, again, atol=2e-2, rtol=1e-2)


def test_adapter_that_does_not_fit_is_a_model_error(tokenizer):
    from transformers import BertModel

    encoder = BertModel(_tiny_config(tokenizer.vocab_size), add_pooling_layer=False)
    with pytest.raises(ModelError, match="does not fit"):
        build_builtin(
            encoder, {"bert.nothing.lora_A": torch.zeros(2, 2)}, {"lora_r": 2, "lora_alpha": 2}
        )


# -- label mapping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id2label", "expected"),
    [
        ({0: "negative", 1: "neutral", 2: "positive"}, [0, 1, 2]),
        ({0: "POSITIVE", 1: "NEGATIVE"}, [2, 0]),
        ({0: "Negative", 1: "Neutral", 2: "Positive"}, [0, 1, 2]),
        ({0: "NEG", 1: "NEU", 2: "POS"}, [0, 1, 2]),
        ({0: "negativo", 1: "neutro", 2: "positivo"}, [0, 1, 2]),
        ({0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}, [0, 0, 1, 2, 2]),
        ({0: "1", 1: "2", 2: "3", 3: "4", 4: "5"}, [0, 0, 1, 2, 2]),
        ({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}, [0, 1, 2]),
        ({0: "LABEL_0", 1: "LABEL_1"}, [0, 2]),
    ],
)
def test_map_labels(id2label, expected):
    assert map_labels(id2label) == expected


@pytest.mark.parametrize(
    "id2label",
    [
        {0: "joy", 1: "anger", 2: "sadness"},
        {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2", 3: "LABEL_3"},
        {0: "toxic", 1: "positive"},
    ],
)
def test_map_labels_explains_what_it_cannot_map(id2label):
    with pytest.raises(ModelError, match="cannot map the sentiment model's labels") as info:
        map_labels(id2label)
    assert "id2label" in str(info.value)  # says how to fix it


# -- any HF classifier ---------------------------------------------------------------------------


def test_hf_classifier_from_a_folder(classifier_dir):
    model = SentimentModel.load(str(classifier_dir))
    probs = model.predict(["great service", "awful app", ""])
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert model.fingerprint == SentimentModel.load(str(classifier_dir)).fingerprint


def test_missing_classifier_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="could not load the sentiment model"):
        SentimentModel.load(str(tmp_path / "nothing-here"))


def test_long_text_is_read_in_windows_not_cut(classifier_dir):
    model = SentimentModel.load(str(classifier_dir))  # max_position_embeddings = 32
    text = " ".join(["great service very happy the parcel arrived late"] * 25)  # ~200 tokens
    ids, owner, lengths = model.windows([text])
    assert len(ids) > 1 and set(owner) == {0} and max(len(x) for x in ids) <= 32
    tokens = model.tokenizer(text, add_special_tokens=False)["input_ids"]
    assert sum(lengths) >= len(tokens)  # every token is read at least once
    probs = model.predict([text, "ok"])
    assert probs.shape == (2, 3)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)


def test_duplicates_are_computed_once(classifier_dir, monkeypatch):
    model = SentimentModel.load(str(classifier_dir))
    seen = []
    original = model._window_logits
    monkeypatch.setattr(
        model, "_window_logits", lambda texts, bs: seen.append(list(texts)) or original(texts, bs)
    )
    probs = model.predict(["great", "awful", "great", "great", "awful"])
    assert seen == [["great", "awful"]]
    np.testing.assert_array_equal(probs[0], probs[2])
    np.testing.assert_array_equal(probs[1], probs[4])


def test_predict_is_the_same_in_any_batch_size_and_order(classifier_dir):
    model = SentimentModel.load(str(classifier_dir), precision="fp32")
    texts = ["great service very happy", "awful", "ok fine the parcel arrived late and broken"]
    a = model.predict(texts, batch_size=1)
    b = model.predict(texts[::-1], batch_size=3)[::-1]
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8", "auto"])
def test_every_precision_gives_probabilities(classifier_dir, precision):
    model = SentimentModel.load(str(classifier_dir), precision=precision)
    assert model.precision in {"fp32", "bf16", "int8"}
    probs = model.predict(["great service very happy", "awful"])
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-4)


def test_unknown_precision_is_a_model_error(classifier_dir):
    with pytest.raises(ModelError, match="precision must be one of"):
        SentimentModel.load(str(classifier_dir), precision="fp8")


def test_loading_caps_torchs_kernel_caches_unless_the_user_set_them(classifier_dir, monkeypatch):
    import os

    names = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")
    monkeypatch.setenv(names[0], "64")
    monkeypatch.delenv(names[1], raising=False)
    SentimentModel.load(str(classifier_dir))
    assert [os.environ[name] for name in names] == ["64", "16"]


def test_sentiment_frame():
    frame = sentiment_frame(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=np.float32))
    assert list(frame.columns) == [SENTIMENT, SENTIMENT_SCORE, P_NEGATIVE, P_NEUTRAL, P_POSITIVE]
    assert frame[SENTIMENT].tolist() == ["negative", "positive"]
    np.testing.assert_allclose(frame[SENTIMENT_SCORE], [-0.6, 0.7], atol=1e-6)
    assert len(sentiment_frame(np.zeros((0, 3)))) == 0


# -- the builtin model (real weights) ------------------------------------------------------------

NEGATIVE_SENTENCES = {
    "en": "The parcel arrived two weeks late and the box was broken. Terrible service.",
    "de": "Die Lieferung kam viel zu spät und der Kundenservice war unfreundlich.",
    "pl": "Kurier spóźnił się trzy dni, a paczka była uszkodzona. Bardzo słaba obsługa.",
    "fr": "Livraison en retard et produit cassé, je suis très déçu.",
    "es": "El pedido llegó tarde y roto, un servicio pésimo.",
    "th": "ของมาช้ามาก แถมสินค้าเสียหาย ผิดหวังสุดๆ",
}
POSITIVE_SENTENCES = {
    "en": "Fast delivery and friendly support, I love this shop!",
    "de": "Super schnelle Lieferung, alles bestens, sehr zufrieden!",
    "pl": "Świetna obsługa i szybka dostawa, polecam!",
    "fr": "Livraison rapide et service client excellent, merci !",
    "es": "Entrega rápida y atención excelente, muy contento.",
    "th": "ส่งไวมาก สินค้าดี ประทับใจสุดๆ",
}


@pytest.mark.models
def test_builtin_model_gets_obvious_sentences_right(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("FEEDBACK_NLP_HOME", str(tmp_path_factory.getbasetemp() / "fnlp-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = SentimentModel.load()
    assert model.fingerprint.startswith("builtin-")
    langs = list(NEGATIVE_SENTENCES)
    texts = [NEGATIVE_SENTENCES[lg] for lg in langs] + [POSITIVE_SENTENCES[lg] for lg in langs]
    probs = model.predict(texts, lang=langs + langs)
    labels = sentiment_frame(probs)[SENTIMENT].tolist()
    assert labels == ["negative"] * 6 + ["positive"] * 6, list(zip(texts, labels))
