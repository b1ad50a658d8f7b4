"""A persistent cache of model results, so a re-run over an overlapping export only computes the
new texts (DESIGN.md, "Scale").

One SQLite file, ``results.sqlite`` in :func:`feedback_nlp.home.cache_dir`, holds

* sentiment probabilities (3 float32) keyed by (sentiment model fingerprint, language, sha256 of
  the text) — the language is part of the key because the builtin model applies a per-language
  calibration;
* clause embeddings (``dim`` float32) keyed by (encoder fingerprint + prefix, sha256 of the text);
* the clauses of a comment (character offsets of each clause and of its tokens) and the taxonomy
  keywords each clause matched, keyed by (spaCy pipelines + taxonomy fingerprint, language,
  sha256 of the comment);
* the labels of discovered themes as pointers (which clause of a cluster, which of its tokens),
  keyed by (the same fingerprint, sha256 over the clusters' clauses): a re-run that finds the
  same clusters reads the words from the comments instead of parsing them again
  (:class:`feedback_nlp.themes.discover.LabelCache`).

Texts themselves are never stored (comments are personal data), only their hashes, numbers, and
the taxonomy's own keywords.

Safe under concurrent runs: WAL journal, a busy timeout, ``INSERT OR IGNORE`` (two runs that
compute the same text write the same value). Never trusted blindly: the file is checked with
``PRAGMA quick_check`` when opened, every value is checked for shape and finiteness when read, and
a damaged file is replaced by an empty one with a :class:`CacheWarning`.

>>> cache = ResultCache.open()                                    # doctest: +SKIP
>>> probs = cached_predict(cache, model, texts, langs)            # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from feedback_nlp.home import cache_dir

logger = logging.getLogger(__name__)

FILE_NAME = "results.sqlite"
SCHEMA_VERSION = 1
APPLICATION_ID = 0x464E4C50  # "FNLP": a file of ours, not any SQLite database
_BUSY_TIMEOUT_MS = 60_000
_LOOKUP_BATCH = 500  # keys per SELECT ... IN (...), well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sentiment (
    model TEXT NOT NULL,
    lang  TEXT NOT NULL,
    key   BLOB NOT NULL,
    probs BLOB NOT NULL,
    PRIMARY KEY (model, lang, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS embedding (
    model  TEXT NOT NULL,
    key    BLOB NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (model, key)
);
CREATE TABLE IF NOT EXISTS clauses (
    model TEXT NOT NULL,
    lang  TEXT NOT NULL,
    key   BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (model, lang, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS labels (
    model TEXT NOT NULL,
    key   BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (model, key)
) WITHOUT ROWID;
"""


class CacheWarning(UserWarning):
    """The result cache was damaged or unusable; it was rebuilt (or bypassed for this run)."""


def default_path() -> Path:
    """``results.sqlite`` in the feedback-nlp cache folder (``$FEEDBACK_NLP_HOME`` or
    ``~/.cache/feedback-nlp``)."""
    return cache_dir() / FILE_NAME


