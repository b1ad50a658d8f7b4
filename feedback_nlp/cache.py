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
  (:class:`feedback_nlp.analysis.cached.LabelCache`).

Texts themselves are never stored (comments are personal data), only their hashes, numbers, and
the taxonomy's own keywords.

Safe under concurrent runs: WAL journal, a busy timeout, ``INSERT OR IGNORE`` (two runs that
compute the same text write the same value). Never trusted blindly: the file is checked with
``PRAGMA quick_check`` when opened, every value is checked for shape and finiteness when read, and
a damaged file is replaced by an empty one with a :class:`CacheWarning`.

The store knows keys and bytes (and checks numbers for shape and finiteness); what the bytes mean
and which model fills them is :mod:`feedback_nlp.analysis.cached`'s business.

>>> cache = ResultCache.open()                                    # doctest: +SKIP
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from feedback_nlp.home import cache_dir, file_lock

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
        with file_lock(lock):  # one rebuild at a time across processes
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
        self,
        model: str,
        keys: Sequence[bytes],
        langs: Sequence[str],
        decode: Callable[[bytes], object | None],
    ) -> dict[tuple[str, bytes], object]:
        """Cached clause records for the (lang, key) pairs found, as `decode` reads them (None:
        not of the expected form, treated as missing)."""
        return self._get_per_lang("clauses", "value", model, keys, langs, decode)

    def put_clauses(
        self,
        model: str,
        keys: Sequence[bytes],
        langs: Sequence[str],
        records: Sequence[bytes],
    ) -> None:
        rows = [(model, lang, key, blob) for key, lang, blob in zip(keys, langs, records)]
        self._write("INSERT OR IGNORE INTO clauses VALUES (?, ?, ?, ?)", rows)

    def get_labels(self, model: str, key: bytes) -> list | None:
        """The label pointers stored for ``key`` (JSON: per cluster a list of [clause, first
        token, end token] per phrase), or None; a value of any other form is deleted. Whether
        they fit is the caller's check."""
        return self._labels_value(model, key, _valid_label_pointers)

    def _labels_value(self, model: str, key: bytes, valid: Callable[[bytes], Any]) -> Any:
        """The labels table's value under (model, key) as `valid` reads it; a value `valid`
        refuses (None) is deleted."""
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
        value = valid(bytes(row[0]))
        if value is None:
            self._write("DELETE FROM labels WHERE model = ? AND key = ?", [(model, key)])
        return value

    def put_labels(self, model: str, key: bytes, pointers: list) -> None:
        self._put_labels_value(model, key, pointers)

    def _put_labels_value(self, model: str, key: bytes, value: list | dict) -> None:
        """``value`` as compact JSON under (model, key) of the labels table (sorted keys: the
        same record, the same bytes)."""
        blob = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        self._write("INSERT OR REPLACE INTO labels VALUES (?, ?, ?)", [(model, key, blob)])

    def get_record(self, model: str, key: bytes) -> dict | None:
        """A small JSON object stored under (``model``, ``key``) -- e.g. an automatic taxonomy
        choice -- or None; kept in the labels table under its own model name (no schema change,
        so caches written before keep working); a value of any other form is deleted."""
        return self._labels_value(model, key, _valid_record)

    def put_record(self, model: str, key: bytes, record: dict) -> None:
        self._put_labels_value(model, key, record)

    def forget_clauses(self, rows: Sequence[tuple]) -> None:
        """Delete the clause records found wrong, given as (model, lang, key) rows."""
        self._write("DELETE FROM clauses WHERE model = ? AND lang = ? AND key = ?", list(rows))


def _valid_record(blob: bytes) -> dict | None:
    try:
        value = json.loads(blob)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _valid_label_pointers(blob: bytes) -> list | None:
    try:
        value = json.loads(blob)
    except ValueError:
        return None
    ok = isinstance(value, list) and all(
        isinstance(found, list)
        and all(
            isinstance(p, list) and len(p) == 3 and all(type(x) is int and x >= 0 for x in p)
            for p in found
        )
        for found in value
    )
    return value if ok else None


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
