"""End-to-end benchmark of `feedback-nlp analyze`; prints a table and writes docs/benchmarks.md.

    .venv/bin/python scripts/bench.py [--sizes 10000,100000] [--baseline 2000] [--sentiment-model builtin]

For each size N it builds a synthetic NPS export of N comments (the bundled sample's records and
texts of the development data in /work/shared/data: en, de, pl, th, fr, es), then runs the CLI
exactly as a user would, in a child process:

* **cold**: an empty result cache -> comments/s end to end (process start to exit: read, clean,
  models, analysis, summary, reports), per stage (from manifest.json), peak RSS of the child;
* **warm**: the same export again with the cache the cold run filled -> time, and speed-up.

And, in the same run on the same `--baseline` comments (a slice of the smallest export): the naive
way — a Hugging Face ``pipeline("text-classification")`` built from the very same merged encoder +
sentiment head, called once per comment, plus the language's spaCy pipeline called once per
comment — against `feedback-nlp analyze` on those comments (cold cache). The baseline does less
(no clause sentiment, no embeddings, no themes, no reports), so the ratio favours it.

Child processes get a private FEEDBACK_NLP_HOME (the prepared encoder linked in), so the user's
result cache is neither read nor filled.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "nps_sample.csv"
DATA = Path(os.environ.get("FEEDBACK_NLP_DATA", ROOT.parent / "shared" / "data"))
DOC = ROOT / "docs" / "benchmarks.md"
# Development sets in the languages feedback-nlp identifies (en de pl th fr es); the CFPB
# complaints (multi-page legal narratives) are left out: they are not survey verbatims.
SOURCES = {
    "airline_tweets_en": 1.0,
    "semeval2014_train": 1.0,
    "druglib_en": 0.5,
    "uci_yelp_en": 1.0,
    "opener_en": 1.0,
    "germeval2017_dev": 1.0,
    "opener_de": 1.0,
    "polemo2_medicine_train": 1.0,
    "polemo_hotels_products_pl": 1.0,
    "wisesight_train": 1.0,
    "th_review_shopping": 1.0,
    "opener_fr": 1.0,
    "opener_es": 1.0,
    "cuba_hotels_es": 0.5,
    "restmex2021_es": 0.5,
    "semeval2016_train": 1.0,  # en es fr nl ru tr: the others come out as `und`
}
CHANNELS = ["Website", "App", "Store", "Delivery", "Customer service", "Checkout", "Returns"]
STAGES = (
    "read", "clean", "spill", "load_models", "open_cache", "choose_taxonomy", "clauses",
    "sentiment", "themes", "chunk_overhead", "discover", "assemble", "read_back", "summarize",
    "write",
)  # fmt: skip


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Synthetic exports


def _pool(seed: int) -> list[dict]:
    rng = random.Random(seed)
    pool = []
    for name, keep in SOURCES.items():
        path = DATA / f"{name}.jsonl.gz"
        if not path.is_file():
            log(f"note: {path} missing, left out")
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                rec = json.loads(line)
                text = (rec.get("text") or "").strip()
                if text and rng.random() < keep:
                    pool.append({"text": text, "label": rec.get("label"), "lang": rec.get("lang")})
    return pool


def _score(label: str | None, rng: random.Random) -> int:
    if label == "negative":
        return rng.randint(0, 6)
    if label == "positive":
        return rng.randint(8, 10)
    if label == "neutral":
        return rng.randint(5, 8)
    return rng.randint(0, 10)


def build_export(n: int, path: Path, *, seed: int = 0) -> dict:
    """N records: ~5% the bundled sample's, the rest development-data texts (without repeats
    while the pool lasts), with an id, a date, a channel and an NPS score."""
    import pandas as pd

    rng = random.Random(seed)
    sample = pd.read_csv(SAMPLE, encoding="utf-8-sig", keep_default_na=False)
    text_col = sample.columns[-1]
    pool = _pool(seed)
    if not pool:
        raise SystemExit(f"no development data in {DATA}: set FEEDBACK_NLP_DATA to its folder")
    rng.shuffle(pool)
    start = date(2026, 1, 1)
    rows, langs = [], {}
    for i in range(n):
        if rng.random() < 0.05:
            rec = sample.iloc[rng.randrange(len(sample))]
            text, score = rec[text_col], int(rec.iloc[3]) if str(rec.iloc[3]).isdigit() else None
            lang = "sample"
        else:
            rec = pool[i % len(pool)]
            text, score, lang = rec["text"], _score(rec["label"], rng), rec["lang"] or "?"
        langs[lang] = langs.get(lang, 0) + 1
        rows.append(
            {
                "Response ID": f"B{seed}-{i:07d}",
                "Date": (start + timedelta(days=rng.randrange(180))).isoformat(),
                "Channel": rng.choice(CHANNELS),
                "How likely are you to recommend us? (0-10)": score,
                "Why did you give this score?": text,
            }
        )
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    texts = frame["Why did you give this score?"].astype(str)
    return {
        "rows": n,
        "distinct_texts": int(texts.nunique()),
        "mean_chars": round(float(texts.str.len().mean()), 1),
        "sources": dict(sorted(langs.items(), key=lambda kv: -kv[1])),
    }


# ---------------------------------------------------------------------------------------------
# Running the CLI in a child, measured


def _home(base: Path) -> Path:
    """A FEEDBACK_NLP_HOME with the user's prepared encoder, ONNX graphs and shipped taxonomies'
    prototype vectors linked in (what `feedback-nlp models prepare` makes once per machine) and
    no result cache."""
    from feedback_nlp.encoders.convert import prepare_encoder
    from feedback_nlp.home import cache_dir

    prepare_encoder()
    subprocess.run([sys.executable, "-m", "feedback_nlp", "models", "prepare"], check=True)
    base.mkdir(parents=True, exist_ok=True)
    for name in ("encoders", "onnx", "prototypes"):
        link = base / name
        if not link.exists() and (cache_dir() / name).is_dir():
            link.symlink_to(cache_dir() / name, target_is_directory=True)
    return base


def run_cli(args: list[str], home: Path, threads: int | None, *, python: str | None = None) -> dict:
    """Run `feedback-nlp ARGS` in a child (under `python`, default this interpreter); wall
    seconds, peak RSS (MiB), exit code."""
    env = {**os.environ, "FEEDBACK_NLP_HOME": str(home)}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    cmd = [python or sys.executable, "-m", "feedback_nlp", *args]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 2):
        raise RuntimeError(f"{' '.join(cmd)} failed ({code}):\n{err[-3000:]}")
    # The child's ru_maxrss starts from this process's peak (Linux keeps it across fork and
    # exec), and this process has had models loaded for the baseline: the peak the run
    # recorded itself (manifest.json memory_mb, from VmHWM) is the true one.
    peak = usage.ru_maxrss / 1024
    outdir = Path(args[args.index("-o") + 1]) if "-o" in args else None
    if outdir is not None and (outdir / "manifest.json").is_file():
        memory = json.loads((outdir / "manifest.json").read_text()).get("memory_mb") or {}
        if memory:
            peak = max(m["peak"] for m in memory.values())
    return {"seconds": seconds, "peak_rss_mib": peak, "exit": code, "out": out}


def bench_size(n: int, work: Path, args) -> dict:
    export = work / f"export_{n}.csv"
    log(f"building a {n:,}-comment export")
    info = build_export(n, export, seed=args.seed)
    home = _home(work / f"home_{n}")
    common = ["--quiet", "--sentiment-model", args.sentiment_model]
    log(f"{n:,}: cold run")
    cold = run_cli(
        ["analyze", str(export), "-o", str(work / f"cold_{n}"), *common], home, args.threads
    )
    manifest = json.loads((work / f"cold_{n}" / "manifest.json").read_text())
    log(f"{n:,}: cold {cold['seconds']:.1f} s; warm run")
    warm = run_cli(
        ["analyze", str(export), "-o", str(work / f"warm_{n}"), *common], home, args.threads
    )
    warm_manifest = json.loads((work / f"warm_{n}" / "manifest.json").read_text())
    log(f"{n:,}: warm {warm['seconds']:.1f} s")
    return {
        "n": n,
        "export": info,
        "cold_s": round(cold["seconds"], 1),
        "cold_per_s": round(n / cold["seconds"], 1),
        "cold_ms_per_comment": round(1000 * cold["seconds"] / n, 2),
        "peak_rss_mib": round(cold["peak_rss_mib"]),
        "warm_s": round(warm["seconds"], 1),
        "warm_peak_rss_mib": round(warm["peak_rss_mib"]),
        "warm_speedup": round(cold["seconds"] / warm["seconds"], 1),
        "stages_s": manifest["timings_s"],
        "memory_mb": manifest.get("memory_mb", {}),
        "chunk_rss_mb": manifest["run"].get("chunk_rss_mb", []),
        "warm_stages_s": warm_manifest["timings_s"],
        "rows": manifest["rows"],
        "clauses": manifest["clauses"],
        "cache_warm": warm_manifest["run"]["cache"],
        "passes": manifest.get("passes"),
        "threads": manifest["run"].get("threads"),
    }


# ---------------------------------------------------------------------------------------------
# The naive baseline, on the same comments


def bench_baseline(export: Path, n: int, work: Path, args) -> dict:
    import pandas as pd
    import torch
    from bench_sentiment import hf_pipeline_from

    from feedback_nlp.encoders.sentiment import SentimentModel
    from feedback_nlp.io.load import read_feedback
    from feedback_nlp.text.clean import clean
    from feedback_nlp.text.pipelines import get_pipeline

    frame = pd.read_csv(export, encoding="utf-8-sig", keep_default_na=False).head(n)
    subset = work / f"baseline_{n}.csv"
    frame.to_csv(subset, index=False, encoding="utf-8-sig")
    home = _home(work / "home_baseline")

    log(f"baseline: feedback-nlp analyze on the same {n} comments (cold cache)")
    ours = run_cli(
        ["analyze", str(subset), "-o", str(work / "baseline_ours"), "--quiet",
         "--sentiment-model", args.sentiment_model],
        home, args.threads,
    )  # fmt: skip
    # the naive way gets the languages for free (identified here, not timed)
    cleaned = clean(read_feedback(subset))
    todo = cleaned[cleaned["status"].isna()]
    texts, langs = todo["text"].astype(str).tolist(), todo["lang"].fillna("und").tolist()

    # the same number of threads feedback-nlp would pick now: on a shared machine the naive
    # way's default (every core) would make it look slower than it is
    from feedback_nlp.runner.engine import CoreMeter

    threads = args.threads or CoreMeter().threads()
    torch.set_num_threads(threads)
    model = SentimentModel.load(args.sentiment_model)
    with tempfile.TemporaryDirectory() as tmp:
        pipe = hf_pipeline_from(model, Path(tmp))
    prefix, max_length = model.prefix, model.max_length
    del model
    nlps = {lang: get_pipeline(lang) for lang in set(langs)}
    for text, lang in list(zip(texts, langs))[:5]:  # warm-up
        pipe(prefix + text, truncation=True, max_length=max_length)
        nlps[lang](text)
    log(f"baseline: HF pipeline + spaCy, once per comment, on {len(texts)} comments")
    in_model = 0.0
    t0 = time.perf_counter()
    with torch.inference_mode():
        for text, lang in zip(texts, langs):
            t1 = time.perf_counter()
            pipe(prefix + text, truncation=True, max_length=max_length)
            in_model += time.perf_counter() - t1
            nlps[lang](text)
    naive = time.perf_counter() - t0
    manifest = json.loads((work / "baseline_ours" / "manifest.json").read_text())
    stages, cache = manifest["timings_s"], manifest["run"]["cache"]
    passes = manifest.get("passes")
    if passes:  # texts that went through the models (the cache's misses count rows)
        sentiment_texts, embedded = passes["sentiment_texts"], passes["embedding_texts"]
    else:
        sentiment_texts = cache.get("sentiment_misses", 0) if isinstance(cache, dict) else 0
        embedded = cache.get("embedding_misses", 0) if isinstance(cache, dict) else 0
    before = None
    if args.before_python:  # another checkout's feedback-nlp, same comments, same run
        log(f"baseline: {args.before_python} -m feedback_nlp analyze on the same {n} comments")
        then = run_cli(
            ["analyze", str(subset), "-o", str(work / "baseline_before"), "--quiet",
             "--sentiment-model", args.sentiment_model],
            _home(work / "home_before"), args.threads, python=args.before_python,
        )  # fmt: skip
        before_manifest = json.loads((work / "baseline_before" / "manifest.json").read_text())
        before = {
            "python": args.before_python,
            "seconds": round(then["seconds"], 1),
            "per_s": round(n / then["seconds"], 1),
            "speedup": round(naive / then["seconds"], 2),
            "stages_s": before_manifest["timings_s"],
            "passes": before_manifest.get("passes"),
        }
    return {
        "n": n,
        "analysed": len(texts),
        "naive_s": round(naive, 1),
        "naive_per_s": round(n / naive, 1),
        "naive_ms_per_sentiment_pass": round(1000 * in_model / len(texts), 1),
        "ours_s": round(ours["seconds"], 1),
        "ours_per_s": round(n / ours["seconds"], 1),
        "ours_stages_s": stages,
        "ours_sentiment_texts": sentiment_texts,
        "ours_embedded_texts": embedded,
        "ours_passes": passes,
        "before": before,
        "ours_ms_per_sentiment_text": round(1000 * stages["sentiment"] / sentiment_texts, 1)
        if sentiment_texts
        else None,
        "speedup": round(naive / ours["seconds"], 2),
        "naive_threads": threads,
    }


# ---------------------------------------------------------------------------------------------
# Report


def _machine(threads: int | None) -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    isa = [f for f in ("avx512f", "avx512_bf16", "amx_bf16") if f" {f}" in flags]
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu} ({', '.join(isa) or 'no AVX-512'}), {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
        f"Python {platform.python_version()}, torch threads "
        f"{threads or 'chosen per chunk by feedback-nlp (engine.CoreMeter)'}"
    )


def headline(b: dict) -> str:
    """The one line `make bench` leads with: end to end against the naive way, same comments."""
    passes = b.get("ours_passes") or {}
    line = (
        f"**Headline: `feedback-nlp analyze` {b['ours_per_s']} comments/s end to end against "
        f"{b['naive_per_s']} the naive way (one HF pipeline call per comment) on the same "
        f"{b['n']:,} comments: {b['speedup']}x**"
    )
    if passes:
        line += (
            f"; {passes['per_comment']} model passes per analysed comment "
            f"({passes['sentiment_texts']:,} sentiment + {passes['embedding_texts']:,} embedder "
            f"for {passes['comments']:,} comments, {passes['cache_hits']:,} cache hits)"
        )
    before = b.get("before")
    if before:
        line += (
            f". Before (`{before['python']}`): {before['per_s']} comments/s, "
            f"{before['speedup']}x the naive way"
        )
    return line + "."


def render(report: dict) -> str:
    lines = ["# Benchmarks", ""]
    b = report.get("baseline")
    if b:
        lines += [headline(b), ""]
    lines += [
        "Written by `make bench` (`scripts/bench.py`); the last run is below. Wall-clock times on a",
        "shared machine are noisy: compare the ratios measured within one run.",
        "",
        f"- command: `{report['command']}`",
        f"- machine: {report['machine']}",
        (
            f"- 1-minute load average: {report['load']} (a run keeps up to 2 cores busy itself; "
            "more means other work shared the cores)"
        ),
        (
            f"- sentiment model: `{report['sentiment_model']}`; started {report['started']}, "
            f"took {report['minutes']} min"
        ),
        "",
        "## End to end (`feedback-nlp analyze`, process start to exit)",
        "",
        (
            "| comments | distinct texts | mean chars | cold s | comments/s | ms/comment | peak RSS MiB "
            "| warm (cached) s | warm speed-up | threads | model passes/comment |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["sizes"]:
        e = r["export"]
        lines.append(
            f"| {r['n']:,} | {e['distinct_texts']:,} | {e['mean_chars']} | {r['cold_s']} "
            f"| {r['cold_per_s']} | {r['cold_ms_per_comment']} | {r['peak_rss_mib']} "
            f"| {r['warm_s']} | {r['warm_speedup']}x | {r.get('threads')} "
            f"| {(r.get('passes') or {}).get('per_comment', '')} |"
        )
    lines += ["", "## Per stage, cold run (seconds, from manifest.json `timings_s`)", ""]
    sizes = report["sizes"]
    if sizes:
        stages = [st for st in STAGES if any(st in r["stages_s"] for r in sizes)]
        lines.append(
            "| stage | "
            + " | ".join(f"{r['n']:,}" for r in sizes)
            + f" | comments/s ({sizes[-1]['n']:,}) |"
        )
        lines.append("|---|" + "---:|" * (len(sizes) + 1))
        last = sizes[-1]
        for st in stages:
            cells = [str(r["stages_s"].get(st, "")) for r in sizes]
            seconds = last["stages_s"].get(st)
            rate = f"{last['n'] / seconds:,.0f}" if seconds else ""
            lines.append(f"| {st} | " + " | ".join(cells) + f" | {rate} |")
        lines += ["", "Warm run per stage: " + "; ".join(
            f"{r['n']:,}: " + ", ".join(f"{k} {v}" for k, v in r["warm_stages_s"].items())
            for r in sizes
        )]  # fmt: skip
        with_memory = [r for r in sizes if r.get("memory_mb")]
        if with_memory:
            lines += [
                "",
                (
                    "## Resident memory after each stage, cold run (MiB now / peak so far, "
                    "from manifest.json `memory_mb`)"
                ),
                "",
                "| after | " + " | ".join(f"{r['n']:,}" for r in with_memory) + " |",
                "|---|" + "---:|" * len(with_memory),
            ]
            for st in with_memory[-1]["memory_mb"]:
                cells = [
                    f"{m['rss']} / {m['peak']}" if (m := r["memory_mb"].get(st)) else ""
                    for r in with_memory
                ]
                lines.append(f"| {st} | " + " | ".join(cells) + " |")
            for r in with_memory:
                rss = [mb for mb in r.get("chunk_rss_mb", []) if mb]
                if len(rss) > 1:  # RSS slope over the chunks: flat when nothing accumulates
                    lines += ["", (
                        f"{r['n']:,}: RSS after chunk 1 / {len(rss) // 2} / {len(rss)}: "
                        f"{rss[0]} / {rss[len(rss) // 2 - 1]} / {rss[-1]} MiB, "
                        f"{(rss[-1] - rss[0]) / (len(rss) - 1):+.1f} MiB per chunk"
                    )]  # fmt: skip
    b = report.get("baseline")
    if b:
        lines += [
            "",
            f"## Against the naive way, same {b['n']:,} comments, same run",
            "",
            "| | seconds | comments/s |",
            "|---|---:|---:|",
            (
                f"| HF `pipeline` + spaCy, once per comment ({b['naive_threads']} torch threads, "
                f"fp32) | {b['naive_s']} | {b['naive_per_s']} |"
            ),
            f"| `feedback-nlp analyze` (end to end, cold cache) | {b['ours_s']} | {b['ours_per_s']} |",
            "",
            f"End-to-end ratio: **{b['speedup']}x**. The two do different amounts of work: the "
            f"baseline runs one sentiment pass per comment ({b['analysed']:,} passes, "
            f"{b['naive_ms_per_sentiment_pass']} ms each, models loaded before the clock starts); "
            f"feedback-nlp runs {b['ours_sentiment_texts']:,} sentiment passes (comments, and "
            "the clauses of longer comments that carry a theme or may join a discovered one, "
            f"{b['ours_ms_per_sentiment_text']} ms each: batched, length-sorted, "
            f"bf16 where the CPU has it) and {b['ours_embedded_texts']:,} embedding passes "
            "(distinct clauses), plus themes, discovery and the reports, "
            "with model loading inside the clock. Its stages: "
            + ", ".join(f"{k} {v}" for k, v in b["ours_stages_s"].items())
            + ".",
        ]
    if report.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in report["notes"]]
    return "\n".join(lines) + "\n"


START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def merge_into(path: Path, text: str) -> str:
    """The file with its generated part (between the bench markers) replaced by `text`; what
    people wrote around the markers (analysis, profiles) is kept."""
    block = f"{START}\n{text}{END}\n"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    if START in old and END in old:
        head, rest = old.split(START, 1)
        return head + block + rest.split(END, 1)[1].lstrip("\n")
    return block + ("\n" + old if old else "")


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default="10000,100000", help="comma list of export sizes")
    p.add_argument(
        "--baseline", type=int, default=2000, help="comments in the side-by-side baseline (0: skip)"
    )
    p.add_argument("--sentiment-model", default="builtin")
    p.add_argument(
        "--before-python",
        default=None,
        help="also time another checkout's feedback-nlp on the baseline's comments, e.g. "
        "/work/main/.venv/bin/python (its ratio to the naive way joins the headline)",
    )
    p.add_argument("--threads", type=int, default=0, help="OMP/torch threads (0: default)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=None, help="keep exports and outputs here")
    p.add_argument("--out", type=Path, default=DOC, help="Markdown report")
    p.add_argument("--json", type=Path, default=None, help="also write the numbers as JSON")
    p.add_argument("--note", action="append", default=[], help="a line for the report's notes")
    args = p.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    started = time.time()
    load_at_start = os.getloadavg()[0]
    work = args.work or Path(tempfile.mkdtemp(prefix="fnlp-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "sentiment_model": args.sentiment_model,
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
        "sizes": [],
        "notes": args.note,
    }
    if args.baseline:
        export = work / "export_baseline.csv"
        build_export(max(args.baseline, 1), export, seed=args.seed + 1)
        report["baseline"] = bench_baseline(export, args.baseline, work, args)
        log(f"baseline: {report['baseline']}")
    for n in sizes:
        report["sizes"].append(bench_size(n, work, args))
        log(json.dumps({k: v for k, v in report["sizes"][-1].items() if k != "warm_stages_s"}))
        if args.json:  # what is measured so far survives an interrupted run
            args.json.write_text(json.dumps(report, indent=1) + "\n")
    report["machine"] = _machine(args.threads or None)
    report["load"] = f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    report["minutes"] = round((time.time() - started) / 60, 1)
    text = render(report)
    print(text)
    if report.get("baseline"):  # last on the terminal too, where it is seen
        print(headline(report["baseline"]), file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(merge_into(args.out, text), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    log(f"wrote {args.out} (work folder {work})")


if __name__ == "__main__":
    main()