def text_key(text: str) -> bytes:
    """The cache key of a text: its sha256 over UTF-8 (32 bytes)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@dataclass
class CacheStats:
    """Hits and misses of one run, for the manifest."""

    sentiment_hits: int = 0
    sentiment_misses: int = 0
    embedding_hits: int = 0
    embedding_misses: int = 0
    clause_hits: int = 0
    clause_misses: int = 0
    events: list[str] = field(default_factory=list)  # rebuilt, bypassed, ...

    def to_dict(self) -> dict:
        return {
            "sentiment_hits": self.sentiment_hits,
            "sentiment_misses": self.sentiment_misses,
            "embedding_hits": self.embedding_hits,
            "embedding_misses": self.embedding_misses,
            "clause_hits": self.clause_hits,
            "clause_misses": self.clause_misses,
            **({"events": list(self.events)} if self.events else {}),
        }


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise rebuilds across processes (POSIX); elsewhere racing rebuilds are harmless."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        str(path), timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    return conn


def _problem(conn: sqlite3.Connection) -> str | None:
    """Why this database cannot be trusted, or None. Raises sqlite3.DatabaseError for a file
    that is not a database at all."""
    (app_id,) = conn.execute("PRAGMA application_id").fetchone()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id == 0 and not tables:
        return None  # a new, empty file
    if app_id != APPLICATION_ID:
        return f"not a feedback-nlp cache (application_id {app_id:#x})"
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version != SCHEMA_VERSION:
        return f"schema version {version}, expected {SCHEMA_VERSION}"
    rows = [r[0] for r in conn.execute("PRAGMA quick_check")]
    if rows != ["ok"]:
        return "integrity check failed: " + "; ".join(map(str, rows[:3]))
    return None


def _initialise(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")  # readers never wait for a writer
    conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable enough for a cache
    conn.executescript(
        f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA application_id = {APPLICATION_ID}; "
        f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
    )


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class ResultCache:
    """The SQLite result cache. Open it with :meth:`open`; it is a context manager.

    Any database error while in use disables the cache for the rest of the run (results are then
    computed) with a :class:`CacheWarning`; the next :meth:`open` checks and, if need be,
    rebuilds the file.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.stats = CacheStats()

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike | None = None) -> ResultCache:
        """Open (creating, checking, or rebuilding) the cache at ``path`` (default
        :func:`default_path`). A damaged file is deleted and recreated with a CacheWarning."""
        path = Path(path) if path is not None else default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        events: list[str] = []
        try:
            conn = cls._open_checked(path)
        except sqlite3.DatabaseError as exc:
            conn = cls._rebuild(path, str(exc))
            events.append("rebuilt")
        cache = cls(conn, path)
        cache.stats.events.extend(events)
        return cache

    @staticmethod
    def _open_checked(path: Path) -> sqlite3.Connection:
        """A checked, initialised connection; sqlite3.DatabaseError when it cannot be trusted."""
        conn = _connect(path)
        try:
            problem = _problem(conn)
            if problem is None:
                _initialise(conn)
                return conn
        except sqlite3.DatabaseError:
            conn.close()
            raise
        conn.close()
        raise sqlite3.DatabaseError(problem)

    @staticmethod
    def _rebuild(path: Path, reason: str) -> sqlite3.Connection:
        lock = path.with_name(path.name + ".lock")
        with _file_lock(lock):
            # another process may have rebuilt it while this one waited for the lock
            with contextlib.suppress(sqlite3.DatabaseError):
                return ResultCache._open_checked(path)
            warnings.warn(
                f"The result cache {path} is damaged ({reason}); it was deleted and is rebuilt "
                "from scratch. Nothing from it was used.",
                CacheWarning,
                stacklevel=3,
            )
            logger.warning("rebuilding damaged result cache %s: %s", path, reason)
            _remove_database(path)
            conn = _connect(path)
            _initialise(conn)
            return conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def __getstate__(self):  # a connection cannot travel to another process; reopen there
        return {"path": self.path}

    def __setstate__(self, state) -> None:
        other = ResultCache.open(state["path"])
        self.__dict__.update(other.__dict__)

    @property
    def active(self) -> bool:
        return self._conn is not None

    def _disable(self, exc: BaseException) -> None:
        warnings.warn(
            f"The result cache {self.path} failed ({type(exc).__name__}: {exc}); this run goes "
            "on without it. It is checked, and rebuilt if damaged, on the next run.",
            CacheWarning,
            stacklevel=4,
        )
        self.stats.events.append("bypassed")
        self.close()

    # -- reading and writing --------------------------------------------------------------------

    def _select(self, sql: str, params: list, keys: list[bytes]) -> dict[bytes, bytes]:
        found: dict[bytes, bytes] = {}
        for start in range(0, len(keys), _LOOKUP_BATCH):
            part = keys[start : start + _LOOKUP_BATCH]
            marks = ",".join("?" * len(part))
            for key, value in self._conn.execute(sql.format(marks=marks), [*params, *part]):
                found[bytes(key)] = bytes(value)
        return found

    def _write(self, sql: str, rows: list[tuple]) -> None:
        if not rows or self._conn is None:
            return
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.executemany(sql, rows)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._disable(exc)

    def _get_per_lang(
        self,
        table: str,
        column: str,
        model: str,
        keys: Sequence[bytes],
        langs: Sequence[str],
        decode: Callable[[bytes], object | None],
    ) -> dict[tuple[str, bytes], object]:
        """Values of a (model, lang, key) table for the (lang, key) pairs found, each passed
        through `decode` (None: not trusted, and deleted)."""
        if self._conn is None or not keys:
            return {}
        by_lang: dict[str, list[bytes]] = {}
        for key, lang in zip(keys, langs):
            by_lang.setdefault(lang, []).append(key)
        out: dict[tuple[str, bytes], object] = {}
        bad: list[tuple] = []
        sql = (
            f"SELECT key, {column} FROM {table} WHERE model = ? AND lang = ? AND key IN ({{marks}})"
        )
        try:
            for lang, wanted in by_lang.items():
                found = self._select(sql, [model, lang], list(dict.fromkeys(wanted)))
                for key, blob in found.items():
                    value = decode(blob)
                    if value is None:
                        bad.append((model, lang, key))
                    else:
                        out[(lang, key)] = value
        except sqlite3.Error as exc:
            self._disable(exc)
            return {}
        if bad:
            self._write(f"DELETE FROM {table} WHERE model = ? AND lang = ? AND key = ?", bad)
        return out

    def get_sentiment(
        self, model: str, keys: Sequence[bytes], langs: Sequence[str]
    ) -> dict[tuple[str, bytes], np.ndarray]:
        """Cached probabilities for the (lang, key) pairs found, each checked before use."""
        return self._get_per_lang("sentiment", "probs", model, keys, langs, _valid_probs)

    def put_sentiment(
        self, model: str, keys: Sequence[bytes], langs: Sequence[str], probs: np.ndarray
    ) -> None:
        probs = np.asarray(probs, dtype="<f4").reshape(-1, 3)
        rows = [(model, lang, key, p.tobytes()) for key, lang, p in zip(keys, langs, probs)]
        self._write("INSERT OR IGNORE INTO sentiment VALUES (?, ?, ?, ?)", rows)

    def get_embeddings(
        self, model: str, keys: Sequence[bytes], dim: int | None = None
    ) -> dict[bytes, np.ndarray]:
        """Cached vectors for the keys found; all of one length (``dim`` where given)."""
        if self._conn is None or not keys:
            return {}
        try:
            sql = "SELECT key, vector FROM embedding WHERE model = ? AND key IN ({marks})"
            found = self._select(sql, [model], list(dict.fromkeys(keys)))
        except sqlite3.Error as exc:
            self._disable(exc)
            return {}
        out: dict[bytes, np.ndarray] = {}
        bad: list[tuple] = []
        for key, blob in found.items():
            vector = _valid_vector(blob, dim)
            if vector is None:
                bad.append((model, key))
            else:
                dim = len(vector)
                out[key] = vector
        if bad:
            self._write("DELETE FROM embedding WHERE model = ? AND key = ?", bad)
        return out

    def put_embeddings(self, model: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype="<f4")
        rows = [(model, key, v.tobytes()) for key, v in zip(keys, vectors)]
        self._write("INSERT OR IGNORE INTO embedding VALUES (?, ?, ?)", rows)

    def get_clauses(
        self, model: str, keys: Sequence[bytes], langs: Sequence[str]
    ) -> dict[tuple[str, bytes], ClauseRecord]:
        """Cached clause records for the (lang, key) pairs found, each checked for its form
        (offsets within the text are checked where the text is known)."""
        return self._get_per_lang("clauses", "value", model, keys, langs, ClauseRecord.decode)

    def put_clauses(
        self,
        model: str,
        keys: Sequence[bytes],
        langs: Sequence[str],
        records: Sequence[ClauseRecord],
    ) -> None:
        rows = [(model, lang, key, r.encode()) for key, lang, r in zip(keys, langs, records)]
        self._write("INSERT OR IGNORE INTO clauses VALUES (?, ?, ?, ?)", rows)

    def get_labels(self, model: str, key: bytes) -> list | None:
        """The label pointers stored for ``key`` (JSON: per cluster a list of [int, int]), or
        None; a value of any other form is deleted. Whether they fit is the caller's check."""
        if self._conn is None:
            return None
        try:
            row = self._conn.execute(
                "SELECT value FROM labels WHERE model = ? AND key = ?", (model, key)
            ).fetchone()
        except sqlite3.Error as exc:
            self._disable(exc)
            return None
        if row is None:
            return None
        value = _valid_label_pointers(bytes(row[0]))
        if value is None:
            self._write("DELETE FROM labels WHERE model = ? AND key = ?", [(model, key)])
        return value

    def put_labels(self, model: str, key: bytes, pointers: list) -> None:
        blob = json.dumps(pointers, separators=(",", ":")).encode()
        self._write("INSERT OR REPLACE INTO labels VALUES (?, ?, ?)", [(model, key, blob)])

    def forget_clauses(self, rows: Sequence[tuple]) -> None:
        """Delete the clause records found wrong, given as (model, lang, key) rows."""
        self._write("DELETE FROM clauses WHERE model = ? AND lang = ? AND key = ?", list(rows))


