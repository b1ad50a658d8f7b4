"""Where chunks of comments are analysed: in this process (`local`) or on Ray Data (`ray`).

Both engines run the same function, :func:`feedback_nlp.analysis.analyze.analyze_chunk`, on the same
chunks of the cleaned input, and hand back the same bytes (:func:`encode_result`), so the output
folder does not depend on the engine. With Ray, each actor of an ``ActorPoolStrategy`` loads the
models once and analyses many chunks; chunks travel to it as Parquet bytes, so the workers need
no access to the input files (only the models, installed on every node).

>>> run_chunks("local", source, [0, 1, 2], models=models, on_result=save)   # doctest: +SKIP
"""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.analysis.chunk import ChunkResult, analyze_chunk
from feedback_nlp.analysis.models import Models
from feedback_nlp.cache import timed_open
from feedback_nlp.encoders.device import usable_cores
from feedback_nlp.errors import FeedbackError
from feedback_nlp.home import Progress, advance, is_quiet
from feedback_nlp.output import to_parquet_frame
from feedback_nlp.settings import ModelOptions, RunOptions

PART_FILES = ("comments.parquet", "mentions.parquet", "candidates.parquet", "embeddings.npy")

OnResult = Callable[[int, dict], None]
# Makes the models of a run from its options (the Models class itself; tests pass small ones).
# Ray pickles it to each worker.
ModelFactory = Callable[[ModelOptions], Models]


# ---------------------------------------------------------------------------------------------
# Chunks in, parts out


@dataclass(frozen=True)
class ChunkSource:
    """The cleaned input spilled to Parquet, one row group per chunk."""

    path: Path

    @property
    def chunks(self) -> int:
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path).num_row_groups

    def read(self, k: int) -> pd.DataFrame:
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path).read_row_group(k).to_pandas()

    def analysable_sample(
        self, positions: Callable[[int], Sequence[int]]
    ) -> tuple[list[str], list[str]]:
        """Text and language of the rows still to analyse (no status) at ``positions(n)`` among
        the n such rows, read one chunk at a time: the whole text column is never held."""
        import pyarrow.parquet as pq

        source = pq.ParquetFile(self.path)
        pending = []
        for k in range(source.num_row_groups):
            status = source.read_row_group(k, columns=[s.STATUS]).column(0).to_pylist()
            pending.extend((k, i) for i, v in enumerate(status) if v is None)
        picked: dict[int, list[int]] = {}
        for p in positions(len(pending)):
            k, i = pending[p]
            picked.setdefault(k, []).append(i)
        texts, langs = [], []
        for k, rows in picked.items():
            part = source.read_row_group(k, columns=[s.TEXT, s.LANG]).take(rows).to_pandas()
            texts += part[s.TEXT].astype(str).tolist()
            langs += part[s.LANG].fillna(s.UNDETERMINED).astype(str).tolist()
        return texts, langs

    def rows(self, k: int) -> int:
        """How many comments chunk `k` holds (from the file's footer: nothing read)."""
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path).metadata.row_group(k).num_rows

    def read_bytes(self, k: int) -> bytes:
        import pyarrow.parquet as pq

        table = pq.ParquetFile(self.path).read_row_group(k)
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue()


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    to_parquet_frame(frame).to_parquet(sink, index=False)
    return sink.getvalue()


def encode_result(result: ChunkResult) -> dict:
    """A chunk's result as the files it is kept in (PART_FILES) plus its counts and timings."""
    vectors = io.BytesIO()
    np.save(vectors, np.ascontiguousarray(result.embeddings, dtype="<f4"), allow_pickle=False)
    return {
        "files": {
            "comments.parquet": _parquet_bytes(result.comments),
            "mentions.parquet": _parquet_bytes(result.mentions),
            "candidates.parquet": _parquet_bytes(result.candidates),
            "embeddings.npy": vectors.getvalue(),
        },
        "clauses": int(result.clauses),
        "passes": {k: int(v) for k, v in result.passes.items()},
        "timings": {k: round(float(v), 4) for k, v in result.timings.items()},
    }


def analyze_encoded(frame: pd.DataFrame, models: Models, *, discover: bool) -> dict:
    return encode_result(analyze_chunk(frame, models, discover=discover))


