"""The options of one run, in one frozen object that checks itself (DESIGN.md, "settings").

Every default is written here and only here: the CLI's flags, ``run()``, ``analyze()``,
``read_feedback()`` and ``Models`` take their defaults from these constants, build the options
object, and hand it on whole (the Ray engine included). A bad value fails when the object is
built, before any file is read or model loaded, with a message that names the CLI flag.

>>> from feedback_nlp.settings import RunOptions
>>> RunOptions.build(score_scale="nps", batch_size=16).models.batch_size
16
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from feedback_nlp import schema as s
from feedback_nlp.errors import OptionError

TAXONOMY_AUTO = "auto"  # pick the shipped taxonomy that covers the most of a sample of the export
DEFAULT_TAXONOMY = TAXONOMY_AUTO
# What `taxonomy show` and load_taxonomy() show when given no name: they need a concrete one
EXAMPLE_TAXONOMY = "ecommerce-cx"
# The auto-choice (feedback_nlp.analysis.choose): how many analysable comments it samples (seeded,
# spread over the file), and the coverage below which it says that no shipped taxonomy fits well
AUTO_SAMPLE_SIZE = 400  # a coverage share's standard error is then at most 2.5 points
AUTO_SAMPLE_SEED = 0
# 35 %: below about a third of comments with a taxonomy theme, discovery rather than the taxonomy
# names most complaints. It flags a poor fit and cannot prove a good one: on the bundled NPS
# sample the right taxonomy covers 96 % and wrong ones still 40-53 % (generic clauses match
# something); GermEval's Deutsche Bahn posts, mostly news and chatter, reach 30 % with railway and
# get the warning (docs/themes.md, scripts/coverage_report.py)
AUTO_MIN_COVERAGE = 0.35
# coverages this close (about two standard errors of a 300-400-comment sample) count as a tie,
# broken by keyword coverage. 2 points picked restaurant for OpeNER hotel reviews (60 % by
# meaning, 44 % by keyword) over travel (57 %, 53 % by keyword); on every other set measured the
# runner-up is 7 points or more behind (scripts/coverage_report.py, docs/themes.md)
AUTO_NEAR_TIE = 0.05
# Theme matching (feedback_nlp.themes.semantic.prefer_specific, docs/themes.md "Precision before
# breadth"): the touchpoint whose themes are general ("General impression", "Poor service in
# general"). A general theme always gives way to a specific theme of the same clause. Found by a
# keyword ("terrible", "worst") alone, it gives way to the clause's most specific theme by meaning
# where that reaches SPECIFIC_OVER_GENERAL specificity. Off (2) by default: calibrated by reading
# every clause such a bar would move on a fresh draw of real complaints (audit_precision.py build
# --seed 1, scripts/general_vs_specific.py), the encoder's nearest specific theme of a clause that
# says little more than "ridiculous", "Comcast Rates" or "nie polecam" was right for 2 of the 13
# clauses a bar of 0.05 moves (past the null_margin check) and at most 4 of 20 at 0.03 ("Unfair
# pricing" became slow speed, "Comcast Internet Pricing" data caps); a taxonomy whose examples make
# its specific themes stand out more can turn it on (`matching: specific_over_general`).
GENERAL_TOUCHPOINT = "overall"
SPECIFIC_OVER_GENERAL = 2.0
BUILTIN = "builtin"  # the packaged sentiment model / encoder
DEFAULT_BATCH_SIZE = 32  # texts per model batch
# A model batch's size, besides DEFAULT_BATCH_SIZE texts (encoders.embedder.padded_batches, both
# models, both backends). MAX_BATCH_TOKENS padded positions bound the activations that grow with
# tokens: 32 windows of 512 tokens would hold ~0.4 GB of attention scores per layer. Attention
# scores grow with rows x width^2, so MAX_BATCH_ATTENTION bounds that product too: on onnxruntime
# one batch of 16 windows of 512 tokens (what 8,192 positions allow) raised RSS by 1,335 MiB and
# set the whole run's peak (2.57-2.66 GB on the bench's 1,000-comment export), 8 windows by 961,
# 4 windows by 480 (the sentiment graph alone, /proc/self/status sampled every 5 ms;
# docs/benchmarks.md, "Inference settings, and why"). 2**20 = 4 rows of 512 tokens, 16 of 256; it
# changes no batch of texts up to 181 tokens (32 rows), the large majority.
MAX_BATCH_TOKENS = 8192
MAX_BATCH_ATTENTION = 2**20
# glibc's malloc serves a freed large block again from its heap, and raises its mmap threshold
# (up to 32 MB) each time one is freed, so onnxruntime's per-batch buffers (its arena is off)
# pile up in the heap and stay resident after the batch. A fixed threshold (which also stops the
# raising) gives every buffer of 1 MiB or more its own mapping, returned when freed: 13 batches
# of 400 down to 16 tokens through the sentiment graph added 616 MiB at the peak and kept 444 MiB
# after; with 1 MiB, 230 and 7 (docs/benchmarks.md, "Inference settings, and why"). But every
# fresh mapping costs page faults: the sentiment model alone on 800 comments ran 12-13 s with
# glibc's default, 15-16 s at 8 MiB, 17-19 s at 4 MiB, 21 s at 1 MiB; a cold 1,000-comment run
# peaked at 2,425 / 2,167 / 1,867 / 1,900 MiB (default / 8 / 4 / 1 MiB) in 87 / 85 / 94 / 103 s.
# 8 MiB keeps the peak well under 2.5 GB at a fraction of 1 MiB's cost
# (scripts/bench_mmap_threshold.py). Set where the onnx
# sessions open (encoders.onnx.limit_heap_growth); None leaves glibc's default.
MALLOC_MMAP_THRESHOLD: int | None = 8 << 20
DEFAULT_CHUNK_SIZE = 2000  # rows; 5,000 peaked 0.45 GB higher at 10k comments, no faster
DEFAULT_MIN_MENTIONS = 5
# Which sentiment decides whether an unclaimed clause of a longer comment may join a discovered
# theme: its own ("clause", one more model pass per such clause) or its comment's ("comment").
CANDIDATE_SENTIMENT = "clause"
# Brand words (feedback_nlp.text.content.brand_words, docs/themes.md "Comments with no specific
# content"): a token in at least this share of a file's analysed comments, and in at least
# BRAND_MIN_COMMENTS of them, that is no word of the language (lemma dictionary) nor of a shipped
# taxonomy, is the export's company or product name: "Comcast", "Complaint against Comcast" say
# nothing a theme could be about. 3 %: "Comcast" is in 57 % of its set's comments, "Xfinity" in
# 4.7 %, "CFPB" in 5.6 % (scripts/brand_words.py, docs/themes.md); no topic word passed the other
# tests there, place names did ("Guanajuato", 3.3-33 % of the Mexican tourism reviews).
BRAND_MIN_SHARE = 0.03
BRAND_MIN_COMMENTS = 5
PERIOD_AUTO = "auto"  # monthly trends where the comments have dates, none otherwise
# Rank within the input's own journey stages / channels where it names them (a mapped
# touchpoint column), else within the taxonomy's touchpoints (DESIGN.md, "Where the ranking groups")
BY_AUTO = "auto"
PERIODS = (PERIOD_AUTO, "day", "week", "month", "quarter", "year")  # plus None: no trends
CLI_PERIODS = (PERIOD_AUTO, "none", "week", "month", "quarter")
# auto: bf16 autocast where the CPU computes bf16 natively, fp32 elsewhere (encoders.device)
PRECISIONS = ("auto", "fp32", "bf16")
ENGINES = ("local", "ray")
# onnx: onnxruntime runs the builtin models, same outputs as PyTorch fp32 within 1e-4 and faster
# (docs/benchmarks.md, "Inference backends"); torch: PyTorch, the only one with bf16 autocast
BACKENDS = ("onnx", "torch")
DEFAULT_BACKEND = "onnx"


def _one_of(value: object, allowed: tuple, flag: str) -> None:
    if value not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise OptionError(f"{flag} must be one of {shown}; got {value!r}.")


def _at_least_one(value: int, flag: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptionError(f"{flag} must be a whole number of at least 1; got {value!r}.")


def period_option(value: str | None) -> str | None:
    """The CLI's --period value as the API takes it: ``none`` means no trends (None)."""
    _one_of(value if value is not None else "none", CLI_PERIODS, "--period")
    return None if value in (None, "none") else value