def _valid_label_pointers(blob: bytes) -> list | None:
    try:
        value = json.loads(blob)
    except ValueError:
        return None
    ok = isinstance(value, list) and all(
        isinstance(found, list)
        and all(
            isinstance(p, list) and len(p) == 2 and all(type(x) is int and x >= 0 for x in p)
            for p in found
        )
        for found in value
    )
    return value if ok else None


@dataclass(frozen=True)
class LabelCache:
    """:class:`feedback_nlp.themes.discover.LabelCache` on a :class:`ResultCache`, for one clause
    fingerprint (the spaCy pipelines and the taxonomy, which decide tokens and lemmas)."""

    cache: ResultCache
    model: str

    def get(self, key: bytes) -> list | None:
        return self.cache.get_labels(self.model, key)

    def put(self, key: bytes, pointers: list) -> None:
        self.cache.put_labels(self.model, key, pointers)


@dataclass(frozen=True)
class ClauseRecord:
    """The clauses of one comment without its words: per clause its (start, end) character
    offsets, each token's (start, end), the (theme index, keyword) pairs its keywords matched,
    and how many content words it has (what theme discovery asks of a candidate; see
    :func:`feedback_nlp.themes.discover.content_word_counts`). Stored as compact JSON."""

    clauses: tuple[tuple[int, int], ...]
    tokens: tuple[tuple[tuple[int, int], ...], ...]
    keywords: tuple[tuple[tuple[int, str], ...], ...]
    content: tuple[int, ...]

    def encode(self) -> bytes:
        value = [
            [a, b, [x for span in toks for x in span], [[j, w] for j, w in kws], n]
            for (a, b), toks, kws, n in zip(self.clauses, self.tokens, self.keywords, self.content)
        ]
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def decode(cls, blob: bytes) -> ClauseRecord | None:
        """The record, or None for anything not of the expected form."""
        try:
            value = json.loads(blob.decode("utf-8"))
            clauses, tokens, keywords, content = [], [], [], []
            for a, b, flat, kws, n in value:
                ints = [a, b, n, *flat]
                if not all(type(x) is int and x >= 0 for x in ints) or a > b or len(flat) % 2:
                    return None
                spans = tuple(zip(flat[::2], flat[1::2]))
                if any(x > y for x, y in spans):
                    return None
                if not all(type(j) is int and j >= 0 and isinstance(w, str) for j, w in kws):
                    return None
                clauses.append((a, b))
                tokens.append(spans)
                keywords.append(tuple((j, w) for j, w in kws))
                content.append(n)
        except (ValueError, TypeError, UnicodeDecodeError):
            return None
        return cls(tuple(clauses), tuple(tokens), tuple(keywords), tuple(content))

    def fits(self, text: str, n_themes: int) -> bool:
        """Whether the offsets lie within `text` and the themes within the taxonomy."""
        n = len(text)
        return (
            all(b <= n for _, b in self.clauses)
            and all(b <= n for spans in self.tokens for _, b in spans)
            and all(j < n_themes for kws in self.keywords for j, _ in kws)
        )


