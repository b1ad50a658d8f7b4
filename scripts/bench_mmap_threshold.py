"""What glibc's mmap threshold (settings.MALLOC_MMAP_THRESHOLD) costs and saves, each value in
its own process (mallopt is process-wide and set once, where the first onnx session opens):

* ``model``: the builtin sentiment model (onnx) alone on the first ``--texts`` comments of an
  export — seconds and the resident memory it adds at its peak (/proc/self/status sampled every
  5 ms);
* ``run``: a whole cold ``fnlp.run`` of the export without the result cache — seconds and peak RSS
  (``getrusage``: the process's high-water mark).

Values are MiB, or ``none`` for glibc's default; each round runs them in the order given, so
interleave rounds (``--rounds 2``) on shared cores.

    .venv/bin/python scripts/bench_mmap_threshold.py /tmp/bench12/export_1000.csv --what model --rounds 2
    .venv/bin/python scripts/bench_mmap_threshold.py /tmp/bench12/export_1000.csv --what run --values none 1 8 4
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TEXT_COLUMN = "Why did you give this score?"  # scripts/bench.py's export


def _rss_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
    return 0


def _child(value: str, what: str, export: Path, texts: int) -> None:
    from feedback_nlp import settings

    settings.MALLOC_MMAP_THRESHOLD = None if value == "none" else int(value) << 20
    if what == "run":
        import feedback_nlp as fnlp

        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            fnlp.run(export, out, cache=False, progress=lambda *_: None)
            seconds = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"{value:>5} MiB  run {seconds:6.1f} s  peak RSS {peak} MiB", flush=True)
        return
    import pandas as pd

    from feedback_nlp.encoders.backend import load_sentiment

    comments = pd.read_csv(export)[TEXT_COLUMN].dropna().astype(str).tolist()[:texts]
    model = load_sentiment()
    model.predict(comments[:4])  # opens the session: the threshold is set here
    base, peak, done = _rss_mib(), [0], [False]

    def sample() -> None:
        while not done[0]:
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.005)

    threading.Thread(target=sample, daemon=True).start()
    t0 = time.perf_counter()
    model.predict(comments)
    seconds = time.perf_counter() - t0
    done[0] = True
    print(
        f"{value:>5} MiB  model {seconds:6.1f} s  +{peak[0] - base} MiB at the peak "
        f"(base {base}, after {_rss_mib()})",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("export", type=Path, help="a CSV export (scripts/bench.py build_export)")
    ap.add_argument("--what", choices=["model", "run"], default="model")
    ap.add_argument("--values", nargs="+", default=["none", "1", "4", "8"])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--texts", type=int, default=800)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, args.what, args.export, args.texts)
        return 0
    for _ in range(args.rounds):
        for value in args.values:
            cmd = [sys.executable, __file__, str(args.export), "--what", args.what,
                   "--texts", str(args.texts), "--child", value]  # fmt: skip
            subprocess.run(cmd, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