@dataclass(frozen=True)
class ReadOptions:
    """How the exports are read and cleaned: the column mapping flags (None: detect it), the
    score scale, the XLSX sheet, PII redaction."""

    text_col: str | tuple[str, ...] | None = None  # several: one open question each
    id_col: str | None = None
    score_col: str | None = None
    score_scale: str = "auto"
    touchpoint_col: str | None = None
    date_col: str | None = None
    lang_col: str | None = None
    sheet: str | None = None
    redact_pii: bool = False

    def __post_init__(self) -> None:
        _one_of(self.score_scale, s.SCORE_SCALES, "--score-scale")
        if isinstance(self.text_col, (list, tuple)):  # the CLI's repeated --text-col, a list
            names = tuple(str(t) for t in self.text_col)
            object.__setattr__(self, "text_col", None if not names else names)
            if names and len(names) == 1:
                object.__setattr__(self, "text_col", names[0])

    def text_cols(self) -> list[str]:
        """The --text-col names as a list (empty: detect the comment column or questions)."""
        if self.text_col is None:
            return []
        return [self.text_col] if isinstance(self.text_col, str) else list(self.text_col)

    def columns(self) -> dict[str, Any]:
        """The reader's part: everything but PII redaction (which cleaning applies)."""
        return {k: v for k, v in asdict(self).items() if k != "redact_pii"}