def _valid_probs(blob: bytes) -> np.ndarray | None:
    if len(blob) != 12:
        return None
    p = np.frombuffer(blob, dtype="<f4").astype(np.float32)
    if not np.all(np.isfinite(p)) or p.min() < 0 or abs(float(p.sum()) - 1.0) > 1e-3:
        return None
    return p


def _valid_vector(blob: bytes, dim: int | None) -> np.ndarray | None:
    if not blob or len(blob) % 4 or (dim is not None and len(blob) != 4 * dim):
        return None
    v = np.frombuffer(blob, dtype="<f4").astype(np.float32)
    return v if np.all(np.isfinite(v)) else None


# ---------------------------------------------------------------------------------------------
# Cache-aware model calls: only the texts not in the cache reach the model.


def cached_predict(
    cache: ResultCache | None,
    model,
    texts: Sequence[str],
    langs: Sequence[str | None],
    *,
    batch_size: int = 32,
    fingerprint: str | None = None,
) -> np.ndarray:
    """``model.predict(texts, lang=langs)`` (n, 3), computing only the (text, lang) pairs the
    cache lacks. ``fingerprint`` (default ``model.fingerprint``) must name everything that
    changes the results. Without a cache or a fingerprint it is a plain predict."""
    texts = list(texts)
    langs = list(langs)
    fingerprint = fingerprint or getattr(model, "fingerprint", None)
    if cache is None or not cache.active or not fingerprint or not texts:
        return np.asarray(model.predict(texts, lang=langs, batch_size=batch_size), np.float32)
    # A model without per-language calibration gives the same answer in every language.
    calibrated = bool(getattr(model, "calibration", True))
    lang_keys = [(lg or "") if calibrated else "" for lg in langs]
    keys = [text_key(t) for t in texts]
    found = cache.get_sentiment(fingerprint, keys, lang_keys)
    out = np.zeros((len(texts), 3), dtype=np.float32)
    missing: dict[tuple[str, bytes], list[int]] = {}
    for i, pair in enumerate(zip(lang_keys, keys)):
        hit = found.get(pair)
        if hit is None:
            missing.setdefault(pair, []).append(i)
        else:
            out[i] = hit
    cache.stats.sentiment_hits += len(texts) - sum(map(len, missing.values()))
    cache.stats.sentiment_misses += sum(map(len, missing.values()))
    if missing:
        first = [rows[0] for rows in missing.values()]
        probs = np.asarray(
            model.predict(
                [texts[i] for i in first], lang=[langs[i] for i in first], batch_size=batch_size
            ),
            dtype=np.float32,
        ).reshape(-1, 3)
        for p, rows in zip(probs, missing.values()):
            out[rows] = p
        cache.put_sentiment(
            fingerprint, [keys[i] for i in first], [lang_keys[i] for i in first], probs
        )
    return out


