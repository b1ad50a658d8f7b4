"""The analysis of `run()` in chunks, with bounded memory and resumable after a kill.

Layout of a run in progress (``OUTDIR/.feedback-nlp-parts/``)::

    progress.json                 fingerprint of inputs + options, model fingerprints, chunks done
    input.parquet                 the read and cleaned rows, one row group per chunk
    chunk-00000.comments.parquet  per finished chunk: comments, taxonomy mentions, the clauses
    chunk-00000.mentions.parquet  theme discovery may cluster (with their embeddings)
    chunk-00000.candidates.parquet
    chunk-00000.embeddings.npy

Every file appears under its name in one rename, and ``progress.json`` names a chunk only after
its files exist, so a run killed at any point (SIGKILL included) and started again with the same
arguments re-uses what was finished and produces the same outputs as an uninterrupted run. When
the output folder is complete the parts folder is removed.

Reading and cleaning see the whole input at once: the readers decide the column mapping and the
score scale from whole columns, and duplicates are flagged across the whole export. Only the
canonical columns of the rows are held then, before any model is loaded; everything after that
(clauses, sentiment, embeddings, theme matching, writing) holds one chunk at a time. Theme
discovery clusters the candidate clauses of all chunks together (they are kept on disk, a small
share of all clauses) so that chunked and unchunked runs find the same themes.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from feedback_nlp import schema as s
from feedback_nlp.analysis.analyze import Analysis
from feedback_nlp.analysis.choose import TaxonomyChoice, resolve_taxonomy, sample_positions
from feedback_nlp.analysis.chunk import (
    discover_candidates,
    merge_discovered,
    status_counts,
    theme_coverage,
)
from feedback_nlp.analysis.models import Models
from feedback_nlp.cache import timed_open
from feedback_nlp.errors import FeedbackError
from feedback_nlp.home import Progress
from feedback_nlp.manifest import HOW_AUTO, build_manifest, describe_choice
from feedback_nlp.output import (
    atomic_path,
    neutralize_formulas,
    to_parquet_frame,
    write_atomic,
    write_json,
)
from feedback_nlp.runner.engine import (
    PART_FILES,
    ChunkSource,
    ModelFactory,
    memory_mb,
    release_memory,
    run_chunks,
)
from feedback_nlp.runner.fingerprint import input_fingerprint
from feedback_nlp.settings import RunOptions

WORK_DIR = ".feedback-nlp-parts"
PROGRESS_FILE = "progress.json"
INPUT_FILE = "input.parquet"


def _part(work: Path, k: int, name: str) -> Path:
    return work / f"chunk-{k:05d}.{name}"


def _write_csv_part(frame: pd.DataFrame, handle, header: bool) -> None:
    """One chunk of comments.csv, formatted as `output.write_csv` formats a whole frame."""
    frame = frame.copy()
    for col in frame.columns:
        values = frame[col].tolist()
        if any(isinstance(v, (list, np.ndarray)) for v in values):
            frame[col] = pd.Series(
                [
                    "; ".join(map(str, v)) if isinstance(v, (list, np.ndarray)) else v
                    for v in values
                ],
                index=frame.index,
                dtype=object,
            )
    neutralize_formulas(frame).to_csv(handle, index=False, header=header)


def read_outputs(outdir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """comments.parquet and mentions.parquet of an output folder, `themes` as Python lists."""
    comments = pd.read_parquet(outdir / "comments.parquet")
    mentions = pd.read_parquet(outdir / "mentions.parquet")
    comments[s.THEMES] = comments[s.THEMES].map(lambda v: list(v) if v is not None else [])
    return comments, mentions


class StreamedRun:
    """One `run()`: read and clean, analyse chunk by chunk, discover themes, write the frames.

    Use it as a context manager (it holds a lock on the output folder); call :meth:`analyse`,
    write whatever else belongs in the folder, then :meth:`finish` to drop the parts.
    """

    def __init__(
        self,
        inputs: str | Path | Sequence[str | Path],
        outdir: str | Path,
        options: RunOptions,
        *,
        make_models: ModelFactory = Models,
        progress: Progress | None = None,
    ) -> None:
        self.inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
        self.out = Path(outdir)
        self.work = self.out / WORK_DIR
        self.options = options
        self.make_models = make_models
        self.chunk_size = options.chunk_size
        self.use_cache = options.cache
        self.engine = options.engine
        self.progress = progress  # None: nobody watches (run_chunks then silences Ray too)
        self.say = progress or (lambda _m: None)
        self.timings: dict[str, float] = {}
        self.memory: dict[str, dict[str, int]] = {}  # stage -> {"rss": MB, "peak": MB}
        self.state: dict = {}
        self.choice: dict = {}  # manifest.json's taxonomy_choice
        self._lock_handle = None

    # -- lock -------------------------------------------------------------------------------

    def __enter__(self):
        self.work.mkdir(parents=True, exist_ok=True)
        handle = open(self.work / ".lock", "a+b")  # held for the whole run
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            pass
        except OSError:
            handle.close()
            raise FeedbackError(
                f"Another `feedback-nlp analyze` is writing into {self.out}; wait for it to "
                "finish or choose another output folder with -o."
            ) from None
        self._lock_handle = handle
        return self

    def __exit__(self, *_exc) -> None:
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def finish(self) -> None:
        """The output folder is complete: remove the parts."""
        shutil.rmtree(self.work, ignore_errors=True)

    # -- progress ---------------------------------------------------------------------------

    def _save_state(self) -> None:
        write_json(self.state, self.work / PROGRESS_FILE)

    def _load_state(self, fingerprint: str) -> None:
        try:
            state = json.loads((self.work / PROGRESS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = None
        if not isinstance(state, dict) or state.get("fingerprint") != fingerprint:
            if state is not None:
                self.say("Inputs or options changed since the interrupted run: starting over")
            self._clear(keep_input=False)
            state = {"fingerprint": fingerprint, "done": {}}
        self.state = state

    def _clear(self, *, keep_input: bool) -> None:
        for item in self.work.iterdir():
            if item.name == ".lock" or (keep_input and item.name == INPUT_FILE):
                continue
            if item.is_dir():
                shutil.rmtree(item, ignore_errors=True)
            else:
                item.unlink(missing_ok=True)

    def _chunk_done(self, k: int) -> bool:
        return str(k) in self.state["done"] and all(
            _part(self.work, k, name).is_file() for name in PART_FILES
        )

    # -- stages -----------------------------------------------------------------------------

    def _timed(self, stage: str, seconds: float) -> None:
        self.timings[stage] = self.timings.get(stage, 0.0) + seconds

    def _checkpoint(self, stage: str) -> None:
        """Record resident memory after `stage`: now, and the process's peak so far."""
        self.memory[stage] = memory_mb()

    def _read_and_clean(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from feedback_nlp.io.load import load
        from feedback_nlp.text.clean import clean_with_report, ids_were_mapped
        from feedback_nlp.text.language import release_language_models

        t0 = time.perf_counter()
        self.say("Reading input")
        loaded = load(self.inputs, self.options.read)
        files = [f.to_dict() for f in loaded.files]
        frame = loaded.frame
        del loaded
        self._timed("read", time.perf_counter() - t0)
        t0 = time.perf_counter()
        self.say(f"Cleaning {len(frame)} rows and identifying languages")
        cleaned, report = clean_with_report(
            frame,
            redact_pii=self.options.read.redact_pii,
            ids_mapped=ids_were_mapped(files),
        )
        del frame
        release_language_models()  # not needed again this run: give the models' memory back
        self._timed("clean", time.perf_counter() - t0)
        t0 = time.perf_counter()
        rows = len(cleaned)

        def spill(tmp: Path, frame: pd.DataFrame = cleaned) -> None:
            table = pa.Table.from_pandas(to_parquet_frame(frame), preserve_index=False)
            pq.write_table(table, tmp, row_group_size=self.chunk_size)

        write_atomic(self.work / INPUT_FILE, spill)
        del cleaned, spill
        release_memory()
        self._timed("spill", time.perf_counter() - t0)
        self._checkpoint("read_clean")
        self.state["input"] = {"rows": rows, "files": files, "clean": report}
        self.state["done"] = {}
        self._save_state()

    def _load_models(self, cache) -> Models:
        """The run's models on `cache`, their taxonomy as given or chosen (``auto``) once, here
        in the driver: from then on the options (Ray workers load it by name) and fingerprints
        (which decide whether finished chunks are reused) name the chosen taxonomy."""
        t0 = time.perf_counter()
        models = self.make_models(self.options.models, progress=self.say)
        self._timed("load_models", time.perf_counter() - t0)
        self._checkpoint("load_models")
        models = models.with_cache(cache)
        t0 = time.perf_counter()
        models, choice = self._resolve_taxonomy(models)
        self.choice = choice.to_dict()
        self.say(f"Taxonomy: {describe_choice(self.choice)}")
        chosen = replace(self.options.models, taxonomy=models.options.taxonomy)
        self.options = replace(self.options, models=chosen)
        self._timed("choose_taxonomy", time.perf_counter() - t0)
        fingerprints = models.fingerprints()
        if self.state.get("models") != fingerprints:
            if self.state["done"]:
                self.say("The models changed since the interrupted run: analysing all chunks again")
            self._clear(keep_input=True)
            self.state["models"] = fingerprints
            self.state["done"] = {}
        self.state["taxonomy_choice"] = self.choice
        self._save_state()
        return models

    def _resolve_taxonomy(self, models: Models) -> tuple[Models, TaxonomyChoice]:
        """Choose on a sample of the rows to analyse, or reuse an interrupted run's choice."""
        saved = self.state.get("taxonomy_choice") or {}
        if models.taxonomy_pending and saved.get("how") == HOW_AUTO:
            choice = TaxonomyChoice.from_dict(saved)
            return models.with_taxonomy(choice.chosen), choice
        source = ChunkSource(self.work / INPUT_FILE)
        sample = source.analysable_sample(sample_positions) if models.taxonomy_pending else None
        return resolve_taxonomy(models, *(sample or ([], [])), progress=self.say)

    def _save_chunk(self, k: int, encoded: dict) -> None:
        for name, data in encoded["files"].items():
            write_atomic(_part(self.work, k, name), lambda tmp, data=data: tmp.write_bytes(data))
        for stage, seconds in encoded["timings"].items():
            self._timed(stage, seconds)
        self.state["done"][str(k)] = {
            "clauses": encoded["clauses"],
            "passes": encoded.get("passes", {}),
            "timings": encoded["timings"],
            "threads": encoded.get("threads"),
            # this process's resident memory after the chunk: it grew chunk after chunk until
            # torch's per-shape kernel caches were capped (feedback_nlp/__init__.py); this shows it
            "rss_mb": memory_mb()["rss"] if self.engine == "local" else None,
        }
        self._save_state()  # only now does the chunk count as finished

    def _discover(self, models: Models, chunks: int) -> pd.DataFrame:
        t0 = time.perf_counter()
        frames, vectors = [], []
        for k in range(chunks):
            frames.append(pd.read_parquet(_part(self.work, k, "candidates.parquet")))
            vectors.append(np.load(_part(self.work, k, "embeddings.npy"), allow_pickle=False))
        candidates = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        nonempty = [v for v in vectors if len(v)]
        embeddings = np.concatenate(nonempty) if nonempty else np.zeros((0, 0), np.float32)
        self.say(f"Discovering themes among {len(candidates)} unclaimed negative clauses")
        found = discover_candidates(candidates, embeddings, models)
        self._timed("discover", time.perf_counter() - t0)
        return found

    def _assemble(self, chunks: int, found: pd.DataFrame) -> dict:
        """Final per-chunk frames, then comments.parquet, comments.csv and mentions.parquet
        written chunk by chunk under one schema (each file atomically)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        t0 = time.perf_counter()
        self.say("Writing comments and mentions")
        statuses: Counter[str] = Counter()
        matches: Counter[str] = Counter()
        for k in range(chunks):
            comments = pd.read_parquet(_part(self.work, k, "comments.parquet"))
            mentions = pd.read_parquet(_part(self.work, k, "mentions.parquet"))
            comments, mentions = merge_discovered(comments, mentions, found)
            statuses.update(status_counts(comments))
            matches.update(mentions[s.MATCH].value_counts().to_dict())
            for name, frame in (("final-comments", comments), ("final-mentions", mentions)):
                data = pa.Table.from_pandas(to_parquet_frame(frame), preserve_index=False)
                write_atomic(
                    _part(self.work, k, f"{name}.parquet"),
                    lambda tmp, data=data: pq.write_table(data, tmp),
                )

        for name in ("comments", "mentions"):
            parts = [_part(self.work, k, f"final-{name}.parquet") for k in range(chunks)]
            # an empty part's column types say nothing (an empty object column may be read as
            # anything): the schema comes from the parts with rows
            parts = [p for p in parts if pq.read_metadata(p).num_rows] or parts[:1]
            schema = pa.unify_schemas(
                [pq.read_schema(p) for p in parts], promote_options="permissive"
            )
            with (
                atomic_path(self.out / f"{name}.parquet") as tmp,
                pq.ParquetWriter(tmp, schema) as writer,
            ):
                for p in parts:
                    writer.write_table(pq.read_table(p).cast(schema))
        reader = pq.ParquetFile(self.out / "comments.parquet")
        with (
            atomic_path(self.out / "comments.csv") as tmp,
            open(tmp, "w", encoding="utf-8-sig", newline="") as handle,
        ):
            for g in range(reader.num_row_groups):
                _write_csv_part(reader.read_row_group(g).to_pandas(), handle, header=g == 0)
        self._timed("assemble", time.perf_counter() - t0)
        return {
            "rows": {
                "read": int(sum(statuses.values())),
                **{k: int(v) for k, v in statuses.items()},
            },
            "mentions": {str(k): int(v) for k, v in matches.items()},
        }

    # -- the run ------------------------------------------------------------------------------

    def analyse(self) -> Analysis:
        """Run (or resume) the analysis; writes comments.parquet, comments.csv and
        mentions.parquet and returns them as an Analysis with a partial manifest."""
        from feedback_nlp.text.pipelines import pipeline_info, release_pipelines

        fingerprint = input_fingerprint(self.inputs, self.options.read, self.chunk_size)
        self._load_state(fingerprint)
        # manifest.json is written last: without it the folder reads as incomplete (and is not
        # mistaken for the previous run's) until this run has replaced every file
        (self.out / "manifest.json").unlink(missing_ok=True)
        if "input" not in self.state or not (self.work / INPUT_FILE).is_file():
            self._read_and_clean()
        source = ChunkSource(self.work / INPUT_FILE)
        chunks = source.chunks

        cache, seconds = timed_open(self.use_cache and self.engine == "local")
        self._timed("open_cache", seconds)
        try:
            models = self._load_models(cache)
            reused = [k for k in range(chunks) if self._chunk_done(k)]
            todo = [k for k in range(chunks) if k not in set(reused)]
            if reused:
                self.say(f"Resuming: {len(reused)} of {chunks} chunks were already analysed")
            run_chunks(
                self.options,
                source,
                todo,
                on_result=self._save_chunk,
                models=models,
                make_models=self.make_models,
                progress=self.progress,
            )
            self._checkpoint("chunks")
            # Discovery needs the spaCy pipelines and the taxonomy's prototype vectors, not the
            # two transformers: without this its candidates (which grow with the rows) came on
            # top of them, and at 100k rows discovery, not the chunks, set the run's peak.
            models.release_transformers()
            release_memory(thaw=True)
            self._checkpoint("release_transformers")
            found = self._discover(models, chunks)
            self._checkpoint("discover")
        finally:
            stats = cache.stats.to_dict() if cache is not None else None
            if cache is not None:
                cache.close()
        labels = models.taxonomy.labels()
        fingerprints = models.fingerprints()  # kept by release_transformers
        pipelines = pipeline_info()
        # The rest (assembly, summary, reports) needs no model and no spaCy pipeline: give their
        # ~1.3 GB back first, so that what grows with the rows there stays below the chunks' peak.
        del models
        release_pipelines()
        release_memory(thaw=True)
        self._checkpoint("release_models")

        counts = self._assemble(chunks, found)
        del found
        self._checkpoint("assemble")
        t0 = time.perf_counter()
        comments, mentions = read_outputs(self.out)
        self._timed("read_back", time.perf_counter() - t0)
        self._checkpoint("read_back")
        labels.update(
            {
                (t, h): lab
                for t, h, lab in zip(mentions[s.TOUCHPOINT], mentions[s.THEME], mentions["label"])
            }
        )
        manifest = build_manifest(
            options=self.options.to_dict(),
            inputs=self.state["input"]["files"],
            rows=counts["rows"],
            clean=self.state["input"]["clean"],
            models=fingerprints,
            clauses=int(sum(d["clauses"] for d in self.state["done"].values())),
            mentions=counts["mentions"],
            coverage=theme_coverage(comments),
            run={
                "engine": self.engine,
                "chunk_size": self.chunk_size,
                "chunks": chunks,
                "chunks_resumed": len(reused),
                "threads": sorted(
                    {d["threads"] for d in self.state["done"].values() if d.get("threads")}
                ),
                "cache": stats
                if stats is not None
                else ("off" if not self.use_cache else "workers"),
                # resident MB after each chunk this process analysed (local engine; a resumed
                # run's earlier chunks keep the numbers of the run that analysed them)
                "chunk_rss_mb": [self.state["done"][str(k)].get("rss_mb") for k in range(chunks)],
            },
            spacy_pipelines=pipelines,
            timings=self.timings,
            memory=self.memory,
            passes=[d.get("passes", {}) for d in self.state["done"].values()],
        )
        manifest["taxonomy_choice"] = self.choice
        return Analysis(comments=comments, mentions=mentions, manifest=manifest, labels=labels)


def remove_parts(outdir: str | Path) -> None:
    """Drop an interrupted run's parts (the next run then starts from scratch)."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(Path(outdir) / WORK_DIR)