@dataclass(frozen=True)
class ModelOptions:
    """Which models analyse the comments, and how they run."""

    taxonomy: str = DEFAULT_TAXONOMY  # auto, a shipped name or a YAML file
    sentiment_model: str = BUILTIN  # builtin, a Hugging Face id or a local folder
    precision: str = "auto"
    batch_size: int = DEFAULT_BATCH_SIZE
    backend: str = DEFAULT_BACKEND  # onnx | torch (a custom sentiment classifier runs on torch)

    def __post_init__(self) -> None:
        if self.sentiment_model is None:  # the API has always taken None for the builtin
            object.__setattr__(self, "sentiment_model", BUILTIN)
        object.__setattr__(self, "taxonomy", str(self.taxonomy))
        _one_of(self.precision, PRECISIONS, "--precision")
        _one_of(self.backend, BACKENDS, "--backend")
        if self.backend == "onnx" and self.precision == "bf16":
            raise OptionError("--precision bf16 needs --backend torch: the onnx graphs run fp32.")
        _at_least_one(self.batch_size, "--batch-size")


@dataclass(frozen=True)
class ReportOptions:
    """How the complaint themes are ranked and reported."""

    by: str = BY_AUTO  # auto | touchpoint | theme | a comments column (input_touchpoint, lang...)
    period: str | None = PERIOD_AUTO
    min_mentions: int = DEFAULT_MIN_MENTIONS

    def __post_init__(self) -> None:
        if self.period is not None:
            _one_of(self.period, PERIODS, "--period")
        _at_least_one(self.min_mentions, "--min-mentions")


@dataclass(frozen=True)
class RunOptions:
    """Everything one `feedback-nlp analyze` / ``run()`` needs besides its inputs and folder."""

    read: ReadOptions = field(default_factory=ReadOptions)
    models: ModelOptions = field(default_factory=ModelOptions)
    report: ReportOptions = field(default_factory=ReportOptions)
    cache: bool = True  # read and fill the result cache
    engine: str = "local"
    ray_address: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE

    def __post_init__(self) -> None:
        _one_of(self.engine, ENGINES, "--engine")
        if self.ray_address and self.engine != "ray":
            raise OptionError("--ray-address needs --engine ray.")
        _at_least_one(self.chunk_size, "chunk_size")

    @classmethod
    def build(cls, **options: Any) -> RunOptions:
        """From the flat keyword arguments of ``run()`` (the CLI flags' names): each goes to the
        part that declares it; an unknown name is a TypeError, as for any function."""
        parts: dict[str, dict[str, Any]] = {"read": {}, "models": {}, "report": {}, "run": {}}
        owners = {
            **{f.name: "read" for f in fields(ReadOptions)},
            **{f.name: "models" for f in fields(ModelOptions)},
            **{f.name: "report" for f in fields(ReportOptions)},
            **{f.name: "run" for f in fields(cls) if f.name not in ("read", "models", "report")},
        }
        for name, value in options.items():
            if name not in owners:
                raise TypeError(f"unexpected option {name!r}")
            parts[owners[name]][name] = value
        return cls(
            read=ReadOptions(**parts["read"]),
            models=ModelOptions(**parts["models"]),
            report=ReportOptions(**parts["report"]),
            **parts["run"],
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable copy (for manifest.json and the resume fingerprint)."""
        return asdict(self)