def cached_embed(
    cache: ResultCache | None,
    embed: Callable[[list[str]], np.ndarray],
    fingerprint: str | None,
    texts: Sequence[str],
    *,
    dim: int | None = None,
) -> np.ndarray:
    """``embed(texts)`` (n, dim), computing only the texts the cache lacks. ``fingerprint``
    must name everything that changes the vectors (encoder weights, prefix)."""
    texts = list(texts)
    if cache is None or not cache.active or not fingerprint or not texts:
        return np.asarray(embed(texts), dtype=np.float32)
    keys = [text_key(t) for t in texts]
    found = cache.get_embeddings(fingerprint, keys, dim)
    if found:
        dim = len(next(iter(found.values())))
    missing: dict[bytes, list[int]] = {}
    for i, key in enumerate(keys):
        if key not in found:
            missing.setdefault(key, []).append(i)
    n_missing = sum(map(len, missing.values()))
    cache.stats.embedding_hits += len(texts) - n_missing
    cache.stats.embedding_misses += n_missing
    computed = None
    if missing:
        first = [rows[0] for rows in missing.values()]
        computed = np.asarray(embed([texts[i] for i in first]), dtype=np.float32)
        if dim is not None and computed.shape[1] != dim:  # cached under another shape: distrust
            return cached_embed(None, embed, None, texts)
        cache.put_embeddings(fingerprint, list(missing), computed)
        dim = computed.shape[1]
    out = np.zeros((len(texts), dim or 0), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in found:
            out[i] = found[key]
    if computed is not None:
        for vector, rows in zip(computed, missing.values()):
            out[rows] = vector
    return out


def cached_clauses(
    cache: ResultCache | None,
    fingerprint: str | None,
    texts: Sequence[str],
    langs: Sequence[str],
    *,
    keyword_hits: Callable,
    n_themes: int,
) -> tuple:
    """``clauses.split_clauses(texts, langs)`` and ``keyword_hits(clauses)`` (per clause, the
    (theme index, keyword) pairs found), parsing only the comments the cache lacks.
    ``fingerprint`` must name everything that changes clauses, tokens and keyword hits.

    Every clause also gets ``content_words`` (:func:`feedback_nlp.themes.discover.content_word_counts`).
    A comment found in the cache is rebuilt from its record's offsets, without spaCy; its
    clauses carry ``lemmas`` = None (lemmas are the comment's words and are never stored: theme
    discovery parses again the comments of the few clauses whose lemmas label a theme). A
    record that does not fit its text is deleted and the comment parsed again."""
    import pandas as pd

    from feedback_nlp import schema as s
    from feedback_nlp.text.clauses import (
        CLAUSE_COLUMNS,
        COMMENT_INDEX,
        CONTENT_WORDS,
        TOKEN_SPANS,
        split_clauses,
    )
    from feedback_nlp.text.pipelines import normalize_lang
    from feedback_nlp.themes.discover import content_word_counts

    texts, langs = list(texts), list(langs)
    if cache is None or not cache.active or not fingerprint:
        clauses = split_clauses(texts, langs)
        clauses[CONTENT_WORDS] = content_word_counts(clauses)
        return clauses, keyword_hits(clauses)
    codes = [normalize_lang(lg) for lg in langs]
    keys = [text_key(t) for t in texts]
    found = cache.get_clauses(fingerprint, keys, codes)
    rows: list[tuple] = []  # clauses of the comments found, each with its keyword hits
    missing: list[int] = []
    wrong: list[tuple] = []
    for i, (text, code, key) in enumerate(zip(texts, codes, keys)):
        if not text.strip():
            continue  # no clauses, as split_clauses
        record = found.get((code, key))
        if record is not None and not record.fits(text, n_themes):
            wrong.append((fingerprint, code, key))
            record = None
        if record is None:
            missing.append(i)
            continue
        for k, ((a, b), spans, hits, n) in enumerate(
            zip(record.clauses, record.tokens, record.keywords, record.content)
        ):
            words = [text[x:y] for x, y in spans]
            rows.append((i, k, text[a:b], a, b, code, words, None, n, list(hits)))
    if wrong:
        cache.forget_clauses(wrong)
    cache.stats.clause_hits += len(texts) - len(missing)
    cache.stats.clause_misses += len(missing)
    frames = [pd.DataFrame(rows, columns=[*CLAUSE_COLUMNS, CONTENT_WORDS, "_hits"])]
    if missing:
        parsed = split_clauses(
            [texts[i] for i in missing], [langs[i] for i in missing], token_spans=True
        )
        parsed[COMMENT_INDEX] = [missing[j] for j in parsed[COMMENT_INDEX]]
        parsed["_hits"] = keyword_hits(parsed)
        parsed[CONTENT_WORDS] = content_word_counts(parsed)
        _store_clauses(cache, fingerprint, parsed, codes, keys)
        frames.append(parsed.drop(columns=TOKEN_SPANS))
    frames = [f for f in frames if len(f)] or frames[:1]
    frame = (
        pd.concat(frames, ignore_index=True)
        .sort_values([COMMENT_INDEX, s.CLAUSE_ID], kind="stable")
        .reset_index(drop=True)
        .astype({COMMENT_INDEX: "int64", s.CLAUSE_ID: "int64", s.START_CHAR: "int64",
                 s.END_CHAR: "int64", CONTENT_WORDS: "int64"})
    )  # fmt: skip
    hits = frame.pop("_hits").tolist()
    return frame, [[tuple(h) for h in hs] for hs in hits]


def _store_clauses(cache: ResultCache, fingerprint: str, parsed, codes, keys) -> None:
    """One record per distinct (language, comment) of `parsed` (split_clauses with token spans,
    ``_hits`` and ``content_words`` columns)."""
    from feedback_nlp import schema as s
    from feedback_nlp.text.clauses import COMMENT_INDEX, CONTENT_WORDS, TOKEN_SPANS

    by_comment: dict[int, list[tuple]] = {}
    for i, a, b, spans, hits, n in zip(
        parsed[COMMENT_INDEX], parsed[s.START_CHAR], parsed[s.END_CHAR], parsed[TOKEN_SPANS],
        parsed["_hits"], parsed[CONTENT_WORDS],
    ):  # fmt: skip
        by_comment.setdefault(int(i), []).append(((a, b), spans, hits, int(n)))
    first: dict[tuple[str, bytes], int] = {}
    for i in by_comment:
        first.setdefault((codes[i], keys[i]), i)
    cache.put_clauses(
        fingerprint,
        [keys[i] for i in first.values()],
        [codes[i] for i in first.values()],
        [
            ClauseRecord(
                clauses=tuple((int(a), int(b)) for (a, b), _, _, _ in by_comment[i]),
                tokens=tuple(tuple(map(tuple, spans)) for _, spans, _, _ in by_comment[i]),
                keywords=tuple(tuple(map(tuple, hits)) for _, _, hits, _ in by_comment[i]),
                content=tuple(n for _, _, _, n in by_comment[i]),
            )
            for i in first.values()
        ],
    )


def timed_open(
    use_cache: bool, path: str | os.PathLike | None = None
) -> tuple[ResultCache | None, float]:
    """Open the cache unless ``use_cache`` is false; returns it and the seconds it took."""
    if not use_cache:
        return None, 0.0
    t0 = time.perf_counter()
    try:
        cache = ResultCache.open(path)
    except (OSError, sqlite3.Error) as exc:  # e.g. a read-only home: run without a cache
        warnings.warn(
            f"The result cache could not be opened ({exc}); running without it.",
            CacheWarning,
            stacklevel=2,
        )
        return None, time.perf_counter() - t0
    return cache, time.perf_counter() - t0