# ---------------------------------------------------------------------------------------------
# Engines


def run_chunks(
    options: RunOptions,
    source: ChunkSource,
    todo: Sequence[int],
    *,
    on_result: OnResult,
    models: Models | None = None,
    make_models: ModelFactory = Models,
    discover: bool = True,
    workers: int | None = None,
    progress: Progress | None = None,
) -> None:
    """Analyse the chunks `todo` of `source` on ``options.engine``; `on_result(k, encoded)` is
    called in this process as each one finishes (in any order with Ray), so the caller can record
    progress. The local engine uses `models` (or makes them); Ray workers each make their own with
    ``make_models(options.models)`` and open their own result cache (``options.cache``)."""
    say = progress or (lambda _m: None)
    total_rows = sum(source.rows(k) for k in todo)
    done_rows = 0

    def finished(k: int, encoded: dict) -> None:
        nonlocal done_rows
        on_result(k, encoded)
        done_rows += source.rows(k)
        advance(progress, done_rows, total_rows)

    advance(progress, 0, total_rows)
    if options.engine == "local":
        if models is None:
            models = make_models(options.models)
        total = source.chunks
        meter = CoreMeter()
        for k in todo:
            t0 = time.perf_counter()
            threads = meter.threads()
            models.set_threads(threads)
            say(f"Analysing chunk {k + 1} of {total} ({threads} threads)")
            encoded = analyze_encoded(source.read(k), models, discover=discover)
            release_memory()
            encoded["threads"] = threads
            # what the stages leave out: reading the chunk, measuring the cores, encoding the
            # parts, handing memory back
            stages = sum(encoded["timings"].values())
            encoded["timings"]["chunk_overhead"] = round(time.perf_counter() - t0 - stages, 4)
            finished(k, encoded)
            del encoded
        return
    _run_ray(
        options,
        source,
        list(todo),
        on_result=finished,
        make_models=make_models,
        discover=discover,
        workers=workers,
        say=say,
        quiet=is_quiet(progress),
    )


def _import_ray():
    try:
        import ray
        import ray.data
    except ImportError:
        raise FeedbackError(
            "--engine ray needs Ray Data: pip install 'feedback-nlp[ray]' (or use --engine local)."
        ) from None
    return ray


class _ChunkActor:
    """A Ray actor: loads the models (and opens its own result cache) once, then analyses every
    chunk it is given."""

    def __init__(
        self, options: RunOptions, make_models: ModelFactory, discover: bool, threads: int
    ) -> None:
        cache, _ = timed_open(options.cache)
        self.models = make_models(options.models).with_cache(cache)
        self.models.set_threads(threads)
        self.discover, self.threads = discover, threads

    def __call__(self, batch: pd.DataFrame) -> pd.DataFrame:
        rows = []
        for k, data in zip(batch["chunk"], batch["data"]):
            frame = pd.read_parquet(io.BytesIO(data))
            encoded = analyze_encoded(frame, self.models, discover=self.discover)
            files = encoded.pop("files")
            encoded["threads"] = self.threads
            rows.append({"chunk": int(k), "meta": json.dumps(encoded), **files})
        return pd.DataFrame(rows)


def _run_ray(
    options: RunOptions,
    source: ChunkSource,
    todo: list[int],
    *,
    on_result: OnResult,
    make_models: ModelFactory,
    discover: bool,
    workers: int | None,
    say: Progress,
    quiet: bool = False,
) -> None:
    ray = _import_ray()
    if not todo:
        return
    started_here = not ray.is_initialized()
    if started_here:
        say(f"Starting Ray ({options.ray_address or 'a local instance'})")
        ray.init(
            address=options.ray_address,
            log_to_driver=False,
            ignore_reinit_error=True,
            # quiet: Ray's own INFO lines (cluster start, dashboard) and its bars stay off too
            logging_level=logging.ERROR if quiet else logging.INFO,
        )
    if quiet:  # Ray Data's own logger (execution plans, stats) too
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = not quiet
    context.print_on_execution_start = not quiet
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        size = max(1, min(workers or cpus, len(todo)))
        threads = max(1, cpus // size)
        say(f"Analysing {len(todo)} chunks on Ray with {size} workers")
        items = [{"chunk": k, "data": source.read_bytes(k)} for k in todo]
        ds = ray.data.from_items(items).map_batches(
            _ChunkActor,
            fn_constructor_kwargs={
                "options": options,  # whole: the workers load what the run asked for
                "make_models": make_models,
                "discover": discover,
                "threads": threads,
            },
            batch_size=1,
            batch_format="pandas",
            compute=ray.data.ActorPoolStrategy(size=size),
            num_cpus=threads,
            runtime_env={"env_vars": {"OMP_NUM_THREADS": str(threads)}},
        )
        for row in ds.iter_rows():
            meta = json.loads(row["meta"])
            meta["files"] = {name: row[name] for name in PART_FILES}
            on_result(int(row["chunk"]), meta)
    finally:
        if started_here:
            ray.shutdown()


def release_memory(*, thaw: bool = False) -> None:
    """Hand memory freed by a finished chunk back to the system (glibc keeps freed blocks of
    many sizes in its heaps otherwise, and RSS creeps up chunk after chunk).

    What survives is then frozen (``gc.freeze``): the loaded models, spaCy pipelines and lemma
    tables are ~880k long-lived objects, and every full collection walked them all — 0.4 s
    each, once per chunk and again whenever the parser's allocations triggered one. Frozen
    objects are still freed by reference counting; only cycles among them wait for
    ``thaw=True``, which the run passes once it has dropped the models: everything is unfrozen
    and collected, and the process is left as Python normally runs."""
    if thaw:
        gc.unfreeze()
    gc.collect()
    if not thaw:
        gc.freeze()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def memory_mb() -> dict[str, int]:
    """Resident memory of this process in MB: now (``rss``) and its peak so far (``peak``).

    The peak is /proc's VmHWM, not ``getrusage``'s ru_maxrss: Linux carries ru_maxrss over
    from the parent through fork and exec, so a process started by one that had models loaded
    would report the parent's peak as its own."""
    import resource

    found: dict[str, int] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(value.split()[0]) // 1024  # kB
    except OSError:  # not Linux
        pass
    peak = found.get("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return {"rss": found.get("VmRSS", peak), "peak": peak}


class CoreMeter:
    """How many torch threads to use for the next chunk: the cores this process may use, less
    those other processes keep busy right now (measured from /proc/stat over a short pause of
    this process; elsewhere from the load average). On a shared machine, more threads than
    free cores make every thread wait for the others at each step: on a 2-core machine with
    two other busy processes the encoder ran 1.7x faster with 1 thread than with 2.
    ``OMP_NUM_THREADS``, where set, is obeyed as is.
    """

    def __init__(self, window_s: float = 0.3, every_s: float = 30.0) -> None:
        self.cores = usable_cores()
        self.window_s, self.every_s = window_s, every_s
        fixed = os.environ.get("OMP_NUM_THREADS", "").strip()
        self.fixed = int(fixed) if fixed.isdigit() and int(fixed) > 0 else None
        self._last: tuple[float, int] | None = None

    def threads(self) -> int:
        if self.fixed:
            return self.fixed
        now = time.monotonic()
        if self._last is None or now - self._last[0] >= self.every_s:
            self._last = (now, self._measure())
        return self._last[1]

    def _measure(self) -> int:
        if self.cores == 1:
            return 1
        busy = _busy_cores(self.window_s)
        if busy is None:
            try:
                busy = os.getloadavg()[0]
            except OSError:
                return self.cores
        return max(1, min(self.cores, int(self.cores - busy + 0.5)))


def _cpu_ticks() -> tuple[int, int, int] | None:
    """(busy, total, cpus) jiffies of the whole machine from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    fields = [int(x) for x in lines[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    cpus = sum(1 for line in lines[1:] if line.startswith("cpu") and line[3:4].isdigit())
    return sum(fields[:8]) - idle, sum(fields[:8]), max(cpus, 1)


def _busy_cores(window_s: float) -> float | None:
    """Cores kept busy by other processes: machine-wide use while this one sleeps."""
    before = _cpu_ticks()
    if before is None:
        return None
    time.sleep(window_s)
    after = _cpu_ticks()
    if after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1]) * after[2]
